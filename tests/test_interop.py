"""Issued copies open in other people's tools with their password, and not without it.

Copies are issued through the command line (``mijian issue --json``) into a private
MIJIAN_HOME, then:

- PDF copies: ``qpdf --check`` passes with the recipient's password (and with the office's
  owner password) and fails without one; ``qpdf --show-encryption`` reports AES-256 (R6);
  poppler's ``pdftotext -upw`` extracts the marks (份号 and visible code) with the password and
  refuses without it,
  or with another recipient's password; ``pdfinfo`` reports the permissions.
- DOCX copies: the file is an ECMA-376 agile-encryption OLE container (AES-256, SHA-512).
  LibreOffice has no command-line switch for an opening password, so the password path uses
  a LibreOffice Basic macro, installed in a throw-away user profile, that calls
  ``loadComponentFromURL`` with the ``Password`` media-descriptor property and stores the
  document as UTF-8 text: headless, no Python-UNO needed. With the right password the text
  carries the marks; with a wrong one loading fails. ``soffice --convert-to`` without a
  password produces nothing ("source file could not be loaded"): LibreOffice recognises
  the file as encrypted instead of misreading it. The copy decrypted by msoffcrypto also
  converts with plain ``soffice --convert-to``.

Each test is skipped, with the reason, only when the program it drives is not installed.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import msoffcrypto
import olefile
import pytest

from tests.conftest import CORPUS, ROOT, SAMPLES

QPDF = shutil.which("qpdf")
PDFTOTEXT = shutil.which("pdftotext")
PDFINFO = shutil.which("pdfinfo")
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
needs_qpdf = pytest.mark.skipif(QPDF is None, reason="qpdf is not installed (apt install qpdf)")
needs_poppler = pytest.mark.skipif(
    PDFTOTEXT is None or PDFINFO is None,
    reason="poppler's pdftotext/pdfinfo are not installed (apt install poppler-utils)")
needs_soffice = pytest.mark.skipif(
    SOFFICE is None, reason="LibreOffice (soffice) is not installed "
                            "(apt install libreoffice-writer-nogui)")
TOOL_TIMEOUT = 300


def _cli(*args: str, home: Path) -> dict:
    env = dict(os.environ, MIJIAN_HOME=str(home), PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-m", "mijian", *args, "--json"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


class Issued:
    """Copies of one draft: their paths, passwords and manifest entries."""

    def __init__(self, out: Path, manifest: dict, owner_password: str, codes: list[str]) -> None:
        rows = (out / "passwords.csv").read_text(encoding="utf-8").splitlines()[1:]
        by_serial = {row.split(",")[0]: row.split(",")[2] for row in rows}
        self.copies = manifest["copies"]
        self.paths = [out / c["file"] for c in self.copies]
        self.passwords = [by_serial[c["serial"]] for c in self.copies]
        self.owner_password = owner_password
        self.codes = codes
        """The visible code printed on each copy (it names the copy to the office)."""


@pytest.fixture(scope="module")
def issue_copies(tmp_path_factory: pytest.TempPathFactory):
    """Issue two copies of a draft through the CLI; cached per draft for the module."""
    home = tmp_path_factory.mktemp("interop") / "home"
    lines = (SAMPLES / "recipients.csv").read_text(encoding="utf-8").splitlines()
    recipients = tmp_path_factory.mktemp("recipients") / "two.csv"
    recipients.write_text("\n".join(lines[:3]) + "\n", encoding="utf-8")
    made: dict[Path, Issued] = {}

    def issue(draft: Path) -> Issued:
        if draft not in made:
            out = tmp_path_factory.mktemp("copies") / draft.stem
            manifest = _cli("issue", str(draft), "--recipients", str(recipients), "--out",
                            str(out), home=home)
            from mijian.pipeline.office import Office
            from mijian.watermark.codes import make_visible_code

            with Office.open(home) as office:
                owner = office.owner_passwords()[0]
                key = office.key().for_document(manifest["document_id"])
                codes = [make_visible_code(key, c["copy_id"]) for c in manifest["copies"]]
            made[draft] = Issued(out, manifest, owner, codes)
        return made[draft]

    return issue


PDF_DRAFTS = [SAMPLES / "zh_notice_secret.pdf", SAMPLES / "en_report_confidential.pdf",
              SAMPLES / "zh_training_public.txt"]
ODD_PDF = CORPUS / "malformed" / "qpdf_bad03_xrefoffset.pdf"  # a damaged draft MuPDF repairs
if ODD_PDF.exists():
    PDF_DRAFTS.append(ODD_PDF)


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), capture_output=True, text=True, timeout=TOOL_TIMEOUT)


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


# --- PDF: qpdf ------------------------------------------------------------------------------------


@needs_qpdf
@pytest.mark.parametrize("draft", PDF_DRAFTS, ids=lambda p: p.name)
def test_qpdf_checks_pdf_copies_with_their_password_only(draft: Path, issue_copies) -> None:
    issued = issue_copies(draft)
    for path, password in zip(issued.paths, issued.passwords):
        for secret in (password, issued.owner_password):
            done = _run(QPDF, "--check", f"--password={secret}", str(path))
            assert done.returncode == 0, f"{path.name}: {done.stdout[-800:]} {done.stderr[-800:]}"
            assert "No syntax or stream encoding errors found" in done.stdout
        shown = _run(QPDF, "--show-encryption", f"--password={password}", str(path))
        assert shown.returncode == 0, shown.stderr
        assert "R = 6" in shown.stdout and "Supplied password is user password" in shown.stdout
        assert "file encryption method: AESv3" in shown.stdout
        assert "modify document assembly: not allowed" in shown.stdout
        owner = _run(QPDF, "--show-encryption", f"--password={issued.owner_password}", str(path))
        assert "Supplied password is owner password" in owner.stdout
        refused = _run(QPDF, "--check", str(path))
        assert refused.returncode == 2 and "invalid password" in refused.stderr, refused.stderr
    other = _run(QPDF, "--check", f"--password={issued.passwords[1]}", str(issued.paths[0]))
    assert other.returncode == 2 and "invalid password" in other.stderr


# --- PDF: poppler ---------------------------------------------------------------------------------


@needs_poppler
@pytest.mark.parametrize("draft", PDF_DRAFTS, ids=lambda p: p.name)
def test_poppler_reads_pdf_copies_with_their_password_only(draft: Path, issue_copies) -> None:
    issued = issue_copies(draft)
    for path, password, copy, code in zip(issued.paths, issued.passwords, issued.copies,
                                          issued.codes):
        done = _run(PDFTOTEXT, "-upw", password, "-enc", "UTF-8", str(path), "-")
        assert done.returncode == 0, done.stderr
        text = _squeeze(done.stdout)
        assert copy["serial"] in text, f"{path.name}: the 份号 is not in poppler's text"
        assert code in text, f"{path.name}: the visible code is not in poppler's text"
        refused = _run(PDFTOTEXT, str(path), "-")
        assert refused.returncode != 0 and refused.stdout == ""
        assert "Incorrect password" in refused.stderr, refused.stderr
        info = _run(PDFINFO, "-upw", password, str(path))
        assert info.returncode == 0, info.stderr
        assert re.search(r"Encrypted:\s+yes \(print:yes copy:yes change:no addNotes:no "
                         r"algorithm:AES-256\)", info.stdout), info.stdout
    wrong = _run(PDFTOTEXT, "-upw", issued.passwords[1], str(issued.paths[0]), "-")
    assert wrong.returncode != 0 and "Incorrect password" in wrong.stderr


# --- DOCX: the container --------------------------------------------------------------------------


DOCX_DRAFTS = [SAMPLES / "en_memo_secret.docx", SAMPLES / "zh_meeting_internal.docx"]


@pytest.mark.parametrize("draft", DOCX_DRAFTS, ids=lambda p: p.name)
def test_docx_copies_are_ecma376_agile_containers(draft: Path, issue_copies) -> None:
    issued = issue_copies(draft)
    for path, password in zip(issued.paths, issued.passwords):
        assert olefile.isOleFile(str(path))
        with olefile.OleFileIO(str(path)) as ole:
            assert ole.exists("EncryptionInfo") and ole.exists("EncryptedPackage")
            info = ole.openstream("EncryptionInfo").read()
        assert info[:4] == b"\x04\x00\x04\x00", "EncryptionInfo version 4.4 (agile)"
        descriptor = info[8:].decode("utf-8")
        assert 'cipherAlgorithm="AES"' in descriptor and 'keyBits="256"' in descriptor
        assert 'hashAlgorithm="SHA512"' in descriptor
        office = msoffcrypto.OfficeFile(io.BytesIO(path.read_bytes()))
        assert office.format == "ooxml" and office.type == "agile" and office.is_encrypted()
        plain = io.BytesIO()
        office.load_key(password=password)
        office.decrypt(plain)
        assert plain.getvalue()[:4] == b"PK\x03\x04"


# --- DOCX: LibreOffice ----------------------------------------------------------------------------

_BASIC = """REM Open a document with an opening password and store it as UTF-8 text.
Sub OpenWithPassword(sIn As String, sPassword As String, sOut As String, sStatus As String)
    Dim oDoc As Object
    Dim aLoad(2) As New com.sun.star.beans.PropertyValue
    Dim aStore(1) As New com.sun.star.beans.PropertyValue
    On Error GoTo Failed
    aLoad(0).Name = "Hidden" : aLoad(0).Value = True
    aLoad(1).Name = "Password" : aLoad(1).Value = sPassword
    aLoad(2).Name = "ReadOnly" : aLoad(2).Value = True
    oDoc = StarDesktop.loadComponentFromURL(ConvertToURL(sIn), "_blank", 0, aLoad())
    If IsNull(oDoc) Then GoTo Failed
    aStore(0).Name = "FilterName" : aStore(0).Value = "Text (encoded)"
    aStore(1).Name = "FilterOptions" : aStore(1).Value = "UTF8,LF"
    oDoc.storeToURL(ConvertToURL(sOut), aStore())
    oDoc.close(True)
    WriteStatus(sStatus, "opened")
    StarDesktop.terminate()
    Exit Sub
