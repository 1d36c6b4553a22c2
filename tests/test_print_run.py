"""Print runs (打印室分发): one PDF of numbered unassigned copies, traced to the run until a copy
is handed out by signing, then to its holder; the register stays verifiable throughout."""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pymupdf
import pytest

from mijian.pipeline import service
from mijian.pipeline.errors import InputError, RegisterError, UsageError
from mijian.pipeline.issuing import document_id_for
from mijian.pipeline.office import Office
from mijian.pipeline.print_run import unassigned_watermark
from mijian.pipeline.readers import read_document
from mijian.pipeline.register import DocumentRecord
from mijian.pipeline.register_changes import declassify
from mijian.pipeline.register_schema import MIGRATIONS, SCHEMA_VERSION, open_database
from tests.conftest import ROOT, SAMPLES

DRAFT = SAMPLES / "zh_notice_secret.pdf"


def _register(home: Path, draft: Path = DRAFT, grade: str = "机密", level: int = 3,
              period: str = "20年") -> str:
    """Register ``draft`` as a 机密★20年 document (as a first issue would) and return its id."""
    document = read_document(draft)
    document_id = document_id_for(document)
    record = DocumentRecord(id=document_id, title=document.title, source_sha256=document.sha256,
                            kind=document.kind, language=document.language, scheme="cn-state",
                            grade=grade, level=level, period=period, suggested_grade=grade,
                            suggested_level=level, justification=None, basis="目录第3项",
                            rationale=("r1",), decided_by="定密责任人",
                            decided_at="2026-01-01T00:00:00+00:00")
    with Office.open(home) as office:
        with office.register.transaction():
            office.register.add_document(record, office.key(), "机要员")
    return document_id


def _page_png(pdf: Path, page: int, out: Path) -> Path:
    """Page ``page`` (1-based) of ``pdf`` rendered at 150 dpi, as a printout scanned back."""
    with pymupdf.open(pdf) as doc:
        doc[page - 1].get_pixmap(dpi=150).save(out)
    return out


def _watermark(doc: pymupdf.Document, page: int) -> bytes:
    """The drawing of the tiled watermark on ``page`` (1-based) of a copy."""
    found = [xref for xref, name, *_rest in doc.get_page_xobjects(page - 1) if name == "MJwm"]
    if not found:
        return b""
    inner = doc.xref_get_key(found[0], "Resources/XObject")[1]  # the tile's glyph outlines
    return b"".join(doc.xref_stream(int(x)) or b"" for x in re.findall(r"(\d+) 0 R", inner))


def _verify_problem() -> str | None:
    return service.verify_register().problem


def test_print_trace_hand_out_and_verify(home: Path, tmp_path: Path) -> None:
    document_id = _register(home)
    run = service.print_run(document_id, draft=DRAFT, copies=3, out=tmp_path / "print")
    serials = [c.serial for c in run.copies]
    assert serials == ["000001", "000002", "000003"]  # distinct, next in line, no gap
    assert run.encrypted is False and run.file.stat().st_mode & 0o777 == 0o600
    assert hashlib.sha256(run.file.read_bytes()).hexdigest() == run.sha256
    with pymupdf.open(run.file) as doc:
        assert not doc.is_encrypted
        per_copy = run.copies[0].last_page - run.copies[0].first_page + 1
        assert doc.page_count == 3 * per_copy
        second = doc[run.copies[1].first_page - 1].get_text()
        marks = [_watermark(doc, c.first_page) for c in run.copies]
    assert "份号000002" in second  # the marking of copy 2 on its first page
    # the tiled watermark (glyph outlines) is on every copy, each with its own serial
    assert all(marks) and len(set(marks)) == 3
    assert unassigned_watermark("000012") == "份号 000012 · 打印室 · 未分发 / print room · unassigned"
    rows = {c.copy_id: c for c in service.list_copies(document_id)}
    assert {rows[c.copy_id].status for c in run.copies} == {"unassigned"}
    assert {rows[c.copy_id].recipient_name for c in run.copies} == {""}
    assert _verify_problem() is None

    second_copy = run.copies[1]
    png = _page_png(run.file, second_copy.first_page, tmp_path / "page.png")
    found = service.trace(png)
    assert (found.verdict, found.serial, found.copy_id) == ("identified", "000002", second_copy.copy_id)
    assert found.recipient_id is None and found.recipient_name is None
    assert (found.print_run, found.handed_out) == (run.run_id, False)
    assert "not yet handed out" in found.layers[-1].detail

    signed = service.sign_for(second_copy.copy_id, "王五", unit="办公室")
    assert (signed.status, signed.recipient_name, signed.recipient_unit) == ("signed", "王五", "办公室")
    after = service.trace(png)
    assert (after.verdict, after.recipient_name, after.handed_out) == ("identified", "王五", True)
    assert "handed out to 王五" in after.layers[-1].detail

    with pytest.raises(RegisterError, match=r"handed out to 王五.*cannot be signed for by 赵六") as err:
        service.sign_for(second_copy.copy_id, "赵六")
    assert err.value.exit_code == 4 and "\n" not in str(err.value)
    whole = service.trace(run.file)  # the printout itself: every copy's marks, no one named
    assert whole.verdict == "conflict" and whole.recipient_name is None
    assert whole.print_run == run.run_id and "3 copies of print run" in whole.layers[-1].detail
    assert service.return_copy(run.copies[0].copy_id, "打印室").status == "returned"
    assert service.destroy_copy(run.copies[2].copy_id, "李主任", "赵监销").status == "destroyed"
    assert _verify_problem() is None


