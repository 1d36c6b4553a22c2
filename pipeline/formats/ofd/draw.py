"""OFD drawing objects for the marks of a copy: text objects with explicit advances, filled
path objects made of squares, all in millimetres with y downwards as OFD draws them.

Every character advance is written out (``DeltaX``), so a reader places each glyph where the
marks' layout put it whatever font it substitutes; :func:`advance` is that layout's rule.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator

from lxml import etree

MM_PER_POINT = 25.4 / 72
"""Millimetres per PDF point: the marks' sizes are given in points like the PDF copies'."""


def wide(char: str) -> bool:
    """Whether ``char`` takes a full em (CJK ideographs, kana, full-width forms)."""
    code = ord(char)
    return (code >= 0x2E80 and not 0xFF61 <= code <= 0xFFDC) or char in "★☆●○"


def advance(char: str, size: float) -> float:
    """The advance of ``char`` at type ``size`` in the marks' layout."""
    return size if wide(char) else 0.55 * size


def text_width(text: str, size: float) -> float:
    """Width of ``text`` at type ``size`` in the marks' layout."""
    return sum(advance(char, size) for char in text)


def _fmt(value: float) -> str:
    """A number as OFD writes it: three decimals at most, no trailing zeros."""
    return f"{value:.3f}".rstrip("0").rstrip(".") or "0"


class Ids:
    """Object IDs of new content: from one past the largest ID the package uses."""

    def __init__(self, start: int) -> None:
        self.last = start

    def next(self) -> str:
        """A new unique ID."""
        self.last += 1
        return str(self.last)


class Painter:
    """Makes drawing objects in the namespace of the page they go in."""

    def __init__(self, namespace: str, ids: Ids, font_id: str) -> None:
        self.ns = f"{{{namespace}}}" if namespace else ""
        self.ids, self.font_id = ids, font_id

    def _color(self, parent: etree._Element, name: str, rgb: tuple[int, int, int],
               alpha: int) -> None:
        """Add a colour child ``name`` to ``parent``; Alpha only when not opaque."""
        color = etree.SubElement(parent, self.ns + name, Value=" ".join(map(str, rgb)))
        if alpha < 255:
            color.set("Alpha", str(max(0, alpha)))

    def text(self, x: float, baseline: float, text: str, size: float,
             rgb: tuple[int, int, int] = (0, 0, 0), alpha: int = 255,
             angle: float = 0.0) -> etree._Element:
        """A TextObject of ``text`` starting at (``x``, ``baseline``), turned ``angle`` degrees
        anticlockwise about that point (all mm)."""
        width = text_width(text, size)
        element = etree.Element(self.ns + "TextObject", ID=self.ids.next(), Font=self.font_id,
                                Size=_fmt(size))
        if angle:
            turn = math.radians(angle)
            cos, sin = math.cos(turn), math.sin(turn)
            element.set("Boundary", f"{_fmt(x - width - size)} {_fmt(baseline - width - size)} "
                        f"{_fmt(2 * (width + size))} {_fmt(2 * (width + size))}")
            origin = width + size
            element.set("CTM", " ".join(_fmt(v) for v in (cos, -sin, sin, cos,
                                                          origin * (1 - cos) - origin * sin,
                                                          origin * (1 - cos) + origin * sin)))
            left = top = origin
        else:
            element.set("Boundary", f"{_fmt(x)} {_fmt(baseline - size)} {_fmt(width + 0.1)} "
                        f"{_fmt(size * 1.3)}")
            left, top = 0.0, size
        self._color(element, "FillColor", rgb, alpha)
        code = etree.SubElement(element, self.ns + "TextCode", X=_fmt(left), Y=_fmt(top))
        if len(text) > 1:
            code.set("DeltaX", " ".join(_fmt(advance(char, size)) for char in text[:-1]))
        code.text = text
        return element

    def squares(self, boxes: Iterable[tuple[float, float, float, float]], width: float,
                height: float, alpha: int = 255) -> etree._Element | None:
        """One filled PathObject of the squares ``(x0, y0, x1, y1)`` over a page of ``width``
        x ``height`` (black, at ``alpha``), or None when there are none."""
        data = " ".join(_square(box) for box in boxes)
        if not data:
            return None
        element = etree.Element(self.ns + "PathObject", ID=self.ids.next(),
                                Boundary=f"0 0 {_fmt(width)} {_fmt(height)}", Stroke="false",
                                Fill="true")
        self._color(element, "FillColor", (0, 0, 0), alpha)
        etree.SubElement(element, self.ns + "AbbreviatedData").text = data
        return element


def _square(box: tuple[float, float, float, float]) -> str:
    """One square as an OFD abbreviated path: move, three lines, close."""
    x0, y0, x1, y1 = (_fmt(v) for v in box)
    return f"M {x0} {y0} L {x1} {y0} L {x1} {y1} L {x0} {y1} C"


def qr_boxes(text: str, left: float, top: float,
             side: float) -> Iterator[tuple[float, float, float, float]]:
    """The dark modules of the QR symbol of ``text`` (with its quiet zone of two modules)
    fitted into the square at (``left``, ``top``) of ``side`` mm, merged along rows."""
    from mijian.watermark.qr import qr_symbol

    matrix = qr_symbol(text).matrix
    module = side / (len(matrix) + 4)
    for row_index, row in enumerate(matrix):
        start = None
        for col, dark in enumerate([*row, 0]):
            if dark and start is None:
                start = col
            elif not dark and start is not None:
                yield (left + (start + 2) * module, top + (row_index + 2) * module,
                       left + (col + 2) * module, top + (row_index + 3) * module)
                start = None
