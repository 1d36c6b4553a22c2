"""The signed head of the register: how far its event log has gone, kept outside the database.

``MIJIAN_HOME/register.head`` (mode 0600) holds the sequence number and hash of the newest
event the office has committed, and the highest serial (份号) given out for each document,
signed with the Ed25519 key derived from an office key. It is written atomically (a new file
created exclusively without following links, synced, renamed over the old one) after every
committed transaction that appended events, under an exclusive lock so that concurrent
writers only ever move it forward.

A register whose log stops before the head's event, or whose event at the head's sequence
number has another hash, is older than what the office has already done: a backup was
restored, events were cut off the end, or another register was put in its place. Issuing
then refuses (serials given out after the backup would be handed out again) until an officer
acknowledges the restore (:func:`pipeline.register_restore.acknowledge_restore`).

The head is written before the very first event of a register is committed (at sequence 0),
so from then on a register with events but no head means the head was removed; that too must
be acknowledged.

What this does not protect against: the head lives in ``MIJIAN_HOME`` beside the register, so
restoring a copy of the whole folder (head included) brings back an older head that matches,
and someone who can write the folder may delete both the head and the register, which looks
like a new office. Back up the register with ``mijian register backup`` (the database alone),
and keep folder snapshots and the keys where such an insider cannot put them back.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol
from collections.abc import Iterator, Mapping, Sequence

from mijian.pipeline.register_records import CopyStatus
from mijian.pipeline.safe_files import write_atomic

HEAD_FILE = "register.head"
LOCK_FILE = "register.head.lock"
_LABEL = b"mijian register head v1\n"
GENESIS = "0" * 64
STALE_SECONDS = 3600
"""Age after which a temporary head file left by a killed writer is removed."""


class HeadSigner(Protocol):
    """An office key as writing the head needs it."""

    @property
    def key_id(self) -> str:
        """Which office key this is (read only: keys are frozen values)."""
        ...

    def sign(self, data: bytes) -> bytes:
        """Ed25519 signature."""
        ...


class Signer(HeadSigner, Protocol):
    """An office key as reading the head needs it."""

    def verify_signature(self, data: bytes, signature: bytes) -> bool:
        """True when ``signature`` is valid for ``data``."""
        ...


@dataclass(frozen=True)
class Head:
    """A signed statement: the log reached event ``seq`` with ``hash``; serials went this high."""

    seq: int
    hash: str
    serials: Mapping[str, int] = field(default_factory=dict)
    key_id: str = ""

    def payload(self) -> bytes:
        """The bytes the signature covers (a label, then canonical JSON)."""
        body = {"seq": self.seq, "hash": self.hash, "serials": dict(sorted(self.serials.items()))}
        return _LABEL + json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


class HeadUnreadable(Exception):
    """The head file exists but is not a head signed by an office key."""


def read_head(home: Path, keys: Sequence[Signer]) -> Head | None:
    """The head in ``home``, None when there is none; :class:`HeadUnreadable` when it is damaged,
    forged or signed by a key that is not an office key."""
    path = Path(home) / HEAD_FILE
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise HeadUnreadable(f"cannot be read ({exc.strerror})") from None
    with os.fdopen(fd, "rb") as handle:
        raw = handle.read(1 << 22)
    try:
        data = json.loads(raw)
        head = Head(seq=int(data["seq"]), hash=str(data["hash"]),
                    serials={str(k): int(v) for k, v in dict(data["serials"]).items()},
                    key_id=str(data["key_id"]))
        signature = bytes.fromhex(str(data["signature"]))
    except (ValueError, KeyError, TypeError, AttributeError):
        raise HeadUnreadable("is not a register head") from None
    key = next((k for k in keys if k.key_id == head.key_id), None)
    if key is None:
        raise HeadUnreadable(f"names key {head.key_id!r}, which is not an office key")
    if not key.verify_signature(head.payload(), signature):
        raise HeadUnreadable(f"has no valid signature of office key {head.key_id}")
    return head


def write_head(home: Path, head: Head, signer: HeadSigner) -> None:
    """Sign ``head`` and put it in place atomically (mode 0600, never through a link)."""
    home = Path(home)
    record = {"seq": head.seq, "hash": head.hash, "serials": dict(sorted(head.serials.items())),
              "key_id": signer.key_id,
              "signature": signer.sign(Head(head.seq, head.hash, head.serials).payload()).hex()}
    # staged as .register.head.<random>.tmp beside it: the clean-up below knows that name
    write_atomic(home / HEAD_FILE, json.dumps(record, ensure_ascii=False, sort_keys=True).encode() + b"\n",
                 home, mode=0o600)
    # The folder is not synced: should a power cut lose the rename, the previous head comes
    # back, which is behind the log and therefore safe; the file's own bytes are synced
    # above, so the name never points at an empty or partial head.
    for left in home.glob(f".{HEAD_FILE}.*.tmp"):  # left by writers killed long ago
        try:
            if time.time() - left.lstat().st_mtime > STALE_SECONDS:
                left.unlink()
        except OSError:
            pass


@contextmanager
def head_lock(home: Path) -> Iterator[None]:
    """Hold the exclusive lock that orders writers of the head (a separate 0600 lock file)."""
    try:
        import fcntl
    except ImportError:  # no POSIX locks on this system: writers are ordered by SQLite alone
        yield
        return
    fd = os.open(Path(home) / LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def serials_in(rows: list[sqlite3.Row], start: Mapping[str, int]) -> dict[str, int]:
    """``start`` raised by the serials the events in ``rows`` reserved or issued, and by the
    floors a ``restore-acknowledged`` event set."""
    out = dict(start)
    for row in rows:
        try:
            detail = json.loads(row["detail"])
        except ValueError:
            continue
        if not isinstance(detail, dict):
            continue
        if row["action"] in ("reserved", CopyStatus.ISSUED) and row["document_id"]:
            serial = str(detail.get("serial", ""))
            if serial.isdigit():
                out[row["document_id"]] = max(out.get(row["document_id"], 0), int(serial))
        floors = detail.get("floors") if row["action"] == "restore-acknowledged" else None
        if isinstance(floors, dict):
            for document_id, floor in floors.items():
                if isinstance(floor, int):
                    out[str(document_id)] = max(out.get(str(document_id), 0), floor)
    return out


def advance_head(home: Path, conn: sqlite3.Connection, signer: HeadSigner, keys: Sequence[Signer]) -> None:
    """Move the head forward to the newest committed event, if the log still contains the
    head's event; a head that is missing, unreadable, or ahead of or off this log is left
    alone, so the alarm it raises stays until an officer acknowledges it."""
    with head_lock(home):
        try:
            head = read_head(home, keys)
        except HeadUnreadable:
            return
        if head is None:
            return
        if head.seq > 0:
            row = conn.execute("SELECT hash FROM events WHERE seq = ?", (head.seq,)).fetchone()
            if row is None or row["hash"] != head.hash:
                return
        rows = conn.execute("SELECT seq, hash, prev_hash, action, document_id, detail FROM events "
                            "WHERE seq > ? ORDER BY seq", (head.seq,)).fetchall()
        if not rows:
            return
        prev = head.hash
        for row in rows:  # only a log that links on from the head moves it
            if row["prev_hash"] != prev:
                return
            prev = row["hash"]
        write_head(home, Head(rows[-1]["seq"], rows[-1]["hash"], serials_in(rows, head.serials)),
                   signer)


@dataclass(frozen=True)
class Freshness:
    """Whether the register is as new as its signed head.

    ``state``: ``current`` (the log contains the head's event), ``new`` (no head and no event
    yet), ``behind`` (the log stops before the head's event), ``forked`` (the log has another
    event at the head's number), ``missing`` (events but no head) or ``unreadable`` (the head
    is damaged or not signed by an office key). ``problem`` is one line for every state but
    the first two.
    """

    state: str
    head: Head | None
    last_seq: int
    problem: str | None = None

    @property
    def ok(self) -> bool:
        """True when issuing may go on."""
        return self.problem is None


_ACK = ("check which copies were issued after the backup, then run 'mijian register "
        "acknowledge-restore --by NAME --reason TEXT'; serials then continue above the highest "
        "one ever given out")


def freshness(home: Path, conn: sqlite3.Connection, keys: Sequence[Signer]) -> Freshness:
    """Compare the register's log with its signed head (read-only)."""
    last = conn.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
    last_seq = last["seq"] if last else 0
    try:
        head = read_head(home, keys)
    except HeadUnreadable as exc:
        return Freshness("unreadable", None, last_seq,
                         f"the signed head {Path(home) / HEAD_FILE} {exc}: it was damaged or "
                         f"forged, so a restored backup cannot be ruled out (登记簿签名头无效); {_ACK}")
    if head is None:
        if last is None:
            return Freshness("new", None, 0)
        return Freshness("missing", None, last_seq,
                         f"the register has {last_seq} events but its signed head "
                         f"{Path(home) / HEAD_FILE} is missing: it was deleted, or the register "
                         f"was copied in from elsewhere or made by an older mijian "
                         f"(登记簿签名头缺失); {_ACK}")
    if head.seq > last_seq:
        return Freshness("behind", head, last_seq,
                         f"the register ends at event {last_seq} but its signed head records "
                         f"event {head.seq}: a backup was restored or events were cut off the "
                         f"end, and serials given out since may be handed out again "
                         f"(登记簿早于签名头：已恢复备份或事件被截断); {_ACK}")
    if head.seq > 0:
        row = conn.execute("SELECT hash FROM events WHERE seq = ?", (head.seq,)).fetchone()
        if row is None or row["hash"] != head.hash:
            return Freshness("forked", head, last_seq,
                             f"event {head.seq} of the register is not the event {head.seq} its "
                             f"signed head records: an older backup was restored and written "
                             f"to, or another register was put in its place "
                             f"(登记簿与签名头分叉); {_ACK}")
    return Freshness("current", head, last_seq)
