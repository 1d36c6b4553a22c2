"""The self-check of a new PDF copy: it opens as its recipient and the office would open it,
and it carries its marks; a copy that fails is discarded before it is registered as issued.

A PDF copy is checked in one parse of the file, without laying out any page. Deriving the
AES-256 keys from the passwords is most of the cost of opening such a file, and MuPDF does
it with its own AES (several milliseconds a password, and it tries the empty password
first); pypdf does it with OpenSSL through ``cryptography``, so the check reads the file
with pypdf, a second, independent reader of what MuPDF wrote:

1. It is encrypted with AES-256 (``/V 5``, ``/R`` 5 or 6), and the office password is the
   owner password: it validates the ``/O`` entry, the file is parsed once with the key it
   unlocks from ``/OE``, and that key reads everything below.
2. The recipient's password opens it: it validates the ``/U`` entry and unlocks from
   ``/UE`` the same file key, which decrypts ``/Perms`` to the permissions the file states.
3. With that key the Info dictionary and the XMP packet hold the copy's token, and page 1
   draws the printed code as text: a run of glyphs whose font's ToUnicode map reads back the
   code, in a content stream shown on page 1. That is what a text extractor would find, read
   where the copy's writer put it instead of by laying out the whole page.

Deriving a key from a password is most of the cost (about 3 ms each for AES-256, revision 6:
64 or more rounds of AES and SHA-2 that no reader can skip), so each password is tried once,
in its role, and no derivation is repeated: four a copy. The file is parsed with the office
password, which pypdf tries as the owner password first (it validates ``/O``, and ``/OE``
gives the file key); the recipient's password then validates ``/U`` and its ``/UE`` must
give the very same key. Opening with the recipient's password instead costs a fifth
derivation, as pypdf tries every password as the owner's first. The check is as strong as
one that opens the file twice: both passwords are validated in their roles, the key that
reads the token and the printed code is the one either password unlocks (the keys are
compared, not just both found), and that key decrypts ``/Perms`` to the stated permissions.
With no office password the file is parsed with the recipient's (three derivations).

The empty password is not tried: the passwords are checked to be non-empty and different,
and a password other than the one that validates ``/U`` (or ``/O``) would have to collide
with it under SHA-2 to validate too, so "the empty password opens nothing" and "the
recipient's password is not the owner's" follow from steps 1 and 2.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from pathlib import Path

from mijian.pipeline.errors import RegisterError
from mijian.pipeline.formats.interface import SELF_CHECK_NO_MARKS as NO_MARKS
from mijian.pipeline.formats.interface import SELF_CHECK_NOT_OPENING as NOT_OPENING
from mijian.pipeline.model import CopyStamp

_SPACE = re.compile(rb"\s+")
_PAIR = re.compile(rb"<([0-9A-Fa-f]{2,8})>\s*<([0-9A-Fa-f]{4})>")
_RANGE = re.compile(rb"<([0-9A-Fa-f]{2,8})>\s*<([0-9A-Fa-f]{2,8})>\s*<([0-9A-Fa-f]{4})>")


def self_check_pdf(path: Path, stamp: CopyStamp, office_password: str | None) -> None:
    """A PDF copy is AES-256, opens with the recipient's password, has the office's as its
    owner password, and carries its token (Info and XMP) and printed code (page 1)."""
    import io

    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    passwords = [stamp.user_password] + ([office_password] if office_password else [])
    if not all(passwords) or len(set(passwords)) != len(passwords):
        raise RegisterError(f"{path.name}: {NOT_OPENING}")  # empty or shared: see module notes
    try:
        reader = PdfReader(io.BytesIO(path.read_bytes()), strict=False,
                           password=office_password or stamp.user_password)
        _check_opening(reader, stamp.user_password, office_password, path)
        if _info_token(reader) != stamp.token or _xmp_token(reader) != stamp.token:
            raise RegisterError(f"{path.name}: {NO_MARKS}")
        if stamp.visible_code and not draws_text(reader, 0, stamp.visible_code):
            raise RegisterError(f"{path.name}: {NO_MARKS}")
        reproduction = stamp.marking.reproduction
        if reproduction and not draws_text(reader, 0, reproduction):
            raise RegisterError(f"{path.name}: {NO_MARKS}")
    except (PyPdfError, ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
        raise RegisterError(f"{path.name}: {NOT_OPENING} ({type(exc).__name__})") from None


def _check_opening(reader, user_password: str, office_password: str | None, path: Path) -> None:
    """AES-256, and (with an office password, which ``reader`` was opened with) the office
    password is the owner password and the recipient's unlocks the same file key, which
    decrypts ``/Perms`` to the stated permissions; without one, ``reader`` was opened with
    the recipient's password (a wrong password raises as the reader opens)."""
    from pypdf._encryption import AlgV5

    encrypt = reader.trailer.get("/Encrypt") if reader.is_encrypted else None
    encrypt = encrypt.get_object() if encrypt is not None else None
    if encrypt is None or encrypt.get("/V") != 5 or encrypt.get("/R") not in (5, 6):
        raise RegisterError(f"{path.name}: {NOT_OPENING}")
    if not office_password:
        return

    def value(name: str) -> bytes:
        return encrypt[name].get_object().original_bytes

    revision = int(encrypt["/R"])
    key = _owner_key(reader)
    if key is None:  # a pypdf that keeps the key elsewhere: derive it again
        key = AlgV5.verify_owner_password(revision, office_password.encode("utf-8"), value("/O"),
                                          value("/OE"), value("/U"))
    recipient = AlgV5.verify_user_password(revision, user_password.encode("utf-8"), value("/U"),
                                           value("/UE"))
    metadata = encrypt.get("/EncryptMetadata")
    metadata = True if metadata is None else getattr(metadata.get_object(), "value", True)
    if not key or recipient != key or not AlgV5.verify_perms(
            key, value("/Perms"), int(encrypt["/P"]) & 0xFFFFFFFF, metadata):
        raise RegisterError(f"{path.name}: {NOT_OPENING}")


