"""The report of outstanding copies (清退 / annual check): grouping by unit and holder, totals,
the register's verification on the report, the PDF and XLSX files, formula escaping, no
overwrite, and the command line."""

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
from mijian.pipeline.errors import RegisterError, UsageError
from mijian.pipeline.lifecycle import destroy, mark_lost, return_copy, sign_for
from mijian.pipeline.office import Office
from mijian.pipeline.register import CopyRecord
from mijian.pipeline.service import Settings
from tests.conftest import ROOT, secret_document_record

# copy id, document, serial, recipient id, name, unit
COPIES = [("0A1B2C3D4E5F", "DOC-1", "000001", "R1", "张三", "办公室"),
          ("1B2C3D4E5F6G", "DOC-1", "000002", "R2", "李四", "财务处"),
          ("2C3D4E5F6G7H", "DOC-1", "000003", "R3", "王五", "财务处"),
          ("3D4E5F6G7H8J", "DOC-1", "000004", "R4", "=HYPERLINK(\"x\")", "财务处"),
          ("4E5F6G7H8J9K", "DOC-1", "000005", "R5", "钱七", "办公室"),
          ("5F6G7H8J9KAM", "DOC-2", "000001", "R2", "李四", "财务处")]


def _copy(copy_id: str, document: str, serial: str, rid: str, name: str, unit: str) -> CopyRecord:
    return CopyRecord(copy_id=copy_id, document_id=document, serial=serial, recipient_id=rid,
                      recipient_name=name, recipient_unit=unit, file=f"{serial}_{rid}.pdf",
                      file_sha256=hashlib.sha256(copy_id.encode()).hexdigest(), key_id="k",
                      issued_at="2026-01-02T00:00:00+00:00", status="issued",
                      status_at="2026-01-02T00:00:00+00:00", sealed_password=b"sealed")


@pytest.fixture()
def home(tmp_path: Path) -> Path:
    """DOC-1 机密★20年: 000001 issued (办公室), 000002 signed, 000003 returned, 000004 lost
    (财务处), 000005 destroyed (办公室); DOC-2: 000001 signed (财务处)."""
    path = tmp_path / "home"
    with Office.open(path) as office:
        register, key = office.register, office.key()
        with register.transaction():
            for doc in ("DOC-1", "DOC-2"):
                register.add_document(secret_document_record(doc), key, "机要员")
            for row in COPIES:
                assert register.next_serial(row[1]) == row[2]
                register.add_copy(_copy(*row), key, "机要员")
        sign_for(office, "1B2C3D4E5F6G", "李四", "机要员")
        sign_for(office, "5F6G7H8J9KAM", "李四", "机要员")
        return_copy(office, "2C3D4E5F6G7H", "机要员甲", "机要员")
        mark_lost(office, "3D4E5F6G7H8J", "出差途中遗失", "机要员")
        destroy(office, "4E5F6G7H8J9K", "李主任", "王科员", actor="机要员")
    return path


def _layout(report) -> dict:
    return {u.unit: {h.recipient_id: [(c.document_id, c.serial, c.status) for c in h.copies]
                     for h in u.holders} for u in report.units}


def test_report_groups_outstanding_copies_by_unit_and_holder(home):
    report = service.register_report(settings=Settings(home=home))
    assert report.verified and report.problem is None and report.total == 4
    assert _layout(report) == {
        "办公室": {"R1": [("DOC-1", "000001", "issued")]},
        "财务处": {"R2": [("DOC-1", "000002", "signed"), ("DOC-2", "000001", "signed")],
                  "R4": [("DOC-1", "000004", "lost")]}}
    assert [(u.unit, u.total) for u in report.units] == [("办公室", 1), ("财务处", 3)]
    signed = report.units[1].holders[0].copies[0]
    assert signed.marking == "机密★20年" and signed.title == "会议纪要"
    assert signed.signed_at is not None and report.units[0].holders[0].copies[0].signed_at is None
    listed = {c.copy_id for c in service.list_copies(outstanding=True, settings=Settings(home=home))}
    assert listed == {c.copy_id for u in report.units for h in u.holders for c in h.copies}
    one = service.register_report("DOC-2", settings=Settings(home=home))
    assert one.total == 1 and _layout(one) == {"财务处": {"R2": [("DOC-2", "000001", "signed")]}}
    with pytest.raises(RegisterError, match="DOC-9"):
        service.register_report("DOC-9", settings=Settings(home=home))


def _pdf_text(path: Path) -> str:
    with pymupdf.open(path) as pdf:
        return "".join(page.get_text() for page in pdf)


