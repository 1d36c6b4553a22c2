"""Read PDF drafts and leaked PDF copies with PyMuPDF, and lay out plain text as a PDF draft.

Every PDF handled here is untrusted: the readers check :class:`~pipeline.limits.Limits`
before and while they parse, and turn every PyMuPDF failure into a one-line
:class:`~pipeline.errors.InputError` that names the file, what was found, what was
expected and what to do.

What this module does not protect against: a PDF crafted to make MuPDF itself crash or
spin inside one C call (a bad image codec, a huge content stream). Run untrusted files
in a separate process with a time limit if that matters.
"""

from __future__ import annotations

import re
import stringprep
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pymupdf
from PIL import Image

from mijian.pipeline.errors import InputError, LimitExceeded
from mijian.pipeline.limits import DEFAULT_LIMITS, Limits
from mijian.pipeline.model import Evidence, Language

INFO_TOKEN_KEY = "MijianToken"
"""Custom key of the document Info dictionary that holds a copy's signed token."""
XMP_NAMESPACE = "https://mijian.invalid/ns/1.0/"
"""XMP namespace of mijian properties (prefix ``mijian``; the token is ``mijian:token``)."""

MM = 72 / 25.4
"""One millimetre in PDF points."""
A4 = (210 * MM, 297 * MM)
GBT9704_MARGINS = (28 * MM, 37 * MM, 26 * MM, 35 * MM)
"""Left, top, right, bottom margins of the GB/T 9704 text block, in points."""

PYMUPDF_ERRORS: tuple[type[BaseException], ...] = (
    RuntimeError,  # includes pymupdf.FileDataError, EmptyFileError and RecursionError
    ValueError,
    IndexError,
    KeyError,
    TypeError,
    MemoryError,
    AssertionError,  # PyMuPDF asserts on some inconsistent documents
    pymupdf.mupdf.FzErrorBase,
)
"""What PyMuPDF raises on broken input; callers convert these to :class:`InputError`."""

_MAX_XMP_BYTES = 1024 * 1024
_CLOSING = set("，。、；：？！）》」』】〕〉’”…—·,.;:!?)]}%")
_OPENING = set("（《「『【〔〈‘“([{")


def one_line(text: object, limit: int = 120) -> str:
    """Squeeze a message (for example a MuPDF error) onto one short line."""
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


@contextmanager
def quiet_mupdf() -> Iterator[None]:
    """Keep MuPDF from printing errors and warnings to stderr while the block runs."""
    errors = pymupdf.TOOLS.mupdf_display_errors()
    warnings = pymupdf.TOOLS.mupdf_display_warnings()
    pymupdf.TOOLS.mupdf_display_errors(False)
    pymupdf.TOOLS.mupdf_display_warnings(False)
    try:
        yield
    finally:
        pymupdf.TOOLS.mupdf_display_errors(errors)
        pymupdf.TOOLS.mupdf_display_warnings(warnings)
        pymupdf.TOOLS.reset_mupdf_warnings()


# --- opening ---------------------------------------------------------------------------


def _sniff(data: bytes) -> str:
    """Name what some bytes that are not a PDF look like, for an error message."""
    head = data[:8]
    if head.startswith(b"PK\x03\x04"):
        return "a ZIP archive such as a DOCX"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "an old Office (OLE) file such as a DOC"
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*", b"GIF8")):
        return "an image"
    if head.startswith(b"{\\rtf"):
        return "an RTF file"
    return "unrecognised data"


