"""The surfaces of a .docx copy that fingerprint layers are drawn on, and what each stamper is
given there (see :mod:`pipeline.layers`).

The surfaces, in the order the writer visits them:

- ``body``: the document body, before the first page's marking lines are placed (in a text
  box in the top margin, or, when it has no room there, as paragraphs at the start of the
  body, before what a layer inserts there; see :mod:`pipeline.formats.docx.firstpage`);
- ``header``: each header in use, after its marking lines (``number`` is the first of
  :data:`~pipeline.formats.docx.tiles.TILE_SLOTS` shape numbers kept for it, so shape ids stay
  unique);
- ``footer``: each footer in use, before its banner (a paragraph a layer appends sits above it);
- ``document``: the whole document once, after headers and footers are marked;
- ``picture``: the picture laid behind the text of every page of one size: a layer paints
  it (or makes it, when it is still None); nothing is laid when no layer made one;
- ``package``: the saved package bytes, before they are encrypted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mijian.pipeline.model import CopyStamp

SURFACES = ("body", "header", "footer", "document", "picture", "package")
"""The surfaces the DOCX writer offers, in the order it stamps them."""


@dataclass(frozen=True)
class DocxBody:
    """Surface ``body``: the python-docx document and its ``w:body`` element."""

    document: Any
    body: Any
    stamp: CopyStamp


@dataclass(frozen=True)
class DocxHeader:
    """Surface ``header``: one header's element, the first of the shape numbers kept for it
    (``number`` up to ``number + TILE_SLOTS - 1``, see :mod:`pipeline.formats.docx.tiles`),
    and the width and height in points of the largest page it is shown on."""

    header: Any
    stamp: CopyStamp
    number: int
    width: float
    height: float


@dataclass(frozen=True)
class DocxFooter:
    """Surface ``footer``: one footer's element."""

    footer: Any
    stamp: CopyStamp


@dataclass(frozen=True)
class DocxDocument:
    """Surface ``document``: the python-docx document."""

    document: Any
    stamp: CopyStamp


@dataclass
class DocxPicture:
    """Surface ``picture``: the page picture of ``width`` x ``height`` pixels at ``dpi``. Not a
    value but a canvas: ``image`` is None until a layer makes it (an RGBA Pillow image), and
    a later layer may replace it with a painted one."""

    stamp: CopyStamp
    width: int
    height: int
    dpi: int
    image: Any = None


@dataclass
class DocxPackage:
    """Surface ``package``: the saved, unencrypted package; a layer replaces ``data``."""

    stamp: CopyStamp
    data: bytes
