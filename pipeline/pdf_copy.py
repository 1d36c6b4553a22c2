"""Write one issued copy of a PDF draft: marked, watermarked, tokened and AES-256 encrypted.

The marks (份号 and grade lines, banners, copy line, running header, the visible code) go
in bands at the top and bottom of each page; a page whose content reaches into those
bands is placed scaled down on a fresh page of the same size, so no mark covers the body.
All stamped text is real text in an embedded, subset font, drawn from a separate overlay
document so the draft's own fonts are left alone.

What this does not protect against: anyone holding the user password can print, copy
text or re-render the pages; the marks and metadata can be removed by editing the
decrypted file. They deter and trace; they do not prevent.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

import pymupdf
from pymupdf import mupdf

from mijian.pipeline.errors import InputError
from mijian.pipeline.limits import DEFAULT_LIMITS, Limits
from mijian.pipeline.model import CopyStamp, Marking
from mijian.pipeline import pdf_textcode
from mijian.pipeline.pdf_content import ShowOp
from mijian.pipeline.pdf_forms import qr_form, watermark_form
from mijian.pipeline.pdf_overlay import Grafter, add_content, plain_geometry, put_xobject, subset_fonts, wrap
from mijian.pipeline.screenprint_layer import draw_pdf as draw_screenprint
from mijian.pipeline.pdf_io import (
    GBT9704_MARGINS,
    INFO_TOKEN_KEY,
    PYMUPDF_ERRORS,
    MissingGlyphs,
    XMP_NAMESPACE,
    append_line,
    load_fonts,
    one_line,
    open_pdf,
    page_count,
    quiet_mupdf,
    text_width,
)

EDGE = 18.0
"""Distance of the outermost mark from the page edge, in points."""
GAP = 6.0
"""Free space kept between the marks and the page content."""
PERMISSIONS = (
    pymupdf.PDF_PERM_PRINT
    | pymupdf.PDF_PERM_PRINT_HQ
    | pymupdf.PDF_PERM_COPY
    | pymupdf.PDF_PERM_ACCESSIBILITY
)
"""What the user password allows: print and copy text (pasted text carries the marks)."""

_BLACK = (0.0, 0.0, 0.0)
_RED = (0.8, 0.0, 0.0)
_GREY = (0.35, 0.35, 0.35)
QR_SIZE = 46.0
"""Side of the QR symbol carrying the visible code, in points (about 16 mm)."""


@dataclass(frozen=True)
class _Row:
    """One line of stamped text in the top or bottom band.

    ``align`` says which anchor it meets: the body's left or right edge or the page centre.
    ``right`` is a second text on the same line, flush with the body's right edge.
    ``sticky`` rows move down to sit just above the body (the GB/T 9704 first-page lines).
    """

    text: str
    size: float
    align: str  # "left", "right" or "centre"
    bold: bool = False
    color: tuple[float, float, float] = _BLACK
    latin: bool = False
    right: str = ""
    sticky: bool = False


@dataclass(frozen=True)
class _Mark:
    """A row given its place: the baseline and the x of its anchor."""

    row: _Row
    text: str
    align: str
    x: float
    baseline: float


def _pitch(size: float) -> float:
    """Height of one band line of type ``size`` (ascender, descender and a little air)."""
    return size * 1.4


def _top_rows(marking: Marking, number: int, pages: int) -> list[_Row]:
    """The top band of page ``number`` (0-based), outermost first."""
    first = number == 0
    rows: list[_Row] = []
    if marking.banner:
        rows.append(_Row(marking.banner, 12.0, "centre", bold=True, color=_RED))
    if first and marking.copy_line:
        rows.append(_Row(marking.copy_line, 10.0, "centre"))
    if marking.running:
        text = marking.running.replace("{page}", str(number + 1)).replace("{pages}", str(pages))
        rows.append(_Row(text, 9.0, "right", color=_GREY))
    lines = marking.first_page_lines if first else ()
    right = marking.first_page_right if first else ""
    for index, line in enumerate(lines):
        rows.append(
            _Row(line, 16.0, "left", bold=index > 0, right="" if index else right, sticky=True)
        )
    if right and not lines:
        rows.append(_Row(right, 14.0, "right", bold=True, sticky=True))
    return rows


def _bottom_rows(marking: Marking, code: str) -> list[_Row]:
    """The bottom band of every page, outermost (lowest) first."""
    rows = [_Row(code, 6.5, "centre", color=_GREY, latin=True)] if code else []
    if marking.banner:
        rows.append(_Row(marking.banner, 12.0, "centre", bold=True, color=_RED))
    return rows


def _band(rows: list[_Row]) -> float:
    """Height the rows need from the page edge, including the gap to the content."""
    return EDGE + sum(_pitch(row.size) for row in rows) + GAP if rows else 0.0


def _content_rect(page: pymupdf.Page) -> pymupdf.Rect | None:
    """Where anything visible is drawn on the page: text, paths, images, shadings.

    A path covering most of the page (a background or a frame at the edge) is ignored.
    """
    area = page.rect
    box = pymupdf.Rect()
    for kind, bbox in page.get_bboxlog():
        rect = pymupdf.Rect(bbox) & area
        if rect.is_empty or "clip" in kind or "layer" in kind:
            continue
        if kind.endswith("path") and rect.width * rect.height > 0.9 * area.width * area.height:
            continue
        box |= rect
    return None if box.is_empty else box


def _placement(
    page: pymupdf.Rect, content: pymupdf.Rect | None, top: float, bottom: float
) -> pymupdf.Rect | None:
    """Rect the original page must be shown in to clear the bands, or None if it fits."""
    if content is None or (content.y0 >= top and content.y1 <= page.height - bottom):
        return None
    room = max(page.height - bottom - top, 1.0)
    scale = min(1.0, room / max(content.height, 1.0))
    low = top - scale * content.y0
    high = page.height - bottom - scale * content.y1
    y0 = min(max((page.height - scale * page.height) / 2, low), high)
    x0 = (page.width - scale * page.width) / 2
    return pymupdf.Rect(x0, y0, x0 + scale * page.width, y0 + scale * page.height)


def _moved(
    content: pymupdf.Rect | None, target: pymupdf.Rect | None, page: pymupdf.Rect
) -> pymupdf.Rect:
    """Content rect after the page is shown in ``target``; the text block if there is none."""
    if content is None:
        left, top, right, bottom = GBT9704_MARGINS
        return pymupdf.Rect(left, top, page.width - right, page.height - bottom)
    if target is None:
        return pymupdf.Rect(content)
    scale = target.width / page.width
    return pymupdf.Rect(
        target.x0 + scale * content.x0,
        target.y0 + scale * content.y0,
        target.x0 + scale * content.x1,
        target.y0 + scale * content.y1,
    )


def _marks(
    top_rows: list[_Row], bottom_rows: list[_Row], page: pymupdf.Rect, body: pymupdf.Rect
) -> list[_Mark]:
    """Give each row its baseline and anchor x on a page whose body is at ``body``."""
    left = max(body.x0, EDGE)
    right = min(body.x1, page.width - EDGE)
    if right - left < page.width / 3:
        left, right = EDGE, page.width - EDGE
    anchors = {"left": left, "right": right, "centre": page.width / 2}
    marks: list[_Mark] = []

    def place(row: _Row, baseline: float) -> None:
        marks.append(_Mark(row, row.text, row.align, anchors[row.align], baseline))
        if row.right:
            marks.append(_Mark(row, row.right, "right", right, baseline))

    y = EDGE
    slack = max(body.y0 - _band(top_rows), 0.0)
    for row in top_rows:
        place(row, y + row.size * 1.05 + (slack if row.sticky else 0.0))
        y += _pitch(row.size)
    y = page.height - EDGE
    for row in bottom_rows:
        place(row, y - row.size * 0.3)
        y -= _pitch(row.size)
    return marks


def _draw_marks(
    page: pymupdf.Page, marks: list[_Mark], fonts: dict[str, tuple[pymupdf.Font, ...]],
    drawn: list[tuple[tuple[pymupdf.Font, ...], str]] | None = None,
) -> None:
    """Write the marks on an overlay page: one writer per colour and weight; each text and
    its faces are added to ``drawn`` (the fonts are subset from that list)."""
    writers: dict[tuple[tuple[float, float, float], bool], pymupdf.TextWriter] = {}
    limit = page.rect.width - 2 * EDGE
    for mark in marks:
        row = mark.row
        face = fonts["latin"] if row.latin else fonts["bold" if row.bold else "text"]
        size = row.size
        width = text_width(mark.text, face, size)
        if width > limit:
            size, width = size * limit / width, limit
        x = {"left": mark.x, "right": mark.x - width, "centre": mark.x - width / 2}[mark.align]
        x = min(max(x, EDGE), page.rect.width - EDGE - width)
        writer = writers.setdefault((row.color, row.bold), pymupdf.TextWriter(page.rect))
        append_line(writer, (x, mark.baseline), mark.text, face, size)
        if drawn is not None:
            drawn.append((face, mark.text))
    for (color, bold), writer in writers.items():
        writer.write_text(page, color=color, render_mode=2 if bold else 0)


def _line_ends(page: pymupdf.Page) -> list[tuple[pymupdf.Point, float]]:
    """Where each body text line of the draft ends: its end point on the baseline and its size."""
    ends = []
    for block in page.get_text("dict", flags=0)["blocks"]:
        for line in block.get("lines", []):
            spans = [s for s in line["spans"] if s["text"].strip()]
            if not spans or line["dir"] != (1.0, 0.0):
                continue
            last = spans[-1]
            ends.append((pymupdf.Point(last["bbox"][2], last["origin"][1]), last["size"]))
    return ends


@dataclass
class _CodeRun:
    """The invisible text code as PDF operators, made once per copy by a TextWriter for one
    line end and then repeated at every other line end under a translation."""

    body: bytes
    origin: tuple[float, float]
    fonts: str


def _code_points(page: pymupdf.Page, ends: list[tuple[pymupdf.Point, float]],
                 target: pymupdf.Rect | None) -> list[pymupdf.Point]:
    """Where the code runs go: the body's line ends (at most :data:`MAX_CODE_LINES`, spread
    evenly), moved with the content when the page is shrunk into ``target``."""
    if len(ends) > MAX_CODE_LINES:  # dense pages (tables, forms): spread the runs evenly
        step = len(ends) / MAX_CODE_LINES
        ends = [ends[int(i * step)] for i in range(MAX_CODE_LINES)]
    scale = 1.0 if target is None else target.width / page.rect.width
    if target is None:
        return [point for point, _size in ends]
    return [pymupdf.Point(target.x0 + scale * p.x, target.y0 + scale * p.y) for p, _size in ends]


def _draw_text_code(page: pymupdf.Page, ends: list[tuple[pymupdf.Point, float]],
                    target: pymupdf.Rect | None, code: str, font: pymupdf.Font,
                    made: list[_CodeRun]) -> None:
    """Write the invisible text-layer code (render mode 3) at the end of every body line, in
    a stream of its own: only for pages whose own text the code could not be drawn into
    (see :mod:`pipeline.pdf_textcode`).

    The characters are zero-width format characters in an embedded CID font with a Unicode
    map, so text copied out of the page carries them; nothing is drawn. ``page`` must be a
    new, empty page of the overlay; ``made`` carries the run between pages of one copy.
    """
    if not code or not ends:
        return
    doc = page.parent
    points = _code_points(page, ends, target)
    height = page.rect.height
    if not made:
        writer = pymupdf.TextWriter(page.rect)
        spaced = "\u2009".join(code)  # thin spaces keep the zero-width symbols apart for extractors
        writer.append(points[0], spaced, font=font, fontsize=CODE_SIZE)
        writer.write_text(page, render_mode=3)
        [xref] = page.get_contents()
        kind, fonts = doc.xref_get_key(page.xref, "Resources/Font")
        made.append(_CodeRun(doc.xref_stream(xref), (points[0].x, height - points[0].y),
                             fonts if kind == "dict" else ""))
        points = points[1:]
    elif made[0].fonts:
        _set_resource(page, "Font", made[0].fonts)
    run = made[0]
    if points:
        _append_content(page, b"\n".join(
            b"q 1 0 0 1 %.3f %.3f cm\n%s\nQ" % (point.x - run.origin[0],
                                                 height - point.y - run.origin[1], run.body)
            for point in points))


def _qr_rect(page: pymupdf.Rect, body: pymupdf.Rect, bands: float) -> pymupdf.Rect | None:
    """A free square for the QR symbol in the bottom-right margin, or None if none is free."""
    rect = pymupdf.Rect(page.width - EDGE - QR_SIZE, page.height - EDGE - QR_SIZE,
                        page.width - EDGE, page.height - EDGE)
    clear_of_body = rect.y0 >= body.y1 + GAP or rect.x0 >= body.x1 + GAP
    clear_of_marks = rect.y0 >= page.height - bands - QR_SIZE  # the marks sit at the very foot
    return rect if clear_of_body and clear_of_marks else None


def _draw_qr(page: pymupdf.Page, rect: pymupdf.Rect | None, form: int) -> None:
    """Show the copy's QR symbol form (one object for all pages) in ``rect`` of ``page``."""
    if rect is None or not form:
        return
    put_xobject(mupdf.pdf_document_from_fz_document(page.parent), page.number, "MJqr", form)
    _append_content(page, b"q %.3f 0 0 %.3f %.3f %.3f cm /MJqr Do Q" % (
        rect.width, rect.height, rect.x0, page.rect.height - rect.y1))


