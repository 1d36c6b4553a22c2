"""The overlay of a PDF copy: one sheet per page with its marking rows and the fingerprint
layers drawn per page (the QR symbol; the invisible text code where the page's own text could
not carry it), then one sheet per page size with the layers shown on every page of that size
(the tiled watermark and the page fingerprints). Which layers are drawn, and in what order, is
:data:`pipeline.layers.registry.LAYERS`; the drawing helpers of the PDF layers live here.
"""

from __future__ import annotations

from dataclasses import dataclass

import pymupdf
from mijian.pipeline.formats.pdf import textcode as pdf_textcode
from mijian.pipeline.formats.pdf.content import ShowOp
from mijian.pipeline.formats.pdf.fonts import load_fonts
from mijian.pipeline.formats.pdf.forms import watermark_form
from mijian.pipeline.formats.pdf.marks import (
    EDGE,
    GAP,
    band_height,
    bottom_rows,
    content_rect,
    draw_marks,
    moved_body,
    place_marks,
    placement,
    top_rows,
)
from mijian.pipeline.formats.pdf.overlay import add_content, put_xobject, subset_fonts
from mijian.pipeline.formats.pdf.stamping import PdfOverlay, PdfPage, PdfSheet
from mijian.pipeline.layers.registry import stamp as stamp_layers
from mijian.pipeline.model import CopyStamp
from pymupdf import mupdf

QR_SIZE = 46.0
"""Side of the QR symbol carrying the visible code, in points (about 16 mm)."""


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
class CodeRun:
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


