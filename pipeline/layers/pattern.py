"""The keyed page pattern (:mod:`watermark.pattern`): faint dots over every page carrying the
copy's number, read back from page images by the ``page-fingerprint`` reader."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mijian.pipeline.layers.base import Stamper, StampLayer

if TYPE_CHECKING:
    from mijian.pipeline.formats.docx.stamping import DocxPicture
    from mijian.pipeline.formats.ofd.stamping import OfdPage
    from mijian.pipeline.formats.pdf.stamping import PdfSheet


def _pdf_sheet(context: PdfSheet) -> None:
    """Vector dots over the whole sheet shown on every page of its size."""
    from mijian.pipeline.formats.pdf.sheets import draw_pattern

    draw_pattern(context.sheet, context.copy.stamp)


def _docx_picture(context: DocxPicture) -> None:
    """Make the page picture: the dots on a transparent page, laid behind the text."""
    stamp = context.stamp
    if not stamp.pattern_key or not stamp.pattern_payload:
        return
    from mijian.watermark.pattern import NUMBER_PARAMS, PatternKey, make_overlay

    key = PatternKey(stamp.pattern_key, NUMBER_PARAMS)
    context.image = make_overlay(context.width, context.height, stamp.pattern_payload, key,
                                 dpi=context.dpi)


def _ofd_over(context: OfdPage) -> None:
    """One path object per darkness of the dots, over the marks."""
    from mijian.pipeline.formats.ofd.marks import pattern

    context.drawn.extend(pattern(context.painter, context.stamp, context.page))


LAYER = StampLayer("page-fingerprint", "page-fingerprint", (
    Stamper("pdf", "sheet", _pdf_sheet),
    Stamper("docx", "picture", _docx_picture),
    Stamper("ofd", "over", _ofd_over),
))
