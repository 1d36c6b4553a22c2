"""The visible watermark: the recipient's name and 份号 tiled faintly over every page, a deterrent
for whoever sees the page. Read back by the tracer's ``visible-text`` layer (compared with the
copies of the document, see :data:`pipeline.trace_readers.TRACED_APART`): unsigned, it only
indicates a copy, since anyone can type a name and a number."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mijian.pipeline.layers.base import Stamper, StampLayer

if TYPE_CHECKING:
    from mijian.pipeline.formats.docx.stamping import DocxHeader
    from mijian.pipeline.formats.ofd.stamping import OfdPage
    from mijian.pipeline.formats.pdf.stamping import PdfSheet


def _pdf_sheet(context: PdfSheet) -> None:
    """The tiled text, as glyph outlines, on the sheet shown on every page of its size."""
    from mijian.pipeline.formats.pdf.sheets import place_watermark

    copy = context.copy
    place_watermark(context.sheet, copy.stamp.watermark_text, copy.fonts["text"])


def _docx_header(context: DocxHeader) -> None:
    """A diagonal text watermark anchored in every header, behind the text of its pages."""
    from mijian.pipeline.formats.docx.headers import add_watermark

    add_watermark(context.header, context.stamp.watermark_text, context.number, context.width,
                  context.height)


def _ofd_under(context: OfdPage) -> None:
    """The tiled text objects, under the marking rows."""
    from mijian.pipeline.formats.ofd.marks import watermark

    context.drawn.extend(watermark(context.painter, context.stamp.watermark_text, context.page))


LAYER = StampLayer("watermark", "visible-text", (
    Stamper("pdf", "sheet", _pdf_sheet),
    Stamper("docx", "header", _docx_header),
    Stamper("ofd", "under", _ofd_under),
))