def test_edited_assignment_row_fails_verify(home: Path, tmp_path: Path) -> None:
    document_id = _register(home)
    run = service.print_run(document_id, draft=DRAFT, copies=2, out=tmp_path / "print")
    service.sign_for(run.copies[0].copy_id, "王五")
    assert _verify_problem() is None
    conn = sqlite3.connect(home / "register.db")
    with conn:
        conn.execute("UPDATE copies SET recipient_name = '赵六' WHERE copy_id = ?",
                     (run.copies[0].copy_id,))
    conn.close()
    problem = _verify_problem()
    assert problem is not None and "recipient_name '赵六'" in problem and "王五" in problem


def test_unassigned_status_edit_fails_verify(home: Path, tmp_path: Path) -> None:
    document_id = _register(home)
    run = service.print_run(document_id, draft=DRAFT, copies=1, out=tmp_path / "print")
    conn = sqlite3.connect(home / "register.db")
    with conn:  # a copy quietly made someone's without the hand-out event
        conn.execute("UPDATE copies SET status = 'signed', recipient_name = '王五' WHERE copy_id = ?",
                     (run.copies[0].copy_id,))
    conn.close()
    assert _verify_problem() is not None


def test_edited_print_run_row_fails_verify(home: Path, tmp_path: Path) -> None:
    document_id = _register(home)
    service.print_run(document_id, draft=DRAFT, copies=1, out=tmp_path / "print")
    conn = sqlite3.connect(home / "register.db")
    with conn:  # the printout claimed to be encrypted after the fact
        conn.execute("UPDATE print_runs SET encrypted = 1")
    problem = _verify_problem()
    assert problem is not None and "encrypted 1" in problem and "says 0" in problem
    with conn:
        conn.execute("DELETE FROM print_runs")
    conn.close()
    problem = _verify_problem()
    assert problem is not None and "missing from the print_runs table" in problem


def test_top_secret_needs_the_approver(home: Path, tmp_path: Path) -> None:
    document_id = _register(home, grade="绝密", level=4, period="30年")
    with pytest.raises(UsageError, match="--approver") as err:
        service.print_run(document_id, draft=DRAFT, copies=1, out=tmp_path / "a")
    assert err.value.exit_code == 2 and service.list_copies(document_id) == ()
    run = service.print_run(document_id, draft=DRAFT, copies=1, out=tmp_path / "b",
                            approver="办公厅主任")
    with Office.open(home) as office:
        (printed,) = office.register.document_events(document_id, ("printed",))
    assert json.loads(printed.detail)["approver"] == "办公厅主任"
    assert json.loads(printed.detail)["run"] == run.run_id and _verify_problem() is None


@pytest.mark.parametrize("copies", [0, -1, 501])
def test_copy_count_out_of_range_is_refused(home: Path, tmp_path: Path, copies: int) -> None:
    with pytest.raises(UsageError, match=r"outside 1\.\.500") as err:
        service.print_run("DOC-000000000000", draft=DRAFT, copies=copies, out=tmp_path)
    assert err.value.exit_code == 2
    assert not home.exists()  # refused before the office folder was touched


