"""The register's SQLite schema, created so that a process killed at any instant cannot break it.

Two rules make schema creation safe:

1. A new ``register.db`` is never built in place. The schema is made in a private file next
   to it (mode 0600, same folder, so the same filesystem), in one transaction, and the file is
   then hard-linked to ``register.db``; linking fails if the name exists, so the first of two
   racing processes wins and the other discards its own file. ``register.db`` therefore
   appears complete or not at all: a reader never sees a database without its tables.
2. The schema version lives in ``PRAGMA user_version``, written in the same transaction as
   the tables. The schema is the list of forward :data:`MIGRATIONS`, each raising the version
   by one. A database whose version is below :data:`SCHEMA_VERSION` (made by an older mijian:
   version 0 is a register from before the version was kept, or a half-made file, for example
   an empty one) gets every migration above its version in one write-locked transaction when
   it is opened; every statement is idempotent (``IF NOT EXISTS``, columns added only when
   missing), because a version-0 register may already hold some of what later versions add,
   and a kill during the upgrade leaves the old version to be upgraded again on the next open.

A version above :data:`SCHEMA_VERSION` was written by a newer mijian and is refused (exit 4):
this code cannot know what the newer schema means, and writing to it could break it.

Migrations never touch the rows of ``events``: the signed log and its hashes read the same
before and after an upgrade, so ``mijian register verify`` keeps passing.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from mijian.pipeline.errors import RegisterError

_V1_TABLES = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY, title TEXT NOT NULL, source_sha256 TEXT NOT NULL, kind TEXT NOT NULL,
    language TEXT NOT NULL, scheme TEXT NOT NULL, grade TEXT NOT NULL, level INTEGER NOT NULL,
    period TEXT, suggested_grade TEXT NOT NULL, suggested_level INTEGER NOT NULL,
    justification TEXT, basis TEXT, rationale TEXT NOT NULL, decided_by TEXT,
    decided_at TEXT NOT NULL, last_serial INTEGER NOT NULL DEFAULT 0)""",
    """CREATE TABLE IF NOT EXISTS copies (
    copy_id TEXT PRIMARY KEY, document_id TEXT NOT NULL REFERENCES documents(id),
    serial TEXT NOT NULL, recipient_id TEXT NOT NULL, recipient_name TEXT NOT NULL,
    recipient_unit TEXT NOT NULL DEFAULT '', file TEXT NOT NULL, file_sha256 TEXT NOT NULL,
    sealed_password BLOB, key_id TEXT NOT NULL, issued_at TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'issued', status_at TEXT NOT NULL, claim TEXT,
    envelope_cert TEXT, fingerprint INTEGER, UNIQUE (document_id, serial))""",
    "CREATE INDEX IF NOT EXISTS copies_sha ON copies(file_sha256)",
    "CREATE INDEX IF NOT EXISTS copies_recipient ON copies(document_id, recipient_id)",
    """CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
    document_id TEXT, copy_id TEXT, detail TEXT NOT NULL, prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL, key_id TEXT NOT NULL, signature BLOB NOT NULL)""",
    """CREATE TRIGGER IF NOT EXISTS events_no_update BEFORE UPDATE ON events
    BEGIN SELECT RAISE(ABORT, 'events are append-only'); END""",
    """CREATE TRIGGER IF NOT EXISTS events_no_delete BEFORE DELETE ON events
    BEGIN SELECT RAISE(ABORT, 'events are append-only'); END""",
)
_V2_TABLES = (
    # the lowest serial a document may continue from after an acknowledged restore
    """CREATE TABLE IF NOT EXISTS serial_floors (
    document_id TEXT PRIMARY KEY, floor INTEGER NOT NULL)""",
)
_V3_TABLES = (
    # which registered document or copy a reproduction, extract or compilation was made from;
    # one row per source, each restating what its signed derivation event says
    """CREATE TABLE IF NOT EXISTS derivations (
    event_seq INTEGER NOT NULL, position INTEGER NOT NULL, kind TEXT NOT NULL,
    document_id TEXT NOT NULL, copy_id TEXT, source_document_id TEXT NOT NULL,
    source_copy_id TEXT, source_serial TEXT, approver TEXT NOT NULL, approver_role TEXT NOT NULL,
    reason TEXT NOT NULL, PRIMARY KEY (event_seq, position))""",
)
_V4_TABLES = (
    # one row per print run (印制批次): numbered copies printed for the print room before anyone
    # is named; each copy's own row and events say which run it came from and who holds it
    """CREATE TABLE IF NOT EXISTS print_runs (
    run_id TEXT PRIMARY KEY, document_id TEXT NOT NULL REFERENCES documents(id),
    first_serial TEXT NOT NULL, last_serial TEXT NOT NULL, copies INTEGER NOT NULL,
    file TEXT NOT NULL, file_sha256 TEXT NOT NULL, unit TEXT NOT NULL DEFAULT '',
    encrypted INTEGER NOT NULL, printed_at TEXT NOT NULL)""",
)
_INDEXES = (
    "CREATE UNIQUE INDEX IF NOT EXISTS copies_fingerprint ON copies(fingerprint)",
    "CREATE INDEX IF NOT EXISTS events_copy ON events(copy_id)",
    "CREATE INDEX IF NOT EXISTS events_document ON events(document_id)",
)
_V5_INDEXES = (
    # the register's pages with 100,000 copies: paging and counts read this index alone
    "CREATE INDEX IF NOT EXISTS copies_listing ON copies(document_id, serial, status)",
    # search by 份号, recipient id or name (a prefix is a range of these indexes)
    "CREATE INDEX IF NOT EXISTS copies_serial ON copies(serial)",
    "CREATE INDEX IF NOT EXISTS copies_recipient_id ON copies(recipient_id)",
    "CREATE INDEX IF NOT EXISTS copies_recipient_name ON copies(recipient_name)",
)
_ADDED_COLUMNS = {"copies": (("claim", "TEXT"), ("envelope_cert", "TEXT"), ("fingerprint", "INTEGER"))}
"""Columns registers of version 1 gained while the version was not yet kept."""
_TABLES = _V1_TABLES + _V2_TABLES + _V3_TABLES + _V4_TABLES
"""Every table, index and trigger of the current schema but :data:`_INDEXES` and
:data:`_V5_INDEXES`."""


