"""The headers and footers of a .docx copy: every one shown on some page is made to exist, then
carries the banner, the running line and the printed code (the layers add the watermark, see
:mod:`pipeline.formats.docx.tiles`).
"""

from __future__ import annotations

import re
from typing import Any

from docx.enum.section import WD_HEADER_FOOTER
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from mijian.pipeline.formats.docx.body import RED, line_paragraph
from mijian.pipeline.formats.docx.tiles import SPID_BASE
from mijian.pipeline.model import CopyStamp

_VML = "urn:schemas-microsoft-com:vml"


_OFFICE = "urn:schemas-microsoft-com:office:office"


_SPID = re.compile(r"_x0000_s(\d+)")


_EMU_PER_POINT = 12700


HEADER_SLOTS = (
    (WD_HEADER_FOOTER.PRIMARY, "header"),
    (WD_HEADER_FOOTER.FIRST_PAGE, "first_page_header"),
    (WD_HEADER_FOOTER.EVEN_PAGE, "even_page_header"),
)


_FOOTER_SLOTS = (
    (WD_HEADER_FOOTER.PRIMARY, "footer"),
    (WD_HEADER_FOOTER.FIRST_PAGE, "first_page_footer"),
    (WD_HEADER_FOOTER.EVEN_PAGE, "even_page_footer"),
)


def ensure_headers_footers(document: Any) -> tuple[list[Any], list[Any]]:
    """Every header and footer root in effect on some page, creating the missing ones."""
    even = bool(document.settings.odd_and_even_pages_header_footer)
    headers: dict[int, Any] = {}
    footers: dict[int, Any] = {}
    for slots, found in ((HEADER_SLOTS, headers), (_FOOTER_SLOTS, footers)):
        defined: set[Any] = set()
        for section in document.sections:
            for kind, attribute in slots:
                item = getattr(section, attribute)
                active = shown(kind, section, even)
                if item.is_linked_to_previous:
                    if not active or kind in defined:
                        continue
                    item.is_linked_to_previous = False
                defined.add(kind)
                part = item.part
                found.setdefault(id(part), part.element)
    return list(headers.values()), list(footers.values())


def shown(kind: Any, section: Any, even: bool) -> bool:
    """Whether headers or footers of ``kind`` appear on some page of ``section`` (``even``:
    the document sets different odd and even pages)."""
    return (kind == WD_HEADER_FOOTER.PRIMARY
            or (kind == WD_HEADER_FOOTER.FIRST_PAGE and section.different_first_page_header_footer)
            or (kind == WD_HEADER_FOOTER.EVEN_PAGE and even))


def free_shape_number(roots: list[Any]) -> int:
    """A shape number above every ``o:spid`` already used, so ids stay unique."""
    used = [0]
    for root in roots:
        for element in root.iter(f"{{{_VML}}}*"):
            match = _SPID.fullmatch(element.get(f"{{{_OFFICE}}}spid") or "")
            if match:
                used.append(int(match.group(1)) - SPID_BASE)
    return max(used) + 1


def headers_in_use(document: Any) -> list[tuple[Any, float, float]]:
    """Every header shown on some page, once, as its root element with the largest page width
    and height (points) of the sections that show it (after :func:`ensure_headers_footers`).
    A header shared by sections of different sizes (a landscape section linked to a portrait
    one) is given the larger of each, so what is laid over its pages covers every one of them;
    each page clips what lies beyond its edge."""
    even = bool(document.settings.odd_and_even_pages_header_footer)
    found: dict[int, list[Any]] = {}
    for section in document.sections:
        width, height = page_size(section)
        for kind, attribute in HEADER_SLOTS:
            if not shown(kind, section, even):
                continue
            header = getattr(section, attribute)
            entry = found.setdefault(id(header.part), [header, 0.0, 0.0])
            entry[1], entry[2] = max(entry[1], width), max(entry[2], height)
    return [(header, width, height) for header, width, height in found.values()]


def page_size(section: Any) -> tuple[float, float]:
    """The section's page width and height in points (A4 when the draft does not say)."""
    width, height = section.page_width, section.page_height
    if not width or not height:
        return 595.3, 841.9
    return width / _EMU_PER_POINT, height / _EMU_PER_POINT


def mark_header(header: Any, stamp: CopyStamp) -> None:
    """Put the banner and running line at the start of ``header``."""
    marking = stamp.marking
    new: list[Any] = []
    if marking.banner:
        new.append(line_paragraph(marking.banner, size=12, align=WD_ALIGN_PARAGRAPH.CENTER, bold=True,
                         color=RED, east_asia="黑体"))
    if marking.running:
        new.append(line_paragraph(marking.running, size=9, align=WD_ALIGN_PARAGRAPH.CENTER))
    for index, paragraph in enumerate(new):
        header.insert(index, paragraph)


def carrier_paragraph(root: Any) -> Any:
    """The first paragraph of ``root``, made when it has none: where anchored shapes go."""
    paragraph = root.find(qn("w:p"))
    if paragraph is None:
        paragraph = OxmlElement("w:p")
        root.insert(0, paragraph)
    return paragraph


def mark_footer(footer: Any, stamp: CopyStamp) -> None:
    """Put the banner at the end of ``footer``."""
    marking = stamp.marking
    if marking.banner:
        footer.append(line_paragraph(marking.banner, size=12, align=WD_ALIGN_PARAGRAPH.CENTER,
                            bold=True, color=RED, east_asia="黑体"))