def test_unknown_declassified_and_wrong_draft_are_refused(home: Path, tmp_path: Path) -> None:
    with pytest.raises(RegisterError, match="not in the register"):
        service.print_run("DOC-000000000000", draft=DRAFT, copies=1, out=tmp_path / "a")
    document_id = _register(home)
    other = SAMPLES / "en_report_confidential.pdf"
    with pytest.raises(InputError, match="not the registered draft") as err:
        service.print_run(document_id, draft=other, copies=1, out=tmp_path / "b")
    assert err.value.exit_code == 3
    with Office.open(home) as office:
        declassify(office, document_id, approver="定密责任人", justification="已公开", actor="机要员")
    with pytest.raises(RegisterError, match="declassified") as err:
        service.print_run(document_id, draft=DRAFT, copies=1, out=tmp_path / "c")
    assert err.value.exit_code == 4
    assert service.list_copies(document_id) == ()  # nothing was reserved by any refusal
    assert not any((tmp_path / name).exists() for name in "abc")
    assert _verify_problem() is None


def _cli(*args: str, home: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mijian", *args], capture_output=True, text=True,
                          cwd=ROOT, env={"MIJIAN_HOME": str(home), "PATH": "/usr/bin:/bin",
                                         "PYTHONPATH": str(ROOT), "MIJIAN_CACHE": os.environ.get("MIJIAN_CACHE", "off")},
                          timeout=300)


def test_cli_print_and_its_exit_codes(home: Path, tmp_path: Path) -> None:
    document_id = _register(home)
    done = _cli("print", document_id, "--draft", str(DRAFT), "--copies", "2", "--out",
                str(tmp_path / "print"), "--unit", "机要室", "--json", home=home)
    assert done.returncode == 0, done.stderr
    run = json.loads(done.stdout)
    assert run["encrypted"] is False and run["unit"] == "机要室"
    assert [c["serial"] for c in run["copies"]] == ["000001", "000002"]
    human = _cli("print", document_id, "--draft", str(DRAFT), "--copies", "1", "--out",
                 str(tmp_path / "print"), home=home)
    assert human.returncode == 0 and "NOT ENCRYPTED" in human.stdout and "000003" in human.stdout
    wrong = _cli("print", document_id, "--draft", str(SAMPLES / "en_report_confidential.pdf"),
                 "--copies", "1", home=home)
    assert wrong.returncode == 3 and len(wrong.stderr.strip().splitlines()) == 1
    assert _cli("print", document_id, "--draft", str(DRAFT), "--copies", "0", home=home).returncode == 2
    assert _cli("print", "DOC-000000000000", "--draft", str(DRAFT), "--copies", "1",
                home=home).returncode == 4
    sign = _cli("register", "sign", run["copies"][0]["copy_id"], "--by", "王五", "--unit", "办公室",
                home=home)
    assert sign.returncode == 0, sign.stderr
    again = _cli("register", "sign", run["copies"][0]["copy_id"], "--by", "赵六", home=home)
    assert again.returncode == 4 and "王五" in again.stderr
    assert _cli("register", "verify", home=home).returncode == 0


def test_migration_to_print_runs_is_idempotent_and_keeps_events(tmp_path: Path) -> None:
    assert MIGRATIONS[-1].version == SCHEMA_VERSION and SCHEMA_VERSION >= 3
    path = tmp_path / "register.db"
    conn = sqlite3.connect(path)
    for migration in MIGRATIONS[:2]:  # a register of version 2, with one event
        migration.apply(conn)
    conn.execute("PRAGMA user_version = 2")
    conn.execute("INSERT INTO events VALUES (1, 't', 'a', 'decided', 'D', NULL, '{}', 'p', 'h', 'k', x'00')")
    conn.commit()
    conn.close()
    upgraded = open_database(path)
    try:
        assert upgraded.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert upgraded.execute("SELECT count(*) FROM print_runs").fetchone()[0] == 0
        assert [tuple(r) for r in upgraded.execute("SELECT seq, hash FROM events")] == [(1, "h")]
        MIGRATIONS[2].apply(upgraded)  # again: nothing fails, nothing changes
    finally:
        upgraded.close()
