"""The service verbs driven directly: real sample drafts, a real register and keys in a
temporary office home, no command line."""

from __future__ import annotations

import codecs
import stat
import sys
from pathlib import Path

import pytest

import mijian
from mijian.pipeline import service
from mijian.pipeline.errors import InputError, MijianError, RegisterError, UsageError
from mijian.pipeline.recipient_files import read_recipient_list
from tests.conftest import SAMPLES

PEOPLE = [("R1", "周立衡"), ("R2", "何振邦"), ("R3", "陈思远")]


@pytest.fixture()
def settings(tmp_path: Path) -> service.Settings:
    return service.Settings(home=tmp_path / "home", actor="机要员")


def _csv(path: Path, encoding: str = "utf-8", people=PEOPLE) -> Path:
    path.write_bytes(("id,name\n" + "".join(f"{i},{n}\n" for i, n in people)).encode(encoding))
    return path


def _issue(tmp_path: Path, settings, progress=None, draft="en_press_release.txt", **choice):
    request = service.IssueRequest(draft=SAMPLES / draft, recipients=_csv(tmp_path / "r.csv"),
                                   out=tmp_path / "out", jobs=1, choice=service.GradeChoice(**choice))
    return service.issue(request, settings=settings, progress=progress)


def test_root_exports_the_verbs_lazily():
    assert mijian.classify is service.classify and mijian.issue is service.issue
    assert mijian.IssueRequest is service.IssueRequest and "trace" in dir(mijian)
    with pytest.raises(AttributeError):
        mijian.no_such_verb  # noqa: B018


def test_classify_a_sample_in_either_language(settings):
    found = mijian.classify(SAMPLES / "zh_notice_secret.pdf", settings=settings)
    assert found.grade == "机密" and found.level == 3 and found.period == "20年"
    assert found.to_json()["findings"] and found.suggestion.rationale
    english = service.classify(SAMPLES / "zh_notice_secret.pdf", lang="en", settings=settings)
    assert english.level == 3 and english.period == "20 years"
    with pytest.raises(UsageError, match="--lang"):
        service.classify(SAMPLES / "zh_notice_secret.pdf", lang="fr", settings=settings)
    with pytest.raises(InputError):
        service.classify(SAMPLES / "missing.pdf", settings=settings)
    assert not settings.home.exists(), "classifying needs no office"


def test_decide_applies_the_justification_and_approver_rules(settings):
    found = service.classify(SAMPLES / "zh_notice_secret.pdf", settings=settings)
    assert service.decide(found).grade == "机密"
    with pytest.raises(UsageError, match="justification"):
        service.decide(found, service.GradeChoice(grade="秘密", period="10年"))
    lowered = service.decide(found, service.GradeChoice(grade="秘密", period="10年",
                                                        justification="部分内容已通报"))
    assert lowered.lowered and lowered.justification == "部分内容已通报"
    with pytest.raises(UsageError, match="--approver"):
        service.decide(found, service.GradeChoice(grade="绝密", period="30年"))
    assert service.decide(found, service.GradeChoice(grade="绝密", period="30年", approver="王主任")).level == 4


def test_issue_reports_progress_and_a_complete_manifest(tmp_path, settings):
    told = []
    report = _issue(tmp_path, settings, progress=lambda *call: told.append(call))
    assert told[0][:2] == (0, 3) and [c[:2] for c in told[1:]] == [(1, 3), (2, 3), (3, 3)]
    assert all(isinstance(message, str) and message for *_, message in told)
    manifest = report.to_json()
    assert [c["serial"] for c in manifest["copies"]] == ["000001", "000002", "000003"]
    assert {c["recipient_id"] for c in manifest["copies"]} == {"R1", "R2", "R3"}
    assert report.error() is None and "voided" not in manifest
    assert report.recipients.encoding == "UTF-8"
    assert stat.S_IMODE(report.run.passwords.stat().st_mode) == 0o600
    again = _issue(tmp_path, settings)
    assert not again.run.copies and len(again.run.skipped) == 3
    for recipient, why in again.run.skipped:  # the skip says where the copy is
        held = next(c for c in manifest["copies"] if c["recipient_id"] == recipient.id)
        assert held["serial"] in why and held["copy_id"] in why
        assert str(tmp_path / "out" / held["file"]) in why


def test_an_interrupted_issue_is_finished_by_the_same_request(tmp_path, settings):
    def stop_after_first(done, total, message):
        if done == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _issue(tmp_path, settings, progress=stop_after_first)
    made = service.list_copies(settings=settings)  # pending copies are not listed
    assert [(c.serial, c.status) for c in made] == [("000001", "issued")]
    report = _issue(tmp_path, settings)
    assert report.error() is None
    copies = service.list_copies(settings=settings)
    # the two copies reserved before the stop keep their serials: none is lost or skipped
    assert sorted(c.serial for c in copies) == ["000001", "000002", "000003"]
    assert {c.status for c in copies} == {"issued"}
    assert {c["recipient_id"] for c in report.to_json()["copies"]} == {"R1", "R2", "R3"}


def test_top_secret_issue_needs_an_approver_before_anything_is_written(tmp_path, settings):
    with pytest.raises(UsageError, match="--approver"):
        _issue(tmp_path, settings, draft="zh_notice_secret.pdf", grade="绝密", period="30年")
    assert not (tmp_path / "out").exists() and not settings.home.exists()


def test_trace_names_the_recipient_and_reports_progress(tmp_path, settings):
    report = _issue(tmp_path, settings)
    copy = report.run.copies[1]
    told = []
    found = mijian.trace(copy.file, settings=settings, progress=lambda *call: told.append(call))
    assert found.verdict == "identified" and found.recipient_id == copy.recipient.id
    assert found.serial == copy.serial and found.false_match_probability <= 1e-6
    assert [c[:2] for c in told] == [(0, 1), (1, 1)] and told[-1][2] == "identified"


