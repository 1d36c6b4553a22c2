"""Lay out a plain-text draft as an A4 PDF with GB/T 9704-like margins (the base of the copies
of a text draft).
"""

from __future__ import annotations

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
