"""The Draft page: upload a draft, see its text with every finding highlighted and explained
and the suggestion (grade, period, basis, rationale); its authority decides and the decision
is signed into the register."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from starlette.datastructures import UploadFile
from fastapi.responses import RedirectResponse, Response

from mijian.pipeline import service
from mijian.pipeline.service.events import record_event
from mijian.pipeline.web import store, users
from mijian.pipeline.web.deps import config, form_of, page, require, save_upload, text_of
from mijian.pipeline.web.store import EXTENSIONS, Draft

router = APIRouter()


def visible(request: Request, draft_id: str) -> tuple[Any, Draft]:
    """The session and the draft when the user may see it (404 otherwise, so that ids of
    drafts one may not see are not confirmed)."""
    found = require(request)
    draft = store.get(request.app.state.accounts, draft_id)
    if draft is None or not draft.visible_to(found.user):
        raise HTTPException(404, "no such draft")
    return found, draft


CLASSIFIED_KEPT = 32
"""Classifications kept in memory (the oldest goes first): each holds its draft's whole text,
so a server that kept every one would grow with every draft ever uploaded or opened."""


async def classification(request: Request, draft: Draft, lang: str) -> Any:
    """The draft's classification in ``lang`` (kept in memory, the newest
    :data:`CLASSIFIED_KEPT`: a draft does not change)."""
    cache = request.app.state.classified
    key = (draft.id, lang)
    if key not in cache:
        cfg = config(request)
        result = await asyncio.to_thread(service.classify, store.draft_file(cfg.data, draft), lang=lang,
                                         settings=cfg.settings(users.APP_ACTOR))
        cache[key] = result
        while len(cache) > CLASSIFIED_KEPT:
            cache.pop(next(iter(cache)))
    return cache[key]


def segments(text: str, findings: Any) -> list[tuple[str, Any]]:
    """The text cut into (piece, finding or None); a finding overlapping an earlier one is
    listed but not highlighted twice."""
    out: list[tuple[str, Any]] = []
    at = 0
    for f in sorted(findings, key=lambda f: (f.start, -f.end)):
        if f.start < at or f.end > len(text) or f.end <= f.start:
            continue
        if f.start > at:
            out.append((text[at:f.start], None))
        out.append((text[f.start:f.end], f))
        at = f.end
    out.append((text[at:], None))
    return out


@router.get("/drafts")
async def list_drafts(request: Request) -> Response:
    """The drafts the user may see, and the upload form for drafters."""
    found = require(request)
    conn = request.app.state.accounts
    shown = [d for d in store.all_drafts(conn) if d.visible_to(found.user)]
    authorities = [u.name for u in users.list_users(conn) if u.role == "authority"]
    return page(request, "drafts.html", drafts=shown, authorities=authorities)


async def accept_draft(request: Request, user: users.User, upload: Any, authority: str) -> Draft:
    """Check and keep an uploaded draft for ``authority``; records the upload in the register."""
    cfg = config(request)
    conn = request.app.state.accounts
    chosen = users.get_user(conn, authority)
    if chosen is None or chosen.role != "authority":
        raise HTTPException(400, "choose a classification authority")
    if not isinstance(upload, UploadFile):
        raise HTTPException(400, "no file")
    ext = store.safe_ext(upload.filename, EXTENSIONS)
    if ext is None:
        raise HTTPException(415, "a draft is .pdf, .docx or .txt")
    path = await save_upload(request, upload, ext)
    try:
        # read it now, under the limits, so a bad draft is refused at the door
        await asyncio.to_thread(service.classify, path, settings=cfg.settings(user.name))
        draft = store.create(conn, cfg.data, user.name, chosen.name, upload.filename, ext, path.read_bytes())
    finally:
        from mijian.pipeline.web.deps import remove_tree

        remove_tree(path.parent)
    record_event("web.draft", {"draft": draft.id, "title": draft.title, "authority": chosen.name},
                 settings=cfg.settings(user.name))
    return draft


@router.post("/drafts")
async def upload_draft(request: Request) -> Response:
    """A drafter uploads a draft and names its authority."""
    found, form = await form_of(request, ("drafter",))
    try:
        draft = await accept_draft(request, found.user, form.get("file"), str(form.get("authority") or ""))
    finally:
        await form.close()
    return RedirectResponse(f"/drafts/{draft.id}", status_code=303)


@router.get("/drafts/{draft_id}")
async def show_draft(request: Request, draft_id: str) -> Response:
    """The draft's text with findings highlighted, the suggestion, and the decision form."""
    found, draft = visible(request, draft_id)
    from mijian.pipeline.web.deps import lang_of

    if found.user.name not in (draft.drafter, draft.authority):
        # a recipient: the draft's text carries no fingerprint, and text read here and leaked
        # would trace to nobody; they read their own numbered copy instead
        own = [c for c in draft.copies if c["recipient"] == found.user.name]
        return page(request, "draft.html", draft=draft, result=None, own=own, may_decide=False)
    result = await classification(request, draft, lang_of(request))
    labels = list(dict.fromkeys(result.scheme.labels))
    # the findings are the draft's secrets laid bare: who read them is in the signed log, one
    # event a view (the draft's id only; nothing of its text or findings)
    await asyncio.to_thread(record_event, "web.view_draft", {"draft": draft.id,
                                                             "findings": len(result.suggestion.findings)},
                            settings=config(request).settings(found.user.name))
    return page(request, "draft.html", draft=draft, result=result, labels=labels,
                pieces=segments(result.document.text, result.suggestion.findings),
                may_decide=found.user.name == draft.authority and draft.decision is None)


async def make_decision(request: Request, user: users.User, draft: Draft, fields: dict) -> dict:
    """The authority's decision on ``draft`` (UsageError when a rule is not met), stored and
    signed into the register."""
    if user.name != draft.authority:
        raise HTTPException(403, "only the draft's authority decides")
    if draft.decision is not None:
        raise HTTPException(409, "already decided")
    sent = text_of(fields, ("grade", "period", "justification", "approver", "scope"))
    choice = service.GradeChoice(**{k: v or None for k, v in sent.items()})
    result = await classification(request, draft, None)  # type: ignore[arg-type]
    decision = service.decide(result, choice)
    shown = {**dataclasses.asdict(decision), "approver": choice.approver, "by": user.name}
    if not store.set_decision(request.app.state.accounts, draft.id, shown):
        raise HTTPException(409, "already decided")
    record_event("web.decision", {"draft": draft.id, "grade": decision.grade, "period": decision.period,
                                  "lowered": decision.lowered, "justification": decision.justification,
                                  "scope": shown["scope"]},
                 settings=config(request).settings(user.name))
    return shown


@router.post("/drafts/{draft_id}/decide")
async def decide(request: Request, draft_id: str) -> Response:
    """The authority's 定密 on the draft."""
    found, form = await form_of(request, ("authority",))
    _, draft = visible(request, draft_id)
    await make_decision(request, found.user, draft, dict(form))
    return RedirectResponse(f"/drafts/{draft.id}", status_code=303)
