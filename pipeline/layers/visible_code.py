"""The printed code: the copy's signed code in small print at the foot of every page, read back
from the leak's text by the ``visible-code`` reader."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mijian.pipeline.layers.base import Stamper, StampLayer

if TYPE_CHECKING:
    from mijian.pipeline.formats.docx.stamping import DocxBody, DocxFooter
    from mijian.pipeline.formats.ofd.stamping import OfdBands
    from mijian.pipeline.formats.pdf.stamping import PdfOverlay


def _bottom_row(context: PdfOverlay | OfdBands) -> None:
    """Add the code as the outermost row of the bottom band (the band is laid out with it,
    by the same rules on PDF and OFD copies)."""
    from mijian.pipeline.formats.pdf.marks import code_row

    if context.stamp.visible_code:
        context.bottom.insert(0, code_row(context.stamp.visible_code))


def _docx_body(context: DocxBody) -> None:
    """The code as a small paragraph at the end of the body: it travels with the body's text
    (a copy of the whole text, LibreOffice's and Word's text exports, which leave text boxes,
    headers and footers out) and takes no room before the draft's text, so the pages break
    where the draft's do (only a last page filled to its foot gets a page more)."""
    from mijian.pipeline.formats.docx.body import code_paragraph

    if context.stamp.visible_code:
        body = context.body
        last = body[-1] if len(body) else None
        paragraph = code_paragraph(context.stamp.visible_code)
        if last is not None and last.tag.endswith("}sectPr"):
            last.addprevious(paragraph)
        else:
            body.append(paragraph)


def _docx_footer(context: DocxFooter) -> None:
    """The code right-aligned in every footer, above the banner."""
    from mijian.pipeline.formats.docx.body import code_paragraph

    if context.stamp.visible_code:
        context.footer.append(code_paragraph(context.stamp.visible_code, right=True))


LAYER = StampLayer("visible-code", "visible-code", (
    Stamper("pdf", "overlay", _bottom_row),
    Stamper("docx", "body", _docx_body),
    Stamper("docx", "footer", _docx_footer),
    Stamper("ofd", "bands", _bottom_row),
))
