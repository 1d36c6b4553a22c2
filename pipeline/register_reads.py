"""The register's read side: every query callers make, as named methods over the SQLite file.

:class:`RegisterReads` is a base class of :class:`pipeline.register.Register`; it holds the
lookups (each row checked against its signed events, see :mod:`pipeline.register_check`), the
event log, and the raw reads the full verification (:mod:`pipeline.audit`) needs. Callers never
see SQL or the connection: a second store (another database) implements the same methods
(:class:`pipeline.register_store.RegisterStore`).
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import fields
from pathlib import Path
from typing import Any

from mijian.pipeline.errors import RegisterError
from mijian.pipeline.register_check import authentic_events, check_copy_row, check_document_row
from mijian.pipeline.register_head import Freshness, freshness
from mijian.pipeline.register_paging import copy_filter, walk
from mijian.pipeline.register_records import (GONE, CopyRecord, CopyStatus, DocumentRecord,
                                              EventRecord)
from mijian.pipeline.register_schema import schema_problem


_EVENT_COLUMNS = tuple(field.name for field in fields(EventRecord))
_COUNTED: dict[str, tuple[tuple[str, int, str], int, tuple[tuple[str, int, int], ...]]] = {}
"""The last :meth:`RegisterReads.copy_counts` of each register file, under the seq and chained
hash of the log's last event then. A copy row changes status only in the transaction that
appends its signed event, so while the last event is the same the counts are (the hash tells
a log continued differently after a restore). A row edited by hand without an event is seen
at the next event: the counts are of the rows as stored, and ``register verify`` checks them.
Counting walks the whole listing index (2.7 million SQLite instructions with 100,000 copies)."""


class RegisterUnreadable(RegisterError):
    """The database file could not be read (damaged or not a database); the message says why."""


class RegisterReads:
    """Lookups, the event log and the raw rows of the register (see the module docstring)."""

    _conn: sqlite3.Connection
    home: Path
    path: Path
    _key_cache: list[Any] | None
    _key_stamp: int | None

    # -- keys, head ---------------------------------------------------------------------
    def verifiers(self) -> list[Any]:
        """The office keys in ``home/keys``, read again whenever that folder changed (a key
        was added by rotation, also by another process)."""
        try:
            stamp: int | None = os.stat(self.home / "keys").st_mtime_ns
        except OSError:
            stamp = None
        if self._key_cache is None or stamp != self._key_stamp:
            from mijian.pipeline.crypto import KeyRing

            self._key_cache, self._key_stamp = list(KeyRing(self.home).keys()), stamp
        return self._key_cache

    def freshness(self) -> Freshness:
        """Whether the log is as new as its signed head (see :func:`register_head.freshness`)."""
        return freshness(self.home, self._conn, self.verifiers())

    # -- documents ----------------------------------------------------------------------
    def get_document(self, document_id: str) -> DocumentRecord | None:
        """The document with this id, or None; refuses a row its events do not bear out."""
        row = self._conn.execute("SELECT * FROM documents WHERE id = ?", (document_id,)).fetchone()
        if row is None:
            return None
        check_document_row(self._conn, self.verifiers(), row)
        return document_record(row)

    # -- copies -------------------------------------------------------------------------
    def _checked(self, row: sqlite3.Row) -> CopyRecord:
        check_copy_row(self._conn, self.verifiers(), dict(row))  # a Row is no Mapping to mypy
        return copy_record(row)

    def _select(self, sql: str, args: tuple[Any, ...] | list[Any] = ()) -> list[CopyRecord]:
        """The rows of ``sql``, each checked against its events in the same snapshot: read apart,
        a run committing a copy's ``issued`` event and row between the two reads made a sound
        row look edited (seen with 20 clerks issuing one document at once)."""
        with self._snapshot():  # inside the caller's transaction: one snapshot already
            return [self._checked(r) for r in self._conn.execute(sql, args).fetchall()]

    def get_copy(self, copy_id: str) -> CopyRecord | None:
        """The copy with this id, or None; refuses a row its events do not bear out."""
        found = self._select("SELECT * FROM copies WHERE copy_id = ?", (copy_id,))
        return found[0] if found else None

    def copy_by_fingerprint(self, number: int) -> CopyRecord | None:
        """The copy whose page fingerprint carries ``number``, or None; refuses an edited row."""
        found = self._select("SELECT * FROM copies WHERE fingerprint = ?", (number,))
        return found[0] if found else None

    def fingerprint_taken(self, number: int) -> bool:
        """True when a copy already carries fingerprint ``number``."""
        return self._conn.execute("SELECT 1 FROM copies WHERE fingerprint = ?",
                                  (number,)).fetchone() is not None

    def pending_copies(self, document_id: str, kind: str = "issue") -> list[CopyRecord]:
        """Copies of a document reserved but not yet issued (an interrupted run), of the runs
        of one ``kind``: ``issue``, ``print`` (recipient id ``print-run:…``) or ``reproduce``
        (a ``reproduced`` event). Kept apart because a run finishes only copies of its own kind:
        an issue would build a print copy as one held by nobody, or a reproduction without its
        stamp."""
        printed = "substr(recipient_id, 1, 10) = 'print-run:'"
        reproduced = "copy_id IN (SELECT copy_id FROM events WHERE action = 'reproduced')"
        which = {"issue": f"NOT {printed} AND NOT {reproduced}", "print": printed,
                 "reproduce": reproduced}[kind]
        return self._select(f"SELECT * FROM copies WHERE document_id = ? AND status = ? AND "
                            f"{which} ORDER BY serial", (document_id, CopyStatus.PENDING))

    def copies_by_sha256(self, sha256: str) -> list[CopyRecord]:
        """Copies whose issued file has this SHA-256 (each checked against its events)."""
        return self._select("SELECT * FROM copies WHERE file_sha256 = ?", (sha256,))

    def copy_for_recipient(self, document_id: str, recipient_id: str,
                           include_pending: bool = False) -> CopyRecord | None:
        """The live copy a recipient already holds of a document (or has reserved), or None.
        A ``voided`` copy (its build failed, its serial kept) is not held."""
        excluded = sorted(GONE if include_pending else GONE | {CopyStatus.PENDING})
        found = self._select(
            "SELECT * FROM copies WHERE document_id = ? AND recipient_id = ? AND status NOT IN "
            f"({','.join('?' * len(excluded))}) ORDER BY serial LIMIT 1",
            (document_id, recipient_id, *excluded))
        return found[0] if found else None

    def held_copy(self, document_id: str, recipient_id: str) -> CopyRecord | None:
        """The copy a recipient holds or is being issued of a document (pending included,
        voided, returned, destroyed and lost copies not), unchecked, or None."""
        excluded = sorted(GONE)
        row = self._conn.execute(
            "SELECT * FROM copies WHERE document_id = ? AND recipient_id = ? AND status NOT IN "
            f"({','.join('?' * len(excluded))}) ORDER BY serial LIMIT 1",
            (document_id, recipient_id, *excluded)).fetchone()
        return copy_record(row) if row else None

    def list_copies(self, document_id: str | None = None, outstanding: bool = False) -> list[CopyRecord]:
        """Copies, by document then serial; ``outstanding`` keeps those neither returned nor
        destroyed (nor voided). Pending copies are left out. Each row is checked."""
        sql = "SELECT * FROM copies WHERE status != ?"
        args: list[object] = [CopyStatus.PENDING]
        if document_id:
            sql += " AND document_id = ?"
            args.append(document_id)
        if outstanding:
            sql += " AND status NOT IN (?, ?, ?)"
            args += [CopyStatus.RETURNED, CopyStatus.DESTROYED, CopyStatus.VOIDED]
        sql += " ORDER BY document_id, serial"
        return self._select(sql, args)

    def copy_labels(self, document_id: str) -> list[tuple[str, str, str]]:
        """The copy id, serial and recipient name of every copy of a document (pending ones
        left out, as :meth:`list_copies` does), by serial, as stored and NOT checked against
        their events: for matching a leak's visible text only, one index range with no
        signature to verify per row. A caller that uses a copy found this way reads it again
        with :meth:`get_copy`, which checks it."""
        rows = self._conn.execute("SELECT copy_id, serial, recipient_name FROM copies WHERE document_id = ? "
                                  "AND status != ? ORDER BY serial", (document_id, CopyStatus.PENDING))
        return [(str(r[0]), str(r[1]), str(r[2] or "")) for r in rows]

    def page_copies(self, query: str = "", outstanding: bool = False, offset: int = 0,
                    limit: int = 25, total: int | None = None) -> tuple[list[CopyRecord], int]:
        """One page of the copies :meth:`list_copies` lists (same order, pending left out),
        those whose serial, recipient id or name, or document id begin with ``query`` (as
        typed, upper- or lower-case; digits also as a 6-digit 份号), and how many match in
        all. Only the rows of the page are read and checked against their events, and every
        step is an index range (:mod:`register_schema` version 3), so a page costs the same
        with 100,000 copies. The total is a count of rows as stored; ``register verify``
        checks them all. ``total``: the count made already (:meth:`copy_counts`'s first figure)."""
        where, args = copy_filter(query, outstanding)
        offset, limit = max(0, offset), max(0, limit)
        with self._snapshot():  # the count and the page from one state of the register
            if total is None:
                total = int(self._conn.execute(f"SELECT COUNT(*) FROM copies WHERE {where}", args).fetchone()[0])
            order, skip, take = walk(total, offset, limit)
            if take == 0:
                return [], total
            if query.strip():  # the ranges of the search first, then its matches sorted
                order = ", ".join("+" + term for term in order.split(", "))
            # the offset is walked in the listing index alone; then the page's rows are read
            shown = self._select(f"SELECT * FROM copies WHERE rowid IN (SELECT rowid FROM copies WHERE {where} "
                                 f"ORDER BY {order} LIMIT ? OFFSET ?) ORDER BY document_id, serial",
                                 [*args, take, skip])
        return shown, total

    @contextmanager
    def _snapshot(self) -> Iterator[None]:
        """:meth:`read_snapshot`, or nothing inside the caller's transaction."""
        if self._conn.in_transaction:
            yield
        else:
            with self.read_snapshot():
                yield

    def document_counts(self) -> list[tuple[str, int, int]]:
        """Per document, by id: its copies made (pending and voided ones left out) and how
        many of them are outstanding (neither returned nor destroyed; a lost copy is). Counted
        over the rows as stored, in one grouped query (no row is checked here)."""
        return self.copy_counts()[1]

    def copy_counts(self) -> tuple[int, list[tuple[str, int, int]]]:
        """How many copies the plain listing shows (pending ones left out, voided ones in: the
        total of :meth:`page_copies` without search or filter) and :meth:`document_counts`,
        both from one walk of the listing index: the register page needs the two, and each
        is a walk of every entry with 100,000 copies."""
        last = self._conn.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
        mark = (str(self.path), int(last[0]), str(last[1])) if last else (str(self.path), 0, "")
        kept = _COUNTED.get(mark[0])
        if kept is not None and kept[0] == mark:
            return kept[1], list(kept[2])
        rows = self._conn.execute(
            "SELECT document_id, COUNT(*), SUM(status != ?), SUM(status NOT IN (?, ?, ?)) FROM copies "
            "WHERE status != ? GROUP BY document_id ORDER BY document_id",
            (CopyStatus.VOIDED, CopyStatus.RETURNED, CopyStatus.DESTROYED, CopyStatus.VOIDED,
             CopyStatus.PENDING)).fetchall()
        listed = sum(int(r[1]) for r in rows)
        counts = tuple((str(r[0]), int(r[2]), int(r[3] or 0)) for r in rows if r[2])
        _COUNTED[mark[0]] = (mark, listed, counts)
        return listed, list(counts)

    def latest_copies(self, suffix: str, limit: int) -> list[CopyRecord]:
        """The ``limit`` most recently issued copies whose file name ends in ``suffix``, newest
        first, NOT checked against their events: only their sealed passwords are wanted, to try
        on an encrypted leak, and a wrong password merely fails to open it."""
        rows = self._conn.execute(
            "SELECT * FROM copies WHERE file LIKE '%' || ? ORDER BY issued_at DESC LIMIT ?",
            (suffix, limit)).fetchall()
        return [copy_record(r) for r in rows]

    def count_copies(self) -> int:
        """How many copies the register holds (for false-match figures)."""
        return int(self._conn.execute("SELECT COUNT(*) FROM copies").fetchone()[0])

    # -- events -------------------------------------------------------------------------
    def events(self, copy_id: str | None = None) -> Iterator[EventRecord]:
        """Events in order, optionally for one copy (as stored: not verified here). The columns
        are named, so a column someone added to the table cannot break the reading."""
        columns = f"SELECT {', '.join(_EVENT_COLUMNS)} FROM events"
        if copy_id:
            cur = self._conn.execute(f"{columns} WHERE copy_id = ? ORDER BY seq", (copy_id,))
        else:
            cur = self._conn.execute(f"{columns} ORDER BY seq")
        return (EventRecord(*row) for row in cur)

    def document_events(self, document_id: str, actions: tuple[str, ...]) -> list[EventRecord]:
        """The events of a document itself (no copy named) whose action is one of ``actions``,
        oldest first (as stored: :meth:`get_document` checks them)."""
        marks = ", ".join("?" * len(actions))
        cur = self._conn.execute(
            f"SELECT {', '.join(_EVENT_COLUMNS)} FROM events WHERE document_id = ? AND copy_id "
            f"IS NULL AND action IN ({marks}) ORDER BY seq", (document_id, *actions))
        return [EventRecord(*row) for row in cur]

    def recent_events(self, limit: int) -> list[EventRecord]:
        """The newest ``limit`` events, newest first, each checked on its own first (its hash
        and office signature; :class:`RowRefused` otherwise): the lists shown to people, the
        web app's event page among them, never show an edited actor or detail as the record.
        The chain as a whole is left to ``register verify``."""
        authentic_events(self._conn, self.verifiers(), "SELECT * FROM events ORDER BY seq DESC LIMIT ?",
                         (limit,))
        cur = self._conn.execute(f"SELECT {', '.join(_EVENT_COLUMNS)} FROM events ORDER BY seq "
                                 "DESC LIMIT ?", (limit,))
        return [EventRecord(*row) for row in cur]

    def event_time(self, seq: int) -> str | None:
        """When the event ``seq`` was recorded, or None when there is no such event."""
        row = self._conn.execute("SELECT at FROM events WHERE seq = ?", (seq,)).fetchone()
        return str(row[0]) if row else None

    def last_event(self) -> tuple[int, str] | None:
        """``(seq, hash)`` of the newest event, or None for an empty log."""
        row = self._conn.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
        return (int(row["seq"]), str(row["hash"])) if row else None

    # -- raw reads for the full verification ------------------------------------------
    @contextmanager
    def read_snapshot(self) -> Iterator[None]:
        """One consistent read of the whole register (writers committing meanwhile are not
        seen). A database that cannot be read raises :class:`RegisterUnreadable`."""
        try:
            self._conn.execute("BEGIN")
        except sqlite3.DatabaseError as exc:
            raise RegisterUnreadable(str(exc)) from None
        try:
            yield
        except sqlite3.DatabaseError as exc:
            raise RegisterUnreadable(str(exc)) from None
        finally:
            self._conn.execute("COMMIT")

    def copy_rows(self) -> Iterator[dict[str, Any]]:
        """Every copy row as stored, unchecked, by document, serial and copy id."""
        cur = self._conn.execute("SELECT * FROM copies ORDER BY document_id, serial, copy_id")
        return (dict(row) for row in cur)

    def document_rows(self) -> Iterator[dict[str, Any]]:
        """Every document row as stored (``rationale`` as its JSON text), unchecked, by id."""
        return (dict(row) for row in self._conn.execute("SELECT * FROM documents ORDER BY id"))

    def derivation_rows(self, document_id: str | None = None) -> list[dict[str, Any]]:
        """The rows of ``derivations`` as stored, unchecked (their signed events are the record:
        see :mod:`pipeline.derive_facts`): all, or those of which ``document_id`` is the
        derived document or a source, by event and position."""
        sql = f"SELECT {', '.join(DERIVATION_COLUMNS)} FROM derivations"
        args: tuple[Any, ...] = ()
        if document_id is not None:
            sql += " WHERE document_id = ? OR source_document_id = ?"
            args = (document_id, document_id)
        return [dict(row) for row in self._conn.execute(sql + " ORDER BY event_seq, position", args)]

    def print_run_rows(self) -> Iterator[dict[str, Any]]:
        """Every print-run row as stored, unchecked, by id."""
        return (dict(row) for row in self._conn.execute("SELECT * FROM print_runs ORDER BY run_id"))

    def serial_floors(self) -> dict[str, int]:
        """The serial floors acknowledged restores set, by document id."""
        return {r["document_id"]: r["floor"] for r in self._conn.execute("SELECT * FROM serial_floors")}

    def schema_problem(self) -> str | None:
        """One line when the database holds schema objects mijian did not make or lacks one
        it made (see :func:`register_schema.schema_problem`); else None."""
        return schema_problem(self._conn)

    def backup_into(self, target: Path) -> str:
        """Copy the whole register into the empty file ``target`` with SQLite's online backup,
        as a self-contained database (no WAL); returns SQLite's integrity check of the copy
        (``"ok"`` when sound). Raises :class:`RegisterUnreadable` or :class:`OSError`."""
        try:
            conn = sqlite3.connect(target, isolation_level=None)
            try:
                self._conn.backup(conn)
                conn.execute("PRAGMA journal_mode = DELETE")
                return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
            finally:
                conn.close()
        except sqlite3.Error as exc:
            raise RegisterUnreadable(str(exc)) from None


DERIVATION_COLUMNS = ("event_seq", "position", "kind", "document_id", "copy_id",
                      "source_document_id", "source_copy_id", "source_serial", "approver",
                      "approver_role", "reason")
"""The columns of one ``derivations`` row: one source of one reproduction, extract or compilation."""


def document_record(row: sqlite3.Row) -> DocumentRecord:
    """A documents row as a record (``rationale`` parsed from JSON)."""
    data = dict(row)
    data["rationale"] = tuple(json.loads(data["rationale"]))
    return DocumentRecord(**data)


def copy_record(row: sqlite3.Row) -> CopyRecord:
    """A copies row as a record."""
    return CopyRecord(**dict(row))