MAX_CODE_LINES = 80
"""Most line ends of one page that carry the text code."""
CODE_SIZE = 1.0
"""Font size of the invisible text code, in points (its spaces set the symbols apart)."""
def _draw_pattern(sheet: pymupdf.Page, stamp: CopyStamp) -> None:
    """Lay the keyed dot fingerprint over the whole of ``sheet`` (the overlay page shown on
    every page of its size, after the watermark, so it sits over the content and marks).

    The dots are drawn as small black squares, the light ones with a constant fill opacity,
    so that over text they stay black (as the raster overlay of :mod:`watermark.pattern`
    would) and the file carries a few kilobytes of vector operators instead of an image.
    """
    if not stamp.pattern_key or not stamp.pattern_payload:
        return
    from mijian.watermark.pattern import NUMBER_PARAMS, PatternKey, page_dots

    key = PatternKey(stamp.pattern_key, NUMBER_PARAMS)
    width, height = sheet.rect.width, sheet.rect.height
    xs, ys, side, values = page_dots(width, height, stamp.pattern_payload, key)
    groups: list[bytes] = []
    states: list[str] = []
    for number, level in enumerate(sorted(set(values.tolist()))):
        chosen = values == level
        rects = b" re\n".join(b"%.3f %.3f %.3f %.3f" % (x - side / 2, height - y - side / 2, side, side)
                               for x, y in zip(xs[chosen].tolist(), ys[chosen].tolist()))
        state = ""
        if level < 255:
            state = f"/MJdot{number} gs "
            states.append(f"/MJdot{number} <</Type/ExtGState/ca {level / 255:.4f}>>")
        groups.append(b"q " + state.encode() + b"0 g\n" + rects + b" re\nf\nQ")
    if not groups:
        return
    if states:
        _set_resource(sheet, "ExtGState", "<<" + "".join(states) + ">>")
    _append_content(sheet, b"\n".join(groups))


