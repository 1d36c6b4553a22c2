"""The pictures of a .docx copy: the QR symbol of the printed code in every footer in use, and
the keyed page fingerprint as a transparent full-page picture behind the text of every page.
"""

from __future__ import annotations

import io
from typing import Any

from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Pt
from mijian.pipeline.formats.docx.headers import HEADER_SLOTS, carrier_paragraph, shown
from mijian.pipeline.formats.docx.stamping import DocxPicture
from mijian.pipeline.layers.registry import stamp as stamp_layers
from mijian.pipeline.layers.registry import stampers
from mijian.pipeline.model import CopyStamp


def add_qr(document: Any, code: str) -> None:
    """Put the QR symbol of the visible code, right-aligned, in every footer in use, so a
    printed and photographed page still carries a machine-readable signed code."""
    if not code:
        return
    from docx.shared import Cm
    from mijian.watermark.qr import qr_png

    png = qr_png(code)
    done: set[int] = set()
    for section in document.sections:
        for footer in (section.footer, section.first_page_footer, section.even_page_footer):
            if footer.is_linked_to_previous or id(footer.part) in done:
                continue
            done.add(id(footer.part))
            paragraph = footer.add_paragraph()
            paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            # single, automatic line spacing: a style with exact spacing would clip the symbol
            paragraph.paragraph_format.line_spacing = 1.0
            paragraph.paragraph_format.space_before = Pt(0)
            paragraph.add_run().add_picture(io.BytesIO(png), width=Cm(1.5))


PATTERN_DPI = 150
"""Resolution of the page-fingerprint image laid behind each page (its 2 px dots are 0.34 mm)."""


_EMU_PER_POINT = 12700


def add_page_pictures(document: Any, stamp: CopyStamp) -> None:
    """Lay the page picture the layers paint (surface ``picture``, see
    :mod:`pipeline.formats.docx.stamping`) behind the text of every page: one transparent
    picture per header in use, anchored to the page's top-left corner, so a rendered, printed
    or cropped page carries it. A header that sections of different page sizes share (a
    landscape section linked to a portrait one) gets a picture as wide and as tall as the
    largest of them; the page clips what lies beyond its edge. No layer painting: nothing."""
    if not stampers("docx", "picture"):
        return
    shape_id = _free_drawing_id(document)
    pngs: dict[tuple[int, int], bytes | None] = {}  # headers of one page size share one picture
    for header, width, height in _headers_in_use(document):
        size = (round(width / 72 * PATTERN_DPI), round(height / 72 * PATTERN_DPI))
        if size not in pngs:
            pngs[size] = _painted(stamp, size)
        png = pngs[size]
        if png is None:
            continue
        rid, _ = header.part.get_or_add_image(io.BytesIO(png))
        carrier = carrier_paragraph(header._element)
        anchor = carrier.find(qn("w:pPr"))
        carrier.insert(0 if anchor is None else 1,
                       _behind_text_picture(rid, shape_id, width, height))
        shape_id += 1


def _painted(stamp: CopyStamp, size: tuple[int, int]) -> bytes | None:
    """The page picture of ``size`` pixels as the layers paint it, as PNG; None if none did."""
    picture = DocxPicture(stamp, size[0], size[1], PATTERN_DPI)
    stamp_layers("docx", "picture", picture)
    if picture.image is None:
        return None
    buffer = io.BytesIO()
    picture.image.save(buffer, "PNG")
    return buffer.getvalue()


def _headers_in_use(document: Any) -> list[tuple[Any, float, float]]:
    """Every header shown on some page, once, with the largest page width and height (points)
    of the sections that show it (after :func:`ensure_headers_footers`)."""
    even = bool(document.settings.odd_and_even_pages_header_footer)
    found: dict[int, list[Any]] = {}
    for section in document.sections:
        width, height = _page_size(section)
        for kind, attribute in HEADER_SLOTS:
            if not shown(kind, section, even):
                continue
            header = getattr(section, attribute)
            entry = found.setdefault(id(header.part), [header, 0.0, 0.0])
            entry[1], entry[2] = max(entry[1], width), max(entry[2], height)
    return [(header, width, height) for header, width, height in found.values()]


def _page_size(section: Any) -> tuple[float, float]:
    """The section's page width and height in points (A4 when the draft does not say)."""
    width, height = section.page_width, section.page_height
    if not width or not height:
        return 595.3, 841.9
    return width / _EMU_PER_POINT, height / _EMU_PER_POINT


def _free_drawing_id(document: Any) -> int:
    """A drawing id above every ``wp:docPr`` id in the body, headers and footers."""
    used = [0]
    parts = [document.part, *(rel.target_part for rel in document.part.rels.values()
                              if not rel.is_external)]
    for part in parts:
        element = getattr(part, "_element", None)
        if element is None:
            continue
        for item in element.iter(qn("wp:docPr")):
            value = item.get("id") or ""
            if value.isdigit():
                used.append(int(value))
    return max(used) + 1


def _behind_text_picture(rid: str, shape_id: int, width: float, height: float) -> Any:
    """A ``w:r`` holding a picture anchored at the page's top-left corner, ``width`` x
    ``height`` points, behind the text, not moving the text, locked in place."""
    cx, cy = round(width * _EMU_PER_POINT), round(height * _EMU_PER_POINT)
    xml = (
        f'<w:r {nsdecls("w", "wp", "a", "pic", "r")}><w:rPr><w:noProof/></w:rPr><w:drawing>'
        f'<wp:anchor distT="0" distB="0" distL="0" distR="0" simplePos="0" '
        f'relativeHeight="{shape_id}" behindDoc="1" locked="1" layoutInCell="1" '
        f'allowOverlap="1"><wp:simplePos x="0" y="0"/>'
        f'<wp:positionH relativeFrom="page"><wp:posOffset>0</wp:posOffset></wp:positionH>'
        f'<wp:positionV relativeFrom="page"><wp:posOffset>0</wp:posOffset></wp:positionV>'
        f'<wp:extent cx="{cx}" cy="{cy}"/><wp:effectExtent l="0" t="0" r="0" b="0"/>'
        f'<wp:wrapNone/><wp:docPr id="{shape_id}" name="Page pattern {shape_id}"/>'
        f'<wp:cNvGraphicFramePr><a:graphicFrameLocks noChangeAspect="1"/></wp:cNvGraphicFramePr>'
        f'<a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture">'
        f'<pic:pic><pic:nvPicPr><pic:cNvPr id="{shape_id}" name="page-pattern.png"/>'
        f'<pic:cNvPicPr/></pic:nvPicPr><pic:blipFill><a:blip r:embed="{rid}"/>'
        f'<a:stretch><a:fillRect/></a:stretch></pic:blipFill><pic:spPr>'
        f'<a:xfrm><a:off x="0" y="0"/><a:ext cx="{cx}" cy="{cy}"/></a:xfrm>'
        f'<a:prstGeom prst="rect"><a:avLst/></a:prstGeom></pic:spPr></pic:pic>'
        f'</a:graphicData></a:graphic></wp:anchor></w:drawing></w:r>')
    return parse_xml(xml)
