"""The JSON API under ``/api/v1``, with the roles of the pages. A client logs in with
``POST /api/v1/login`` and sends the token it gets as ``Authorization: Bearer TOKEN``; a
bearer token is never sent by a browser on its own, so the API needs no CSRF token."""

from __future__ import annotations

import asyncio
import dataclasses

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, Response

from mijian.pipeline import service
from mijian.pipeline.service.events import recent_events
from mijian.pipeline.web import alarm, issuing, users
from mijian.pipeline.web.deps import READER_ROLES, config, require, whole_number
from mijian.pipeline.web.routes import admin, drafts, issue, register, trace
from mijian.pipeline.web.routes.auth import check_login

router = APIRouter(prefix="/api/v1")


def bearer(request: Request, *roles: str):
    """The session of a bearer token only (a cookie does not authenticate the API)."""
    if not request.headers.get("authorization", "").lower().startswith("bearer "):
        raise HTTPException(401, "send Authorization: Bearer TOKEN from /api/v1/login")
    return require(request, *roles)


async def body_of(request: Request) -> dict:
    """The JSON object of a request sent as application/json (415 otherwise: a form of another
    site can post text that looks like JSON, but never with this content type)."""
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
        raise HTTPException(415, "send the body as application/json")
    try:
        body = await request.json()
    except ValueError:  # not JSON, or not UTF-8: the client's mistake, not the server's
        raise HTTPException(400, "the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise HTTPException(400, "send a JSON object")
    return body


@router.post("/login")
async def login(request: Request) -> Response:
    """``{"name", "password"}`` → ``{"token", "role"}``."""
    body = await body_of(request)
    user, why = await check_login(request, str(body.get("name") or ""), str(body.get("password") or ""))
    if why == "register_alarm":
        return JSONResponse({"error": alarm.message(request.app), "register_alarm": True}, status_code=503)
    if user is None:
        return JSONResponse({"error": why}, status_code=401)
    made = users.new_session(request.app.state.accounts, user)
    return JSONResponse({"token": made.token, "role": user.role})


@router.post("/logout")
async def logout(request: Request) -> Response:
    """End the bearer token's session on the server: a token copied from a client's memory
    or logs is useless after its owner logged out, not only after its hours run out."""
    found = bearer(request)
    users.end_session(request.app.state.accounts, found.token)
    await asyncio.to_thread(alarm.record, request.app, config(request).settings(found.user.name), "web.logout",
                            {"api": True})
    return JSONResponse({"logged_out": True})


@router.post("/classify")
async def classify(request: Request) -> Response:
    """Multipart ``file`` and ``authority`` (drafters) → the draft id and classification."""
    found = bearer(request, "drafter")
    form = await request.form()
    try:
        draft = await drafts.accept_draft(request, found.user, form.get("file"), str(form.get("authority") or ""))
    finally:
        await form.close()
    result = await drafts.classification(request, draft, None)  # type: ignore[arg-type]
    return JSONResponse({"draft_id": draft.id, "classification": result.to_json()})


@router.post("/drafts/{draft_id}/decide")
async def decide(request: Request, draft_id: str) -> Response:
    """``{"grade", "period", "justification", "approver", "scope"}`` (the draft's authority)."""
    found = bearer(request, "authority")
    _, draft = drafts.visible(request, draft_id)
    shown = await drafts.make_decision(request, found.user, draft, await body_of(request))
    return JSONResponse({"draft_id": draft.id, "decision": shown})


@router.post("/drafts/{draft_id}/issue")
async def issue_copies(request: Request, draft_id: str) -> Response:
    """``{"recipients": [ids]}`` (clerks): people and units of the address book, or account
    names → the manifest and, this once, the passwords."""
    found = bearer(request, "clerk")
    draft = issue.decided(request, draft_id)
    listed = (await body_of(request)).get("recipients")
    if not isinstance(listed, list) or not all(isinstance(n, str) for n in listed):
        # a bare string is not taken letter by letter as names
        raise HTTPException(400, 'send "recipients" as a list of user names')
    people = await issue.chosen_recipients(request, draft, listed, found.user.name)
    job = issuing.Job(owner=found.user.name, draft_id=draft.id)
    if issuing.claim(request.app.state.jobs, job) is None:
        raise HTTPException(409, issue.BUSY)
    own = users.connect(config(request).home)  # used in the worker thread only
    try:
        report = await asyncio.to_thread(issuing.run_issue, config(request), own, draft, people,
                                         found.user.name, job)
    finally:
        own.close()
        job.finished = True
    passwords, job.passwords = job.passwords, []  # given in this answer only, not kept
    return JSONResponse({"manifest": report.to_json(), "passwords": passwords, "error": job.error},
                        headers={"Cache-Control": "no-store"})


API_PAGE = 1000
"""Most copies in one answer of ``GET /api/v1/copies`` (the register may hold 100,000)."""


@router.get("/copies")
async def copies(request: Request) -> Response:
    """Registered copies; ``q`` searches, ``outstanding=1`` keeps unreturned ones; paged by
    ``page`` (from 1) and ``size`` (at most :data:`API_PAGE`, the default), with ``total``."""
    found = bearer(request, *READER_ROLES)
    asked = whole_number(request.query_params.get("size"))
    size = min(asked, API_PAGE) if asked else API_PAGE
    number = register.page_number(request.query_params.get("page"))
    listed = await asyncio.to_thread(service.page_copies, request.query_params.get("q", "")[:100],
                                     request.query_params.get("outstanding") == "1", number, size,
                                     settings=config(request).settings(found.user.name), documents=False)
    return JSONResponse({"copies": [c.public() for c in listed.copies], "total": listed.total, "page": number})


@router.post("/copies/{copy_id}/{action}")
async def copy_action(request: Request, copy_id: str, action: str) -> Response:
    """``sign`` {by}, ``return`` {to}, ``lost`` {note} → ``{"copy"}``; ``destroy`` {witness,
    method} → ``{"destruction"}``, a request that another person approves (see
    ``/api/v1/destructions``)."""
    found = bearer(request, *READER_ROLES)
    record = await register.change(request, copy_id, action, await body_of(request), found.user.name)
    if action == "destroy":
        return JSONResponse({"destruction": dataclasses.asdict(record)})  # type: ignore[call-overload]
    return JSONResponse({"copy": record.public()})  # type: ignore[attr-defined]


@router.post("/register/verify")
async def verify(request: Request) -> Response:
    """The register's tamper-evident check (admins): ``{"ok", "events_checked",
    "first_bad_seq", "problem", "stale"}``."""
    found = bearer(request, "admin")
    report = await admin.run_verify(request, found.user.name)
    return JSONResponse(dataclasses.asdict(report))


@router.post("/register/backup")
async def backup(request: Request) -> Response:
    """A backup of the register in the web data folder (admins): ``{"backup": path}``."""
    found = bearer(request, "admin")
    path = await admin.make_backup(request, found.user.name)
    return JSONResponse({"backup": str(path)})


@router.get("/events")
async def events(request: Request) -> Response:
    """The newest register events (``limit``, at most 1000)."""
    found = bearer(request, *READER_ROLES)
    asked = whole_number(request.query_params.get("limit"))
    limit = min(asked, 1000) if asked is not None else 200
    listed = await asyncio.to_thread(recent_events, limit, settings=config(request).settings(found.user.name))
    return JSONResponse({"events": list(listed)})


@router.post("/trace")
async def trace_leak(request: Request) -> Response:
    """Multipart ``file`` or ``text`` → the trace verdict."""
    found = bearer(request, *READER_ROLES)
    form = await request.form()
    try:
        result = await trace.run_trace(request, found.user.name, form.get("file"), str(form.get("text") or ""))
    finally:
        await form.close()
    return JSONResponse(result.to_json())


