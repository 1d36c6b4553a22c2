"""The printed code: the copy's signed code in small print at the foot of every page, read back
from the leak's text by the ``visible-code`` reader."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mijian.pipeline.layers.base import Stamper, StampLayer

if TYPE_CHECKING:
    from mijian.pipeline.formats.pdf.stamping import PdfOverlay


def _pdf_overlay(context: PdfOverlay) -> None:
    """Add the code as the outermost row of the bottom band (the band is laid out with it)."""
    from mijian.pipeline.formats.pdf.marks import code_row

    if context.stamp.visible_code:
        context.bottom.insert(0, code_row(context.stamp.visible_code))


LAYER = StampLayer("visible-code", "visible-code", (
    Stamper("pdf", "overlay", _pdf_overlay),
))
