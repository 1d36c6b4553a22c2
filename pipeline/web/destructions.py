"""Destruction in two steps: a request by the person who keeps the register (a clerk or a
security officer, with the witness), and the approval of another logged-in person with an
approving role; only the approval destroys the copy.

The requests live in ``web.sqlite`` (see :mod:`mijian.pipeline.web.users`); what matters is in
the register's signed log: ``web.destroy_request`` by the requester, ``web.destroy_approve``
(or ``web.destroy_refuse``) by the approver, then the register's own ``destroyed`` event, whose
actor is the requester (the person who records the destruction, 登记人, as on the command line)
and whose ``approver`` is the approving user: the approver is the account that approved, never
a typed name. The witness is an account too, chosen on the form. An approver linked to the
requester (one created the other or issued the other's password, or one admin issued both:
see :mod:`mijian.pipeline.web.accounts`) is refused, and the refusal is a signed event
(``web.approval_refused``). An approval whose destruction then fails (the register refused
the step, a file could not be written) is a signed event too (``web.destroy_failed``): the
copy's status stays as it was, and the history shows the attempt.

A request is decided once: its state moves from ``pending`` in one statement that checks it
(two approvals sent at once, or an approval and a refusal, cannot both pass).
"""

from __future__ import annotations

import secrets
import sqlite3
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime

from mijian.pipeline.derive_names import same_person
from mijian.pipeline.errors import UsageError
from mijian.pipeline.web.users import _WRITING, get_user

APPROVER_ROLES = ("authority", "security", "admin")
"""Who may approve a destruction: never a clerk, and never the person who asked for it."""
PENDING, APPROVED, REFUSED, FAILED, CANCELLED = "pending", "approved", "refused", "failed", "cancelled"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS destructions (id TEXT PRIMARY KEY, copy_id TEXT NOT NULL, serial TEXT NOT NULL,
    document_id TEXT NOT NULL, recipient TEXT NOT NULL, requested_by TEXT NOT NULL, witness TEXT NOT NULL,
    method TEXT, requested_at TEXT NOT NULL, state TEXT NOT NULL, decided_by TEXT, decided_at TEXT,
    note TEXT);
CREATE INDEX IF NOT EXISTS destructions_state ON destructions (state, requested_at);
CREATE UNIQUE INDEX IF NOT EXISTS destructions_one_pending ON destructions (copy_id) WHERE state = 'pending';
"""
# The partial unique index makes "one pending request a copy" a rule of the store itself, not
# only of the check in create(): two app processes on one store (or a check that a second
# writer passed before the first wrote) cannot leave two requests for one copy, whose two
# approvals would try to destroy it twice.
_HIDDEN = {"Cc", "Cf", "Cs", "Zl", "Zp"}
LIMITS = {"witness": 100, "method": 100, "note": 500}
"""Longest text of each typed field, in characters (a witness is an account name, at most 64)."""


@dataclass(frozen=True)
class Request:
    """One request to destroy a copy and, once decided, who decided it and how."""

    id: str
    copy_id: str
    serial: str
    document_id: str
    recipient: str
    requested_by: str
    witness: str
    method: str | None
    requested_at: str
    state: str
    decided_by: str | None = None
    decided_at: str | None = None
    note: str | None = None


def ensure(conn: sqlite3.Connection) -> None:
    """Create the table when the store lacks it (called once by the app factory). A store
    that already holds two pending requests for one copy (written before the index) keeps
    working without the index: create() still checks under the lock; deciding one of them
    lets the index be made at the next start."""
    schema, index = _SCHEMA.split("CREATE UNIQUE INDEX")
    conn.executescript(schema)
    try:
        conn.executescript("CREATE UNIQUE INDEX" + index)
    except sqlite3.IntegrityError:
        pass


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _row(row: sqlite3.Row) -> Request:
    return Request(**{k: row[k] for k in row.keys()})


def get(conn: sqlite3.Connection, request_id: str) -> Request | None:
    """The request ``request_id``, or None."""
    row = conn.execute("SELECT * FROM destructions WHERE id = ?", (request_id,)).fetchone()
    return _row(row) if row else None


def pending_for(conn: sqlite3.Connection, copy_id: str) -> Request | None:
    """The copy's pending request, or None."""
    row = conn.execute("SELECT * FROM destructions WHERE copy_id = ? AND state = ?", (copy_id, PENDING)).fetchone()
    return _row(row) if row else None


def listing(conn: sqlite3.Connection, limit: int = 100) -> tuple[Request, ...]:
    """The pending requests (oldest first), then the newest decided ones."""
    pending = conn.execute("SELECT * FROM destructions WHERE state = ? ORDER BY requested_at, id", (PENDING,))
    done = conn.execute("SELECT * FROM destructions WHERE state != ? ORDER BY decided_at DESC, id LIMIT ?",
                        (PENDING, limit))
    return tuple(_row(r) for r in [*pending, *done])


