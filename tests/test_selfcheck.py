"""The self-check of a new copy: what it accepts, and each way a copy can fail it."""

from __future__ import annotations

from dataclasses import replace
import re
from pathlib import Path

import pymupdf
import pytest

from mijian.pipeline.errors import RegisterError
from mijian.pipeline.limits import DEFAULT_LIMITS
from mijian.pipeline.model import CopyStamp, Marking
from mijian.pipeline.formats.pdf.copy import write_pdf_copy
from mijian.pipeline.formats.pdf.typeset import text_to_pdf
from mijian.pipeline.copy_checks import self_check
from mijian.pipeline.formats.pdf.selfcheck import draws_text

USER, OWNER = "user-Pw-1185", "owner-Pw-5521"
STAMP = CopyStamp(
    marking=Marking(scheme="cn-state", grade="机密", level=3, period="20年", serial="000007",
                    first_page_lines=("000007", "机密★20年"),
                    running="机密 000007 第{page}页/共{pages}页"),
    watermark_text="李四 份号 000007", visible_code="MJ1-8W3K2QPF7HRA4D",
    token="mjt1.eyJjb3B5IjoiMDAwMDA3In0.c2ln", user_password=USER, owner_password=OWNER,
)


@pytest.fixture(scope="module")
def copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    draft = text_to_pdf("关于做好文件清退工作的通知\n" + "各单位要按期清退涉密文件。" * 60, "通知", "zh")
    out = tmp_path_factory.mktemp("selfcheck") / "000007.pdf"
    write_pdf_copy(draft, STAMP, out, cache={})
    return out


def check(path: Path, stamp: CopyStamp = STAMP, office: str | None = OWNER) -> None:
    self_check(path, ".pdf", stamp, office, DEFAULT_LIMITS)


def test_a_good_copy_passes(copy: Path) -> None:
    check(copy)
    check(copy, office=None)


@pytest.mark.parametrize("change", [
    {"token": "mjt1.eyJjb3B5IjoiMDAwMDA4In0.c2ln"},
    {"visible_code": "MJ1-8W3K2QPF7HRA4E"},
    {"user_password": "user-Pw-1186"},
])
def test_a_copy_that_does_not_match_its_stamp_fails(copy: Path, change: dict) -> None:
    with pytest.raises(RegisterError, match="self-check failed"):
        check(copy, replace(STAMP, **change))


def test_the_office_password_must_open_it_as_owner(copy: Path) -> None:
    with pytest.raises(RegisterError, match="does not open"):
        check(copy, office="owner-Pw-5520")
    with pytest.raises(RegisterError, match="does not open"):
        check(copy, office=USER)  # the recipient's password is not the owner's


def test_an_unencrypted_or_weakly_encrypted_copy_fails(copy: Path, tmp_path: Path) -> None:
    with pymupdf.open(copy) as doc:
        assert doc.authenticate(OWNER)
        plain = tmp_path / "plain.pdf"
        doc.save(plain, encryption=pymupdf.PDF_ENCRYPT_NONE)
        weak = tmp_path / "weak.pdf"
        doc.save(weak, encryption=pymupdf.PDF_ENCRYPT_AES_128, user_pw=USER, owner_pw=OWNER)
        empty = tmp_path / "empty.pdf"
        doc.save(empty, encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="", owner_pw=OWNER)
    for path in (plain, weak, empty):
        with pytest.raises(RegisterError, match="does not open"):
            check(path)


def test_the_printed_code_is_found_as_text_of_page_one(copy: Path) -> None:
    import io

    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(copy.read_bytes()))
    assert reader.decrypt(USER)
    assert draws_text(reader, 0, STAMP.visible_code)
    assert not draws_text(reader, 0, "MJ1-8W3K2QPF7HRA4X")
    with pymupdf.open(copy) as doc:  # and a text extractor does read it there
        doc.authenticate(USER)
        assert STAMP.visible_code in doc[0].get_text().replace("\n", "")


