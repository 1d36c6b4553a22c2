"""The self-check of a new copy: it opens as its recipient and the office would open it, and
it carries its marks; a copy that fails is discarded before it is registered as issued.

A PDF copy is checked in one open, without extracting page text (opening an AES-256 file
and deriving its keys is most of the cost, so it is done once):

1. MuPDF tries the empty password when it opens a file: the copy must still be locked
   (it refuses no password), and its encryption must be AES-256.
2. The office password opens it as owner; the token in the Info dictionary, decrypted with
   the key that password unlocks, is the copy's token.
3. The recipient's password opens it as user; with the key that password unlocks, the XMP
   packet (a stream read afresh) holds the copy's token, and page 1 draws the printed code
   as text: a run of glyphs whose font's ToUnicode map reads back the code, in a content
   stream shown on page 1. That is what a text extractor would find, read where the copy's
   writer put it instead of by laying out the whole page.

A DOCX copy is decrypted with the recipient's password and read back, as before.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from pipeline.errors import RegisterError
from pipeline.limits import Limits
from pipeline.model import CopyStamp

_NOT_OPENING = ("self-check failed: the copy is not encrypted or does not open; the file was "
                "discarded and its serial stays reserved; report this as a bug")
_NO_MARKS = ("self-check failed: the copy's marks do not read back; the file was discarded "
             "and its serial stays reserved; report this as a bug")
_OWNER, _USER = 4, 2
"""Bits MuPDF returns when a password opens a file as its owner or as a user."""
_HEX = re.compile(rb"<([0-9A-Fa-f\s]+)>")
_SPACE = re.compile(rb"\s+")
_PAIR = re.compile(rb"<([0-9A-Fa-f]{2,8})>\s*<([0-9A-Fa-f]{4})>")
_RANGE = re.compile(rb"<([0-9A-Fa-f]{2,8})>\s*<([0-9A-Fa-f]{2,8})>\s*<([0-9A-Fa-f]{4})>")
_REF = re.compile(r"/([^\s/<>\[\]()]+)\s*(\d+)\s+0\s+R")


def self_check(path: Path, ext: str, stamp: CopyStamp, office_password: str | None,
               limits: Limits) -> None:
    """Open the new copy as a recipient and as the office would; the marks must be there.

    Raises :class:`RegisterError` when the copy does not open as expected or its marks do
    not read back.
    """
    if ext == ".pdf":
        self_check_pdf(path, stamp, office_password)
        return
    from pipeline.docx_io import read_docx_evidence

    evidence = read_docx_evidence(path, [stamp.user_password], limits)
    if not (evidence.encrypted and evidence.opened):
        raise RegisterError(f"{path.name}: {_NOT_OPENING}")
    if evidence.token != stamp.token or stamp.visible_code not in evidence.text.replace("\n", ""):
        raise RegisterError(f"{path.name}: {_NO_MARKS}")


def self_check_pdf(path: Path, stamp: CopyStamp, office_password: str | None) -> None:
    """A PDF copy refuses no password, is AES-256, opens with the office's and the
    recipient's password, and carries its token (Info and XMP) and printed code (page 1)."""
    import pymupdf

    from pipeline.pdf_io import _info_token, _xmp_token

    with pymupdf.open(stream=path.read_bytes(), filetype="pdf") as doc:
        if not doc.is_encrypted:  # the empty password, tried at open, unlocked it
            raise RegisterError(f"{path.name}: {_NOT_OPENING}")
        if office_password:
            if not doc.authenticate(office_password) & _OWNER:
                raise RegisterError(f"{path.name}: {_NOT_OPENING}")
            if _info_token(doc) != stamp.token:
                raise RegisterError(f"{path.name}: {_NO_MARKS}")
        if not doc.authenticate(stamp.user_password) & _USER:
            raise RegisterError(f"{path.name}: {_NOT_OPENING}")
        method = (doc.metadata or {}).get("encryption") or ""
        if "AES" not in method or "256" not in method:
            raise RegisterError(f"{path.name}: {_NOT_OPENING}")
        if office_password is None and _info_token(doc) != stamp.token:
            raise RegisterError(f"{path.name}: {_NO_MARKS}")
        if _xmp_token(doc) != stamp.token:
            raise RegisterError(f"{path.name}: {_NO_MARKS}")
        if stamp.visible_code and not draws_text(doc, 0, stamp.visible_code):
            raise RegisterError(f"{path.name}: {_NO_MARKS}")


def draws_text(doc, number: int, text: str) -> bool:
    """Whether page ``number`` of ``doc`` draws ``text`` as one run of glyphs that reads back
    as ``text`` through its font's ToUnicode map (in the page's own content or in a form
    it shows), without laying the page out."""
    page = doc[number]
    holders = [(page.xref, list(page.get_contents()))]
    holders += [(xref, [xref]) for xref, *_rest in page.get_xobjects()
                if doc.xref_get_key(xref, "Subtype")[1] == "/Form"]
    for holder, streams in holders:
        content: bytes | None = None
        for code in _encodings(doc, holder, text):
            if content is None:
                content = b"".join(_compact(doc.xref_stream(x) or b"") for x in streams)
            if b"<" + code + b">" in content or code in content:
                return True
    return False


def _compact(stream: bytes) -> bytes:
    """A content stream without white space, in upper case, so that a hex string reads the
    same however it was wrapped (a run found inside a longer hex string is found too)."""
    return _SPACE.sub(b"", stream).upper()


def _encodings(doc, holder: int, text: str) -> Iterator[bytes]:
    """For each font of ``holder``'s resources whose ToUnicode map covers every character of
    ``text``, the hex string that draws ``text`` in that font."""
    kind, fonts = doc.xref_get_key(holder, "Resources/Font")
    if kind == "xref":
        fonts = doc.xref_object(int(fonts.split()[0]), compressed=True)
    elif kind != "dict":
        return
    for _name, font in _REF.findall(fonts):
        kind, cmap = doc.xref_get_key(int(font), "ToUnicode")
        if kind != "xref":
            continue
        codes = _reverse_cmap(doc.xref_stream(int(cmap.split()[0])) or b"", set(text))
        if all(char in codes for char in text):
            yield b"".join(codes[char] for char in text)


def _reverse_cmap(cmap: bytes, wanted: set[str]) -> dict[str, bytes]:
    """Character -> code (upper-case hex digits) for the ``wanted`` characters, from the
    single-character entries of a ToUnicode CMap (``bfchar`` pairs, ``bfrange`` ranges)."""
    codes: dict[str, bytes] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", cmap, re.S):
        for source, target in _PAIR.findall(block):
            char = chr(int(target, 16))
            if char in wanted:
                codes.setdefault(char, source.upper())
    points = {ord(char) for char in wanted}
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", cmap, re.S):
        for low, high, target in _RANGE.findall(block):
            first, span = int(target, 16), int(high, 16) - int(low, 16)
            for point in points:
                if first <= point <= first + span:
                    codes.setdefault(chr(point), b"%0*X" % (len(low), int(low, 16) + point - first))
    return codes
