"""The signed head outside the database: restored backups, cut logs and forks are reported,
issuing refuses until an officer acknowledges, and serials then continue above every one given out."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from mijian.pipeline.audit import backup_register, verify_register
from mijian.pipeline.errors import RegisterError, UsageError
from mijian.pipeline.lifecycle import sign_for
from mijian.pipeline.office import Office
from mijian.pipeline.register_head import HEAD_FILE
from mijian.pipeline.register_restore import acknowledge_restore
from tests.conftest import ROOT, SAMPLES
from tests.test_register_facts import DOC, _decision, _reserve_and_issue


def _restore(backup: Path, home: Path) -> None:
    """Put a backup in place of the live register (the office closed), as an operator would."""
    for name in ("register.db-wal", "register.db-shm"):
        (home / name).unlink(missing_ok=True)
    shutil.copy2(backup, home / "register.db")


def _office_with_backup(tmp_path: Path) -> tuple[Path, Path]:
    """An office that issued 000001-000002, was backed up, then issued 000003-000004."""
    home, backup = tmp_path / "home", tmp_path / "backup.db"
    with Office.open(home) as office:
        with office.register.transaction():
            office.register.add_document(_decision(), office.key(), "定密责任人甲")
        _reserve_and_issue(office, "R1", "张三")
        _reserve_and_issue(office, "R2", "李四")
        backup_register(office, backup)
        _reserve_and_issue(office, "R3", "王五")
        _reserve_and_issue(office, "R4", "赵六")
        assert verify_register(office).ok
    return home, backup


def test_head_is_private_signed_and_follows_every_commit(tmp_path):
    home, _backup = _office_with_backup(tmp_path)
    head = json.loads((home / HEAD_FILE).read_text())
    assert stat.S_IMODE((home / HEAD_FILE).stat().st_mode) == 0o600
    conn = sqlite3.connect(home / "register.db")
    last = conn.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
    conn.close()
    assert (head["seq"], head["hash"], head["serials"]) == (last[0], last[1], {DOC: 4})
    assert not [p for p in home.iterdir() if p.name.endswith(".tmp")]


def test_restored_backup_is_reported_refused_then_acknowledged(tmp_path):
    home, backup = _office_with_backup(tmp_path)
    _restore(backup, home)
    with Office.open(home) as office:
        report = verify_register(office)
        assert (report.ok, report.stale, report.first_bad_seq) == (False, True, None)
        assert "a backup was restored or events were cut off" in report.problem
        assert "acknowledge-restore" in report.problem and "\n" not in report.problem
        with pytest.raises(RegisterError, match=r"older|records event"):
            _reserve_and_issue(office, "R5", "孙七")
        assert office.register.get_document(DOC).last_serial == 2  # nothing was reserved
        with pytest.raises(UsageError, match="--reason"):
            acknowledge_restore(office, "保密员", " ", "保密员")
        done = acknowledge_restore(office, "保密员", "disk failure, restored last night's backup", "保密员")
        assert (done.state, done.floors, done.gaps) == ("behind", {DOC: 4}, ((DOC, 3, 4),))
        assert verify_register(office).ok
        assert _reserve_and_issue(office, "R5", "孙七").serial == "000005"
        assert verify_register(office).ok
        with pytest.raises(UsageError, match="no restore to acknowledge"):
            acknowledge_restore(office, "保密员", "again", "保密员")
        event = list(office.register.events())[-3]
        assert event.action == "restore-acknowledged"
        assert json.loads(event.detail)["by"] == "保密员"


def test_restored_backup_written_to_is_a_fork_and_the_head_stays(tmp_path):
    home, backup = _office_with_backup(tmp_path)
    before = (home / HEAD_FILE).read_bytes()
    _restore(backup, home)
    with Office.open(home) as office:
        for _ in range(6):  # more events than the head knew of: the log still differs from it
            copy = office.register.list_copies(DOC)[0]
            with office.register.transaction():
                office.register.append_event(office.key(), "机要员", "noted", DOC, copy.copy_id,
                                             {"note": "x"})
        sign_for(office, copy.copy_id, "张三", "机要员")
        assert (home / HEAD_FILE).read_bytes() == before
        report = verify_register(office)
        assert report.stale and "is not the event" in report.problem
        acknowledge_restore(office, "保密员", "restored", "保密员")
        assert _reserve_and_issue(office, "R5", "孙七").serial == "000005"


def test_missing_or_forged_head_is_reported(tmp_path):
    home, _backup = _office_with_backup(tmp_path)
    head = json.loads((home / HEAD_FILE).read_text())
    head["serials"][DOC] = 1
    (home / HEAD_FILE).write_text(json.dumps(head))
    with Office.open(home) as office:
        report = verify_register(office)
        assert report.stale and "has no valid signature of office key" in report.problem
    (home / HEAD_FILE).unlink()
    with Office.open(home) as office:
        report = verify_register(office)
        assert report.stale and "is missing" in report.problem
        with pytest.raises(RegisterError, match="is missing"):
            _reserve_and_issue(office, "R5", "孙七")
        assert acknowledge_restore(office, "保密员", "head lost", "保密员").state == "missing"
        assert verify_register(office).ok


def test_document_absent_from_the_backup_continues_above_its_floor(tmp_path):
    home, backup = tmp_path / "home", tmp_path / "backup.db"
    with Office.open(home) as office:
        backup_register(office, backup)  # empty register, before the document existed
        with office.register.transaction():
            office.register.add_document(_decision(), office.key(), "定密责任人甲")
        _reserve_and_issue(office, "R1", "张三")
        _reserve_and_issue(office, "R2", "李四")
    _restore(backup, home)
    with Office.open(home) as office:
        assert verify_register(office).stale
        assert acknowledge_restore(office, "保密员", "restored", "保密员").gaps == ((DOC, 1, 2),)
        with office.register.transaction():
            office.register.add_document(_decision(), office.key(), "定密责任人甲")
        assert _reserve_and_issue(office, "R1", "张三").serial == "000003"
        assert verify_register(office).ok
    conn = sqlite3.connect(home / "register.db")
    conn.execute("DELETE FROM serial_floors")
    conn.commit()
    conn.close()
    with Office.open(home) as office:
        assert "serial floor of document" in verify_register(office).problem


def test_lowered_serial_counter_is_refused_before_a_serial_is_reused(tmp_path):
    home, _backup = _office_with_backup(tmp_path)
    conn = sqlite3.connect(home / "register.db")
    conn.execute("DELETE FROM copies WHERE serial > '000002'")
    conn.execute("UPDATE documents SET last_serial = 2")
    conn.commit()
    conn.close()
    with Office.open(home) as office:
        with pytest.raises(RegisterError, match="serial counter was lowered"):
            _reserve_and_issue(office, "R5", "孙七")


def _cli(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, MIJIAN_HOME=str(home))
    return subprocess.run([sys.executable, "-m", "mijian", *args], capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=300)


def _recipients(path: Path, ids: range) -> Path:
    path.write_text("id,name,unit\n" + "".join(f"R{i},收件人{i},办公室\n" for i in ids), encoding="utf-8")
    return path


def test_cli_backup_issue_restore_verify_acknowledge_issue(tmp_path):
    """No 份号 is handed out twice across a restore: the whole story through the CLI."""
    home, out, backup = tmp_path / "home", tmp_path / "out", tmp_path / "backup.db"
    draft = SAMPLES / "en_press_release.txt"

    def issue(ids: range) -> subprocess.CompletedProcess:
        return _cli(home, "issue", str(draft), "--recipients", str(_recipients(tmp_path / "r.csv", ids)),
                    "--out", str(out), "--json")

    assert issue(range(1, 3)).returncode == 0
    assert _cli(home, "register", "backup", str(backup)).returncode == 0
    later = json.loads(issue(range(3, 5)).stdout)
    assert sorted(c["serial"] for c in later["copies"]) == ["000001", "000002", "000003", "000004"]
    _restore(backup, home)
    verify = _cli(home, "register", "verify")
    assert verify.returncode == 4 and "a backup was restored" in verify.stderr
    assert len(verify.stderr.strip().splitlines()) == 1
    refused = issue(range(5, 6))
    assert refused.returncode == 4 and "acknowledge-restore" in refused.stderr
    assert not list(out.glob("000005_*"))
    ack = _cli(home, "register", "acknowledge-restore", "--by", "保密员", "--reason", "disk failure")
    assert ack.returncode == 0 and "000003-000004" in ack.stdout
    assert _cli(home, "register", "verify").returncode == 0
    again = json.loads(issue(range(5, 7)).stdout)
    serials = sorted(c["serial"] for c in again["copies"] if c["recipient_id"] in ("R5", "R6"))
    assert serials == ["000005", "000006"]
    assert _cli(home, "register", "verify").returncode == 0


def test_head_left_behind_by_a_kill_after_commit_is_no_alarm_and_catches_up(tmp_path, monkeypatch):
    """A process killed between its commit and the head's update leaves the head behind the
    log, never ahead: the register is still current and the next commit moves the head on."""
    import mijian.pipeline.register as register_module
    home, _backup = _office_with_backup(tmp_path)
    monkeypatch.setattr(register_module, "advance_head", lambda *a, **k: None)
    with Office.open(home) as office:
        _reserve_and_issue(office, "R5", "孙七")
    stale = json.loads((home / HEAD_FILE).read_text())
    assert stale["serials"] == {DOC: 4}
    monkeypatch.undo()
    with Office.open(home) as office:
        assert verify_register(office).ok
        assert _reserve_and_issue(office, "R6", "周八").serial == "000006"
        last = list(office.register.events())[-1]
    head = json.loads((home / HEAD_FILE).read_text())
    assert (head["seq"], head["hash"], head["serials"]) == (last.seq, last.hash, {DOC: 6})


def test_two_open_registers_move_one_head_forward_only(tmp_path):
    home, _backup = _office_with_backup(tmp_path)
    with Office.open(home) as one, Office.open(home) as two:
        for i, office in enumerate([one, two, one, two], start=5):
            _reserve_and_issue(office, f"R{i}", f"收件人{i}")
        last = list(one.register.events())[-1]
        assert verify_register(two).ok
    head = json.loads((home / HEAD_FILE).read_text())
    assert (head["seq"], head["serials"]) == (last.seq, {DOC: 8})


def test_temporary_head_files_of_killed_writers_are_removed_when_old(tmp_path):
    home, _backup = _office_with_backup(tmp_path)
    old, recent = home / f".{HEAD_FILE}.0123456789ab.tmp", home / f".{HEAD_FILE}.ba9876543210.tmp"
    for path in (old, recent):
        path.write_bytes(b"{}")
    os.utime(old, (1_000_000_000, 1_000_000_000))
    with Office.open(home) as office:
        _reserve_and_issue(office, "R5", "孙七")
    assert not old.exists() and recent.exists()