def _set_resource(page: pymupdf.Page, name: str, value: str) -> None:
    """Set the resource dictionary entry ``name`` (e.g. ``Font``) of a new overlay page,
    whose ``/Resources`` may be inline or an object of its own."""
    doc = page.parent
    kind, resources = doc.xref_get_key(page.xref, "Resources")
    if kind == "xref":
        doc.xref_set_key(int(resources.split()[0]), name, value)
    else:
        doc.xref_set_key(page.xref, f"Resources/{name}", value)


def _append_content(page: pymupdf.Page, content: bytes) -> None:
    """Add ``content`` as a new content stream drawn after the page's existing ones."""
    add_content(mupdf.pdf_document_from_fz_document(page.parent), page.number, content)


def _place_watermark(sheet: pymupdf.Page, text: str, fonts: tuple[pymupdf.Font, ...]) -> None:
    """Show the tiled watermark (glyph outlines, see :mod:`pipeline.pdf_forms`) on
    ``sheet``: out of the copied text like the image it replaces, a few kilobytes a copy."""
    form = watermark_form(sheet.parent, sheet.rect, text, fonts)
    if form:
        put_xobject(mupdf.pdf_document_from_fz_document(sheet.parent), sheet.number, "MJwm", form)
        _append_content(sheet, b"q /MJwm Do Q")


