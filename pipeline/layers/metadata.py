"""The signed token in the file's properties (with the marking in its subject), read back by
the ``metadata`` reader."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mijian.pipeline.layers.base import Stamper, StampLayer

if TYPE_CHECKING:
    from mijian.pipeline.formats.pdf.stamping import PdfFile


def _pdf_file(context: PdfFile) -> None:
    from mijian.pipeline.formats.pdf.metadata import set_metadata

    set_metadata(context.doc, context.stamp)


LAYER = StampLayer("metadata", "metadata", (
    Stamper("pdf", "file", _pdf_file),
))
