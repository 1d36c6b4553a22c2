"""The camera-robust page fingerprint (:mod:`pipeline.screenprint_layer`), read back from
photographed or screen-captured pages by the ``screen-fingerprint`` reader."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mijian.pipeline.layers.base import Stamper, StampLayer

if TYPE_CHECKING:
    from mijian.pipeline.formats.pdf.stamping import PdfSheet


def _pdf_sheet(context: PdfSheet) -> None:
    from mijian.pipeline.screenprint_layer import draw_pdf

    draw_pdf(context.sheet, context.copy.stamp)


LAYER = StampLayer("screen-fingerprint", "screen-fingerprint", (
    Stamper("pdf", "sheet", _pdf_sheet),
))
