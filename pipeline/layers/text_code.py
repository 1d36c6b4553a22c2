"""The invisible text code (:mod:`watermark.textcode`): zero-width characters after the body's
lines, carried by text copied out of the copy; read back by the ``text-code`` reader."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mijian.pipeline.layers.base import Stamper, StampLayer

if TYPE_CHECKING:
    from mijian.pipeline.formats.docx.stamping import DocxBody
    from mijian.pipeline.formats.ofd.stamping import OfdPage
    from mijian.pipeline.formats.pdf.stamping import PdfDraft, PdfOverlay, PdfPage


def _pdf_draft(context: PdfDraft) -> None:
    """Write the code into the draft's own text runs; pages where it cannot go are apart."""
    from mijian.pipeline.formats.pdf.sheets import inline_text_code

    known = context.known.setdefault("text-code", {}) if context.known is not None else None
    context.apart.update(inline_text_code(context.doc, context.stamp, context.facts, known))


def _pdf_overlay(context: PdfOverlay) -> None:
    """Keep every glyph the code may use in the embedded face (one face for marks and code)."""
    from mijian.pipeline.formats.pdf.sheets import code_glyphs

    context.drawn.append(((context.fonts["bold"][0],), code_glyphs(context.stamp)))


def _pdf_page(context: PdfPage) -> None:
    """Draw the code at the line ends of a page apart, as an invisible text run."""
    from mijian.pipeline.formats.pdf.sheets import draw_text_code

    copy = context.copy
    if context.number in copy.apart:
        draw_text_code(context.sheet, list(context.facts.line_ends), context.target,
                       copy.stamp.text_code, copy.fonts["bold"][0],
                       copy.shared.setdefault("text-code", []))


def _docx_body(context: DocxBody) -> None:
    """Put the code at the end of (and inside long) body paragraphs."""
    from mijian.pipeline.formats.docx.body import append_text_code

    append_text_code(context.body, context.stamp.text_code)


def _ofd_over(context: OfdPage) -> None:
    """Invisible text objects after the end of every body line."""
    from mijian.pipeline.formats.ofd.marks import text_code

    context.drawn.extend(text_code(context.painter, context.stamp.text_code, context.ends))


LAYER = StampLayer("text-code", "text-code", (
    Stamper("pdf", "draft", _pdf_draft),
    Stamper("pdf", "overlay", _pdf_overlay),
    Stamper("pdf", "page", _pdf_page),
    Stamper("docx", "body", _docx_body),
    Stamper("ofd", "over", _ofd_over),
))
