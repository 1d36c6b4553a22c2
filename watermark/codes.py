"""Signed copy codes: the copy token (document properties) and the visible code (page text).

Both have the form ``MJ1-<copy id>-<tag>``:

- the copy id is 12 Crockford base32 characters (60 random bits);
- the tag is a truncated HMAC of the copy id under the copy's document key (derived from the
  office key, :meth:`pipeline.crypto.OfficeKey.for_document`): 26 characters (128 bits)
  for the token, 8 characters (40 bits) for the visible code printed on every page.

Without the office key nobody can make a code that verifies; the chance that a made-up code
verifies is ``2**-bits`` per key tried (the document key and the master key, for every office
key), which :func:`forgery_probability` reports.
The code says nothing about who holds the copy: only the register does.

A genuine code can also be *moved*: copied from one copy onto a leak made from another, to
put the blame on the wrong holder. How easily depends on where the mark lives, which
:data:`MOVED_BY` names for every class of mark and :func:`false_match_probability` prices:
a mark anyone who saw the other copy can reproduce (printed code, QR symbol, visible name and
serial) is moved with certainty, so it can never by itself reach an identification; a mark
that needs the other copy's file or text, or signal processing on its page image, can only be
moved by someone who holds that very copy, so what remains is the chance of a guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol
from collections.abc import Sequence

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
COPY_ID_CHARS = 12
TOKEN_TAG_CHARS = 26
VISIBLE_TAG_CHARS = 8
PREFIX = "MJ1"

_CODE_RE = re.compile(r"MJ1[-‐‑–—_ ]?([0-9A-HJKMNP-TV-Z]{12})[-‐‑–—_ ]?([0-9A-HJKMNP-TV-Z]{8,26})")


class Signer(Protocol):
    """What the codes need from an office key."""

    @property
    def key_id(self) -> str:
        """Which office key this is (read only: keys are frozen values)."""
        ...

    def mac(self, purpose: str, data: bytes) -> bytes:
        """HMAC of data under the subkey for purpose."""
        ...

    def verify_mac(self, purpose: str, data: bytes, tag: bytes) -> bool:
        """Whether tag is a prefix of the MAC."""
        ...


def b32(data: bytes, chars: int) -> str:
    """The first ``chars`` Crockford base32 characters of ``data``'s bits."""
    number = int.from_bytes(data, "big")
    total_bits = len(data) * 8
    out = []
    for i in range(chars):
        shift = total_bits - 5 * (i + 1)
        if shift < 0:
            raise ValueError("not enough bits for the requested length")
        out.append(CROCKFORD[(number >> shift) & 31])
    return "".join(out)


def new_copy_id(random_bytes: bytes) -> str:
    """A copy id from at least 8 random bytes (60 bits are used)."""
    if len(random_bytes) < 8:
        raise ValueError("a copy id needs at least 8 random bytes")
    return b32(random_bytes[:8], COPY_ID_CHARS)


def _tag(signer: Signer, purpose: str, copy_id: str, chars: int) -> str:
    return b32(signer.mac(purpose, copy_id.encode()), chars)


def make_token(signer: Signer, copy_id: str) -> str:
    """The signed copy token stored in a copy's document properties (128-bit tag)."""
    return f"{PREFIX}-{copy_id}-{_tag(signer, 'token', copy_id, TOKEN_TAG_CHARS)}"


def make_visible_code(signer: Signer, copy_id: str) -> str:
    """The short signed code printed on every page (40-bit tag)."""
    return f"{PREFIX}-{copy_id}-{_tag(signer, 'visible', copy_id, VISIBLE_TAG_CHARS)}"


@dataclass(frozen=True)
class CodeCheck:
    """The result of checking one code found in a leak.

    ``valid`` is True only when the tag verified under ``key_id``; ``bits`` is the tag length
    that verified, from which the forgery probability follows.
    """

    text: str
    copy_id: str
    kind: str
    valid: bool
    key_id: str | None
    bits: int


def find_codes(text: str) -> list[tuple[str, str]]:
    """Every ``(copy id, tag)`` pair that looks like a code in ``text`` (unverified).

    Tolerates the dashes and spaces that copy-paste and PDF extraction put in, and the
    Crockford look-alikes O→0, I/L→1 in the tag and id.
    """
    cleaned = text.upper().translate(str.maketrans("OIL", "011"))
    found = []
    for match in _CODE_RE.finditer(cleaned):
        found.append((match.group(1), match.group(2)))
    return found


def _tag_bytes(tag: str) -> bytes | None:
    bits = len(tag) * 5
    number = 0
    for ch in tag:
        index = CROCKFORD.find(ch)
        if index < 0:
            return None
        number = (number << 5) | index
    whole = bits // 8
    if whole == 0:
        return None
    return (number >> (bits - whole * 8)).to_bytes(whole, "big")


def check_code(signers: Sequence[Signer], copy_id: str, tag: str) -> CodeCheck:
    """Verify a found code against every office key; the purpose follows from its length."""
    attempts = [("visible", tag[:VISIBLE_TAG_CHARS])]
    if len(tag) >= TOKEN_TAG_CHARS:
        attempts.insert(0, ("token", tag[:TOKEN_TAG_CHARS]))
    for purpose, part in attempts:
        raw = _tag_bytes(part)
        if raw is None:
            continue
        for signer in signers:
            if signer.verify_mac(purpose, copy_id.encode(), raw):
                return CodeCheck(f"{PREFIX}-{copy_id}-{part}", copy_id, purpose, True,
                                 signer.key_id, len(raw) * 8)
    purpose, part = attempts[0]
    return CodeCheck(f"{PREFIX}-{copy_id}-{part}", copy_id, purpose, False, None, 0)


def forgery_probability(bits: int, keys_tried: int) -> float:
    """Chance that a code not made with the office key verifies under one of ``keys_tried``."""
    return min(1.0, keys_tried * 2.0 ** (-bits))


SIGHT = "sight"
FILE = "file"
SIGNAL = "signal"
MOVED_BY = {
    SIGHT: "sight of the other copy: a photo or a glance at its page is enough to reproduce it",
    FILE: "the other copy's file or its text (its metadata or invisible characters)",
    SIGNAL: "signal processing on the other copy's page image (the keyed dots cannot be "
            "made without the office key, only cut out of that copy's page)",
}
"""What an attacker needs to move a mark of one copy onto a leak made from another, by class."""


def moved_probability(moved_by: str) -> float:
    """Chance that a mark of class ``moved_by`` came from the named copy without that copy
    being where the leak was made from.

    A sight-copyable mark counts as moved with certainty: anyone who saw the copy (on a desk,
    in a meeting, in a photo) can print, type or paste it. A file or signal mark cannot be
    moved without holding the named copy's file, text or page image, so a leak that carries
    it and no mark of any other copy (the trace checks every layer for one) was made from
    that copy's material: this term is nil and only guessing remains.
    """
    if moved_by not in MOVED_BY:
        raise ValueError(f"unknown class of mark {moved_by!r}; expected one of {sorted(MOVED_BY)}")
    return 1.0 if moved_by == SIGHT else 0.0


def false_match_probability(guess: float, moved_by: str) -> float:
    """Chance that a mark of class ``moved_by`` points to a copy the leak was not made from:
    a guessed or forged code (``guess``, see :func:`forgery_probability`) or a genuine code
    moved from that copy (:func:`moved_probability`)."""
    return min(1.0, max(guess, moved_probability(moved_by)))
