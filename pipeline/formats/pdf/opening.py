"""Open untrusted PDF files with PyMuPDF and read the text of PDF drafts, page by page.

Every PDF handled here is untrusted: the readers check :class:`~pipeline.limits.Limits`
before and while they parse, and turn every PyMuPDF failure into a one-line
:class:`~pipeline.errors.InputError` that names the file, what was found, what was
expected and what to do.

What this module does not protect against: a PDF crafted to make MuPDF itself crash or
spin inside one C call (a bad image codec, a huge content stream). Run untrusted files
in a separate process with a time limit if that matters.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pymupdf

from mijian.pipeline.errors import InputError, LimitExceeded
from mijian.pipeline.limits import Limits


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