def open_pdf(data: bytes, source: str, limits: Limits) -> pymupdf.Document:
    """Open untrusted PDF bytes, or raise a one-line :class:`InputError`.

    Checks the size limit first and refuses anything MuPDF does not open as a PDF
    (MuPDF sniffs content, so a DOCX named ``.pdf`` would otherwise open as a DOCX).
    The document may still need a password: check ``needs_pass``. Call inside
    :func:`quiet_mupdf`; the caller closes the document.
    """
    if len(data) > limits.max_file_bytes:
        raise LimitExceeded(
            f"{source}: the file is {len(data)} bytes (文件过大); expected at most "
            f"{limits.max_file_bytes} bytes; split the draft or raise MIJIAN_MAX_FILE_BYTES"
        )
    if not data:
        raise InputError(
            f"{source}: the file is empty (空文件); expected a PDF; export the PDF again"
        )
    try:
        doc = pymupdf.open(stream=data, filetype="pdf")
    except PYMUPDF_ERRORS as exc:
        if b"%PDF" not in data[:1024]:
            raise InputError(
                f"{source}: the file is not a PDF, it looks like {_sniff(data)} (不是PDF文件); "
                "expected a PDF; check the file or give it its proper extension"
            ) from None
        raise InputError(
            f"{source}: the PDF is damaged and cannot be opened "
            f"(文件已损坏: {one_line(exc, 60)}); expected a readable PDF; "
            "export it again from its source application"
        ) from None
    if not doc.is_pdf:
        doc.close()
        raise InputError(
            f"{source}: the file is not a PDF, it looks like {_sniff(data)} (不是PDF文件); "
            "expected a PDF; check the file or give it its proper extension"
        )
    return doc


def page_count(doc: pymupdf.Document, source: str, limits: Limits) -> int:
    """Count the pages of an opened PDF without touching them, against ``limits.max_pages``.

    Raises :class:`InputError` when the page tree is unreadable or empty.
    """
    try:
        count = doc.page_count
    except PYMUPDF_ERRORS as exc:
        raise InputError(
            f"{source}: the PDF's page list cannot be read "
            f"(页面结构损坏: {one_line(exc, 60)}); expected a readable PDF; "
            "export it again from its source application"
        ) from None
    if count > limits.max_pages:
        raise LimitExceeded(
            f"{source}: the PDF has {count} pages (页数过多); expected at most "
            f"{limits.max_pages}; split the document or raise MIJIAN_MAX_PAGES"
        )
    if count <= 0:
        if doc.is_repaired:
            raise InputError(
                f"{source}: the PDF is damaged or truncated and no page could be recovered "
                "(文件损坏或不完整); expected a complete PDF; copy or export the file again"
            )
        raise InputError(
            f"{source}: the PDF has no pages (没有页面); expected at least one page; "
            "export the draft again"
        )
    return count


def page_texts(
    doc: pymupdf.Document, source: str, limits: Limits, *, clip: bool = True
) -> tuple[str, ...]:
    """Extract the text of every page in content order, checking ``limits.max_chars``.

    ``clip=False`` also keeps text placed outside the visible page (for evidence).
    """
    flags = pymupdf.TEXTFLAGS_TEXT if clip else pymupdf.TEXTFLAGS_TEXT & ~pymupdf.TEXT_MEDIABOX_CLIP
    count = page_count(doc, source, limits)
    texts: list[str] = []
    total = 0
    for number in range(count):
        try:
            text = doc.load_page(number).get_text("text", flags=flags)
        except PYMUPDF_ERRORS as exc:
            raise InputError(
                f"{source}: page {number + 1} cannot be read (第{number + 1}页已损坏: "
                f"{one_line(exc, 60)}); expected a readable PDF; export it again"
            ) from None
        total += len(text)
        if total > limits.max_chars:
            raise LimitExceeded(
                f"{source}: the PDF holds more than {limits.max_chars} characters of text "
                "(文字过多); expected a shorter draft; split it or raise MIJIAN_MAX_CHARS"
            )
        texts.append(text.rstrip())
    return tuple(texts)


def has_text(text: str) -> bool:
    """Tell whether extracted text holds any real character (not space, not U+FFFD)."""
    return any(not ch.isspace() and ch != "\ufffd" for ch in text)


def has_eof_marker(data: bytes) -> bool:
    """Whether ``%%EOF`` is in the last 1024 bytes, where conforming readers look for it.

    A PDF cut short (an interrupted download or copy) loses it; MuPDF then repairs the file
    and reads what is left, which for a draft means silently missing pages or text.
    """
    return b"%%EOF" in data[-1024:]


