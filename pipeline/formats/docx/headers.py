"""The headers and footers of a .docx copy: every one shown on some page is made to exist, then
carries the banner, the running line, the printed code and the diagonal text watermark.
"""

from __future__ import annotations

import re
from typing import Any

from docx.enum.section import WD_HEADER_FOOTER
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from lxml import etree
from mijian.pipeline.formats.docx.body import RED, line_paragraph
from mijian.pipeline.model import CopyStamp

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


_VML = "urn:schemas-microsoft-com:vml"


_OFFICE = "urn:schemas-microsoft-com:office:office"


_WORD10 = "urn:schemas-microsoft-com:office:word"


_SPID = re.compile(r"_x0000_s(\d+)")


_SPID_BASE = 2048


_TEXT_TYPE = "_x0000_t136"


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
                used.append(int(match.group(1)) - _SPID_BASE)
    return max(used) + 1


def text_area(document: Any) -> tuple[float, float]:
    """Width and height of the first section's text area in points (A4 defaults)."""
    section = document.sections[0]
    try:
        width = section.page_width - section.left_margin - section.right_margin
        height = section.page_height - section.top_margin - section.bottom_margin
        return max(width / 12700, 144.0), max(height / 12700, 144.0)
    except TypeError:
        return 451.0, 698.0


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


def add_watermark(header: Any, text: str, number: int, width: float, height: float) -> None:
    """Anchor the diagonal text watermark (:func:`watermark_run`) in the first paragraph of
    ``header``, after its properties."""
    if not text:
        return
    typed = any(t.get("id") == _TEXT_TYPE for t in header.iter(f"{{{_VML}}}shapetype"))
    carrier = carrier_paragraph(header)
    anchor = carrier.find(qn("w:pPr"))
    run = watermark_run(text, number, width, height, shapetype=not typed)
    carrier.insert(0 if anchor is None else 1, run)


def carrier_paragraph(root: Any) -> Any:
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


def _ems(text: str) -> float:
    return sum(1.0 if ord(ch) >= 0x2E80 else 0.3 if ch.isspace() else 0.6 for ch in text) or 1.0


def watermark_run(text: str, number: int, width: float, height: float, *,
                  shapetype: bool = True) -> Any:
    """A ``w:r`` holding a VML text watermark: ``text`` in light grey, half transparent,
    turned 315 degrees, centred on the text area behind the text.

    ``number`` makes the shape's id unique in the document; ``width`` and ``height`` are the
    text area's size in points; ``shapetype`` adds the text-path shape type the shape refers
    to (leave it out when the part already defines it).
    """
    box = min(width, height) * 0.95
    tall = max(min(box / _ems(text), 160.0), 24.0)
    font = "SimHei" if any(ord(ch) >= 0x2E80 for ch in text) else "Arial"
    run = OxmlElement("w:r", nsdecls={"w": _W, "v": _VML, "o": _OFFICE, "w10": _WORD10})
    properties = etree.SubElement(run, qn("w:rPr"))
    etree.SubElement(properties, qn("w:noProof"))
    pict = etree.SubElement(run, qn("w:pict"))
    if shapetype:
        kind = etree.SubElement(pict, f"{{{_VML}}}shapetype", {
            "id": _TEXT_TYPE, "coordsize": "21600,21600", f"{{{_OFFICE}}}spt": "136",
            "adj": "10800", "path": "m0,0l21600,0m0,21600l21600,21600e"})
        etree.SubElement(kind, f"{{{_VML}}}path", {"textpathok": "t"})
        etree.SubElement(kind, f"{{{_VML}}}textpath", {"on": "t", "fitshape": "t"})
        etree.SubElement(kind, f"{{{_OFFICE}}}lock",
                         {f"{{{_VML}}}ext": "edit", "text": "t", "shapetype": "t"})
    style = ";".join([
        "position:absolute", "margin-left:0", "margin-top:0", f"width:{box:.1f}pt",
        f"height:{tall:.1f}pt", "rotation:315", f"z-index:-{251_650_000 + number}",
        "mso-position-horizontal:center", "mso-position-horizontal-relative:margin",
        "mso-position-vertical:center", "mso-position-vertical-relative:margin"])
    shape = etree.SubElement(pict, f"{{{_VML}}}shape", {
        "id": f"PowerPlusWaterMarkObject{number}",
        f"{{{_OFFICE}}}spid": f"_x0000_s{_SPID_BASE + number}",
        "type": f"#{_TEXT_TYPE}", "style": style, f"{{{_OFFICE}}}allowincell": "f",
        "fillcolor": "#c0c0c0", "stroked": "f"})
    etree.SubElement(shape, f"{{{_VML}}}fill", {"opacity": ".5"})
    etree.SubElement(shape, f"{{{_VML}}}textpath", {
        "style": f'font-family:"{font}";font-size:1pt', "string": text})
    etree.SubElement(shape, f"{{{_WORD10}}}wrap", {"anchorx": "margin", "anchory": "margin"})
    return run