def draw_text_code(page: pymupdf.Page, ends: list[tuple[pymupdf.Point, float]],
                    target: pymupdf.Rect | None, code: str, font: pymupdf.Font,
                    made: list[CodeRun]) -> None:
    """Write the invisible text-layer code (render mode 3) at the end of every body line, in
    a stream of its own: only for pages whose own text the code could not be drawn into
    (see :mod:`pipeline.formats.pdf.textcode`).

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
        made.append(CodeRun(doc.xref_stream(xref), (points[0].x, height - points[0].y),
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


def qr_rect(page: pymupdf.Rect, body: pymupdf.Rect, bands: float) -> pymupdf.Rect | None:
    """A free square for the QR symbol in the bottom-right margin, or None if none is free."""
    rect = pymupdf.Rect(page.width - EDGE - QR_SIZE, page.height - EDGE - QR_SIZE,
                        page.width - EDGE, page.height - EDGE)
    clear_of_body = rect.y0 >= body.y1 + GAP or rect.x0 >= body.x1 + GAP
    clear_of_marks = rect.y0 >= page.height - bands - QR_SIZE  # the marks sit at the very foot
    return rect if clear_of_body and clear_of_marks else None


def draw_qr(page: pymupdf.Page, rect: pymupdf.Rect | None, form: int) -> None:
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


def draw_pattern(sheet: pymupdf.Page, stamp: CopyStamp) -> None:
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


def fill_squares(sheet: pymupdf.Page, groups: list[tuple[list[tuple[float, float, float, float]], float]],
                 prefix: str) -> None:
    """Fill each group of squares ``(x0, y0, x1, y1)`` (page coordinates, top-left origin, on a
    new overlay page) in black at the group's constant fill opacity, as one content stream of
    ``re`` operators (to 1e-5 pt): what PyMuPDF's ``Shape`` drew, without a Python object per
    square (several hundred a page size, most of the cost of a copy when drawn one by one).
    The opacities are graphics states named ``prefix`` and a number, added to those the sheet
    already has."""
    height = sheet.rect.height
    parts: list[bytes] = []
    states: dict[str, str] = {}
    for number, (squares, opacity) in enumerate(groups):
        if not squares:
            continue
        rects = b" re\n".join(b"%.5f %.5f %.5f %.5f" % (x0, height - y1, x1 - x0, y1 - y0)
                               for x0, y0, x1, y1 in squares)
        state = b""
        if opacity < 1.0:
            state = f"/{prefix}{number} gs ".encode()
            states[f"{prefix}{number}"] = f"<</Type/ExtGState/ca {opacity:.8f}>>"
        parts.append(b"q " + state + b"0 g\n" + rects + b" re\nf\nQ")
    if not parts:
        return
    _add_states(sheet, states)
    _append_content(sheet, b"\n".join(parts))


def _add_states(page: pymupdf.Page, states: dict[str, str]) -> None:
    """Add graphics states to the page's ``/ExtGState`` resources, keeping those it has
    (the resources and the dictionary may each be inline or an object of their own)."""
    doc = page.parent
    holder, path = page.xref, "Resources/"
    kind, value = doc.xref_get_key(holder, "Resources")
    if kind == "xref":
        holder, path = int(value.split()[0]), ""
    kind, value = doc.xref_get_key(holder, path + "ExtGState")
    if kind == "xref":
        holder, path = int(value.split()[0]), ""
    else:
        path += "ExtGState/"
    for name, state in states.items():
        doc.xref_set_key(holder, path + name, state)


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


def place_watermark(sheet: pymupdf.Page, text: str, fonts: tuple[pymupdf.Font, ...]) -> None:
    """Show the tiled watermark (glyph outlines, see :mod:`pipeline.formats.pdf.forms`) on
    ``sheet``: out of the copied text like the image it replaces, a few kilobytes a copy."""
    form = watermark_form(sheet.parent, sheet.rect, text, fonts)
    if form:
        put_xobject(mupdf.pdf_document_from_fz_document(sheet.parent), sheet.number, "MJwm", form)
        _append_content(sheet, b"q /MJwm Do Q")


@dataclass(frozen=True)
class PageFacts:
    """What the marks need to know of one prepared draft page (the same for every copy)."""

    rect: pymupdf.Rect
    content: pymupdf.Rect | None
    line_ends: tuple[tuple[pymupdf.Point, float], ...]
    code_ends: tuple[ShowOp, ...] | None


def measure_pages(doc_bytes: bytes) -> tuple[PageFacts, ...]:
    with pymupdf.open(stream=doc_bytes, filetype="pdf") as doc:
        return tuple(PageFacts(pymupdf.Rect(page.rect), content_rect(page), tuple(_line_ends(page)),
                                pdf_textcode.measure(page))
                     for page in doc)


def inline_text_code(doc: pymupdf.Document, stamp: CopyStamp,
                      facts: tuple[PageFacts, ...], known: dict | None = None) -> set[int]:
    """Write the text code into the draft's own text, one run after every line (see
    :mod:`pipeline.formats.pdf.textcode`); returns the pages that still need it drawn apart (their
    stream could not be read, or their text lies in form XObjects). ``known``: what the
    copies of one draft share (see :func:`~pipeline.formats.pdf.textcode.place`)."""
    if not stamp.text_code:
        return set()
    xref, run = pdf_textcode.code_font(doc, stamp.text_code)
    return {number for number, page in enumerate(facts)
            if page.line_ends and not pdf_textcode.place(doc, number, run, page.code_ends or (),
                                                         xref, MAX_CODE_LINES, known)}


_FACES: dict[str, tuple[pymupdf.Font, ...]] = {}
"""The faces of :func:`~pipeline.formats.pdf.fonts.load_fonts`, loaded once per process: MuPDF keeps
a font's digest in the font object, so a face used again is not hashed again (3.5 MB for
the CJK face), and every use of a face in one copy shares one embedded font."""


def _fonts(language: str) -> dict[str, tuple[pymupdf.Font, ...]]:
    """The faces of the marks: body text, bold (the CJK face first) and the Latin code."""
    if language not in _FACES:
        _FACES[language] = load_fonts(language)  # type: ignore[arg-type]  # a Language checked by the caller
    if "zh" not in _FACES:
        _FACES["zh"] = load_fonts("zh")
    if "helv" not in _FACES:
        _FACES["helv"] = (pymupdf.Font("helv"),)
    zh = _FACES["zh"]
    text = tuple(next((face for face in zh if face.name == font.name), font)
                 for font in _FACES[language])  # the same objects in either order
    return {"text": text, "bold": zh, "latin": (*_FACES["helv"], *text)}


def build_overlay(doc: pymupdf.Document, stamp: CopyStamp, facts: tuple[PageFacts, ...],
                  apart: set[int], cache: dict | None = None) -> tuple[pymupdf.Document, list, dict]:
    """Draw every page's layers and marking rows on a new document of matching pages, then
    one sheet per page size after them with the layers shown on every page of that size
    (stored once). The fingerprint layers are those of :mod:`pipeline.layers.registry` that
    stamp PDF copies (surfaces ``overlay``, ``page`` and ``sheet``, see
    :mod:`pipeline.formats.pdf.stamping`); ``apart``: the pages whose own text could not
    carry the text code.

    Returns it with, per page, the rect the page content must move into (None: it stays),
    and the sheet number for each page size.
    """
    fonts = _fonts(stamp.language)
    pages = doc.page_count
    copy = PdfOverlay(pymupdf.open(), stamp, fonts, [], bottom_rows(stamp.marking),
                      frozenset(apart))
    stamp_layers("pdf", "overlay", copy)
    bottom = copy.bottom
    known = cache.setdefault(("mark-runs", stamp.language), {}) if cache is not None else None
    targets: list[pymupdf.Rect | None] = []
    shared: dict[tuple[float, float], int] = {}
    for number in range(pages):
        page = facts[number]
        top = top_rows(stamp.marking, number, pages)
        target = placement(page.rect, page.content, band_height(top), band_height(bottom))
        targets.append(target)
        sheet = copy.overlay.new_page(width=page.rect.width, height=page.rect.height)
        shared.setdefault((page.rect.width, page.rect.height), -1)
        body = moved_body(page.content, target, page.rect)
        stamp_layers("pdf", "page", PdfPage(sheet, copy, number, page, target, body,
                                            band_height(bottom)))
        draw_marks(sheet, place_marks(top, bottom, page.rect, body), fonts, copy.drawn, known)
    for size in shared:  # one sheet per page size, shown on every page of that size
        sheet = copy.overlay.new_page(width=size[0], height=size[1])
        stamp_layers("pdf", "sheet", PdfSheet(sheet, copy))
        shared[size] = sheet.number
    subset_fonts(copy.overlay, copy.drawn, cache)
    return copy.overlay, targets, shared


def code_glyphs(stamp: CopyStamp) -> str:
    """Every character the invisible text code may put on a page in the code font: the
    copy's code, the separators between its symbols, and the whole symbol alphabet."""
    from mijian.watermark import textcode

    return "".join(dict.fromkeys(stamp.text_code + "\u2009 " + "".join(textcode.SYMBOLS)
                                 + textcode.START + textcode.END))
