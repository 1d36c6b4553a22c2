"""Verifying the register against its signed log, tampering of every kind, and backups."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import stat
from pathlib import Path
from collections.abc import Callable

import pytest

from mijian.pipeline.audit import VerifyReport, backup_register, verify_register
from mijian.pipeline.crypto import OfficeKey, random_token
from mijian.pipeline.errors import UsageError
from mijian.pipeline.lifecycle import destroy, mark_lost, return_copy, sign_for
from mijian.pipeline.office import Office
from tests.conftest import secret_document_record
from mijian.pipeline.register import CopyRecord, DocumentRecord, event_hash
from mijian.pipeline.register_restore import acknowledge_restore

C1, C2, C3, D1 = "0A1B2C3D4E5F", "1B2C3D4E5F6G", "64S36D1N6RVK", "9Z8Y7X6W5V4T"


def _document(doc_id: str) -> DocumentRecord:
    return secret_document_record(doc_id)


def _copy(copy_id: str, doc_id: str, serial: str, rid: str, name: str) -> CopyRecord:
    return CopyRecord(copy_id=copy_id, document_id=doc_id, serial=serial, recipient_id=rid,
                      recipient_name=name, recipient_unit="办公室", file=f"{serial}_{rid}.pdf",
                      file_sha256=hashlib.sha256(copy_id.encode()).hexdigest(), key_id="k",
                      issued_at="2026-01-02T00:00:00+00:00", status="issued",
                      status_at="2026-01-02T00:00:00+00:00", sealed_password=b"sealed")


def _add_document(doc_id: str) -> Callable[[Office], None]:
    def step(office: Office) -> None:
        with office.register.transaction():
            office.register.add_document(_document(doc_id), office.key(), "定密责任人")
    return step


def _add_copy(*row: str) -> Callable[[Office], None]:
    def step(office: Office) -> None:
        with office.register.transaction():
            serial = office.register.next_serial(row[1])
            assert serial == row[2]
            office.register.add_copy(_copy(*row), office.key(), "机要员")
    return step


# One step per event, in order: every kind of event appears, also as the last one.
STEPS: list[Callable[[Office], None]] = [
    _add_document("DOC-1"),                                         # 1 decided
    _add_copy(C1, "DOC-1", "000001", "R1", "张三"),                  # 2 issued
    _add_copy(C2, "DOC-1", "000002", "R2", "李四"),                  # 3 issued
    _add_copy(C3, "DOC-1", "000003", "R3", "王五"),                  # 4 issued
    lambda o: sign_for(o, C1, "张三", "机要员"),                      # 5 signed
    _add_document("DOC-2"),                                         # 6 decided
    _add_copy(D1, "DOC-2", "000001", "R1", "张三"),                  # 7 issued
    lambda o: return_copy(o, C2, "机要员甲", "机要员"),               # 8 returned
    lambda o: destroy(o, C2, "李主任", "赵监销", "粉碎", "机要员"),    # 9 destroyed
    lambda o: mark_lost(o, C3, "出差途中遗失", "机要员"),              # 10 lost
    lambda o: sign_for(o, D1, "张三", "机要员"),                      # 11 signed
]
N = len(STEPS)


def _build(home: Path, steps: list[Callable[[Office], None]] = STEPS) -> Path:
    with Office.open(home) as office:
        for step in steps:
            step(office)
    return home


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A closed office home with the register built by STEPS."""
    return _build(tmp_path_factory.mktemp("base") / "home")


def _clone(src: Path, dest: Path) -> Path:
    """A second home with the same keys and a copy of the (closed) register and its signed head."""
    dest.mkdir(parents=True)
    shutil.copytree(src / "keys", dest / "keys")
    shutil.copy2(src / "register.db", dest / "register.db")
    shutil.copy2(src / "register.head", dest / "register.head")
    return dest


def _tamper(home: Path, *statements: tuple[str, tuple]) -> None:
    """Edit the register file directly, as someone holding the file but not the key could."""
    conn = sqlite3.connect(home / "register.db", isolation_level=None)
    try:
        conn.execute("DROP TRIGGER IF EXISTS events_no_update")
        conn.execute("DROP TRIGGER IF EXISTS events_no_delete")
        for sql, args in statements:
            conn.execute(sql, args)
    finally:
        conn.close()