def _owner_key(reader) -> bytes | None:
    """The file key pypdf unlocked, when it unlocked it with the owner password (None when
    it did not, or keeps it where this does not look)."""
    from pypdf._encryption import PasswordType

    encryption = getattr(reader, "_encryption", None)
    if getattr(encryption, "_password_type", None) != PasswordType.OWNER_PASSWORD:
        return None
    key = getattr(encryption, "_key", None)
    return key if isinstance(key, bytes) and key else None


def _info_token(reader) -> str | None:
    """The token under the custom Info key, or None."""
    from mijian.pipeline.formats.pdf.opening import INFO_TOKEN_KEY

    info = reader.trailer.get("/Info")
    value = info.get_object().get("/" + INFO_TOKEN_KEY) if info is not None else None
    return str(value) if value else None


def _xmp_token(reader) -> str | None:
    """The ``mijian:token`` element of the XMP packet, or None."""
    root = reader.trailer["/Root"].get_object()
    metadata = root.get("/Metadata")
    if metadata is None:
        return None
    xmp = metadata.get_object().get_data().decode("utf-8", "replace")
    found = re.search(r"<mijian:token>([^<]*)</mijian:token>", xmp)
    return found.group(1).strip() if found else None


def draws_text(reader, number: int, text: str) -> bool:
    """Whether page ``number`` draws ``text`` as one run of glyphs that reads back as
    ``text`` through its font's ToUnicode map, in a form the page shows (the writer's own,
    named ``MJ…``, first) or in its own content, without laying the page out."""
    resources, contents = _first_page(reader) if number == 0 else _listed_page(reader, number)
    # the forms first: the writer's own (``MJ…``) hold the code, and the draft's fonts on the
    # page itself need not have their maps read when it is found there
    holders = itertools.chain(_forms(resources, depth=3), [(resources, contents)])
    seen: dict[int, bytes | None] = {}
    for resources, content in holders:
        if content is None:
            continue
        data: bytes | None = None
        for code in _encodings(resources, text, seen):
            if data is None:
                data = _compact(content.get_data())
            if code in data:
                return True
    return False


