"""The signed token in the file's properties (with the marking in its subject), read back by
the ``metadata`` reader."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mijian.pipeline.layers.base import Stamper, StampLayer

if TYPE_CHECKING:
    from mijian.pipeline.formats.docx.stamping import DocxPackage
    from mijian.pipeline.formats.ofd.stamping import OfdFile
    from mijian.pipeline.formats.pdf.stamping import PdfFile


def _pdf_file(context: PdfFile) -> None:
    """The token in the Info dictionary and the XMP packet; Subject names the marking."""
    from mijian.pipeline.formats.pdf.metadata import set_metadata

    set_metadata(context.doc, context.stamp)


def _docx_package(context: DocxPackage) -> None:
    """The token as the custom document property ``MijianToken``."""
    from mijian.pipeline.formats.docx.archive import TOKEN_PROPERTY
    from mijian.pipeline.formats.docx.properties import set_custom_property

    context.data = set_custom_property(context.data, TOKEN_PROPERTY, context.stamp.token)


def _ofd_file(context: OfdFile) -> None:
    """The token as a CustomData entry of the document's DocInfo."""
    from mijian.pipeline.formats.ofd.copy import set_token

    set_token(context.ofd_root, context.stamp.token)


LAYER = StampLayer("metadata", "metadata", (
    Stamper("pdf", "file", _pdf_file),
    Stamper("docx", "package", _docx_package),
    Stamper("ofd", "file", _ofd_file),
))
