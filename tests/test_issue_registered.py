"""``mijian issue`` under the registered decision: no ``--grade``/``--period`` once a draft is
registered (by its first issue, a change, an extract); a differing grade, period or scheme
refused with nothing written; a declassified document refused; a classifier suggestion above
the registered grade a warning, not a block. Real register, real PDF copies, the real CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pymupdf
import pytest

from mijian.pipeline import service
from mijian.pipeline.issuing import decrypt_copy
from mijian.pipeline.office import Office
from mijian.pipeline.service.values import GradeChoice, IssueRequest, Settings
from tests.conftest import ROOT, SAMPLES

NOTICE = SAMPLES / "zh_notice_secret.pdf"  # the classifier suggests 机密 20年
DRILL = "关于做好演训保障工作的通知：参演部队开进和临时驻地保障由县人武部牵头。\n"
"""Read below 机密 alone (秘密 by the rules, 内部 with the second reader), as 机密 with the
sample catalogue's item JL-BZ-01."""

APPROVAL = ("--approver", "李主任", "--justification", "部分内容已公开通报")


def mijian(*args: str, home: Path) -> subprocess.CompletedProcess:
    """The command line of this checkout, in the office ``home``."""
    env = dict(os.environ, MIJIAN_HOME=str(home))
    return subprocess.run([sys.executable, "-m", "mijian", *args], capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=300)


def issued(draft: Path, people: Path, out: Path, home: Path, *extra: str) -> dict:
    """The manifest of a run that must succeed, with its stderr under ``"stderr"``."""
    done = mijian("issue", str(draft), "--recipients", str(people), "--out", str(out),
                  "--jobs", "1", "--json", *extra, home=home)
    assert done.returncode == 0, done.stderr
    return {**json.loads(done.stdout), "stderr": done.stderr}


@pytest.fixture()
def people(tmp_path: Path) -> list[Path]:
    """Four one-person recipients files, so that each run issues one new copy."""
    rows = [("R1", "周立衡"), ("R2", "何振邦"), ("R3", "陈思远"), ("R4", "林若岚")]
    files = []
    for rid, name in rows:
        path = tmp_path / f"{rid}.csv"
        path.write_text(f"id,name\n{rid},{name}\n", encoding="utf-8")
        files.append(path)
    return files


def first_page(out: Path, serial: str) -> str:
    """Page 1 of copy ``serial`` in ``out``, opened with its password."""
    rows = (out / "passwords.csv").read_text(encoding="utf-8").splitlines()[1:]
    password = next(r.split(",")[2] for r in rows if r.startswith(serial + ","))
    path = next(out.glob(f"{serial}_*.pdf"))
    with pymupdf.open(stream=decrypt_copy(path, password), filetype="pdf") as doc:
        return doc[0].get_text()


def event_count(home: Path) -> int:
    with Office.open(home) as office:
        return len(list(office.register.events()))


def test_after_the_first_decision_no_flags_are_needed(tmp_path, home, people):
    lowered = issued(NOTICE, people[0], tmp_path / "a", home, "--grade", "秘密", "--period", "5年",
                     "--justification", "已在会上通报")
    again = issued(NOTICE, people[1], tmp_path / "b", home)
    assert (again["grade"], again["period"]) == ("秘密", "5年")
    assert again["document_id"] == lowered["document_id"]
    assert [c["serial"] for c in again["copies"]] == ["000002"]
    assert "秘密★5年" in first_page(tmp_path / "b", "000002")
    # the suggestion (机密) is the one the authority lowered with a reason: no warning again
    assert "warnings" not in again and "warning" not in again["stderr"]
    # naming the registered grade and period is accepted
    named = issued(NOTICE, people[2], tmp_path / "c", home, "--grade", "秘密", "--period", "5年")
    assert named["grade"] == "秘密" and [c["serial"] for c in named["copies"]] == ["000003"]


def test_after_a_change_the_changed_decision_is_issued(tmp_path, home, people):
    first = issued(NOTICE, people[0], tmp_path / "a", home)
    assert (first["grade"], first["period"]) == ("机密", "20年")
    doc = first["document_id"]
    changed = mijian("register", "change", doc, "--grade", "秘密", "--period", "5年", "--scope",
                     "办公室、财务处", *APPROVAL, home=home)
    assert changed.returncode == 0, changed.stderr
    after = issued(NOTICE, people[1], tmp_path / "b", home)
    assert (after["grade"], after["period"], after["scope"]) == ("秘密", "5年", "办公室、财务处")
    assert "秘密★5年" in first_page(tmp_path / "b", "000002")
    # the grade as it was before the change is now a different grade: refused
    before = event_count(home)
    old = mijian("issue", str(NOTICE), "--recipients", str(people[2]), "--grade", "机密",
                 "--out", str(tmp_path / "c"), home=home)
    assert old.returncode == 4 and "mijian register change" in old.stderr, old.stderr
    assert not (tmp_path / "c").exists() and event_count(home) == before


