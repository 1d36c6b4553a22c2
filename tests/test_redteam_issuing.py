"""Issuing tried by a careless clerk and by someone who can write the register file or plant
names in the output folder: every attempt is refused in one line with nothing written, or
comes to no harm.

Copies are made through the command line from the short text sample (one or two
recipients, a few seconds a run).
"""

from __future__ import annotations

import csv
import json
import os
import sqlite3
import subprocess
import sys
import unicodedata
from pathlib import Path

import pymupdf
import pytest

from tests.conftest import ROOT, SAMPLES

DRAFT = SAMPLES / "en_press_release.txt"


def _cli(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, MIJIAN_HOME=str(home), PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "mijian", *args], capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=300)


def _csv(path: Path, rows: list[tuple[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "name"])
        writer.writerows(rows)
    return path


def _one_line(done: subprocess.CompletedProcess, code: int) -> str:
    assert done.returncode == code, (done.returncode, done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


def _events(home: Path) -> int:
    conn = sqlite3.connect(home / "register.db")
    try:
        return conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    finally:
        conn.close()


@pytest.fixture(scope="module")
def first(tmp_path_factory) -> dict:
    """One office, one copy of the text sample issued to R1, and that copy decrypted."""
    from mijian.pipeline.issuing import decrypt_copy

    root = tmp_path_factory.mktemp("redteam-issuing")
    home, out = root / "home", root / "out"
    people = _csv(root / "one.csv", [("R1", "Alice Grant")])
    done = _cli(home, "issue", str(DRAFT), "--recipients", str(people), "--out", str(out), "--json")
    assert done.returncode == 0, done.stderr
    manifest = json.loads(done.stdout)
    with (out / "passwords.csv").open(encoding="utf-8") as handle:
        password = next(csv.DictReader(handle))["password"]
    plain = root / "copy-of-r1.pdf"
    plain.write_bytes(decrypt_copy(out / manifest["copies"][0]["file"], password))
    return {"home": home, "root": root, "plain": plain, "manifest": manifest}


def _clone_home(first: dict, dest: Path) -> Path:
    import shutil

    shutil.copytree(first["home"], dest)
    return dest


def test_decrypted_copy_given_as_the_draft_is_refused(first, tmp_path):
    """A clerk picks R1's decrypted copy instead of the draft: every new copy would carry R1's
    marks, and a leak of any of them would point to R1. Refused before anything is written."""
    home = _clone_home(first, tmp_path / "home")
    before = _events(home)
    people = _csv(tmp_path / "p.csv", [("R2", "Bob Hale")])
    done = _cli(home, "issue", str(first["plain"]), "--recipients", str(people),
                "--out", str(tmp_path / "out"))
    line = _one_line(done, 3)
    assert first["manifest"]["copies"][0]["copy_id"] in line and "original" in line
    assert not (tmp_path / "out").exists() and _events(home) == before


def test_pasted_text_of_a_copy_given_as_the_draft_is_refused(first, tmp_path):
    """The same with the copy's text pasted into a .txt draft (invisible code kept), and with
    only its printed code left (every format character removed)."""
    home = _clone_home(first, tmp_path / "home")
    with pymupdf.open(first["plain"]) as doc:
        text = "".join(page.get_text() for page in doc)
    bare = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    people = _csv(tmp_path / "p.csv", [("R2", "Bob Hale")])
    for name, body in (("pasted.txt", text), ("bare.txt", bare)):
        (tmp_path / name).write_text(body, encoding="utf-8")
        done = _cli(home, "issue", str(tmp_path / name), "--recipients", str(people),
                    "--out", str(tmp_path / f"out-{name}"))
        assert "已是发放副本" in _one_line(done, 3)
        assert not (tmp_path / f"out-{name}").exists()


def test_marked_draft_is_refused_by_the_library_too(first):
    """``issue`` itself refuses (not only the command line's preflight)."""
    from mijian.pipeline.copy_checks import refuse_marked_draft
    from mijian.pipeline.errors import InputError
    from mijian.pipeline.readers import read_document

    with pytest.raises(InputError, match="issued copy"):
        refuse_marked_draft(read_document(first["plain"]))
    refuse_marked_draft(read_document(DRAFT))  # the draft itself passes


def test_issue_into_a_register_replaced_by_an_empty_one_writes_nothing(first, tmp_path):
    """Someone who can write the register file deletes it: the signed head still knows what was
    issued, so issuing refuses before it registers the document or makes a folder."""
    home = _clone_home(first, tmp_path / "home")
    for leftover in home.glob("register.db*"):
        leftover.unlink()
    people = _csv(tmp_path / "p.csv", [("R2", "Bob Hale")])
    done = _cli(home, "issue", str(DRAFT), "--recipients", str(people), "--out", str(tmp_path / "out"))
    assert "signed head" in _one_line(done, 4)
    assert _events(home) == 0 and not (tmp_path / "out").exists()
    assert _cli(home, "register", "verify").returncode == 4


@pytest.mark.parametrize("inside", ["runs", "keys", "."])
def test_out_folder_inside_the_office_home_is_refused(first, tmp_path, inside):
    """Copies and passwords.csv never land in the office folder beside the keys and register."""
    home = _clone_home(first, tmp_path / "home")
    before = _events(home)
    people = _csv(tmp_path / "p.csv", [("R2", "Bob Hale")])
    done = _cli(home, "issue", str(DRAFT), "--recipients", str(people),
                "--out", str(home / inside / "copies"))
    assert "office folder" in _one_line(done, 2)
    assert not (home / inside / "copies").exists() and _events(home) == before
    assert not [p for p in home.rglob("*") if p.suffix in (".pdf", ".csv", ".json")]


@pytest.mark.parametrize("rows", [
    [("Ｒ１", "Alice"), ("R1", "Bob")],      # full-width letters and digits
    [("r7", "Alice"), ("R7", "Bob")],         # case
    [("ﬁle1", "Alice"), ("file1", "Bob")],    # a ligature
])
def test_ids_equal_to_a_reader_are_duplicates(tmp_path, rows):
    """Two rows whose ids look the same are one recipient twice: refused naming the line."""
    people = _csv(tmp_path / "p.csv", rows)
    done = _cli(tmp_path / "home", "issue", str(DRAFT), "--recipients", str(people),
                "--out", str(tmp_path / "out"))
    line = _one_line(done, 3)
    assert "line 3" in line and "appears twice" in line
    assert not (tmp_path / "out").exists() and not (tmp_path / "home" / "register.db").exists()


def test_planted_link_named_like_a_copy_receives_nothing(tmp_path):
    """A link planted in a new output folder under the name a copy will get: the copy replaces
    the link, the file it pointed to is never created or written."""
    out = tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "victim.pdf"
    (out / "000001_R1.pdf").symlink_to(victim)
    people = _csv(tmp_path / "p.csv", [("R1", "Alice Grant")])
    done = _cli(tmp_path / "home", "issue", str(DRAFT), "--recipients", str(people),
                "--out", str(out), "--json")
    assert done.returncode == 0, done.stderr
    assert not victim.exists() and not (out / "000001_R1.pdf").is_symlink()
    assert json.loads(done.stdout)["copies"][0]["file"] == "000001_R1.pdf"


@pytest.mark.parametrize("rid", ["../R1", "..\\R1", "a/b"])
def test_ids_that_are_paths_are_refused(tmp_path, rid):
    people = _csv(tmp_path / "p.csv", [(rid, "Alice")])
    done = _cli(tmp_path / "home", "issue", str(DRAFT), "--recipients", str(people),
                "--out", str(tmp_path / "out"))
    assert "line 2" in _one_line(done, 3)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("kind", ["pipe", "folder"])
def test_certificate_path_that_is_not_a_file_is_refused_without_hanging(tmp_path, kind):
    """A recipients file whose public_key names a named pipe used to hang the run for ever
    (nothing writes to the pipe); a folder or a pipe is refused in one line."""
    target = tmp_path / "cert"
    if kind == "pipe":
        os.mkfifo(target)
    else:
        target.mkdir()
    people = tmp_path / "p.csv"
    people.write_text("id,name,public_key\nR1,Alice,cert\n", encoding="utf-8")
    done = _cli(tmp_path / "home", "issue", str(DRAFT), "--recipients", str(people),
                "--out", str(tmp_path / "out"))
    assert "line 2" in _one_line(done, 3) and not (tmp_path / "out").exists()


@pytest.mark.parametrize("approver", ["机要员", " 机要员\u3000"])
def test_a_clerk_cannot_approve_their_own_top_secret_issue(tmp_path, approver):
    """The clerk issuing 绝密 copies named themselves as the approving authority: copies with
    nobody else's approval. Refused (exit 2) before anything is written, as the print run and
    the reproduction refuse it; another approver's word is taken."""
    from mijian.pipeline import service
    from mijian.pipeline.errors import UsageError

    draft = tmp_path / "ts.txt"
    draft.write_text("绝密测试文件\n\n本文件为测试。\n", encoding="utf-8")
    recipients = _csv(tmp_path / "one.csv", [("R1", "甲")])
    settings = service.Settings(home=tmp_path / "home", actor="机要员")
    choice = service.GradeChoice(grade="绝密", period="30年", approver=approver)
    request = service.IssueRequest(draft=draft, recipients=recipients, choice=choice,
                                   out=tmp_path / "out", jobs=1)
    with pytest.raises(UsageError, match="cannot approve itself") as err:
        service.issue(request, settings=settings)
    assert err.value.exit_code == 2 and not (tmp_path / "out").exists()
    assert not (tmp_path / "home" / "register.db").exists() or not service.list_copies(settings=settings)
    other = service.GradeChoice(grade="绝密", period="30年", approver="王局长")
    done = service.issue(service.IssueRequest(draft=draft, recipients=recipients, choice=other,
                                              out=tmp_path / "out", jobs=1), settings=settings)
    assert len(done.run.copies) == 1