@dataclass(frozen=True)
class Migration:
    """One forward step of the schema: running ``apply`` on a database of ``version - 1``
    (inside the upgrade's transaction) makes it a database of ``version``."""

    version: int
    what: str
    apply: Callable[[sqlite3.Connection], None]


def _migrate_to_1(conn: sqlite3.Connection) -> None:
    for statement in _V1_TABLES:
        conn.execute(statement)
    for table, columns in _ADDED_COLUMNS.items():
        present = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
        for name, kind in columns:
            if name not in present:
                conn.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")


def _migrate_to_2(conn: sqlite3.Connection) -> None:
    for statement in (*_V2_TABLES, *_INDEXES):
        conn.execute(statement)


def _migrate_to_3(conn: sqlite3.Connection) -> None:
    for statement in _V3_TABLES:
        conn.execute(statement)


def _migrate_to_4(conn: sqlite3.Connection) -> None:
    for statement in _V4_TABLES:  # IF NOT EXISTS: idempotent; the events are not touched
        conn.execute(statement)


def _migrate_to_5(conn: sqlite3.Connection) -> None:
    for statement in _V5_INDEXES:
        conn.execute(statement)


MIGRATIONS = (
    Migration(1, "documents, numbered copies and the append-only signed event log", _migrate_to_1),
    Migration(2, "serial floors after a restore, a unique fingerprint index, event indexes",
              _migrate_to_2),
    Migration(3, "derivations: the sources of reproduced copies, extracts and compilations",
              _migrate_to_3),
    Migration(4, "print runs: numbered copies printed for the print room, unassigned until "
              "handed out", _migrate_to_4),
    Migration(5, "indexes for paging and searching the copies", _migrate_to_5),
)
"""The schema as forward steps, in order; a new version appends one (never edits an old one)."""

SCHEMA_VERSION = MIGRATIONS[-1].version
"""The version a register made or upgraded by this code has in ``PRAGMA user_version``."""


