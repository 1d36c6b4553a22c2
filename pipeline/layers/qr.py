"""The QR symbol of the printed code in the bottom-right margin of every page, read back from
page images by the ``qr-code`` reader."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mijian.pipeline.layers.base import Stamper, StampLayer

if TYPE_CHECKING:
    from mijian.pipeline.formats.docx.stamping import DocxDocument
    from mijian.pipeline.formats.ofd.stamping import OfdPage
    from mijian.pipeline.formats.pdf.stamping import PdfOverlay, PdfPage


def _pdf_overlay(context: PdfOverlay) -> None:
    """Make the symbol once per copy, as a form every page shows."""
    from mijian.pipeline.formats.pdf.forms import qr_form

    context.shared["qr-code"] = qr_form(context.overlay, context.stamp.visible_code)


def _pdf_page(context: PdfPage) -> None:
    """Show the symbol in the bottom-right margin when that corner is free."""
    from mijian.pipeline.formats.pdf.sheets import draw_qr, qr_rect

    rect = qr_rect(context.facts.rect, context.body, context.bottom_height)
    draw_qr(context.sheet, rect, context.copy.shared.get("qr-code", 0))


def _docx_document(context: DocxDocument) -> None:
    """The symbol right-aligned in every footer in use."""
    from mijian.pipeline.formats.docx.pictures import add_qr

    add_qr(context.document, context.stamp.visible_code)


def _ofd_over(context: OfdPage) -> None:
    """The symbol as squares in the bottom-right margin when that corner is free."""
    from mijian.pipeline.formats.ofd.marks import qr_mark

    element = qr_mark(context.painter, context.stamp.visible_code, context.page, context.body)
    if element is not None:
        context.drawn.append(element)


LAYER = StampLayer("qr-code", "qr-code", (
    Stamper("pdf", "overlay", _pdf_overlay),
    Stamper("pdf", "page", _pdf_page),
    Stamper("docx", "document", _docx_document),
    Stamper("ofd", "over", _ofd_over),
))
