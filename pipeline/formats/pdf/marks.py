"""Where the marks of a PDF copy go: the rows of the top and bottom bands of each page (份号 and
grade lines, banners, copy line, running header, a reproduction's stamp, and the printed code
its layer adds), the room
they need, the rect a page whose content reaches into them is shrunk into, and the text drawn
for them. OFD copies lay out their rows by the same rules.
"""

from __future__ import annotations

from dataclasses import dataclass

import pymupdf
from mijian.pipeline.formats.pdf.fonts import append_runs, font_runs, runs_width
from mijian.pipeline.formats.pdf.opening import GBT9704_MARGINS
from mijian.pipeline.model import Marking

EDGE = 18.0
"""Distance of the outermost mark from the page edge, in points."""


GAP = 6.0
"""Free space kept between the marks and the page content."""


_BLACK = (0.0, 0.0, 0.0)


_RED = (0.8, 0.0, 0.0)


_GREY = (0.35, 0.35, 0.35)


_STAMP = (0.6, 0.0, 0.0)
"""The dark red of a reproduction stamp (复制机关戳记)."""


@dataclass(frozen=True)
class Row:
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
class Mark:
    """A row given its place: the baseline and the x of its anchor."""

    row: Row
    text: str
    align: str
    x: float
    baseline: float


def _pitch(size: float) -> float:
    """Height of one band line of type ``size`` (ascender, descender and a little air)."""
    return size * 1.4


def top_rows(marking: Marking, number: int, pages: int) -> list[Row]:
    """The top band of page ``number`` (0-based), outermost first."""
    first = number == 0
    rows: list[Row] = []
    if marking.banner:
        rows.append(Row(marking.banner, 12.0, "centre", bold=True, color=_RED))
    if first and marking.copy_line:
        rows.append(Row(marking.copy_line, 10.0, "centre"))
    if marking.running:
        text = marking.running.replace("{page}", str(number + 1)).replace("{pages}", str(pages))
        rows.append(Row(text, 9.0, "right", color=_GREY))
    lines = marking.first_page_lines if first else ()
    right = marking.first_page_right if first else ""
    for index, line in enumerate(lines):
        rows.append(
            Row(line, 16.0, "left", bold=index > 0, right="" if index else right, sticky=True)
        )
    if right and not lines:
        rows.append(Row(right, 14.0, "right", bold=True, sticky=True))
    if first and marking.reproduction:  # 复制机关戳记, under the marking lines, above the body
        rows.append(Row(marking.reproduction, 9.0, "left", color=_STAMP, sticky=True))
    return rows


def code_row(code: str) -> Row:
    """The row of the printed code, the outermost of the bottom band."""
    return Row(code, 6.5, "centre", color=_GREY, latin=True)


def bottom_rows(marking: Marking) -> list[Row]:
    """The marking's rows of the bottom band of every page, outermost (lowest) first: the
    banner. The printed-code layer (:mod:`pipeline.layers.visible_code`) puts
    :func:`code_row` below it."""
    rows: list[Row] = []
    if marking.banner:
        rows.append(Row(marking.banner, 12.0, "centre", bold=True, color=_RED))
    return rows


def band_height(rows: list[Row]) -> float:
    """Height the rows need from the page edge, including the gap to the content."""
    return EDGE + sum(_pitch(row.size) for row in rows) + GAP if rows else 0.0


def _text_span(page: pymupdf.Page) -> tuple[float, float] | None:
    """Left and right of the page's text as readers place it: from the first glyph's origin
    to the last glyph's advance. The bbox log gives text the font's box instead, which for
    a CJK face reaches some points left of the glyphs (about 0.7 em for Droid Sans
    Fallback), and marks anchored on it would start left of the text block."""
    lefts, rights = [], []
    for block in page.get_text("dict", flags=0)["blocks"]:
        for line in block.get("lines", ()):
            lefts.append(line["bbox"][0])
            rights.append(line["bbox"][2])
    return (min(lefts), max(rights)) if lefts else None


