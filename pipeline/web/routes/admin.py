"""The admin pages: the accounts and their roles (add or reset one), and the register's
upkeep: ``verify`` (the tamper-evident check of the signed log and the tables) and a backup
written into the web data folder (outside the office home), whose path is shown."""

from __future__ import annotations

import asyncio
import dataclasses
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from mijian.pipeline import service
from mijian.pipeline.errors import MijianError
from mijian.pipeline.service.events import record_event
from mijian.pipeline.web import accounts, alarm, destructions, users
from mijian.pipeline.web.deps import config, form_of, page, require
from mijian.pipeline.web.store import private_dir

router = APIRouter()


@router.get("/admin/users")
async def users_page(request: Request) -> Response:
    """Every account and the form to add one."""
    require(request, "admin")
    return page(request, "users.html", people=users.list_users(request.app.state.accounts), roles=users.ROLES,
                issued=None)


@router.post("/admin/users")
async def add_user(request: Request) -> Response:
    """Add or reset an account with a temporary password issued here and shown this once.

    A reset cancels the pending destruction requests the account made or witnesses (each
    cancellation a signed event): the account may now be held by someone else."""
    found, form = await form_of(request, ("admin",))
    name = str(form.get("name") or "").strip()
    conn = request.app.state.accounts
    taken = users.get_user(conn, name)
    if taken is not None and form.get("reset") != "1":
        # adding under a name already taken would replace that person's role and password
        raise HTTPException(409, f"{name} already has an account ({taken.role}); tick reset to change "
                                 "their role and password (该用户已存在，如需重置请勾选重置)")
    made, temporary = accounts.issue(conn, name, str(form.get("role") or ""), found.user.name)
    settings = config(request).settings(found.user.name)
    record_event("web.user", {"name": made.name, "role": made.role, "reset": taken is not None,
                              "temporary_password": True}, settings=settings)
    if taken is not None:
        for asked in destructions.cancel_for(conn, made.name, found.user.name):
            record_event("web.destroy_cancel", {"request": asked.id, "serial": asked.serial, "reset": made.name},
                         document_id=asked.document_id, copy_id=asked.copy_id, settings=settings)
    return page(request, "users.html", people=users.list_users(conn), roles=users.ROLES,
                issued={"name": made.name, "password": temporary})


async def run_verify(request: Request, actor: str) -> Any:
    """Verify the register as ``actor``; the :class:`~mijian.pipeline.audit.VerifyReport`.
    The check is recorded in the signed log when the register still takes events (a register
    found tampered or older than its head may refuse: the report is shown all the same)."""
    settings = config(request).settings(actor)
    report = await asyncio.to_thread(service.verify_register, settings=settings)
    alarm.after_verify(request.app, report.ok, report.problem)  # intact lifts the alarm, a failure raises it
    try:
        await asyncio.to_thread(alarm.record, request.app, settings, "web.verify",
                                {"ok": report.ok, "events_checked": report.events_checked,
                                 "first_bad_seq": report.first_bad_seq})
    except MijianError:
        pass
    return report


async def make_backup(request: Request, actor: str) -> Path:
    """A backup of the register in ``<data>/backups`` (mode 0700 folder, 0600 file) under a
    new name made here, recorded in the signed log; its absolute path."""
    cfg = config(request)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    dest = private_dir(cfg.data / "backups") / f"register-{stamp}-{secrets.token_hex(3)}.db"
    done = await asyncio.to_thread(service.backup_register, dest, settings=cfg.settings(actor))
    await asyncio.to_thread(alarm.record, request.app, cfg.settings(actor), "web.backup", {"file": done.path.name})
    return done.path


@router.get("/admin/register")
async def register_tools(request: Request) -> Response:
    """The forms to verify and back up the register."""
    require(request, "admin")
    return page(request, "admin_register.html", report=None, backup=None, unsigned=alarm.unsigned(request.app))


@router.post("/admin/register/verify")
async def verify(request: Request) -> Response:
    """Verify the register and show the outcome."""
    found, form = await form_of(request, ("admin",))
    await form.close()
    report = await run_verify(request, found.user.name)
    return page(request, "admin_register.html", report=dataclasses.asdict(report), backup=None,
                unsigned=alarm.unsigned(request.app))


@router.post("/admin/register/backup")
async def backup(request: Request) -> Response:
    """Back up the register and show where the backup was written."""
    found, form = await form_of(request, ("admin",))
    await form.close()
    path = await make_backup(request, found.user.name)
    return page(request, "admin_register.html", report=None, backup=str(path), unsigned=alarm.unsigned(request.app))
