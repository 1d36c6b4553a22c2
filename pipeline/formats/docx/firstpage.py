"""The first page's marking of a .docx copy: the marking lines in a text box in the top margin.

GB/T 9704 puts the 份号 and the grade line at the top-left corner of the first page's text
block. Paragraphs inserted at the start of the body would put them there, but they would also
push the draft's own text down, so every page of the copy would break where the draft's does
not. The lines (first-page mark, 份号 and grade, copy line, a reproduction's stamp) therefore
go into one borderless VML text box anchored in the first paragraph of the body, flush with
the text block's left edge, its last line standing right on the text block's top edge: it
sits in the top margin, is not wrapped around, and takes no room from the body, so Word and
LibreOffice lay the draft's text out exactly as in the draft. Text extractors read a text box after the paragraph it is
anchored in (:func:`pipeline.formats.docx.reading.story_blocks` does too).

Each line has an exact line height (:func:`line_height`), so the box's height is known
without laying the text out and its last line ends where the box ends. The header shown on
the first page stays clear of the box: when its text would reach down into it, the section's
header is moved up (never closer than :data:`MIN_HEADER_DISTANCE` to the page's edge); when
the top margin is too small even for that, the lines go at the start of the body instead,
taking room from it rather than covering the header.
"""

from __future__ import annotations

import math
from typing import Any

from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt
from docx.text.paragraph import Paragraph
from lxml import etree
from mijian.pipeline.formats.docx.body import STAMP_RED, line_paragraph
from mijian.pipeline.formats.docx.tiles import SPID_BASE
from mijian.pipeline.model import CopyStamp

_VML = "urn:schemas-microsoft-com:vml"
_OFFICE = "urn:schemas-microsoft-com:office:office"
_WORD10 = "urn:schemas-microsoft-com:office:word"
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_EMU_PER_POINT = 12700

BOX_TYPE = "_x0000_t202"
"""The id of VML's text-box shape type, which the marking box refers to."""

MIN_HEADER_DISTANCE = 18.0
"""The highest a header is moved to make room for the marking box (points from the page's
top edge, about 6 mm: inside what office printers print)."""

DEFAULT_WIDTH = 425.0
"""Width (points) of the box when the section does not give its page and margins."""


def line_height(size: float) -> float:
    """The exact height (points) of a marking line set at ``size`` points: 1.25 times the
    size, rounded up to a whole point, room for CJK glyphs without clipping them."""
    return float(math.ceil(size * 1.25))


def marking_lines(stamp: CopyStamp) -> list[tuple[Any, float]]:
    """The first page's marking lines as detached paragraphs, each with its size (points)."""
    marking = stamp.marking
    new: list[tuple[Any, float]] = []
    if marking.first_page_right:
        new.append((line_paragraph(marking.first_page_right, size=16, bold=True,
                                   align=WD_ALIGN_PARAGRAPH.RIGHT, east_asia="黑体"), 16))
    for index, text in enumerate(marking.first_page_lines):
        new.append((line_paragraph(text, size=16, align=WD_ALIGN_PARAGRAPH.LEFT,
                                   bold=index > 0, east_asia="黑体"), 16))
    if marking.copy_line:
        new.append((line_paragraph(marking.copy_line, size=12, align=WD_ALIGN_PARAGRAPH.LEFT,
                                   bold=True), 12))
    if marking.reproduction:  # 复制机关戳记 of a reproduced copy, under the marking lines
        new.append((line_paragraph(marking.reproduction, size=9, align=WD_ALIGN_PARAGRAPH.LEFT,
                                   color=STAMP_RED), 9))
    return new


def mark_first_page(document: Any, stamp: CopyStamp, number: int) -> None:
    """Put the marking lines in the marking box at the top of the first page; ``number``
    makes the box's shape id unique.

    Call it once the headers are marked: the header shown on the first page is lifted (see
    :func:`_lift_header`) when its text would reach down into the box. When even that leaves
    no room, or the body has no paragraph to anchor the box in, the lines are put at the start
    of the body as paragraphs instead: they then take room from the body, but never cover
    the header's text."""
    lines = marking_lines(stamp)
    if not lines:
        return
    body = document.element.body
    anchor = body.find(f".//{qn('w:p')}")
    height = sum(line_height(size) for _, size in lines)
    if anchor is None or not len(document.sections) or not _lift_header(document, height):
        for index, (paragraph, _) in enumerate(lines):
            body.insert(index, paragraph)
        return
    width = _text_width(document.sections[0])
    typed = any(t.get("id") == BOX_TYPE for t in body.iter(f"{{{_VML}}}shapetype"))
    at = 0 if anchor.find(qn("w:pPr")) is None else 1
    anchor.insert(at, box_run([p for p, _ in lines], [s for _, s in lines], width, number,
                              shapetype=not typed))