class _Contents:
    """A page's content, one stream or an array of them, read as one (``get_data``)."""

    def __init__(self, contents) -> None:
        self.contents = contents

    def get_data(self) -> bytes:
        contents = self.contents.get_object()
        parts = contents if isinstance(contents, list) else [contents]
        return b"\n".join(part.get_object().get_data() for part in parts)


def _listed_page(reader, number: int) -> tuple:
    """(resources, content) of page ``number`` from pypdf's list of pages."""
    page = reader.pages[number]
    return page.get("/Resources"), page.get_contents()


PAGE_TREE_DEPTH = 32
"""Deepest page tree walked to the first page (a deeper one is read through pypdf's list)."""


def _first_page(reader) -> tuple:
    """(resources, content) of the first page, found by walking the page tree down its
    first kids, with the resources the page inherits when it has none of its own.

    pypdf's list of pages reads every page object of the file to give the first one (a third
    of the check of a 20-page copy); the first leaf of the tree, depth first in the order of
    the kids, is the page pypdf would list first. A tree this walk does not understand (a
    loop, a kid that is not a dictionary, too deep) is left to pypdf's list."""
    node = reader.trailer["/Root"].get_object()["/Pages"].get_object()
    stack: list[tuple[object, object, int]] = [(node, node.get("/Resources"), 0)]
    seen: set[int] = set()
    while stack:
        reference, inherited, depth = stack.pop()
        node = reference.get_object()  # read only when its turn comes: the later kids stay unread
        if not hasattr(node, "get") or id(node) in seen or depth > PAGE_TREE_DEPTH:
            return _listed_page(reader, 0)
        seen.add(id(node))
        resources = node.get("/Resources", inherited)
        kids = node.get("/Kids")
        if kids is None:
            contents = node.get("/Contents")
            return resources, (_Contents(contents) if contents is not None else None)
        stack.extend((kid, resources, depth + 1) for kid in reversed(kids.get_object()))
    return _listed_page(reader, 0)


def _forms(resources, depth: int) -> Iterator[tuple]:
    """(resources, stream) of the forms shown by a resource dictionary, nested forms up to
    ``depth`` levels, the writer's own (``/MJ…``) first."""
    if resources is None or depth == 0:
        return
    objects = resources.get_object().get("/XObject")
    if objects is None:
        return
    objects = objects.get_object()
    for name in sorted(objects, key=lambda name: not name.startswith("/MJ")):
        form = objects[name].get_object()
        if form.get("/Subtype") != "/Form":
            continue
        yield form.get("/Resources"), form
        yield from _forms(form.get("/Resources"), depth - 1)


def _compact(stream: bytes) -> bytes:
    """A content stream without white space, in upper case, so that a hex string reads the
    same however it was wrapped (a run found inside a longer hex string is found too)."""
    return _SPACE.sub(b"", stream).upper()


def _encodings(resources, text: str, seen: dict[int, bytes | None]) -> Iterator[bytes]:
    """For each font of ``resources`` whose ToUnicode map covers every character of
    ``text``, the hex digits that draw ``text`` in it (``seen`` keeps the answer per
    font object, as forms of one page share their fonts)."""
    if resources is None:
        return
    fonts = resources.get_object().get("/Font")
    if fonts is None:
        return
    fonts = fonts.get_object()
    for name in fonts:
        reference = fonts.raw_get(name)
        key = getattr(reference, "idnum", id(reference))
        if key not in seen:
            seen[key] = _encode(fonts[name].get_object(), text)
        if seen[key] is not None:
            yield seen[key]  # type: ignore[misc]


def _encode(font, text: str) -> bytes | None:
    """The hex digits that draw ``text`` in ``font`` by its ToUnicode map, or None."""
    cmap = font.get("/ToUnicode")
    if cmap is None:
        return None
    codes = _reverse_cmap(cmap.get_object().get_data(), set(text))
    if not all(char in codes for char in text):
        return None
    return b"".join(codes[char] for char in text)


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