def _verify(home: Path) -> VerifyReport:
    with Office.open(home) as office:
        return verify_register(office)


def _rows(home: Path) -> list[dict]:
    conn = sqlite3.connect(home / "register.db")
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute("SELECT * FROM events ORDER BY seq")]
    finally:
        conn.close()


def _insert(row: dict) -> tuple[str, tuple]:
    cols = ("seq", "at", "actor", "action", "document_id", "copy_id", "detail", "prev_hash",
            "hash", "key_id", "signature")
    return (f"INSERT INTO events ({','.join(cols)}) VALUES ({','.join('?' * len(cols))})",
            tuple(row[c] for c in cols))


def _set(seq: int, **values: object) -> tuple[str, tuple]:
    names = ", ".join(f"{k} = ?" for k in values)
    return f"UPDATE events SET {names} WHERE seq = ?", (*values.values(), seq)


# -- sound registers ------------------------------------------------------------------------

def test_untouched_register_verifies(base, tmp_path):
    report = _verify(_clone(base, tmp_path / "h"))
    assert report == VerifyReport(ok=True, events_checked=N, first_bad_seq=None, problem=None)
    with pytest.raises(AttributeError):
        report.ok = False  # type: ignore[misc]


def test_empty_register_verifies(tmp_path):
    with Office.open(tmp_path / "h") as office:
        assert verify_register(office) == VerifyReport(True, 0, None, None)


def test_every_prefix_verifies_and_losing_its_last_event_is_detected(tmp_path):
    """Deleting the last event of each kind (decided, issued, each lifecycle verb) is caught."""
    for n in range(1, N + 1):
        home = _build(tmp_path / f"h{n}", STEPS[:n])
        assert _verify(home).ok, n
        _tamper(home, ("DELETE FROM events WHERE seq = ?", (n,)))
        report = _verify(home)
        assert not report.ok, n
        assert report.events_checked == n - 1
        assert report.first_bad_seq is None  # the log left is sound; the tables disagree with it
        assert "\n" not in report.problem


def test_events_signed_by_an_older_key_still_verify(base, tmp_path):
    home = _clone(base, tmp_path / "h")
    with Office.open(home) as office:
        old = office.key()
        new = office.keyring.create()
        assert office.key().key_id == new.key_id != old.key_id
        return_copy(office, D1, "机要员甲", "机要员")
        assert verify_register(office).ok
    for path in (home / "keys").glob("office-*.key"):
        if hashlib.sha256(path.read_bytes()).hexdigest()[:8] == old.key_id:
            path.unlink()
    report = _verify(home)
    assert (report.ok, report.first_bad_seq) == (False, 1)
    assert f"names key '{old.key_id}', which is not an office key" in report.problem


# -- edited events --------------------------------------------------------------------------

def _edited_detail(detail: str) -> str:
    data = json.loads(detail)
    data["serial" if "serial" in data else "grade"] = "000009" if "serial" in data else "秘密"
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


EDITS: dict[str, tuple[Callable[[dict], object], str]] = {
    "actor": (lambda r: "mallory", "was changed after it was written"),
    "detail": (lambda r: _edited_detail(r["detail"]), "was changed after it was written"),
    "at": (lambda r: "2020-01-01T00:00:00+00:00", "was changed after it was written"),
    "action": (lambda r: "noted", "was changed after it was written"),
    "document_id": (lambda r: "DOC-9", "was changed after it was written"),
    "copy_id": (lambda r: "XXXXXXXXXXXX", "was changed after it was written"),
    "hash": (lambda r: "f" * 64, "was changed after it was written"),
    "prev_hash": (lambda r: "e" * 64, "does not link to"),
    "key_id": (lambda r: "00000000", "which is not an office key"),
    "signature": (lambda r: bytes(64), "has no valid signature of office key"),
}


