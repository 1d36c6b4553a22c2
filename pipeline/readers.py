"""Read an untrusted draft into one frozen :class:`~pipeline.model.Document`.

PDF through PyMuPDF (:mod:`pipeline.pdf_io`), DOCX through python-docx after archive checks
(:mod:`pipeline.docx_io`), plain text as UTF-8. The format is decided by the file's first
bytes and must agree with its extension. Every failure is one :class:`InputError` line.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from mijian.pipeline.errors import InputError, LimitExceeded
from mijian.pipeline.limits import DEFAULT_LIMITS, Limits
from mijian.pipeline.model import Document, Kind, Language

SUPPORTED = {".pdf": "pdf", ".docx": "docx", ".txt": "txt"}


def detect_language(text: str) -> Language:
    """``zh`` when at least 10% of the letters are CJK ideographs, else ``en``."""
    cjk = letters = 0
    for ch in text[:200_000]:
        if "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf":
            cjk += 1
            letters += 1
        elif ch.isalpha():
            letters += 1
    if letters == 0:
        return "en"
    return "zh" if cjk / letters >= 0.10 else "en"


def sniff(data: bytes) -> str:
    """What the first bytes say the file is: pdf, zip, ole, text or unknown."""
    head = data[:1024]
    if b"%PDF-" in head:
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "ole"
    return "unknown"


def read_bytes(path: Path, limits: Limits) -> bytes:
    """The file's bytes, refusing missing, non-regular and over-large files."""
    try:
        st = path.stat()
    except OSError:
        raise InputError(f"{path}: no such file (文件不存在); check the path") from None
    if not path.is_file():
        raise InputError(f"{path}: not a regular file; give the path of a draft file")
    if st.st_size > limits.max_file_bytes:
        raise LimitExceeded(f"{path}: {st.st_size} bytes is more than the limit of "
                            f"{limits.max_file_bytes}; split the draft or raise MIJIAN_MAX_FILE_BYTES")
    if st.st_size == 0:
        raise InputError(f"{path}: the file is empty (0 bytes, 空文件); give the draft itself")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror}); check its permissions") from None


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


def _kind_for(path: Path, data: bytes) -> Kind:
    ext = path.suffix.lower()
    if ext not in SUPPORTED:
        raise InputError(f"{path}: unsupported file type '{ext or 'none'}'; expected .pdf, .docx "
                         "or .txt; convert the draft to one of these")
    found = sniff(data)
    kind: Kind = SUPPORTED[ext]  # type: ignore[assignment]
    if kind == "pdf" and found != "pdf":
        what = {"zip": "a ZIP/DOCX file", "ole": "an encrypted Office or legacy .doc file"}.get(found, "not a PDF")
        raise InputError(f"{path}: named .pdf but the content is {what}; expected a PDF; "
                         "give the file its right extension")
    if kind == "docx" and found == "pdf":
        raise InputError(f"{path}: named .docx but the content is a PDF; expected a Word "
                         "document; rename it to .pdf")
    if kind == "txt":
        binary = _binary_kind(data)
        if binary:
            raise InputError(f"{path}: named .txt but the content is {binary}; expected UTF-8 "
                             "text; give the file its right extension")
    return kind


def _binary_kind(data: bytes) -> str | None:
    """What a file named .txt really is when it starts like a PDF, ZIP or OLE file."""
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"%PDF-"):
        return "a PDF"
    if head.startswith(b"PK\x03\x04"):
        return "a ZIP/DOCX file"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "an encrypted Office or legacy .doc file"
    return None


def read_document(path: str | Path, limits: Limits = DEFAULT_LIMITS) -> Document:
    """Read a draft (.pdf, .docx, .txt) into a :class:`Document`, or raise :class:`InputError`."""
    path = Path(path)
    data = read_bytes(path, limits)
    kind = _kind_for(path, data)
    source = str(path)
    pages: tuple[str, ...] = ()
    if kind == "pdf":
        from mijian.pipeline.pdf_io import read_pdf_pages

        pages = read_pdf_pages(data, source, limits)
        text = "\n\n".join(pages)
    elif kind == "docx":
        from mijian.pipeline.docx_io import read_docx_text

        text = read_docx_text(data, source, limits)
    else:
        text = decode_text(data, source)
    if len(text) > limits.max_chars:
        raise LimitExceeded(f"{path}: {len(text)} characters is more than the limit of "
                            f"{limits.max_chars}; split the draft or raise MIJIAN_MAX_CHARS")
    if not text.strip():
        raise InputError(f"{path}: the draft has no text (无正文); expected a draft with text; "
                         "scanned drafts need OCR first")
    title = next((line.strip() for line in text.splitlines() if line.strip()), "")[:120]
    return Document(source=source, sha256=hashlib.sha256(data).hexdigest(), kind=kind,
                    language=detect_language(text), text=text, pages=pages, title=title)
