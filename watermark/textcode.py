"""The text-layer code: a signed copy code written in invisible format characters.

The code rides inside the extractable text of a copy (at the end of every body line of a PDF,
at the end of every paragraph of a DOCX), so text copied out of a PDF viewer or out of Word
carries it, and an excerpt of a few lines still holds whole codes.

Layout of one code, every symbol a zero-width character:

    START  copy-id (60 bits)  tag (40 bits)  check (8 bits)  END

Bits are written two per symbol: each symbol is one of the four of five zero-width characters
that differ from the symbol before it (PDF text extraction merges a repeated zero-width glyph
at the same spot, so no symbol may repeat); ``START``/``END`` are two other invisible
characters. The 8-bit check (CRC-8 of the 100 data bits) rejects a damaged
run before the 40-bit tag (HMAC under the document key, purpose ``text``) is verified, so a
made-up or mangled run verifies with probability ``2**-40`` per key.

What it does not protect against: a leaker who strips format characters (or retypes the
text, or runs it through OCR) removes this layer; the other layers must then carry the trace.
"""

from __future__ import annotations

import re

from mijian.watermark.codes import CROCKFORD, Signer

SYMBOLS = ("\u200b", "\u200c", "\u200d", "\u2060", "\u2061")
START = "\u2062"
END = "\u2063"
TAG_BITS = 40
_DATA_BITS = 60 + TAG_BITS
_SYMBOL_COUNT = (_DATA_BITS + 8) // 2
_RUN = re.compile(f"{START}((?:\\s*[{''.join(SYMBOLS)}]){{{_SYMBOL_COUNT}}})\\s*{END}")


def _crc8(value: int, bits: int) -> int:
    crc = 0
    for i in range(bits - 1, -1, -1):
        bit = (value >> i) & 1
        top = (crc >> 7) & 1
        crc = (crc << 1) & 0xFF
        if top ^ bit:
            crc ^= 0x07
    return crc


def _copy_bits(copy_id: str) -> int:
    number = 0
    for ch in copy_id:
        number = (number << 5) | CROCKFORD.index(ch)
    return number


def encode(signer: Signer, copy_id: str) -> str:
    """The invisible run carrying ``copy_id`` and its 40-bit tag."""
    tag = int.from_bytes(signer.mac("text", copy_id.encode())[:5], "big")
    data = (_copy_bits(copy_id) << TAG_BITS) | tag
    value = (data << 8) | _crc8(data, _DATA_BITS)
    symbols: list[str] = []
    previous = ""
    for i in range(_SYMBOL_COUNT - 1, -1, -1):
        previous = _choices(previous)[(value >> (2 * i)) & 3]
        symbols.append(previous)
    return START + "".join(symbols) + END


def _choices(previous: str) -> tuple[str, ...]:
    """The four symbols allowed after ``previous`` (all but itself; the first four at the start)."""
    return tuple(c for c in SYMBOLS if c != previous)[:4]


def find(text: str) -> list[tuple[str, bytes]]:
    """Every well-formed run in ``text`` as ``(copy id, tag bytes)``; damaged runs are dropped.

    White space inside a run is ignored: some PDF text extractors put spaces or line breaks
    between the symbols of a run."""
    found = []
    for match in _RUN.finditer(text):
        value, previous, broken = 0, "", False
        for ch in "".join(match.group(1).split()):
            allowed = _choices(previous)
            if ch not in allowed:
                broken = True
                break
            value = (value << 2) | allowed.index(ch)
            previous = ch
        if broken:
            continue
        data, check = value >> 8, value & 0xFF
        if _crc8(data, _DATA_BITS) != check:
            continue
        ident = data >> TAG_BITS
        copy_id = "".join(CROCKFORD[(ident >> (55 - 5 * i)) & 31] for i in range(12))
        found.append((copy_id, (data & ((1 << TAG_BITS) - 1)).to_bytes(5, "big")))
    return found


def verify(signers: list[Signer] | tuple[Signer, ...], copy_id: str, tag: bytes) -> str | None:
    """The id of the office key under which the tag verifies, or None."""
    for signer in signers:
        if signer.verify_mac("text", copy_id.encode(), tag):
            return signer.key_id
    return None


def strip(text: str) -> str:
    """``text`` without any text-layer symbols (for display and for other decoders)."""
    return text.translate({ord(c): None for c in (*SYMBOLS, START, END)})
