"""Issuing refuses what a careless or hostile user hands it, before anything is reserved.

Recipient rows with hidden characters, line breaks or over-long fields; an office home that
others can write; a keys folder others can read. And what a spreadsheet would run as a
formula is written to ``passwords.csv`` as text.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from mijian.pipeline.errors import InputError, RegisterError
from mijian.pipeline.issue_outputs import spreadsheet_cell
from mijian.pipeline.office import Office
from mijian.pipeline.recipients import load_recipients
from tests.conftest import ROOT, SAMPLES

DRAFT = SAMPLES / "en_press_release.txt"


def _cli(*args: str, home: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, MIJIAN_HOME=str(home))
    return subprocess.run([sys.executable, "-m", "mijian", *args], capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=300)


def _csv(tmp_path: Path, body: str, name: str = "people.csv") -> Path:
    path = tmp_path / name
    path.write_text("id,name,unit\nR1,张三,办公室\n" + body, encoding="utf-8")
    return path


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


HIDDEN = [
    ("R2,\"Bob\u202eevil\",x\n", "U+202E", "name"),            # right-to-left override
    ("R2,Bob,\u2066unit\u2069\n", "U+2066", "unit"),           # isolate
    ("R2,Bo\u200eb,x\n", "U+200E", "name"),                    # left-to-right mark
    ("R2,Bo\u200fb,x\n", "U+200F", "name"),                    # right-to-left mark
    ("R2,Bo\u061cb,x\n", "U+061C", "name"),                    # Arabic letter mark
    ("R\u202a2,Bob,x\n", "U+202A", "id"),                      # embedding in the id
    ("R2,\"Bob\nSmith\",x\n", "line break", "name"),           # newline inside quotes
    ("R2,\"Bob\rSmith\",x\n", "carriage return", "name"),
    ("R2,Bo\x07b,x\n", "U+0007", "name"),                      # bell
    ("R2,Bo\u200bb,x\n", "U+200B", "name"),                    # zero width space
    ("R2,Bo\u2028b,x\n", "U+2028", "name"),                    # line separator
]


@pytest.mark.parametrize("row,what,column", HIDDEN)
def test_hidden_characters_are_refused_naming_the_line(tmp_path, row, what, column):
    path = _csv(tmp_path, row)
    with pytest.raises(InputError) as info:
        load_recipients(path)
    message = str(info.value)
    assert message.startswith(f"{path}: line 3: {column} holds the hidden character")
    assert what in message and "delete it" in message
    assert "\n" not in message and "\r" not in message


def test_line_number_counts_physical_lines_after_a_quoted_break(tmp_path):
    path = _csv(tmp_path, "R2,\"Two\nLines\",x\nR3,\"Bad\u202e\",x\n")
    with pytest.raises(InputError, match=r": line 3: name holds the hidden character U\+000A"):
        load_recipients(path)


@pytest.mark.parametrize("row,fragment", [
    ("R2," + "名" * 101 + ",x\n", "line 3: name is 101 characters long; expected at most 100"),
    ("R2,Bob," + "u" * 101 + "\n", "line 3: unit is 101 characters long; expected at most 100"),
])
def test_over_long_fields_are_refused(tmp_path, row, fragment):
    with pytest.raises(InputError, match=fragment):
        load_recipients(_csv(tmp_path, row))


def test_ordinary_names_still_pass(tmp_path):
    people = load_recipients(_csv(tmp_path, "R2,Zoë O'Brien-Łukasz,Legal & Co\nR3,王 小明,"
                                            "办公厅（秘书处）\nR4,=HYPERLINK(\"x\"),+1\n"))
    assert [p.name for p in people] == ["张三", "Zoë O'Brien-Łukasz", "王 小明", "=HYPERLINK(\"x\")"]


def test_bidi_name_is_refused_before_anything_is_reserved(tmp_path):
    home, out = tmp_path / "home", tmp_path / "out"
    first = _cli("issue", str(DRAFT), "--recipients", str(_csv(tmp_path, "", "ok.csv")),
                 "--out", str(out), "--json", home=home)
    assert first.returncode == 0, first.stderr
    before, listing = _digest(home), sorted(p.name for p in out.iterdir())
    bad = _csv(tmp_path, "R2,Alice,x\nR3,\"Bob\u202eevil\",x\nR4,Carol,x\n", "bad.csv")
    done = _cli("issue", str(DRAFT), "--recipients", str(bad), "--out", str(out), "--json",
                home=home)
    assert done.returncode == 3, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and f"{bad}: line 4: name holds the hidden character U+202E" in lines[0]
    # --json: the error, once more, as the one object on stdout
    assert json.loads(done.stdout) == {"error": lines[0].removeprefix("mijian: "), "exit": 3}
    assert _digest(home) == before, "the register or keys changed"
    assert sorted(p.name for p in out.iterdir()) == listing


def test_spreadsheet_cells_are_escaped_in_passwords_csv(tmp_path):
    home, out = tmp_path / "home", tmp_path / "out"
    people = tmp_path / "formula.csv"
    people.write_text('id,name\n"=HYPERLINK(""x.example"",""y"")",Mallory\n+41,Plus\n-1,Minus\n'
                      "@SUM,At\nplain,Plain\n", encoding="utf-8")
    done = _cli("issue", str(DRAFT), "--recipients", str(people), "--out", str(out), "--json",
                home=home)
    assert done.returncode == 0, done.stderr
    with (out / "passwords.csv").open(encoding="utf-8", newline="") as stream:
        rows = list(csv.reader(stream))
    ids = [r[1] for r in rows[1:]]
    assert ids == ["'=HYPERLINK(\"x.example\",\"y\")", "'+41", "'-1", "'@SUM", "plain"]
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for r in rows for cell in r)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["copies"][0]["recipient_id"] == "=HYPERLINK(\"x.example\",\"y\")"


@pytest.mark.parametrize("value,expected", [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@A1", "'@A1"), ("\tx", "'\tx"),
    ("\rx", "'\rx"), ("a=b", "a=b"), ("", ""), ("'=x", "'=x")])
def test_spreadsheet_cell(value, expected):
    assert spreadsheet_cell(value) == expected


@pytest.mark.parametrize("mode", [0o1777, 0o775, 0o722])
def test_home_others_can_write_is_refused_not_changed(tmp_path, mode):
    home = tmp_path / "shared"
    home.mkdir()
    os.chmod(home, mode)
    with pytest.raises(RegisterError, match=r"can be written by group or others.*chmod 700"):
        Office.open(home)
    assert stat.S_IMODE(home.stat().st_mode) == mode
    assert list(home.iterdir()) == []
    done = _cli("issue", str(DRAFT), "--recipients", str(_csv(tmp_path, "")), "--out",
                str(tmp_path / "out"), home=home)
    assert done.returncode == 4
    assert len(done.stderr.strip().splitlines()) == 1 and "MIJIAN_HOME" in done.stderr
    assert stat.S_IMODE(home.stat().st_mode) == mode and list(home.iterdir()) == []


def test_new_home_and_keys_are_private(tmp_path):
    home = tmp_path / "deep" / "home"
    with Office.open(home):
        pass
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert stat.S_IMODE((home / "keys").stat().st_mode) == 0o700


@pytest.mark.parametrize("mode", [0o755, 0o750, 0o701])
def test_keys_folder_open_to_others_is_refused(tmp_path, mode):
    home = tmp_path / "home"
    with Office.open(home):
        pass
    os.chmod(home / "keys", mode)
    with pytest.raises(RegisterError, match=r"keys folder is a link or open to others.*chmod 700"):
        Office.open(home)
    assert stat.S_IMODE((home / "keys").stat().st_mode) == mode


def test_existing_private_home_keeps_its_mode(tmp_path):
    home = tmp_path / "home"
    home.mkdir(mode=0o750)
    os.chmod(home, 0o750)
    with Office.open(home):
        pass
    assert stat.S_IMODE(home.stat().st_mode) == 0o750