def _lift_header(document: Any, height: float) -> bool:
    """Make room for a box ``height`` points tall right above the first page's text block:
    when the text of the header shown there (:func:`header_height`) would end below the box's
    top, move that section's header up as far as needed, no higher than
    :data:`MIN_HEADER_DISTANCE`. False (and nothing changed) when the top margin cannot hold
    both."""
    section = document.sections[0]
    if section.top_margin is None or section.header_distance is None:
        return False
    header = (section.first_page_header if section.different_first_page_header_footer
              else section.header)
    needed = header_height(header.part.element, _grid_pitch(section))
    room = section.top_margin.pt - height - needed
    if room >= section.header_distance.pt:
        return True
    if room < MIN_HEADER_DISTANCE:
        return False
    section.header_distance = Pt(math.floor(room * 2) / 2)
    return True


def _grid_pitch(section: Any) -> float:
    """The section's document grid line pitch in points (0 when it gives none): LibreOffice
    sets every header line on it."""
    grid = section._sectPr.find(qn("w:docGrid"))
    pitch = grid.get(qn("w:linePitch")) if grid is not None else None
    return int(pitch) / 20 if pitch and pitch.isdigit() else 0.0


def header_height(root: Any, pitch: float) -> float:
    """An upper estimate (points) of how tall the text of a header is: each paragraph's
    line at 1.3 times its largest font size (10.5 points when none is set), or the grid
    pitch when that is more, plus the space the paragraph asks for before and after.
    Anchored shapes (the watermark, text boxes) take no room and are not counted."""
    total = 0.0
    for paragraph in root.iter(qn("w:p")):
        if any(a.tag == qn("w:txbxContent") for a in paragraph.iterancestors()):
            continue
        sizes = [int(v) / 2 for v in paragraph.xpath("./w:r/w:rPr/w:sz/@w:val")
                 if str(v).isdigit()]
        total += max(1.3 * max(sizes, default=10.5), pitch)
        for spacing in paragraph.xpath("./w:pPr/w:spacing"):
            for key in ("before", "after"):
                value = spacing.get(qn(f"w:{key}"))
                total += int(value) / 20 if value and value.isdigit() else 0.0
    return total


def _text_width(section: Any) -> float:
    """The width of the section's text block in points."""
    try:
        width = (section.page_width - section.left_margin - section.right_margin) / _EMU_PER_POINT
    except TypeError:  # the draft leaves the page size or a margin out
        return DEFAULT_WIDTH
    return width if width > 0 else DEFAULT_WIDTH


def box_run(paragraphs: list[Any], sizes: list[float], width: float, number: int, *,
            shapetype: bool = True) -> Any:
    """A ``w:r`` holding the borderless VML text box of ``paragraphs`` (set at ``sizes``, each
    line given its exact :func:`line_height`), ``width`` points wide, its left edge on the
    text block's and its bottom on the text block's top edge, not wrapped around (it takes
    no room from the body). ``shapetype`` adds the text-box shape type the box refers to
    (leave it out when the body already defines it)."""
    height = 0.0
    for paragraph, size in zip(paragraphs, sizes):
        fmt = Paragraph(paragraph, None).paragraph_format  # type: ignore[arg-type]
        fmt.line_spacing = Pt(line_height(size))  # a length: exactly this high
        height += line_height(size)
    run = OxmlElement("w:r", nsdecls={"w": _W, "v": _VML, "o": _OFFICE, "w10": _WORD10})
    pict = etree.SubElement(run, qn("w:pict"))
    if shapetype:
        kind = etree.SubElement(pict, f"{{{_VML}}}shapetype", {
            "id": BOX_TYPE, "coordsize": "21600,21600", f"{{{_OFFICE}}}spt": "202",
            "path": "m,l,21600r21600,l21600,xe"})
        etree.SubElement(kind, f"{{{_VML}}}stroke", {"joinstyle": "miter"})
        etree.SubElement(kind, f"{{{_VML}}}path", {"gradientshapeok": "t",
                                                   f"{{{_OFFICE}}}connecttype": "rect"})
    style = ";".join([
        "position:absolute", "margin-left:0", f"margin-top:{-height:.1f}pt",
        f"width:{width:.1f}pt", f"height:{height:.1f}pt", f"z-index:{251_660_000 + number}",
        "mso-position-horizontal:absolute", "mso-position-horizontal-relative:margin",
        "mso-position-vertical:absolute", "mso-position-vertical-relative:margin",
        "v-text-anchor:bottom"])
    shape = etree.SubElement(pict, f"{{{_VML}}}shape", {
        "id": f"MijianMarking{number}", f"{{{_OFFICE}}}spid": f"_x0000_s{SPID_BASE + number}",
        "type": f"#{BOX_TYPE}", "style": style, f"{{{_OFFICE}}}allowincell": "f",
        "filled": "f", "stroked": "f"})
    box = etree.SubElement(shape, f"{{{_VML}}}textbox", {"inset": "0,0,0,0"})
    content = etree.SubElement(box, qn("w:txbxContent"))
    for paragraph in paragraphs:
        content.append(paragraph)
    etree.SubElement(shape, f"{{{_WORD10}}}wrap", {"type": "none", "anchorx": "margin",
                                                    "anchory": "margin"})
    return run