def content_rect(page: pymupdf.Page) -> pymupdf.Rect | None:
    """Where anything visible is drawn on the page: text, paths, images, shadings.

    A path covering most of the page (a background or a frame at the edge) is ignored.
    Text keeps the heights the bbox log gives it but its widths from :func:`_text_span`.
    """
    area = page.rect
    box = pymupdf.Rect()
    span: tuple[float, float] | None = None
    for kind, bbox in page.get_bboxlog():
        rect = pymupdf.Rect(bbox) & area
        if rect.is_empty or "clip" in kind or "layer" in kind:
            continue
        if kind.endswith("path") and rect.width * rect.height > 0.9 * area.width * area.height:
            continue
        if kind.endswith("text"):
            span = span or _text_span(page) or (rect.x0, rect.x1)
            rect = pymupdf.Rect(max(rect.x0, span[0]), rect.y0, min(rect.x1, span[1]), rect.y1)
            if rect.x0 >= rect.x1:
                continue
        box |= rect
    return None if box.is_empty else box


def placement(
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


def moved_body(
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


def place_marks(
    top_rows: list[Row], bottom_rows: list[Row], page: pymupdf.Rect, body: pymupdf.Rect
) -> list[Mark]:
    """Give each row its baseline and anchor x on a page whose body is at ``body``."""
    left = max(body.x0, EDGE)
    right = min(body.x1, page.width - EDGE)
    if right - left < page.width / 3:
        left, right = EDGE, page.width - EDGE
    anchors = {"left": left, "right": right, "centre": page.width / 2}
    marks: list[Mark] = []

    def place(row: Row, baseline: float) -> None:
        marks.append(Mark(row, row.text, row.align, anchors[row.align], baseline))
        if row.right:
            marks.append(Mark(row, row.right, "right", right, baseline))

    y = EDGE
    slack = max(body.y0 - band_height(top_rows), 0.0)
    for row in top_rows:
        place(row, y + row.size * 1.05 + (slack if row.sticky else 0.0))
        y += _pitch(row.size)
    y = page.height - EDGE
    for row in bottom_rows:
        place(row, y - row.size * 0.3)
        y -= _pitch(row.size)
    return marks


def draw_marks(
    page: pymupdf.Page, marks: list[Mark], fonts: dict[str, tuple[pymupdf.Font, ...]],
    drawn: list[tuple[tuple[pymupdf.Font, ...], str]] | None = None,
    known: dict | None = None,
) -> None:
    """Write the marks on an overlay page: one writer per colour and weight; each text and
    its faces are added to ``drawn`` (the fonts are subset from that list). ``known`` keeps
    each text's font runs and width for the copies of one run (``fonts`` the same for all):
    most rows (banners, running headers) repeat on every page of every copy."""
    writers: dict[tuple[tuple[float, float, float], bool], pymupdf.TextWriter] = {}
    known = {} if known is None else known
    area = page.rect  # asked of MuPDF once: each ask builds a new Rect
    limit = area.width - 2 * EDGE
    for mark in marks:
        row = mark.row
        kind = "latin" if row.latin else "bold" if row.bold else "text"
        face = fonts[kind]
        size = row.size
        key = (mark.text, kind, size)
        if key not in known:
            runs = font_runs(mark.text, face, known)
            known[key] = (runs, runs_width(runs, size, known))
        runs, width = known[key]
        if width > limit:
            size, width = size * limit / width, limit
        x = {"left": mark.x, "right": mark.x - width, "centre": mark.x - width / 2}[mark.align]
        x = min(max(x, EDGE), area.width - EDGE - width)
        writer = writers.get((row.color, row.bold))
        if writer is None:  # one writer per colour and weight, made when first needed
            writer = writers[(row.color, row.bold)] = pymupdf.TextWriter(area)
        append_runs(writer, (x, mark.baseline), runs, size)
        if drawn is not None:
            drawn.append((face, mark.text))
    for (color, bold), writer in writers.items():
        writer.write_text(page, color=color, render_mode=2 if bold else 0)
