"""The keyed page pattern (:mod:`watermark.pattern`): faint dots over every page carrying the
copy's number, read back from page images by the ``page-fingerprint`` reader."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mijian.pipeline.layers.base import Stamper, StampLayer

if TYPE_CHECKING:
    from mijian.pipeline.formats.pdf.stamping import PdfSheet


def _pdf_sheet(context: PdfSheet) -> None:
    from mijian.pipeline.formats.pdf.sheets import draw_pattern

    draw_pattern(context.sheet, context.copy.stamp)


LAYER = StampLayer("page-fingerprint", "page-fingerprint", (
    Stamper("pdf", "sheet", _pdf_sheet),
))
