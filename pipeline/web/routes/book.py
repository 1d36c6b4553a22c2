"""The address book pages (admins and clerks): list the units with their members and the
people of no unit, add or edit a person (unit, e-mail, certificate) or a unit, and remove
one. Every change is recorded in the signed log (``web.book``) under the user's name."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from mijian.pipeline.errors import MijianError
from mijian.pipeline.service.events import record_event
from mijian.pipeline.web import address_book, users
from mijian.pipeline.web.deps import config, form_of, page, require

router = APIRouter()
BOOK_ROLES = ("admin", "clerk")
"""Who keeps the address book: the administrator and the clerks who issue from it."""


def _book(request: Request) -> address_book.Book:
    conn = request.app.state.accounts
    return address_book.book(conn, tuple(u.name for u in users.list_users(conn)))


@router.get("/book")
async def book_page(request: Request) -> Response:
    """The units with their members, the people of no unit, and the form to add an entry."""
    require(request, *BOOK_ROLES)
    return page(request, "book.html", book=_book(request), entry=None, units=_units(request))


def _units(request: Request) -> list[address_book.Entry]:
    return [e for e in address_book.entries(request.app.state.accounts) if e.kind == address_book.UNIT]


@router.get("/book/{entry_id}")
async def entry_page(request: Request, entry_id: str) -> Response:
    """The form to edit one entry, filled in."""
    require(request, *BOOK_ROLES)
    conn = request.app.state.accounts
    entry = address_book.get(conn, entry_id)
    if entry is None and users.get_user(conn, entry_id) is not None:  # an account, entered now
        entry = address_book.Entry(entry_id, address_book.PERSON, entry_id)
    if entry is None:
        raise HTTPException(404, "no such entry")
    return page(request, "book.html", book=_book(request), entry=entry, units=_units(request))


@router.post("/book")
async def save_entry(request: Request) -> Response:
    """Add an entry, or change the one with the id given (400 with the reason when refused)."""
    found, form = await form_of(request, BOOK_ROLES)
    fields = {k: str(form.get(k) or "") for k in ("id", "kind", "name", "unit", "email", "certificate")}
    await form.close()
    entry = address_book.Entry(fields["id"].strip(), fields["kind"], fields["name"], fields["unit"],
                               fields["email"], fields["certificate"].replace("\r\n", "\n"))
    try:
        made = address_book.save(request.app.state.accounts, entry)
    except MijianError as exc:
        raise HTTPException(400, str(exc)) from None
    await asyncio.to_thread(record_event, "web.book",
                            {"saved": made.id, "kind": made.kind, "name": made.name, "unit": made.unit,
                             "certificate": bool(made.certificate),
                             "certificate_sha256": address_book.fingerprint(made.certificate)},
                            settings=config(request).settings(found.user.name))
    return RedirectResponse("/book", status_code=303)


@router.post("/book/{entry_id}/remove")
async def remove_entry(request: Request, entry_id: str) -> Response:
    """Remove an entry (a unit only once it has no members)."""
    found, form = await form_of(request, BOOK_ROLES)
    await form.close()
    try:
        gone = address_book.remove(request.app.state.accounts, entry_id)
    except MijianError as exc:
        raise HTTPException(404 if address_book.get(request.app.state.accounts, entry_id) is None else 400,
                            str(exc)) from None
    await asyncio.to_thread(record_event, "web.book", {"removed": gone.id, "kind": gone.kind},
                            settings=config(request).settings(found.user.name))
    return RedirectResponse("/book", status_code=303)
