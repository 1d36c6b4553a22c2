"""What lands in ``--out``: planted links are never written through, runs share a folder safely.

An attacker who can prepare the output folder plants symbolic links under the names mijian
writes (temporary files, ``passwords.csv``, the staging folder); no password may reach the
link's target. Two runs into one folder at once both finish and leave one manifest and one
``passwords.csv`` listing every copy.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from mijian.pipeline.errors import UsageError
from mijian.pipeline.office import Office
from mijian.pipeline.safe_files import create_exclusive, open_run_staging, out_lock, write_atomic
from tests.conftest import ROOT, SAMPLES

DRAFT = SAMPLES / "en_press_release.txt"


def _cli(*args: str, home: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, MIJIAN_HOME=str(home))
    return subprocess.run([sys.executable, "-m", "mijian", *args], capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=300)


def _people(tmp_path: Path, ids: list[str], name: str = "people.csv") -> Path:
    path = tmp_path / name
    path.write_text("id,name\n" + "".join(f"{i},Person {i}\n" for i in ids), encoding="utf-8")
    return path


def _passwords(out: Path) -> dict[str, str]:
    rows = (out / "passwords.csv").read_text(encoding="utf-8").splitlines()[1:]
    return {r.split(",")[1]: r.split(",")[2] for r in rows}


def test_planted_temp_link_in_a_new_folder_receives_nothing(tmp_path):
    home, out, loot = tmp_path / "home", tmp_path / "out", tmp_path / "loot.csv"
    out.mkdir()
    loot.write_text("", encoding="utf-8")
    (out / ".passwords.csv.tmp").symlink_to(loot)
    done = _cli("issue", str(DRAFT), "--recipients", str(_people(tmp_path, ["A1", "A2"])),
                "--out", str(out), home=home)
    assert done.returncode == 2, done.stderr
    assert "not empty" in done.stderr
    assert loot.read_text(encoding="utf-8") == ""


def test_planted_links_beside_an_existing_manifest_receive_nothing(tmp_path):
    home, out = tmp_path / "home", tmp_path / "out"
    first = _cli("issue", str(DRAFT), "--recipients", str(_people(tmp_path, ["A1"])), "--out",
                 str(out), home=home)
    assert first.returncode == 0, first.stderr
    loot = {}
    for name in (".passwords.csv.tmp", ".manifest.json.tmp", "passwords.csv", "manifest.json.tmp"):
        target = tmp_path / f"loot-{name.strip('.')}"
        target.write_text("", encoding="utf-8")
        link = out / name
        link.unlink(missing_ok=True)
        link.symlink_to(target)
        loot[name] = target
    second = _cli("issue", str(DRAFT), "--recipients", str(_people(tmp_path, ["A1", "A2"])),
                  "--out", str(out), home=home)
    assert second.returncode == 0, second.stderr
    assert all(t.read_text(encoding="utf-8") == "" for t in loot.values()), "a password leaked"
    passwords = out / "passwords.csv"
    assert not passwords.is_symlink() and stat.S_IMODE(passwords.stat().st_mode) == 0o600
    assert sorted(_passwords(out)) == ["A1", "A2"]


def test_planted_staging_link_is_refused_before_anything_is_recorded(tmp_path):
    home, out, elsewhere = tmp_path / "home", tmp_path / "out", tmp_path / "elsewhere"
    out.mkdir()
    elsewhere.mkdir()
    (out / ".mijian-staging").symlink_to(elsewhere)
    done = _cli("issue", str(DRAFT), "--recipients", str(_people(tmp_path, ["A1"])), "--out",
                str(out), home=home)
    assert done.returncode == 2, done.stderr
    assert ".mijian-staging: is a link or not a folder" in done.stderr
    assert list(elsewhere.iterdir()) == []
    listed = _cli("register", "list", "--json", home=home)
    assert json.loads(listed.stdout)["copies"] == []


def test_staging_folder_others_can_write_is_refused(tmp_path):
    out = tmp_path / "out"
    (out / ".mijian-staging").mkdir(parents=True)
    os.chmod(out / ".mijian-staging", 0o777)
    with pytest.raises(UsageError, match="others can write it"):
        open_run_staging(out)


def test_exclusive_create_never_follows_or_reuses_a_name(tmp_path):
    target = tmp_path / "target"
    target.write_text("keep", encoding="utf-8")
    link = tmp_path / "link"
    link.symlink_to(target)
    for name in (link, target):
        with pytest.raises(FileExistsError):
            create_exclusive(name)
    assert target.read_text(encoding="utf-8") == "keep"


def test_atomic_write_replaces_a_link_instead_of_writing_through_it(tmp_path):
    staging = tmp_path / "staging"
    staging.mkdir(mode=0o700)
    target = tmp_path / "target"
    target.write_text("keep", encoding="utf-8")
    final = tmp_path / "passwords.csv"
    final.symlink_to(target)
    write_atomic(final, b"secret\n", staging, mode=0o600)
    assert target.read_text(encoding="utf-8") == "keep"
    assert not final.is_symlink() and final.read_bytes() == b"secret\n"
    assert stat.S_IMODE(final.stat().st_mode) == 0o600
    assert list(staging.iterdir()) == []


def test_lock_file_that_is_a_link_is_refused(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / ".mijian.lock").symlink_to(tmp_path / "anything")
    with pytest.raises(UsageError, match="symbolic link"):
        with out_lock(out):
            pass
    assert not (tmp_path / "anything").exists()


def test_two_runs_into_one_folder_at_once(tmp_path):
    """A short run and a long one share a folder and one recipient; both complete.

    The short run ends while the long one is still building: its clean-up must not take the
    long run's staging folder away, and its outputs must not lose the long run's copies."""
    home, out = tmp_path / "home", tmp_path / "out"
    with Office.open(home):  # the office exists already: this is about the output folder
        pass
    env = dict(os.environ, MIJIAN_HOME=str(home))
    long_ids = [f"L{n}" for n in range(1, 11)] + ["BOTH"]
    short_ids = ["S1", "BOTH"]
    lists = [_people(tmp_path, long_ids, "long.csv"), _people(tmp_path, short_ids, "short.csv")]
    procs = [subprocess.Popen([sys.executable, "-m", "mijian", "issue", str(DRAFT),
                               "--recipients", str(people), "--out", str(out), "--json"],
                              env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for people in lists]
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=300)
        assert proc.returncode == 0, stderr
        assert json.loads(stdout)["document_id"]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    expected = sorted(set(long_ids + short_ids))
    assert sorted(c["recipient_id"] for c in manifest["copies"]) == expected
    assert sorted(c["serial"] for c in manifest["copies"]) == [f"{n:06d}" for n in range(1, 13)]
    assert sorted(_passwords(out)) == expected
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == []
    assert _cli("register", "verify", home=home).returncode == 0


def test_lock_on_a_file_removed_meanwhile_is_taken_again(tmp_path, monkeypatch):
    """A run that opened the lock file just before the last run out removed it must not
    count the lock of the removed file: it takes the lock of the current one."""
    from mijian.pipeline import safe_files

    out = tmp_path / "out"
    out.mkdir()
    real, opened = safe_files._open_lock, []

    def opened_then_removed(path):
        fd = real(path)
        if not opened:
            os.unlink(path)  # removed between our open and our flock
        opened.append(fd)
        return fd

    monkeypatch.setattr(safe_files, "_open_lock", opened_then_removed)
    with out_lock(out) as held:
        assert len(opened) == 2 and held == opened[1]
        on_disk = os.stat(out / ".mijian.lock")
        assert (os.fstat(held).st_ino, os.fstat(held).st_dev) == (on_disk.st_ino, on_disk.st_dev)


def test_output_folder_anyone_can_write_is_refused(tmp_path):
    home, out = tmp_path / "home", tmp_path / "open"
    out.mkdir()
    os.chmod(out, 0o777)
    done = _cli("issue", str(DRAFT), "--recipients", str(_people(tmp_path, ["A1"])), "--out",
                str(out), home=home)
    assert done.returncode == 2 and "anyone can write this folder" in done.stderr
    assert list(out.iterdir()) == [] and not home.exists()  # refused before the office opens
    os.chmod(out, 0o1777)  # sticky, as /tmp: entries can be renamed only by their owner
    done = _cli("issue", str(DRAFT), "--recipients", str(_people(tmp_path, ["A1"])), "--out",
                str(out), home=home)
    assert done.returncode == 0, done.stderr
