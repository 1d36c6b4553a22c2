"""Hostile-insider and careless-user attacks on reproductions (复制), extracts (摘录) and print runs
(打印室分发): each finding of the review is one test here, on a real register, real PDF copies,
real trace and real sqlite edits; every refusal is checked to leave the register as it was."""

from __future__ import annotations

import dataclasses
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pymupdf
import pytest

from mijian.pipeline import derive_copy, derive_docs, print_run
from mijian.pipeline import service
from mijian.pipeline.audit import verify_register
from mijian.pipeline.errors import InputError, MijianError, RegisterError, UsageError
from mijian.pipeline.model import Recipient
from mijian.pipeline.office import Office
from mijian.pipeline.readers import read_document
from mijian.pipeline.service.values import GradeChoice, IssueRequest, Settings
from tests.conftest import ROOT, SAMPLES

NOTICE = SAMPLES / "zh_notice_secret.pdf"
TRAINING = SAMPLES / "zh_training_public.txt"
OTHER_PDF = SAMPLES / "en_report_confidential.pdf"
ACTOR = "机要员"
LEADER = {"approver": "李主任", "approver_role": "leader", "reason": "会议需要"}


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """One office: the notice issued at 机密 20年 to R1 and R2 (serials 1-2), then printed in a
    run of two unassigned copies (serials 3-4); the training text issued at 秘密 10年."""
    root = tmp_path_factory.mktemp("redteam")
    recipients = root / "r.csv"
    recipients.write_text("id,name,unit\nR1,周立衡,战备处\nR2,何振邦,发改局\n", encoding="utf-8")
    settings = Settings(home=root / "home", actor=ACTOR)
    notice = service.issue(IssueRequest(draft=NOTICE, recipients=recipients, out=root / "notice",
                                        choice=GradeChoice(grade="机密", period="20年"), jobs=1),
                           settings=settings)
    training = service.issue(IssueRequest(draft=TRAINING, recipients=recipients, jobs=1,
                                          out=root / "training",
                                          choice=GradeChoice(grade="秘密", period="10年")),
                             settings=settings)
    run = service.print_run(notice.run.document_id, draft=NOTICE, copies=2, out=root / "print",
                            settings=settings)
    return {"root": root, "notice": notice.run.document_id, "training": training.run.document_id,
            "copies": {c.serial: c.copy_id for c in notice.run.copies}, "run": run}


@pytest.fixture()
def office(base: dict, tmp_path: Path) -> tuple[Settings, dict]:
    """A private copy of the base office (and of its print-run PDF) for one test."""
    shutil.copytree(base["root"] / "home", tmp_path / "home")
    shutil.copy(base["run"].file, tmp_path / "run.pdf")
    return Settings(home=tmp_path / "home", actor=ACTOR), {**base, "tmp": tmp_path}


def _events(settings: Settings) -> int:
    with Office.open(settings.home) as opened:
        return len(list(opened.register.events()))


def _problem(settings: Settings) -> str | None:
    with Office.open(settings.home) as opened:
        return verify_register(opened).problem


def _status(settings: Settings, copy_id: str) -> str:
    with Office.open(settings.home) as opened:
        found = opened.register.get_copy(copy_id)
        assert found is not None
        return str(found.status)


def _refused(error: MijianError, code: int) -> None:
    """A refusal as the rules want it: one line, the expected exit code, Chinese and English."""
    text = str(error)
    assert error.exit_code == code and "\n" not in text, text
    assert any("\u4e00" <= c <= "\u9fff" for c in text) and any(c.isascii() and c.isalpha() for c in text)


def test_reproduction_is_built_from_the_bytes_it_checked(office: tuple[Settings, dict]) -> None:
    """Attack: the draft is swapped for another file after it was read and hashed; the
    reproduction must not be built from the swapped bytes under the registered decision."""
    settings, base = office
    checked = read_document(NOTICE)
    swapped = base["tmp"] / "swapped.pdf"
    shutil.copy(OTHER_PDF, swapped)
    draft = dataclasses.replace(checked, source=str(swapped))  # hashed as NOTICE, now another file
    before = _events(settings)
    with Office.open(settings.home) as opened, pytest.raises(InputError) as refused:
        derive_copy.reproduce(opened, base["copies"]["000001"], draft, Recipient("R9", "王五", ""),
                              approver="李主任", role="leader", reason="会议需要",
                              office_name="办公厅", out_dir=base["tmp"] / "repro", actor=ACTOR)
    _refused(refused.value, 3)
    assert "changed since it was read" in str(refused.value)
    assert _events(settings) == before and not (base["tmp"] / "repro").exists()


