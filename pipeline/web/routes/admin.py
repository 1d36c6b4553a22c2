"""The Users page (admins): the accounts and their roles; add or reset one."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from mijian.pipeline.service.events import record_event
from mijian.pipeline.web import users
from mijian.pipeline.web.deps import config, form_of, page, require

router = APIRouter()


@router.get("/admin/users")
async def users_page(request: Request) -> Response:
    """Every account and the form to add one."""
    require(request, "admin")
    return page(request, "users.html", people=users.list_users(request.app.state.accounts), roles=users.ROLES)


@router.post("/admin/users")
async def add_user(request: Request) -> Response:
    """Add or reset an account."""
    found, form = await form_of(request, ("admin",))
    made = users.add_user(request.app.state.accounts, str(form.get("name") or ""), str(form.get("role") or ""),
                          str(form.get("password") or ""))
    record_event("web.user", {"name": made.name, "role": made.role},
                 settings=config(request).settings(found.user.name))
    return RedirectResponse("/admin/users", status_code=303)
