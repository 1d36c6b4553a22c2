"""What an OFD leak gives up: an encrypted copy opened with the passwords the office knows, then
its token (CustomData of OFD.xml), its text (body, marks and printed code) and its pages
drawn for the QR symbol and the page fingerprints; and the self-check of a new copy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mijian.pipeline.errors import CryptoError, RegisterError
from mijian.pipeline.formats.interface import SELF_CHECK_NO_MARKS, SELF_CHECK_NOT_OPENING, LeakKeys
from mijian.pipeline.formats.ofd.reading import open_ofd, read_ofd
from mijian.pipeline.formats.ofd.wrap import is_wrapped, unwrap
from mijian.pipeline.limits import Limits
from mijian.pipeline.model import CopyStamp, Evidence


def _open(data: bytes, source: str, passwords: list[str] | tuple[str, ...],
          limits: Limits) -> bytes | None:
    """The plain OFD of an encrypted copy under the first password that opens it, or None."""
    for password in passwords:
        try:
            return unwrap(data, password, source, limits)
        except CryptoError:
            continue
    return None


def plain_ofd(data: bytes, source: str, keys: LeakKeys, extension: str,
              limits: Limits) -> tuple[bytes | None, tuple[str, ...]]:
    """The plain OFD of a leak (itself when not encrypted), and notes on how it was opened."""
    if not is_wrapped(data):
        return data, ("an unencrypted OFD file",)
    plain = _open(data, source, keys.known, limits)
    if plain is not None:
        return plain, ("encrypted OFD copy opened with the password of the copy with its SHA-256",)
    plain = _open(data, source, keys.recent(extension), limits)
    if plain is not None:
        return plain, ("encrypted OFD copy opened with the password of a recent OFD copy",)
    return None, ("an encrypted OFD copy no known password opens",)


def read_ofd_evidence(path: Path, data: bytes, keys: LeakKeys, extension: str,
                      limits: Limits) -> Evidence:
    """The token and every text of an OFD leak (see the module notes)."""
    source = str(path)
    plain, notes = plain_ofd(data, source, keys, extension, limits)
    encrypted = is_wrapped(data)
    if plain is None:
        return Evidence(kind="ofd", encrypted=True, opened=False, token=None, text="", notes=notes)
    found = read_ofd(plain, source, limits)
    if found.signatures:
        notes += (f"the document lists signatures or seals ({found.signatures})",)
    return Evidence(kind="ofd", encrypted=encrypted, opened=True, token=found.token,
                    text="\n\n".join(found.pages), notes=notes)


def render_leak(data: bytes, source: str, keys: LeakKeys, extension: str, limits: Limits,
                max_pages: int) -> list[Any] | None:
    """The first ``max_pages`` pages of an OFD leak as RGB images, or None when it is not opened."""
    from mijian.pipeline.formats.ofd.render import render_pages

    plain, _notes = plain_ofd(data, source, keys, extension, limits)
    if plain is None:
        return None
    return render_pages(open_ofd(plain, source, limits), limits, max_pages)


def self_check_ofd(path: Path, stamp: CopyStamp, limits: Limits) -> None:
    """The new copy must be encrypted, open with the recipient's password, and carry its
    token and printed code; else :class:`RegisterError`."""
    data = path.read_bytes()
    evidence = read_ofd_evidence(path, data, LeakKeys(known=(stamp.user_password,)), ".ofd",
                                 limits)
    if not (evidence.encrypted and evidence.opened):
        raise RegisterError(f"{path.name}: {SELF_CHECK_NOT_OPENING}")
    text = evidence.text.replace("\n", "").replace(" ", "")
    if evidence.token != stamp.token or stamp.visible_code.replace(" ", "") not in text:
        raise RegisterError(f"{path.name}: {SELF_CHECK_NO_MARKS}")
