"""Fuzz the draft readers: mutated bytes of a small valid PDF, DOCX and text file.

Whatever the bytes, :func:`pipeline.readers.read_document` either returns a Document or raises
:class:`~pipeline.errors.InputError` with a one-line message; any other exception is a bug.
The PDF seed is written uncompressed so that mutations hit its syntax (objects, xref, content
operators) rather than a deflate stream; DOCX inputs are mutated both as raw zip bytes and
inside ``word/document.xml`` before re-zipping, which reaches the XML parser and text walker.

``MIJIAN_FUZZ_EXAMPLES`` raises the number of examples per test (default 150).
"""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mijian.pipeline.errors import InputError
from mijian.pipeline.limits import Limits
from mijian.pipeline.model import Document
from mijian.pipeline.readers import read_document
from tests.conftest import SAMPLES

EXAMPLES = int(os.environ.get("MIJIAN_FUZZ_EXAMPLES", "150"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None, print_blob=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
# Small ceilings keep each example fast; reaching one must still be a clean InputError.
LIMITS = Limits(max_file_bytes=2 * 1024 * 1024, max_pages=50, max_chars=200_000,
                max_zip_entries=100, max_zip_expanded_bytes=8 * 1024 * 1024, max_zip_ratio=200)


def _seed_pdf() -> bytes:
    """A two-page PDF with Helvetica text, uncompressed, with a correct xref table."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R /Info 7 0 R >>",
        b"<< /Type /Pages /Count 2 /Kids [3 0 R 4 0 R] >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 5 0 R "
        b"/Resources << /Font << /F1 6 0 R >> >> >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 8 0 R "
        b"/Resources << /Font << /F1 6 0 R >> >> /Rotate 90 >>",
        None,  # content of page 1
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Title (Secret memo) /Producer (fuzz) >>",
        None,  # content of page 2
    ]
    streams = {5: b"BT /F1 14 Tf 72 760 Td (SECRET memo: deployment schedule) Tj "
                  b"0 -20 Td [(order) -250 (of battle)] TJ ET",
               8: b"q 1 0 0 1 10 10 cm BT /F1 11 Tf 72 700 Td (Page two \\(draft\\)) Tj ET Q"}
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        if body is None:
            data = streams[number]
            body = b"<< /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


SEED_PDF = _seed_pdf()
SEED_DOCX = (SAMPLES / "en_memo_secret.docx").read_bytes()
with zipfile.ZipFile(io.BytesIO(SEED_DOCX)) as _archive:
    SEED_DOCX_PARTS = [(info, _archive.read(info)) for info in _archive.infolist()]
SEED_XML = dict((i.filename, d) for i, d in SEED_DOCX_PARTS)["word/document.xml"]
SEED_TXT = "机密 通知\n各单位：请严格控制知悉范围。\nSECRET deployment schedule.\n".encode()


@st.composite
def mutated(draw: st.DrawFn, seed: bytes) -> bytes:
    """``seed`` after one to four edits: byte flips, overwrites, inserts, deletions, cuts, copies."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 4))):
        size = len(data)
        op = draw(st.sampled_from(["flip", "overwrite", "insert", "delete", "truncate", "copy",
                                   "token"]))
        at = draw(st.integers(0, max(size - 1, 0)))
        if op == "flip" and size:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif op == "overwrite":
            chunk = draw(st.binary(min_size=1, max_size=16))
            data[at:at + len(chunk)] = chunk
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=64))
        elif op == "delete":
            del data[at:at + draw(st.integers(1, 256))]
        elif op == "truncate":
            del data[at:]
        elif op == "copy" and size:
            length = draw(st.integers(1, 512))
            data[draw(st.integers(0, size)):0] = data[at:at + length]
        elif op == "token":
            # tokens that steer parsers into their odd corners
            token = draw(st.sampled_from([
                b"(", b")", b"<<", b">>", b"[", b"]", b"R", b" 0 R", b"obj", b"endobj", b"stream",
                b"endstream", b"/Length 999999", b"/Count -1", b"/Count 99999999", b"%%EOF",
                b"xref", b"/Type /Pages", b"\x00", b"\xff" * 8, b"99999999999999999999",
                b"<!DOCTYPE x>", b"<!ENTITY a \"b\">", b"&a;", b"&#0;", b"&#x110000;",
                b"<w:p>", b"</w:p>", b"<w:t>", b"</w:t>", b"<w:tbl><w:tr><w:tc>", b"]]>",
                b"<![CDATA[", b"<?xml version='1.0' encoding='UTF-16'?>", b"\xef\xbb\xbf",
            ]))
            data[at:at] = token
    return bytes(data)


def _zip(parts: list[tuple[zipfile.ZipInfo, bytes]], replace: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in parts:
            archive.writestr(info.filename, replace.get(info.filename, data))
    return out.getvalue()


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def read_ok_or_input_error(folder: Path, name: str, data: bytes) -> None:
    """Read ``data`` saved as ``name``: a Document or a one-line InputError, nothing else."""
    path = folder / name
    path.write_bytes(data)
    try:
        document = read_document(path, LIMITS)
    except InputError as exc:
        message = str(exc)
        assert message.strip() and "\n" not in message, repr(message)
        return
    assert isinstance(document, Document) and document.text.strip()
    assert len(document.text) <= LIMITS.max_chars


def test_seeds_are_readable(folder: Path) -> None:
    for name, data in (("seed.pdf", SEED_PDF), ("seed.docx", SEED_DOCX), ("seed.txt", SEED_TXT)):
        (folder / name).write_bytes(data)
        assert read_document(folder / name, LIMITS).text.strip()


@FUZZ
@given(data=mutated(SEED_PDF))
def test_mutated_pdf(folder: Path, data: bytes) -> None:
    read_ok_or_input_error(folder, "draft.pdf", data)


@FUZZ
@given(data=mutated(SEED_DOCX))
def test_mutated_docx_bytes(folder: Path, data: bytes) -> None:
    read_ok_or_input_error(folder, "draft.docx", data)


@FUZZ
@given(xml=mutated(SEED_XML))
def test_mutated_docx_document_xml(folder: Path, xml: bytes) -> None:
    read_ok_or_input_error(folder, "draft.docx", _zip(SEED_DOCX_PARTS, {"word/document.xml": xml}))


@FUZZ
@given(data=st.one_of(mutated(SEED_TXT), st.binary(max_size=512)),
       name=st.sampled_from(["draft.txt", "draft.pdf", "draft.docx"]))
def test_mutated_text_and_random_bytes_under_any_name(folder: Path, data: bytes, name: str) -> None:
    read_ok_or_input_error(folder, name, data)
