"""A document's page in the register: its current grade, period and scope, its decision
history, and the forms to change the grade, period or scope (变更) or to declassify it (解密).

The forms call the service verbs that ``mijian register change`` and ``mijian register
declassify`` call, with their rules unchanged: a named approver who is not the person
recording the step, and a justification (the library asks for one every time, which covers
lowering a grade or shortening a period). The web adds one rule of its own, as it does for
destructions: the approver is chosen among the accounts of the classification authorities
(定密责任人), never typed, so the signed log names a person the office knows in that role.

Who records: the clerks and security officers who keep the register (the roles of the
Register page); the authority who approves is named, and cannot record their own approval.
Nor may the approver's account be linked to the recorder's (one created the other or issued
its password, or one admin issued both: :func:`mijian.pipeline.web.accounts.linked`); such a
refusal is recorded in the signed log as ``web.approval_refused``.
The same under ``/api/v1/documents/{id}/change|declassify``.
"""

from __future__ import annotations

import asyncio
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from mijian.pipeline import service
from mijian.pipeline.errors import MijianError
from mijian.pipeline.service.events import record_event
from mijian.pipeline.web import accounts, users
from mijian.pipeline.web.deps import READER_ROLES, config, form_of, page, require, text_of

router = APIRouter()
APPROVER_ROLE = "authority"
"""The role of whoever approves a change or declassification (定密责任人)."""
FIELDS = ("grade", "period", "scope", "approver", "justification")


async def _history(request: Request, document_id: str, actor: str) -> object:
    """The document's decision history; 404 for a document the register does not hold."""
    try:
        report = await asyncio.to_thread(service.decisions, document_id,
                                         settings=config(request).settings(actor))
    except MijianError:
        raise HTTPException(404, "no such document in the register (登记簿中没有此文件)") from None
    return report.history


def _approvers(request: Request) -> list[str]:
    return [u.name for u in users.list_users(request.app.state.accounts) if u.role == APPROVER_ROLE]


@router.get("/register/documents/{document_id}")
async def document_page(request: Request, document_id: str) -> Response:
    """The document's marking and decision history, with the change and declassify forms."""
    found = require(request, *READER_ROLES)
    history = await _history(request, document_id, found.user.name)
    from mijian.pipeline.schemes import all_schemes

    scheme = all_schemes()[history.scheme]  # type: ignore[attr-defined]
    grades = list(dict.fromkeys(scheme.labels[1:]))  # level 0 is declassification, its own form
    return page(request, "document.html", history=history, grades=grades, approvers=_approvers(request))


def _approver(request: Request, name: str) -> str:
    """``name`` when it is an authority's account (400 otherwise, with the reason)."""
    user = users.get_user(request.app.state.accounts, name) if name else None
    if user is None or user.role != APPROVER_ROLE:
        raise HTTPException(400, "the approver is chosen among the classification authorities' accounts; "
                                 "choose one from the list (审批人须为定密责任人账户)")
    return user.name


async def apply(request: Request, document_id: str, verb: str, fields: dict, actor: str) -> object:
    """Record a change (``change``) or declassification (``declassify``) by ``actor``: the
    service's report, or its refusal (400) with nothing recorded."""
    text = text_of(fields, FIELDS)
    approver = _approver(request, text["approver"])
    settings = config(request).settings(actor)
    why = accounts.linked(request.app.state.accounts, actor, approver)
    if why is not None:  # one person under two accounts would record and approve the step
        await asyncio.to_thread(record_event, "web.approval_refused", {"verb": verb, "approver": approver,
                                                                       "reason": why},
                                document_id=document_id, settings=settings)
        raise HTTPException(403, why)
    if verb == "change":
        return await asyncio.to_thread(service.change_marking, document_id, grade=text["grade"] or None,
                                       period=text["period"] or None, scope=text["scope"] or None,
                                       approver=approver, justification=text["justification"],
                                       settings=settings)
    if verb == "declassify":
        return await asyncio.to_thread(service.declassify, document_id, approver=approver,
                                       justification=text["justification"], settings=settings)
    raise HTTPException(404, "no such action")


@router.post("/register/documents/{document_id}/{verb}")
async def change_page(request: Request, document_id: str, verb: str) -> Response:
    """Change or declassify on the page; back to the document's page."""
    found, form = await form_of(request, READER_ROLES)
    fields = {k: form.get(k) for k in FIELDS}
    await form.close()
    await _history(request, document_id, found.user.name)  # 404 before anything else
    await apply(request, document_id, verb, fields, found.user.name)
    return RedirectResponse(f"/register/documents/{quote(document_id, safe='')}", status_code=303)


@router.post("/api/v1/documents/{document_id}/{verb}")
async def change_api(request: Request, document_id: str, verb: str) -> Response:
    """``change`` {grade, period, scope, approver, justification} or ``declassify`` {approver,
    justification} → the change as ``mijian register change --json`` prints it."""
    from mijian.pipeline.web.routes.api import bearer, body_of

    found = bearer(request, *READER_ROLES)
    body = await body_of(request)
    await _history(request, document_id, found.user.name)
    report = await apply(request, document_id, verb, body, found.user.name)
    return JSONResponse(report.to_json())  # type: ignore[attr-defined]
