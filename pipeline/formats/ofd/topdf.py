"""An OFD draft laid out again as a PDF draft, for PDF copies of OFD drafts (``--as pdf``).

Each OFD page becomes a PDF page of the same size (mm to points). Filled text objects are set
character by character at their OFD positions (object transforms applied, as the reader and
the page renderer do) in PyMuPDF's built-in CJK face, with Times for the Latin-1 characters it
lacks, so the PDF's text extracts as the OFD's does and the PDF copy path can classify, mark
and fingerprint it like any PDF draft. A character neither face holds is left out rather than
refusing the draft (one odd symbol should not stop an issue). Path objects are filled and
stroked as polygons, curves and arcs straightened to their end points as in
:mod:`.render`. Image objects, clips, patterns and shadings are not carried over: the copy is
a faithful text layout, not a pixel-exact rendition (the OFD copy path keeps the original's
look). The package is opened with every check of :mod:`.package` and :mod:`.structure`, and a
page larger than the page renderer would draw is refused the same way.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from mijian.pipeline.errors import LimitExceeded
from mijian.pipeline.formats.ofd.package import local, problem
from mijian.pipeline.formats.ofd.reading import open_ofd
from mijian.pipeline.formats.ofd.render import RENDER_DPI, _rgb, _subpaths, _transform
from mijian.pipeline.formats.ofd.structure import OfdDocument, drawn_objects, page_size
from mijian.pipeline.formats.ofd.text import text_glyphs
from mijian.pipeline.limits import Limits

POINTS_PER_MM = 72 / 25.4


def _check_size(document: OfdDocument, width: float, height: float, limits: Limits) -> None:
    """Refuse a page the page renderer would refuse (its pixels at :data:`RENDER_DPI` over
    ``limits.max_image_pixels``): the PDF copy's own page images must stay drawable."""
    pixels = (width * RENDER_DPI / 25.4) * (height * RENDER_DPI / 25.4)
    if pixels > limits.max_image_pixels or width <= 0 or height <= 0:
        raise LimitExceeded(problem(document.package.source,
                                    f"a page of {width:.0f}x{height:.0f} mm (页面尺寸异常)",
                                    f"pages of at most {limits.max_image_pixels} pixels at "
                                    f"{RENDER_DPI} dpi", "raise MIJIAN_MAX_IMAGE_PIXELS only if it is trusted"))


def _font_for(char: str, fonts: tuple[Any, ...]) -> Any:
    """The first face holding ``char``, or None."""
    return next((font for font in fonts if font.has_glyph(ord(char))), None)


def _set_text(writer: Any, element: etree._Element, fonts: tuple[Any, ...]) -> None:
    """Append the characters of one filled text object at their page positions."""
    for glyph in text_glyphs(element):
        # a turned run (a diagonal watermark) comes as one glyph of several characters:
        # set level from its start, which keeps its text and its place on the page
        size = max(1.0, min(glyph.size * POINTS_PER_MM, 400.0))
        origin = (glyph.x * POINTS_PER_MM, glyph.y * POINTS_PER_MM)
        for char in glyph.char:
            font = None if char.isspace() else _font_for(char, fonts)
            if font is None:
                origin = (origin[0] + size / 2, origin[1])
                continue
            _, last = writer.append(origin, char, font=font, fontsize=size)
            origin = (last.x, origin[1])


def _color(rgb: tuple[int, ...]) -> tuple[float, float, float]:
    return (rgb[0] / 255, rgb[1] / 255, rgb[2] / 255)


def _draw_path(page: Any, element: etree._Element) -> None:
    """Fill and stroke one path object as polygons, with its colours and opacity."""
    from mijian.pipeline.formats.ofd.package import child
    from mijian.pipeline.formats.ofd.structure import numbers

    data = child(element, "AbbreviatedData")
    if data is None or not data.text:
        return
    shapes = [s for s in _subpaths(data.text, _transform(element, POINTS_PER_MM)) if len(s) > 1]
    if not shapes:
        return
    fill = element.get("Fill", "false") == "true"
    stroke = element.get("Stroke", "true") == "true"
    fill_rgb, fill_alpha = _rgb(element, "FillColor", (0, 0, 0))
    stroke_rgb, stroke_alpha = _rgb(element, "StrokeColor", (0, 0, 0))
    width = (numbers(element.get("LineWidth")) or [0.353])[0] * POINTS_PER_MM
    shape = page.new_shape()
    for points in shapes:
        shape.draw_polyline(points + ([points[0]] if fill else []))
    shape.finish(color=_color(stroke_rgb) if stroke else None,
                 fill=_color(fill_rgb) if fill else None, width=max(0.1, min(width, 50.0)),
                 stroke_opacity=stroke_alpha / 255, fill_opacity=fill_alpha / 255, closePath=False)
    shape.commit()


def ofd_to_pdf(data: bytes, source: str, limits: Limits) -> bytes:
    """The PDF draft of the OFD draft ``data`` (see the module's note); one-line errors for a
    hostile or damaged package as the OFD reader gives them."""
    import pymupdf

    from mijian.pipeline.formats.pdf.fonts import load_fonts

    document = open_ofd(data, source, limits)
    fonts = load_fonts("zh")
    pdf = pymupdf.open()
    try:
        for page_ref in document.pages:
            content = document.package.xml(page_ref.part)
            width, height = page_size(page_ref, content)
            _check_size(document, width, height, limits)
            page = pdf.new_page(width=width * POINTS_PER_MM, height=height * POINTS_PER_MM)
            writer = pymupdf.TextWriter(page.rect)
            for element in drawn_objects(document, content):
                kind = local(element.tag)
                if kind == "TextObject" and element.get("Fill", "true") != "false":
                    _set_text(writer, element, fonts)
                elif kind == "PathObject":
                    _draw_path(page, element)
            writer.write_text(page)
        pdf.subset_fonts()
        pdf.set_metadata({"creator": "mijian", "producer": "mijian"})
        return pdf.tobytes(garbage=3, deflate=True)
    finally:
        pdf.close()
