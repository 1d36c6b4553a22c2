"""Check the register against its own signed log, and back it up safely.

:func:`verify_register` walks the events in ``seq`` order and checks, for each one: the
sequence has no gap, ``prev_hash`` is the hash of the event before (``GENESIS`` first), the
recomputed hash equals the stored one, and the Ed25519 signature verifies under the office
key named by ``key_id``; lifecycle events must follow the transition table. Then the tables
must agree with the log: every copy row holds every fact its ``reserved`` / ``issued`` events
state (document, serial, recipient id, name and unit, file and its SHA-256, key id, fingerprint
number, sealed password and certificate digests, time of issue) and the status its last
lifecycle event implies; every issued copy has its row; every document holds the decision its
events state (title, grade, level, period, scheme, source SHA-256, suggested grade and level,
justification, basis, rationale, decided by and at); serial counters are not below any serial
given out or any floor an acknowledged restore set (see :mod:`pipeline.register_facts`).

Last, the register is compared with its signed head (:mod:`pipeline.register_head`), kept
outside the database: cutting events off the end of the log and rolling the tables back to
match, or restoring an old backup, leaves a register older than its head, reported as
``stale``.

What this does not protect against: anyone holding an office key can write a new, valid log
and head.

:func:`backup_register` copies the live register with SQLite's online backup API into a
temporary file next to the destination, then moves it into place without overwriting.

Every read goes through the register's named methods (:meth:`RegisterStore.read_snapshot`,
:meth:`RegisterStore.events`, :meth:`RegisterStore.copy_rows`, ...): this module holds no SQL.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from mijian.pipeline.crypto import OfficeKey
from mijian.pipeline.errors import RegisterError, UsageError
from mijian.pipeline.lifecycle import ISSUED, LIFECYCLE_ACTIONS
from mijian.pipeline.office import Office
from mijian.pipeline.print_checks import print_run_problem
from mijian.pipeline.register import GENESIS, EventRecord, RegisterUnreadable, event_hash
from mijian.pipeline.register_store import RegisterStore
from mijian.pipeline.register_facts import (DECIDED, PENDING, RESERVED, UNASSIGNED, VOIDED, LoggedEvent, copy_problem,
                                     document_problem, expected_copy, expected_document)

RESTORE_ACKNOWLEDGED = "restore-acknowledged"


@dataclass(frozen=True)
class VerifyReport:
    """The outcome of :func:`verify_register`.

    ``events_checked`` counts the events read, up to and including the first bad one.
    ``first_bad_seq`` is the seq of the first bad event, or None when the log is sound (a
    copy or document row that disagrees with a sound log is named in ``problem`` only).
    A sound register is then compared with its signed head (``stale``).
    """

    ok: bool
    events_checked: int
    first_bad_seq: int | None
    problem: str | None
    stale: bool = False
    """True when log and tables agree but the register is older than its signed head (a backup
    was restored or events cut off), or the head is missing or not signed by an office key."""


class _Bad(Exception):
    def __init__(self, problem: str, seq: int | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.seq = seq


@dataclass
class _Replay:
    """What the log says the tables should hold."""

    issued: dict[str, tuple[int, str | None, dict]] = field(default_factory=dict)
    reserved: dict[str, tuple[int, str | None, dict]] = field(default_factory=dict)
    status: dict[str, tuple[str, int]] = field(default_factory=dict)
    decided: dict[str, int] = field(default_factory=dict)
    copy_events: dict[str, list[LoggedEvent]] = field(default_factory=dict)
    document_events: dict[str, list[LoggedEvent]] = field(default_factory=dict)
    floors: dict[str, tuple[int, int]] = field(default_factory=dict)


def verify_register(office: Office) -> VerifyReport:
    """Check the chain, signatures and tables of ``office``'s register, then that it is not older
    than its signed head; never raises on tampering."""
    keys = {k.key_id: k for k in office.keys()}
    register = office.register
    replay = _Replay()
    checked = 0
    try:
        with register.read_snapshot():  # writers committing meanwhile are not seen
            expected, prev = 1, GENESIS
            for event in register.events():
                checked += 1
                _check_event(event, expected, prev, keys)
                _replay_event(event, replay)
                expected, prev = event.seq + 1, event.hash
            _check_copies(register, replay)
            _check_documents(register, replay)
            _check_derivations(register, replay)
            runs = print_run_problem(register.print_run_rows(), replay.document_events)
            if runs:
                raise _Bad(runs)
            planted = register.schema_problem()  # after the log: an edit it shows is the finding
            if planted:
                raise _Bad(planted)
            state = register.freshness()
        if not state.ok:
            return VerifyReport(ok=False, events_checked=checked, first_bad_seq=None,
                                problem=state.problem, stale=True)
    except _Bad as bad:
        return VerifyReport(ok=False, events_checked=checked, first_bad_seq=bad.seq,
                            problem=bad.problem)
    except RegisterUnreadable as exc:
        return VerifyReport(ok=False, events_checked=checked, first_bad_seq=None,
                            problem=f"the register cannot be read ({exc}) (登记簿无法读取); "
                                    "restore it from the latest backup")
    return VerifyReport(ok=True, events_checked=checked, first_bad_seq=None, problem=None)


def _check_event(row: EventRecord, expected: int, prev: str, keys: dict[str, OfficeKey]) -> None:
    seq = row.seq
    if seq != expected:
        raise _Bad(f"event {seq} found where event {expected} was expected: events were deleted "
                   f"or renumbered (事件序号不连续)", seq)
    if row.prev_hash != prev:
        what = "the genesis value" if expected == 1 else f"the hash of event {seq - 1}"
        raise _Bad(f"event {seq} does not link to {what}: an event before it was deleted, "
                   f"inserted or moved (事件链断开)", seq)
    digest = event_hash(prev, seq, row.at, row.actor, row.action, row.document_id,
                        row.copy_id, row.detail)
    if digest != row.hash:
        raise _Bad(f"event {seq} ({row.action}) was changed after it was written: its content "
                   f"does not match its hash (事件内容被篡改)", seq)
    key = keys.get(row.key_id)
    if key is None:
        raise _Bad(f"event {seq} names key {row.key_id!r}, which is not an office key "
                   f"(签名密钥不属于本单位): it was forged elsewhere", seq)
    signature: object = row.signature  # as stored: an edited row may hold any type
    if not isinstance(signature, bytes) or not key.verify_signature(bytes.fromhex(digest), signature):
        raise _Bad(f"event {seq} ({row.action}) has no valid signature of office key "
                   f"{key.key_id} (签名无效): it was forged or altered", seq)


def _replay_event(row: EventRecord, replay: _Replay) -> None:
    seq, action, copy_id, document_id = row.seq, row.action, row.copy_id, row.document_id
    try:
        detail = json.loads(row.detail)
    except ValueError:
        raise _Bad(f"event {seq} has a detail that is not JSON (事件内容无法解析)", seq) from None
    if not isinstance(detail, dict):
        raise _Bad(f"event {seq} has a detail that is not a JSON object (事件内容无法解析)", seq)
    if action == RESTORE_ACKNOWLEDGED:
        _replay_floors(seq, detail, replay)
    elif copy_id is None:
        if action in (RESERVED, ISSUED, VOIDED, UNASSIGNED) or action in LIFECYCLE_ACTIONS:
            raise _Bad(f"event {seq} ({action}) names no copy (事件缺少份标识)", seq)
    elif action == RESERVED:
        if copy_id in replay.reserved or copy_id in replay.issued:
            raise _Bad(f"event {seq} reserves copy {copy_id} again (同一份重复预留)", seq)
        replay.reserved[copy_id] = (seq, document_id, detail)
        replay.status[copy_id] = (PENDING, seq)
    elif action == ISSUED:
        if copy_id in replay.reserved and replay.status.get(copy_id, ("", 0))[0] != PENDING:
            raise _Bad(f"event {seq} issues copy {copy_id}, which is not pending (状态变更不合规则)", seq)
        if copy_id in replay.issued:
            raise _Bad(f"event {seq} issues copy {copy_id} again; it was issued by event "
                       f"{replay.issued[copy_id][0]} (同一份重复分发)", seq)
        replay.issued[copy_id] = (seq, document_id, detail)
        replay.status[copy_id] = (ISSUED, seq)
    elif action in LIFECYCLE_ACTIONS:
        if copy_id not in replay.status:
            raise _Bad(f"event {seq} marks copy {copy_id} {action}, but no earlier event issued "
                       f"it (该份未登记分发)", seq)
        current = replay.status[copy_id][0]
        transition = LIFECYCLE_ACTIONS[action]
        if not transition.allows(current):
            raise _Bad(f"event {seq} marks copy {copy_id} {action} while it was {current}; "
                       f"allowed only from {', '.join(sorted(transition.allowed_from))} "
                       f"(状态变更不合规则)", seq)
        replay.status[copy_id] = (action, seq)
    elif action == UNASSIGNED:  # a print-run copy made for the print room, nobody named yet
        if replay.status.get(copy_id, ("", 0))[0] != ISSUED:
            raise _Bad(f"event {seq} leaves copy {copy_id} unassigned, but it was not just made "
                       f"(状态变更不合规则)", seq)
        replay.status[copy_id] = (UNASSIGNED, seq)
    elif action == VOIDED:
        if replay.status.get(copy_id, ("", 0))[0] != PENDING:
            raise _Bad(f"event {seq} voids copy {copy_id}, which is not pending (状态变更不合规则)", seq)
        replay.status[copy_id] = (VOIDED, seq)
    event = LoggedEvent(seq, action, document_id, detail)
    if copy_id is not None:
        replay.copy_events.setdefault(copy_id, []).append(event)
    elif document_id is not None:
        if action == DECIDED:
            replay.decided.setdefault(document_id, seq)
        replay.document_events.setdefault(document_id, []).append(event)


def _replay_floors(seq: int, detail: dict, replay: _Replay) -> None:
    floors = detail.get("floors")
    if not isinstance(floors, dict) or not all(isinstance(v, int) for v in floors.values()):
        raise _Bad(f"event {seq} acknowledges a restore without serial floors (恢复确认内容无效)", seq)
    for document_id, floor in floors.items():
        if floor > replay.floors.get(document_id, (0, 0))[0]:
            replay.floors[document_id] = (floor, seq)


def _check_copies(register: RegisterStore, replay: _Replay) -> None:
    seen: set[str] = set()
    for row in register.copy_rows():
        seen.add(row["copy_id"])
        problem = copy_problem(row, expected_copy(replay.copy_events.get(row["copy_id"], [])))
        if problem:
            raise _Bad(problem)
    for copy_id, (seq, _document_id, detail) in list(replay.issued.items()) + list(replay.reserved.items()):
        if copy_id not in seen:
            raise _Bad(f"copy {copy_id} (份号 {detail.get('serial')}) was issued by event {seq} but "
                       f"its row is missing from the copies table: it was deleted (登记缺失)")


def _check_documents(register: RegisterStore, replay: _Replay) -> None:
    seen: set[str] = set()
    for row in register.document_rows():
        document_id = row["id"]
        seen.add(document_id)
        problem = document_problem(row, expected_document(replay.document_events.get(document_id, [])))
        if problem:
            raise _Bad(problem)
        serials = [int(d.get("serial", 0)) for _seq, doc, d in
                   list(replay.issued.values()) + list(replay.reserved.values())
                   if doc == document_id and str(d.get("serial", "")).isdigit()]
        if serials and row["last_serial"] < max(serials):
            raise _Bad(f"document {document_id} has last_serial {row['last_serial']} below serial "
                       f"{max(serials):06d} already issued: serials could be reused (份号计数被改小)")
        floor, seq = replay.floors.get(document_id, (0, 0))
        if row["last_serial"] < floor:
            raise _Bad(f"document {document_id} has last_serial {row['last_serial']} below "
                       f"{floor:06d}, the highest serial given out before the restore that event "
                       f"{seq} acknowledged: serials could be reused (份号计数被改小)")
    for document_id, seq in replay.decided.items():
        if document_id not in seen:
            raise _Bad(f"document {document_id} was decided by event {seq} but its row is missing "
                       f"from the documents table: it was deleted (文件登记缺失)")
    floors = register.serial_floors()
    for document_id, (floor, seq) in replay.floors.items():
        if floors.get(document_id, -1) < floor:
            raise _Bad(f"the serial floor of document {document_id} is {floors.get(document_id)} in "
                       f"the register but event {seq} set it to {floor}: it was lowered or deleted, "
                       f"so serials could be reused (份号下限被改小)")


def _check_derivations(register: RegisterStore, replay: _Replay) -> None:
    """The sources of reproductions, extracts and compilations agree with their signed events."""
    from mijian.pipeline.derive_facts import derivation_problem

    logged = [e for group in (*replay.copy_events.values(), *replay.document_events.values())
              for e in group]
    problem = derivation_problem(register.derivation_rows(), logged)
    if problem:
        raise _Bad(problem)


def backup_register(office: Office, dest: Path) -> Path:
    """Copy the register to ``dest`` (mode 0600) with SQLite's online backup; returns ``dest``.

    The copy is written to a temporary file in ``dest``'s folder, checked with SQLite's
    integrity check, then moved into place atomically. An existing ``dest`` is never
    overwritten (:class:`UsageError`).
    """
    dest = Path(dest)
    if dest.exists() or dest.is_symlink():
        raise UsageError(f"{dest} already exists; refusing to overwrite it; choose a new file name "
                         "for the backup (备份文件已存在，不覆盖)")
    if not dest.parent.is_dir():
        raise UsageError(f"{dest.parent} is not a folder; create it first or choose another place "
                         "for the backup (备份目录不存在)")
    tmp = dest.parent / f".{dest.name}.{secrets.token_hex(4)}.partial"
    created = False
    try:
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        created = True
        check = office.register.backup_into(tmp)
        if check != "ok":
            raise RegisterError(f"the backup of {office.register.path} failed SQLite's integrity "
                                f"check ({check}); nothing was written to {dest} (备份校验失败)")
        os.chmod(tmp, 0o600)
        _fsync(tmp)
        _move_no_clobber(tmp, dest)
        _fsync(dest.parent)
    except (OSError, RegisterUnreadable) as exc:
        raise RegisterError(f"the register could not be backed up to {dest} ({exc}); nothing was "
                            "written there; check the folder and free space (备份失败)") from None
    finally:
        for leftover in (tmp, Path(f"{tmp}-journal"), Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
            if created and leftover.exists():
                leftover.unlink()
    return dest


def _move_no_clobber(src: Path, dest: Path) -> None:
    try:
        os.link(src, dest)  # atomic, and fails if dest appeared meanwhile
    except FileExistsError:
        raise UsageError(f"{dest} appeared while the backup was written; refusing to overwrite "
                         "it (备份文件已存在，不覆盖)") from None
    except OSError:  # no hard links on this filesystem
        if dest.exists():
            raise UsageError(f"{dest} already exists; refusing to overwrite it "
                             "(备份文件已存在，不覆盖)") from None
        os.rename(src, dest)
        return
    os.unlink(src)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