def _subject(stamp: CopyStamp) -> str:
    """The standard Subject: the grade marking and the 份号 (never a password)."""
    marking = stamp.marking
    grade = next((line for line in marking.first_page_lines if line != marking.serial), "")
    grade = grade or marking.first_page_right or marking.banner or marking.grade
    label = "份号" if stamp.language == "zh" else "copy "
    return f"{grade} {label}{marking.serial}".strip()


def _xmp(stamp: CopyStamp, subject: str) -> str:
    """An XMP packet holding the token, the 份号 and the marking under the mijian namespace."""
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
        ' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
        f'  <rdf:Description rdf:about="" xmlns:mijian="{XMP_NAMESPACE}">\n'
        f"   <mijian:token>{escape(stamp.token)}</mijian:token>\n"
        f"   <mijian:serial>{escape(stamp.marking.serial)}</mijian:serial>\n"
        f"   <mijian:marking>{escape(subject)}</mijian:marking>\n"
        "  </rdf:Description>\n"
        " </rdf:RDF>\n"
        "</x:xmpmeta>\n"
        '<?xpacket end="w"?>'
    )


def _set_metadata(doc: pymupdf.Document, stamp: CopyStamp) -> None:
    """Set Subject to the marking and store the token in Info and XMP; keep the rest."""
    subject = _subject(stamp)
    doc.set_metadata({"subject": subject})
    kind, value = doc.xref_get_key(-1, "Info")
    if kind != "xref":
        raise ValueError("the document has no Info dictionary after setting metadata")
    doc.xref_set_key(int(value.split()[0]), INFO_TOKEN_KEY, pymupdf.get_pdf_str(stamp.token))
    doc.set_xml_metadata(_xmp(stamp, subject))