def test_a_copy_without_its_marks_fails(copy: Path, tmp_path: Path) -> None:
    """The same draft encrypted with the right passwords and token but no printed code."""
    with pymupdf.open(copy) as doc:
        assert doc.authenticate(OWNER)
        bare = pymupdf.open()
        bare.insert_pdf(doc)
        bare.set_metadata(doc.metadata | {"encryption": None, "format": None})
        _kind, info = doc.xref_get_key(-1, "Info")
        token = doc.xref_get_key(int(info.split()[0]), "MijianToken")[1]
        _, new_info = bare.xref_get_key(-1, "Info")
        bare.xref_set_key(int(new_info.split()[0]), "MijianToken", pymupdf.get_pdf_str(token))
        bare.set_xml_metadata(doc.get_xml_metadata())
        for page in bare:
            page.add_redact_annot(pymupdf.Rect(0, page.rect.height - 40, page.rect.width,
                                               page.rect.height))
            page.apply_redactions()
        stripped = tmp_path / "stripped.pdf"
        bare.save(stripped, encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw=USER, owner_pw=OWNER)
    check(stripped, replace(STAMP, visible_code=""))  # the rest of the copy still passes
    with pytest.raises(RegisterError, match="marks do not read back"):
        check(stripped)


def test_the_recipients_password_must_unlock_the_same_key(copy: Path, tmp_path: Path) -> None:
    """/UE replaced: the recipient's password still validates /U, but the key it unlocks is
    not the file key the office password unlocks, so the recipient could not read the copy."""
    data = copy.read_bytes()
    found = re.search(rb"/UE\s*<([0-9A-Fa-f]{64})>", data)
    assert found is not None
    other = bytes(reversed(found.group(1)))
    assert other != found.group(1)
    broken = tmp_path / "other-key.pdf"
    broken.write_bytes(data[:found.start(1)] + other + data[found.end(1):])
    with pytest.raises(RegisterError, match="does not open"):
        check(broken)


def _nested_tree_pdf() -> bytes:
    """A PDF whose first page sits two levels down, after an empty page-tree node, inherits
    its resources from its parent and draws from an array of two content streams."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R 4 0 R 7 0 R] /Count 2 >>",
        b"<< /Type /Pages /Parent 2 0 R /Kids [] /Count 0 >>",
        b"<< /Type /Pages /Parent 2 0 R /Kids [5 0 R] /Count 1"
        b" /Resources << /Font << /F9 8 0 R >> >> >>",
        b"<< /Type /Page /Parent 4 0 R /MediaBox [0 0 200 200] /Contents [9 0 R 10 0 R] >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 11 0 R >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 11 0 R"
        b" /Resources << >> >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    streams = [b"BT /F9 12 Tf 10 10 Td <4142> Tj", b"<43> Tj ET", b"BT ET"]
    objects += [b"<< /Length %d >>\nstream\n%s\nendstream" % (len(s), s) for s in streams]
    out, offsets = bytearray(b"%PDF-1.7\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def test_the_first_page_is_found_as_pypdf_lists_it(copy: Path) -> None:
    """The walk down the page tree finds the page pypdf lists first, with the resources it
    inherits and all its content streams, without pypdf's list of every page."""
    import io

    from pypdf import PdfReader

    from mijian.pipeline.formats.pdf.selfcheck import _first_page, _listed_page

    for reader in (PdfReader(io.BytesIO(_nested_tree_pdf())), PdfReader(copy, password=OWNER)):
        walked, listed = _first_page(reader), _listed_page(reader, 0)
        assert walked[0].get_object() == listed[0].get_object()
        assert walked[1].get_data().split() == listed[1].get_data().split()
    nested = PdfReader(io.BytesIO(_nested_tree_pdf()))
    assert b"<4142>" in _first_page(nested)[1].get_data()
    assert "/F9" in _first_page(nested)[0].get_object()["/Font"]
