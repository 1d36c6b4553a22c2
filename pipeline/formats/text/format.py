"""Plain-text drafts and leaks behind the format interface: UTF-8 in, and copies made as PDF
(the text laid out on A4 pages, then marked like any PDF draft)."""

from __future__ import annotations

import codecs
from pathlib import Path

from mijian.pipeline.errors import InputError
from mijian.pipeline.formats.common import make_document
from mijian.pipeline.formats.interface import Format, LeakKeys
from mijian.pipeline.formats.text.decoding import binary_kind, decode_text
from mijian.pipeline.limits import Limits
from mijian.pipeline.model import Document, Evidence

_HEAD = 4096
"""Bytes looked at to tell text from binary content."""


class TextFormat(Format):
    """UTF-8 text: read as is; its copies are PDF copies of the text laid out on A4 pages."""

    name = "txt"
    copies_as = ("pdf",)
    extensions = (".txt",)
    drafts = True

    def sniff(self, data: bytes) -> bool:
        """UTF-8 without NUL bytes in the first few kilobytes (a character cut at the end
        of them is allowed), and not the start of a PDF, ZIP or OLE file."""
        head = data[:_HEAD]
        if not head or b"\x00" in head or binary_kind(head):
            return False
        try:
            codecs.getincrementaldecoder("utf-8")().decode(head, final=len(data) <= _HEAD)
        except UnicodeDecodeError:
            return False
        return True

    def read(self, data: bytes, source: str, limits: Limits) -> Document:
        """The text as UTF-8, refusing a PDF, DOCX or Office file named .txt."""
        what = binary_kind(data)
        if what:
            raise InputError(f"{source}: named .txt but the content is {what}; expected UTF-8 "
                             "text; give the file its right extension")
        return make_document(data, source, "txt", decode_text(data, source), limits)

    def copy_base(self, document: Document, data: bytes) -> tuple[bytes, str]:
        """The text laid out as a PDF draft (GB/T 9704-like margins); copies are PDF."""
        from mijian.pipeline.formats.pdf.typeset import text_to_pdf

        return text_to_pdf(document.text, document.title, document.language), "pdf"

    def warm_up(self) -> None:
        """As the PDF copies' writer does."""
        from mijian.pipeline.formats.registry import named

        named("pdf").warm_up()

    def read_evidence(self, path: Path, data: bytes, keys: LeakKeys, limits: Limits) -> Evidence:
        """The pasted text itself: no properties, no encryption."""
        return Evidence(kind="txt", encrypted=False, opened=True, token=None,
                        text=decode_text(data, str(path)))
