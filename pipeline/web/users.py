"""The web app's accounts, sessions and drafts: one sqlite file, ``web.sqlite``, in the
office home (mode 0600, beside the register and keys, which the same people guard).

Kept apart from the register database on purpose: the register is a signed, hash-chained
record whose tables the audit replays; password hashes, lock-out counters and sessions
change all the time and must never be part of that chain. What people *do* is still
recorded in the register's signed event log (see :mod:`mijian.pipeline.service.events`).

Passwords are stored as argon2id hashes; a name is locked for ``LOCK_SECONDS`` after
``MAX_FAILURES`` failed logins in a row.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from mijian.pipeline.errors import UsageError

ROLES = ("drafter", "authority", "clerk", "security", "admin")
"""承办人, 定密责任人, 机要员, 保密员, administrator."""
MAX_FAILURES = 5
LOCK_SECONDS = 900
SESSION_SECONDS = 8 * 3600
IDLE_SECONDS = 30 * 60
"""A session unused this long ends: a browser left logged in at an empty desk."""
_SEEN_STEP = 60
"""Seconds between two writes of a session's last use (not a write on every request)."""
FILE = "web.sqlite"
APP_ACTOR = "web"
"""The actor of the events the app records for nobody logged in (a failed login, the reading
of a draft): no account may have this name, or its actions and the app's would be one."""
_WRITING = threading.Lock()
"""Held around each transaction of a login (see :func:`_count_failure`)."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (name TEXT PRIMARY KEY, role TEXT NOT NULL, hash TEXT NOT NULL,
    failures INTEGER NOT NULL DEFAULT 0, locked_until REAL NOT NULL DEFAULT 0, created_by TEXT,
    issued_by TEXT, must_change INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS probes (name TEXT PRIMARY KEY, failures INTEGER NOT NULL DEFAULT 0,
    locked_until REAL NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS sessions (token TEXT PRIMARY KEY, name TEXT NOT NULL, csrf TEXT NOT NULL,
    expires REAL NOT NULL, seen REAL NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS drafts (id TEXT PRIMARY KEY, drafter TEXT NOT NULL, authority TEXT NOT NULL,
    title TEXT NOT NULL, ext TEXT NOT NULL, created TEXT NOT NULL, decision TEXT,
    recipients TEXT NOT NULL DEFAULT '[]', copies TEXT NOT NULL DEFAULT '[]');
"""


@dataclass(frozen=True)
class User:
    """A person who may log in, and the role that says what they may do."""

    name: str
    role: str


@dataclass(frozen=True)
class Session:
    """A logged-in browser or API client: its user and the CSRF token of its forms."""

    token: str
    user: User
    csrf: str
    must_change: bool = False
    """The account holds a temporary password: nothing but changing it is allowed."""


