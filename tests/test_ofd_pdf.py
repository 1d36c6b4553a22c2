"""PDF copies of OFD drafts (``issue --as pdf``): a real OFD draft written by others is laid out
as a PDF, issued through the PDF path, opened with the recipient's password, registered as a
copy of the OFD draft, and traced from the file and from a page image; ``--as`` is refused in
one line (exit 2, nothing written) where the copies cannot be made in the format asked."""

from __future__ import annotations

import json
import sqlite3
import zipfile
from pathlib import Path

import ofdkit
import pymupdf
import pytest

from mijian.pipeline.errors import InputError
from mijian.pipeline.formats.ofd.topdf import ofd_to_pdf
from mijian.pipeline.limits import DEFAULT_LIMITS
from tests.conftest import issue_sample_copies
from tests.conftest import run_cli as run

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "ofd"
DRAFT = DATA / "keyword2.ofd"


@pytest.fixture(scope="module")
def issued(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, str]]:
    """Two PDF copies of the OFD draft: (home, out folder, passwords by serial)."""
    return issue_sample_copies(tmp_path_factory.mktemp("ofd-as-pdf"), DRAFT, 2, "--as", "pdf")


@pytest.mark.parametrize("name", sorted(p.name for p in DATA.glob("*.ofd")))
def test_every_real_ofd_file_lays_out_as_a_pdf_of_its_pages(name: str) -> None:
    data = (DATA / name).read_bytes()
    pdf = pymupdf.open(stream=ofd_to_pdf(data, name, DEFAULT_LIMITS), filetype="pdf")
    pages = ofdkit.extract_text(data)
    assert pdf.page_count >= 1
    first = next(line.strip() for line in pages.splitlines() if line.strip())
    laid = "".join(pdf[0].get_text().split())
    assert "".join(first.split())[:4] in laid, (first, laid[:80])


def test_a_zip_that_is_no_ofd_is_refused_as_the_reader_refuses_it(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "x.zip", "w") as archive:
        archive.writestr("OFD.xml", "<!DOCTYPE x [<!ENTITY a 'b'>]><x>&a;</x>")
    with pytest.raises(InputError):
        ofd_to_pdf((tmp_path / "x.zip").read_bytes(), "x.ofd", DEFAULT_LIMITS)


def test_the_copies_are_encrypted_pdfs_with_the_marks_and_the_text(
        issued: tuple[Path, Path, dict[str, str]]) -> None:
    _home, out, passwords = issued
    copies = sorted(out.glob("*.pdf"))
    assert [copy.name[:6] for copy in copies] == sorted(passwords) and not list(out.glob("*.ofd"))
    for copy in copies:
        pdf = pymupdf.open(copy)
        assert pdf.needs_pass and pdf.authenticate(passwords[copy.name[:6]])
        text = "".join(page.get_text() for page in pdf)
        assert "重庆市马上融资担保有限公司" in text and copy.name[:6] in text and "MJ1-" in text


def test_the_register_holds_the_ofd_draft_and_the_pdf_copies(
        issued: tuple[Path, Path, dict[str, str]]) -> None:
    home, _out, _passwords = issued
    import hashlib

    with sqlite3.connect(f"file:{home / 'register.db'}?mode=ro", uri=True) as conn:
        [(kind, sha)] = conn.execute("SELECT kind, source_sha256 FROM documents").fetchall()
        files = [row[0] for row in conn.execute("SELECT file FROM copies")]
    assert kind == "ofd" and sha == hashlib.sha256(DRAFT.read_bytes()).hexdigest()
    assert len(files) == 2 and all(f.endswith(".pdf") for f in files)


def test_the_pdf_copy_and_a_page_image_of_it_trace_to_the_recipient(
        issued: tuple[Path, Path, dict[str, str]], tmp_path: Path) -> None:
    home, out, passwords = issued
    copy = sorted(out.glob("000002_*.pdf"))[0]
    pdf = pymupdf.open(copy)
    pdf.authenticate(passwords["000002"])
    pdf[0].get_pixmap(dpi=150).save(tmp_path / "page.png")
    for leak in (copy, tmp_path / "page.png"):
        done = run("trace", str(leak), "--json", home=home, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        report = json.loads(done.stdout)
        assert report["verdict"] == "identified" and report["serial"] == "000002", leak


def test_a_reproduction_of_a_pdf_copy_is_a_pdf(issued: tuple[Path, Path, dict[str, str]],
                                                tmp_path: Path) -> None:
    home, _out, _passwords = issued
    with sqlite3.connect(f"file:{home / 'register.db'}?mode=ro", uri=True) as conn:
        [(copy_id,)] = conn.execute("SELECT copy_id FROM copies WHERE serial = '000001'").fetchall()
    done = run("derive", "reproduce", copy_id, "--draft", str(DRAFT), "--for", "王五",
               "--out", str(tmp_path / "re"), "--reason", "会议需要", "--approver", "李主任",
               "--approver-role", "leader", "--json", home=home, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    [made] = list((tmp_path / "re").glob("000003_*"))
    assert made.suffix == ".pdf" and pymupdf.open(made).needs_pass


@pytest.mark.parametrize(("draft", "wanted"), [
    (ROOT / "samples" / "zh_meeting_internal.docx", "pdf"),
    (DRAFT, "docx"),
])
def test_as_is_refused_where_the_copies_cannot_be_made_so(tmp_path: Path, draft: Path,
                                                          wanted: str) -> None:
    home, out = tmp_path / "home", tmp_path / "out"
    done = run("issue", str(draft), "--recipients", str(ROOT / "samples" / "recipients.csv"),
               "--grade", "秘密", "--period", "10年", "--out", str(out), "--as", wanted,
               "--jobs", "1", home=home, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert f"--as {wanted}" in done.stderr and "无法生成该格式的副本" in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert not out.exists() and not home.exists()
