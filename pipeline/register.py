"""The register (登记簿): documents, numbered copies and an append-only event log in SQLite.

``register.db`` lives in ``MIJIAN_HOME``. Every change appends an event whose hash chains to
the previous one and is signed with the office key (Ed25519), so edits, deletions, insertions
and reordering can be detected. Serials are per document, six digits from 000001, allocated
inside an immediate (write-locked) transaction so they are never reused, also across runs and
processes.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator, Protocol

from pipeline.errors import RegisterError

SCHEMA_VERSION = 1
GENESIS = "0" * 64

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY, title TEXT NOT NULL, source_sha256 TEXT NOT NULL, kind TEXT NOT NULL,
    language TEXT NOT NULL, scheme TEXT NOT NULL, grade TEXT NOT NULL, level INTEGER NOT NULL,
    period TEXT, suggested_grade TEXT NOT NULL, suggested_level INTEGER NOT NULL,
    justification TEXT, basis TEXT, rationale TEXT NOT NULL, decided_by TEXT,
    decided_at TEXT NOT NULL, last_serial INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS copies (
    copy_id TEXT PRIMARY KEY, document_id TEXT NOT NULL REFERENCES documents(id),
    serial TEXT NOT NULL, recipient_id TEXT NOT NULL, recipient_name TEXT NOT NULL,
    recipient_unit TEXT NOT NULL DEFAULT '', file TEXT NOT NULL, file_sha256 TEXT NOT NULL,
    sealed_password BLOB, key_id TEXT NOT NULL, issued_at TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'issued', status_at TEXT NOT NULL, claim TEXT, envelope_cert TEXT, fingerprint INTEGER,
    UNIQUE (document_id, serial));
CREATE INDEX IF NOT EXISTS copies_sha ON copies(file_sha256);
CREATE INDEX IF NOT EXISTS copies_recipient ON copies(document_id, recipient_id);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
    document_id TEXT, copy_id TEXT, detail TEXT NOT NULL, prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL, key_id TEXT NOT NULL, signature BLOB NOT NULL);
CREATE TRIGGER IF NOT EXISTS events_no_update BEFORE UPDATE ON events
    BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER IF NOT EXISTS events_no_delete BEFORE DELETE ON events
    BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
"""


class EventSigner(Protocol):
    """What the register needs from the office key."""

    key_id: str

    def sign(self, data: bytes) -> bytes:
        """Ed25519 signature."""
        ...


@dataclass(frozen=True)
class DocumentRecord:
    """A registered document and the decision on its grade (定密)."""

    id: str
    title: str
    source_sha256: str
    kind: str
    language: str
    scheme: str
    grade: str
    level: int
    period: str | None
    suggested_grade: str
    suggested_level: int
    justification: str | None
    basis: str | None
    rationale: tuple[str, ...]
    decided_by: str | None
    decided_at: str
    last_serial: int = 0


@dataclass(frozen=True)
class CopyRecord:
    """One numbered copy and where it is in its life."""

    copy_id: str
    document_id: str
    serial: str
    recipient_id: str
    recipient_name: str
    recipient_unit: str
    file: str
    file_sha256: str
    key_id: str
    issued_at: str
    status: str
    status_at: str
    sealed_password: bytes | None = None
    claim: str | None = None
    envelope_cert: str | None = None
    fingerprint: int | None = None

    def public(self) -> dict:
        """The copy as a JSON-ready dict, without the sealed password, claim or certificate."""
        return {k: v for k, v in self.__dict__.items()
                if k not in ("sealed_password", "claim", "envelope_cert", "fingerprint")}


