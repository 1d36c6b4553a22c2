"""Reproductions (复制) of DOCX and OFD documents: the reproduction stamp is one line of the
copy's marking, drawn by each format's writer and read back by its self-check, so a DOCX
document gives a DOCX reproduction and an OFD document an OFD one. Each is opened with its
password and read by an independent reader (python-docx, ofdkit), and traced to its new
holder. Real register, real files."""

from __future__ import annotations

import io
from pathlib import Path

import docx
import ofdkit
import pytest

from mijian.pipeline import service
from mijian.pipeline.formats import registry
from mijian.pipeline.service.values import GradeChoice, IssueRequest, Settings
from tests.conftest import ROOT, SAMPLES

LEADER = {"approver": "李主任", "approver_role": "leader", "reason": "专题会议需要"}
MEMO = SAMPLES / "en_memo_secret.docx"
OFD = ROOT / "tests" / "data" / "ofd" / "keyword2.ofd"


def _issue_and_reproduce(tmp_path: Path, draft: Path, choice: GradeChoice,
                         office_name: str) -> tuple[Settings, object]:
    """Issue ``draft`` to two people, then reproduce copy 000002 for 王五."""
    settings = Settings(home=tmp_path / "home", actor="机要员")
    people = tmp_path / "r.csv"
    people.write_text("id,name\nR1,周立衡\nR2,何振邦\n", encoding="utf-8")
    report = service.issue(IssueRequest(draft=draft, recipients=people, choice=choice,
                                        out=tmp_path / "out", jobs=1), settings=settings)
    parent = next(c for c in report.run.copies if c.serial == "000002")
    done = service.reproduce(parent.copy_id, draft=draft, holder="王五", unit="办公室",
                             office_name=office_name, out=tmp_path / "repro",
                             settings=settings, **LEADER)
    return settings, done


def test_a_docx_document_is_reproduced_as_a_docx_copy_with_its_stamp(tmp_path: Path) -> None:
    settings, done = _issue_and_reproduce(tmp_path, MEMO, GradeChoice(), "Records Office")
    made = done.copy
    assert made.file.suffix == ".docx" and made.serial == "000003"
    assert done.stamp.startswith("REPRODUCTION") and "from copy no.: 000002" in done.stamp
    plain = registry.named("docx").decrypt(made.file.read_bytes(), made.password, made.file.name)
    opened = docx.Document(io.BytesIO(plain))
    paragraphs = [p.text for p in opened.paragraphs]
    # a paragraph of its own, as written, at the start of the body (the us scheme's marks are
    # the banners in the header and footer), before the draft's own text
    assert paragraphs[0] == done.stamp and "by: Records Office" in paragraphs[0]
    assert done.stamp not in "".join(paragraphs[1:])
    banner = " ".join(p.text for p in opened.sections[0].header.paragraphs)
    assert "CONFIDENTIAL" in banner or "SECRET" in banner
    verdict = service.trace(made.file, settings=settings)
    assert (verdict.verdict, verdict.recipient_name, verdict.serial) == \
        ("identified", "王五", "000003")


def test_an_ofd_document_is_reproduced_as_an_ofd_copy_with_its_stamp(tmp_path: Path) -> None:
    settings, done = _issue_and_reproduce(tmp_path, OFD, GradeChoice(grade="秘密", period="10年"),
                                          "江澜省政府办公厅")
    made = done.copy
    assert made.file.suffix == ".ofd" and made.serial == "000003"
    plain = registry.named("ofd").decrypt(made.file.read_bytes(), made.password, made.file.name)
    text = ofdkit.extract_text(plain).replace(" ", "").replace("\n", "")
    assert "复制件" in text and "复制机关：江澜省政府办公厅" in text and "原份号：000002" in text
    assert "000003" in text and "秘密★10年" in text
    verdict = service.trace(made.file, settings=settings)
    assert (verdict.verdict, verdict.recipient_name, verdict.serial) == \
        ("identified", "王五", "000003")