@pytest.mark.parametrize("column", sorted(EDITS))
def test_any_edited_event_field_is_detected(base, tmp_path, column):
    change, fragment = EDITS[column]
    for row in _rows(base):
        seq = row["seq"]
        home = _clone(base, tmp_path / f"h{seq}")
        _tamper(home, _set(seq, **{column: change(row)}))
        report = _verify(home)
        assert (report.ok, report.first_bad_seq, report.events_checked) == (False, seq, seq), (column, seq)
        assert report.problem.startswith(f"event {seq} ")
        assert fragment in report.problem


def test_detail_with_only_whitespace_changed_is_detected(base, tmp_path):
    home = _clone(base, tmp_path / "h")
    row = _rows(base)[1]
    _tamper(home, _set(2, detail=row["detail"] + " "))
    assert _verify(home).first_bad_seq == 2


# -- deleted, reordered, inserted events ----------------------------------------------------

@pytest.mark.parametrize("seq", range(1, N + 1))
def test_deleted_event_is_detected(base, tmp_path, seq):
    home = _clone(base, tmp_path / "h")
    _tamper(home, ("DELETE FROM events WHERE seq = ?", (seq,)))
    report = _verify(home)
    assert not report.ok
    if seq < N:
        assert report.first_bad_seq == seq + 1
        assert f"event {seq + 1} found where event {seq} was expected" in report.problem
    else:
        assert report.first_bad_seq is None
        assert f"copy {D1} (份号 000001, document DOC-2) has status 'signed'" in report.problem
        assert "leaves it 'issued'" in report.problem


@pytest.mark.parametrize("seq", range(1, N))
def test_deleted_event_with_the_gap_closed_is_detected(base, tmp_path, seq):
    home = _clone(base, tmp_path / "h")
    moves = [("UPDATE events SET seq = ? WHERE seq = ?", (s - 1, s)) for s in range(seq + 1, N + 1)]
    _tamper(home, ("DELETE FROM events WHERE seq = ?", (seq,)), *moves)
    report = _verify(home)
    assert (report.ok, report.first_bad_seq) == (False, seq)
    assert f"event {seq} does not link to" in report.problem


@pytest.mark.parametrize("a,b", [(a, a + 1) for a in range(1, N)] + [(1, N), (2, 9)])
def test_swapped_events_are_detected(base, tmp_path, a, b):
    home = _clone(base, tmp_path / "h")
    rows = {r["seq"]: r for r in _rows(base)}
    park = N + 100
    _tamper(home, ("UPDATE events SET seq = ? WHERE seq = ?", (park, a)),
            ("UPDATE events SET seq = ? WHERE seq = ?", (a, b)),
            ("UPDATE events SET seq = ? WHERE seq = ?", (b, park)))
    assert [r["action"] for r in _rows(home)][a - 1] == rows[b]["action"]
    report = _verify(home)
    assert (report.ok, report.first_bad_seq) == (False, a)


def _forged(prev: dict | None, seq: int, action: str, copy_id: str, detail: dict,
            key_id: str, sign: Callable[[bytes], bytes]) -> dict:
    """An event with a correctly chained hash, signed by ``sign``."""
    prev_hash = prev["hash"] if prev else "0" * 64
    text = json.dumps(detail, ensure_ascii=False, sort_keys=True)
    at = "2026-05-01T00:00:00+00:00"
    digest = event_hash(prev_hash, seq, at, "mallory", action, "DOC-1", copy_id, text)
    return {"seq": seq, "at": at, "actor": "mallory", "action": action, "document_id": "DOC-1",
            "copy_id": copy_id, "detail": text, "prev_hash": prev_hash, "hash": digest,
            "key_id": key_id, "signature": sign(bytes.fromhex(digest))}


def _office_key_id(home: Path) -> str:
    with Office.open(home) as office:
        return office.key().key_id


STRANGER = OfficeKey(key_id="", secret=random_token(32))
SIGNERS: dict[str, tuple[Callable[[str], str], Callable[[bytes], bytes], str]] = {
    # name: (key id to claim given the office key id, signer, expected fragment)
    "no signature": (lambda kid: kid, lambda d: b"", "has no valid signature of office key"),
    "random bytes": (lambda kid: kid, lambda d: os.urandom(64), "has no valid signature of office key"),
    "other key, office key id": (lambda kid: kid, STRANGER.sign, "has no valid signature of office key"),
    "other key, its own id": (lambda kid: "5eed5eed", STRANGER.sign, "which is not an office key"),
}


