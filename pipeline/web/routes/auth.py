"""Log in and out. A login makes a new session (a token planted before login is never
adopted); failures are counted and lock the name out (see :mod:`mijian.pipeline.web.users`)."""

from __future__ import annotations

import asyncio
import hmac
import secrets
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from mijian.pipeline.web import accounts, alarm, users
from mijian.pipeline.web.deps import COOKIE, config, page, session

router = APIRouter()
FAIL_DELAY = 1.0
"""Seconds a failed login waits before answering: slows guessing without blocking the server."""

HOME_OF = {"drafter": "/drafts", "authority": "/drafts", "clerk": "/issue", "security": "/register",
           "admin": "/admin/users"}


@router.get("/")
async def home(request: Request) -> Response:
    """The start page of the logged-in user's role, else the login page."""
    found = session(request)
    return RedirectResponse(start_page(request, found.user.role) if found else "/login", status_code=303)


def start_page(request: Request, role: str) -> str:
    """Where a role starts; while the register alarm stands, the admin's upkeep page (the
    one place open to them, see :mod:`mijian.pipeline.web.alarm`)."""
    return "/admin/register" if request.app.state.alarm and role == "admin" else HOME_OF[role]


LOGIN_COOKIE = "mijian_login"
"""The pre-session CSRF token of the login form (double submit): a page of another site
cannot read it, so it cannot log a browser into an account of its choosing."""


def login_form(request: Request, status: int = 200, error: str | None = None, detail: str = "") -> Response:
    """The login form with a fresh pre-session token in the form and in a cookie."""
    token = secrets.token_urlsafe(32)
    response = page(request, "login.html", status, error=error, login_token=token, detail=detail)
    response.set_cookie(LOGIN_COOKIE, token, httponly=True, samesite="strict", secure=config(request).secure,
                        path="/login", max_age=3600)
    return response


@router.get("/login")
async def login_page(request: Request) -> Response:
    """The login form."""
    return login_form(request)


async def check_login(request: Request, name: str, password: str) -> tuple[users.User | None, str | None]:
    """The user of a name and password, or None and the catalogue key of why not. Every
    outcome is recorded in the signed log: a login by the user, a failure or the start of a
    lock-out by ``web`` with the account tried (see :func:`failed`)."""
    conn = request.app.state.accounts
    try:
        user = await asyncio.to_thread(users.authenticate, conn, name, password)
    except users.LockedOut as locked:
        await failed(request, name, "lockout" if locked.started else "locked")
        return None, "locked"
    if user is None:
        await failed(request, name, "bad_login")
        return None, "bad_login"
    if await asyncio.to_thread(alarm.check, request.app, config(request).home) and user.role != "admin":
        # fail closed: only an admin, to verify and back up; the refusal is kept unsigned
        alarm.note_unsigned(request.app, "web", "web.login_refused", {"name": user.name, "role": user.role})
        return None, "register_alarm"
    await asyncio.to_thread(alarm.record, request.app, config(request).settings(user.name), "web.login",
                            login_detail(conn, user))
    return user, None


def login_detail(conn: Any, user: users.User) -> dict:
    """What the log says of a login: the role, and for the first login on a temporary password
    who issued it (the login after a reset, which the account's owner can look for)."""
    made = accounts.provenance(conn, user.name)
    if made is None or not made.must_change:
        return {"role": user.role}
    return {"role": user.role, "temporary_password": True, "issued_by": made.issued_by}


UNKNOWN_NAME = "(unknown name)"
"""What the log says for a refused login under a name that is no account (not the text typed)."""


async def failed(request: Request, name: str, why: str) -> None:
    """Record a refused login (``web.lockout`` when this failure locked the name, else
    ``web.login_failed`` with why: ``bad_login`` or ``locked``), then wait :data:`FAIL_DELAY`.

    The log names the account tried, but never text that is no account's name: clerks read
    the log, and a password typed into the name box would be written there in clear. Such a
    name is recorded as :data:`UNKNOWN_NAME` (its lock-out is still counted under it)."""
    known = await asyncio.to_thread(users.get_user, request.app.state.accounts, name)
    tried = known.name if known is not None else UNKNOWN_NAME
    action, detail = ("web.lockout", {"name": tried, "failures": users.MAX_FAILURES}) if why == "lockout" \
        else ("web.login_failed", {"name": tried, "reason": why})
    await asyncio.to_thread(alarm.record, request.app, config(request).settings(users.APP_ACTOR), action, detail)
    await asyncio.sleep(FAIL_DELAY)


@router.post("/login")
async def login(request: Request) -> Response:
    """Check the name and password; on success a fresh session cookie and the role's start page."""
    form = await request.form()
    sent, kept = str(form.get("csrf") or ""), request.cookies.get(LOGIN_COOKIE) or ""
    if not kept or not hmac.compare_digest(sent.encode(), kept.encode()):
        return login_form(request, 403, "bad_csrf")
    user, why = await check_login(request, str(form.get("name") or ""), str(form.get("password") or ""))
    if why == "register_alarm":
        return login_form(request, 503, why, alarm.message(request.app))
    if user is None:
        return login_form(request, 401, why)
    fresh = users.new_session(request.app.state.accounts, user)
    made = accounts.provenance(request.app.state.accounts, user.name)
    landing = "/password" if made is not None and made.must_change else start_page(request, user.role)
    response = RedirectResponse(landing, status_code=303)
    response.delete_cookie(LOGIN_COOKIE, path="/login")
    response.set_cookie(COOKIE, fresh.token, httponly=True, samesite="strict", secure=config(request).secure,
                        path="/", max_age=users.SESSION_SECONDS)
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    """End the session (the CSRF token is checked: no other site can log a user out)."""
    from mijian.pipeline.web.deps import form_of

    found, _form = await form_of(request, temporary=True)
    users.end_session(request.app.state.accounts, found.token)
    await asyncio.to_thread(alarm.record, request.app, config(request).settings(found.user.name), "web.logout", {})
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.get("/lang/{code}")
async def choose_language(request: Request, code: str) -> Response:
    """Remember a language choice (zh or en) in a cookie and go back to the start page."""
    response = RedirectResponse("/", status_code=303)
    if code in ("zh", "en"):
        response.set_cookie("lang", code, httponly=True, samesite="strict", secure=config(request).secure)

    return response
