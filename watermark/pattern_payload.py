"""Keys and payloads of the page pattern: the key with its params, and the two payload
kinds (a 60-bit copy id, a 32-bit fingerprint number) as the bytes the pattern carries.

:mod:`watermark.pattern` describes the pattern and re-exports every name here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mijian.watermark.pattern_code import PatternParams, payload_to_int

BASE_DPI = 150
"""The resolution the pattern's geometry is stated at (pitch 8 px, dots 2 px)."""


@dataclass(frozen=True)
class PatternKey:
    """A pattern key: secret bytes (derived by the caller from the office key) and params."""

    key: bytes
    params: PatternParams = field(default_factory=PatternParams)

    def __post_init__(self) -> None:
        if len(self.key) < 16:
            raise ValueError("a pattern key needs at least 16 bytes")


def payload_from_copy_id(copy_id: str) -> bytes:
    """The 8-byte payload for a 12-character Crockford base32 copy id (60 bits)."""
    from mijian.watermark.codes import CROCKFORD

    text = copy_id.strip().upper()
    if len(text) != 12 or any(c not in CROCKFORD for c in text):
        raise ValueError("a copy id is 12 Crockford base32 characters")
    value = 0
    for c in text:
        value = value * 32 + CROCKFORD.index(c)
    return value.to_bytes(8, "big")


def copy_id_from_payload(payload: bytes) -> str:
    """The copy id carried by an 8-byte payload."""
    from mijian.watermark.codes import CROCKFORD

    value = payload_to_int(payload, 60)
    return "".join(CROCKFORD[(value >> (5 * (11 - i))) & 31] for i in range(12))


NUMBER_PARAMS = PatternParams(payload_bits=32)
"""Params of the 32-bit setting (a per-office fingerprint number), same geometry."""


def payload_from_number(n: int) -> bytes:
    """The 4-byte payload of a fingerprint number (0 <= n < 2**32)."""
    if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n < 1 << 32:
        raise ValueError("a fingerprint number is an integer in [0, 2**32)")
    return n.to_bytes(4, "big")


def number_from_payload(payload: bytes) -> int:
    """The fingerprint number carried by a 4-byte payload."""
    return payload_to_int(payload, 32)


def as_key(key: bytes | PatternKey) -> PatternKey:
    """``key`` as a :class:`PatternKey` (bare bytes get the default params)."""
    return key if isinstance(key, PatternKey) else PatternKey(bytes(key))