@pytest.mark.parametrize("signer", sorted(SIGNERS))
def test_forged_event_appended_with_matching_table_is_detected(base, tmp_path, signer):
    claim, sign, fragment = SIGNERS[signer]
    home = _clone(base, tmp_path / "h")
    rows = _rows(base)
    forged = _forged(rows[-1], N + 1, "destroyed", C1,
                     {"serial": "000001", "from": "signed", "approver": "x", "witness": "y",
                      "method": None}, claim(_office_key_id(home)), sign)
    _tamper(home, _insert(forged),
            ("UPDATE copies SET status = 'destroyed' WHERE copy_id = ?", (C1,)))
    report = _verify(home)
    assert (report.ok, report.first_bad_seq, report.events_checked) == (False, N + 1, N + 1)
    assert report.problem.startswith(f"event {N + 1} ")
    assert fragment in report.problem


@pytest.mark.parametrize("signer", sorted(SIGNERS))
def test_forged_event_inserted_anywhere_is_detected(base, tmp_path, signer):
    claim, sign, fragment = SIGNERS[signer]
    rows = _rows(base)
    for at in range(1, N + 1):
        home = _clone(base, tmp_path / f"h{at}")
        moves = [("UPDATE events SET seq = ? WHERE seq = ?", (s + 1, s)) for s in range(N, at - 1, -1)]
        forged = _forged(rows[at - 2] if at > 1 else None, at, "noted", C1, {"note": "forged"},
                         claim(_office_key_id(home)), sign)
        _tamper(home, *moves, _insert(forged))
        report = _verify(home)
        assert (report.ok, report.first_bad_seq) == (False, at), (signer, at)
        assert fragment in report.problem


def test_forged_event_copied_from_another_register_is_detected(base, tmp_path):
    """A valid event of another office (its own key) does not verify here."""
    other = _build(tmp_path / "other", STEPS[:2])
    home = _clone(base, tmp_path / "h")
    stolen = dict(_rows(other)[1], seq=N + 1)
    _tamper(home, _insert(stolen))
    report = _verify(home)
    assert (report.ok, report.first_bad_seq) == (False, N + 1)


# -- tables edited without an event ---------------------------------------------------------

TABLE_EDITS = [
    ("UPDATE copies SET status = 'returned' WHERE copy_id = ?", (C1,),
     f"copy {C1} (份号 000001, document DOC-1) has status 'returned' but its last event 5 leaves it 'signed'"),
    ("UPDATE copies SET status = 'issued' WHERE copy_id = ?", (C2,),
     f"copy {C2} (份号 000002, document DOC-1) has status 'issued' but its last event 9 leaves it 'destroyed'"),
    ("UPDATE copies SET recipient_name = '赵六' WHERE copy_id = ?", (C3,),
     f"copy {C3} (份号 000003, document DOC-1) has recipient_name '赵六' but its issued event 4 says '王五'"),
    ("UPDATE copies SET recipient_id = 'R9' WHERE copy_id = ?", (C3,),
     "has recipient_id 'R9' but its issued event 4 says 'R3'"),
    ("UPDATE copies SET serial = '000009' WHERE copy_id = ?", (C1,),
     f"copy {C1} (份号 000009, document DOC-1) has serial '000009' but its issued event 2 says '000001'"),
    ("UPDATE copies SET file_sha256 = ? WHERE copy_id = ?", ("0" * 64, D1),
     "has file_sha256 '" + "0" * 64 + "' but its issued event 7 says"),
    ("UPDATE copies SET document_id = 'DOC-2', serial = '000002' WHERE copy_id = ?", (C1,),
     "has document_id 'DOC-2' but its issued event 2 says 'DOC-1'"),
    ("DELETE FROM copies WHERE copy_id = ?", (C3,),
     f"copy {C3} (份号 000003) was issued by event 4 but its row is missing from the copies table"),
    ("INSERT INTO copies (copy_id, document_id, serial, recipient_id, recipient_name, file, "
     "file_sha256, key_id, issued_at, status, status_at) VALUES (?, 'DOC-1', '000004', 'R4', '孙七', "
     "'f', 'h', 'k', 't', 'issued', 't')", ("FFFFFFFFFFFF",),
     "copy FFFFFFFFFFFF (份号 000004, document DOC-1) is in the copies table but no event issued it"),
    ("UPDATE documents SET grade = '秘密', level = 2 WHERE id = ?", ("DOC-1",),
     "document DOC-1 has grade '秘密' but event 1 recorded '机密'"),
    ("UPDATE documents SET period = '1年' WHERE id = ?", ("DOC-2",),
     "document DOC-2 has period '1年' but event 6 recorded '20年'"),
    ("UPDATE documents SET last_serial = 1 WHERE id = ?", ("DOC-1",),
     "document DOC-1 has last_serial 1 below serial 000003 already issued"),
]


