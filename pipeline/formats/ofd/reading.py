"""Read the pages of an OFD package as text, and its token and signature facts."""

from __future__ import annotations

from dataclasses import dataclass

from mijian.pipeline.formats.ofd.package import OfdPackage
from mijian.pipeline.formats.ofd.structure import OfdDocument, drawn_objects, open_document
from mijian.pipeline.formats.ofd.text import page_glyphs, reading_order
from mijian.pipeline.limits import Limits


@dataclass(frozen=True)
class OfdText:
    """What a reader takes from an OFD package: the text of each page, the token (if any),
    and the signature list part (if the document is signed or sealed)."""

    pages: tuple[str, ...]
    token: str | None
    signatures: str | None


def open_ofd(data: bytes, source: str, limits: Limits) -> OfdDocument:
    """The checked package and its first document (see :mod:`.package`, :mod:`.structure`)."""
    return open_document(OfdPackage(data, source, limits), limits)


def read_ofd(data: bytes, source: str, limits: Limits) -> OfdText:
    """Every page's text in reading order; a one-line InputError for a hostile or damaged file."""
    document = open_ofd(data, source, limits)
    pages = []
    for page in document.pages:
        content = document.package.xml(page.part)
        pages.append(reading_order(page_glyphs(drawn_objects(document, content))))
    return OfdText(tuple(pages), document.token, document.signatures)