@pytest.mark.parametrize("verb", ["reproduce", "extract", "print"])
def test_the_requester_cannot_approve_their_own_request(office: tuple[Settings, dict],
                                                        verb: str) -> None:
    """Attack: the clerk who runs the command names themself (or the new holder) as approver."""
    settings, base = office
    secret = _top_secret(settings, base) if verb == "print" else None
    before = _events(settings)
    with pytest.raises(UsageError) as refused:
        if verb == "reproduce":
            service.reproduce(base["copies"]["000001"], draft=NOTICE, holder="王五",
                              out=base["tmp"] / "out", settings=settings,
                              **{**LEADER, "approver": f" {ACTOR} "})
        elif verb == "extract":
            draft = base["tmp"] / "extract.txt"
            draft.write_text("培训工作安排摘要\n\n一般安排。\n", encoding="utf-8")
            service.derive_document("extract", [base["training"]], draft=draft, title="摘要",
                                    settings=settings, **{**LEADER, "approver": ACTOR})
        else:
            assert secret is not None
            service.print_run(secret[0], draft=secret[1], copies=1, out=base["tmp"] / "out",
                              approver=ACTOR, settings=settings)
    _refused(refused.value, 2)
    assert "approve" in str(refused.value) and _events(settings) == before
    if verb == "reproduce":  # nor the person who gets the reproduction
        with pytest.raises(UsageError) as refused:
            service.reproduce(base["copies"]["000001"], draft=NOTICE, holder="王五",
                              out=base["tmp"] / "out", settings=settings,
                              **{**LEADER, "approver": "王五"})
        _refused(refused.value, 2)
    assert _events(settings) == before and not (base["tmp"] / "out").exists()


def _top_secret(settings: Settings, base: dict) -> tuple[str, Path]:
    """A text draft registered as a 绝密★30年 document: its id and the draft."""
    from tests.test_print_run import _register

    draft = base["tmp"] / "top.txt"
    draft.write_text("关于专项工作的通知\n\n具体安排另行通知。\n", encoding="utf-8")
    return _register(settings.home, draft=draft, grade="绝密", level=4, period="30年"), draft


HIDDEN = {"bidi override": "李\u202e任主", "zero-width space": "李\u200b主任",
          "line break": "李主任\n审批人：王五", "bell": "李主任\x07", "tab": "李\t主任",
          "very long": "李" * 101}


@pytest.mark.parametrize("field", ["approver", "reason", "holder", "holder_id", "unit", "office"])
@pytest.mark.parametrize("kind", sorted(HIDDEN))
def test_reproduce_refuses_hidden_characters_and_long_names(office: tuple[Settings, dict],
                                                           field: str, kind: str) -> None:
    """Attack: a name that reads as another (bidi override, zero-width space), forges a line
    (line break) or floods the register and the stamp (101 characters); refused, exit 2."""
    settings, base = office
    value = HIDDEN[kind] * (6 if kind == "very long" and field == "reason" else 1)
    args = {**LEADER, "holder": "王五", "holder_id": None, "unit": "办公室", "office_name": "办公厅"}
    args["office_name" if field == "office" else field] = value
    before = _events(settings)
    with pytest.raises(UsageError) as refused:
        service.reproduce(base["copies"]["000001"], draft=NOTICE, out=base["tmp"] / "out",
                          settings=settings, **args)
    _refused(refused.value, 2)
    assert _events(settings) == before and not (base["tmp"] / "out").exists()


@pytest.mark.parametrize("kind", sorted(HIDDEN))
def test_print_and_hand_out_refuse_hidden_characters(office: tuple[Settings, dict],
                                                     kind: str) -> None:
    """The same names on a print run (--unit, --approver) and on a hand-out (--by, --unit)."""
    settings, base = office
    document, copy = base["notice"], base["run"].copies[0].copy_id
    before = _events(settings)
    attempts = [lambda: service.print_run(document, draft=NOTICE, copies=1, out=base["tmp"] / "o",
                                          unit=HIDDEN[kind], settings=settings),
                lambda: service.print_run(document, draft=NOTICE, copies=1, out=base["tmp"] / "o",
                                          approver=HIDDEN[kind], settings=settings),
                lambda: service.sign_for(copy, HIDDEN[kind], settings=settings),
                lambda: service.sign_for(copy, "王五", unit=HIDDEN[kind], settings=settings)]
    for attempt in attempts:
        with pytest.raises(UsageError) as refused:
            attempt()
        _refused(refused.value, 2)
    assert _events(settings) == before and _status(settings, copy) == "unassigned"
    assert not (base["tmp"] / "o").exists()


def test_a_full_width_space_inside_a_name_is_one_space(office: tuple[Settings, dict]) -> None:
    """Careless user: 李　主任 typed with a full-width space is the same name, not a refusal."""
    settings, base = office
    done = service.reproduce(base["copies"]["000001"], draft=NOTICE, holder="王　五",
                             out=base["tmp"] / "out", settings=settings,
                             **{**LEADER, "approver": "李　主任"})
    assert (done.approval.approver, done.copy.recipient.name) == ("李 主任", "王 五")
    assert _problem(settings) is None