@pytest.mark.parametrize("sql,args,fragment", TABLE_EDITS)
def test_table_edited_without_an_event_is_detected(base, tmp_path, sql, args, fragment):
    home = _clone(base, tmp_path / "h")
    _tamper(home, ("PRAGMA foreign_keys = OFF", ()), (sql, args))
    report = _verify(home)
    assert (report.ok, report.first_bad_seq, report.events_checked) == (False, None, N)
    assert fragment in report.problem
    assert "\n" not in report.problem


# -- backups --------------------------------------------------------------------------------

def test_backup_opens_and_verifies_in_another_home(base, tmp_path):
    home = _clone(base, tmp_path / "h")
    dest = tmp_path / "backups" / "register-2026.db"
    dest.parent.mkdir()
    with Office.open(home) as office:
        assert backup_register(office, dest) == dest
    assert stat.S_IMODE(dest.stat().st_mode) == 0o600
    assert sorted(p.name for p in dest.parent.iterdir()) == ["register-2026.db"]
    conn = sqlite3.connect(dest)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert conn.execute("SELECT COUNT(*) FROM events").fetchone()[0] == N
    finally:
        conn.close()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.copytree(home / "keys", elsewhere / "keys")
    shutil.copy2(dest, elsewhere / "register.db")
    # log and tables verify; the new home has no signed head, so the restore must be acknowledged
    report = _verify(elsewhere)
    assert (report.ok, report.stale, report.first_bad_seq, report.events_checked) == (False, True, None, N)
    assert "signed head" in report.problem and "is missing" in report.problem
    with Office.open(elsewhere) as office:
        acknowledge_restore(office, "保密员", "moved to a new server", "保密员")
    assert _verify(elsewhere) == VerifyReport(True, N + 1, None, None)


def test_backup_of_a_live_register_includes_uncheckpointed_changes(base, tmp_path):
    home = _clone(base, tmp_path / "h")
    dest = tmp_path / "b.db"
    with Office.open(home) as office:
        return_copy(office, D1, "机要员甲", "机要员")  # still in the WAL of the open register
        backup_register(office, dest)
    other = tmp_path / "other"
    other.mkdir()
    shutil.copytree(home / "keys", other / "keys")
    shutil.copy2(dest, other / "register.db")
    with Office.open(other) as office:
        assert office.register.get_copy(D1).status == "returned"
        assert verify_register(office).stale  # restored without its head
        acknowledge_restore(office, "保密员", "restore test", "保密员")
        assert verify_register(office) == VerifyReport(True, N + 2, None, None)


def test_backup_refuses_to_overwrite(base, tmp_path):
    home = _clone(base, tmp_path / "h")
    dest = tmp_path / "b.db"
    dest.write_bytes(b"keep me")
    with Office.open(home) as office:
        with pytest.raises(UsageError, match="already exists; refusing to overwrite it"):
            backup_register(office, dest)
        with pytest.raises(UsageError, match="already exists"):
            backup_register(office, home / "register.db")
        with pytest.raises(UsageError, match="is not a folder"):
            backup_register(office, tmp_path / "missing" / "b.db")
    assert dest.read_bytes() == b"keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.db", "h"]