def read_pdf_pages(data: bytes, source: str, limits: Limits) -> tuple[str, ...]:
    """Return the text of each page of an untrusted, unencrypted PDF draft.

    Raises :class:`InputError` (or :class:`LimitExceeded`) with one line naming ``source``
    when the file is not a PDF, is damaged, truncated (repaired and without ``%%EOF`` at its
    end), needs a password, has no pages, holds no extractable text (a scan), or goes past a
    limit.
    """
    with quiet_mupdf():
        doc = open_pdf(data, source, limits)
        try:
            if doc.needs_pass:
                raise InputError(
                    f"{source}: the PDF is password-protected (文件已加密); expected an "
                    "unencrypted draft; save it without a password and try again"
                )
            pages = page_texts(doc, source, limits)
            repaired = doc.is_repaired
        finally:
            doc.close()
    if repaired and not has_eof_marker(data):
        raise InputError(
            f"{source}: the PDF is truncated, its end-of-file marker is missing "
            "(文件不完整); expected a complete PDF, or pages and text may be missing; "
            "copy or export the file again"
        )
    if any(has_text(page) for page in pages):
        return pages
    if repaired:
        raise InputError(
            f"{source}: the PDF is damaged and no text could be recovered (文件已损坏); "
            "expected a readable PDF with text; export it again from its source application"
        )
    raise InputError(
        f"{source}: the PDF has no extractable text, it looks like a scan "
        "(无可提取文字，疑为扫描件); expected a PDF with a text layer; "
        "run OCR on it first or supply the DOCX or TXT draft"
    )


# --- fonts and lines ---------------------------------------------------------------------


class MissingGlyphs(ValueError):
    """Some characters are in none of the fonts offered; ``chars`` lists them (at most 8)."""

    def __init__(self, chars: str) -> None:
        super().__init__(f"characters {chars!r} are in no available font")
        self.chars = chars


def load_fonts(language: Language = "zh") -> tuple[pymupdf.Font, ...]:
    """Return PyMuPDF built-in fonts in order of preference for ``language``.

    The CJK font (Droid Sans Fallback, a 黑体-like face) covers Chinese and most Latin;
    Times covers the Latin-1 characters it lacks. Both get embedded, then subset.
    """
    cjk, roman = pymupdf.Font("cjk"), pymupdf.Font("tiro")
    return (roman, cjk) if language == "en" else (cjk, roman)


def font_runs(
    text: str, fonts: Sequence[pymupdf.Font]
) -> list[tuple[pymupdf.Font, str]]:
    """Split ``text`` into runs, each set in the first font of ``fonts`` that has its glyphs.

    Spaces stay with the run they are in. Raises :class:`MissingGlyphs` naming the
    characters no font can show.
    """
    runs: list[tuple[pymupdf.Font, str]] = []
    missing: list[str] = []
    for ch in text:
        font = next((f for f in fonts if f.has_glyph(ord(ch))), None)
        if font is None:
            if ch.isspace():
                ch, font = " ", (runs[-1][0] if runs else fonts[0])
            else:
                missing.append(ch)
                continue
        if ch == " " and runs:
            font = runs[-1][0]
        if runs and runs[-1][0] is font:
            runs[-1] = (font, runs[-1][1] + ch)
        else:
            runs.append((font, ch))
    if missing:
        raise MissingGlyphs("".join(dict.fromkeys(missing))[:8])
    return runs


def text_width(text: str, fonts: Sequence[pymupdf.Font], fontsize: float) -> float:
    """Width in points of ``text`` set as :func:`font_runs` would set it."""
    return sum(font.text_length(run, fontsize=fontsize) for font, run in font_runs(text, fonts))


def append_line(
    writer: pymupdf.TextWriter,
    origin: tuple[float, float],
    text: str,
    fonts: Sequence[pymupdf.Font],
    fontsize: float,
) -> float:
    """Append one line of text at the baseline point ``origin``; return its right end x."""
    x, y = origin
    for font, run in font_runs(text, fonts):
        _, last = writer.append((x, y), run, font=font, fontsize=fontsize)
        x = last.x
    return x


