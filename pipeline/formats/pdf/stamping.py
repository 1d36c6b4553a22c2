"""The surfaces of a PDF copy that fingerprint layers are drawn on, and what each stamper is
given there (see :mod:`pipeline.layers`).

The copy is the prepared draft with an overlay document grafted onto it: one overlay page
per draft page and one overlay sheet per page size, shown on every page of that size. The
surfaces, in the order the writer visits them:

- ``draft``: the draft's own pages, before the overlay is made (once per copy);
- ``overlay``: the new overlay, before its pages are drawn (once per copy): a layer may add
  a row to the bottom band, glyphs to the fonts to embed, or a shared object;
- ``page``: each page's overlay page, before the marking rows are written on it;
- ``sheet``: each page size's overlay sheet, shown over the content and the marks;
- ``file``: the finished document, before it is saved encrypted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mijian.pipeline.model import CopyStamp

if TYPE_CHECKING:
    import pymupdf

    from mijian.pipeline.formats.pdf.marks import Row
    from mijian.pipeline.formats.pdf.sheets import PageFacts

SURFACES = ("draft", "overlay", "page", "sheet", "file")
"""The surfaces the PDF writer offers, in the order it stamps them."""


@dataclass(frozen=True)
class PdfDraft:
    """Surface ``draft``: the opened draft ``doc`` and its page facts; a layer that could not
    be written into some page adds that page's number to ``apart`` (it is then drawn on the
    page's overlay page instead). ``known``: a scratch dict shared by the copies of this one
    draft in a run (None when there is none), where a layer may keep what it worked out on
    the draft's pages for the next copy (each copy starts from the same prepared draft)."""

    doc: pymupdf.Document
    stamp: CopyStamp
    facts: tuple[PageFacts, ...]
    apart: set[int] = field(default_factory=set)
    known: dict | None = None


@dataclass(frozen=True)
class PdfOverlay:
    """Surface ``overlay``: the new overlay document, the faces of the marks, the texts
    drawn per face (fonts are subset from it), the bottom band's rows (outermost first),
    the pages of the draft that need layers drawn apart, and ``shared``: objects a layer
    makes once per copy and shows on every page, under the layer's name."""

    overlay: pymupdf.Document
    stamp: CopyStamp
    fonts: dict[str, tuple[pymupdf.Font, ...]]
    drawn: list[tuple[tuple[pymupdf.Font, ...], str]]
    bottom: list[Row]
    apart: frozenset[int]
    shared: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PdfPage:
    """Surface ``page``: the overlay page ``sheet`` of page ``number``; ``facts`` of the draft
    page, the rect its content moves into (None: it stays), where its body ends up, and the
    height of the bottom band."""

    sheet: pymupdf.Page
    copy: PdfOverlay
    number: int
    facts: PageFacts
    target: pymupdf.Rect | None
    body: pymupdf.Rect
    bottom_height: float


@dataclass(frozen=True)
class PdfSheet:
    """Surface ``sheet``: the overlay sheet shown on every page of its size."""

    sheet: pymupdf.Page
    copy: PdfOverlay


@dataclass(frozen=True)
class PdfFile:
    """Surface ``file``: the finished document, marks grafted, not yet saved."""

    doc: pymupdf.Document
    stamp: CopyStamp