def create(conn: sqlite3.Connection, copy: object, requested_by: str, witness: str, method: str | None) -> Request:
    """Record a pending request for ``copy`` (a register copy record). The witness is
    required, is the name of an account of the office (a person the app knows, recorded by
    that account's name, its id), and is not the requester; a copy has one pending request
    at a time."""
    witness = plain_text(witness, "witness")
    method = plain_text(method, "method")
    if not witness:
        raise UsageError("the witness of the destruction is required and was empty; choose their account "
                         "(监销人不能为空)")
    if same_person(witness, requested_by):
        raise UsageError("the witness of a destruction is not the person asking for it; choose another "
                         "witness (监销人不得为申请人本人)")
    if get_user(conn, witness) is None:
        raise UsageError(f"the witness {witness!r} is no account of the office; choose the witness among the "
                         "accounts (监销人须为本单位账户)")
    made = Request(secrets.token_urlsafe(9), copy.copy_id, copy.serial, copy.document_id,  # type: ignore[attr-defined]
                   copy.recipient_id, requested_by, witness, method or None,  # type: ignore[attr-defined]
                   _now(), PENDING)
    try:
        with _WRITING, conn:
            if pending_for(conn, made.copy_id) is not None:
                raise UsageError(f"份号 {made.serial} already has a destruction awaiting approval; approve or "
                                 "refuse that one (该份已有待批准的销毁申请)")
            conn.execute("INSERT INTO destructions (id, copy_id, serial, document_id, recipient, requested_by, "
                         "witness, method, requested_at, state) VALUES (?,?,?,?,?,?,?,?,?,?)",
                         (made.id, made.copy_id, made.serial, made.document_id, made.recipient,
                          made.requested_by, made.witness, made.method, made.requested_at, PENDING))
    except sqlite3.IntegrityError:  # another writer's pending request (the index), or a random id met again
        raise UsageError(f"份号 {made.serial} already has a destruction awaiting approval, or the request could "
                         "not be recorded; reload the list and approve, refuse or send it again (该份已有待批准的"
                         "销毁申请或未能记录)") from None
    return made


def plain_text(value: str | None, field: str) -> str:
    """``value`` stripped, refused (one-line :class:`UsageError`) when it holds a hidden
    character or is longer than :data:`LIMITS`. A witness typed as ``sec`` plus a zero-width
    space is not the account ``sec`` to a plain comparison, so that officer could approve a
    destruction they witnessed; a right-to-left override or a line break would change how the
    name reads in the signed log and on every page and slip that shows it. Names are then
    compared as :func:`pipeline.derive_names.same_person` does (``ｓｅｃ`` and ``SEC`` are
    the account ``sec``), as the command line compares an approver with the requester."""
    text = (value or "").strip()
    for ch in text:
        if unicodedata.category(ch) in _HIDDEN:
            raise UsageError(f"the {field} holds the hidden character U+{ord(ch):04X}; type it as visible "
                             "text on one line (含不可见字符，请删除)")
    if len(text) > LIMITS[field]:
        raise UsageError(f"the {field} is {len(text)} characters long; at most {LIMITS[field]} (内容过长)")
    return text


def check_approver(found: Request, name: str, role: str) -> None:
    """Refuse an approval (or refusal) by the requester, by a role that may not approve, by
    the copy's holder, or by the witness (approver and witness are two people):
    :class:`PermissionError` with the reason."""
    if role not in APPROVER_ROLES:
        raise PermissionError("a destruction is approved by an authority, security officer or admin "
                              "(销毁须由定密责任人、保密员或管理员批准)")
    if same_person(name, found.requested_by):
        raise PermissionError("nobody approves their own request to destroy a copy; another person "
                              "must approve it (不得批准本人提出的销毁申请)")
    if same_person(name, found.recipient):
        raise PermissionError("the holder of a copy does not approve its destruction: a copy leaked by its "
                              "holder would be recorded as destroyed on their word; another person must "
                              "(持有人不得批准销毁本人持有的副本)")
    if same_person(name, found.witness):
        raise PermissionError("the witness of a destruction does not approve it; another person must "
                              "(监销人不得批准)")


def decide(conn: sqlite3.Connection, request_id: str, state: str, by: str, note: str | None = None) -> bool:
    """Move a pending request to ``state``; False when it was not pending any more."""
    with _WRITING, conn:
        cur = conn.execute("UPDATE destructions SET state = ?, decided_by = ?, decided_at = ?, note = ? "
                           "WHERE id = ? AND state = ?", (state, by, _now(), note, request_id, PENDING))
    return cur.rowcount == 1


def settle(conn: sqlite3.Connection, request_id: str, state: str, note: str | None) -> None:
    """Record how an approved request ended (``failed`` when the register refused the step)."""
    with _WRITING, conn:
        conn.execute("UPDATE destructions SET state = ?, note = ? WHERE id = ?", (state, note, request_id))


def cancel_for(conn: sqlite3.Connection, name: str, by: str) -> tuple[Request, ...]:
    """Cancel every pending request that ``name`` made or is the witness of, because ``by``
    reset that account's password: whoever holds the account now may not be the person who
    asked or agreed to witness. The cancelled requests (each to be asked again)."""
    with _WRITING, conn:
        rows = conn.execute("UPDATE destructions SET state = ?, decided_by = ?, decided_at = ?, note = ? "
                            "WHERE state = ? AND (requested_by = ? OR witness = ?) RETURNING *",
                            (CANCELLED, by, _now(), f"the account {name} was reset (账户已重置)", PENDING,
                             name, name)).fetchall()
    return tuple(_row(r) for r in rows)