def _shrink(
    doc: pymupdf.Document, original: pymupdf.Document, number: int, target: pymupdf.Rect
) -> None:
    """Replace page ``number`` by a page of the same size showing it in ``target``.

    ``original`` is an unmodified copy of ``doc``; links move with the content.
    """
    old = doc[number]
    links, size = old.get_links(), old.rect
    scale = target.width / size.width
    place = pymupdf.Matrix(scale, 0, 0, scale, target.x0, target.y0)
    fresh = doc.new_page(pno=number, width=size.width, height=size.height)
    fresh.show_pdf_page(target, original, number)
    for link in links:
        link["from"] = pymupdf.Rect(link["from"]) * place
        fresh.insert_link(link)
    doc.delete_page(number + 1)


@dataclass(frozen=True)
class _PageFacts:
    """What the marks need to know of one prepared draft page (the same for every copy)."""

    rect: pymupdf.Rect
    content: pymupdf.Rect | None
    line_ends: tuple[tuple[pymupdf.Point, float], ...]
    code_ends: tuple[ShowOp, ...] | None


def _measure(doc_bytes: bytes) -> tuple[_PageFacts, ...]:
    with pymupdf.open(stream=doc_bytes, filetype="pdf") as doc:
        return tuple(_PageFacts(pymupdf.Rect(page.rect), _content_rect(page), tuple(_line_ends(page)),
                                pdf_textcode.measure(page))
                     for page in doc)


