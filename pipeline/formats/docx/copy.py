"""Write one issued copy of a .docx draft: marked, watermarked, tokened and encrypted.

The copy carries, in this order of robustness: the marking lines in a text box in the first
page's top margin, flush with the text block (taking no room from the body, so the copy breaks
lines and pages where the draft does; see :mod:`pipeline.formats.docx.firstpage`), the visible
code as the body's last paragraph (it travels with copied text), the banner, running line and visible
code in every header and footer, the text watermark tiled over the page from every header
(:mod:`pipeline.formats.docx.tiles`), the signed token as the custom document property
``MijianToken``, and the marking in the core ``subject``; the keyed page fingerprint
(:mod:`watermark.pattern`) is a transparent full-page picture anchored behind the text in
every header. The package is then encrypted (ECMA-376 agile, AES-256/SHA-512)
with the recipient's password.

Does not protect against: a recipient who opens the copy and deletes the marks, headers or
properties (the trace relies on the fingerprints that survive), screenshots of the text
without the watermark's page, or a password shared along with the file. Word shows header
content dimmed while the body is being edited, so a screenshot of Word's editing view carries
a fainter page fingerprint than a printout or a PDF export.
"""

from __future__ import annotations

import io
import os
import tempfile
import warnings
from pathlib import Path
from typing import Any

from mijian.pipeline.errors import InputError, MijianError
from mijian.pipeline.formats.docx.archive import check_docx_archive, problem
from mijian.pipeline.formats.docx.firstpage import mark_first_page
from mijian.pipeline.formats.docx.headers import (
    ensure_headers_footers,
    free_shape_number,
    headers_in_use,
    mark_footer,
    mark_header,
    page_size,
)
from mijian.pipeline.formats.docx.pictures import add_page_pictures
from mijian.pipeline.formats.docx.reading import open_document
from mijian.pipeline.formats.docx.stamping import (
    DocxBody,
    DocxDocument,
    DocxFooter,
    DocxHeader,
    DocxPackage,
)
from mijian.pipeline.formats.docx.thumbnail import without_thumbnail
from mijian.pipeline.formats.docx.tiles import TILE_SLOTS
from mijian.pipeline.layers.registry import stamp as stamp_layers
from mijian.pipeline.limits import DEFAULT_LIMITS, Limits
from mijian.pipeline.model import CopyStamp
from msoffcrypto.format.ooxml import OOXMLFile


def write_docx_copy(
    source: bytes, stamp: CopyStamp, out_path: Path, *, limits: Limits = DEFAULT_LIMITS,
    cache: dict | None = None,
) -> None:
    """Write ``out_path``: the draft ``source`` marked for ``stamp`` and encrypted with its
    ``user_password`` (Word and LibreOffice ask for it on opening). The arguments are those
    of every copy writer; ``cache`` is accepted and unused (each copy re-reads the package).

    The file appears whole or not at all (written beside ``out_path``, then renamed). Any
    failure raises :class:`InputError` naming ``out_path``.
    """
    name = out_path.name
    if not stamp.user_password:
        raise InputError(problem(name, "the copy has no user password", "a non-empty password",
                                 "issue the copy again with a password"))
    draft = f"the draft for {name}"
    check_docx_archive(source, draft, limits)
    try:
        document = open_document(source, draft)
        _mark(document, stamp)
        buffer = io.BytesIO()
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # e.g. zipfile's "Duplicate name": a broken package
            document.save(buffer)
        package = DocxPackage(stamp, buffer.getvalue())
        stamp_layers("docx", "package", package)
        # the draft's thumbnail would show its unmarked first page: never part of a copy
        plain = without_thumbnail(package.data)
        sealed = io.BytesIO()
        OOXMLFile(io.BytesIO(plain)).encrypt(stamp.user_password, sealed)
    except MijianError:
        raise
    except UserWarning as exc:
        raise InputError(problem(
            name, f"the draft's package is inconsistent ({' '.join(str(exc).split())[:80]})",
            "a Word package with one part per name", "re-save the draft in Word or LibreOffice "
            "and issue again")) from exc
    except Exception as exc:  # third-party code on a draft may raise anything
        raise InputError(problem(
            name, f"the copy could not be made ({type(exc).__name__}: "
            f"{' '.join(str(exc).split())[:120]})", "a draft python-docx can mark and save",
            "re-save the draft in Word or LibreOffice and issue again")) from exc
    _write_whole(out_path, sealed.getvalue())


def _write_whole(out_path: Path, payload: bytes) -> None:
    temp: str | None = None
    try:
        handle, temp = tempfile.mkstemp(prefix=".", suffix=".part", dir=out_path.parent)
        with os.fdopen(handle, "wb") as stream:
            stream.write(payload)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp, out_path)
        temp = None
    except OSError as exc:
        raise InputError(problem(
            out_path.name, f"the copy could not be written ({type(exc).__name__}: {exc})",
            "a writable output folder", "check the folder, its permissions and free space",
        )) from exc
    finally:
        if temp is not None and os.path.exists(temp):
            os.unlink(temp)


def _mark(document: Any, stamp: CopyStamp) -> None:
    """Mark the document: the marking lines, banners and subject here, and every fingerprint
    layer the registry lists for DOCX copies on its surfaces (see
    :mod:`pipeline.formats.docx.stamping`)."""
    body = document.element.body
    if not document.element.sectPr_lst:
        body.get_or_add_sectPr()
    stamp_layers("docx", "body", DocxBody(document, body, stamp))
    headers, footers = ensure_headers_footers(document)
    sizes = {id(header._element): (width, height)
             for header, width, height in headers_in_use(document)}
    fallback = page_size(document.sections[0])  # a header defined but shown on no page
    first = free_shape_number([body, *headers, *footers])
    for index, header in enumerate(headers):
        width, height = sizes.get(id(header), fallback)
        mark_header(header, stamp)
        stamp_layers("docx", "header", DocxHeader(header, stamp, first + index * TILE_SLOTS,
                                                  width, height))
    for footer in footers:
        stamp_layers("docx", "footer", DocxFooter(footer, stamp))
        mark_footer(footer, stamp)
    # after the headers are marked: the box is kept clear of the first page's header text
    mark_first_page(document, stamp, first + len(headers) * TILE_SLOTS)
    stamp_layers("docx", "document", DocxDocument(document, stamp))
    add_page_pictures(document, stamp)
    document.core_properties.subject = marking_summary(stamp)


def marking_summary(stamp: CopyStamp) -> str:
    """One line naming the copy's marking and serial, e.g. ``机密★20年 份号000003``."""
    marking = stamp.marking
    parts: list[str] = []
    for piece in (*marking.first_page_lines, marking.first_page_right, marking.banner):
        piece = piece.strip()
        if piece and piece != marking.serial and piece not in parts:
            parts.append(piece)
    label = "份号" if stamp.language == "zh" else "Serial "
    head = " ".join(parts) or marking.grade
    return f"{head} {label}{marking.serial}".strip()
