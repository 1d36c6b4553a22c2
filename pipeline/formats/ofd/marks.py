"""What an OFD copy adds to each page: the marking rows (份号, 密级★期限 and the other lines
and banners of :mod:`pipeline.marking`, laid out by the same rules as the PDF copies'), the
printed code, its QR symbol, the tiled recipient watermark, the keyed page pattern and the
camera-robust page fingerprint, as OFD text and path objects of one new layer.

The row layout (:func:`~pipeline.formats.pdf.marks.place_marks`) works in points on a page
rect; it is given the OFD page in points and its answers are turned into millimetres. The
pattern and fingerprint squares come from the same geometry functions the PDF copies draw
(:func:`watermark.pattern.page_dots`, :func:`watermark.screenprint.page_marks`). Content that
reached into the bands has been moved out of them first (:mod:`.shrink`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lxml import etree

from mijian.pipeline.formats.ofd.draw import MM_PER_POINT, Painter, qr_boxes, text_width
from mijian.pipeline.model import CopyStamp

if TYPE_CHECKING:
    from mijian.pipeline.formats.pdf.marks import Row

QR_MM = 46.0 * MM_PER_POINT
"""Side of the QR symbol, as on PDF copies (about 16 mm)."""

_WATERMARK_MM = 5.0
"""Type size of the tiled watermark text."""


def row_marks(painter: Painter, stamp: CopyStamp, number: int, pages: int,
              page: tuple[float, float], body: tuple[float, float, float, float] | None,
              bottom: list[Row]) -> list[etree._Element]:
    """The marking rows of page ``number`` (0-based) of ``pages`` with the ``bottom`` band's
    rows (the banner, and the printed code its layer adds)."""
    import pymupdf

    from mijian.pipeline.formats.pdf.marks import EDGE, place_marks, top_rows

    scale = 1 / MM_PER_POINT
    width, height = page
    rect = pymupdf.Rect(0, 0, width * scale, height * scale)
    body_pt = (pymupdf.Rect(*(v * scale for v in body)) if body is not None
               else pymupdf.Rect(28 * scale, 37 * scale,
                                 (width - 26) * scale, (height - 35) * scale))
    top = top_rows(stamp.marking, number, pages)
    out = []
    edge = EDGE * MM_PER_POINT
    for mark in place_marks(top, bottom, rect, body_pt):
        size = mark.row.size * MM_PER_POINT
        wide = text_width(mark.text, size)
        if wide > width - 2 * edge:
            size, wide = size * (width - 2 * edge) / wide, width - 2 * edge
        anchor = mark.x * MM_PER_POINT
        x = {"left": anchor, "right": anchor - wide, "centre": anchor - wide / 2}[mark.align]
        x = min(max(x, edge), width - edge - wide)
        rgb = tuple(round(255 * c) for c in mark.row.color)
        out.append(painter.text(x, mark.baseline * MM_PER_POINT, mark.text, size,
                                rgb))  # type: ignore[arg-type]  # three channels
    return out


def qr_mark(painter: Painter, code: str, page: tuple[float, float],
            body: tuple[float, float, float, float] | None) -> etree._Element | None:
    """The QR symbol of the printed code in the bottom-right margin, when that corner is
    clear of the page content (as on PDF copies)."""
    from mijian.pipeline.formats.pdf.marks import EDGE, GAP

    if not code:
        return None
    width, height = page
    edge, gap = EDGE * MM_PER_POINT, GAP * MM_PER_POINT
    left, top = width - edge - QR_MM, height - edge - QR_MM
    if body is not None and not (top >= body[3] + gap or left >= body[2] + gap):
        return None
    return painter.squares(qr_boxes(code, left, top, QR_MM), width, height)


def watermark(painter: Painter, text: str, page: tuple[float, float]) -> list[etree._Element]:
    """The recipient watermark tiled at 30 degrees over the page, light grey."""
    if not text:
        return []
    width, height = page
    step_x = text_width(text, _WATERMARK_MM) * 0.9 + 30.0
    out = []
    row = 0
    y = 40.0
    while y < height + 20:
        x = 10.0 - (row % 2) * step_x / 2
        while x < width:
            out.append(painter.text(x, y, text, _WATERMARK_MM, (128, 128, 128), 56, 30.0))
            x += step_x
        y += 55.0
        row += 1
    return out


def pattern(painter: Painter, stamp: CopyStamp, page: tuple[float, float]) -> list[etree._Element]:
    """The keyed dot fingerprint (:mod:`watermark.pattern`), one path object per darkness."""
    if not stamp.pattern_key or not stamp.pattern_payload:
        return []
    from mijian.watermark.pattern import NUMBER_PARAMS, PatternKey, page_dots

    width, height = page
    xs, ys, side, values = page_dots(width, height, stamp.pattern_payload,
                                     PatternKey(stamp.pattern_key, NUMBER_PARAMS), 25.4)
    out = []
    half = side / 2
    for level in sorted(set(values.tolist())):
        chosen = values == level
        boxes = [(x - half, y - half, x + half, y + half)
                 for x, y in zip(xs[chosen].tolist(), ys[chosen].tolist())]
        element = painter.squares(boxes, width, height, int(level))
        if element is not None:
            out.append(element)
    return out


def screen_fingerprint(painter: Painter, stamp: CopyStamp,
                       page: tuple[float, float]) -> list[etree._Element]:
    """The camera-robust fingerprint (:mod:`pipeline.screenprint_layer`), grey and black squares."""
    if not stamp.pattern_key or len(stamp.pattern_payload) != 4:
        return []
    from mijian.pipeline.screenprint_layer import layer_key
    from mijian.watermark.screenprint import DEFAULT, page_marks

    width, height = page
    marks = page_marks(width, height, layer_key(stamp.pattern_key),
                       int.from_bytes(stamp.pattern_payload, "big"))
    grey, black = marks.squares(1.0)
    found = (painter.squares(grey, width, height, DEFAULT.grey),
             painter.squares(black, width, height))
    return [element for element in found if element is not None]


MAX_CODE_LINES = 80
"""Most line ends of one page that carry the text code (as on PDF copies)."""


def text_code(painter: Painter, code: str, ends: list[tuple[float, float]]) -> list[etree._Element]:
    """The invisible text-layer code (:mod:`watermark.textcode`) after the end of every body
    line: text objects that are neither filled nor stroked (and fully transparent), so text
    taken out of the copy carries the code and nothing is drawn."""
    if not code or not ends:
        return []
    if len(ends) > MAX_CODE_LINES:
        step = len(ends) / MAX_CODE_LINES
        ends = [ends[int(i * step)] for i in range(MAX_CODE_LINES)]
    out = []
    for x, baseline in ends:
        element = painter.text(x, baseline, code, 0.35, alpha=0)
        element.set("Fill", "false")
        out.append(element)
    return out