Failed:
    WriteStatus(sStatus, "failed: " &amp; Error$)
    StarDesktop.terminate()
End Sub

Sub WriteStatus(sPath As String, sText As String)
    Dim n As Integer
    n = FreeFile
    Open sPath For Output As #n
    Print #n, sText
    Close #n
End Sub
"""


class LibreOffice:
    """soffice with a private user profile holding the password macro."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.profile = folder / "profile"
        self._env = dict(os.environ, HOME=str(folder))
        done = self._soffice("--terminate_after_init")
        module = self.profile / "user" / "basic" / "Standard" / "Module1.xba"
        assert module.exists(), f"LibreOffice did not create its profile: {done.stderr}"
        module.write_text(
            '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE script:module PUBLIC '
            '"-//OpenOffice.org//DTD OfficeDocument 1.0//EN" "module.dtd">\n<script:module '
            'xmlns:script="http://openoffice.org/2000/script" script:name="Module1" '
            f'script:language="StarBasic">{_BASIC}</script:module>', encoding="utf-8")

    def _soffice(self, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [SOFFICE, f"-env:UserInstallation={self.profile.as_uri()}", "--headless",
             "--norestore", "--nologo", *args], capture_output=True, text=True,
            timeout=TOOL_TIMEOUT, env=self._env, cwd=cwd or self.folder)

    def open_with_password(self, path: Path, password: str) -> tuple[str, str | None]:
        """(status line, text or None) of opening ``path`` with ``password``."""
        for arg in (str(path), password):
            assert '"' not in arg and "," not in arg and ")" not in arg
        out = self.folder / f"{path.stem}.txt"
        status = self.folder / "status.txt"
        for old in (out, status):
            old.unlink(missing_ok=True)
        done = self._soffice(f'macro:///Standard.Module1.OpenWithPassword("{path}",'
                             f'"{password}","{out}","{status}")')
        assert status.exists(), f"the macro did not run: {done.stdout} {done.stderr}"
        text = out.read_text(encoding="utf-8-sig") if out.exists() else None
        return status.read_text(encoding="utf-8").strip(), text

    def convert_to_text(self, path: Path) -> tuple[str | None, str]:
        """(text or None, soffice's output) of a plain ``--convert-to`` without a password."""
        outdir = self.folder / "converted"
        shutil.rmtree(outdir, ignore_errors=True)
        done = self._soffice("--convert-to", "txt:Text (encoded):UTF8", "--outdir", str(outdir),
                             str(path))
        out = outdir / f"{path.stem}.txt"
        text = out.read_text(encoding="utf-8-sig") if out.exists() else None
        return text, done.stdout + done.stderr


