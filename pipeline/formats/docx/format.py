"""Word (.docx) drafts, copies and leaks behind the format interface (python-docx after the
archive checks, msoffcrypto for the encryption); the modules of this folder do the work."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from mijian.pipeline.errors import InputError, RegisterError
from mijian.pipeline.formats.common import make_document
from mijian.pipeline.formats.interface import (SELF_CHECK_NO_MARKS, SELF_CHECK_NOT_OPENING, Format,
                                               LeakKeys)
from mijian.pipeline.limits import Limits
from mijian.pipeline.model import CopyStamp, Document, Evidence

_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class DocxFormat(Format):
    """DOCX: drafts read with their headers, footers and notes, copies marked and encrypted
    (ECMA-376 agile) with the recipient's password, leaks decrypted with the passwords the
    office knows and read for their token and text. Word pages are not rendered."""

    name = "docx"
    extensions = (".docx",)
    drafts = True
    copies = True
    no_page_images = "a Word file's pages are not rendered"

    def sniff(self, data: bytes) -> bool:
        """A ZIP package, or an OLE container (how an encrypted .docx is stored)."""
        return data.startswith((_ZIP, _OLE))

    def read(self, data: bytes, source: str, limits: Limits) -> Document:
        """Body, tables, text boxes, headers, footers and notes, after the archive checks."""
        if b"%PDF-" in data[:1024]:
            raise InputError(f"{source}: named .docx but the content is a PDF; expected a Word "
                             "document; rename it to .pdf")
        from mijian.pipeline.formats.docx.reading import read_docx_text

        return make_document(data, source, "docx", read_docx_text(data, source, limits), limits)

    def write_copy(self, source: bytes, stamp: CopyStamp, out_path: Path, *, limits: Limits,
                   cache: dict[Any, Any] | None = None) -> None:
        """See :func:`pipeline.formats.docx.copy.write_docx_copy`."""
        from mijian.pipeline.formats.docx import copy

        copy.write_docx_copy(source, stamp, out_path, limits=limits, cache=cache)

    def self_check(self, path: Path, stamp: CopyStamp, office_password: str | None,
                   limits: Limits) -> None:
        """Decrypted with the recipient's password and read back: the token and the printed
        code must be there (a DOCX copy has no office password of its own)."""
        from mijian.pipeline.formats.docx.evidence import read_docx_evidence

        evidence = read_docx_evidence(path, [stamp.user_password], limits)
        if not (evidence.encrypted and evidence.opened):
            raise RegisterError(f"{path.name}: {SELF_CHECK_NOT_OPENING}")
        if evidence.token != stamp.token or stamp.visible_code not in evidence.text.replace("\n", ""):
            raise RegisterError(f"{path.name}: {SELF_CHECK_NO_MARKS}")

    def decrypt(self, data: bytes, password: str, source: str) -> bytes:
        """The plain package of an encrypted copy, opened with the recipient's password."""
        from msoffcrypto.format.ooxml import OOXMLFile

        office_file = OOXMLFile(io.BytesIO(data))
        office_file.load_key(password=password)
        sink = io.BytesIO()
        office_file.decrypt(sink)
        return sink.getvalue()

    def read_evidence(self, path: Path, data: bytes, keys: LeakKeys, limits: Limits) -> Evidence:
        """Opened with the known passwords, then (an encrypted file whose bytes changed)
        with those of the most recent DOCX copies."""
        from mijian.pipeline.formats.docx.evidence import read_docx_evidence

        evidence = read_docx_evidence(path, keys.known, limits)
        if evidence.encrypted and not evidence.opened:
            evidence = read_docx_evidence(path, keys.recent(self.extension), limits)
        return evidence
