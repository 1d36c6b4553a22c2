"""Built-in fonts and single lines of text for the PDF writers: which face sets each character,
how wide a line is, and one line appended to a PyMuPDF text writer.
"""

from __future__ import annotations

from collections.abc import Sequence

import pymupdf
from mijian.pipeline.model import Language


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
    text: str, fonts: Sequence[pymupdf.Font], known: dict | None = None
) -> list[tuple[pymupdf.Font, str]]:
    """Split ``text`` into runs, each set in the first font of ``fonts`` that has its glyphs.

    Spaces stay with the run they are in. Raises :class:`MissingGlyphs` naming the
    characters no font can show. ``known`` keeps each font's answer per character for the
    next texts (a question to MuPDF through its bindings costs more than the lookup).
    """
    runs: list[tuple[pymupdf.Font, str]] = []
    missing: list[str] = []
    has = known.setdefault("has-glyph", {}) if known is not None else None
    for ch in text:
        if has is None:
            font = next((f for f in fonts if f.has_glyph(ord(ch))), None)
        else:
            font = next((f for f in fonts if _has_glyph(has, f, ch)), None)
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


def _has_glyph(has: dict, font: pymupdf.Font, ch: str) -> bool:
    """Whether ``font`` has a glyph for ``ch``, asked once per font and character."""
    key = (font, ch)
    answer = has.get(key)
    if answer is None:
        answer = has[key] = bool(font.has_glyph(ord(ch)))
    return answer


def runs_width(runs: Sequence[tuple[pymupdf.Font, str]], fontsize: float, known: dict) -> float:
    """Width in points of ``runs`` at ``fontsize``: the same number, bit for bit, as the sum
    of each run's ``font.text_length(run, fontsize)``, which adds the advances of the run's
    glyphs in order and multiplies by the size. Here each font's advance per character is
    asked of MuPDF once (``known`` keeps it) and the same additions are made in the same
    order: the running header of every page of every copy is a new text, made of few
    characters."""
    advances = known.setdefault("advance", {})
    total: float = 0
    for font, run in runs:
        length: float = 0
        for ch in run:
            advance = advances.get((font, ch))
            if advance is None:
                advance = advances[(font, ch)] = font.text_length(ch, fontsize=1)
            length += advance
        total += length * fontsize
    return total


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
    return append_runs(writer, origin, font_runs(text, fonts), fontsize)


def append_runs(
    writer: pymupdf.TextWriter,
    origin: tuple[float, float],
    runs: Sequence[tuple[pymupdf.Font, str]],
    fontsize: float,
) -> float:
    """Append runs of :func:`font_runs` as one line at ``origin``; return its right end x."""
    x, y = origin
    for font, run in runs:
        x = _show(writer, (x, y), run, font, fontsize)
    return x


_PLAIN: dict[pymupdf.Font, bool] = {}
"""Whether each face may be shown by :func:`_show` directly (writable, not monospaced)."""


def _show(writer: pymupdf.TextWriter, origin: tuple[float, float], text: str,
          font: pymupdf.Font, fontsize: float) -> float:
    """Add ``text`` to ``writer`` at the baseline point ``origin``; return the x where it ends.

    The writer's ``append`` does this and then also measures the box of everything the
    writer holds so far and reads the face's flags, for every run; the marks need neither
    (the box is not used when the writer is written, and the flags are asked once per face
    here), and those asks were most of the cost of drawing a page's marks. MuPDF is given
    the same string, matrix and (unset) language, so the writer holds the same glyphs. A
    monospaced or unwritable face goes through ``append`` (it needs its checks)."""
    plain = _PLAIN.get(font)
    if plain is None:
        plain = _PLAIN[font] = bool(font.is_writable) and font.flags["mono"] != 1
    if not plain:
        _, last = writer.append(origin, text, font=font, fontsize=fontsize)
        return last.x
    from pymupdf import mupdf

    start = pymupdf.Point(origin) * writer.ictm
    matrix = mupdf.fz_make_matrix(fontsize, 0, 0, fontsize, start.x, start.y)
    end = mupdf.fz_show_string(writer.this, font.this, matrix, text, 0, 0, 0, mupdf.FZ_LANG_UNSET)
    return (pymupdf.Point(end.e, end.f) * writer.ctm).x
