"""The register (登记簿): documents, numbered copies and an append-only event log in SQLite.

``register.db`` lives in ``MIJIAN_HOME``. Every change appends an event whose hash chains to
the previous one and is signed with the office key (Ed25519), so edits, deletions, insertions
and reordering can be detected. Serials are per document, six digits from 000001, allocated
inside an immediate (write-locked) transaction so they are never reused, also across runs and
processes.

The pieces live in small modules: row values and the event hash (``register_records``), the
schema (``register_schema``), the facts each event states (``register_facts``), the check of
a row against them (``register_check``), the lookups and raw reads (``register_reads``) and
the signed head (``register_head``). No other module holds SQL or the connection: callers use
the named methods, listed by :class:`pipeline.register_store.RegisterStore`.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from pathlib import Path
from collections.abc import Callable
from typing import Any

from mijian.pipeline.errors import RegisterError
from mijian.pipeline.register_records import (CopyRecord, CopyStatus, DocumentRecord, EventRecord,
                                              EventSigner, event_hash, utc_now)
from mijian.pipeline.register_facts import copy_facts, document_facts
from mijian.pipeline.register_head import (GENESIS, HEAD_FILE, Freshness, Head, HeadUnreadable, advance_head,
                                           head_lock, read_head, serials_in, write_head)
from mijian.pipeline.register_reads import (DERIVATION_COLUMNS, RegisterReads, RegisterUnreadable,
                                            copy_record)
from mijian.pipeline.register_schema import SCHEMA_VERSION, open_database, schema_problem

__all__ = ["GENESIS", "SCHEMA_VERSION", "CopyRecord", "CopyStatus", "DocumentRecord", "EventRecord",
           "EventSigner", "Register", "RegisterUnreadable", "event_hash", "utc_now"]


class Register(RegisterReads):
    """The SQLite register. Open with :meth:`open`; use as a context manager to close.

    Lookups return only rows their signed events bear out (:mod:`pipeline.register_check`);
    an edited row raises :class:`~pipeline.register_check.RowRefused`. Every committed
    transaction that appended events moves the signed head forward
    (:mod:`pipeline.register_head`).
    """

    def __init__(self, conn: sqlite3.Connection, path: Path, clock: Callable[[], str] = utc_now):
        self._conn = conn
        self.path = path
        self.home = path.parent
        self.clock = clock
        self._signer: EventSigner | None = None
        self._key_cache: list[Any] | None = None
        self._key_stamp: int | None = None

    @classmethod
    def open(cls, home: Path, clock: Callable[[], str] = utc_now) -> Register:
        """Open (creating on first use, whole or not at all) ``home/register.db``. Callers
        outside the store use :func:`pipeline.register_store.open_register`, which chooses
        the store."""
        home = Path(home)
        path = home / "register.db"
        try:
            home.mkdir(parents=True, exist_ok=True)
            conn = open_database(path)
        except sqlite3.DatabaseError as exc:
            raise RegisterError(f"{path}: the register cannot be opened ({exc}); "
                                "restore it from the latest backup") from None
        try:
            path.chmod(0o600)
        except OSError:
            pass
        return cls(conn, path, clock)

    def close(self) -> None:
        """Close the database."""
        self._conn.close()

    def __enter__(self) -> Register:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- keys, head ---------------------------------------------------------------------
    def require_current(self) -> Freshness:
        """Refuse (exit 4) while the register is older than its signed head; else its state."""
        state = self.freshness()
        if not state.ok:
            raise RegisterError(f"{state.problem}; nothing was issued")
        return state

    def _after_commit(self) -> None:
        """Move the head on after a commit. A head that cannot be written (disk full) stays
        behind the log, which is safe (only a head ahead of the log raises the alarm) and is
        caught up by the next commit; the commit itself must not be reported as failed."""
        signer, self._signer = self._signer, None
        if signer is not None:
            try:
                advance_head(self.home, self._conn, signer, self.verifiers())
            except OSError:
                pass

    # -- transactions -------------------------------------------------------------------
    def transaction(self) -> _Txn:
        """A write-locked transaction (BEGIN IMMEDIATE); commits on success, rolls back on error.
        After a commit that appended events, the signed head is moved forward."""
        return _Txn(self)

    # -- documents ----------------------------------------------------------------------
    def add_document(self, record: DocumentRecord, signer: EventSigner, actor: str,
                     scope: str | None = None) -> None:
        """Register a document and its decision (inside the caller's transaction). Its serials
        start above any floor an acknowledged restore set for it. ``scope`` (知悉范围) has no
        column: it is kept in the signed ``decided`` event, where later changes state theirs."""
        floor = self._conn.execute("SELECT floor FROM serial_floors WHERE document_id = ?",
                                  (record.id,)).fetchone()
        self._conn.execute(
            "INSERT INTO documents VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (record.id, record.title, record.source_sha256, record.kind, record.language,
             record.scheme, record.grade, record.level, record.period, record.suggested_grade,
             record.suggested_level, record.justification, record.basis,
             json.dumps(list(record.rationale), ensure_ascii=False), record.decided_by,
             record.decided_at, floor[0] if floor else 0))
        detail = {"grade": record.grade, "level": record.level, "period": record.period,
                  "scheme": record.scheme, "suggested_grade": record.suggested_grade,
                  "justification": record.justification, "basis": record.basis,
                  "source_sha256": record.source_sha256, "facts": document_facts(record.__dict__)}
        if scope:
            detail["scope"] = scope
        self.append_event(signer, actor, "decided", record.id, None, detail)

    def next_serial(self, document_id: str) -> str:
        """Reserve the next serial of a document (inside the caller's transaction).

        Refused while the register is older than its signed head, and when the counter is
        below the highest serial the head knows was given out (a 份号 is never handed out twice).
        """
        state = self.require_current()
        cur = self._conn.execute(
            "UPDATE documents SET last_serial = last_serial + 1 WHERE id = ? RETURNING last_serial",
            (document_id,))
        row = cur.fetchone()
        if row is None:
            raise RegisterError(f"document {document_id} is not in the register; issue it first")
        given = state.head.serials.get(document_id, 0) if state.head else 0
        if row[0] <= given:
            raise RegisterError(f"document {document_id} would get serial {row[0]:06d}, but the "
                                f"signed head records serials up to {given:06d} as given out: the "
                                "serial counter was lowered; run 'mijian register verify' "
                                "(份号计数被改小)")
        if row[0] > 999_999:
            raise RegisterError(f"document {document_id} has used all 999999 serials")
        return f"{row[0]:06d}"

    # -- copies -------------------------------------------------------------------------
    def add_copy(self, record: CopyRecord, signer: EventSigner, actor: str) -> None:
        """Record an issued copy and its event (inside the caller's transaction)."""
        self._conn.execute(
            "INSERT INTO copies (copy_id, document_id, serial, recipient_id, recipient_name,"
            " recipient_unit, file, file_sha256, sealed_password, key_id, issued_at, status,"
            " status_at, envelope_cert, fingerprint) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (record.copy_id, record.document_id, record.serial, record.recipient_id,
             record.recipient_name, record.recipient_unit, record.file, record.file_sha256,
             record.sealed_password, record.key_id, record.issued_at, record.status,
             record.status_at, record.envelope_cert, record.fingerprint))
        detail = {"serial": record.serial, "recipient_id": record.recipient_id,
                  "recipient_name": record.recipient_name, "file_sha256": record.file_sha256,
                  "facts": copy_facts(record.__dict__)}
        self.append_event(signer, actor, CopyStatus.ISSUED, record.document_id, record.copy_id, detail)

    def reserve_copy(self, record: CopyRecord, signer: EventSigner, actor: str, detail: dict[str, Any]) -> None:
        """Record a copy as ``pending`` with its serial and sealed password, and its
        ``reserved`` event stating every fact of the row (inside the caller's transaction).
        The file does not exist yet."""
        self._conn.execute(
            "INSERT INTO copies (copy_id, document_id, serial, recipient_id, recipient_name,"
            " recipient_unit, file, file_sha256, sealed_password, key_id, issued_at, status,"
            " status_at, claim, envelope_cert, fingerprint)"
            " VALUES (?,?,?,?,?,?,?,'',?,?,?,?,?,?,?,?)",
            (record.copy_id, record.document_id, record.serial, record.recipient_id,
             record.recipient_name, record.recipient_unit, record.file, record.sealed_password,
             record.key_id, record.issued_at, CopyStatus.PENDING, record.status_at, record.claim, record.envelope_cert,
             record.fingerprint))
        self.append_event(signer, actor, "reserved", record.document_id, record.copy_id,
                          {**detail, "serial": record.serial, "recipient_id": record.recipient_id,
                           "recipient_name": record.recipient_name,
                           "facts": copy_facts(record.__dict__, pending=True)})

    def finalize_copy(self, copy_id: str, file_sha256: str, signer: EventSigner, actor: str) -> CopyRecord:
        """Turn a ``pending`` copy into an ``issued`` one with its file's SHA-256, and append the
        ``issued`` event stating every fact of the row (inside the caller's transaction)."""
        now = self.clock()
        cur = self._conn.execute(
            "UPDATE copies SET status = ?, file_sha256 = ?, issued_at = ?, status_at = ?,"
            " claim = NULL WHERE copy_id = ? AND status = ?",
            (CopyStatus.ISSUED, file_sha256, now, now, copy_id, CopyStatus.PENDING))
        if cur.rowcount != 1:
            raise RegisterError(f"copy {copy_id} is not pending; it was finished or changed by "
                                "another process; run the command again")
        row = self._conn.execute("SELECT * FROM copies WHERE copy_id = ?", (copy_id,)).fetchone()
        record = copy_record(row)
        self.append_event(signer, actor, CopyStatus.ISSUED, record.document_id, copy_id,
                          {"serial": record.serial, "recipient_id": record.recipient_id,
                           "recipient_name": record.recipient_name, "file_sha256": file_sha256,
                           "facts": copy_facts(row)})
        return self._checked(row)  # the row now agrees with the event just written

    def next_fingerprint(self) -> int:
        """Reserve a fresh fingerprint number for a copy (inside the caller's transaction).

        The page fingerprint carries this short number instead of the 60-bit copy id. Numbers
        are random and sparse among 2**32, so a damaged or mixed decode that happens to pass
        the keyed check is unlikely to land on any registered number."""
        import secrets

        while True:
            number = 1 + secrets.randbelow(2**32 - 1)
            if not self.fingerprint_taken(number):
                return number

    def reclaim(self, copy_id: str, old_claim: str | None, new_claim: str) -> bool:
        """Take over an abandoned pending copy; False when another process got there first."""
        cur = self._conn.execute(
            "UPDATE copies SET claim = ? WHERE copy_id = ? AND status = ? AND claim IS ?",
            (new_claim, copy_id, CopyStatus.PENDING, old_claim))
        return cur.rowcount == 1

    def set_status(self, copy_id: str, status: CopyStatus, signer: EventSigner, actor: str,
                   detail: dict[str, Any]) -> CopyRecord:
        """Move a copy to ``status`` and append the event of that name stating ``detail``
        (inside the caller's transaction; the caller checked the step is allowed). Returns the
        changed copy, checked against its events."""
        record = self.get_copy(copy_id)
        if record is None:
            raise RegisterError(f"copy '{copy_id}' is not in the register; check the copy id in "
                                "manifest.json (登记簿中没有此份)")
        self._conn.execute("UPDATE copies SET status = ?, status_at = ? WHERE copy_id = ?",
                           (status, self.clock(), copy_id))
        self.append_event(signer, actor, status, record.document_id, copy_id, detail)
        updated = self.get_copy(copy_id)
        if updated is None:  # cannot happen inside the write lock; never return a stale record
            raise RegisterError(f"copy '{copy_id}' vanished from the register while it was "
                                "changed; run 'mijian register verify'")
        return updated

    def add_derivations(self, rows: list[dict[str, Any]]) -> None:
        """Record the sources of one derivation (inside the caller's transaction, beside the
        signed event that states the same rows)."""
        names = ", ".join(DERIVATION_COLUMNS)
        marks = ", ".join(f":{name}" for name in DERIVATION_COLUMNS)
        for row in rows:
            self._conn.execute(f"INSERT INTO derivations ({names}) VALUES ({marks})", row)

    # -- events -------------------------------------------------------------------------
    def set_marking(self, document_id: str, grade: str, level: int, period: str | None) -> None:
        """Change a document's registered grade, level and period (inside the caller's
        transaction, beside the signed event that states the new facts)."""
        self._conn.execute("UPDATE documents SET grade = ?, level = ?, period = ? WHERE id = ?",
                           (grade, level, period, document_id))

    def append_event(self, signer: EventSigner, actor: str, action: str,
                     document_id: str | None, copy_id: str | None, detail: dict[str, Any],
                     advance_head: bool = True) -> int:
        """Append one chained, signed event (inside the caller's transaction). With
        ``advance_head`` False the commit leaves the signed head where it is (the caller writes
        it itself, as an acknowledged restore re-anchors it).

        The first event of a register is preceded by a signed head at sequence 0, written
        before the event can commit, so a register with events never lacks its head unless
        the head was removed."""
        last = self.last_event()
        seq = (last[0] + 1) if last else 1
        prev = last[1] if last else GENESIS
        if last is None and not (self.home / HEAD_FILE).exists():
            write_head(self.home, Head(0, GENESIS, {}), signer)
        at = self.clock()
        detail_text = json.dumps(detail, ensure_ascii=False, sort_keys=True)
        digest = event_hash(prev, seq, at, actor, action, document_id, copy_id, detail_text)
        self._conn.execute(
            "INSERT INTO events VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (seq, at, actor, action, document_id, copy_id, detail_text, prev, digest,
             signer.key_id, signer.sign(bytes.fromhex(digest))))
        if advance_head:
            self._signer = signer
        return seq

    # -- restores ------------------------------------------------------------------------
    def raise_serial_floors(self, floors: dict[str, int]) -> list[tuple[str, int, int]]:
        """Raise each document's serial counter to its floor and record the floor (inside the
        caller's transaction), so serials given out before a restored backup are never given
        again. Returns the gaps ``(document_id, first, last)`` the restore lost from the tables."""
        gaps = []
        for document_id, floor in sorted(floors.items()):
            row = self._conn.execute("SELECT last_serial FROM documents WHERE id = ?",
                                     (document_id,)).fetchone()
            held = row[0] if row else 0
            if floor > held:
                gaps.append((document_id, held + 1, floor))
            self._conn.execute("UPDATE documents SET last_serial = MAX(last_serial, ?) WHERE id = ?",
                               (floor, document_id))
            self._conn.execute("INSERT INTO serial_floors VALUES (?, ?) ON CONFLICT(document_id) DO "
                               "UPDATE SET floor = MAX(floor, excluded.floor)", (document_id, floor))
        return gaps

    def reanchor_head(self, floors: dict[str, int], signer: EventSigner) -> None:
        """Write a signed head at the end of the log, with every serial the log, the old head
        or ``floors`` know of (after an acknowledged restore)."""
        with head_lock(self.home):
            try:
                old = read_head(self.home, self.verifiers())
            except HeadUnreadable:  # an unreadable head contributes nothing
                old = None
            start = dict(floors)
            for document_id, serial in (old.serials.items() if old else ()):
                start[document_id] = max(start.get(document_id, 0), serial)
            rows = self._conn.execute("SELECT seq, hash, prev_hash, action, document_id, detail "
                                      "FROM events ORDER BY seq").fetchall()
            tip = (rows[-1]["seq"], rows[-1]["hash"]) if rows else (0, "0" * 64)
            write_head(self.home, Head(tip[0], tip[1], serials_in(rows, start)), signer)

    # -- voided copies: a reserved serial whose copy will never be made ------------------
    def void_copy(self, copy_id: str, signer: EventSigner, actor: str, detail: dict[str, Any]) -> CopyRecord:
        """Turn a ``pending`` copy into a ``voided`` one and append its signed ``voided`` event
        (inside the caller's transaction). The row and its serial stay, so the serial is
        accounted for and never handed out again; the sealed password is dropped."""
        now = self.clock()
        record = self.get_copy(copy_id)  # checked against its events before it changes
        cur = self._conn.execute(
            "UPDATE copies SET status = ?, status_at = ?, claim = NULL, sealed_password = NULL"
            " WHERE copy_id = ? AND status = ?", (CopyStatus.VOIDED, now, copy_id, CopyStatus.PENDING))
        if record is None or cur.rowcount != 1:
            raise RegisterError(f"copy {copy_id} is not pending; it was finished or changed by "
                                "another process; nothing was voided; check 'mijian register show'")
        self.append_event(signer, actor, CopyStatus.VOIDED, record.document_id, copy_id,
                          {"serial": record.serial, "from": CopyStatus.PENDING,
                           "recipient_id": record.recipient_id, **detail,
                           "facts": {"sealed_password": None}})
        return dataclasses.replace(record, status=CopyStatus.VOIDED, status_at=now, claim=None,
                                   sealed_password=None)

    # -- print runs: copies printed for the print room, assigned at hand-out -------------
    def add_print_run(self, run: dict[str, Any]) -> None:
        """Record one print run's row (inside the caller's transaction, beside its signed
        ``printed`` event, which states the same values)."""
        self._conn.execute(
            "INSERT INTO print_runs (run_id, document_id, first_serial, last_serial, copies, file,"
            " file_sha256, unit, encrypted, printed_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (run["run"], run["document_id"], run["first_serial"], run["last_serial"],
             run["copies"], run["file"], run["file_sha256"], run["unit"], int(run["encrypted"]),
             run["printed_at"]))

    def assign_copy(self, copy_id: str, recipient: tuple[str, str, str], signer: EventSigner,
                    actor: str, detail: dict[str, Any]) -> CopyRecord:
        """Name the holder ``(id, name, unit)`` of an ``unassigned`` copy, which becomes
        ``signed``, and append the ``signed`` event restating the row's facts (inside the
        caller's transaction), so an edit of the holder is caught like any other edit."""
        cur = self._conn.execute(
            "UPDATE copies SET recipient_id = ?, recipient_name = ?, recipient_unit = ?,"
            " status = ?, status_at = ? WHERE copy_id = ? AND status = ?",
            (*recipient, CopyStatus.SIGNED, self.clock(), copy_id, CopyStatus.UNASSIGNED))
        if cur.rowcount != 1:
            raise RegisterError(f"copy {copy_id} is not unassigned; it was handed out or changed "
                                "by another process; nothing was changed; check 'mijian register "
                                "show' (该份已非未分发状态)")
        row = self._conn.execute("SELECT * FROM copies WHERE copy_id = ?", (copy_id,)).fetchone()
        self.append_event(signer, actor, CopyStatus.SIGNED, row["document_id"], copy_id,
                          {**detail, "facts": copy_facts(row)})
        return self._checked(row)


class _Txn:
    def __init__(self, register: Register) -> None:
        self.register = register
        self._conn = register._conn

    def __enter__(self) -> None:
        try:
            self._conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise RegisterError(f"the register is busy or locked ({exc}); try again") from None
        problem = schema_problem(self._conn)  # a planted trigger would run inside this transaction
        if problem:
            self._conn.execute("ROLLBACK")
            raise RegisterError(f"{problem}; nothing was written; run 'mijian register verify' "
                                "and restore the latest backup")
        self.register._signer = None

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is not None:
            self._conn.execute("ROLLBACK")
            self.register._signer = None
            return
        self._conn.execute("COMMIT")
        self.register._after_commit()
