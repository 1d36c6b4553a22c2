"""OFD (GB/T 33190) drafts, copies and leaks behind the format interface; the modules of this
folder do the work (lxml after the package checks, Pillow for page images)."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

from mijian.pipeline.errors import InputError
from mijian.pipeline.formats.common import make_document
from mijian.pipeline.formats.interface import Format, LeakKeys
from mijian.pipeline.limits import Limits
from mijian.pipeline.model import CopyStamp, Document, Evidence

_DIRECTORY_BYTES = 4 * 1024 * 1024
"""Most bytes of a zip directory looked through for the ``OFD.xml`` entry (2000 members
with long names fit)."""


def _names_ofd(data: bytes) -> bool:
    """Whether the zip's first member, or any member of its central directory, is the
    ``OFD.xml`` entry part (found through the end record, without opening the zip)."""
    if len(data) < 30:
        return False
    (length,) = struct.unpack_from("<H", data, 26)
    if data[30:30 + length] == b"OFD.xml":
        return True
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 22 - 0xFFFF))
    if end < 0 or end + 22 > len(data):
        return False
    size, offset = struct.unpack_from("<II", data, end + 12)
    directory = data[offset:offset + min(size, _DIRECTORY_BYTES)]
    return b"OFD.xml" in directory and directory.startswith(b"PK\x01\x02")


class OfdFormat(Format):
    """OFD: drafts read page by page in reading order, copies marked with OFD vector and text
    content and delivered inside an AES-256 zip under the recipient's password, leaks read for
    their token and text and rendered for their page marks."""

    name = "ofd"
    extensions = (".ofd",)
    drafts = True
    copies = True
    copies_as = ("pdf",)

    def sniff(self, data: bytes) -> bool:
        """A ZIP naming ``OFD.xml``, or an encrypted copy (one AES member named *.ofd)."""
        from mijian.pipeline.formats.ofd.wrap import is_wrapped

        return data.startswith(b"PK\x03\x04") and (is_wrapped(data) or _names_ofd(data))

    def read(self, data: bytes, source: str, limits: Limits) -> Document:
        """Every page's text in reading order, after the package checks."""
        from mijian.pipeline.formats.ofd.reading import read_ofd
        from mijian.pipeline.formats.ofd.wrap import is_wrapped

        if is_wrapped(data):
            raise InputError(f"{source}: the OFD file is an encrypted copy (文件已加密); expected "
                             "an unencrypted draft; decrypt it first or use the original draft")
        found = read_ofd(data, source, limits)
        return make_document(data, source, "ofd", "\n\n".join(found.pages), limits, found.pages)

    def copy_base(self, document: Document, data: bytes) -> tuple[bytes, str]:
        """The OFD itself, or, when PDF copies were asked for (``document.copy_as``), the
        draft laid out again as a PDF (:mod:`pipeline.formats.ofd.topdf`): the copies then
        take every PDF layer and encryption."""
        if document.copy_as != "pdf":
            return data, self.name
        from mijian.pipeline.formats.ofd.topdf import ofd_to_pdf
        from mijian.pipeline.limits import DEFAULT_LIMITS

        return ofd_to_pdf(data, document.source, DEFAULT_LIMITS), "pdf"

    def write_copy(self, source: bytes, stamp: CopyStamp, out_path: Path, *, limits: Limits,
                   cache: dict[Any, Any] | None = None) -> None:
        """See :func:`pipeline.formats.ofd.copy.write_ofd_copy`."""
        from mijian.pipeline.formats.ofd.copy import write_ofd_copy

        write_ofd_copy(source, stamp, out_path, limits=limits)

    def self_check(self, path: Path, stamp: CopyStamp, office_password: str | None,
                   limits: Limits) -> None:
        """See :func:`pipeline.formats.ofd.evidence.self_check_ofd`."""
        from mijian.pipeline.formats.ofd.evidence import self_check_ofd

        self_check_ofd(path, stamp, limits)

    def decrypt(self, data: bytes, password: str, source: str) -> bytes:
        """The plain OFD inside an encrypted copy, opened with the recipient's password."""
        from mijian.pipeline.formats.ofd.wrap import unwrap
        from mijian.pipeline.limits import DEFAULT_LIMITS

        return unwrap(data, password, source, DEFAULT_LIMITS)

    def read_evidence(self, path: Path, data: bytes, keys: LeakKeys, limits: Limits) -> Evidence:
        """Opened with the known passwords, then those of the most recent OFD copies."""
        from mijian.pipeline.formats.ofd.evidence import read_ofd_evidence

        return read_ofd_evidence(path, data, keys, self.extension, limits)

    def page_images(self, data: bytes, source: str, keys: LeakKeys, limits: Limits,
                    max_pages: int) -> list[Any] | None:
        """The first ``max_pages`` pages drawn by :mod:`pipeline.formats.ofd.render`."""
        from mijian.pipeline.formats.ofd.evidence import render_leak

        return render_leak(data, source, keys, self.extension, limits, max_pages)