def _inline_text_code(doc: pymupdf.Document, stamp: CopyStamp,
                      facts: tuple[_PageFacts, ...]) -> set[int]:
    """Write the text code into the draft's own text, one run after every line (see
    :mod:`pipeline.pdf_textcode`); returns the pages that still need it drawn apart (their
    stream could not be read, or their text lies in form XObjects)."""
    if not stamp.text_code:
        return set()
    xref, run = pdf_textcode.code_font(doc, stamp.text_code)
    return {number for number, page in enumerate(facts)
            if page.line_ends and not pdf_textcode.place(doc, number, run, page.code_ends or (),
                                                         xref, MAX_CODE_LINES)}


_FACES: dict[str, tuple[pymupdf.Font, ...]] = {}
"""The faces of :func:`~pipeline.pdf_io.load_fonts`, loaded once per process: MuPDF keeps
a font's digest in the font object, so a face used again is not hashed again (3.5 MB for
the CJK face), and every use of a face in one copy shares one embedded font."""


def _fonts(language: str) -> dict[str, tuple[pymupdf.Font, ...]]:
    """The faces of the marks: body text, bold (the CJK face first) and the Latin code."""
    if language not in _FACES:
        _FACES[language] = load_fonts(language)
    if "zh" not in _FACES:
        _FACES["zh"] = load_fonts("zh")
    if "helv" not in _FACES:
        _FACES["helv"] = (pymupdf.Font("helv"),)
    zh = _FACES["zh"]
    text = tuple(next((face for face in zh if face.name == font.name), font)
                 for font in _FACES[language])  # the same objects in either order
    return {"text": text, "bold": zh, "latin": (*_FACES["helv"], *text)}


def _overlay(doc: pymupdf.Document, stamp: CopyStamp, facts: tuple[_PageFacts, ...],
             apart: set[int], cache: dict | None = None) -> tuple[pymupdf.Document, list, dict]:
    """Draw every page's marks on a new document of matching pages, then one watermark sheet
    per page size after them (shown on every page of that size, stored once).

    Returns it with, per page, the rect the page content must move into (None: it stays),
    and the sheet number of the watermark for each page size.
    """
    fonts = _fonts(stamp.language)
    pages = doc.page_count
    bottom_rows = _bottom_rows(stamp.marking, stamp.visible_code)
    overlay = pymupdf.open()
    qr = qr_form(overlay, stamp.visible_code)
    targets: list[pymupdf.Rect | None] = []
    code_font = fonts["bold"][0]  # the CJK face: one embedded font for marks and code
    shared: dict[tuple[float, float], int] = {}
    code_run: list[_CodeRun] = []
    drawn: list[tuple[tuple[pymupdf.Font, ...], str]] = [((code_font,), _code_glyphs(stamp))]
    for number in range(pages):
        page = facts[number]
        top_rows = _top_rows(stamp.marking, number, pages)
        content = page.content
        target = _placement(page.rect, content, _band(top_rows), _band(bottom_rows))
        targets.append(target)
        sheet = overlay.new_page(width=page.rect.width, height=page.rect.height)
        shared.setdefault((page.rect.width, page.rect.height), -1)
        if number in apart:
            _draw_text_code(sheet, list(page.line_ends), target, stamp.text_code, code_font,
                            code_run)
        body = _moved(content, target, page.rect)
        _draw_marks(sheet, _marks(top_rows, bottom_rows, page.rect, body), fonts, drawn)
        _draw_qr(sheet, _qr_rect(page.rect, body, _band(bottom_rows)), qr)
    for size in shared:  # one watermark sheet per page size, shown on every page of that size
        sheet = overlay.new_page(width=size[0], height=size[1])
        _place_watermark(sheet, stamp.watermark_text, fonts["text"])
        _draw_pattern(sheet, stamp)
        draw_screenprint(sheet, stamp)
        shared[size] = sheet.number
    subset_fonts(overlay, drawn, cache)
    return overlay, targets, shared


