"""The visible text watermark of a .docx copy: the recipient's name and 份号 tiled over the
page as faint VML text shapes anchored in a header, behind the text of every page that
header is shown on.

The page is cut into an even grid of cells (at least two across the short side and three
along the long one: 2 x 3 on A4 portrait, 3 x 2 on A4 landscape) and each cell holds one
copy of the line, turned like the PDF copies' tiles, so whichever part of a page is copied,
cropped or photographed still names the copy. Shapes are placed from the page's top-left
corner rather than the margins, so the tiling covers the margins as well.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from lxml import etree

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


_VML = "urn:schemas-microsoft-com:vml"


_OFFICE = "urn:schemas-microsoft-com:office:office"


_WORD10 = "urn:schemas-microsoft-com:office:word"


SPID_BASE = 2048
"""``o:spid`` values are ``_x0000_s`` followed by this plus the shape's number."""


TEXT_TYPE = "_x0000_t136"
"""The id of the VML text-path shape type the watermark shapes refer to."""


TILE_SLOTS = 32
"""Shape numbers reserved for one header: at most this many tiles, numbered from the
header's own number upwards, so ids stay unique across the document."""


CELL = 250.0
"""The wanted side of a grid cell in points (about 8.8 cm): one line of text per cell is
dense enough to mark any crop of a page and sparse enough to leave the text readable."""


MAX_HEIGHT = 60.0
"""The tallest a tile's text may be, in points; short texts stop growing here."""


MIN_HEIGHT = 10.0
"""The smallest a tile's text may be, in points; longer texts are squeezed instead."""


@dataclass(frozen=True)
class Tile:
    """One watermark shape: its box's top-left corner on the page and its size (points)."""

    left: float
    top: float
    width: float
    height: float


def _ems(text: str) -> float:
    """The text's width in ems (CJK one, spaces 0.3, other characters 0.6)."""
    return sum(1.0 if ord(ch) >= 0x2E80 else 0.3 if ch.isspace() else 0.6 for ch in text) or 1.0


def _grid(width: float, height: float) -> tuple[int, int]:
    """Columns and rows over a ``width`` x ``height`` page: cells of about :data:`CELL`,
    never fewer than two across the short side and three along the long one, and never more
    tiles than :data:`TILE_SLOTS`."""
    short, long = (2, 3) if width <= height else (3, 2)
    columns = max(short, round(width / CELL))
    rows = max(long, round(height / CELL))
    while columns * rows > TILE_SLOTS:  # a very large page: fewer, larger cells
        if columns >= rows:
            columns -= 1
        else:
            rows -= 1
    return columns, rows


def tiles(text: str, width: float, height: float) -> list[Tile]:
    """The tiles covering a ``width`` x ``height`` page (points): one per grid cell, centred in
    it, as long as the diagonal of the cell's largest inscribed square allows once turned (a
    little less, to leave a gap between neighbours) and as tall as the text needs to keep its
    proportions, within :data:`MIN_HEIGHT` and :data:`MAX_HEIGHT`."""
    columns, rows = _grid(width, height)
    cell_w, cell_h = width / columns, height / rows
    room = min(cell_w, cell_h) * math.sqrt(2) * 0.85
    ems = _ems(text)
    tall = max(min(room / ems, MAX_HEIGHT), MIN_HEIGHT)
    long = min(tall * ems, room)
    return [Tile((column + 0.5) * cell_w - long / 2, (row + 0.5) * cell_h - tall / 2, long, tall)
            for row in range(rows) for column in range(columns)]


def add_watermark(header: Any, text: str, number: int, width: float, height: float) -> None:
    """Anchor the tiled text watermark (:func:`watermark_run`, one per :func:`tiles`) in the
    first paragraph of ``header``, after its properties, for pages of ``width`` x ``height``
    points; shapes take the numbers ``number`` up to ``number + TILE_SLOTS - 1``."""
    if not text.strip():
        return
    typed = any(t.get("id") == TEXT_TYPE for t in header.iter(f"{{{_VML}}}shapetype"))
    carrier = header.find(qn("w:p"))
    if carrier is None:
        carrier = OxmlElement("w:p")
        header.insert(0, carrier)
    at = 0 if carrier.find(qn("w:pPr")) is None else 1
    for index, tile in enumerate(tiles(text, width, height)):
        carrier.insert(at + index, watermark_run(text, number + index, tile,
                                                 shapetype=not typed and index == 0))


def watermark_run(text: str, number: int, tile: Tile, *, shapetype: bool = True) -> Any:
    """A ``w:r`` holding one VML text watermark shape: ``text`` in light grey, half
    transparent, turned 315 degrees about its centre, in the box ``tile`` measured from the
    page's top-left corner, behind the text.

    ``number`` makes the shape's id unique in the document; ``shapetype`` adds the text-path
    shape type the shape refers to (leave it out when the part already defines it).
    """
    font = "SimHei" if any(ord(ch) >= 0x2E80 for ch in text) else "Arial"
    run = OxmlElement("w:r", nsdecls={"w": _W, "v": _VML, "o": _OFFICE, "w10": _WORD10})
    properties = etree.SubElement(run, qn("w:rPr"))
    etree.SubElement(properties, qn("w:noProof"))
    pict = etree.SubElement(run, qn("w:pict"))
    if shapetype:
        kind = etree.SubElement(pict, f"{{{_VML}}}shapetype", {
            "id": TEXT_TYPE, "coordsize": "21600,21600", f"{{{_OFFICE}}}spt": "136",
            "adj": "10800", "path": "m0,0l21600,0m0,21600l21600,21600e"})
        etree.SubElement(kind, f"{{{_VML}}}path", {"textpathok": "t"})
        etree.SubElement(kind, f"{{{_VML}}}textpath", {"on": "t", "fitshape": "t"})
        etree.SubElement(kind, f"{{{_OFFICE}}}lock",
                         {f"{{{_VML}}}ext": "edit", "text": "t", "shapetype": "t"})
    style = ";".join([
        "position:absolute", f"margin-left:{tile.left:.1f}pt", f"margin-top:{tile.top:.1f}pt",
        f"width:{tile.width:.1f}pt", f"height:{tile.height:.1f}pt", "rotation:315",
        f"z-index:-{251_650_000 + number}", "mso-position-horizontal:absolute",
        "mso-position-horizontal-relative:page", "mso-position-vertical:absolute",
        "mso-position-vertical-relative:page"])
    shape = etree.SubElement(pict, f"{{{_VML}}}shape", {
        "id": f"PowerPlusWaterMarkObject{number}",
        f"{{{_OFFICE}}}spid": f"_x0000_s{SPID_BASE + number}",
        "type": f"#{TEXT_TYPE}", "style": style, f"{{{_OFFICE}}}allowincell": "f",
        "fillcolor": "#c0c0c0", "stroked": "f"})
    etree.SubElement(shape, f"{{{_VML}}}fill", {"opacity": ".5"})
    etree.SubElement(shape, f"{{{_VML}}}textpath", {
        "style": f'font-family:"{font}";font-size:1pt', "string": text})
    etree.SubElement(shape, f"{{{_WORD10}}}wrap", {"anchorx": "page", "anchory": "page"})
    return run
