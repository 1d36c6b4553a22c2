"""The camera-robust page fingerprint (:mod:`pipeline.screenprint_layer`), read back from
photographed or screen-captured pages by the ``screen-fingerprint`` reader."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mijian.pipeline.layers.base import Stamper, StampLayer

if TYPE_CHECKING:
    from mijian.pipeline.formats.docx.stamping import DocxPicture
    from mijian.pipeline.formats.ofd.stamping import OfdPage
    from mijian.pipeline.formats.pdf.stamping import PdfSheet


def _pdf_sheet(context: PdfSheet) -> None:
    """Grey and black squares over the sheet shown on every page of its size."""
    from mijian.pipeline.screenprint_layer import draw_pdf

    draw_pdf(context.sheet, context.copy.stamp)


def _docx_picture(context: DocxPicture) -> None:
    """Merge the marks into the page picture the page pattern made (DOCX copies carry this
    layer only with the page pattern, in the same picture)."""
    from mijian.pipeline.screenprint_layer import docx_overlay

    if context.image is not None:
        context.image = docx_overlay(context.image, context.stamp, context.dpi)


def _ofd_over(context: OfdPage) -> None:
    """Grey and black squares as path objects, over the marks."""
    from mijian.pipeline.formats.ofd.marks import screen_fingerprint

    context.drawn.extend(screen_fingerprint(context.painter, context.stamp, context.page))


LAYER = StampLayer("screen-fingerprint", "screen-fingerprint", (
    Stamper("pdf", "sheet", _pdf_sheet),
    Stamper("docx", "picture", _docx_picture),
    Stamper("ofd", "over", _ofd_over),
))
