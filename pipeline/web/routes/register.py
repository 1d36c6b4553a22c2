"""The Register page (保密员, 机要员): documents and copies with paging and search by 份号,
recipient or document; outstanding copies; each copy's history; sign, return, lost, a request
to destroy (approved by another logged-in person: see :mod:`.destruction`), and the register's
recent events."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from mijian.pipeline import service
from mijian.pipeline.register_records import CopyStatus
from mijian.pipeline.service.events import recent_events, record_event
from mijian.pipeline.web import destructions, users
from mijian.pipeline.web.deps import READER_ROLES, config, form_of, page, require, text_of, whole_number
from mijian.pipeline.web.routes.destruction import request_destruction

router = APIRouter()
PAGE_SIZE = 25
"""Copies a page; "outstanding" means as ``register list --outstanding`` (a lost copy is)."""


def page_number(raw: str | None) -> int:
    """A page number from the query (1 for anything else)."""
    number = whole_number(raw)
    return number if number is not None and 0 < number < 100_000 else 1


@router.get("/register")
async def register_page(request: Request) -> Response:
    """Copies, filtered and paged by the store (only the page shown is read and checked)."""
    found = require(request, *READER_ROLES)
    query = request.query_params.get("q", "")[:100]
    outstanding = request.query_params.get("outstanding") == "1"
    number = page_number(request.query_params.get("page"))
    # the per-document counts (a walk of the whole register) are shown with the plain listing
    # only, not with a search, which is about the copies found
    listed = await asyncio.to_thread(service.page_copies, query, outstanding, number, PAGE_SIZE,
                                     settings=config(request).settings(found.user.name),
                                     documents=not query.strip())
    counts = [{"document_id": d, "copies": made, "outstanding": out} for d, made, out in listed.documents]
    return page(request, "register.html", copies=list(listed.copies), q=query, outstanding=outstanding,
                number=number, more=listed.total > number * PAGE_SIZE, total=listed.total, documents=counts)


@router.get("/register/events")
async def register_events(request: Request) -> Response:
    """The newest events of the signed log."""
    found = require(request, *READER_ROLES)
    events = await asyncio.to_thread(recent_events, 200, settings=config(request).settings(found.user.name))
    return page(request, "events.html", events=events)


@router.get("/register/copies/{copy_id}")
async def copy_page(request: Request, copy_id: str) -> Response:
    """One copy, its document's decision and its history, with the lifecycle forms."""
    found = require(request, *READER_ROLES)
    settings = config(request).settings(found.user.name)
    details = await asyncio.to_thread(service.show_copy, copy_id, settings=settings)
    asked = destructions.pending_for(request.app.state.accounts, copy_id)
    # who read a copy's details (recipient, unit, history) is in the signed log, one event a
    # view; the event names the copy and its 份号, nothing more
    await asyncio.to_thread(record_event, "web.view_copy", {"serial": details.copy.serial},
                            document_id=details.copy.document_id, copy_id=details.copy.copy_id, settings=settings)
    witnesses = [u for u in users.list_users(request.app.state.accounts) if u.name != found.user.name]
    return page(request, "copy.html", details=details, asked=asked, witnesses=witnesses)


async def change(request: Request, copy_id: str, action: str, fields: dict, actor: str) -> object:
    """Apply one lifecycle step to a copy as ``actor``."""
    settings = config(request).settings(actor)
    text = text_of(fields, ("by", "to", "approver", "witness", "method", "note"))
    if action == "sign":
        return await asyncio.to_thread(service.sign_for, copy_id, text.get("by") or "", settings=settings)
    if action == "return":
        return await asyncio.to_thread(service.return_copy, copy_id, text.get("to") or actor, settings=settings)
    if action == "destroy":  # a request: the copy is destroyed when another person approves it
        return await request_destruction(request, copy_id, text.get("witness") or "", text.get("method") or None,
                                         actor)
    if action == CopyStatus.LOST:  # the action is named after the status it sets
        return await asyncio.to_thread(service.mark_lost, copy_id, text.get("note") or "", settings=settings)
    raise HTTPException(404, "no such action")


@router.post("/register/copies/{copy_id}/{action}")
async def copy_action(request: Request, copy_id: str, action: str) -> Response:
    """Sign for, return, report lost a copy, or ask for its destruction."""
    found, form = await form_of(request, READER_ROLES)
    await change(request, copy_id, action, dict(form), found.user.name)
    return RedirectResponse("/register/destructions" if action == "destroy" else f"/register/copies/{copy_id}",
                            status_code=303)
