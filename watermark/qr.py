"""The machine-readable visible code: a small QR symbol carrying the signed copy code.

The symbol holds the same text as the printed visible code (``MJ1-<copy id>-<tag>``), so a
reader needs the office key to learn anything from it, and a forged symbol fails the tag
check like a forged printed code. Encoding uses segno; decoding uses zxing-cpp, which finds
symbols at any rotation and under moderate perspective, blur and JPEG loss.

What it does not protect against: the symbol is visible; a leaker can cut or cover it. It is
one layer among several.
"""

from __future__ import annotations

import io
from typing import Any


MASK = 0
"""The data mask of every symbol: fixed, not searched for per symbol.

Any of the eight masks makes a valid symbol that every reader decodes; the encoder's search
scores all eight against the standard's penalty rules (long runs, blocks, finder-like
patterns, dark/light balance) and keeps the lowest, which cost about 4.5 ms of the 5.5 ms
of making a copy's symbol. The copy code is a random copy id and an HMAC tag, so the
eight scores differ little from one code to the next and no mask is better for a whole
document than another; the search chose mask 0 most often (102 of 400 random codes) and
0's checkerboard breaks every run of equal modules, so it is the mask. zxing-cpp reads the
symbols from rendered, photographed and faxed pages as before (the trace tests)."""


def qr_symbol(text: str) -> Any:
    """The segno symbol of ``text`` (error correction level M or better, mask :data:`MASK`)."""
    import segno

    return segno.make(text, error="m", micro=False, mask=MASK)


def qr_png(text: str, scale: int = 4) -> bytes:
    """A black-on-white PNG of the QR symbol for ``text`` (error correction level M or better)."""
    symbol = qr_symbol(text)
    buffer = io.BytesIO()
    symbol.save(buffer, kind="png", scale=scale, border=2)
    return buffer.getvalue()


def read_codes(image: Any) -> list[str]:
    """Every QR text zxing-cpp finds in a PIL image (at native size, then enlarged if small)."""
    import numpy as np
    import zxingcpp

    grey = image.convert("L")
    found: list[str] = []
    attempts = [grey]
    if max(grey.size) < 2500:
        attempts.append(grey.resize((grey.width * 2, grey.height * 2)))
    qr_only = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
    for attempt in attempts:
        for result in zxingcpp.read_barcodes(np.asarray(attempt), formats=qr_only):
            if result.text and result.text not in found:
                found.append(result.text)
        if found:
            break
    return found


def code_positions(image: Any) -> list[tuple[str, tuple[tuple[int, int], ...]]]:
    """Every QR symbol zxing-cpp finds in a PIL image at its native size, with the four
    corners of where it lies (pixels of ``image``: top left, top right, bottom right, bottom
    left), for a picture of where a trace read it."""
    import numpy as np
    import zxingcpp

    qr_only = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
    found = []
    for result in zxingcpp.read_barcodes(np.asarray(image.convert("L")), formats=qr_only):
        p = result.position
        corners = tuple((int(c.x), int(c.y)) for c in (p.top_left, p.top_right, p.bottom_right, p.bottom_left))
        found.append((result.text, corners))
    return found