def _code_glyphs(stamp: CopyStamp) -> str:
    """Every character the invisible text code may put on a page in the code font: the
    copy's code, the separators between its symbols, and the whole symbol alphabet."""
    from mijian.watermark import textcode

    return "".join(dict.fromkeys(stamp.text_code + "\u2009 " + "".join(textcode.SYMBOLS)
                                 + textcode.START + textcode.END))


def _prepare(source: bytes, limits: Limits) -> bytes:
    """The draft made ready for marking, the same for every copy: annotations and form fields
    baked into the content (a copy is final, and the marks must not cover them), rotated
    pages turned upright, and every content stream rewritten so that a stream ending in the
    middle of an operator (an unterminated inline image) cannot swallow the marks after it."""
    doc = open_pdf(source, "the draft", limits)
    try:
        if doc.needs_pass:
            raise InputError(
                "the draft: the PDF is password-protected (文件已加密); expected an "
                "unencrypted draft; save it without a password and try again"
            )
        page_count(doc, "the draft", limits)
        doc.bake()
        for page in doc:
            if page.rotation:
                page.remove_rotation()
            page.clean_contents()
        wrap(doc)
        return doc.tobytes(garbage=4)
    finally:
        doc.close()


def _prepared(source: bytes, limits: Limits, cache: dict | None) -> tuple[bytes, tuple[_PageFacts, ...]]:
    """The prepared draft and its page facts, computed once per draft when a cache is given."""
    digest = hashlib.sha256(source).hexdigest()
    if cache is not None and digest in cache:
        return cache[digest]
    prepared = _prepare(source, limits)
    result = (prepared, _measure(prepared))
    if cache is not None:
        cache[digest] = result
    return result


def _stamp(source: bytes, stamp: CopyStamp, limits: Limits, cache: dict | None,
           destination: Path) -> None:
    """Build the encrypted copy and save it to ``destination`` (MuPDF writes the file itself:
    no round trip of the bytes through Python)."""
    prepared, facts = _prepared(source, limits, cache)
    doc = pymupdf.open(stream=prepared, filetype="pdf")
    try:
        apart = _inline_text_code(doc, stamp, facts)
        overlay, targets, shared = _overlay(doc, stamp, facts, apart, cache)
        with ExitStack() as stack:
            stack.callback(overlay.close)
            original = None
            if any(target is not None for target in targets):  # shrunk pages keep their runs
                original = pymupdf.open(stream=doc.tobytes(), filetype="pdf")
                stack.callback(original.close)
            grafter = Grafter(doc, overlay)
            for number, target in enumerate(targets):
                if target is not None and original is not None:
                    _shrink(doc, original, number, target)
                page = doc[number]
                sheet = shared[(facts[number].rect.width, facts[number].rect.height)]
                if plain_geometry(page):
                    grafter.show(page, (number, sheet))
                else:  # an offset or cropped page: PyMuPDF maps the overlay onto it
                    page.show_pdf_page(page.rect, overlay, number)
                    page.show_pdf_page(page.rect, overlay, sheet)
        _set_metadata(doc, stamp)
        doc.save(
            str(destination),
            garbage=4,
            deflate=True,
            use_objstms=0,
            encryption=pymupdf.PDF_ENCRYPT_AES_256,
            user_pw=stamp.user_password,
            owner_pw=stamp.owner_password,
            permissions=PERMISSIONS,
        )
    finally:
        doc.close()


