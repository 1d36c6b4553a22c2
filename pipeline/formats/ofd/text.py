"""The text of OFD pages in reading order.

Each TextCode gives the position of its first character (``X``, ``Y`` inside the object's
``Boundary``) and the advances to the next ones (``DeltaX``/``DeltaY``, where ``g n d`` means
``n`` times ``d``). Every character gets its own position; a page's characters are grouped
into lines by baseline (within 40 % of the type size), each line read left to right, and a
space put where the gap to the previous character is wider than one character. Object
transforms (``CTM``) are applied to positions, so a scaled or moved object reads in place; the
text of a turned object (a diagonal watermark) is kept whole as one run at its start.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from mijian.pipeline.formats.ofd.package import children, local
from mijian.pipeline.formats.ofd.structure import numbers


@dataclass(frozen=True)
class Glyph:
    """One character placed on a page (mm, y down) with its type size."""

    x: float
    y: float
    char: str
    size: float


def deltas(text: str | None) -> list[float]:
    """Expand an OFD delta list, ``g n d`` standing for ``n`` copies of ``d``."""
    items = (text or "").split()
    out: list[float] = []
    index = 0
    while index < len(items) and len(out) < 100_000:
        if items[index] == "g" and index + 2 < len(items):
            count = numbers(items[index + 1])
            value = numbers(items[index + 2])
            if count and value:
                out.extend([value[0]] * min(int(count[0]), 100_000))
            index += 3
            continue
        out.extend(numbers(items[index]))
        index += 1
    return out


def _matrix(element: etree._Element) -> tuple[float, ...]:
    """The object's CTM, or the identity when it has none or a malformed one."""
    ctm = numbers(element.get("CTM"))
    return tuple(ctm) if len(ctm) == 6 else (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def text_glyphs(element: etree._Element) -> list[Glyph]:
    """The characters of one TextObject, each at its page position."""
    boundary = numbers(element.get("Boundary"))
    left, top = (boundary[0], boundary[1]) if len(boundary) >= 2 else (0.0, 0.0)
    size = (numbers(element.get("Size")) or [3.5])[0]
    a, b, c, d, e, f = _matrix(element)
    glyphs: list[Glyph] = []
    x = y = 0.0
    for code in children(element, "TextCode"):
        text = code.text or ""
        x = (numbers(code.get("X")) or [x])[0]
        y = (numbers(code.get("Y")) or [y])[0]
        if abs(b) > 1e-6 or abs(c) > 1e-6:  # turned text (a watermark): one run at its start
            glyphs.append(Glyph(left + a * x + c * y + e, top + b * x + d * y + f, text, size))
            continue
        dx, dy = deltas(code.get("DeltaX")), deltas(code.get("DeltaY"))
        for index, char in enumerate(text):
            px, py = a * x + c * y + e, b * x + d * y + f
            glyphs.append(Glyph(left + px, top + py, char, size * max(abs(a), abs(d), 0.01)))
            x += dx[index] if index < len(dx) else size
            y += dy[index] if index < len(dy) else 0.0
    return glyphs


def page_glyphs(objects: list[etree._Element]) -> list[Glyph]:
    """Every character of the text objects among ``objects``."""
    return [glyph for element in objects if local(element.tag) == "TextObject"
            for glyph in text_glyphs(element)]


def lines(glyphs: list[Glyph]) -> list[list[Glyph]]:
    """The characters grouped into lines by baseline, top to bottom, each left to right."""
    found: list[list[Glyph]] = []
    for glyph in sorted(glyphs, key=lambda g: (g.y, g.x)):
        if found and abs(found[-1][0].y - glyph.y) <= 0.4 * max(glyph.size, found[-1][0].size):
            found[-1].append(glyph)
        else:
            found.append([glyph])
    return [sorted(line, key=lambda g: g.x) for line in found]


def reading_order(glyphs: list[Glyph]) -> str:
    """The characters as lines of text: by baseline, then left to right."""
    out: list[str] = []
    for line in lines(glyphs):
        parts: list[str] = []
        previous: Glyph | None = None
        for glyph in line:
            if previous is not None and glyph.x - previous.x > 1.6 * max(previous.size, 0.1):
                parts.append(" ")
            parts.append(glyph.char)
            previous = glyph
        text = "".join(parts).strip()
        if text:
            out.append(text)
    return "\n".join(out)


def line_ends(glyphs: list[Glyph]) -> list[tuple[float, float]]:
    """Where each line of text ends (mm): one character width past its last visible
    character, on its baseline; turned runs are left out."""
    ends = []
    for line in lines([g for g in glyphs if len(g.char) == 1]):
        shown = [g for g in line if not g.char.isspace()]
        if shown:
            ends.append((shown[-1].x + shown[-1].size, shown[-1].y))
    return ends