def test_pdf_report_is_bilingual_and_never_overwritten(home, tmp_path):
    pdf = tmp_path / "report.pdf"
    report = service.register_report(pdf=pdf, settings=Settings(home=home))
    assert report.files == (str(pdf.absolute()),) and pdf.stat().st_mode & 0o777 == 0o600
    text = _pdf_text(pdf)
    for words in ("未清退密件报表", "Report of outstanding copies", "通过 passed", "办公室",
                  "财务处", "张三", "李四", "000004", "机密★20年", "已遗失", report.at[:10]):
        assert words in text
    assert "王五" not in text and "钱七" not in text  # returned and destroyed copies
    before = pdf.read_bytes()
    with pytest.raises(UsageError, match="already exists"):
        service.register_report(pdf=pdf, settings=Settings(home=home))
    assert pdf.read_bytes() == before
    with pytest.raises(UsageError, match=r"\.pdf"):
        service.register_report(pdf=tmp_path / "report.txt", settings=Settings(home=home))
    assert not list(tmp_path.glob(".*.tmp"))


def test_xlsx_report_escapes_formulas(home, tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    xlsx = tmp_path / "report.xlsx"
    service.register_report(xlsx=xlsx, settings=Settings(home=home))
    sheet = openpyxl.load_workbook(xlsx).active
    rows = [[c for c in row] for row in sheet.iter_rows(values_only=True)]
    names = [row[1] for row in rows if row and row[3] in ("000001", "000002", "000004")]
    assert "'=HYPERLINK(\"x\")" in names and "李四" in names
    assert all(not (isinstance(c, str) and c.startswith("=")) for row in rows for c in row)
    totals = {row[0]: row[2] for row in rows if row[1] == "合计 Total"}
    assert totals == {"办公室": 1, "财务处": 3}
    with pytest.raises(UsageError, match="already exists"):
        service.register_report(xlsx=xlsx, settings=Settings(home=home))


def test_missing_openpyxl_is_one_line_naming_the_extra(home, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "openpyxl", None)  # import fails as if not installed
    with pytest.raises(Exception, match=r"pip install 'mijian\[xlsx\]'") as caught:
        service.register_report(xlsx=tmp_path / "r.xlsx", settings=Settings(home=home))
    assert "\n" not in str(caught.value) and not (tmp_path / "r.xlsx").exists()


def _tamper(home: Path) -> None:
    conn = sqlite3.connect(home / "register.db", isolation_level=None)
    try:  # the returned copy put back in the holder's hands in the table only
        conn.execute("UPDATE copies SET status = 'issued' WHERE copy_id = '2C3D4E5F6G7H'")
    finally:
        conn.close()


def test_tampered_register_is_reported_with_a_banner(home, tmp_path):
    _tamper(home)
    pdf = tmp_path / "tampered.pdf"
    report = service.register_report(pdf=pdf, settings=Settings(home=home))
    assert not report.verified and report.problem
    assert "000003" in {c.serial for u in report.units for h in u.holders for c in h.copies}
    text = _pdf_text(pdf)
    assert "登记簿核验未通过" in text and "REGISTER FAILED VERIFICATION" in text
    assert text.index("REGISTER FAILED") < text.index("财务处")


def _run(*args: str, home: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, MIJIAN_HOME=str(home))
    return subprocess.run([sys.executable, "-m", "mijian", *args], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=300)


def test_cli_report_json_and_files(home, tmp_path):
    pdf = tmp_path / "cli.pdf"
    done = _run("register", "report", "--pdf", str(pdf), "--json", home=home)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["verified"] and result["total"] == 4 and result["files"] == [str(pdf)]
    assert [u["unit"] for u in result["units"]] == ["办公室", "财务处"]
    again = _run("register", "report", "--pdf", str(pdf), home=home)
    assert again.returncode == 2 and len(again.stderr.strip().splitlines()) == 1


def test_empty_office_and_unknown_document(tmp_path):
    empty = tmp_path / "empty"
    pdf = tmp_path / "empty.pdf"
    report = service.register_report(pdf=pdf, settings=Settings(home=empty))
    assert report.verified and report.total == 0 and report.units == ()
    assert "No copy is outstanding" in _pdf_text(pdf)
    unknown = _run("register", "report", "--document", "DOC-9", "--pdf", str(tmp_path / "u.pdf"),
                   home=empty)
    assert unknown.returncode == 4 and "DOC-9" in unknown.stderr
    assert not (tmp_path / "u.pdf").exists()
