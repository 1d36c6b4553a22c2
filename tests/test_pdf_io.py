"""PDF reading, plain-text layout, evidence gathering and issued PDF copies."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pymupdf
import pypdf
import pytest

from mijian.pipeline.errors import InputError, LimitExceeded
from mijian.pipeline.limits import DEFAULT_LIMITS, Limits
from mijian.pipeline.model import CopyStamp, Marking
from mijian.pipeline.formats.pdf.copy import write_pdf_copy
from mijian.pipeline.formats.pdf.evidence import read_pdf_evidence, render_pages
from mijian.pipeline.formats.pdf.opening import INFO_TOKEN_KEY, MM, XMP_NAMESPACE, read_pdf_pages
from mijian.pipeline.formats.pdf.typeset import text_to_pdf

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "malformed"
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus not present")

USER, OWNER = "user-Pw-7731", "owner-Pw-0964"
CODE = "MJ1-7KQ2M9XW4TPF3HRA"
TOKEN = "mjt1.eyJjb3B5IjoiMDAwMDAzIn0.c2lnbmF0dXJl"
BODY_ZH = (
    "关于加强涉密文件管理的通知\n"
    "各处室、各直属单位：\n"
    "　　为进一步规范涉密文件的制发、传阅和清退，现将有关事项通知如下。\n"
    + "一、严格执行定密程序，确保密级准确（含“机密”“秘密”两级），保密期限明确；" * 40
    + "\n二、Mixed text: AES-256, GB/T 9704-2012, 份号000003。\n\n三、附则。"
)
CN_STATE = Marking(
    scheme="cn-state",
    grade="机密",
    level=3,
    period="20年",
    serial="000003",
    first_page_lines=("000003", "机密★20年"),
    running="机密 000003 第{page}页/共{pages}页",
)
US = Marking(
    scheme="us",
    grade="SECRET",
    level=3,
    period=None,
    serial="000003",
    banner="SECRET//NOFORN",
    copy_line="Copy 3 of 10",
    running="SECRET 000003 page {page} of {pages}",
)
STAMP = CopyStamp(
    marking=CN_STATE,
    watermark_text="张三 000003",
    visible_code=CODE,
    token=TOKEN,
    user_password=USER,
    owner_password=OWNER,
)


def squeeze(text: str) -> str:
    """Text without any whitespace, to compare characters and their order."""
    return re.sub(r"\s+", "", text)


def make_pdf(pages: list[list[tuple[float, float, str]]]) -> bytes:
    """An A4 PDF whose pages hold the given (x, baseline y, text) lines in Helvetica 11 pt."""
    doc = pymupdf.open()
    for lines in pages:
        page = doc.new_page(width=595, height=842)
        for x, y, text in lines:
            page.insert_text((x, y), text, fontsize=11)
    data = doc.tobytes()
    doc.close()
    return data


def open_copy(path: Path, password: str = USER) -> pymupdf.Document:
    doc = pymupdf.open(path)
    assert doc.authenticate(password)
    return doc


def assert_one_line(error: pytest.ExceptionInfo[InputError], source: str, *phrases: str) -> None:
    message = str(error.value)
    assert "\n" not in message
    assert message.startswith(f"{source}: ")
    assert "expected" in message
    for phrase in phrases:
        assert phrase in message


@pytest.fixture(scope="module")
def zh_draft() -> bytes:
    return text_to_pdf(BODY_ZH, "关于加强涉密文件管理的通知", "zh")


@pytest.fixture(scope="module")
def zh_copy(tmp_path_factory: pytest.TempPathFactory, zh_draft: bytes) -> Path:
    out = tmp_path_factory.mktemp("copies") / "copy-000003.pdf"
    write_pdf_copy(zh_draft, STAMP, out)
    return out


# --- read_pdf_pages ---------------------------------------------------------------------------


def test_read_pages_returns_each_page_in_order() -> None:
    data = make_pdf([[(72, 100, "First page line one"), (72, 120, "line two")], [(72, 100, "2")]])
    pages = read_pdf_pages(data, "draft.pdf", DEFAULT_LIMITS)
    assert pages == ("First page line one\nline two", "2")


@pytest.mark.parametrize(
    ("limits", "phrase"),
    [
        (Limits(max_file_bytes=100), "bytes"),
        (Limits(max_pages=1), "2 pages"),
        (Limits(max_chars=10), "characters"),
    ],
)
def test_read_pages_enforces_limits(limits: Limits, phrase: str) -> None:
    data = make_pdf([[(72, 100, "A line of text")], [(72, 100, "Another line")]])
    with pytest.raises(LimitExceeded) as error:
        read_pdf_pages(data, "big.pdf", limits)
    assert_one_line(error, "big.pdf", phrase)


def test_read_pages_refuses_a_scan() -> None:
    doc = pymupdf.open()
    page = doc.new_page()
    pixmap = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 40, 40), False)
    pixmap.clear_with(200)
    page.insert_image(pymupdf.Rect(72, 72, 500, 700), pixmap=pixmap)
    with pytest.raises(InputError) as error:
        read_pdf_pages(doc.tobytes(), "scan.pdf", DEFAULT_LIMITS)
    assert_one_line(error, "scan.pdf", "no extractable text", "OCR")


def test_read_pages_refuses_an_encrypted_draft() -> None:
    doc = pymupdf.open(stream=make_pdf([[(72, 100, "secret")]]))
    data = doc.tobytes(encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="u", owner_pw="o")
    with pytest.raises(InputError) as error:
        read_pdf_pages(data, "draft.pdf", DEFAULT_LIMITS)
    assert_one_line(error, "draft.pdf", "password-protected", "without a password")


@needs_corpus
@pytest.mark.parametrize(
    ("name", "phrase"),
    [
        ("plumb_empty_0byte.pdf", "the file is empty"),
        ("derived_trunc_half.pdf", "damaged or truncated"),
        ("pypdf_enc_r6_user.pdf", "password-protected"),
        ("pdfminer_enc_rc4_40.pdf", "password-protected"),
        ("derived_docx_as_pdf.pdf", "not a PDF, it looks like a ZIP archive"),
        ("qpdf_bad01_notpdf.pdf", "not a PDF"),
        ("pdfium_bug325a.pdf", "damaged and cannot be opened"),
        ("pdfium_pagetree_emptynode.pdf", "has no pages"),
        ("pdfjs_pagetree_cycle.pdf", "cannot be read"),
        ("pdfjs_count_huge_p67295.pdf", "page list cannot be read"),
    ],
)
def test_malformed_corpus_gives_one_line_input_errors(
    name: str, phrase: str, capfd: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(InputError) as error:
        read_pdf_pages((CORPUS / name).read_bytes(), name, DEFAULT_LIMITS)
    assert_one_line(error, name, phrase)
    assert capfd.readouterr().err == ""


@needs_corpus
def test_broken_but_recoverable_pdf_still_reads() -> None:
    data = (CORPUS / "qpdf_bad03_xrefoffset.pdf").read_bytes()
    pages = read_pdf_pages(data, "x.pdf", DEFAULT_LIMITS)
    assert len(pages) == 1 and pages[0].strip()


# --- text_to_pdf ---------------------------------------------------------------------------------


def test_text_to_pdf_round_trips_chinese_in_order(zh_draft: bytes) -> None:
    pages = read_pdf_pages(zh_draft, "draft.pdf", DEFAULT_LIMITS)
    assert len(pages) >= 2
    assert squeeze("".join(pages)) == squeeze(BODY_ZH)


def test_text_to_pdf_keeps_gbt9704_margins_on_a4(zh_draft: bytes) -> None:
    doc = pymupdf.open(stream=zh_draft)
    for page in doc:
        assert page.rect.width == pytest.approx(210 * MM, abs=0.5)
        assert page.rect.height == pytest.approx(297 * MM, abs=0.5)
        for block in page.get_text("blocks"):
            rect = pymupdf.Rect(block[:4])
            assert rect.x0 >= 28 * MM - 1 and rect.x1 <= page.rect.width - 26 * MM + 15
            assert rect.y0 >= 37 * MM - 2 and rect.y1 <= page.rect.height - 35 * MM + 2
        assert all(font[1] != "n/a" for font in page.get_fonts())  # embedded
    assert doc.metadata["title"] == "关于加强涉密文件管理的通知"


def test_text_to_pdf_english_paragraphs_and_form_feed() -> None:
    text = "Paragraph one is long. " * 60 + "\n\nSecond paragraph – “quoted”, 5 µm.\fNew page."
    data = text_to_pdf(text, "Memo", "en")
    pages = read_pdf_pages(data, "memo.pdf", DEFAULT_LIMITS)
    assert squeeze("".join(pages)) == squeeze(text)
    assert pages[-1] == "New page."


@pytest.mark.parametrize(("text", "phrase"), [(" \n\n ", "empty"), ("笑 😀", "😀")])
def test_text_to_pdf_refuses_what_it_cannot_set(text: str, phrase: str) -> None:
    with pytest.raises(InputError) as error:
        text_to_pdf(text, "draft.txt", "zh")
    assert_one_line(error, "draft.txt", phrase)


# --- write_pdf_copy: encryption ------------------------------------------------------------------


def test_copy_needs_a_password_and_opens_with_user_or_owner(zh_copy: Path) -> None:
    doc = pymupdf.open(zh_copy)
    assert doc.needs_pass
    with pytest.raises(ValueError):
        doc.load_page(0).get_text()
    assert doc.authenticate("") == 0
    assert doc.authenticate("wrong") == 0
    assert doc.authenticate(USER) == 2
    assert pymupdf.open(zh_copy).authenticate(OWNER) == 4

    reader = pypdf.PdfReader(zh_copy)
    assert reader.is_encrypted
    with pytest.raises(pypdf.errors.FileNotDecryptedError):
        reader.pages[0].extract_text()
    assert reader.decrypt("wrong") == pypdf.PasswordType.NOT_DECRYPTED
    assert reader.decrypt(USER) == pypdf.PasswordType.USER_PASSWORD
    assert pypdf.PdfReader(zh_copy).decrypt(OWNER) == pypdf.PasswordType.OWNER_PASSWORD


def test_copy_is_aes_256(zh_copy: Path) -> None:
    reader = pypdf.PdfReader(zh_copy)
    assert reader.decrypt(USER)
    assert (reader._encryption.V, reader._encryption.R) == (5, 6)
    assert reader.trailer["/Encrypt"]["/CF"]["/StdCF"]["/CFM"] == "/AESV3"
    assert open_copy(zh_copy).metadata["encryption"] == "Standard V5 R6 256-bit AES"


def test_passwords_are_stored_nowhere(zh_copy: Path) -> None:
    raw = zh_copy.read_bytes()
    doc = open_copy(zh_copy)
    for xref in range(1, doc.xref_length()):
        parts = [doc.xref_object(xref)]
        if doc.xref_is_stream(xref):
            parts.append(doc.xref_stream(xref).decode("latin-1"))
        for password in (USER, OWNER):
            assert password not in "".join(parts)
            assert password.encode() not in raw
    assert USER not in str(doc.metadata) and OWNER not in doc.get_xml_metadata()


# --- write_pdf_copy: marks, watermark, code, metadata --------------------------------------------


def test_copy_text_carries_body_marks_watermark_and_code(zh_copy: Path, zh_draft: bytes) -> None:
    doc = open_copy(zh_copy)
    draft_pages = read_pdf_pages(zh_draft, "draft.pdf", DEFAULT_LIMITS)
    assert doc.page_count == len(draft_pages)
    for number, page in enumerate(doc):
        text = page.get_text()
        assert squeeze(draft_pages[number]) in squeeze(text)
        assert "张三 000003" not in text  # the watermark is an image: copied text stays clean
        assert CODE in text
        assert f"机密 000003 第{number + 1}页/共{doc.page_count}页" in text
    first = doc[0].get_text().splitlines()
    assert "000003" in first and "机密★20年" in first
    assert "机密★20年" not in doc[1].get_text()


def test_copy_metadata_token_and_subject(zh_copy: Path) -> None:
    evidence = read_pdf_evidence(zh_copy, ["not-it", OWNER], DEFAULT_LIMITS)
    assert (evidence.kind, evidence.encrypted, evidence.opened) == ("pdf", True, True)
    assert evidence.token == TOKEN
    assert CODE in evidence.text
    assert any("password 2 of 2" in note and "owner" in note for note in evidence.notes)
    assert any("Info and XMP" in note for note in evidence.notes)
    assert not any(OWNER in note or "not-it" in note for note in evidence.notes)

    doc = open_copy(zh_copy)
    assert doc.metadata["subject"] == "机密★20年 份号000003"
    assert doc.metadata["title"] == "关于加强涉密文件管理的通知"
    info = int(doc.xref_get_key(-1, "Info")[1].split()[0])
    assert doc.xref_get_key(info, INFO_TOKEN_KEY) == ("string", TOKEN)
    xmp = doc.get_xml_metadata()
    assert XMP_NAMESPACE in xmp and f"<mijian:token>{TOKEN}</mijian:token>" in xmp


def test_evidence_without_the_password_is_not_opened(zh_copy: Path) -> None:
    evidence = read_pdf_evidence(zh_copy, ["guess-1", "guess-2"], DEFAULT_LIMITS)
    assert evidence.encrypted and not evidence.opened
    assert evidence.token is None and evidence.text == ""
    assert evidence.notes == ("none of the 2 supplied passwords opened it",)


@needs_corpus
@pytest.mark.parametrize(
    ("name", "password", "role"),
    [
        ("pypdf_enc_r6_both.pdf", "bar", "owner"),
        ("pdfium_enc_r6_latin.pdf", "hôtel", "user"),
        ("pdfjs_enc_saslprep_r6.pdf", "S\u00aaSL\u00adprep", "user"),  # needs SASLprep
        ("pdfminer_enc_rc4_40.pdf", "baz", "user"),
    ],
)
def test_evidence_opens_foreign_encrypted_files(name: str, password: str, role: str) -> None:
    evidence = read_pdf_evidence(CORPUS / name, ["wrong", password], DEFAULT_LIMITS)
    assert evidence.encrypted and evidence.opened
    assert any(f"password 2 of 2 opened it as the {role}" in note for note in evidence.notes)
    assert not any(password in note for note in evidence.notes)


def test_evidence_from_a_plain_pdf(tmp_path: Path) -> None:
    path = tmp_path / "leak.pdf"
    path.write_bytes(make_pdf([[(72, 100, "pasted text")]]))
    evidence = read_pdf_evidence(path, [], DEFAULT_LIMITS)
    assert (evidence.encrypted, evidence.opened, evidence.token) == (False, True, None)
    assert evidence.text == "pasted text"
    assert "no token in the document metadata" in evidence.notes


def test_watermark_is_faint_outlines_outside_the_copied_text(zh_copy: Path) -> None:
    """The tiled name is drawn as glyph outlines: visible, faint, and not text at all."""
    page = open_copy(zh_copy)[0]
    assert "张三" not in page.get_text()
    assert "张三" not in page.get_text("rawdict", flags=pymupdf.TEXTFLAGS_RAWDICT).__repr__()
    faint = [d for d in page.get_drawings() if d.get("fill") and d["type"] == "f"
             and all(abs(c - 0.45) < 0.01 for c in d["fill"])
             and abs((d.get("fill_opacity") or 1.0) - 0.13) < 0.01]
    assert len(faint) >= 20, "the name and 份号 are tiled as faint filled outlines"
    middle = pymupdf.Rect(page.rect.width / 3, page.rect.height / 3,
                          2 * page.rect.width / 3, 2 * page.rect.height / 3)
    assert any(d["rect"].intersects(middle) for d in faint), "tiles cover the middle of the page"
    assert not page.get_images(), "no page raster is embedded for the watermark"
    pix = page.get_pixmap(dpi=50, colorspace=pymupdf.csGRAY)
    values = sorted(pix.samples)
    assert values[len(values) // 2] >= 235, "the page stays mostly white: the watermark is faint"


def spans(page: pymupdf.Page) -> dict[str, dict]:
    """Horizontal text spans of a page by their text (the last one wins)."""
    return {
        span["text"]: span
        for block in page.get_text("dict")["blocks"]
        for line in block.get("lines", [])
        if line["dir"] == (1.0, 0.0)
        for span in line["spans"]
    }


def test_marks_sit_at_the_gbt9704_places(zh_copy: Path) -> None:
    page = open_copy(zh_copy)[0]
    found = spans(page)
    body = pymupdf.Rect(found["关于加强涉密文件管理的通知"]["bbox"])
    serial, grade = found["000003"], found["机密★20年"]
    assert serial["size"] == grade["size"] == 16  # 3号
    serial_box, grade_box = pymupdf.Rect(serial["bbox"]), pymupdf.Rect(grade["bbox"])
    assert serial_box.y1 <= grade_box.y0 + 1 and grade_box.y1 <= body.y0
    assert serial_box.x0 == pytest.approx(28 * MM, abs=1.5)  # flush with the text block
    assert grade_box.x0 == pytest.approx(28 * MM, abs=1.5)
    code = found[CODE]
    assert code["bbox"][1] > page.rect.height - 35 * MM and code["size"] < 7.5
    running = pymupdf.Rect(found[f"机密 000003 第1页/共{page.parent.page_count}页"]["bbox"])
    assert running.y1 <= serial_box.y0


def test_marks_never_cover_body_text(tmp_path: Path) -> None:
    top, bottom = "Body starts ten points from the top edge", "Body ends near the bottom edge"
    draft = make_pdf([[(72, 18, top), (72, 400, "middle"), (72, 838, bottom)]] * 2)
    out = tmp_path / "copy.pdf"
    write_pdf_copy(draft, replace(STAMP, marking=US, language="en"), out)
    doc = open_copy(out)
    for number, page in enumerate(doc):
        body = [rect for text in (top, "middle", bottom) for rect in page.search_for(text)]
        assert len(body) == 3
        marks = ["SECRET//NOFORN", f"SECRET 000003 page {number + 1} of 2", CODE]
        if number == 0:
            marks.append("Copy 3 of 10")
        stamps = [rect for text in marks for rect in page.search_for(text)]
        assert len(stamps) >= len(marks) + 1  # the banner is at the top and the bottom
        for stamp in stamps:
            assert all(not stamp.intersects(rect) for rect in body), (stamp, body)
            assert stamp in page.rect


def test_first_page_right_mark_is_top_right_of_page_one(tmp_path: Path) -> None:
    marking = Marking(
        scheme="cn-enterprise", grade="机密", level=3, period="5年", serial="000007",
        first_page_right="某某公司 商密·机密 5年",
    )
    draft = make_pdf([[(72, 120, "first page body")], [(72, 120, "second page body")]])
    out = tmp_path / "copy.pdf"
    write_pdf_copy(draft, replace(STAMP, marking=marking), out)
    doc = open_copy(out)
    mark = doc[0].search_for("某某公司 商密·机密 5年")[0]
    body = doc[0].search_for("first page body")[0]
    assert mark.x0 > doc[0].rect.width / 2 and mark.y1 <= body.y0
    assert doc.metadata["subject"] == "某某公司 商密·机密 5年 份号000007"
    assert "某某公司" not in doc[1].get_text()


def test_roomy_draft_is_not_shrunk(zh_draft: bytes, zh_copy: Path) -> None:
    before = pymupdf.open(stream=zh_draft)[0].search_for("各处室")[0]
    after = open_copy(zh_copy)[0].search_for("各处室")[0]
    assert tuple(after) == pytest.approx(tuple(before), abs=0.01)


def test_rotated_page_is_straightened_and_marked(tmp_path: Path) -> None:
    doc = pymupdf.open(stream=make_pdf([[(72, 100, "rotated body")]]))
    doc[0].set_rotation(90)
    out = tmp_path / "copy.pdf"
    write_pdf_copy(doc.tobytes(), STAMP, out)
    page = open_copy(out)[0]
    assert page.rotation == 0 and page.rect.width > page.rect.height
    assert "rotated body" in page.get_text() and CODE in page.get_text()


def test_copy_renders_cjk_marks(zh_copy: Path) -> None:
    image = render_pages(zh_copy, USER, 50)[0]
    doc = open_copy(zh_copy)
    grade = doc[0].search_for("机密★20年")[0] * (50 / 72)
    darkest, _ = image.convert("L").crop(tuple(int(v) for v in grade)).getextrema()
    assert darkest < 80  # dark glyphs, not a blank
    assert any("Droid" in font[3] and font[1] != "n/a" for font in doc[0].get_fonts(full=True))


# --- failures leave nothing behind --------------------------------------------------------------


def encrypted_pdf() -> bytes:
    doc = pymupdf.open(stream=make_pdf([[(72, 100, "x")]]))
    return doc.tobytes(encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="a", owner_pw="b")


@pytest.mark.parametrize(
    ("make", "phrase"),
    [(lambda: b"not a pdf at all", "not a PDF"), (encrypted_pdf, "password-protected")],
)
def test_bad_source_raises_and_writes_nothing(
    tmp_path: Path, make: Callable[[], bytes], phrase: str
) -> None:
    source = make()
    with pytest.raises(InputError) as error:
        write_pdf_copy(source, STAMP, tmp_path / "copy.pdf")
    assert phrase in str(error.value) and "\n" not in str(error.value)
    assert list(tmp_path.iterdir()) == []


def test_unprintable_watermark_name_raises(tmp_path: Path, zh_draft: bytes) -> None:
    with pytest.raises(InputError) as error:
        write_pdf_copy(zh_draft, replace(STAMP, watermark_text="𠀀三 000003"), tmp_path / "c.pdf")
    assert_one_line(error, "c.pdf", "'𠀀'", "recipient name")
    assert list(tmp_path.iterdir()) == []


def test_missing_folder_or_password_raises(tmp_path: Path, zh_draft: bytes) -> None:
    with pytest.raises(InputError, match="could not be written"):
        write_pdf_copy(zh_draft, STAMP, tmp_path / "absent" / "copy.pdf")
    with pytest.raises(InputError, match="password"):
        write_pdf_copy(zh_draft, replace(STAMP, user_password=""), tmp_path / "copy.pdf")
    assert list(tmp_path.iterdir()) == []


def test_render_pages_sizes_and_password(zh_copy: Path) -> None:
    images = render_pages(zh_copy.read_bytes(), OWNER, 36)
    assert len(images) == open_copy(zh_copy).page_count
    assert images[0].size == (round(210 * MM / 2), round(297 * MM / 2))
    with pytest.raises(InputError, match="password"):
        render_pages(zh_copy, "wrong", 36)
    with pytest.raises(LimitExceeded):
        render_pages(zh_copy, USER, 600, limits=Limits(max_image_pixels=1000))
