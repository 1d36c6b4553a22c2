"""PDF drafts, copies and leaks behind the format interface (PyMuPDF, and pypdf for the
self-check); the modules of this folder do the work."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from mijian.pipeline.errors import InputError, RegisterError
from mijian.pipeline.formats.common import make_document
from mijian.pipeline.formats.interface import Format, LeakKeys
from mijian.pipeline.limits import Limits
from mijian.pipeline.model import CopyStamp, Document, Evidence

_OTHERS = {"zip": "a ZIP/DOCX file", "ole": "an encrypted Office or legacy .doc file"}


def _what(data: bytes) -> str:
    """What a file named .pdf is when it is not a PDF, for the message."""
    head = data[:1024]
    if head.startswith(b"PK\x03\x04"):
        return _OTHERS["zip"]
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return _OTHERS["ole"]
    return "not a PDF"


class PdfFormat(Format):
    """PDF: drafts read page by page, copies marked and AES-256 encrypted with a recipient's
    and an office password, leaks read for their tokens and text and rendered for their
    page marks."""

    name = "pdf"
    extensions = (".pdf",)
    drafts = True
    copies = True
    separate_owner_password = True

    def sniff(self, data: bytes) -> bool:
        """``%PDF-`` within the first kilobyte (where readers look for it)."""
        return b"%PDF-" in data[:1024]

    def read(self, data: bytes, source: str, limits: Limits) -> Document:
        """Every page's text, refusing content that is not a PDF by its first bytes."""
        if not self.sniff(data):
            raise InputError(f"{source}: named .pdf but the content is {_what(data)}; expected a "
                             "PDF; give the file its right extension")
        from mijian.pipeline.formats.pdf.opening import read_pdf_pages

        pages = read_pdf_pages(data, source, limits)
        return make_document(data, source, "pdf", "\n\n".join(pages), limits, pages)

    def write_copy(self, source: bytes, stamp: CopyStamp, out_path: Path, *, limits: Limits,
                   cache: dict[Any, Any] | None = None) -> None:
        """See :func:`pipeline.formats.pdf.copy.write_pdf_copy`."""
        from mijian.pipeline.formats.pdf import copy

        copy.write_pdf_copy(source, stamp, out_path, limits=limits, cache=cache)

    def self_check(self, path: Path, stamp: CopyStamp, office_password: str | None,
                   limits: Limits) -> None:
        """See :func:`pipeline.formats.pdf.selfcheck.self_check_pdf` (one parse, no layout)."""
        from mijian.pipeline.formats.pdf.selfcheck import self_check_pdf

        self_check_pdf(path, stamp, office_password)

    def warm_up(self) -> None:
        """The writer (PyMuPDF, the layers, numpy, the QR encoder) and the self-check (pypdf
        and its stream filters): everything the first copy would otherwise import on its own
        way, while the issuing process still reads and classifies the draft (segno alone
        brings in urllib, http and email)."""
        import pypdf.filters  # noqa: F401
        import segno  # noqa: F401

        from mijian.pipeline import screenprint_layer  # noqa: F401
        from mijian.pipeline.formats.pdf import copy, metadata, selfcheck  # noqa: F401
        from mijian.watermark import pattern, qr, screenprint  # noqa: F401

    def decrypt(self, data: bytes, password: str, source: str) -> bytes:
        """The copy rewritten without encryption, opened with the user or owner password."""
        import pymupdf

        with pymupdf.open(stream=data, filetype="pdf") as doc:
            if not doc.authenticate(password):
                raise RegisterError(f"{source}: the password does not open the copy")
            return doc.tobytes(encryption=pymupdf.PDF_ENCRYPT_NONE, garbage=1)

    def read_evidence(self, path: Path, data: bytes, keys: LeakKeys, limits: Limits) -> Evidence:
        """Opened with the known and the office passwords; when the Info and XMP tokens
        differ, both are reported (both are marks, and both are weighed)."""
        if not self.sniff(data):
            raise InputError(f"{path}: named .pdf but is not a PDF; give the file its right extension")
        from mijian.pipeline.formats.pdf.evidence import both_tokens, read_pdf_evidence

        passwords = [*keys.known, *keys.office]
        evidence = read_pdf_evidence(path, passwords, limits)
        if any("tokens differ" in note for note in evidence.notes):
            tokens = both_tokens(data, str(path), passwords, limits)
            evidence = dataclasses.replace(evidence, token=" ".join(tokens) or evidence.token)
        return evidence

    def page_images(self, data: bytes, source: str, keys: LeakKeys, limits: Limits,
                    max_pages: int) -> list[Any] | None:
        """The first ``max_pages`` pages rendered (every page of a copy carries its page
        marks, so the first few suffice and the cost stays bounded)."""
        from mijian.pipeline.formats.pdf.evidence import render_leak

        return render_leak(data, source, [*keys.known, *keys.office], limits, max_pages)
