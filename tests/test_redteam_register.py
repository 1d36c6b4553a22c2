"""The register tried by an insider who can read and write ``register.db`` but holds no key:
schema objects planted in the file, rows and events removed to hide a copy, the file
replaced. Each is reported by ``register verify`` (exit 4), refused before anything is
written, or flagged on the trace it could mislead.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from mijian.pipeline.audit import verify_register
from mijian.pipeline.errors import RegisterError
from mijian.pipeline.office import Office
from tests.conftest import SAMPLES
from tests.test_register_facts import DOC, _cli, _copy_id, _decision, _reserve_and_issue

SAMPLE = SAMPLES / "en_press_release.txt"


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A closed office: one decided document, copies A and B issued."""
    home = tmp_path_factory.mktemp("redteam-register") / "home"
    with Office.open(home) as office:
        with office.register.transaction():
            office.register.add_document(_decision(), office.key(), "定密责任人甲")
        _reserve_and_issue(office, "RA", "张三")
        _reserve_and_issue(office, "RB", "李四")
    return home


def _clone(base: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(base, tmp_path / "home"))


def _sql(home: Path, script: str) -> None:
    conn = sqlite3.connect(home / "register.db", isolation_level=None)
    try:
        conn.executescript(script)
    finally:
        conn.close()


def _events(home: Path) -> int:
    conn = sqlite3.connect(home / "register.db")
    try:
        return conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    finally:
        conn.close()


PLANTED = {
    # every serial handed out is put back to 0 after the office's own UPDATE
    "serial reset": "CREATE TRIGGER t AFTER UPDATE OF last_serial ON documents "
                    "BEGIN UPDATE documents SET last_serial = 0 WHERE id = NEW.id; END;",
    # every new event disappears as soon as it is written
    "event eater": "DROP TRIGGER events_no_delete; CREATE TRIGGER t AFTER INSERT ON events "
                   "BEGIN DELETE FROM events WHERE seq = NEW.seq; END;",
    # a new copy's fingerprint number is swapped for another copy's
    "fingerprint swap": "CREATE TRIGGER t AFTER INSERT ON copies BEGIN UPDATE copies SET "
                        "fingerprint = -fingerprint WHERE copy_id = NEW.copy_id; END;",
    # a view where mijian keeps nothing: harmless today, and not mijian's
    "view": "CREATE VIEW holders AS SELECT recipient_name FROM copies;",
    # the append-only guard removed
    "guard dropped": "DROP TRIGGER events_no_update;",
}


@pytest.mark.parametrize("name", sorted(PLANTED))
def test_planted_schema_object_is_reported_and_refuses_writes(base, tmp_path, name):
    """``register verify`` said *intact* with a trigger planted in the file; a trigger runs
    inside the office's own transactions. Now verify exits 4 and no transaction starts."""
    home = _clone(base, tmp_path)
    _sql(home, PLANTED[name])
    before = _events(home)
    with Office.open(home) as office:
        report = verify_register(office)
        assert not report.ok and "登记簿结构被改动" in (report.problem or "")
        with pytest.raises(RegisterError, match="nothing was written"):
            with office.register.transaction():
                office.register.next_serial(DOC)
        assert office.register.get_copy(_copy_id("RA")) is not None  # reads still checked per row
    assert _events(home) == before
    done = _cli(home, "register", "verify")
    assert done.returncode == 4 and len(done.stderr.strip().splitlines()) == 1


def test_sound_register_has_no_schema_problem(base, tmp_path):
    home = _clone(base, tmp_path)
    with Office.open(home) as office:
        assert office.register.schema_problem() is None
        assert verify_register(office).ok


def test_planted_serial_reset_cannot_hand_a_serial_out_twice(base, tmp_path, monkeypatch):
    """Even past the schema check (bypassed here), the signed head refuses a serial the
    counter was lowered to."""
    from mijian.pipeline import register as register_module

    home = _clone(base, tmp_path)
    _sql(home, PLANTED["serial reset"])
    monkeypatch.setattr(register_module, "schema_problem", lambda conn: None)
    with Office.open(home) as office:
        with office.register.transaction():
            office.register.next_serial(DOC)  # 000003, and the trigger resets the counter
            office.register.append_event(office.key(), "机要员", "note", DOC, None, {"n": 1})
        with pytest.raises(RegisterError, match="signed head records serials up to"):
            with office.register.transaction():
                office.register.next_serial(DOC)