def test_an_ordinary_copy_carries_no_stamp(tmp_path: Path) -> None:
    """The stamp is drawn only on reproductions: an issued DOCX copy has none."""
    settings = Settings(home=tmp_path / "home", actor="机要员")
    people = tmp_path / "r.csv"
    people.write_text("id,name\nR1,周立衡\n", encoding="utf-8")
    made = service.issue(IssueRequest(draft=MEMO, recipients=people, out=tmp_path / "out",
                                      jobs=1), settings=settings).run.copies[0]
    plain = registry.named("docx").decrypt(made.file.read_bytes(), made.password, made.file.name)
    assert not any(p.text.startswith("REPRODUCTION")
                   for p in docx.Document(io.BytesIO(plain)).paragraphs)


@pytest.mark.parametrize("name", ["江澜省人民政府办公厅" * 4, "办公厅\n伪造的第二行"])
def test_an_office_name_the_stamp_cannot_show_is_refused(tmp_path: Path, name: str) -> None:
    from mijian.pipeline.errors import UsageError

    with pytest.raises(UsageError, match="office"):
        _issue_and_reproduce(tmp_path, MEMO, GradeChoice(), name)
    assert not (tmp_path / "repro").exists()


@pytest.mark.parametrize("draft", [SAMPLES / "zh_training_public.txt", MEMO, OFD],
                         ids=lambda p: p.name)
def test_each_formats_self_check_reads_the_stamp_back(draft: Path, tmp_path: Path) -> None:
    """A copy is checked for the stamp its marking asks for: a copy written without it (or
    with another) fails the self-check, so a reproduction never leaves unstamped."""
    from dataclasses import replace

    from mijian.pipeline.errors import RegisterError
    from mijian.pipeline.limits import DEFAULT_LIMITS
    from mijian.pipeline.model import CopyStamp, Marking

    fmt = registry.for_draft(draft)
    data = draft.read_bytes()
    base, kind = fmt.copy_base(fmt.read(data, str(draft), DEFAULT_LIMITS), data)
    copy_format = registry.named(kind)
    stamp_line = "复制件 · 复制机关：江澜省政府办公厅 · 复制日期 2026-12-06 · 原份号：000002"
    marking = Marking(scheme="cn-state", grade="机密", level=3, period="20年", serial="000004",
                      first_page_lines=("000004", "机密★20年"), reproduction=stamp_line)
    stamp = CopyStamp(marking=marking, watermark_text="王五 份号 000004",
                      visible_code="MJ1-4W3K2QPF7HRA-4DXQ2B7Z",
                      token="mjt1.eyJjb3B5IjoiMDAwMDA0In0.c2ln", user_password="user-Pw-4420",
                      owner_password="owner-Pw-9913", language="zh", pattern_key=b"k" * 32,
                      pattern_payload=(123456789).to_bytes(4, "big"))
    if not copy_format.separate_owner_password:
        stamp = replace(stamp, owner_password=stamp.user_password)
    office = stamp.owner_password if copy_format.separate_owner_password else None
    out = tmp_path / f"000004{copy_format.extension}"
    copy_format.write_copy(base, stamp, out, limits=DEFAULT_LIMITS, cache={})
    copy_format.self_check(out, stamp, office, DEFAULT_LIMITS)
    other = replace(marking, reproduction=stamp_line.replace("000002", "000001"))
    with pytest.raises(RegisterError, match="marks do not read back"):
        copy_format.self_check(out, replace(stamp, marking=other), office, DEFAULT_LIMITS)
    unstamped = tmp_path / f"plain{copy_format.extension}"
    copy_format.write_copy(base, replace(stamp, marking=replace(marking, reproduction="")),
                           unstamped, limits=DEFAULT_LIMITS, cache={})
    with pytest.raises(RegisterError, match="marks do not read back"):
        copy_format.self_check(unstamped, stamp, office, DEFAULT_LIMITS)