def utc_now() -> str:
    """The current UTC time as ISO 8601 with seconds."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def _canonical(row: dict) -> bytes:
    return json.dumps(row, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def event_hash(prev_hash: str, seq: int, at: str, actor: str, action: str,
               document_id: str | None, copy_id: str | None, detail: str) -> str:
    """The chained hash of one event."""
    body = _canonical({"prev": prev_hash, "seq": seq, "at": at, "actor": actor, "action": action,
                       "document_id": document_id, "copy_id": copy_id, "detail": detail})
    return hashlib.sha256(body).hexdigest()


class Register:
    """The SQLite register. Open with :meth:`open`; use as a context manager to close."""

    def __init__(self, conn: sqlite3.Connection, path: Path, clock: Callable[[], str] = utc_now):
        self.conn = conn
        self.path = path
        self.clock = clock

    @classmethod
    def open(cls, home: Path, clock: Callable[[], str] = utc_now) -> "Register":
        """Open (creating on first use) ``home/register.db``."""
        home = Path(home)
        path = home / "register.db"
        try:
            home.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(path, timeout=60, isolation_level=None)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA busy_timeout = 60000")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.executescript(_SCHEMA)
            _migrate(conn)
            conn.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        except sqlite3.DatabaseError as exc:
            raise RegisterError(f"{path}: the register cannot be opened ({exc}); "
                                "restore it from the latest backup") from None
        try:
            path.chmod(0o600)
        except OSError:
            pass
        return cls(conn, path, clock)

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()

    def __enter__(self) -> "Register":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transactions -------------------------------------------------------------------
    def transaction(self) -> "_Txn":
        """A write-locked transaction (BEGIN IMMEDIATE); commits on success, rolls back on error."""
        return _Txn(self.conn)

    # -- documents ----------------------------------------------------------------------
    def get_document(self, document_id: str) -> DocumentRecord | None:
        """The document with this id, or None."""
        row = self.conn.execute("SELECT * FROM documents WHERE id = ?", (document_id,)).fetchone()
        return _document(row) if row else None

    def add_document(self, record: DocumentRecord, signer: EventSigner, actor: str) -> None:
        """Register a document and its decision (inside the caller's transaction)."""
        self.conn.execute(
            "INSERT INTO documents VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (record.id, record.title, record.source_sha256, record.kind, record.language,
             record.scheme, record.grade, record.level, record.period, record.suggested_grade,
             record.suggested_level, record.justification, record.basis,
             json.dumps(list(record.rationale), ensure_ascii=False), record.decided_by,
             record.decided_at, 0))
        detail = {"grade": record.grade, "level": record.level, "period": record.period,
                  "scheme": record.scheme, "suggested_grade": record.suggested_grade,
                  "justification": record.justification, "basis": record.basis,
                  "source_sha256": record.source_sha256}
        self.append_event(signer, actor, "decided", record.id, None, detail)

    def next_serial(self, document_id: str) -> str:
        """Reserve the next serial of a document (inside the caller's transaction)."""
        cur = self.conn.execute(
            "UPDATE documents SET last_serial = last_serial + 1 WHERE id = ? RETURNING last_serial",
            (document_id,))
        row = cur.fetchone()
        if row is None:
            raise RegisterError(f"document {document_id} is not in the register; issue it first")
        if row[0] > 999_999:
            raise RegisterError(f"document {document_id} has used all 999999 serials")
        return f"{row[0]:06d}"

    # -- copies -------------------------------------------------------------------------
    def add_copy(self, record: CopyRecord, signer: EventSigner, actor: str) -> None:
        """Record an issued copy and its event (inside the caller's transaction)."""
        self.conn.execute(
            "INSERT INTO copies (copy_id, document_id, serial, recipient_id, recipient_name,"
            " recipient_unit, file, file_sha256, sealed_password, key_id, issued_at, status,"
            " status_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (record.copy_id, record.document_id, record.serial, record.recipient_id,
             record.recipient_name, record.recipient_unit, record.file, record.file_sha256,
             record.sealed_password, record.key_id, record.issued_at, record.status,
             record.status_at))
        detail = {"serial": record.serial, "recipient_id": record.recipient_id,
                  "recipient_name": record.recipient_name, "file_sha256": record.file_sha256}
        self.append_event(signer, actor, "issued", record.document_id, record.copy_id, detail)

    def reserve_copy(self, record: CopyRecord, signer: EventSigner, actor: str, detail: dict) -> None:
        """Record a copy as ``pending`` with its serial and sealed password, and its
        ``reserved`` event (inside the caller's transaction). The file does not exist yet."""
        self.conn.execute(
            "INSERT INTO copies (copy_id, document_id, serial, recipient_id, recipient_name,"
            " recipient_unit, file, file_sha256, sealed_password, key_id, issued_at, status,"
            " status_at, claim, envelope_cert, fingerprint)"
            " VALUES (?,?,?,?,?,?,?,'',?,?,?,'pending',?,?,?,?)",
            (record.copy_id, record.document_id, record.serial, record.recipient_id,
             record.recipient_name, record.recipient_unit, record.file, record.sealed_password,
             record.key_id, record.issued_at, record.status_at, record.claim, record.envelope_cert,
             record.fingerprint))
        self.append_event(signer, actor, "reserved", record.document_id, record.copy_id,
                          {"serial": record.serial, "recipient_id": record.recipient_id,
                           "recipient_name": record.recipient_name, **detail})

    def finalize_copy(self, copy_id: str, file_sha256: str, signer: EventSigner, actor: str) -> CopyRecord:
        """Turn a ``pending`` copy into an ``issued`` one with its file's SHA-256, and append the
        ``issued`` event (inside the caller's transaction)."""
        now = self.clock()
        cur = self.conn.execute(
            "UPDATE copies SET status = 'issued', file_sha256 = ?, issued_at = ?, status_at = ?,"
            " claim = NULL WHERE copy_id = ? AND status = 'pending'", (file_sha256, now, now, copy_id))
        if cur.rowcount != 1:
            raise RegisterError(f"copy {copy_id} is not pending; it was finished or changed by "
                                "another process; run the command again")
        record = self.get_copy(copy_id)
        assert record is not None
        self.append_event(signer, actor, "issued", record.document_id, copy_id,
                          {"serial": record.serial, "recipient_id": record.recipient_id,
                           "recipient_name": record.recipient_name, "file_sha256": file_sha256})
        return record

    def next_fingerprint(self) -> int:
        """Reserve a fresh fingerprint number for a copy (inside the caller's transaction).

        The page fingerprint carries this short number instead of the 60-bit copy id. Numbers
        are random and sparse among 2**32, so a damaged or mixed decode that happens to pass
        the keyed check is unlikely to land on any registered number."""
        import secrets

        while True:
            number = 1 + secrets.randbelow(2**32 - 1)
            if self.conn.execute("SELECT 1 FROM copies WHERE fingerprint = ?", (number,)).fetchone() is None:
                return number

    def copy_by_fingerprint(self, number: int) -> CopyRecord | None:
        """The copy whose page fingerprint carries ``number``, or None."""
        row = self.conn.execute("SELECT * FROM copies WHERE fingerprint = ?", (number,)).fetchone()
        return _copy(row) if row else None

    def pending_copies(self, document_id: str) -> list[CopyRecord]:
        """Copies of a document reserved but not yet issued (an interrupted run)."""
        rows = self.conn.execute("SELECT * FROM copies WHERE document_id = ? AND status = 'pending' "
                                 "ORDER BY serial", (document_id,))
        return [_copy(r) for r in rows]

    def reclaim(self, copy_id: str, old_claim: str | None, new_claim: str) -> bool:
        """Take over an abandoned pending copy; False when another process got there first."""
        cur = self.conn.execute(
            "UPDATE copies SET claim = ? WHERE copy_id = ? AND status = 'pending' AND claim IS ?",
            (new_claim, copy_id, old_claim))
        return cur.rowcount == 1

    def get_copy(self, copy_id: str) -> CopyRecord | None:
        """The copy with this id, or None."""
        row = self.conn.execute("SELECT * FROM copies WHERE copy_id = ?", (copy_id,)).fetchone()
        return _copy(row) if row else None

    def copies_by_sha256(self, sha256: str) -> list[CopyRecord]:
        """Copies whose issued file has this SHA-256."""
        rows = self.conn.execute("SELECT * FROM copies WHERE file_sha256 = ?", (sha256,))
        return [_copy(r) for r in rows]

    def copy_for_recipient(self, document_id: str, recipient_id: str,
                           include_pending: bool = False) -> CopyRecord | None:
        """The live copy a recipient already holds of a document (or has reserved), or None."""
        excluded = "('returned', 'destroyed', 'lost')" if include_pending else \
            "('returned', 'destroyed', 'lost', 'pending')"
        row = self.conn.execute(
            "SELECT * FROM copies WHERE document_id = ? AND recipient_id = ? "
            f"AND status NOT IN {excluded} ORDER BY serial LIMIT 1",
            (document_id, recipient_id)).fetchone()
        return _copy(row) if row else None

    def list_copies(self, document_id: str | None = None, outstanding: bool = False) -> list[CopyRecord]:
        """Copies, by document then serial; ``outstanding`` keeps those neither returned nor destroyed."""
        sql = "SELECT * FROM copies WHERE status != 'pending'"
        args: list[object] = []
        if document_id:
            sql += " AND document_id = ?"
            args.append(document_id)
        if outstanding:
            sql += " AND status NOT IN ('returned', 'destroyed')"
        sql += " ORDER BY document_id, serial"
        return [_copy(r) for r in self.conn.execute(sql, args)]

    def count_copies(self) -> int:
        """How many copies the register holds (for false-match figures)."""
        return int(self.conn.execute("SELECT COUNT(*) FROM copies").fetchone()[0])

    # -- events -------------------------------------------------------------------------
    def append_event(self, signer: EventSigner, actor: str, action: str,
                     document_id: str | None, copy_id: str | None, detail: dict) -> int:
        """Append one chained, signed event (inside the caller's transaction)."""
        last = self.conn.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
        seq = (last["seq"] + 1) if last else 1
        prev = last["hash"] if last else GENESIS
        at = self.clock()
        detail_text = json.dumps(detail, ensure_ascii=False, sort_keys=True)
        digest = event_hash(prev, seq, at, actor, action, document_id, copy_id, detail_text)
        self.conn.execute(
            "INSERT INTO events VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (seq, at, actor, action, document_id, copy_id, detail_text, prev, digest,
             signer.key_id, signer.sign(bytes.fromhex(digest))))
        return seq

    def events(self, copy_id: str | None = None) -> Iterator[sqlite3.Row]:
        """Events in order, optionally for one copy."""
        if copy_id:
            return iter(self.conn.execute("SELECT * FROM events WHERE copy_id = ? ORDER BY seq", (copy_id,)))
        return iter(self.conn.execute("SELECT * FROM events ORDER BY seq"))

    # -- voided copies: a reserved serial whose copy will never be made ------------------
    def void_copy(self, copy_id: str, signer: EventSigner, actor: str, detail: dict) -> CopyRecord:
        """Turn a ``pending`` copy into a ``voided`` one and append its signed ``voided`` event
        (inside the caller's transaction). The row and its serial stay, so the serial is
        accounted for and never handed out again; the sealed password is dropped."""
        now = self.clock()
        cur = self.conn.execute(
            "UPDATE copies SET status = 'voided', status_at = ?, claim = NULL, sealed_password = NULL"
            " WHERE copy_id = ? AND status = 'pending'", (now, copy_id))
        if cur.rowcount != 1:
            raise RegisterError(f"copy {copy_id} is not pending; it was finished or changed by "
                                "another process; nothing was voided; check 'mijian register show'")
        record = self.get_copy(copy_id)
        assert record is not None
        self.append_event(signer, actor, "voided", record.document_id, copy_id,
                          {"serial": record.serial, "from": "pending",
                           "recipient_id": record.recipient_id, **detail})
        return record

    def held_copy(self, document_id: str, recipient_id: str) -> CopyRecord | None:
        """The copy a recipient holds or is being issued of a document (pending included,
        voided, returned, destroyed and lost copies not), or None."""
        row = self.conn.execute(
            "SELECT * FROM copies WHERE document_id = ? AND recipient_id = ? AND status NOT IN "
            "('returned', 'destroyed', 'lost', 'voided') ORDER BY serial LIMIT 1",
            (document_id, recipient_id)).fetchone()
        return _copy(row) if row else None


class _Txn:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise RegisterError(f"the register is busy or locked ({exc}); try again") from None
        return self.conn

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            self.conn.execute("COMMIT")
        else:
            self.conn.execute("ROLLBACK")


_ADDED_COLUMNS = {"copies": (("claim", "TEXT"), ("envelope_cert", "TEXT"), ("fingerprint", "INTEGER"))}


def _migrate(conn: sqlite3.Connection) -> None:
    """Add the columns later versions introduced to a register made by an earlier one."""
    for table, columns in _ADDED_COLUMNS.items():
        present = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
        for name, kind in columns:
            if name not in present:
                conn.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")
    conn.execute("CREATE UNIQUE INDEX IF NOT EXISTS copies_fingerprint ON copies(fingerprint)")


def _document(row: sqlite3.Row) -> DocumentRecord:
    data = dict(row)
    data["rationale"] = tuple(json.loads(data["rationale"]))
    return DocumentRecord(**data)


def _copy(row: sqlite3.Row) -> CopyRecord:
    return CopyRecord(**dict(row))