def test_a_holder_named_by_name_does_not_get_a_second_copy(office: tuple[Settings, dict]) -> None:
    """Careless user: --for 周立衡 without --id R1 gives the holder of 000001 the id 周立衡, so
    the one-copy-per-holder rule (checked by id) let a second copy through; also Ｒ１ for R1."""
    settings, base = office
    before = _events(settings)
    for holder, holder_id in (("周立衡", None), ("Someone", "Ｒ１"), ("周 立衡", "X9")):
        with pytest.raises(UsageError, match="already holds") as refused:
            service.reproduce(base["copies"]["000002"], draft=NOTICE, holder=holder,
                              holder_id=holder_id, out=base["tmp"] / "out", settings=settings,
                              **LEADER)
        _refused(refused.value, 2)
    assert _events(settings) == before


def test_an_interrupted_print_run_voids_its_copies(office: tuple[Settings, dict],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C after the copies were built, while they are merged: no pending copy is left
    behind (its serial silently burnt and never finished), no PDF, the register verifies."""
    settings, base = office

    def interrupted(_copies: list[bytes]) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(print_run, "merge_pdfs", interrupted)
    with pytest.raises(KeyboardInterrupt):
        service.print_run(base["notice"], draft=NOTICE, copies=2, out=base["tmp"] / "o",
                          settings=settings)
    with Office.open(settings.home) as opened:
        rows = opened.register.copy_rows()
        made = [r for r in rows if r["serial"] in ("000005", "000006")]
    assert sorted(r["status"] for r in made) == ["voided", "voided"]
    assert not any((base["tmp"] / "o").glob("*.pdf")) and _problem(settings) is None
    monkeypatch.undo()
    again = service.print_run(base["notice"], draft=NOTICE, copies=1, out=base["tmp"] / "o",
                              settings=settings)
    assert again.copies[0].serial == "000007"  # the voided serials are never handed out again


def test_an_interrupted_reproduction_voids_its_copy(office: tuple[Settings, dict],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C while the reproduction is built: its pending copy is voided, so the new holder is
    not left 'holding' a copy that never existed, and can be given one again."""
    settings, base = office

    def interrupted(*_args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(derive_copy, "build_copy", interrupted)
    with pytest.raises(KeyboardInterrupt):
        service.reproduce(base["copies"]["000001"], draft=NOTICE, holder="王五",
                          out=base["tmp"] / "out", settings=settings, **LEADER)
    with Office.open(settings.home) as opened:
        (voided,) = [r for r in opened.register.copy_rows() if r["serial"] == "000005"]
    assert voided["status"] == "voided" and _problem(settings) is None
    monkeypatch.undo()
    done = service.reproduce(base["copies"]["000001"], draft=NOTICE, holder="王五",
                             out=base["tmp"] / "out", settings=settings, **LEADER)
    assert done.copy.serial == "000006"


def test_a_restored_register_cannot_hand_a_copy_out_again(office: tuple[Settings, dict]) -> None:
    """Attack: the backup taken before copy 000003 was handed out to 王五 is put back; the
    restored register shows the copy unassigned, and handing it to 赵六 would give one printed
    copy to two people. Refused (exit 4) until the restore is acknowledged; serials stay safe."""
    settings, base = office
    copy = base["run"].copies[0].copy_id
    backup = service.backup_register(base["tmp"] / "backup.db", settings=settings).path
    service.sign_for(copy, "王五", settings=settings)
    for part in settings.home.glob("register.db*"):
        part.unlink()
    shutil.copyfile(backup, settings.home / "register.db")
    before = _events(settings)
    with pytest.raises(RegisterError) as refused:
        service.sign_for(copy, "赵六", settings=settings)
    _refused(refused.value, 4)
    assert "handed out" in str(refused.value) and _events(settings) == before
    assert _status(settings, copy) == "unassigned"
    with pytest.raises(RegisterError):  # nor a new print run over the serials given out
        service.print_run(base["notice"], draft=NOTICE, copies=1, out=base["tmp"] / "o",
                          settings=settings)
    with pytest.raises(RegisterError):  # nor a reproduction
        service.reproduce(base["copies"]["000001"], draft=NOTICE, holder="钱七",
                          out=base["tmp"] / "r", settings=settings, **LEADER)
    draft = base["tmp"] / "extract.txt"
    draft.write_text("工作安排摘要\n\n一般安排。\n", encoding="utf-8")
    with pytest.raises(RegisterError) as refused:  # nor a new document decided on it
        service.derive_document("extract", [base["notice"]], draft=draft, title="摘要",
                                settings=settings, **LEADER)
    _refused(refused.value, 4)
    assert _events(settings) == before
    service.acknowledge_restore("保密办主任", "备份恢复，已核对纸质签收单", settings=settings)
    rerun = service.print_run(base["notice"], draft=NOTICE, copies=1, out=base["tmp"] / "o",
                              settings=settings)
    assert rerun.copies[0].serial == "000005"  # above every serial the head knew


@pytest.mark.parametrize("verb", ["reproduce", "extract"])
def test_a_source_declassified_meanwhile_is_refused_under_the_lock(
        office: tuple[Settings, dict], monkeypatch: pytest.MonkeyPatch, verb: str) -> None:
    """Race: the document is declassified by another officer after the checks and before the
    commit; the derivation would rest on a decision the register no longer holds."""
    settings, base = office

    def declassify_first(original):
        def step(*args, **kwargs):
            service.declassify(base["notice"], approver="定密责任人", justification="期满",
                               settings=settings)
            return original(*args, **kwargs)
        return step

    if verb == "reproduce":
        monkeypatch.setattr(derive_copy, "_job", declassify_first(derive_copy._job))
    else:
        monkeypatch.setattr(derive_docs, "refuse_marked_draft",
                            declassify_first(derive_docs.refuse_marked_draft))
    draft = base["tmp"] / "extract.txt"
    draft.write_text("工作安排摘要\n\n一般安排。\n", encoding="utf-8")
    with pytest.raises(RegisterError, match="declassified") as refused:
        if verb == "reproduce":
            service.reproduce(base["copies"]["000001"], draft=NOTICE, holder="王五",
                              out=base["tmp"] / "out", settings=settings, **LEADER)
        else:
            service.derive_document("extract", [base["notice"]], draft=draft, title="摘要",
                                    settings=settings, **LEADER)
    _refused(refused.value, 4)
    assert service.derivations(settings=settings) == [] and _problem(settings) is None
    with Office.open(settings.home) as opened:
        assert all(r["status"] != "pending" for r in opened.register.copy_rows())


def test_signing_a_returned_print_copy_says_it_was_returned(office: tuple[Settings, dict]) -> None:
    """Careless user: a handed-out print copy came back; signing it to someone else was refused
    with 'return it first' although it was returned. It now says what the copy is."""
    settings, base = office
    copy = base["run"].copies[0].copy_id
    service.sign_for(copy, "王五", settings=settings)
    service.return_copy(copy, "打印室", settings=settings)
    with pytest.raises(MijianError) as refused:
        service.sign_for(copy, "赵六", settings=settings)
    assert "returned" in str(refused.value) and "return it first" not in str(refused.value)
    destroyed = base["run"].copies[1].copy_id  # destroyed before hand-out: nobody can take it
    service.destroy_copy(destroyed, "李主任", "赵监销", settings=settings)
    with pytest.raises(MijianError, match="destroyed"):
        service.sign_for(destroyed, "王五", settings=settings)
    assert _problem(settings) is None


def test_pages_of_one_copy_cut_from_the_run_name_the_copy_and_when_it_was_held(
        office: tuple[Settings, dict]) -> None:
    """A leak of one copy's pages cut out of the run PDF names that copy and the run, never a
    person while unassigned; once handed out, it names the holder and says since when (the
    investigator compares that day with the day of the leak)."""
    settings, base = office
    second = base["run"].copies[1]
    cut = base["tmp"] / "cut.pdf"
    with pymupdf.open(base["tmp"] / "run.pdf") as whole, pymupdf.open() as part:
        part.insert_pdf(whole, from_page=second.first_page - 1, to_page=second.last_page - 1)
        part.save(cut)
    found = service.trace(cut, settings=settings)
    assert (found.verdict, found.copy_id, found.serial) == ("identified", second.copy_id, "000004")
    assert (found.recipient_id, found.recipient_name, found.print_run) == \
        (None, None, base["run"].run_id)
    service.sign_for(second.copy_id, "王五", settings=settings)
    after = service.trace(cut, settings=settings)
    assert after.recipient_name == "王五" and after.handed_out is True
    detail = after.layers[-1].detail
    assert "kept unassigned by the print room until handed out to 王五" in detail
    assert "before that day nobody held it" in detail


def test_two_print_runs_at_once_take_disjoint_serials(office: tuple[Settings, dict],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Two print runs of one document at once (the second starts while the first builds): no
    serial is given twice, the ranges do not overlap, both commit, the register verifies."""
    settings, base = office
    inner: list = []
    build = print_run._build_one

    def build_and_interleave(job, record):
        if not inner:
            inner.append(None)
            inner[0] = service.print_run(base["notice"], draft=NOTICE, copies=2,
                                         out=base["tmp"] / "second", settings=settings)
        return build(job, record)

    monkeypatch.setattr(print_run, "_build_one", build_and_interleave)
    outer = service.print_run(base["notice"], draft=NOTICE, copies=2, out=base["tmp"] / "first",
                              settings=settings)
    serials = [c.serial for run in (outer, inner[0]) for c in run.copies]
    assert sorted(serials) == ["000005", "000006", "000007", "000008"]
    assert _problem(settings) is None


def test_a_reproduction_of_a_reproduction_keeps_the_grade(office: tuple[Settings, dict]) -> None:
    """Attack: reproduce the reproduction to shed the approval chain or the marking: the copy
    keeps the document's grade and period, needs the same approval, and its stamp names the
    reproduction it was made from."""
    settings, base = office
    first = service.reproduce(base["copies"]["000001"], draft=NOTICE, holder="王五",
                              out=base["tmp"] / "a", settings=settings, **LEADER)
    with pytest.raises(UsageError, match="leader"):
        service.reproduce(first.copy.copy_id, draft=NOTICE, holder="赵六", out=base["tmp"] / "b",
                          settings=settings, **{**LEADER, "approver_role": "authority"})
    second = service.reproduce(first.copy.copy_id, draft=NOTICE, holder="赵六",
                               out=base["tmp"] / "b", settings=settings, **LEADER)
    assert second.parent_serial == first.copy.serial and "原份号：000005" in second.stamp
    with pytest.raises(RegisterError, match="unassigned"):  # nobody holds a print copy yet
        service.reproduce(base["run"].copies[0].copy_id, draft=NOTICE, holder="钱七",
                          out=base["tmp"] / "c", settings=settings, **LEADER)
    assert _problem(settings) is None


def _edit(settings: Settings, sql: str, *args: object) -> None:
    """An insider's edit of the register with sqlite3 (no office key)."""
    conn = sqlite3.connect(settings.home / "register.db")
    with conn:
        conn.execute(sql, args)
    conn.close()


@pytest.mark.parametrize("edit", ["overlapping run", "unassigned copy given a holder",
                                  "hand-out undone", "run row added"])
def test_insider_edits_of_print_rows_fail_verify_and_trace(office: tuple[Settings, dict],
                                                           edit: str) -> None:
    """Held: rows edited with sqlite3 (a run's range moved over copies issued to named people,
    an unassigned copy made someone's, a handed-out copy made unassigned again to hide its
    holder, a run row added) fail 'register verify', and a trace refuses rather than naming
    someone (or no one) from the edited row."""
    settings, base = office
    second = base["run"].copies[1]
    service.sign_for(second.copy_id, "王五", settings=settings)
    if edit == "overlapping run":
        _edit(settings, "UPDATE print_runs SET first_serial = '000001'")
    elif edit == "unassigned copy given a holder":
        _edit(settings, "UPDATE copies SET recipient_id = 'R1', recipient_name = '周立衡' "
                        "WHERE copy_id = ?", base["run"].copies[0].copy_id)
    elif edit == "hand-out undone":
        _edit(settings, "UPDATE copies SET status = 'unassigned', recipient_name = '' "
                        "WHERE copy_id = ?", second.copy_id)
    else:
        _edit(settings, "INSERT INTO print_runs SELECT 'PR-FAKE', document_id, '000001', '000002', "
                        "2, file, file_sha256, unit, encrypted, printed_at FROM print_runs")
    problem = _problem(settings)
    assert problem is not None
    if edit in ("unassigned copy given a holder", "hand-out undone"):
        copy = base["run"].copies[0] if edit.startswith("unassigned") else second
        cut = base["tmp"] / "cut.pdf"
        with pymupdf.open(base["tmp"] / "run.pdf") as whole, pymupdf.open() as part:
            part.insert_pdf(whole, from_page=copy.first_page - 1, to_page=copy.last_page - 1)
            part.save(cut)
        with pytest.raises(RegisterError) as refused:
            service.trace(cut, settings=settings)
        assert refused.value.exit_code == 4


def test_two_reproductions_for_one_holder_at_once(office: tuple[Settings, dict],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Held: a second reproduction for the same person commits while the first is prepared;
    the first is refused under the write lock, reserving nothing (no pending copy left)."""
    settings, base = office
    make_job = derive_copy._job
    inner: list = []

    def job_and_interleave(*args, **kwargs):
        if not inner:
            inner.append(None)  # the nested run below passes through here too
            inner[0] = service.reproduce(base["copies"]["000002"], draft=NOTICE, holder="王五",
                                         out=base["tmp"] / "b", settings=settings, **LEADER)
        return make_job(*args, **kwargs)

    monkeypatch.setattr(derive_copy, "_job", job_and_interleave)
    with pytest.raises(UsageError, match="already holds"):
        service.reproduce(base["copies"]["000001"], draft=NOTICE, holder="王五",
                          out=base["tmp"] / "a", settings=settings, **LEADER)
    with Office.open(settings.home) as opened:
        statuses = sorted(r["status"] for r in opened.register.copy_rows())
    assert "pending" not in statuses and inner[0].copy.serial == "000005"
    assert _problem(settings) is None


def test_links_planted_in_the_out_folder(office: tuple[Settings, dict]) -> None:
    """Held: --out a link into the office folder is refused before anything is reserved; links
    planted under the names of passwords.csv and manifest.json are replaced, never written
    through; a staging folder that is a link is refused."""
    settings, base = office
    inside = settings.home / "leak"
    inside.mkdir()
    (base["tmp"] / "via").symlink_to(inside)
    before = _events(settings)
    with pytest.raises(UsageError, match="inside the office folder"):
        service.print_run(base["notice"], draft=NOTICE, copies=1, out=base["tmp"] / "via",
                          settings=settings)
    with pytest.raises(UsageError, match="inside the office folder"):
        service.reproduce(base["copies"]["000001"], draft=NOTICE, holder="王五",
                          out=base["tmp"] / "via", settings=settings, **LEADER)
    assert _events(settings) == before and not any(inside.iterdir())
    out, victim = base["tmp"] / "out", base["tmp"] / "victim.txt"
    out.mkdir()
    victim.write_text("keep", encoding="utf-8")
    (out / "passwords.csv").symlink_to(victim)
    (out / "manifest.json").symlink_to(victim)
    done = service.reproduce(base["copies"]["000001"], draft=NOTICE, holder="王五", out=out,
                             settings=settings, **LEADER)
    assert victim.read_text(encoding="utf-8") == "keep"
    assert not done.passwords.is_symlink() and done.passwords.stat().st_mode & 0o777 == 0o600
    staged = base["tmp"] / "staged"
    staged.mkdir()
    (staged / ".mijian-staging").symlink_to(base["tmp"])
    with pytest.raises(MijianError):
        service.print_run(base["notice"], draft=NOTICE, copies=1, out=staged, settings=settings)
    assert _problem(settings) is None
    assert all(r["status"] != "pending" for r in _rows(settings))


def _rows(settings: Settings) -> list:
    with Office.open(settings.home) as opened:
        return list(opened.register.copy_rows())


def test_a_regraded_document_is_reproduced_at_its_new_grade(office: tuple[Settings, dict]) -> None:
    """Held: after the notice is raised to 绝密 by a change, a reproduction needs the authority
    and carries 绝密; the old grade cannot be had by reproducing an old copy."""
    settings, base = office
    service.change_marking(base["notice"], grade="绝密", period="30年", approver="定密责任人",
                           justification="内容升级", notice=base["tmp"] / "notice.pdf",
                           settings=settings)
    with pytest.raises(UsageError, match="authority"):
        service.reproduce(base["copies"]["000001"], draft=NOTICE, holder="王五",
                          out=base["tmp"] / "a", settings=settings, **LEADER)
    done = service.reproduce(base["copies"]["000001"], draft=NOTICE, holder="王五",
                             out=base["tmp"] / "a", settings=settings,
                             **{**LEADER, "approver": "定密责任人", "approver_role": "authority"})
    with pymupdf.open(stream=derive_copy_plain(done), filetype="pdf") as doc:
        assert "绝密" in doc[0].get_text()


def derive_copy_plain(done: derive_copy.Reproduction) -> bytes:
    from mijian.pipeline.issuing import decrypt_copy

    assert isinstance(done.copy, derive_copy.IssuedCopy)
    return decrypt_copy(done.copy.file, done.copy.password)


def _cli(settings: Settings, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mijian", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=300, env={"MIJIAN_HOME": str(settings.home),
                                                      "PATH": "/usr/bin:/bin",
                                                      "PYTHONPATH": str(ROOT)})


def test_cli_refusals_are_one_line_with_their_exit_codes(office: tuple[Settings, dict]) -> None:
    """Careless user at the command line: a copy count that is no count, a name with a hidden
    character, an empty --by: exit 2 with one line, the register untouched."""
    settings, base = office
    before = _events(settings)
    for copies in ("-1", "1e3", "99999999999999999999999"):
        done = _cli(settings, "print", base["notice"], "--draft", str(NOTICE), "--copies", copies,
                    "--out", str(base["tmp"] / "o"))
        assert done.returncode == 2, (copies, done.stderr)
    copy = base["run"].copies[0].copy_id
    refusals = [("derive", "reproduce", base["copies"]["000001"], "--draft", str(NOTICE), "--for",
                 "王五", "--approver", "李\u202e任主", "--approver-role", "leader", "--reason",
                 "会议需要", "--out", str(base["tmp"] / "r")),
                ("register", "sign", copy, "--by", "  "),
                ("register", "sign", copy, "--by", "王五\n审批人：李主任")]
    for args in refusals:
        done = _cli(settings, *args)
        assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert _events(settings) == before and not (base["tmp"] / "r").exists()


def test_a_holder_is_not_handed_a_second_printed_copy(office: tuple[Settings, dict]) -> None:
    """Careless print room: 周立衡 (R1) already holds 000001; handing him printed copy 000003 as
    well, or 王五 a second printed copy, gave one person two numbered copies."""
    settings, base = office
    first, second = (c.copy_id for c in base["run"].copies)
    before = _events(settings)
    for name in ("周立衡", "r1", "Ｒ１"):
        with pytest.raises(UsageError, match="already holds") as refused:
            service.sign_for(first, name, settings=settings)
        _refused(refused.value, 2)
    assert _events(settings) == before and _status(settings, first) == "unassigned"
    service.sign_for(first, "王五", settings=settings)
    with pytest.raises(UsageError, match="already holds"):
        service.sign_for(second, "王 五", settings=settings)
    assert _status(settings, second) == "unassigned" and _problem(settings) is None


def test_sources_of_two_schemes_are_not_compiled(office: tuple[Settings, dict]) -> None:
    """Held: a 机密 of the enterprise scheme (商业秘密) is not the 机密 of the state scheme;
    compiling them is refused, nothing recorded."""
    from tests.conftest import secret_document_record

    settings, base = office
    record = dataclasses.replace(secret_document_record("DOC-ENT"), scheme="cn-enterprise")
    with Office.open(settings.home) as opened, opened.register.transaction():
        opened.register.add_document(record, opened.key(), ACTOR)
    draft = base["tmp"] / "both.txt"
    draft.write_text("两类材料汇编\n\n一般安排。\n", encoding="utf-8")
    before = _events(settings)
    with pytest.raises(UsageError, match="different schemes"):
        service.derive_document("compile", [base["notice"], "DOC-ENT"], draft=draft, title="汇编",
                                settings=settings, **LEADER)
    assert _events(settings) == before


def test_a_lowered_serial_counter_does_not_reprint_serials(office: tuple[Settings, dict]) -> None:
    """Held: an insider lowers the document's serial counter with sqlite3 so that a print run
    would hand out 000003-000004 again; the signed head knows better: refused, nothing reserved."""
    settings, base = office
    _edit(settings, "UPDATE documents SET last_serial = 2 WHERE id = ?", base["notice"])
    before = _events(settings)
    with pytest.raises(RegisterError) as refused:
        service.print_run(base["notice"], draft=NOTICE, copies=2, out=base["tmp"] / "o",
                          settings=settings)
    assert refused.value.exit_code == 4 and _events(settings) == before
    serials = sorted(r["serial"] for r in _rows(settings) if r["document_id"] == base["notice"])
    assert serials == ["000001", "000002", "000003", "000004"]


def test_extract_refuses_hidden_characters_in_title_and_reason(
        office: tuple[Settings, dict]) -> None:
    """The title and reason of an extract end up in the decision and notices: one visible line."""
    settings, base = office
    draft = base["tmp"] / "extract.txt"
    draft.write_text("工作安排摘要\n\n一般安排。\n", encoding="utf-8")
    before = _events(settings)
    for title, reason in (("摘要\u202e", "会议需要"), ("摘要", "会议\u200b需要"), ("摘" * 201, "需要")):
        with pytest.raises(UsageError) as refused:
            service.derive_document("extract", [base["notice"]], draft=draft, title=title,
                                    settings=settings, **{**LEADER, "reason": reason})
        _refused(refused.value, 2)
    assert _events(settings) == before


def test_ctrl_c_right_after_the_pdf_is_renamed_in_leaves_no_pdf(
        office: tuple[Settings, dict], monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C between renaming the print-run PDF into place and the commit: the register rolls
    back, so a PDF left behind would hold copies the register never printed. It is removed,
    the copies are voided, the register verifies."""
    settings, base = office
    real = print_run.os.replace

    def rename_then_interrupt(src: object, dst: object) -> None:
        real(src, dst)
        if str(dst).endswith("_print.pdf"):
            raise KeyboardInterrupt

    monkeypatch.setattr(print_run.os, "replace", rename_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        service.print_run(base["notice"], draft=NOTICE, copies=1, out=base["tmp"] / "o",
                          settings=settings)
    monkeypatch.undo()
    assert not list((base["tmp"] / "o").glob("*.pdf"))
    (made,) = [r for r in _rows(settings) if r["serial"] == "000005"]
    assert made["status"] == "voided" and _problem(settings) is None


def test_the_print_run_pdf_is_not_a_new_draft(office: tuple[Settings, dict]) -> None:
    """Attack: the unencrypted print-run PDF (or one copy cut from it) is registered as the
    draft of an 'extract', to launder numbered copies into a document of its own; refused as
    a marked copy, nothing recorded."""
    settings, base = office
    before = _events(settings)
    with pytest.raises(MijianError) as refused:
        service.derive_document("extract", [base["notice"]], draft=base["tmp"] / "run.pdf",
                                title="摘录", settings=settings, **LEADER)
    assert refused.value.exit_code in (2, 3) and "\n" not in str(refused.value)
    assert _events(settings) == before


def test_a_holder_whose_copy_was_lost_may_be_given_another(office: tuple[Settings, dict]) -> None:
    """The one-copy rule by name does not count a lost copy (as issuing does not): 周立衡 lost
    000001 and may be handed a printed copy, or given a reproduction."""
    settings, base = office
    service.mark_lost(base["copies"]["000001"], "会后遗失", settings=settings)
    assert service.sign_for(base["run"].copies[0].copy_id, "周立衡",
                            settings=settings).recipient_name == "周立衡"
    assert _problem(settings) is None


def test_a_person_cannot_be_named_like_a_print_run_marker(office: tuple[Settings, dict]) -> None:
    """Attack: a hand-out to 'print-run:PR-…', or a reproduction for the id 'print-run:…', makes
    a held copy pass for one nobody holds in every listing; refused, nothing recorded."""
    settings, base = office
    before = _events(settings)
    marker = f"print-run:{base['run'].run_id}"
    with pytest.raises(UsageError, match="marker") as refused:
        service.sign_for(base["run"].copies[0].copy_id, marker, settings=settings)
    _refused(refused.value, 2)
    with pytest.raises(UsageError, match="marker"):
        service.reproduce(base["copies"]["000001"], draft=NOTICE, holder="王五",
                          holder_id="PRINT-RUN:PR-X", out=base["tmp"] / "o", settings=settings,
                          **LEADER)
    assert _events(settings) == before


def test_a_print_run_too_big_to_trace_is_refused_before_any_serial(
        office: tuple[Settings, dict]) -> None:
    """Careless user: --copies 500 of a long draft makes a printout mijian itself cannot read
    back as a whole (pages, bytes) and holds every copy in memory; refused before any serial."""
    from mijian.pipeline.limits import Limits

    settings, base = office
    with pymupdf.open(NOTICE) as doc:
        pages = doc.page_count
    small = dataclasses.replace(settings, limits=Limits(max_pages=3 * pages))
    before = _events(settings)
    with pytest.raises(UsageError, match="fewer copies") as refused:
        service.print_run(base["notice"], draft=NOTICE, copies=4, out=base["tmp"] / "o",
                          settings=small)
    _refused(refused.value, 2)
    assert _events(settings) == before and not (base["tmp"] / "o").exists()
    done = service.print_run(base["notice"], draft=NOTICE, copies=3, out=base["tmp"] / "o",
                             settings=small)
    assert len(done.copies) == 3


def _killed(monkeypatch: pytest.MonkeyPatch, module: object, step: str, voider: str) -> None:
    """Make the next run die at ``step`` like a process killed there (SIGKILL, power cut): no
    clean-up of its own runs, its pending copies stay, its claim dies with it."""
    def die(*_args: object, **_kwargs: object) -> None:
        raise SystemExit(137)

    monkeypatch.setattr(module, step, die)
    monkeypatch.setattr(module, voider, lambda *_a, **_k: None)


@pytest.mark.parametrize("killed", ["print", "reproduce"])
def test_a_killed_run_is_not_finished_by_a_later_issue(office: tuple[Settings, dict],
                                                       monkeypatch: pytest.MonkeyPatch,
                                                       killed: str) -> None:
    """Attack by accident: a print run or a reproduction is killed (no clean-up) and later the
    document is issued into the same --out folder. Issuing finishes the pending copies a
    stopped run left; it took these over too, making a print copy an ordinary copy held by
    the marker 'print-run:…' (nobody), or a reproduction without its 复制件 stamp. They are left
    to their own kind: the next run of that kind voids them, the serials stay accounted for."""
    settings, base = office
    out = base["tmp"] / "shared"
    if killed == "print":
        _killed(monkeypatch, print_run, "_build_one", "_void_pending")
        with pytest.raises(SystemExit):
            service.print_run(base["notice"], draft=NOTICE, copies=1, out=out, settings=settings)
    else:
        _killed(monkeypatch, derive_copy, "build_copy", "_void_interrupted")
        with pytest.raises(SystemExit):
            service.reproduce(base["copies"]["000001"], draft=NOTICE, holder="王五", out=out,
                              settings=settings, **LEADER)
    monkeypatch.undo()
    (left,) = [r for r in _rows(settings) if r["serial"] == "000005"]
    assert left["status"] == "pending"
    people = base["tmp"] / "p.csv"
    people.write_text("id,name\nR7,钱七\n", encoding="utf-8")
    issued = service.issue(IssueRequest(draft=NOTICE, recipients=people, out=out, jobs=1),
                           settings=settings)
    assert [c.serial for c in issued.run.copies] == ["000006"]
    assert _status(settings, left["copy_id"]) == "pending"  # not taken over by the issue
    if killed == "print":
        service.print_run(base["notice"], draft=NOTICE, copies=1, out=out, settings=settings)
    else:
        done = service.reproduce(base["copies"]["000002"], draft=NOTICE, holder="王五", out=out,
                                 settings=settings, **LEADER)  # the holder is free again
        assert done.copy.serial == "000007"
    assert _status(settings, left["copy_id"]) == "voided" and _problem(settings) is None


@pytest.mark.parametrize("office_name", ["办公厅 份号 000002", "办公厅 份号000002", "No. 000002"])
def test_an_office_name_cannot_plant_another_serial_in_the_stamp(office: tuple[Settings, dict],
                                                                 office_name: str) -> None:
    """Attack: the stamp's office name carries '份号 000002', which the trace reads as the serial
    printed on the copy in hand: a leak of the reproduction would point at 000002's holder too.
    Refused; the trace of a proper reproduction names only its own holder."""
    settings, base = office
    before = _events(settings)
    with pytest.raises(UsageError, match="serial") as refused:
        service.reproduce(base["copies"]["000001"], draft=NOTICE, holder="王五",
                          office_name=office_name, out=base["tmp"] / "o", settings=settings,
                          **LEADER)
    _refused(refused.value, 2)
    with pytest.raises(UsageError, match="serial"):  # the holder's name is in the watermark
        service.reproduce(base["copies"]["000001"], draft=NOTICE, holder="王五" + office_name,
                          holder_id="R9", out=base["tmp"] / "o", settings=settings, **LEADER)
    assert _events(settings) == before