def connect(path: Path) -> sqlite3.Connection:
    """Open ``path`` with the register's settings (autocommit, WAL, full sync, foreign keys)."""
    conn = sqlite3.connect(path, timeout=60, isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA busy_timeout = 60000")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def open_database(path: Path) -> sqlite3.Connection:
    """Connect to the register at ``path``, creating it whole or upgrading it first.

    Raises :class:`sqlite3.DatabaseError` for a file that is not a database and
    :class:`RegisterError` for one made by a newer version.
    """
    if not path.exists():
        _create_aside(path)
    conn = connect(path)
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version < SCHEMA_VERSION:
            _upgrade(conn)
        elif version > SCHEMA_VERSION:
            raise RegisterError(f"{path}: the register has schema version {version}, this mijian "
                                f"knows versions up to {SCHEMA_VERSION}; nothing was changed; use "
                                "the newer mijian that wrote it (登记簿版本过新，请使用新版 mijian)")
    except BaseException:
        conn.close()
        raise
    return conn


STALE_SECONDS = 3600
"""Age after which a private file left by a creator that was killed is removed (a creation
takes well under a second)."""


def _create_aside(path: Path) -> None:
    """Build a complete register in a private file, then link it to ``path`` (no clobber)."""
    for old in path.parent.glob(f".{path.name}.*.new*"):  # with its -wal and -shm
        try:
            if time.time() - old.lstat().st_mtime > STALE_SECONDS:
                old.unlink()
        except OSError:
            pass
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.new")
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600))
    try:
        conn = connect(tmp)
        try:
            _upgrade(conn)
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()
        try:
            os.link(tmp, path)  # fails when another process made the register meanwhile
        except FileExistsError:
            pass
        except OSError:  # no hard links on this filesystem: rename, unless one appeared
            if not path.exists():
                os.rename(tmp, path)
    finally:
        for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm"), Path(f"{tmp}-journal")):
            try:
                leftover.unlink()
            except FileNotFoundError:
                pass


def _upgrade(conn: sqlite3.Connection) -> None:
    """Run every migration above the database's version and set ``user_version``, all in one
    write transaction (the version is read again under the write lock: another process may
    have upgraded meanwhile)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version < SCHEMA_VERSION:
            for migration in MIGRATIONS:
                if migration.version > version:
                    migration.apply(conn)
            conn.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)",
                         (str(SCHEMA_VERSION),))
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


@lru_cache(maxsize=1)
def _expected_objects() -> frozenset[tuple[str, str, str | None]]:
    """The schema objects mijian makes: ``(type, name, sql)``, the sql kept for triggers only
    (tables may have gained columns by an upgrade, which changes their text but not their name)."""
    conn = sqlite3.connect(":memory:")
    try:
        for statement in (*_TABLES, *_INDEXES, *_V5_INDEXES):
            conn.execute(statement)
        return frozenset(_objects(conn))
    finally:
        conn.close()


def _objects(conn: sqlite3.Connection) -> set[tuple[str, str, str | None]]:
    rows = conn.execute("SELECT type, name, sql FROM sqlite_master").fetchall()
    return {(kind, name, " ".join((sql or "").replace("IF NOT EXISTS ", "").split())
             if kind == "trigger" else None) for kind, name, sql in rows}


def schema_problem(conn: sqlite3.Connection) -> str | None:
    """One line when the database holds schema objects mijian did not make (a trigger or view
    planted by someone who can write the file: a trigger runs inside the office's own
    transactions) or lacks one it made (the append-only triggers of the event log); else None."""
    actual, expected = _objects(conn), _expected_objects()
    extra = sorted(f"{kind} {name}" for kind, name, _sql in actual - expected)
    missing = sorted(f"{kind} {name}" for kind, name, _sql in expected - actual)
    if not extra and not missing:
        return None
    what = "; ".join(filter(None, [f"holds {', '.join(extra)} that mijian did not make" if extra else "",
                                   f"lacks or has a changed {', '.join(missing)}" if missing else ""]))
    return (f"the register's schema {what} (登记簿结构被改动): someone wrote to the database "
            "file")
