"""Tests for the .docx reader and the .docx copy writer (pipeline.formats.docx)."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import time
import zipfile
from pathlib import Path
from typing import Any

import docx
import msoffcrypto
import pytest
from docx.enum.section import WD_SECTION
from docx.shared import Mm, Pt
from docx.text.paragraph import Paragraph
from lxml import etree

from mijian.pipeline.formats.docx.archive import TOKEN_PROPERTY, check_docx_archive
from mijian.pipeline.formats.docx.copy import write_docx_copy
from mijian.pipeline.formats.docx.evidence import read_custom_property, read_docx_evidence
from mijian.pipeline.formats.docx.properties import set_custom_property
from mijian.pipeline.formats.docx.reading import read_docx_text
from mijian.pipeline.errors import InputError, LimitExceeded
from mijian.pipeline.limits import DEFAULT_LIMITS, Limits
from mijian.pipeline.model import CopyStamp, Marking

MALFORMED = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "malformed"
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
VML = "urn:schemas-microsoft-com:vml"
CFB = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
PASSWORD = "Zq7-copy-pass"
PATTERN_KEY = bytes(range(40, 72))
PATTERN_NUMBER = 0x5A17C3E9
WP = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"

CN_MARKING = Marking(
    scheme="cn-state", grade="机密", level=3, period="20年", serial="000003",
    first_page_lines=("000003", "机密★20年"),
    running="机密 000003 第{page}页/共{pages}页",
)
US_MARKING = Marking(
    scheme="us", grade="SECRET", level=3, period=None, serial="000007",
    banner="SECRET//NOFORN", copy_line="Copy 7 of 10 copies",
)


def stamp_for(marking: Marking = CN_MARKING, **changes: object) -> CopyStamp:
    """A copy stamp with test values; keyword arguments override fields."""
    values: dict[str, object] = {
        "marking": marking, "watermark_text": "张三 000003", "visible_code": "MJ-7Q2K-9XHD",
        "token": "v1.token-for-000003.sig", "user_password": PASSWORD,
        "owner_password": "office-owner-secret",
    }
    values.update(changes)
    return CopyStamp(**values)  # type: ignore[arg-type]


def draft_bytes(*, sections: bool = False, gbt_margins: bool = False) -> bytes:
    """A real python-docx draft: paragraphs, a table, a header and a footer (with
    ``gbt_margins``, GB/T 9704's 37 mm top margin and a 15 mm header distance instead of
    python-docx's 2.54 cm and 1.27 cm)."""
    document = docx.Document()
    if gbt_margins:
        document.sections[0].top_margin = Mm(37)
        document.sections[0].header_distance = Mm(15)
    document.add_paragraph("关于2025年度预算的请示")
    document.add_paragraph("Body paragraph two.")
    table = document.add_table(rows=2, cols=2)
    for row, values in enumerate((("项目", "金额"), ("甲", "100万"))):
        for col, value in enumerate(values):
            table.cell(row, col).text = value
    document.add_paragraph("After the table.")
    first = document.sections[0]
    first.header.paragraphs[0].text = "Header text"
    first.footer.paragraphs[0].text = "Footer text"
    if sections:
        first.different_first_page_header_footer = True
        document.settings.odd_and_even_pages_header_footer = True
        first.even_page_header.is_linked_to_previous = False
        first.even_page_header.paragraphs[0].text = "Even header"
        second = document.add_section(WD_SECTION.NEW_PAGE)
        second.header.is_linked_to_previous = False
        second.header.paragraphs[0].text = "Second section header"
        document.add_paragraph("Second section body.")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def replace_member(package: bytes, name: str, content: bytes | None) -> bytes:
    """Return ``package`` with member ``name`` replaced (or dropped when None)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(package)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename != name:
                target.writestr(info.filename, source.read(info))
            elif content is not None:
                target.writestr(name, content)
    return out.getvalue()


def decrypt(path: Path, password: str) -> bytes:
    """Decrypt an encrypted Office file with msoffcrypto."""
    with path.open("rb") as stream:
        office = msoffcrypto.OfficeFile(stream)
        office.load_key(password=password, verify_password=True)
        out = io.BytesIO()
        office.decrypt(out)
    return out.getvalue()


def members(package: bytes) -> dict[str, bytes]:
    """Every member of a zip, by name."""
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


# --------------------------------------------------------------------------- reading text


def test_reads_body_tables_headers_and_footers_in_order() -> None:
    """Body paragraphs and table rows come in document order, then headers and footers."""
    text = read_docx_text(draft_bytes(), "draft.docx", DEFAULT_LIMITS)
    lines = text.splitlines()
    assert lines[:5] == ["关于2025年度预算的请示", "Body paragraph two.", "项目\t金额", "甲\t100万",
                         "After the table."]
    assert lines.index("Header text") > lines.index("After the table.")
    assert "Footer text" in lines


def test_reads_every_section_and_header_kind() -> None:
    """Even-page headers and a later section's header are read too."""
    text = read_docx_text(draft_bytes(sections=True), "draft.docx", DEFAULT_LIMITS)
    for expected in ("Even header", "Second section header", "Second section body."):
        assert expected in text


def test_reads_content_controls_and_skips_deleted_text() -> None:
    """Text inside a block content control is read; tracked deletions are not."""
    parts = members(draft_bytes())
    root = etree.fromstring(parts["word/document.xml"])
    body = root.find(f"{{{W}}}body")
    extra = etree.fromstring(
        f'<w:sdt xmlns:w="{W}"><w:sdtContent><w:p><w:r><w:t>Inside control</w:t></w:r>'
        f'<w:del w:id="1" w:author="a"><w:r><w:delText>gone</w:delText></w:r></w:del>'
        f"</w:p></w:sdtContent></w:sdt>")
    body.insert(0, extra)
    package = replace_member(draft_bytes(), "word/document.xml", etree.tostring(root))
    text = read_docx_text(package, "draft.docx", DEFAULT_LIMITS)
    assert text.splitlines()[0] == "Inside control"
    assert "gone" not in text


def test_empty_document_is_refused() -> None:
    """A document without any text is an InputError that says so."""
    buffer = io.BytesIO()
    docx.Document().save(buffer)
    with pytest.raises(InputError, match="empty"):
        read_docx_text(buffer.getvalue(), "blank.docx", DEFAULT_LIMITS)


def test_too_many_characters_is_a_limit() -> None:
    """Text longer than max_chars raises LimitExceeded."""
    with pytest.raises(LimitExceeded, match="max_chars"):
        read_docx_text(draft_bytes(), "draft.docx", Limits(max_chars=10))


# --------------------------------------------------------------------------- hostile input

CORPUS_CASES = [
    ("poi_enc_pw_pass.docx", "password-protected"),
    ("poi_enc_pw_solrcell.docx", "password-protected"),
    ("poi_enc_agile_default.docx", "password-protected"),
    ("poi_enc_rc4_tika.doc", "legacy Word 97-2003"),
    ("poi_word6.doc", "legacy Word 97-2003"),
    ("poi_ole2_as_docm.docm", "legacy Word 97-2003"),
    ("derived_trunc_60.docx", "truncated or damaged"),
    ("poi_truncated.docx", "truncated or damaged"),
    ("derived_pdf_as_docx.docx", "a PDF file"),
    ("poi_fuzz_4791943.docx", "truncated or damaged"),
    ("poi_fuzz_5313273.docx", "truncated or damaged"),
    ("poi_fuzz_6442791.docx", "truncated or damaged"),
    ("poi_fuzz_6709287.docx", "truncated or damaged"),
    ("poi_fuzz_crash517626.docx", "truncated or damaged"),
    ("poi_xxe_entity.docx", "DOCTYPE or ENTITY"),
    ("poi_macro.docm", "macro-enabled"),
    ("poi_emptybody_watermark.docx", "empty"),
]


@pytest.mark.parametrize(("name", "phrase"), CORPUS_CASES)
def test_malformed_corpus_gives_one_line_input_errors(name: str, phrase: str) -> None:
    """Broken, encrypted and foreign files give one InputError line naming the file."""
    path = MALFORMED / name
    if not path.exists():
        pytest.skip(f"shared corpus file {name} is not present beside the repository")
    with pytest.raises(InputError) as caught:
        read_docx_text(path.read_bytes(), name, DEFAULT_LIMITS)
    message = str(caught.value)
    assert type(caught.value) is InputError
    assert phrase in message
    assert message.startswith(f"{name}: ")
    assert "\n" not in message and "; expected " in message


def test_password_message_wording() -> None:
    """The encrypted-file message names the file, the finding, the expectation and the fix."""
    path = MALFORMED / "poi_enc_pw_pass.docx"
    if not path.exists():
        pytest.skip("shared corpus file poi_enc_pw_pass.docx is not present")
    with pytest.raises(InputError) as caught:
        read_docx_text(path.read_bytes(), "draft.docx", DEFAULT_LIMITS)
    assert str(caught.value) == (
        "draft.docx: the file is password-protected (文件已加密); expected an unencrypted Word "
        "document; remove the password and try again")


def zip_bomb() -> bytes:
    """A .docx whose media member inflates 100 MB of zeros."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members(draft_bytes()).items():
            archive.writestr(name, content)
        with archive.open("word/media/zeros.bin", "w") as member:
            chunk = bytes(1 << 20)
            for _ in range(100):
                member.write(chunk)
    return buffer.getvalue()


def test_zip_bomb_is_refused_quickly() -> None:
    """A member with an absurd compression ratio is a LimitExceeded before inflating (CPU
    time of this process is measured, so a busy machine does not decide the result)."""
    bomb = zip_bomb()
    started = time.process_time()
    with pytest.raises(LimitExceeded, match="max_zip_ratio"):
        read_docx_text(bomb, "bomb.docx", DEFAULT_LIMITS)
    assert time.process_time() - started < 2.0


@pytest.mark.parametrize(("limits", "phrase"), [
    (Limits(max_zip_entries=5), "max_zip_entries"),
    (Limits(max_zip_expanded_bytes=1000), "max_zip_expanded_bytes"),
    (Limits(max_file_bytes=100), "max_file_bytes"),
])
def test_archive_limits(limits: Limits, phrase: str) -> None:
    """Each archive limit raises LimitExceeded naming the limit."""
    with pytest.raises(LimitExceeded, match=phrase):
        check_docx_archive(draft_bytes(), "draft.docx", limits)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_entity_declarations_are_refused(encoding: str) -> None:
    """An XML part with a DOCTYPE/ENTITY declaration is refused, whatever its encoding."""
    bomb = (f'<?xml version="1.0" encoding="{encoding}"?>\n'
            '<!DOCTYPE w:document [<!ENTITY lol "lollollollollol">]>\n'
            f'<w:document xmlns:w="{W}"><w:body><w:p><w:r><w:t>&lol;</w:t></w:r></w:p>'
            "</w:body></w:document>")
    package = replace_member(draft_bytes(), "word/document.xml", bomb.encode(encoding))
    with pytest.raises(InputError, match="DOCTYPE or ENTITY") as caught:
        read_docx_text(package, "evil.docx", DEFAULT_LIMITS)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(("data", "phrase"), [
    (b"", "empty (0 bytes)"),
    (b"just some text, not a zip", "unrecognised type"),
    (b"%PDF-1.7\n...", "a PDF file"),
])
def test_non_zip_inputs(data: bytes, phrase: str) -> None:
    """Non-zip bytes are an InputError saying what they look like."""
    with pytest.raises(InputError, match=re.escape(phrase)):
        read_docx_text(data, "x.docx", DEFAULT_LIMITS)


def test_zip_without_word_document_is_refused() -> None:
    """A zip that lacks word/document.xml is not a Word document."""
    package = replace_member(draft_bytes(), "word/document.xml", None)
    with pytest.raises(InputError, match=re.escape("no word/document.xml")):
        read_docx_text(package, "x.docx", DEFAULT_LIMITS)


def test_duplicate_members_are_refused() -> None:
    """Two members with one name make an ambiguous archive."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive, pytest.warns(UserWarning, match="Duplicate"):
        for name, content in members(draft_bytes()).items():
            archive.writestr(name, content)
        archive.writestr("word/document.xml", b"<x/>")
    with pytest.raises(InputError, match="two members"):
        read_docx_text(out.getvalue(), "dup.docx", DEFAULT_LIMITS)


def test_malformed_xml_is_an_input_error() -> None:
    """Broken XML inside a valid zip is a one-line InputError."""
    package = replace_member(draft_bytes(), "word/document.xml", b"<w:document><w:body>")
    with pytest.raises(InputError, match="malformed XML") as caught:
        read_docx_text(package, "bad.docx", DEFAULT_LIMITS)
    assert "\n" not in str(caught.value)


# --------------------------------------------------------------------------- copies


@pytest.fixture(scope="module")
def cn_copy(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes]:
    """One cn-state copy of the draft and its decrypted package."""
    from mijian.watermark.pattern import payload_from_number

    out = tmp_path_factory.mktemp("copies") / "000003.docx"
    write_docx_copy(draft_bytes(), stamp_for(pattern_key=PATTERN_KEY,
                                             pattern_payload=payload_from_number(PATTERN_NUMBER)),
                    out)
    return out, decrypt(out, PASSWORD)


def test_copy_is_encrypted_and_opens_only_with_its_password(cn_copy: tuple[Path, bytes]) -> None:
    """The copy is an OLE/CFB file; the right password opens it, a wrong one does not."""
    path, plain = cn_copy
    assert path.read_bytes()[:8] == CFB
    assert plain[:2] == b"PK"
    with pytest.raises(msoffcrypto.exceptions.InvalidKeyError):
        decrypt(path, "wrong password")
    with pytest.raises(InputError, match="password-protected"):
        read_docx_text(path.read_bytes(), path.name, DEFAULT_LIMITS)


def box_lines(document: docx.document.Document) -> list[Any]:
    """The paragraphs of the marking box anchored in the first paragraph of the body."""
    first = document.element.body.find(f"{{{W}}}p")
    return [Paragraph(p, None) for p in first.iter(f"{{{W}}}txbxContent")
            for p in p.iter(f"{{{W}}}p")] if first is not None else []


def test_marking_box_in_top_margin_takes_no_body_room(tmp_path: Path) -> None:
    """With GB/T 9704 margins the 份号 and grade line are a text box in the top margin: flush
    with the text block, its bottom on the text block's top edge, not wrapped around; the
    body starts with the draft's own text and ends with the printed code, and the header is
    moved up just enough to stay clear of the box."""
    out = tmp_path / "box.docx"
    write_docx_copy(draft_bytes(gbt_margins=True), stamp_for(), out)
    document = docx.Document(io.BytesIO(decrypt(out, PASSWORD)))
    assert document.paragraphs[0].text == "关于2025年度预算的请示"
    assert document.paragraphs[-1].text == "MJ-7Q2K-9XHD"
    lines = box_lines(document)
    assert [p.text for p in lines] == ["000003", "机密★20年"]
    assert lines[0].runs[0].font.size == Pt(16) and lines[1].runs[0].font.bold is True
    shape = next(document.element.body.iter(f"{{{VML}}}shape"))
    style = dict(item.split(":", 1) for item in shape.get("style").split(";"))
    assert style["mso-position-vertical-relative"] == "margin" and style["margin-left"] == "0"
    height = float(style["height"].removesuffix("pt"))
    assert float(style["margin-top"].removesuffix("pt")) == -height
    assert height == sum(p.paragraph_format.line_spacing.pt for p in lines) == 20 + 20
    assert shape.find("{urn:schemas-microsoft-com:office:word}wrap").get("type") == "none"
    section = document.sections[0]
    assert abs(section.top_margin.pt - Mm(37).pt) < 0.1  # the text block stays where it was
    assert section.header_distance.pt < Mm(15).pt  # lifted above the box
    assert section.header_distance.pt >= 18
    text = read_docx_text(decrypt(out, PASSWORD), "copy.docx", DEFAULT_LIMITS)
    assert "000003" in text and "MJ-7Q2K-9XHD" in text


def test_copy_starts_with_marking_lines_then_code(cn_copy: tuple[Path, bytes]) -> None:
    """When the top margin is too small for the marking box (python-docx's 2.54 cm), the
    份号 and grade line open the body; the original text follows, then the visible code."""
    _, plain = cn_copy
    document = docx.Document(io.BytesIO(plain))
    paragraphs = document.paragraphs
    assert [p.text for p in paragraphs[:3]] == ["000003", "机密★20年", "关于2025年度预算的请示"]
    assert not box_lines(document)
    serial, grade, code = paragraphs[0], paragraphs[1], paragraphs[-1]
    assert code.text == "MJ-7Q2K-9XHD"
    assert serial.runs[0].font.size == Pt(16) and grade.runs[0].font.size == Pt(16)
    assert grade.runs[0].font.bold is True
    assert grade.runs[0].element.xpath("string(./w:rPr/w:rFonts/@w:eastAsia)") == "黑体"
    assert serial.paragraph_format.alignment == 0  # flush left
    assert code.runs[0].font.size == Pt(7)
    text = read_docx_text(plain, "copy.docx", DEFAULT_LIMITS)
    assert "项目\t金额" in text and "After the table." in text


def test_copy_headers_carry_watermark_and_page_fields(cn_copy: tuple[Path, bytes]) -> None:
    """The header holds the VML text watermark tiled over the page (at least 2 columns x 3
    rows, each tile in its own place, turned, behind the text, placed on the page) and the
    running line with PAGE/NUMPAGES."""
    _, plain = cn_copy
    parts = members(plain)
    header = parts["word/header1.xml"].decode("utf-8")
    root = etree.fromstring(parts["word/header1.xml"])
    paths = root.findall(f".//{{{VML}}}textpath")
    strings = [p.get("string") for p in paths if p.get("string")]
    assert len(strings) >= 6 and set(strings) == {"张三 000003"}
    shapes = list(root.iter(f"{{{VML}}}shape"))
    assert len(shapes) == len(strings)
    corners = set()
    for shape in shapes:
        style = dict(item.split(":", 1) for item in shape.get("style").split(";"))
        assert style["rotation"] == "315" and style["z-index"].startswith("-")
        assert style["mso-position-horizontal-relative"] == "page"
        corners.add((float(style["margin-left"][:-2]), float(style["margin-top"][:-2])))
    assert len(corners) == len(shapes)  # no two tiles in the same place
    assert len({x for x, _ in corners}) >= 2 and len({y for _, y in corners}) >= 3
    assert " PAGE " in header and " NUMPAGES " in header
    footer = parts["word/footer1.xml"].decode("utf-8")
    assert "MJ-7Q2K-9XHD" in footer and "Footer text" in footer


def test_copy_properties_hold_token_and_no_password(cn_copy: tuple[Path, bytes]) -> None:
    """The token is a custom property, the subject names the marking, no password is stored."""
    _, plain = cn_copy
    document = docx.Document(io.BytesIO(plain))
    assert read_custom_property(document, TOKEN_PROPERTY) == "v1.token-for-000003.sig"
    assert document.core_properties.subject == "机密★20年 份号000003"
    parts = members(plain)
    assert "docProps/custom.xml" in parts
    assert b"custom-properties+xml" in parts["[Content_Types].xml"]
    assert b"relationships/custom-properties" in parts["_rels/.rels"]
    for content in parts.values():
        for secret in (PASSWORD, "office-owner-secret"):
            assert secret.encode("utf-8") not in content
            assert secret.encode("utf-16-le") not in content


def test_evidence_from_an_issued_copy(cn_copy: tuple[Path, bytes]) -> None:
    """Tracing finds the token and all marks; notes never quote a password."""
    path, _ = cn_copy
    evidence = read_docx_evidence(path, ["not it", PASSWORD], DEFAULT_LIMITS)
    assert (evidence.kind, evidence.encrypted, evidence.opened) == ("docx", True, True)
    assert evidence.token == "v1.token-for-000003.sig"
    for expected in ("张三 000003", "MJ-7Q2K-9XHD", "000003", "机密★20年", "After the table."):
        assert expected in evidence.text
    assert "password 2 of 2" in " ".join(evidence.notes)
    assert all(PASSWORD not in note and "not it" not in note for note in evidence.notes)


def test_evidence_without_the_password(cn_copy: tuple[Path, bytes]) -> None:
    """No known password: opened is False and nothing is invented."""
    path, _ = cn_copy
    evidence = read_docx_evidence(path, ["a", "b"], DEFAULT_LIMITS)
    assert (evidence.encrypted, evidence.opened, evidence.token, evidence.text) == (
        True, False, None, "")
    assert "none of 2" in " ".join(evidence.notes)


def test_evidence_from_a_plain_docx(tmp_path: Path) -> None:
    """An unencrypted leak is read directly and has no token."""
    path = tmp_path / "leak.docx"
    path.write_bytes(draft_bytes())
    evidence = read_docx_evidence(path, [], DEFAULT_LIMITS)
    assert (evidence.encrypted, evidence.opened, evidence.token) == (False, True, None)
    assert "Header text" in evidence.text


@pytest.mark.parametrize(("name", "password", "text"), [
    ("poi_enc_pw_solrcell.docx", "solrcell", "password protected Word document"),
    ("poi_enc_agile_default.docx", "VelvetSweatshop", ""),
])
def test_evidence_from_corpus_encrypted_files(name: str, password: str, text: str) -> None:
    """Standard and agile (SHA-1) encrypted files open with their known passwords."""
    path = MALFORMED / name
    if not path.exists():
        pytest.skip(f"shared corpus file {name} is not present")
    evidence = read_docx_evidence(path, ["wrong", password], DEFAULT_LIMITS)
    assert evidence.encrypted and evidence.opened
    assert text in evidence.text
    assert evidence.token is None


def test_evidence_from_legacy_doc() -> None:
    """A legacy .doc is reported as unopened, not as an error."""
    path = MALFORMED / "poi_enc_rc4_tika.doc"
    if not path.exists():
        pytest.skip("shared corpus file poi_enc_rc4_tika.doc is not present")
    evidence = read_docx_evidence(path, ["tika"], DEFAULT_LIMITS)
    assert not evidence.opened and "legacy" in evidence.notes[0]


def test_every_header_and_footer_is_marked(tmp_path: Path) -> None:
    """First-page, even and later-section headers all get banner, watermark and code."""
    out = tmp_path / "us.docx"
    stamp = stamp_for(US_MARKING, watermark_text="J 7", language="en")
    write_docx_copy(draft_bytes(sections=True), stamp, out)
    plain = decrypt(out, PASSWORD)
    document = docx.Document(io.BytesIO(plain))
    assert [p.text for p in box_lines(document)] == ["Copy 7 of 10 copies"]
    assert document.paragraphs[-1].text == "MJ-7Q2K-9XHD"
    parts = members(plain)
    headers = [n for n in parts if n.startswith("word/header")]
    footers = [n for n in parts if n.startswith("word/footer")]
    assert len(headers) >= 4 and len(footers) >= 3  # default, first, even, second section
    for name in headers:
        assert b"SECRET//NOFORN" in parts[name] and b'string="J 7"' in parts[name]
    for name in footers:
        assert b"SECRET//NOFORN" in parts[name] and b"MJ-7Q2K-9XHD" in parts[name]
    shapes = {n: list(etree.fromstring(parts[n]).iter(f"{{{VML}}}shape")) for n in headers}
    assert all(len(found) >= 6 for found in shapes.values())  # a tiling in every header
    for attribute in ("id", "{urn:schemas-microsoft-com:office:office}spid"):
        ids = [s.get(attribute) for found in shapes.values() for s in found]
        assert len(ids) == len(set(ids)), f"{attribute} repeats across the headers"
    assert document.core_properties.subject == "SECRET//NOFORN Serial 000007"


def test_page_fingerprint_behind_every_header(tmp_path: Path) -> None:
    """Each header in use holds one full-page picture anchored at the page corner behind the
    text; drawing ids are unique; without a pattern key no picture is added."""
    from mijian.watermark.pattern import payload_from_number

    out = tmp_path / "patterned.docx"
    stamp = stamp_for(US_MARKING, watermark_text="J 7", language="en", pattern_key=PATTERN_KEY,
                      pattern_payload=payload_from_number(7))
    write_docx_copy(draft_bytes(sections=True), stamp, out)
    parts = members(decrypt(out, PASSWORD))
    headers = [n for n in parts if re.fullmatch(r"word/header\d+\.xml", n)]
    section = docx.Document(io.BytesIO(draft_bytes())).sections[0]
    ids = []
    for name in headers:
        [anchor] = etree.fromstring(parts[name]).iter(f"{{{WP}}}anchor")
        assert anchor.get("behindDoc") == "1" and anchor.find(f"{{{WP}}}wrapNone") is not None
        for axis in ("positionH", "positionV"):
            position = anchor.find(f"{{{WP}}}{axis}")
            assert position.get("relativeFrom") == "page"
            assert position.findtext(f"{{{WP}}}posOffset") == "0"
        extent = anchor.find(f"{{{WP}}}extent")
        assert abs(int(extent.get("cx")) - section.page_width) <= 1
        assert abs(int(extent.get("cy")) - section.page_height) <= 1
        ids.append(anchor.find(f"{{{WP}}}docPr").get("id"))
    assert len(set(ids)) == len(ids) == len(headers)
    images = [n for n in parts if n.startswith("word/media/")]
    assert images and all(parts[n][:8] == b"\x89PNG\r\n\x1a\n" for n in images)
    plain = tmp_path / "plain.docx"
    write_docx_copy(draft_bytes(sections=True), stamp_for(US_MARKING), plain)
    unpatterned = members(decrypt(plain, PASSWORD))
    assert not any(list(etree.fromstring(c).iter(f"{{{WP}}}anchor"))
                   for n, c in unpatterned.items() if n.startswith("word/header"))


def test_document_without_sections_gets_a_header(tmp_path: Path) -> None:
    """A body with no w:sectPr still gets a header to carry the watermark."""
    root = etree.fromstring(members(draft_bytes())["word/document.xml"])
    body = root.find(f"{{{W}}}body")
    body.remove(body.find(f"{{{W}}}sectPr"))
    package = replace_member(draft_bytes(), "word/document.xml", etree.tostring(root))
    out = tmp_path / "nosect.docx"
    write_docx_copy(package, stamp_for(), out)
    parts = members(decrypt(out, PASSWORD))
    assert any(n.startswith("word/header") and "张三 000003".encode() in c
               for n, c in parts.items())


def test_failed_copy_leaves_no_file(tmp_path: Path) -> None:
    """An unusable draft or destination raises InputError and leaves nothing behind."""
    out = tmp_path / "copy.docx"
    with pytest.raises(InputError, match=re.escape("the draft for copy.docx")):
        write_docx_copy(b"not a docx", stamp_for(), out)
    with pytest.raises(InputError, match="could not be written"):
        write_docx_copy(draft_bytes(), stamp_for(), tmp_path / "missing" / "copy.docx")
    with pytest.raises(InputError, match="password"):
        write_docx_copy(draft_bytes(), stamp_for(user_password=""), out)
    assert list(tmp_path.iterdir()) == []


def test_custom_property_keeps_others_and_replaces_token() -> None:
    """Setting the token twice keeps one token and the draft's own properties."""
    package = set_custom_property(draft_bytes(), "Department", "Finance")
    package = set_custom_property(package, TOKEN_PROPERTY, "old")
    package = set_custom_property(package, TOKEN_PROPERTY, "new")
    root = etree.fromstring(members(package)["docProps/custom.xml"])
    props = {p.get("name"): (p.get("pid"), p[0].text) for p in root}
    assert props[TOKEN_PROPERTY][1] == "new" and props["Department"][1] == "Finance"
    assert len(root) == 2 and props[TOKEN_PROPERTY][0] != props["Department"][0]
    assert members(package)["[Content_Types].xml"].count(b"/docProps/custom.xml") == 1


# --------------------------------------------------------------------------- rendering


def test_libreoffice_renders_marks_and_watermark(
        cn_copy: tuple[Path, bytes], tmp_path: Path) -> None:
    """LibreOffice converts a decrypted copy: marks on the page, the grey watermark tiles
    spread over the page (both halves across, top, middle and bottom) and over its centre."""
    binary = shutil.which("soffice") or shutil.which("libreoffice")
    if binary is None:
        pytest.skip("LibreOffice (soffice) is not installed; rendering not checked")
    pymupdf = pytest.importorskip("pymupdf")
    _, plain = cn_copy
    source = tmp_path / "plain.docx"
    source.write_bytes(plain)
    profile = (tmp_path / "profile").as_uri()
    subprocess.run(
        [binary, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
         "--outdir", str(tmp_path), str(source)],
        check=True, capture_output=True, timeout=300)
    with pymupdf.open(tmp_path / "plain.pdf") as pdf:
        page = pdf[0]
        text = "".join(page.get_text().split())
        assert "000003" in text and "MJ-7Q2K-9XHD" in text
        assert "机密000003第1页/共1页" in text
        assert text.index("000003") < text.index("关于2025年度预算的请示")
        width, height = page.rect.width, page.rect.height
        grey = [d["rect"] for d in page.get_drawings()
                if d.get("fill") and max(d["fill"]) - min(d["fill"]) < 0.02
                and 0.6 < d["fill"][0] < 0.95]
        middle = pymupdf.Rect(width / 3, height / 3, width * 2 / 3, height * 2 / 3)
        assert any(rect.intersects(middle) for rect in grey), "no watermark near the centre"
        columns = {int(rect.x0 + rect.width / 2 > width / 2) for rect in grey}
        rows = {min(int((rect.y0 + rect.height / 2) / height * 3), 2) for rect in grey}
        assert columns == {0, 1} and rows == {0, 1, 2}, "the watermark does not cover the page"
        pixmap = page.get_pixmap(dpi=150)
    # the page fingerprint behind the text decodes from a quarter of the rendered page
    from PIL import Image

    from mijian.watermark.pattern import NUMBER_PARAMS, PatternKey, decode, number_from_payload

    image = Image.frombytes("RGB", (pixmap.width, pixmap.height), pixmap.samples)
    w, h = image.size
    crop = image.crop((w // 4, h // 3, w // 4 + w // 2, h // 3 + h // 2))
    found = decode(crop, PatternKey(PATTERN_KEY, NUMBER_PARAMS))
    assert found.payload is not None and number_from_payload(found.payload) == PATTERN_NUMBER
    other = decode(crop, PatternKey(bytes(32), NUMBER_PARAMS))
    assert other.payload is None


def test_first_page_right_line_and_unique_shape_ids(tmp_path: Path) -> None:
    """A top-right marking is a right-aligned line of the marking box (or the first paragraph
    when the box does not fit); shape ids avoid the draft's."""
    marking = Marking(scheme="cn-enterprise", grade="机密", level=3, period="5年",
                      serial="000009", first_page_right="某某公司 商密·机密 5年")
    first = tmp_path / "first.docx"
    write_docx_copy(draft_bytes(), stamp_for(marking), first)
    again = tmp_path / "again.docx"
    write_docx_copy(decrypt(first, PASSWORD), stamp_for(marking), again)
    plain = decrypt(again, PASSWORD)
    document = docx.Document(io.BytesIO(plain))
    lines = box_lines(document)
    assert lines[0].text == "某某公司 商密·机密 5年"
    assert lines[0].paragraph_format.alignment == 2  # right
    first_tiles = list(etree.fromstring(members(decrypt(first, PASSWORD))["word/header1.xml"])
                       .iter(f"{{{VML}}}shape"))
    spids = [s.get("{urn:schemas-microsoft-com:office:office}spid")
             for s in etree.fromstring(members(plain)["word/header1.xml"]).iter(f"{{{VML}}}shape")]
    # the first copy's tiles stay and the second copy's are added, every id its own
    assert len(first_tiles) >= 6 and len(spids) == 2 * len(first_tiles)
    assert len(set(spids)) == len(spids)


def test_long_prolog_is_refused() -> None:
    """A part whose first 8 KB hold no root element could hide a late DOCTYPE."""
    padded = (b'<?xml version="1.0"?>' + b"<!--" + b"x" * 9000 + b"-->"
              + f'<w:document xmlns:w="{W}"><w:body/></w:document>'.encode())
    package = replace_member(draft_bytes(), "word/document.xml", padded)
    with pytest.raises(InputError, match="no root element"):
        check_docx_archive(package, "pad.docx", DEFAULT_LIMITS)


def test_fingerprint_covers_a_landscape_section_sharing_the_header(tmp_path: Path) -> None:
    """A landscape section linked to a portrait one's header: the picture is as wide as the
    landscape page and as tall as the portrait one, and the right edge of a rendered
    landscape page carries the fingerprint."""
    from docx.enum.section import WD_ORIENT

    from mijian.watermark.pattern import NUMBER_PARAMS, PatternKey, decode, number_from_payload
    from mijian.watermark.pattern import payload_from_number

    document = docx.Document()
    for i in range(4):
        document.add_paragraph(f"Portrait paragraph {i}. " * 20)
    wide = document.add_section(WD_SECTION.NEW_PAGE)
    wide.orientation = WD_ORIENT.LANDSCAPE
    wide.page_width, wide.page_height = document.sections[0].page_height, document.sections[0].page_width
    for i in range(6):
        document.add_paragraph(f"Landscape paragraph {i}. " * 30)
    buffer = io.BytesIO()
    document.save(buffer)
    out = tmp_path / "mixed.docx"
    write_docx_copy(buffer.getvalue(), stamp_for(pattern_key=PATTERN_KEY,
                                                 pattern_payload=payload_from_number(77)), out)
    plain = decrypt(out, PASSWORD)
    parts = members(plain)
    [name] = [n for n in parts if re.fullmatch(r"word/header\d+\.xml", n)]
    [anchor] = etree.fromstring(parts[name]).iter(f"{{{WP}}}anchor")
    extent = anchor.find(f"{{{WP}}}extent")
    portrait = docx.Document(io.BytesIO(plain)).sections[0]
    assert abs(int(extent.get("cx")) - portrait.page_height) <= 1
    assert abs(int(extent.get("cy")) - portrait.page_height) <= 1
    binary = shutil.which("soffice") or shutil.which("libreoffice")
    if binary is None:
        return
    pymupdf = pytest.importorskip("pymupdf")
    from PIL import Image

    source = tmp_path / "plain.docx"
    source.write_bytes(plain)
    subprocess.run([binary, f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
                    "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(source)],
                   check=True, capture_output=True, timeout=300)
    with pymupdf.open(tmp_path / "plain.pdf") as pdf:
        page = next(p for p in pdf if p.rect.width > p.rect.height)
        pix = page.get_pixmap(dpi=150)
    image = Image.frombytes("RGB", (pix.width, pix.height), pix.samples)
    w, h = image.size
    right = image.crop((w * 3 // 4, 0, w, h))  # beyond the portrait page's width
    found = decode(right, PatternKey(PATTERN_KEY, NUMBER_PARAMS))
    assert found.payload is not None and number_from_payload(found.payload) == 77
