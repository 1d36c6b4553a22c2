"""Changing one's own password, and the first login on a temporary one.

An account given a temporary password by an admin (see :mod:`mijian.pipeline.web.accounts`)
lands here after logging in and may do nothing else until it has chosen its own. Every
change is recorded in the signed log (``web.password_change``), saying whether the old
password was a temporary one and who issued it; the sessions of the account end and the
person logs in again with the new password."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from mijian.pipeline.errors import UsageError
from mijian.pipeline.service.events import record_event
from mijian.pipeline.web import accounts
from mijian.pipeline.web.deps import COOKIE, config, form_of, page, require

router = APIRouter()


@router.get("/password")
async def password_page(request: Request) -> Response:
    """The form to change one's password (the only page of an account on a temporary one)."""
    found = require(request, temporary=True)
    return page(request, "password.html", temporary=found.must_change, error=None)


@router.post("/password")
async def change(request: Request) -> Response:
    """Check the current password and set the new one; back to the login page."""
    found, form = await form_of(request, temporary=True)
    fields = {k: str(form.get(k) or "") for k in ("current", "new", "repeat")}
    await form.close()
    conn = request.app.state.accounts
    made = accounts.provenance(conn, found.user.name)
    try:
        await asyncio.to_thread(accounts.change_password, conn, found.user.name, fields["current"], fields["new"],
                                fields["repeat"])
    except UsageError as exc:
        return page(request, "password.html", 400, temporary=found.must_change, error=str(exc))
    await asyncio.to_thread(record_event, "web.password_change",
                            {"was_temporary": found.must_change, "issued_by": made.issued_by if made else None},
                            settings=config(request).settings(found.user.name))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response
