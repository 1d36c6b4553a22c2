"""Change of grade, period or scope (变更) and declassification (解密): recorded as signed events,
checked by verify, refused without approver or justification, told to the holders."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pymupdf
import pytest

from mijian.pipeline import service
from mijian.pipeline.audit import verify_register
from mijian.pipeline.errors import RegisterError, UsageError
from mijian.pipeline.lifecycle import mark_lost, return_copy, sign_for
from mijian.pipeline.office import Office
from mijian.pipeline.register import CopyRecord
from mijian.pipeline.register_changes import change, declassify, history, last_change
from tests.conftest import ROOT, SAMPLES, secret_document_record

# copy id, serial, recipient id, name, unit; the fixture brings them to the statuses below
COPIES = [("0A1B2C3D4E5F", "000001", "R1", "张三", "办公室"),
          ("1B2C3D4E5F6G", "000002", "R2", "李四", "财务处"),
          ("2C3D4E5F6G7H", "000003", "R3", "王五", "人事处"),
          ("3D4E5F6G7H8J", "000004", "R4", "赵六", "")]


def _copy(copy_id: str, serial: str, rid: str, name: str, unit: str) -> CopyRecord:
    return CopyRecord(copy_id=copy_id, document_id="DOC-1", serial=serial, recipient_id=rid,
                      recipient_name=name, recipient_unit=unit, file=f"{serial}_{rid}.pdf",
                      file_sha256=hashlib.sha256(copy_id.encode()).hexdigest(), key_id="k",
                      issued_at="2026-01-02T00:00:00+00:00", status="issued",
                      status_at="2026-01-02T00:00:00+00:00", sealed_password=b"sealed")


@pytest.fixture()
def office(tmp_path: Path):
    """DOC-1, 机密★20年 on cn-state: 000001 issued, 000002 signed, 000003 returned, 000004 lost."""
    with Office.open(tmp_path / "home") as opened:
        register, key = opened.register, opened.key()
        with register.transaction():
            register.add_document(secret_document_record("DOC-1"), key, "机要员")
            for row in COPIES:
                assert register.next_serial("DOC-1") == row[1]  # the counter moves as in issuing
                register.add_copy(_copy(*row), key, "机要员")
        sign_for(opened, "1B2C3D4E5F6G", "李四", "机要员")
        return_copy(opened, "2C3D4E5F6G7H", "机要员甲", "机要员")
        mark_lost(opened, "3D4E5F6G7H8J", "出差途中遗失", "机要员")
        yield opened


def _state(office: Office) -> tuple:
    """Everything a refusal must leave as it was: the document row and the number of events."""
    conn = office.register._conn
    row = tuple(conn.execute("SELECT * FROM documents WHERE id = 'DOC-1'").fetchone())
    return row, conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]


def test_change_records_old_and_new_and_lists_outstanding_holders(office):
    done = change(office, "DOC-1", grade="秘密", period="5年", scope="办公室、财务处",
                  approver="李主任", justification="部分内容已公开", actor="机要员")
    assert (done.old.grade, done.old.period, done.old.scope) == ("机密", "20年", None)
    assert (done.new.grade, done.new.level, done.new.period) == ("秘密", 2, "5年")
    assert done.new.mark == "秘密★5年" and done.new.scope == "办公室、财务处"
    # returned and lost copies are not told; issued and signed ones are
    assert [(h.serial, h.recipient_name, h.status) for h in done.holders] == [
        ("000001", "张三", "issued"), ("000002", "李四", "signed")]
    document = office.register.get_document("DOC-1")
    assert (document.grade, document.level, document.period) == ("秘密", 2, "5年")
    assert document.justification is None  # the first decision's own fact is kept
    event = office.register._conn.execute("SELECT * FROM events WHERE seq = ?", (done.seq,)).fetchone()
    detail = json.loads(event["detail"])
    assert event["action"] == "changed" and event["copy_id"] is None
    assert detail["from"]["grade"] == "机密" and detail["from"]["period"] == "20年"
    assert detail["approver"] == "李主任" and detail["change_justification"] == "部分内容已公开"
    assert verify_register(office).ok


def test_scope_alone_and_history(office):
    change(office, "DOC-1", scope="仅限办公室", approver="李主任", justification="缩小知悉范围",
           actor="机要员")
    change(office, "DOC-1", period="10年", approver="李主任", justification="事项提前公开",
           actor="机要员")
    found = history(office, "DOC-1")
    assert [e.action for e in found.events] == ["decided", "changed", "changed"]
    assert (found.current.grade, found.current.period, found.current.scope) == ("机密", "10年", "仅限办公室")
    assert not found.declassified
    assert last_change(office, "DOC-1").old.period == "20年"
    assert verify_register(office).ok


def test_grade_change_keeps_a_period_that_fits_and_asks_for_one_that_does_not(office):
    before = _state(office)
    with pytest.raises(UsageError, match="--period"):  # 20年 is above 秘密's 10 years
        change(office, "DOC-1", grade="秘密", approver="李主任", justification="降密", actor="机要员")
    assert _state(office) == before
    raised = change(office, "DOC-1", grade="绝密", approver="李主任", justification="升密",
                    actor="机要员")
    assert raised.new.mark == "绝密★20年"
    inner = change(office, "DOC-1", grade="内部", approver="李主任", justification="降为工作秘密",
                   actor="机要员")
    assert inner.new.period is None and inner.new.mark == "内部"


@pytest.mark.parametrize("options,error,words", [
    ({"grade": "秘密", "period": "5年", "approver": "", "justification": "理由"}, UsageError, "approver"),
    ({"grade": "秘密", "period": "5年", "approver": "李主任", "justification": "  "}, UsageError,
     "justification"),
    ({"grade": "SECRET", "approver": "李主任", "justification": "理由"}, UsageError, "not in scheme"),
    ({"grade": "秘密", "period": "40年", "approver": "李主任", "justification": "理由"}, UsageError,
     "outside 1..10"),
    ({"approver": "李主任", "justification": "理由"}, UsageError, "nothing to change"),
    ({"grade": "机密", "period": "20年", "approver": "李主任", "justification": "理由"}, UsageError,
     "already marked"),
    ({"grade": "公开", "approver": "李主任", "justification": "理由"}, UsageError, "declassify"),
])
def test_refused_changes_leave_the_register_untouched(office, options, error, words):
    before = _state(office)
    with pytest.raises(error, match=words) as caught:
        change(office, "DOC-1", actor="机要员", **options)
    assert len(str(caught.value).splitlines()) == 1
    assert _state(office) == before


def test_unknown_document_is_a_register_error(office):
    with pytest.raises(RegisterError, match="not in the register") as caught:
        change(office, "DOC-9", grade="秘密", period="5年", approver="李主任", justification="理由",
               actor="机要员")
    assert caught.value.exit_code == 4
    with pytest.raises(RegisterError, match="not in the register"):
        declassify(office, "DOC-9", approver="李主任", justification="理由", actor="机要员")


def test_declassify_needs_approver_and_justification_and_is_final(office):
    before = _state(office)
    with pytest.raises(UsageError, match="approver"):
        declassify(office, "DOC-1", approver=None, justification="理由", actor="机要员")
    with pytest.raises(UsageError, match="justification"):
        declassify(office, "DOC-1", approver="李主任", justification="", actor="机要员")
    assert _state(office) == before
    change(office, "DOC-1", scope="仅限办公室", approver="李主任", justification="缩小知悉范围",
           actor="机要员")
    done = declassify(office, "DOC-1", approver="李主任", justification="已公开发布", actor="机要员")
    assert (done.new.grade, done.new.level, done.new.period, done.new.scope) == ("公开", 0, None, None)
    assert done.old.scope == "仅限办公室" and history(office, "DOC-1").current.scope is None
    assert [h.serial for h in done.holders] == ["000001", "000002"]
    after = _state(office)
    for again in (lambda: change(office, "DOC-1", scope="全体", approver="李主任", justification="x",
                                 actor="机要员"),
                  lambda: declassify(office, "DOC-1", approver="李主任", justification="x", actor="机要员")):
        with pytest.raises(RegisterError, match="declassified"):
            again()
    assert _state(office) == after
    assert history(office, "DOC-1").declassified and verify_register(office).ok


def _tamper(home: Path, sql: str, args: tuple = ()) -> None:
    conn = sqlite3.connect(home / "register.db", isolation_level=None)
    try:
        conn.execute("DROP TRIGGER IF EXISTS events_no_update")
        conn.execute(sql, args)
    finally:
        conn.close()


@pytest.mark.parametrize("sql", [
    "UPDATE documents SET period = '20年' WHERE id = 'DOC-1'",  # the change undone in the row only
    "UPDATE documents SET grade = '机密', level = 3 WHERE id = 'DOC-1'",
    "UPDATE events SET detail = replace(detail, '李主任', '王科员') WHERE action = 'changed'",
])
def test_verify_fails_when_a_change_or_its_row_is_edited(office, sql):
    change(office, "DOC-1", grade="秘密", period="5年", approver="李主任", justification="降密",
           actor="机要员")
    home = office.home
    office.close()
    _tamper(home, sql)
    with Office.open(home) as reopened:
        report = verify_register(reopened)
        assert not report.ok and report.problem
        with pytest.raises(RegisterError):  # no lookup takes the edited row either
            reopened.register.get_document("DOC-1")


def test_notice_path_is_checked_before_anything_is_recorded(office, tmp_path):
    taken = tmp_path / "taken.pdf"
    taken.write_bytes(b"x")
    settings = service.Settings(home=office.home, actor="机要员")
    before = _state(office)
    for bad in (taken, tmp_path / "notice.txt", tmp_path / "missing" / "n.pdf"):
        with pytest.raises(UsageError):
            service.change_marking("DOC-1", grade="秘密", period="5年", approver="李主任",
                                   justification="降密", notice=bad, settings=settings)
    assert _state(office) == before


# -- real drafts, real copies ------------------------------------------------------------------

def _run(*args: str, home: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, MIJIAN_HOME=str(home))
    return subprocess.run([sys.executable, "-m", "mijian", *args], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=300)


def _recipients(tmp_path: Path) -> Path:
    lines = (SAMPLES / "recipients.csv").read_text(encoding="utf-8").splitlines()
    path = tmp_path / "two.csv"
    path.write_text("\n".join(lines[:3]) + "\n", encoding="utf-8")
    return path


def test_cli_change_notice_trace_and_tamper(tmp_path):
    home, out = tmp_path / "home", tmp_path / "out"
    draft = str(SAMPLES / "zh_roster_personal.txt")
    issued = _run("issue", draft, "--recipients", str(_recipients(tmp_path)), "--out", str(out),
                  "--jobs", "1", "--json", home=home)
    assert issued.returncode == 0, issued.stderr
    manifest = json.loads(issued.stdout)
    document, copies = manifest["document_id"], manifest["copies"]
    notice = tmp_path / "notice.pdf"
    done = _run("register", "change", document, "--grade", "秘密", "--period", "5年", "--scope",
                "战备处、发改局", "--approver", "李主任", "--justification", "涉及未公开的人事安排",
                "--notice", str(notice), "--json", home=home)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["old"]["grade"] == manifest["grade"] and result["new"]["mark"] == "秘密★5年"
    assert [h["serial"] for h in result["holders"]] == [c["serial"] for c in copies]
    with pymupdf.open(notice) as pdf:
        text = "".join(page.get_text() for page in pdf).replace("\n", " ")
    for words in (document, "秘密★5年", "李主任", result["at"][:10], "Notice of a change"):
        assert words in text
    for copy in copies:
        assert copy["serial"] in text and copy["recipient_name"] in text
    shown = json.loads(_run("register", "show", copies[0]["copy_id"], "--json", home=home).stdout)
    assert (shown["document"]["grade"], shown["document"]["period"]) == ("秘密", "5年")
    decisions = json.loads(_run("register", "decisions", document, "--json", home=home).stdout)
    assert decisions["current"]["scope"] == "战备处、发改局"
    assert [e["action"] for e in decisions["events"]] == ["decided", "changed"]
    traced = _run("trace", str(out / copies[1]["file"]), "--json", home=home)
    verdict = json.loads(traced.stdout)  # the copy still names its holder after the change
    assert verdict["verdict"] == "identified" and verdict["serial"] == copies[1]["serial"]
    assert _run("register", "verify", home=home).returncode == 0
    _tamper(home, "UPDATE documents SET period = NULL WHERE id = ?", (document,))
    tampered = _run("register", "verify", home=home)
    assert tampered.returncode == 4 and len(tampered.stderr.strip().splitlines()) == 1


def test_declassified_document_is_not_issued_again(tmp_path):
    home = tmp_path / "home"
    settings = service.Settings(home=home, actor="机要员")
    request = service.IssueRequest(draft=SAMPLES / "zh_roster_personal.txt",
                                   recipients=_recipients(tmp_path), out=tmp_path / "out", jobs=1)
    document = service.issue(request, settings=settings).run.document_id
    cli = _run("register", "declassify", document, "--approver", "李主任", "--justification",
               "已公开发布", home=home)
    assert cli.returncode == 0 and "declassified" in cli.stdout, cli.stderr
    with pytest.raises(RegisterError, match="declassified") as caught:
        service.issue(request, settings=settings)
    assert len(str(caught.value).splitlines()) == 1
    again = _run("issue", str(request.draft), "--recipients", str(request.recipients), "--out",
                 str(tmp_path / "out2"), home=home)
    assert again.returncode == 4 and len(again.stderr.strip().splitlines()) == 1
    refused = _run("register", "change", document, "--scope", "全体", "--approver", "李主任",
                   "--justification", "x", home=home)
    assert refused.returncode == 4 and "declassified" in refused.stderr
    assert _run("register", "verify", home=home).returncode == 0


def test_notice_of_the_latest_decision_is_written_again(office, tmp_path):
    settings = service.Settings(home=office.home, actor="机要员")
    with pytest.raises(RegisterError, match="no notice"):  # nothing changed yet
        service.decisions("DOC-1", notice=tmp_path / "none.pdf", settings=settings)
    assert not (tmp_path / "none.pdf").exists()
    service.declassify("DOC-1", approver="李主任", justification="已公开发布", settings=settings)
    report = service.decisions("DOC-1", notice=tmp_path / "again.pdf", settings=settings)
    assert report.history.declassified and report.notice == (tmp_path / "again.pdf").absolute()
    with pymupdf.open(report.notice) as pdf:
        text = "".join(page.get_text() for page in pdf).replace("\n", " ")
    for words in ("解密通知", "Notice of declassification", "机密★20年", "公开", "李主任", "000001",
                  "张三", "000002", "李四"):
        assert words in text
    assert "000003" not in text and "000004" not in text  # returned and lost: nobody to tell


def test_the_notice_carries_one_marked_cover_sheet_per_holder(office, tmp_path):
    """变更 re-marks the copies on request: after the notice page, one page per holder whose
    first lines are the copy's 份号 and the new marking (GB/T 9704's place), naming the copy
    it goes on; none for a copy returned or lost."""
    settings = service.Settings(home=office.home, actor="机要员")
    done = service.change_marking("DOC-1", grade="秘密", period="5年", approver="李主任",
                                  justification="部分内容已公开", notice=tmp_path / "n.pdf",
                                  settings=settings)
    with pymupdf.open(done.notice) as pdf:
        pages = [page.get_text().split("\n") for page in pdf]
    holders = [h.serial for h in done.change.holders]
    assert holders and len(pages) >= 1 + len(holders)
    sheets = [p for p in pages if p[0].strip() in holders]
    assert [p[0].strip() for p in sheets] == holders
    for page in sheets:
        assert page[1].strip() == "秘密★5年" and "变更标志页" in "".join(page)
        assert "机密★20年" in "".join(page)  # the marking it replaces