@pytest.fixture(scope="module")
def libreoffice(tmp_path_factory: pytest.TempPathFactory) -> LibreOffice:
    if SOFFICE is None:
        pytest.skip("LibreOffice (soffice) is not installed (apt install libreoffice-writer-nogui)")
    return LibreOffice(tmp_path_factory.mktemp("libreoffice"))


@needs_soffice
@pytest.mark.parametrize("draft", DOCX_DRAFTS, ids=lambda p: p.name)
def test_libreoffice_opens_docx_copies_with_their_password_only(
        draft: Path, issue_copies, libreoffice: LibreOffice) -> None:
    issued = issue_copies(draft)
    first, second = issued.paths
    status, text = libreoffice.open_with_password(first, issued.passwords[0])
    assert status == "opened" and text, status
    assert issued.codes[0] in _squeeze(text), "the visible code is not in LibreOffice's text"
    status, text = libreoffice.open_with_password(first, issued.passwords[1])
    assert status.startswith("failed") and text is None, "another recipient's password opened it"
    status, text = libreoffice.open_with_password(second, "not-the-password")
    assert status.startswith("failed") and text is None


@needs_soffice
@pytest.mark.parametrize("draft", DOCX_DRAFTS, ids=lambda p: p.name)
def test_libreoffice_recognises_docx_copies_as_encrypted(
        draft: Path, issue_copies, libreoffice: LibreOffice, tmp_path: Path) -> None:
    """Without a password LibreOffice produces nothing rather than misreading the container;
    the same copy decrypted by msoffcrypto converts normally and carries the marks."""
    issued = issue_copies(draft)
    path, password, code = issued.paths[0], issued.passwords[0], issued.codes[0]
    text, said = libreoffice.convert_to_text(path)
    assert text is None, "LibreOffice converted an encrypted copy without its password"
    assert "could not be loaded" in said, said
    office = msoffcrypto.OfficeFile(io.BytesIO(path.read_bytes()))
    office.load_key(password=password)
    plain = tmp_path / f"decrypted-{path.stem}.docx"
    with plain.open("wb") as stream:
        office.decrypt(stream)
    text, said = libreoffice.convert_to_text(plain)
    assert text is not None, said
    assert code in _squeeze(text)