def test_register_verbs_follow_a_copy_through_its_life(tmp_path, settings):
    report = _issue(tmp_path, settings)
    first, second = report.run.copies[0], report.run.copies[1]
    shown = service.show_copy(first.copy_id, settings=settings)
    assert shown.copy.serial == "000001" and shown.document.id == report.run.document_id
    assert [e["action"] for e in shown.events] == ["reserved", "issued"]
    assert "sealed_password" not in shown.to_json()["copy"]
    assert service.sign_for(first.copy_id, "周立衡", settings=settings).status == "signed"
    assert service.return_copy(first.copy_id, "机要室", settings=settings).status == "returned"
    assert service.destroy_copy(first.copy_id, "王主任", "李四", "粉碎", settings=settings).status == "destroyed"
    assert [e["action"] for e in service.copy_history(first.copy_id, settings=settings)][-3:] == \
        ["signed", "returned", "destroyed"]
    assert service.mark_lost(second.copy_id, "会后遗失", settings=settings).status == "lost"
    outstanding = service.list_copies(report.run.document_id, outstanding=True, settings=settings)
    assert first.copy_id not in {c.copy_id for c in outstanding}
    assert {h.serial for h in service.holders(report.run.document_id, settings=settings)} == {"000002", "000003"}
    with pytest.raises(RegisterError):
        service.sign_for(first.copy_id, "周立衡", settings=settings)  # destroyed: refused
    with pytest.raises(RegisterError):
        service.void_copy(second.copy_id, "wrong", settings=settings)  # not pending: refused
    with pytest.raises(RegisterError, match="not in the register"):
        service.show_copy("NOSUCHCOPY00", settings=settings)
    verified = service.verify_register(settings=settings)
    assert verified.ok and verified.events_checked >= 8 and service.verify_error(verified) is None


def test_backup_and_keys(tmp_path, settings):
    _issue(tmp_path, settings)
    backup = service.backup_register(tmp_path / "register-backup.db", settings=settings)
    assert backup.path.stat().st_size > 0 and stat.S_IMODE(backup.path.stat().st_mode) == 0o600
    with pytest.raises(UsageError, match="already exists"):
        service.backup_register(backup.path, settings=settings)
    before = service.list_keys(settings=settings)
    assert len(before) == 1 and before[0].current
    rotated = service.rotate_key(settings=settings)
    after = service.list_keys(settings=settings)
    assert rotated.kept == 2 and after[0].key_id == rotated.key.key_id and after[0].current
    assert after[1].key_id == before[0].key_id and not after[1].current
    assert set(rotated.to_json()) == {"key_id", "created", "kept", "folder"}


def test_settings_from_the_environment(tmp_path):
    chosen = service.Settings.from_environment({"MIJIAN_HOME": str(tmp_path), "MIJIAN_MAX_PAGES": "7"})
    assert chosen.home == tmp_path and chosen.limits.max_pages == 7
    with pytest.raises(UsageError, match="MIJIAN_MAX_PAGES"):
        service.Settings.from_environment({"MIJIAN_MAX_PAGES": "many"})


@pytest.mark.parametrize("encoding,name", [("utf-8", "UTF-8"), ("utf-8-sig", "UTF-8 with BOM"),
                                           ("gbk", "GBK"), ("gb18030", "GB18030")])
def test_recipients_csv_encodings_are_detected(tmp_path, encoding, name):
    people = PEOPLE + ([("R4", "𠀀明")] if encoding == "gb18030" else [])  # outside GBK
    listed = read_recipient_list(_csv(tmp_path / "r.csv", encoding, people))
    assert listed.encoding == name
    assert [(r.id, r.name) for r in listed.recipients] == people


def test_recipients_in_utf16_or_legacy_xls_are_refused(tmp_path):
    utf16 = tmp_path / "u16.csv"
    utf16.write_bytes(codecs.BOM_UTF16_LE + "id,name\nR1,周\n".encode("utf-16-le"))
    with pytest.raises(InputError, match="UTF-16"):
        read_recipient_list(utf16)
    xls = tmp_path / "old.xls"
    xls.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    with pytest.raises(InputError, match="xlsx"):
        read_recipient_list(xls)


def test_recipients_xlsx_needs_the_extra(tmp_path, monkeypatch):
    workbook = tmp_path / "r.xlsx"
    workbook.write_bytes(b"PK\x03\x04" + bytes(60))
    monkeypatch.setitem(sys.modules, "openpyxl", None)  # as if the extra were not installed
    with pytest.raises(MijianError, match=r"mijian\[xlsx\]") as refused:
        read_recipient_list(workbook)
    assert refused.value.exit_code == 1 and "\n" not in str(refused.value)


def test_recipients_xlsx_is_read_like_csv(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["id", "name", "unit"])
    sheet.append([7, "周立衡", "办公室"])
    sheet.append(["R2", "何振邦", None])
    book.save(tmp_path / "r.xlsx")
    listed = read_recipient_list(tmp_path / "r.xlsx")
    assert listed.encoding == "XLSX"
    assert [(r.id, r.name, r.unit) for r in listed.recipients] == [("7", "周立衡", "办公室"), ("R2", "何振邦", "")]
    sheet.append(["R2", "重复", None])
    book.save(tmp_path / "dup.xlsx")
    with pytest.raises(InputError, match=r"line 4.*appears twice"):
        read_recipient_list(tmp_path / "dup.xlsx")