# --- plain text to PDF ---------------------------------------------------------------------


def _is_wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


def _may_break(before: str, after: str) -> bool:
    """Tell whether a line may break between two characters (spaces, CJK, kinsoku)."""
    if after in _CLOSING or before in _OPENING:
        return False
    return before.isspace() or _is_wide(before) or _is_wide(after)


def _wrap(line: str, width: float, advance: Callable[[str], float]) -> list[str]:
    """Break one paragraph into lines no wider than ``width`` (spaces may overhang)."""
    lines: list[str] = []
    start, used, last_break = 0, 0.0, -1
    for i, ch in enumerate(line):
        if i > start and _may_break(line[i - 1], ch):
            last_break = i
        used += advance(ch)
        if used <= width or i == start or ch.isspace():
            continue
        cut = last_break if last_break > start else i
        lines.append(line[start:cut].rstrip(" "))
        while cut < i and line[cut] == " ":
            cut += 1
        start = cut
        used = sum(advance(c) for c in line[start : i + 1])
        last_break = max(
            (j for j in range(start + 1, i + 1) if _may_break(line[j - 1], line[j])), default=-1
        )
    lines.append(line[start:].rstrip(" "))
    return lines


def _clean(text: str) -> list[list[str]]:
    """Split text into pages (form feeds) of paragraphs, dropping control characters."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").expandtabs(4)
    text = "".join(ch for ch in text if ch in "\n\f" or unicodedata.category(ch) != "Cc")
    return [chunk.split("\n") for chunk in text.split("\f")]


@dataclass(frozen=True)
class _Style:
    """Type size, line pitch, first-line indent and baseline range of a text page."""

    size: float
    leading: float
    indent: float
    first_baseline: float
    last_baseline: float


def _lay_out(
    text: str, style: _Style, advance: Callable[[str], float]
) -> list[list[tuple[float, float, str]]]:
    """Place the lines of ``text`` on pages: a list of (x, baseline y, line) per page."""
    left, _, right, _ = GBT9704_MARGINS
    box = A4[0] - left - right
    pages: list[list[tuple[float, float, str]]] = []
    for chunk in _clean(text):
        pages.append([])
        y = style.first_baseline
        for paragraph in chunk:
            pad = style.indent if paragraph[:1] not in ("", " ", "\u3000") else 0.0
            for number, line in enumerate(_wrap(paragraph, box - pad, advance)):
                if y > style.last_baseline:
                    pages.append([])
                    y = style.first_baseline
                if line:
                    pages[-1].append((left + (0.0 if number else pad), y, line))
                y += style.leading
    return pages


def text_to_pdf(text: str, title: str, language: Language) -> bytes:
    """Lay out a plain-text draft on A4 pages with GB/T 9704-like margins; return PDF bytes.

    Each line of ``text`` is a paragraph (Chinese paragraphs get the customary two-character
    indent unless they already start with spaces); blank lines are kept as space; a form
    feed starts a new page. Fonts are embedded and subset, so the text re-extracts with
    :func:`read_pdf_pages` as the same characters in the same order. ``title`` goes into the
    document properties only. Raises :class:`InputError` for an empty text or characters no
    built-in font can show.
    """
    name = title or "the draft"
    if not has_text(text):
        raise InputError(
            f"{name}: the text is empty (没有文字); expected a draft with some text; "
            "check the file"
        )
    fonts = load_fonts(language)
    size = 14.0 if language == "zh" else 12.0
    _, top, _, bottom = GBT9704_MARGINS
    style = _Style(
        size=size,
        leading=size * (1.75 if language == "zh" else 1.45),
        indent=2 * size if language == "zh" else 0.0,
        first_baseline=top + size * fonts[0].ascender,
        last_baseline=A4[1] - bottom + size * fonts[0].descender,
    )
    widths: dict[str, float] = {}

    def advance(ch: str) -> float:
        if ch not in widths:
            widths[ch] = text_width(ch, fonts, size)
        return widths[ch]

    doc = pymupdf.open()
    try:
        for lines in _lay_out(text, style, advance):
            page = doc.new_page(width=A4[0], height=A4[1])
            writer = pymupdf.TextWriter(page.rect)
            for x, y, line in lines:
                append_line(writer, (x, y), line, fonts, size)
            writer.write_text(page)
        doc.subset_fonts()
        doc.set_metadata({"title": title, "creator": "mijian", "producer": "mijian"})
        doc.set_language("zh-CN" if language == "zh" else "en")
        return doc.tobytes(garbage=3, deflate=True)
    except MissingGlyphs as exc:
        raise InputError(
            f"{name}: the text holds characters no built-in font can show: {exc.chars!r} "
            "(无法排版的字符); expected printable text; replace those characters and try again"
        ) from None
    finally:
        doc.close()


# --- evidence from a leaked PDF ---------------------------------------------------------------


def _password_variants(password: str) -> list[str]:
    """The password as given, then SASLprep-normalised as PDF 2.0 asks for AES-256 files."""
    mapped = "".join(
        " " if stringprep.in_table_c12(ch) else ch
        for ch in password
        if not stringprep.in_table_b1(ch)
    )
    return list(dict.fromkeys([password, unicodedata.normalize("NFKC", mapped)]))


def _unlock(doc: pymupdf.Document, passwords: Sequence[str]) -> tuple[bool, str]:
    """Try each password; return whether one worked and a note that names none of them."""
    roles = {
        1: "no password needed",
        2: "the user password",
        4: "the owner password",
        6: "the user and owner password",
    }
    for number, password in enumerate(passwords, start=1):
        for variant in _password_variants(password):
            result = doc.authenticate(variant)
            if result:
                role = roles.get(result, "a password")
                return True, f"supplied password {number} of {len(passwords)} opened it as {role}"
    return False, f"none of the {len(passwords)} supplied passwords opened it"


def _info_token(doc: pymupdf.Document) -> str | None:
    """The token under the custom Info key, or None (also when Info is missing or broken)."""
    try:
        kind, value = doc.xref_get_key(-1, "Info")
        if kind != "xref":
            return None
        number = int(value.split()[0])
        if not 0 < number < doc.xref_length():
            return None  # a damaged trailer can point past the object table
        kind, value = doc.xref_get_key(number, INFO_TOKEN_KEY)
    except PYMUPDF_ERRORS:
        return None
    return value if kind == "string" and value else None


def _xmp_token(doc: pymupdf.Document) -> str | None:
    """The ``mijian:token`` XMP property (element or attribute form), or None."""
    try:
        xmp = doc.get_xml_metadata()
    except PYMUPDF_ERRORS:
        return None
    if not xmp or len(xmp) > _MAX_XMP_BYTES or XMP_NAMESPACE not in xmp or "<!" in xmp:
        return None  # absent, oversized, or with a DTD (entities have no place in XMP)
    tag = f"{{{XMP_NAMESPACE}}}token"
    try:
        root = ET.fromstring(re.sub(r"^\s*<\?xpacket[^>]*\?>", "", xmp))
    except ET.ParseError:
        return None
    for element in root.iter():
        value = element.get(tag) or (element.text if element.tag == tag else None)
        if value and value.strip():
            return value.strip()
    return None


def _tokens(doc: pymupdf.Document) -> tuple[str | None, list[str]]:
    """Read the token from Info and XMP; say where it was found and whether they agree."""
    info, xmp = _info_token(doc), _xmp_token(doc)
    if info and xmp and info != xmp:
        return info, ["the Info and XMP tokens differ; the Info token is reported"]
    if info or xmp:
        where = " and ".join(w for w, t in (("Info", info), ("XMP", xmp)) if t)
        return info or xmp, [f"token found in the {where} metadata"]
    return None, ["no token in the document metadata"]


def read_pdf_evidence(path: Path, passwords: Sequence[str], limits: Limits) -> Evidence:
    """Gather what a leaked PDF gives up: encryption, the metadata token and all page text.

    An encrypted file is tried with each of ``passwords`` (user or owner); if none opens
    it, the result has ``opened=False`` and no text. Text includes headers, footers, the
    tiled watermark and small print, also outside the visible page. ``notes`` say what
    was tried and found, never a password. Raises :class:`InputError` if the file is not a
    readable PDF or goes past a limit.
    """
    source = path.name
    try:
        size = path.stat().st_size
        if size > limits.max_file_bytes:
            raise LimitExceeded(
                f"{source}: the file is {size} bytes (文件过大); expected at most "
                f"{limits.max_file_bytes} bytes; raise MIJIAN_MAX_FILE_BYTES to read it"
            )
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(
            f"{source}: the file cannot be read ({one_line(exc.strerror or exc, 60)}); "
            "expected a readable file; check the path and permissions"
        ) from None
    notes: list[str] = []
    with quiet_mupdf():
        doc = open_pdf(data, source, limits)
        try:
            if doc.is_repaired:
                notes.append("the file is damaged; MuPDF repaired it to read it")
            encrypted = bool(doc.needs_pass)
            if encrypted:
                opened, note = _unlock(doc, passwords)
                notes.append(note)
                if not opened:
                    return Evidence(
                        kind="pdf", encrypted=True, opened=False, token=None, text="",
                        notes=tuple(notes),
                    )
            method = (doc.metadata or {}).get("encryption")
            if method:
                encrypted = True
                notes.insert(0, f"encrypted: {method}")
            token, found = _tokens(doc)
            notes.extend(found)
            pages = page_texts(doc, source, limits, clip=False)
        except PYMUPDF_ERRORS as exc:
            raise InputError(
                f"{source}: the PDF is damaged and cannot be read (文件已损坏: "
                f"{one_line(exc, 60)}); expected a readable PDF; obtain another copy"
            ) from None
        finally:
            doc.close()
    if not any(has_text(page) for page in pages):
        notes.append("no extractable text; render the pages to look for image marks")
    return Evidence(
        kind="pdf", encrypted=encrypted, opened=True, token=token, text="\n\n".join(pages),
        notes=tuple(notes),
    )


def render_pages(
    path_or_bytes: Path | bytes,
    password: str | None,
    dpi: int,
    *,
    limits: Limits = DEFAULT_LIMITS,
) -> list[Image.Image]:
    """Render every page of a PDF to an RGB image at ``dpi``.

    ``password`` opens an encrypted file (user or owner). Raises :class:`InputError` when the
    file cannot be opened or a page would exceed ``limits.max_image_pixels``.
    """
    if isinstance(path_or_bytes, Path):
        source = path_or_bytes.name
        try:
            data = path_or_bytes.read_bytes()
        except OSError as exc:
            raise InputError(
                f"{source}: the file cannot be read ({one_line(exc.strerror or exc, 60)}); "
                "expected a readable file; check the path and permissions"
            ) from None
    else:
        source, data = "the PDF", bytes(path_or_bytes)
    images: list[Image.Image] = []
    with quiet_mupdf():
        doc = open_pdf(data, source, limits)
        try:
            if doc.needs_pass and not (password is not None and _unlock(doc, [password])[0]):
                raise InputError(
                    f"{source}: the PDF is encrypted and the password does not open it "
                    "(密码错误); expected the user or owner password; check the password"
                )
            for number in range(page_count(doc, source, limits)):
                page = doc.load_page(number)
                pixels = page.rect.width * page.rect.height * (dpi / 72) ** 2
                if pixels > limits.max_image_pixels:
                    raise LimitExceeded(
                        f"{source}: page {number + 1} would render to {int(pixels)} pixels "
                        f"(图像过大); expected at most {limits.max_image_pixels}; "
                        "use a lower dpi"
                    )
                pix = page.get_pixmap(dpi=dpi, alpha=False, colorspace=pymupdf.csRGB)
                images.append(Image.frombytes("RGB", (pix.width, pix.height), pix.samples))
        except PYMUPDF_ERRORS as exc:
            raise InputError(
                f"{source}: a page cannot be rendered ({one_line(exc, 60)}); "
                "expected a readable PDF; export it again"
            ) from None
        finally:
            doc.close()
    return images
