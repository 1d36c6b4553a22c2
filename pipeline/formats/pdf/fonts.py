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
