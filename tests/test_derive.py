"""Reproductions, extracts and compilations (复制、摘录、汇编): real register, real PDF copies,
real trace; approvals by grade, refusals that write nothing, signed events and the
``derivations`` table checked by ``register verify``."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pymupdf
import pytest

from mijian.pipeline import service
from mijian.pipeline.audit import verify_register
from mijian.pipeline.derive_docs import inherit
from mijian.pipeline.derive_periods import longest_period, read_period
from mijian.pipeline.errors import InputError, RegisterError, UsageError
from mijian.pipeline.issuing import decrypt_copy
from mijian.pipeline.office import Office
from mijian.pipeline.service.values import GradeChoice, IssueRequest, Settings
from tests.conftest import ROOT, SAMPLES, secret_document_record

NOTICE = SAMPLES / "zh_notice_secret.pdf"
TRAINING = SAMPLES / "zh_training_public.txt"
LEADER = {"approver": "李主任", "approver_role": "leader", "reason": "会议需要"}


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """One office, issued once: the notice at 机密 20年 to three people (000003 then returned)
    and the training text at 秘密 10年 to two."""
    root = tmp_path_factory.mktemp("derive")
    recipients = root / "r.csv"
    recipients.write_text("id,name,unit\nR1,周立衡,战备处\nR2,何振邦,发改局\nR3,陈明,人事处\n",
                          encoding="utf-8")
    settings = Settings(home=root / "home", actor="机要员")
    notice = service.issue(IssueRequest(draft=NOTICE, recipients=recipients, out=root / "notice",
                                        choice=GradeChoice(grade="机密", period="20年"), jobs=1),
                           settings=settings)
    training = service.issue(IssueRequest(draft=TRAINING, recipients=recipients,
                                          out=root / "training", jobs=1,
                                          choice=GradeChoice(grade="秘密", period="10年")),
                             settings=settings)
    copies = {c.serial: c.copy_id for c in notice.run.copies}
    service.return_copy(copies["000003"], to="机要员", settings=settings)
    return {"root": root, "notice": notice.run.document_id, "copies": copies,
            "training": training.run.document_id, "recipients": recipients}


@pytest.fixture()
def office(base: dict, tmp_path: Path) -> tuple[Settings, dict]:
    """A private copy of the base office for one test (tests may change it)."""
    shutil.copytree(base["root"] / "home", tmp_path / "home")
    return Settings(home=tmp_path / "home", actor="机要员"), {**base, "tmp": tmp_path}


def _events(settings: Settings) -> int:
    with Office.open(settings.home) as opened:
        return len(list(opened.register.events()))


def _verify(settings: Settings):
    with Office.open(settings.home) as opened:
        return verify_register(opened)


def _page_one(path: Path, password: str) -> str:
    with pymupdf.open(stream=decrypt_copy(path, password), filetype="pdf") as doc:
        return doc[0].get_text()


def test_reproduce_secret_copy_with_leader_approval(office: tuple[Settings, dict]) -> None:
    settings, base = office
    done = service.reproduce(base["copies"]["000002"], draft=NOTICE, holder="王五", unit="办公室",
                             office_name="江澜省政府办公厅", out=base["tmp"] / "repro",
                             settings=settings, **LEADER)
    made = done.copy
    assert (made.serial, done.parent_serial) == ("000004", "000002")  # the document's next serial
    text = _page_one(made.file, made.password)
    assert "复制件" in text and "复制机关：江澜省政府办公厅" in text and "原份号：000002" in text
    verdict = service.trace(made.file, settings=settings)
    assert (verdict.verdict, verdict.recipient_name, verdict.serial) == ("identified", "王五", "000004")
    assert _verify(settings).ok
    rows = service.derivations(base["notice"], settings=settings)
    assert [(r["kind"], r["copy_id"], r["source_copy_id"], r["source_serial"], r["approver_role"])
            for r in rows] == [("reproduce", made.copy_id, base["copies"]["000002"], "000002", "leader")]
    actions = [e["action"] for e in service.copy_history(made.copy_id, settings=settings)]
    assert actions[:3] == ["reserved", "reproduced", "issued"]


def _top_secret(settings: Settings) -> None:
    """DOC-TS, 绝密★30年, with one issued copy TS0000000001 (no draft needed to be refused)."""
    from tests.test_register_change import _copy

    record = dataclasses.replace(secret_document_record("DOC-TS"), grade="绝密", level=4,
                                 period="30年", suggested_grade="绝密", suggested_level=4)
    with Office.open(settings.home) as opened:
        with opened.register.transaction():
            opened.register.add_document(record, opened.key(), "机要员")
            opened.register.next_serial("DOC-TS")
            copy = dataclasses.replace(_copy("TS0000000001", "000001", "R9", "钱七", ""),
                                       document_id="DOC-TS")
            opened.register.add_copy(copy, opened.key(), "机要员")


@pytest.mark.parametrize("case", ["no approver", "authority for 机密", "no reason", "unknown role",
                                  "wrong draft", "returned copy", "leader for 绝密", "holder twice",
                                  "stamp too long", "destroyed copy", "lost copy"])
def test_reproduce_refusals_write_nothing(office: tuple[Settings, dict], case: str) -> None:
    settings, base = office
    copy, draft, holder, office_name = base["copies"]["000002"], NOTICE, "王五", "江澜省办公厅"
    approval = dict(LEADER)
    expected: type[Exception] = UsageError
    if case == "no approver":
        approval["approver"] = " "
    elif case == "authority for 机密":
        approval["approver_role"] = "authority"
    elif case == "no reason":
        approval["reason"] = ""
    elif case == "unknown role":
        approval["approver_role"] = "clerk"
    elif case == "wrong draft":
        draft, expected = TRAINING, InputError
    elif case == "returned copy":
        copy, expected = base["copies"]["000003"], RegisterError
    elif case == "leader for 绝密":
        _top_secret(settings)
        copy = "TS0000000001"
    elif case == "holder twice":
        holder = "R1"  # already holds 000001
    elif case == "stamp too long":
        office_name = "江澜省人民政府办公厅" * 40  # a stamp left out would hide the reproduction
    elif case == "destroyed copy":  # a copy on record as shredded cannot be the parent of another
        service.destroy_copy(copy, "李主任", "赵监销", "粉碎", settings=settings)
        expected = RegisterError
    elif case == "lost copy":
        service.mark_lost(copy, "会后遗失", settings=settings)
        expected = RegisterError
    before = _events(settings)
    with pytest.raises(expected) as refused:
        service.reproduce(copy, draft=draft, holder=holder, out=base["tmp"] / "repro",
                          office_name=office_name, settings=settings, **approval)
    assert _events(settings) == before
    if case == "leader for 绝密":
        assert "authority" in str(refused.value) and "绝密" in str(refused.value)
    if case in ("returned copy", "destroyed copy", "lost copy"):
        assert case.split()[0] in str(refused.value)
    assert not (base["tmp"] / "repro").exists()
    assert _verify(settings).ok


def test_reproduce_declassified_document_is_refused(office: tuple[Settings, dict]) -> None:
    settings, base = office
    service.declassify(base["notice"], approver="定密责任人", justification="期满",
                       settings=settings)
    before = _events(settings)
    with pytest.raises(RegisterError, match="declassified") as refused:
        service.reproduce(base["copies"]["000001"], draft=NOTICE, holder="王五",
                          out=base["tmp"] / "repro", settings=settings, **LEADER)
    assert "copy the public document" in str(refused.value)
    assert _events(settings) == before


def test_extract_inherits_highest_grade_and_longest_period_then_issues(
        office: tuple[Settings, dict]) -> None:
    settings, base = office
    draft = base["tmp"] / "extract.txt"
    draft.write_text("培训工作安排摘要\n\n本摘要汇集近期培训与保障工作的一般安排，供参考。\n",
                     encoding="utf-8")
    found = service.derive_document("extract", [base["training"], base["notice"]], draft=draft,
                                    title="保障工作摘编", settings=settings, **LEADER)
    assert (found.grade, found.level, found.period) == ("机密", 3, "20年")
    assert [s["document_id"] for s in found.sources] == [base["training"], base["notice"]]
    history = service.decisions(found.document_id, settings=settings).history
    decided, derived = history.events
    for source in (base["training"], base["notice"]):
        assert source in decided.detail["basis"]
    assert "秘密 10年" in decided.detail["basis"] and "机密 20年" in decided.detail["basis"]
    assert derived.action == "derived"
    assert derived.detail["derivation"]["approver_role"] == "leader"
    with pytest.raises(RegisterError, match="registered as 机密★20年; --grade 秘密 differs"):
        service.issue(IssueRequest(draft=draft, recipients=base["recipients"], jobs=1,
                                   out=base["tmp"] / "bad", choice=GradeChoice(grade="秘密")),
                      settings=settings)
    assert not (base["tmp"] / "bad").exists()
    # the registered grade and period are taken: no --grade or --period is needed
    run = service.issue(IssueRequest(draft=draft, recipients=base["recipients"], jobs=1,
                                     out=base["tmp"] / "extract"), settings=settings).run
    assert run.document_id == found.document_id and len(run.copies) == 3
    assert (run.decision.grade, run.decision.period) == ("机密", "20年")
    verdict = service.trace(run.copies[1].file, settings=settings)
    assert (verdict.verdict, verdict.document_id, verdict.serial) == \
        ("identified", found.document_id, "000002")
    assert _verify(settings).ok


def test_a_higher_suggestion_wins_and_compile_needs_two(office: tuple[Settings, dict]) -> None:
    settings, base = office
    draft = base["tmp"] / "notice.txt"
    with pymupdf.open(NOTICE) as doc:  # the notice's text: the classifier suggests 机密
        draft.write_text("".join(p.get_text() for p in doc)[:1500], encoding="utf-8")
    with pytest.raises(UsageError, match="at least 2"):
        service.derive_document("compile", [base["training"]], draft=draft, title="汇编",
                                settings=settings, **LEADER)
    with pytest.raises(UsageError, match="listed twice"):
        service.derive_document("compile", [base["training"], base["training"]], draft=draft,
                                title="汇编", settings=settings, **LEADER)
    found = service.derive_document("extract", [base["training"]], draft=draft, title="摘录",
                                    settings=settings, **LEADER)
    assert (found.grade, found.period) == ("机密", "20年")  # 秘密 10年 source, 机密 suggestion
    assert any("higher grade is taken" in n for n in found.notes)
    with pytest.raises(RegisterError, match="already registered"):
        service.derive_document("extract", [base["notice"]], draft=draft, title="再摘",
                                settings=settings, **LEADER)


def test_editing_a_derivation_row_fails_verify(office: tuple[Settings, dict]) -> None:
    settings, base = office
    service.reproduce(base["copies"]["000001"], draft=NOTICE, holder="王五",
                      out=base["tmp"] / "repro", settings=settings, **LEADER)
    assert _verify(settings).ok
    edits = ["UPDATE derivations SET approver = '别人'",
             "UPDATE derivations SET source_serial = '000002'",
             "DELETE FROM derivations",
             "INSERT INTO derivations VALUES (1, 0, 'reproduce', 'DOC-X', NULL, 'DOC-Y', NULL, NULL,"
             " 'a', 'leader', 'r')"]
    for index, edit in enumerate(edits):
        home = base["tmp"] / f"edited{index}"  # each edit on its own copy of the office
        shutil.copytree(settings.home, home)
        with sqlite3.connect(home / "register.db") as conn:
            conn.execute(edit)
        report = _verify(Settings(home=home, actor="机要员"))
        assert not report.ok and "derivation" in (report.problem or ""), edit


def test_period_ordering() -> None:
    assert longest_period(["10年", "20年"]).period == "20年"
    assert longest_period(["18个月", "1年"]).period == "18个月"
    assert longest_period(["30年", "长期", None]).period == "长期"
    assert longest_period(["2030年1月1日", "2035年6月30日"]).period == "2035年6月30日"
    assert longest_period(["10 years", "20301231"]).comparable is False  # a length, a date
    assert longest_period(["至项目验收", "10年"]).comparable is False
    assert longest_period(["长期", "至项目验收"]).comparable is False
    assert longest_period([None, None]).period is None
    assert read_period("2030年2月30日").kind == "condition"  # no such day: kept as written


def test_incomparable_periods_take_the_highest_grade_source_and_say_so() -> None:
    low = dataclasses.replace(secret_document_record("DOC-A"), grade="秘密", level=2,
                              period="2040年1月1日")
    high = secret_document_record("DOC-B")  # 机密 20年
    found = inherit([low, high])
    assert (found.level, found.period) == (3, "20年")
    assert "cannot be compared" in found.notes[-1] and "DOC-B" in found.notes[-1]
    longer = dataclasses.replace(low, period="10年")
    assert inherit([longer, dataclasses.replace(high, period="5年")]).period == "10年"


def test_cli_reproduce_refusal_and_success(office: tuple[Settings, dict]) -> None:
    settings, base = office

    def run(*args: str) -> subprocess.CompletedProcess:
        env = {"MIJIAN_HOME": str(settings.home), "PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin",
               "MIJIAN_CACHE": os.environ.get("MIJIAN_CACHE", "off")}
        return subprocess.run([sys.executable, "-m", "mijian", "derive", "reproduce",
                               base["copies"]["000002"], "--draft", str(NOTICE), "--for", "王五",
                               "--out", str(base["tmp"] / "cli"), "--reason", "会议需要",
                               "--approver", "李主任", *args, "--json"],
                              capture_output=True, text=True, env=env, cwd=base["tmp"])

    refused = run("--approver-role", "authority")
    assert refused.returncode == 2 and "leader" in refused.stderr
    done = run("--approver-role", "leader")
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)
    assert shown["serial"] == "000004" and shown["parent_serial"] == "000002"
    assert "原份号：000002" in shown["stamp"]


def test_a_version_2_register_gains_the_derivations_table(tmp_path: Path) -> None:
    from mijian.pipeline.register_schema import SCHEMA_VERSION

    home = tmp_path / "home"
    with Office.open(home) as opened, opened.register.transaction():
        opened.register.add_document(secret_document_record("DOC-1"), opened.key(), "机要员")
    db = home / "register.db"
    with sqlite3.connect(db) as conn:  # as a register written before derivations existed
        conn.execute("DROP TABLE derivations")
        conn.execute("PRAGMA user_version = 2")
        logged = conn.execute("SELECT * FROM events").fetchall()
    with Office.open(home) as opened:
        assert verify_register(opened).ok
        assert opened.register.derivation_rows() == []
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION >= 3
        assert conn.execute("SELECT * FROM events").fetchall() == logged


def test_extract_roles_and_sources_by_grade(office: tuple[Settings, dict]) -> None:
    settings, base = office
    _top_secret(settings)
    draft = base["tmp"] / "ts.txt"
    draft.write_text("会议安排摘要\n\n本摘要为一般工作安排。\n", encoding="utf-8")
    before = _events(settings)
    with pytest.raises(UsageError, match="authority"):  # a 绝密 source: the leader cannot approve
        service.derive_document("extract", ["DOC-TS", base["training"]], draft=draft,
                                title="摘录", settings=settings, **LEADER)
    assert _events(settings) == before
    found = service.derive_document("extract", ["DOC-TS", base["training"]], draft=draft,
                                    title="摘录", approver="定密责任人", approver_role="authority",
                                    reason="上报", settings=settings)
    assert (found.grade, found.period) == ("绝密", "30年")
    service.declassify(base["notice"], approver="定密责任人", justification="期满",
                       settings=settings)
    with pytest.raises(RegisterError, match="declassified"):
        service.derive_document("compile", [base["training"], base["notice"]], draft=draft,
                                title="汇编", settings=settings, **LEADER)
    assert _verify(settings).ok


def test_a_reproduction_carries_the_scope_a_change_set(office: tuple[Settings, dict]) -> None:
    """A reproduction is handled as the original: after a change of scope (知悉范围) its
    manifest states the new scope, as an issued copy's would."""
    settings, base = office
    service.change_marking(base["notice"], scope="办公室、财务处", approver="定密责任人",
                           justification="扩大知悉范围", settings=settings)
    done = service.reproduce(base["copies"]["000002"], draft=NOTICE, holder="王五", unit="办公室",
                             office_name="江澜省政府办公厅", out=base["tmp"] / "repro",
                             settings=settings, **LEADER)
    manifest = json.loads((base["tmp"] / "repro" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest.get("scope") == "办公室、财务处", manifest
    assert done.copy.serial == "000004" and _verify(settings).ok