def test_insider_who_removes_own_copy_is_flagged_on_the_trace(tmp_path):
    """Recipient A deletes the row and events of A's own copy from the middle of the log so a
    leak of it names no one. The trace names no one (A's marks point to a copy the register
    does not hold) and says the register is in doubt; verify exits 4."""
    from mijian.pipeline.tracing import trace

    home, leak, copy_a = _issued_leak(tmp_path)
    _sql(home, f"DROP TRIGGER events_no_delete; DELETE FROM events WHERE copy_id = '{copy_a}'; "
               f"DELETE FROM copies WHERE copy_id = '{copy_a}';")
    with Office.open(home) as office:
        result = trace(office, leak)
    assert result.verdict == "inconclusive" and result.recipient_id is None
    register = [layer for layer in result.layers if layer.name == "register"
                and layer.verdict == "in doubt"]
    assert register and "register verify" in register[0].detail
    assert _cli(home, "register", "verify").returncode == 4


def test_trace_on_a_restored_register_says_so(tmp_path):
    """An older backup put back in place of the register is flagged on every trace, also one
    that still names the recipient of a copy the backup holds."""
    from mijian.pipeline.tracing import trace
    from tests.test_redteam_issuing import _cli as cli

    home, leak, _copy_a = _issued_leak(tmp_path)
    backup = tmp_path / "backup.db"
    assert cli(home, "register", "backup", str(backup)).returncode == 0
    people = tmp_path / "later.csv"
    people.write_text("id,name\nRC,Carol Finch\n", encoding="utf-8")
    assert cli(home, "issue", str(SAMPLE), "--recipients", str(people), "--out",
               str(tmp_path / "later")).returncode == 0
    for part in home.glob("register.db*"):
        part.unlink()
    shutil.copyfile(backup, home / "register.db")
    with Office.open(home) as office:
        result = trace(office, leak)
    assert result.verdict == "identified" and result.recipient_id == "RA"
    assert any(layer.name == "register" and "signed head" in layer.detail for layer in result.layers)


def _issued_leak(tmp_path: Path) -> tuple[Path, Path, str]:
    """Two copies of the text sample issued; the first one's decrypted file is the leak."""
    import csv
    import json

    from mijian.pipeline.issuing import decrypt_copy
    from tests.test_redteam_issuing import _cli as cli

    home, out = tmp_path / "home", tmp_path / "out"
    people = tmp_path / "p.csv"
    people.write_text("id,name\nRA,Alice Grant\nRB,Bob Hale\n", encoding="utf-8")
    done = cli(home, "issue", str(SAMPLE), "--recipients", str(people),
               "--out", str(out), "--json")
    assert done.returncode == 0, done.stderr
    entry = json.loads(done.stdout)["copies"][0]
    with (out / "passwords.csv").open(encoding="utf-8") as handle:
        password = next(csv.DictReader(handle))["password"]
    leak = tmp_path / "leak.pdf"
    leak.write_bytes(decrypt_copy(out / entry["file"], password))
    return home, leak, entry["copy_id"]


def test_replayed_event_is_reported_and_refused_on_lookup(base, tmp_path):
    """An insider copies B's signed ``issued`` event to the end of the log (a replay, e.g. to
    bring back a fact an officer's later event changed): its hash and signature bind its
    sequence number and predecessor, so verify exits 4 and B's row is refused."""
    from mijian.pipeline.register_check import RowRefused

    home = _clone(base, tmp_path)
    conn = sqlite3.connect(home / "register.db", isolation_level=None)
    row = conn.execute("SELECT * FROM events WHERE action = 'issued' AND copy_id = ?",
                       (_copy_id("RB"),)).fetchone()
    last = conn.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
    conn.execute("INSERT INTO events VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                 (last[0] + 1, *row[1:7], last[1], *row[8:]))
    conn.close()
    with Office.open(home) as office:
        report = verify_register(office)
        assert not report.ok and report.first_bad_seq == last[0] + 1
        with pytest.raises(RowRefused, match="was altered or is not signed"):
            office.register.get_copy(_copy_id("RB"))
    assert _cli(home, "register", "verify").returncode == 4
