"""Marks of a PDF copy drawn as Form XObjects: the tiled watermark and the QR symbol.

The tiled name-and-份号 watermark is drawn as glyph outlines.

The watermark names the recipient all over the page, faint and turned. It must stay out
of the text a reader copies from the page (the signed codes carry the trace in the text),
so its letters are drawn as filled outlines, not as text: no font, no character codes,
nothing for a text extractor to find. That keeps the look of the earlier 150-dpi image
without its cost: one line of outlines is made per copy (a Form XObject), and the sheet
shows it at every tile position, so the file grows by a few kilobytes, not by an image,
and nothing is rendered or compressed as pixels.

The outline of each glyph is taken once per process from the font (MuPDF's own glyph
outlines, the same shapes its text renderer fills) and kept; a copy only places them.

The QR symbol is drawn as black squares on a white square (the quiet zone), one form per
copy shown on every page: the same symbol the PNG of :func:`watermark.qr.qr_png` showed,
without encoding, decoding and compressing an image for every copy.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pymupdf
from pymupdf import mupdf

from mijian.pipeline.formats.pdf.fonts import font_runs, text_width

WATERMARK_GREY = 0.45
WATERMARK_OPACITY = 0.13
WATERMARK_ANGLE = 35.0
WATERMARK_SIZE = 22.0
_UNITS = 1000.0
"""Glyph outlines are kept in thousandths of an em, placed with a scale of size / 1000."""
_MAX_KEPT = 50_000
"""Most glyph outlines kept per process (names use a few thousand characters at most)."""
_OUTLINES: dict[tuple[str, int], bytes] = {}


class _Outliner(mupdf.FzPathWalker2):
    """Collects one MuPDF path as PDF path operators (moveto, lineto, curveto, close)."""

    def __init__(self) -> None:
        super().__init__()
        self.use_virtual_moveto()
        self.use_virtual_lineto()
        self.use_virtual_curveto()
        self.use_virtual_closepath()
        self.ops: list[str] = []

    def moveto(self, ctx, x, y):
        self.ops.append(f"{x:.1f} {y:.1f} m")

    def lineto(self, ctx, x, y):
        self.ops.append(f"{x:.1f} {y:.1f} l")

    def curveto(self, ctx, x1, y1, x2, y2, x3, y3):
        self.ops.append(f"{x1:.1f} {y1:.1f} {x2:.1f} {y2:.1f} {x3:.1f} {y3:.1f} c")

    def closepath(self, ctx):
        self.ops.append("h")


def glyph_outline(font: pymupdf.Font, char: str) -> bytes:
    """Path operators of ``char``'s glyph in ``font``, in thousandths of an em, y up
    (empty for a glyph that draws nothing, such as a space)."""
    gid = font.has_glyph(ord(char))
    key = (font.name, gid)
    found = _OUTLINES.get(key)
    if found is not None:
        return found
    path = mupdf.fz_outline_glyph(font.this, gid, mupdf.FzMatrix(_UNITS, 0, 0, _UNITS, 0, 0))
    ops = b""
    if path.m_internal:
        walker = _Outliner()
        mupdf.fz_walk_path(path, walker, walker.m_internal)
        ops = "\n".join(walker.ops).encode()
    if len(_OUTLINES) >= _MAX_KEPT:
        _OUTLINES.clear()
    _OUTLINES[key] = ops
    return ops


def line_outlines(text: str, fonts: Sequence[pymupdf.Font], size: float) -> bytes:
    """One line of ``text`` as filled glyph outlines, baseline at the origin, set in the
    fonts :func:`~pipeline.formats.pdf.fonts.font_runs` picks (so it is as wide as :func:`text_width`
    says)."""
    parts: list[bytes] = []
    x = 0.0
    scale = size / _UNITS
    for font, run in font_runs(text, fonts):
        for char in run:
            ops = glyph_outline(font, char)
            if ops:
                parts.append(b"q %.4f 0 0 %.4f %.3f 0 cm\n%s\nf\nQ" % (scale, scale, x, ops))
            x += font.text_length(char, fontsize=size)
    return b"\n".join(parts)


def _tile_origins(area: pymupdf.Rect, width: float) -> list[tuple[float, float]]:
    """Baseline origins (page space, y down) of the tiles that stay inside the page once
    the rows are turned about the page centre (plain arithmetic: this runs per copy)."""
    cx, cy = area.width / 2, area.height / 2
    cos = math.cos(math.radians(WATERMARK_ANGLE))
    sin = math.sin(math.radians(WATERMARK_ANGLE))
    step_x, step_y = width + 70.0, WATERMARK_SIZE * 5.5
    reach = math.hypot(area.width, area.height) / 2 + step_x
    rows = int(reach // step_y) + 1
    columns = int(reach // step_x) + 1
    low_x, high_x = area.x0 + 10, area.x1 - 10
    low_y, high_y = area.y0 + 10, area.y1 - 10

    def inside(x: float, y: float) -> bool:  # the point turned on screen (y down) stays in
        dx, dy = x - cx, y - cy
        tx, ty = dx * cos + dy * sin + cx, -dx * sin + dy * cos + cy
        return low_x <= tx < high_x and low_y <= ty < high_y

    origins = []
    for row in range(-rows, rows + 1):
        shift = step_x / 2 if row % 2 else 0.0
        y = cy + row * step_y
        for column in range(-columns, columns + 1):
            x = cx + column * step_x + shift - width / 2
            top, bottom = y - WATERMARK_SIZE, y + 6
            if (inside(x, top) and inside(x + width, top) and inside(x, bottom)
                    and inside(x + width, bottom)):
                origins.append((x, y))
    return origins


def _new_form(doc: pymupdf.Document, bbox: tuple[float, ...], resources: str, body: bytes) -> int:
    """Add a Form XObject to ``doc``; returns its xref."""
    xref = doc.get_new_xref()
    box = " ".join(f"{v:.3f}" for v in bbox)
    doc.update_object(xref, f"<</Type/XObject/Subtype/Form/BBox[{box}]/Resources{resources}>>")
    doc.update_stream(xref, body)
    return xref


def watermark_form(doc: pymupdf.Document, area: pymupdf.Rect, text: str,
                   fonts: Sequence[pymupdf.Font]) -> int:
    """A Form XObject of ``doc`` covering ``area`` with ``text`` tiled faintly, turned by
    :data:`WATERMARK_ANGLE` about the centre; 0 when ``text`` is blank.

    The line is one inner form drawn at every tile, so its outlines are stored once.
    """
    if not text.strip():
        return 0
    width = text_width(text, fonts, WATERMARK_SIZE)
    line = _new_form(doc, (0, -WATERMARK_SIZE, width, WATERMARK_SIZE * 1.2), "<<>>",
                     line_outlines(text, fonts, WATERMARK_SIZE))
    cx, cy = area.width / 2, area.height / 2
    turn = pymupdf.Matrix(1, 0, 0, 1, -cx, -cy) * pymupdf.Matrix(WATERMARK_ANGLE) \
        * pymupdf.Matrix(1, 0, 0, 1, cx, cy)
    height = area.height
    tiles = b"\n".join(b"q 1 0 0 1 %.3f %.3f cm /L Do Q" % (x, height - y)
                       for x, y in _tile_origins(area, width))
    grey = b"%.2f %.2f %.2f rg" % ((WATERMARK_GREY,) * 3)
    body = b"q /O gs %s %.5f %.5f %.5f %.5f %.3f %.3f cm\n%s\nQ" % (
        grey, turn.a, turn.b, turn.c, turn.d, turn.e, turn.f, tiles)
    resources = (f"<</ExtGState<</O<</Type/ExtGState/ca {WATERMARK_OPACITY}>>>>"
                 f"/XObject<</L {line} 0 R>>>>")
    return _new_form(doc, (0, 0, area.width, area.height), resources, body)


QR_BORDER = 2
"""White modules around the QR symbol (as the PNG had)."""


def qr_form(doc: pymupdf.Document, text: str) -> int:
    """A Form XObject of ``doc`` drawing the QR symbol of ``text`` (error correction level
    M, as :func:`watermark.qr.qr_png`) in the unit square, white quiet zone included;
    0 when ``text`` is empty. Runs of black modules in a row are one rectangle each."""
    if not text:
        return 0
    from mijian.watermark.qr import qr_symbol

    matrix = qr_symbol(text).matrix
    side = len(matrix) + 2 * QR_BORDER
    rects = []
    for row, line in enumerate(matrix):
        y = side - QR_BORDER - row - 1  # PDF space, y up
        column = 0
        while column < len(line):
            if line[column] & 1:
                start = column
                while column < len(line) and line[column] & 1:
                    column += 1
                rects.append(b"%d %d %d 1 re" % (start + QR_BORDER, y, column - start))
            else:
                column += 1
    body = b"%.6f 0 0 %.6f 0 0 cm 1 g 0 0 %d %d re f 0 g\n%s\nf" % (
        1 / side, 1 / side, side, side, b"\n".join(rects))
    return _new_form(doc, (0, 0, 1, 1), "<<>>", body)
