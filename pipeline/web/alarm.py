"""Fail closed when the register fails verification, yet leave the admin a way in.

Every login writes a signed event. Once the register's file was edited (a trigger of the
append-only log dropped, an event changed, the signed head forged or a backup put in place
unacknowledged), that write is refused, so a login would fail for everyone and no admin
could reach ``verify`` or the backup. Instead the app raises an *alarm*:

- it is raised when a cheap check of the register (its schema and its signed head, the checks
  every write makes; see :func:`probe`) finds a problem, made at every login, at most every
  :data:`PROBE_SECONDS` on other requests, and whenever the register refuses a write; and
  when an admin's full ``verify`` fails. It is kept in ``web.sqlite``, so a restart keeps it.
- while it stands, every page and call answers 503 with a message in Chinese and English
  (the register failed verification, and what to do), except logging in and out, the
  language switch, the static files and, for admins, the Register upkeep page with its
  verify and backup (pages and ``/api/v1``). Only an admin may log in.
- what is done meanwhile (the admin's login, verify, backup, failed logins) cannot be signed
  into the log: it is kept in ``web.sqlite`` (``unsigned_events``) and shown on the upkeep page.
- it is cleared only by an admin's ``verify`` that finds the register intact (after a backup
  was restored and acknowledged with ``mijian register acknowledge-restore``).
"""

from __future__ import annotations

import json
import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mijian.pipeline.errors import MijianError
from mijian.pipeline.web.users import _WRITING

PROBE_SECONDS = 30.0
"""Longest time between two checks of the register while no login or write makes one."""
OPEN_PATHS = ("/login", "/logout", "/lang/", "/static/", "/api/v1/login", "/api/v1/logout")
ADMIN_PATHS = ("/admin/register", "/api/v1/register/verify", "/api/v1/register/backup")
"""Reachable during an alarm (the upkeep routes check the admin role themselves)."""
MESSAGE = ("the register failed verification (登记簿校验未通过): {problem}. Everything but an admin's "
           "verify and backup is stopped (除管理员校验和备份外一切操作已停止). An admin logs in, runs Verify and "
           "Back up on the Register upkeep page, stops mijian, copies the latest sound backup over "
           "MIJIAN_HOME/register.db, runs 'mijian register acknowledge-restore --by NAME --reason TEXT' "
           "and verifies again (管理员校验并备份后，用完好备份恢复登记簿并确认，再次校验通过即恢复使用)")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS register_alarm (id INTEGER PRIMARY KEY CHECK (id = 1), problem TEXT NOT NULL,
    since TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS unsigned_events (at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
    detail TEXT NOT NULL);
"""


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def install(app: Any) -> None:
    """Create the tables and load a standing alarm into ``app.state`` (the app factory)."""
    conn = app.state.accounts
    conn.executescript(_SCHEMA)
    row = conn.execute("SELECT problem FROM register_alarm").fetchone()
    app.state.alarm = row[0] if row else None
    app.state.alarm_probed = 0.0


def probe(home: Path) -> str | None:
    """The problem the register's cheap checks find (a schema object mijian did not make or
    lacks, a signed head the log does not match), or None. Not the full ``verify``: that
    replays every event and is the admin's to run."""
    from mijian.pipeline.office import Office

    try:
        with Office.open(home) as office:
            register = office.register
            return register.schema_problem() or register.freshness().problem
    except MijianError as exc:
        return str(exc)


def raise_alarm(app: Any, problem: str) -> None:
    """Stand the alarm with ``problem`` (kept across restarts)."""
    with _WRITING, app.state.accounts as conn:
        conn.execute("INSERT INTO register_alarm VALUES (1, ?, ?) ON CONFLICT(id) DO UPDATE SET "
                     "problem = excluded.problem", (problem, _now()))
    app.state.alarm = problem


def clear(app: Any) -> None:
    """Lift the alarm (an admin's verify found the register intact)."""
    with _WRITING, app.state.accounts as conn:
        conn.execute("DELETE FROM register_alarm")
    app.state.alarm = None


def check(app: Any, home: Path) -> str | None:
    """Probe the register now; raise the alarm on a problem. The standing alarm, or None."""
    app.state.alarm_probed = time.monotonic()
    problem = probe(home)
    if problem and not app.state.alarm:
        raise_alarm(app, problem)
    return app.state.alarm


def due(app: Any) -> bool:
    """Whether a request should check the register first (no alarm, last check long ago)."""
    return not app.state.alarm and time.monotonic() - app.state.alarm_probed >= PROBE_SECONDS


def after_verify(app: Any, ok: bool, problem: str | None) -> None:
    """An admin's full verify decides: intact lifts the alarm, a failure raises it."""
    if ok:
        clear(app)
    else:
        raise_alarm(app, problem or "verify failed")


def allowed(path: str) -> bool:
    """Whether ``path`` stays reachable during an alarm."""
    return path == "/" or path.startswith(OPEN_PATHS) or path.startswith(ADMIN_PATHS)


def message(app: Any) -> str:
    """The one-line bilingual refusal of the standing alarm."""
    return MESSAGE.format(problem=(app.state.alarm or "").rstrip("."))


def note_unsigned(app: Any, actor: str, action: str, detail: dict) -> None:
    """Keep an action the signed log refused (during an alarm) where the admin sees it."""
    with _WRITING, app.state.accounts as conn:
        conn.execute("INSERT INTO unsigned_events VALUES (?,?,?,?)",
                     (_now(), actor, action, json.dumps(detail, ensure_ascii=False, sort_keys=True)))


def unsigned(app: Any, limit: int = 100) -> list[sqlite3.Row]:
    """The newest actions kept outside the signed log."""
    return list(app.state.accounts.execute("SELECT * FROM unsigned_events ORDER BY rowid DESC LIMIT ?", (limit,)))


def record(app: Any, settings: Any, action: str, detail: dict, **where: Any) -> None:
    """Record a signed event; when the register refuses it, keep it unsigned and raise the
    alarm (the register is checked first: a refusal that is not a damaged register, such as
    a busy one, is raised as it came)."""
    from mijian.pipeline.service.events import record_event

    try:
        record_event(action, detail, settings=settings, **where)
    except MijianError:
        if not check(app, settings.home):
            raise
        note_unsigned(app, settings.actor, action, detail)


def refusal(request: Any) -> Any:
    """The 503 answer of the standing alarm: JSON under /api, else the error page."""
    from fastapi.responses import JSONResponse

    from mijian.pipeline.web.deps import page

    said = message(request.app)
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": said, "register_alarm": True}, status_code=503)
    return page(request, "error.html", 503, key="register_alarm", detail=said)


def guard(app: Any) -> None:
    """Load the alarm and put the gate in front of every route: during an alarm only
    :func:`allowed` paths are served. A register refusing a write is checked at once (an
    error handler for :class:`RegisterError`, which otherwise answers as before)."""
    import asyncio

    from mijian.pipeline.errors import RegisterError

    install(app)
    home = app.state.config.home

    @app.middleware("http")
    async def register_gate(request, call_next):
        if due(app) and not request.url.path.startswith("/static/"):
            await asyncio.to_thread(check, app, home)
        if app.state.alarm and not allowed(request.url.path):
            return refusal(request)
        return await call_next(request)

    @app.exception_handler(RegisterError)
    async def register_refused(request, exc):
        if await asyncio.to_thread(check, app, home):
            return refusal(request)
        return await app.exception_handlers[MijianError](request, exc)
