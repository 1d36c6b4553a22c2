"""Destruction requests and their approval (see :mod:`mijian.pipeline.web.destructions`).

The Copy page's Destroy form (clerks and security officers) makes a request with the witness;
``/register/destructions`` lists the requests, and a logged-in authority, security officer or
admin other than the requester approves (the copy is destroyed then) or refuses one. The same
under ``/api/v1/destructions``."""

from __future__ import annotations

import asyncio
import dataclasses

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from mijian.pipeline import service
from mijian.pipeline.errors import MijianError
from mijian.pipeline.lifecycle import TRANSITIONS, refusal
from mijian.pipeline.service.events import record_event
from mijian.pipeline.web import accounts, destructions, users
from mijian.pipeline.web.deps import READER_ROLES, config, form_of, hide_paths, page, require, text_of
from mijian.pipeline.web.users import Session

router = APIRouter()
VIEWER_ROLES = tuple(dict.fromkeys((*READER_ROLES, *destructions.APPROVER_ROLES)))
"""Who sees the requests: those who make them and those who approve them."""
DESTROY = TRANSITIONS["destroy"]


async def request_destruction(request: Request, copy_id: str, witness: str, method: str | None,
                              actor: str) -> destructions.Request:
    """Ask for the destruction of a copy with ``witness`` (the name of an account, not the
    requester): 409 when the register says the copy cannot be destroyed (lost, destroyed,
    voided, pending), 400 for a missing or unknown witness or a second pending request;
    recorded in the signed log by ``actor``."""
    settings = config(request).settings(actor)
    details = await asyncio.to_thread(service.show_copy, copy_id, settings=settings)
    if not DESTROY.allows(details.copy.status):
        raise HTTPException(409, refusal(details.copy, DESTROY))
    conn = request.app.state.accounts
    made = destructions.create(conn, details.copy, actor, witness, method)
    seen = users.get_user(conn, made.witness)
    try:
        await asyncio.to_thread(record_event, "web.destroy_request",
                                {"request": made.id, "serial": made.serial, "witness": made.witness,
                                 "witness_role": seen.role if seen else None, "method": made.method},
                                document_id=made.document_id, copy_id=copy_id, settings=settings)
    except MijianError:
        destructions.settle(conn, made.id, destructions.FAILED, "the signed log refused the request")
        raise
    return made


async def _checked(request: Request, found: Session, request_id: str) -> destructions.Request:
    """The pending request ``request_id`` that ``found`` may decide: 404 unknown, 403 for the
    requester, the witness, a role that may not approve, or an account linked to the
    requester's (see :func:`accounts.linked`; that refusal is a signed event), 409 when
    decided already."""
    conn = request.app.state.accounts
    asked = destructions.get(conn, request_id)
    if asked is None:
        raise HTTPException(404, "no such destruction request")
    try:
        destructions.check_approver(asked, found.user.name, found.user.role)
    except PermissionError as exc:
        raise HTTPException(403, str(exc)) from None
    if asked.state != destructions.PENDING:
        raise HTTPException(409, f"this request was {asked.state} already (by {asked.decided_by}); it is "
                                 "decided once (该申请已处理)")
    why = accounts.linked(conn, asked.requested_by, found.user.name)
    if why is not None:
        await asyncio.to_thread(record_event, "web.approval_refused",
                                {"request": asked.id, "serial": asked.serial, "requested_by": asked.requested_by,
                                 "reason": why}, document_id=asked.document_id, copy_id=asked.copy_id,
                                settings=config(request).settings(found.user.name))
        raise HTTPException(403, why)
    return asked


async def approve(request: Request, found: Session, request_id: str) -> object:
    """Approve a request and destroy its copy: the approval and the destruction are signed
    events; a copy the register no longer lets be destroyed (lost or destroyed meanwhile) is
    refused with 409 and the request is closed as failed. A failure is itself a signed event
    (``web.destroy_failed``, see :func:`_failed`), the copy's status unchanged."""
    asked = await _checked(request, found, request_id)
    conn = request.app.state.accounts
    me = found.user.name
    details = await asyncio.to_thread(service.show_copy, asked.copy_id, settings=config(request).settings(me))
    if not DESTROY.allows(details.copy.status):
        why = refusal(details.copy, DESTROY)
        destructions.decide(conn, asked.id, destructions.FAILED, me, why)
        await _failed(request, asked, me, why)
        raise HTTPException(409, why)
    if not destructions.decide(conn, asked.id, destructions.APPROVED, me):
        raise HTTPException(409, "this request was decided meanwhile; it is decided once (该申请已处理)")
    try:
        await asyncio.to_thread(record_event, "web.destroy_approve",
                                {"request": asked.id, "serial": asked.serial, "requested_by": asked.requested_by},
                                document_id=asked.document_id, copy_id=asked.copy_id,
                                settings=config(request).settings(me))
        return await asyncio.to_thread(service.destroy_copy, asked.copy_id, me, asked.witness, asked.method,
                                       settings=config(request).settings(asked.requested_by))
    except (MijianError, OSError) as exc:
        why = hide_paths(str(exc)) if isinstance(exc, MijianError) else f"the file step failed ({type(exc).__name__})"
        destructions.settle(conn, asked.id, destructions.FAILED, why)
        await _failed(request, asked, me, why)
        raise HTTPException(409, why) from None


