"""Decode plain-text drafts and leaks: UTF-8 (with or without a BOM), never binary content."""

from __future__ import annotations

from mijian.pipeline.errors import InputError

_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def decode_text(data: bytes, source: str) -> str:
    """Decode a UTF-8 (optionally BOM'd) text draft; a NUL byte anywhere means it is not text."""
    if data.startswith(_UTF16_BOMS):
        raise InputError(f"{source}: UTF-16 text (编码错误); expected UTF-8 text; "
                         "re-save the file as UTF-8")
    if b"\x00" in data:
        raise InputError(f"{source}: binary content (NUL bytes) in a .txt file; expected UTF-8 "
                         "text; save the draft as UTF-8 text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{source}: not UTF-8 text (byte {exc.start}: 编码错误); "
                         "expected UTF-8; re-save the file as UTF-8") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def binary_kind(data: bytes) -> str | None:
    """What a file named .txt really is when it starts like a PDF, ZIP or OLE file."""
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"%PDF-"):
        return "a PDF"
    if head.startswith(b"PK\x03\x04"):
        return "a ZIP/DOCX file"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "an encrypted Office or legacy .doc file"
    return None