def _temporary(out_path: Path) -> Path:
    """A new empty file beside ``out_path`` for the copy to be written into; its name ends
    in ``.<pid>.partial`` like the staged files of :mod:`pipeline.issuing`, whose clean-up
    removes it if this process is killed while it builds the copy."""
    handle, temporary = tempfile.mkstemp(
        dir=out_path.parent, prefix=f".{out_path.name}.", suffix=f".{os.getpid()}.partial"
    )
    os.close(handle)
    return Path(temporary)


def _put_in_place(temporary: Path, out_path: Path) -> None:
    """Flush the written copy to disk and rename it to ``out_path`` (atomic)."""
    with temporary.open("rb+") as stream:
        os.fsync(stream.fileno())
    os.replace(temporary, out_path)


def _write_error(out_path: Path, exc: OSError) -> InputError:
    return InputError(
        f"{out_path.name}: the copy could not be written "
        f"({one_line(exc.strerror or exc, 60)}) (无法写入); "
        "expected a writable output folder; check the folder and free space"
    )


def write_pdf_copy(
    source: bytes, stamp: CopyStamp, out_path: Path, *, limits: Limits = DEFAULT_LIMITS,
    cache: dict | None = None,
) -> None:
    """Write one issued copy of the unencrypted PDF draft ``source`` to ``out_path``.

    The copy carries ``stamp.marking`` (first-page lines at the top-left of the text block,
    first-page right mark, banners top and bottom, copy line, running header), the tiled
    ``stamp.watermark_text``, the small ``stamp.visible_code`` at the foot of every page, and
    ``stamp.token`` in the Info dictionary (``/MijianToken``) and in XMP (``mijian:token``);
    Subject holds the marking. Pages whose content would sit under the marks are shrunk.
    The file is AES-256 encrypted with the user and owner passwords of ``stamp`` (printing
    and copying allowed, editing not). Only ``out_path`` is written, atomically; on any
    failure nothing is left behind and :class:`InputError` is raised.
    """
    if not stamp.user_password or not stamp.owner_password:
        raise InputError(
            f"{out_path.name}: the copy has no user or owner password (缺少密码); "
            "expected both; issue the copy again so that passwords are generated"
        )
    try:
        temporary = _temporary(out_path)
    except OSError as exc:
        raise _write_error(out_path, exc) from None
    try:
        _build(source, stamp, out_path, limits, cache, temporary)
        try:
            _put_in_place(temporary, out_path)
        except OSError as exc:
            raise _write_error(out_path, exc) from None
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _build(source: bytes, stamp: CopyStamp, out_path: Path, limits: Limits,
           cache: dict | None, temporary: Path) -> None:
    """Make the copy into ``temporary``, turning MuPDF's failures into :class:`InputError`."""
    try:
        with quiet_mupdf():
            _stamp(source, stamp, limits, cache, temporary)
    except MissingGlyphs as exc:
        raise InputError(
            f"{out_path.name}: the marks hold characters no built-in font can show: "
            f"{exc.chars!r} (无法显示的字符); expected printable names and markings; "
            "spell the recipient name or marking without them"
        ) from None
    except PYMUPDF_ERRORS as exc:
        raise InputError(
            f"{out_path.name}: the copy could not be made ({one_line(exc, 80)}) "
            "(无法生成副本); expected a PDF draft PyMuPDF can rewrite; "
            "export the draft again and retry"
        ) from None