async def _failed(request: Request, asked: destructions.Request, me: str, why: str) -> None:
    """Record in the signed log that the approved destruction of ``asked`` did not happen
    (the copy's status is left as it was). A register that refuses this event too is left
    to the refusal already being answered: the request is closed as failed in the store."""
    try:
        await asyncio.to_thread(record_event, "web.destroy_failed",
                                {"request": asked.id, "serial": asked.serial, "requested_by": asked.requested_by,
                                 "reason": why}, document_id=asked.document_id, copy_id=asked.copy_id,
                                settings=config(request).settings(me))
    except MijianError:
        pass


async def refuse(request: Request, found: Session, request_id: str, note: str) -> None:
    """Refuse a request (the copy stays as it is); recorded in the signed log."""
    asked = await _checked(request, found, request_id)
    note = destructions.plain_text(note, "note")
    if not destructions.decide(request.app.state.accounts, asked.id, destructions.REFUSED, found.user.name,
                               note or None):
        raise HTTPException(409, "this request was decided meanwhile; it is decided once (该申请已处理)")
    await asyncio.to_thread(record_event, "web.destroy_refuse", {"request": asked.id, "serial": asked.serial,
                                                                 "note": note},
                            document_id=asked.document_id, copy_id=asked.copy_id,
                            settings=config(request).settings(found.user.name))


@router.get("/register/destructions")
async def destructions_page(request: Request) -> Response:
    """The pending requests (with approve and refuse for those who may) and the latest decided."""
    found = require(request, *VIEWER_ROLES)
    listed = destructions.listing(request.app.state.accounts)
    return page(request, "destructions.html", requests=listed, may_approve=found.user.role in
                destructions.APPROVER_ROLES)


@router.post("/register/destructions/{request_id}/approve")
async def approve_page(request: Request, request_id: str) -> Response:
    """Approve on the page; back to the list."""
    found, form = await form_of(request, destructions.APPROVER_ROLES)
    await form.close()
    await approve(request, found, request_id)
    return RedirectResponse("/register/destructions", status_code=303)


@router.post("/register/destructions/{request_id}/refuse")
async def refuse_page(request: Request, request_id: str) -> Response:
    """Refuse on the page; back to the list."""
    found, form = await form_of(request, destructions.APPROVER_ROLES)
    note = str(form.get("note") or "")
    await form.close()
    await refuse(request, found, request_id, note)
    return RedirectResponse("/register/destructions", status_code=303)


def _bearer(request: Request, *roles: str) -> Session:
    from mijian.pipeline.web.routes.api import bearer

    return bearer(request, *roles)


@router.get("/api/v1/destructions")
async def destructions_api(request: Request) -> Response:
    """``{"requests": [...]}``: pending first, then the latest decided."""
    _bearer(request, *VIEWER_ROLES)
    listed = destructions.listing(request.app.state.accounts)
    return JSONResponse({"requests": [dataclasses.asdict(r) for r in listed]})


@router.post("/api/v1/destructions/{request_id}/approve")
async def approve_api(request: Request, request_id: str) -> Response:
    """Approve → ``{"copy"}`` (destroyed)."""
    found = _bearer(request, *destructions.APPROVER_ROLES)
    record = await approve(request, found, request_id)
    return JSONResponse({"copy": record.public()})  # type: ignore[attr-defined]


@router.post("/api/v1/destructions/{request_id}/refuse")
async def refuse_api(request: Request, request_id: str) -> Response:
    """``{"note"}`` → ``{"refused": id}``."""
    from mijian.pipeline.web.routes.api import body_of

    found = _bearer(request, *destructions.APPROVER_ROLES)
    body = await body_of(request)
    await refuse(request, found, request_id, text_of(body, ("note",))["note"])
    return JSONResponse({"refused": request_id})
