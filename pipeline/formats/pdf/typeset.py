"""Lay out a plain-text draft as an A4 PDF with GB/T 9704-like margins (the base of the copies
of a text draft).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

import pymupdf
from mijian.pipeline.errors import InputError
from mijian.pipeline.formats.pdf.fonts import (
    MissingGlyphs,
    append_line,
    load_fonts,
    text_width,
)
from mijian.pipeline.formats.pdf.opening import A4, GBT9704_MARGINS, has_text
from mijian.pipeline.model import Language

_CLOSING = set("，。、；：？！）》」』】〕〉’”…—·,.;:!?)]}%")


_OPENING = set("（《「『【〔〈‘“([{")


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


_COLUMN_GAP = re.compile(r"\S(?:[ \u3000]{2,}|\u3000)(?=\S)")
"""A gap between two columns of a table made with spaces: two or more spaces, or an
ideographic space, between two printed characters."""


_WORD = re.compile(r"[^ \u3000]+")
"""A word of a table row: what lies between spaces (ideographic ones too)."""


_TABLE_LEADING = 1.4
"""Line pitch of table rows, in ems: under the 1.5 em past which poppler's text layout
splits lines into blocks apart, so the cells of a column stay one block, printed in line
by ``pdftotext -layout``."""


_SMALLEST_TABLE = 6.0
"""The smallest type size (points) a table is set in to fit the text block's width; a wider
table is set as ordinary paragraphs."""


Placed = tuple[float, float, str, float, float]
"""A line placed on a page: x, baseline y, the text, the type size, and the width of one
character cell (0.0 when the line is set with the faces' own advances)."""


def _cells(text: str) -> int:
    """Width of ``text`` in character cells: wide (CJK) characters take two, others one, as
    in the monospaced editor the columns were lined up in."""
    return sum(2 if _is_wide(ch) else 1 for ch in text)


def _starts(row: str) -> set[int]:
    """Cells at which the columns after the first begin in a table row."""
    return {_cells(row[: gap.end()]) for gap in _COLUMN_GAP.finditer(row)}


def _table_sizes(chunk: list[str], box: float, size: float) -> list[float]:
    """For each paragraph, the type size of its table (0.0: not a table row).

    A table is two or more consecutive rows with two or more column gaps each and a column
    that starts at the same cell in all of them (prose with two spaces after its sentences
    has its gaps anywhere). It is set on a grid of half-em cells at the largest size (at
    most the body's, rounded down to 0.1 pt) at which its widest row fits the text block:
    proportional advances or line wrapping would break the columns apart."""
    sizes = [0.0] * len(chunk)
    start = 0
    while start < len(chunk):
        end = start
        while end < len(chunk) and len(_COLUMN_GAP.findall(chunk[end])) >= 2:
            end += 1
        rows = chunk[start:end]
        if len(rows) < 2 or not set.intersection(*map(_starts, rows)):
            start = max(end, start + 1)
            continue
        widest = max(_cells(row.rstrip()) for row in rows)
        fit = min(size, math.floor(20 * box / max(widest, 1)) / 10)
        if fit >= _SMALLEST_TABLE:
            sizes[start:end] = [fit] * (end - start)
        start = end
    return sizes


def _lay_out(text: str, style: _Style, advance: Callable[[str], float]) -> list[list[Placed]]:
    """Place the lines of ``text`` on pages: a list of :data:`Placed` lines per page."""
    left, _, right, _ = GBT9704_MARGINS
    box = A4[0] - left - right
    pages: list[list[Placed]] = []
    for chunk in _clean(text):
        pages.append([])
        y = style.first_baseline
        for paragraph, table in zip(chunk, _table_sizes(chunk, box, style.size)):
            if table:
                lines, pad, size, cell = [paragraph.rstrip()], 0.0, table, table / 2
            else:
                pad = style.indent if paragraph[:1] not in ("", " ", "\u3000") else 0.0
                lines, size, cell = _wrap(paragraph, box - pad, advance), style.size, 0.0
            for number, line in enumerate(lines):
                if y > style.last_baseline:
                    pages.append([])
                    y = style.first_baseline
                if line:
                    pages[-1].append((left + (0.0 if number else pad), y, line, size, cell))
                y += size * _TABLE_LEADING if table else style.leading
    return pages


def _write_page(page: pymupdf.Page, lines: list[Placed], fonts: tuple[pymupdf.Font, ...]) -> None:
    """Write the placed lines of one page, in reading order.

    Ordinary lines share one writer. A table row is written word by word, each word by a
    writer of its own at its cell of the grid (inside a word the faces' advances are kept,
    so readers see no gaps in it): a writer joins the words of one baseline into one string
    whose gaps it computes from its own advances, which differ a little from the embedded
    font's widths, and the columns would drift along the row."""
    pending, used = pymupdf.TextWriter(page.rect), False
    for x, y, line, size, cell in lines:
        if not cell:
            append_line(pending, (x, y), line, fonts, size)
            used = True
            continue
        if used:  # what comes before the row is drawn before it (extractors keep the order)
            pending.write_text(page)
            pending, used = pymupdf.TextWriter(page.rect), False
        for word in _WORD.finditer(line):
            alone = pymupdf.TextWriter(page.rect)
            append_line(alone, (x + _cells(line[: word.start()]) * cell, y), word.group(), fonts,
                        size)
            alone.write_text(page)
    if used:
        pending.write_text(page)


def text_to_pdf(text: str, title: str, language: Language) -> bytes:
    """Lay out a plain-text draft on A4 pages with GB/T 9704-like margins; return PDF bytes.

    Each line of ``text`` is a paragraph (Chinese paragraphs get the customary two-character
    indent unless they already start with spaces); blank lines are kept as space; a form
    feed starts a new page. Rows of a table lined up with spaces keep their columns: they
    are set unwrapped on a grid of character cells (see :func:`_table_sizes`). Fonts are
    embedded and subset, so the text re-extracts with
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
            _write_page(page, lines, fonts)
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