def connect(home: Path) -> sqlite3.Connection:
    """The store in ``home`` (created mode 0600 on first use)."""
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = home / FILE
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    conn = sqlite3.connect(path, timeout=10, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.executescript(_SCHEMA)
    for table, column, kind in _ADDED:
        if column not in {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}:
            with _WRITING, conn:
                conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
    return conn


_ADDED = (("sessions", "seen", "REAL NOT NULL DEFAULT 0"), ("users", "created_by", "TEXT"),
          ("users", "issued_by", "TEXT"), ("users", "must_change", "INTEGER NOT NULL DEFAULT 0"))
"""Columns added after the first stores were made, added to an older store when it is opened:
a session of an older store counts as unused; an account of an older store was made on the
command line (no creator, no issuer) and has no temporary password."""


def _hasher():
    try:
        from argon2 import PasswordHasher
    except ImportError:
        raise UsageError("the web extra is not installed; run: pip install 'mijian[web]' "
                         "(未安装 web 组件)") from None
    return PasswordHasher()


def check_name(name: str) -> str:
    """A user name: 1-64 printable characters without spaces, control characters or slashes,
    and not :data:`APP_ACTOR`.
    A user name is the recipient id of the copies issued to the person, and a recipient id
    has no slash (see :mod:`pipeline.recipients`): a name with one could never be given a copy."""
    name = (name or "").strip()
    if not name or len(name) > 64 or any(c.isspace() or not c.isprintable() or c in "/\\" for c in name):
        raise UsageError(f"user name {name!r} is not 1-64 characters without spaces or slashes; "
                         "choose another (用户名无效)")
    if name.lower() == APP_ACTOR:
        raise UsageError(f"user name {name!r} is what the signed log calls the web app itself; "
                         "choose another (该用户名为系统保留)")
    return name


def add_user(conn: sqlite3.Connection, name: str, role: str, password: str, *, by: str | None = None,
             temporary: bool = False) -> User:
    """Add (or reset) a user with an argon2id hash of ``password`` (at least 10 characters).

    ``by``: the account that does it on the web (None on the server's command line); it is
    kept as the account's creator when the account is new, and as the issuer of its password
    either way (see :mod:`mijian.pipeline.web.accounts`). ``temporary``: the password must be
    changed at the next login before anything else."""
    name = check_name(name)
    if role not in ROLES:
        raise UsageError(f"role '{role}' is not one of {', '.join(ROLES)}; give --role with one of them (角色无效)")
    if len(password) < 10:
        raise UsageError("the password has fewer than 10 characters; choose a longer one (口令至少10个字符)")
    digest = _hasher().hash(password)
    with conn:
        conn.execute("INSERT INTO users (name, role, hash, created_by, issued_by, must_change) VALUES "
                     "(?,?,?,?,?,?) ON CONFLICT(name) DO UPDATE SET role = excluded.role, hash = excluded.hash, "
                     "failures = 0, locked_until = 0, issued_by = excluded.issued_by, "
                     "must_change = excluded.must_change", (name, role, digest, by, by, int(temporary)))
        conn.execute("DELETE FROM sessions WHERE name = ?", (name,))  # a reset logs the person out everywhere
    return User(name, role)


def set_password(conn: sqlite3.Connection, name: str, password: str) -> None:
    """Give ``name`` the password its owner chose (no longer a temporary one); every session
    of the account ends. The issuer of the account's password is kept (see
    :mod:`mijian.pipeline.web.accounts`)."""
    if len(password) < 10:
        raise UsageError("the password has fewer than 10 characters; choose a longer one (口令至少10个字符)")
    digest = _hasher().hash(password)
    with _WRITING, conn:
        conn.execute("UPDATE users SET hash = ?, must_change = 0 WHERE name = ?", (digest, name))
        conn.execute("DELETE FROM sessions WHERE name = ?", (name,))


def list_users(conn: sqlite3.Connection) -> tuple[User, ...]:
    """Every user, by name."""
    return tuple(User(r["name"], r["role"]) for r in conn.execute("SELECT name, role FROM users ORDER BY name"))


def get_user(conn: sqlite3.Connection, name: str) -> User | None:
    """The user called ``name``, or None."""
    row = conn.execute("SELECT name, role FROM users WHERE name = ?", (name,)).fetchone()
    return User(row["name"], row["role"]) if row else None


class LockedOut(Exception):
    """Too many failed logins: the name is locked for a while. ``started``: this failure is
    the one that locked it (False: it was locked already)."""

    def __init__(self, name: str, started: bool = False) -> None:
        super().__init__(name)
        self.started = started


def authenticate(conn: sqlite3.Connection, name: str, password: str, now: float | None = None) -> User | None:
    """The user when ``password`` is theirs, else None; raises :class:`LockedOut` while locked.

    An unknown name behaves as a known one: the same hash work (timing does not tell which
    names exist) and its own failure count in ``probes``, so it is locked after as many
    guesses (the lock-out message does not tell either). A locked name still costs the
    hash work, and its password is not looked at.
    """
    now = time.time() if now is None else now
    row = conn.execute("SELECT * FROM users WHERE name = ?", (name,)).fetchone()
    table, key = ("users", name) if row is not None else ("probes", name[:100])
    if row is None:
        with _WRITING, conn:
            conn.execute("INSERT INTO probes (name) VALUES (?) ON CONFLICT(name) DO NOTHING", (key,))
    locked = conn.execute(f"SELECT locked_until FROM {table} WHERE name = ?", (key,)).fetchone()[0] > now
    matched = _verify(row["hash"] if row is not None else None, password)  # the work done even when locked
    if locked:
        raise LockedOut(name)
    if not matched:
        if _count_failure(conn, table, key, now):
            raise LockedOut(name, started=True)
        return None
    with _WRITING, conn:
        conn.execute("UPDATE users SET failures = 0, locked_until = 0 WHERE name = ?", (name,))
    return User(row["name"], row["role"])


def _verify(digest: str | None, password: str) -> bool:
    """Whether ``password`` matches ``digest``; with no digest, the same work on a dummy hash."""
    from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

    try:
        _hasher().verify(digest or _DUMMY_HASH or _dummy(), password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    return digest is not None


def _count_failure(conn: sqlite3.Connection, table: str, name: str, now: float) -> bool:
    """Count one failed login of ``name`` in ``table`` (users, or probes for unknown names);
    True when it locks the name.

    The count is raised in one statement (never read, then written back): guesses sent in
    parallel each add one, so they cannot all see the same count and slip past the lock-out.
    The server's one connection is shared by its worker threads, so its transactions are
    taken one at a time (two at once on one connection fail)."""
    with _WRITING, conn:
        conn.execute("DELETE FROM probes WHERE locked_until BETWEEN 1 AND ?", (now,))  # expired locks
        failures = conn.execute(f"UPDATE {table} SET failures = failures + 1 WHERE name = ? RETURNING failures",
                                (name,)).fetchone()
        if failures is None or failures[0] < MAX_FAILURES:
            return False
        conn.execute(f"UPDATE {table} SET failures = 0, locked_until = ? WHERE name = ?", (now + LOCK_SECONDS, name))
    return True


_DUMMY_HASH: str | None = None


def _dummy() -> str:
    global _DUMMY_HASH
    _DUMMY_HASH = _hasher().hash(secrets.token_hex(16))
    return _DUMMY_HASH


def new_session(conn: sqlite3.Connection, user: User, now: float | None = None) -> Session:
    """A fresh session (new random token and CSRF token: a token set before login is never kept)."""
    now = time.time() if now is None else now
    session = Session(secrets.token_urlsafe(32), user, secrets.token_urlsafe(32))
    with _WRITING, conn:
        conn.execute("DELETE FROM sessions WHERE expires < ?", (now,))
        conn.execute("INSERT INTO sessions (token, name, csrf, expires, seen) VALUES (?,?,?,?,?)",
                     (session.token, user.name, session.csrf, now + SESSION_SECONDS, now))
    return session


def find_session(conn: sqlite3.Connection, token: str | None, now: float | None = None) -> Session | None:
    """The live session of ``token`` (its user still present, within its hours and used in the
    last :data:`IDLE_SECONDS`), or None; its last use is brought up to date."""
    if not token:
        return None
    now = time.time() if now is None else now
    row = conn.execute("SELECT s.token, s.csrf, s.seen, u.name, u.role, u.must_change FROM sessions s JOIN users u "
                       "ON u.name = s.name WHERE s.token = ? AND s.expires > ? AND s.seen > ?",
                       (token, now, now - IDLE_SECONDS)).fetchone()
    if row is None:
        return None
    if now - row["seen"] > _SEEN_STEP:
        with _WRITING, conn:
            conn.execute("UPDATE sessions SET seen = ? WHERE token = ?", (now, token))
    return Session(row["token"], User(row["name"], row["role"]), row["csrf"], bool(row["must_change"]))


def end_session(conn: sqlite3.Connection, token: str) -> None:
    """Forget a session (logout)."""
    with _WRITING, conn:
        conn.execute("DELETE FROM sessions WHERE token = ?", (token,))