def test_after_an_extract_the_inherited_decision_is_issued(tmp_path, home, people):
    source = issued(NOTICE, people[0], tmp_path / "notice", home)
    draft = tmp_path / "extract.txt"
    draft.write_text("保障工作摘编\n\n本摘编汇集近期保障工作的一般安排。\n", encoding="utf-8")
    derived = mijian("derive", "extract", source["document_id"], "--title", "保障工作摘编",
                     "--draft", str(draft), "--approver", "李主任", "--approver-role", "leader",
                     "--reason", "汇报材料", "--json", home=home)
    assert derived.returncode == 0, derived.stderr
    extract_id = json.loads(derived.stdout)["document_id"]
    made = issued(draft, people[1], tmp_path / "extract", home)
    assert (made["document_id"], made["grade"], made["period"]) == (extract_id, "机密", "20年")
    assert "机密★20年" in first_page(tmp_path / "extract", "000001")


@pytest.mark.parametrize("option", [("--grade", "秘密"), ("--grade", "绝密"),
                                    ("--period", "10年"), ("--scheme", "cn-enterprise")])
def test_a_differing_grade_period_or_scheme_is_refused_nothing_written(tmp_path, home, people,
                                                                       option):
    issued(NOTICE, people[0], tmp_path / "a", home)  # registered: 机密 20年 on cn-state
    before = event_count(home)
    out = tmp_path / "b"
    refused = mijian("issue", str(NOTICE), "--recipients", str(people[1]), *option, "--out",
                     str(out), home=home)
    assert refused.returncode == 4, refused.stderr
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1 and "registered" in lines[0] and "differs" in lines[0], lines
    if option[0] != "--scheme":
        assert "mijian register change DOC-" in lines[0] and " ".join(option) in lines[0]
    assert not out.exists() and event_count(home) == before
    as_json = mijian("issue", str(NOTICE), "--recipients", str(people[1]), *option, "--out",
                     str(out), "--json", home=home)
    assert json.loads(as_json.stdout)["exit"] == 4 and not out.exists()


def test_a_declassified_document_is_refused(tmp_path, home, people):
    first = issued(NOTICE, people[0], tmp_path / "a", home)
    done = mijian("register", "declassify", first["document_id"], *APPROVAL, home=home)
    assert done.returncode == 0, done.stderr
    before = event_count(home)
    for extra in ((), ("--grade", "公开")):
        refused = mijian("issue", str(NOTICE), "--recipients", str(people[1]), *extra, "--out",
                         str(tmp_path / "b"), home=home)
        assert refused.returncode == 4 and "declassified" in refused.stderr, refused.stderr
        assert "hand out the draft itself" in refused.stderr
        assert len(refused.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "b").exists() and event_count(home) == before


def test_a_higher_suggestion_warns_and_the_registered_grade_stands(tmp_path, home, people):
    draft = tmp_path / "drill.txt"
    draft.write_text(DRILL, encoding="utf-8")
    first = issued(draft, people[0], tmp_path / "a", home, "--grade", "秘密")
    assert first["grade"] == "秘密" and "warnings" not in first
    # the office's catalogue now names the matter: the draft reads as 机密
    later = issued(draft, people[1], tmp_path / "b", home, "--catalogue",
                   str(SAMPLES / "catalogue.toml"))
    assert (later["grade"], later["period"]) == ("秘密", first["period"])
    assert len(later["warnings"]) == 1 and "机密" in later["warnings"][0]
    assert f"mijian register change {first['document_id']} --grade 机密" in later["warnings"][0]
    assert "warning" in later["stderr"] and "秘密★" in first_page(tmp_path / "b", "000002")
    shown = mijian("register", "decisions", first["document_id"], "--json", home=home)
    assert json.loads(shown.stdout)["current"]["grade"] == "秘密"


def test_the_web_apps_earlier_decision_gives_way_to_the_registered_one(tmp_path, people):
    """The web app passes the authority's decision as ``decided``: the first decision while
    the register does not hold the draft, left aside once it does (changed since or not)."""
    settings = Settings(home=tmp_path / "home", actor="机要员")
    decided = GradeChoice(grade="机密", period="15年")
    first = service.issue(IssueRequest(draft=NOTICE, recipients=people[0], decided=decided,
                                       out=tmp_path / "a", jobs=1), settings=settings)
    assert (first.run.decision.grade, first.run.decision.period) == ("机密", "15年")
    service.change_marking(first.run.document_id, grade="秘密", period="5年", approver="李主任",
                           justification="部分公开", settings=settings)
    later = service.issue(IssueRequest(draft=NOTICE, recipients=people[1], decided=decided,
                                       out=tmp_path / "b", jobs=1), settings=settings)
    assert (later.run.decision.grade, later.run.decision.period) == ("秘密", "5年")
    assert later.warnings == ()
