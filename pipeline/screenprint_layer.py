"""The camera-robust page fingerprint (:mod:`watermark.screenprint`) in copies and traces.

Three entry points, each called once from its writer or from the tracer:

- :func:`draw_pdf`: the marks as vector squares on a PDF overlay sheet (grey ones with a
  constant fill opacity, so over text they stay the text's black); a few kilobytes of
  operators per page size, computed once per copy and page size.
- :func:`docx_overlay`: the marks merged into the transparent full-page picture a DOCX copy
  lays behind the text of every page.
- :func:`trace_layer`: decode page images under every office key and look the number up in
  the register; the false-match figure counts every registered copy and key.

The layer's key is derived from the page-pattern key of the copy (HMAC under a label of its
own), and its payload is the copy's fingerprint number already reserved in the register, so
issuing needs no new field.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from mijian.pipeline.model import CopyStamp

LAYER = "screen-fingerprint"
MAX_PAGES = 4
"""Most page images read (a print-to-PDF carries the marks on every page)."""
PIXEL_BUDGET = 1_500_000
"""Pixels of page images (each counted at the size it is read, after the shrink to
:data:`watermark.screenprint.imaging.MAX_SIDE`) after which no further image is started; the
first image is always read whole. A leak of many marked pages decodes on its first, and a long
unmarked or hostile file must not hold the trace for tens of seconds: an A4 page read at
1,400 px is 1.4 million pixels and about 0.6-1 CPU second, so a second page is read and a third
is not, while up to four small crops are. The budget counts work, not time, so the images read,
and the verdict, are the same on a busy machine as on an idle one. The report says how many
images were left unread."""
_MM_PER_POINT = 25.4 / 72


def layer_key(pattern_key: bytes) -> bytes:
    """The fingerprint's key, derived from a copy's page-pattern key."""
    return hmac.new(pattern_key, b"mijian-screenprint/key", hashlib.sha256).digest()


def _number(stamp: CopyStamp) -> int | None:
    if not stamp.pattern_key or len(stamp.pattern_payload) != 4:
        return None
    return int.from_bytes(stamp.pattern_payload, "big")


def draw_pdf(sheet: Any, stamp: CopyStamp) -> None:
    """Draw the marks over the whole of ``sheet`` (a PyMuPDF page shown over the content)."""
    number = _number(stamp)
    if number is None:
        return
    from mijian.pipeline.formats.pdf.sheets import fill_squares
    from mijian.watermark.screenprint import DEFAULT, page_marks

    width, height = sheet.rect.width, sheet.rect.height
    marks = page_marks(width * _MM_PER_POINT, height * _MM_PER_POINT,
                       layer_key(stamp.pattern_key), number)
    grey, black = marks.squares(1 / _MM_PER_POINT)
    fill_squares(sheet, [(grey, DEFAULT.grey / 255), (black, 1.0)], "MJscr")


def docx_overlay(image: Any, stamp: CopyStamp, dpi: float) -> Any:
    """``image`` (the black RGBA page picture at ``dpi``) with the marks merged into it."""
    number = _number(stamp)
    if number is None:
        return image
    from mijian.watermark.screenprint import merge_overlay, overlay

    return merge_overlay(image, overlay(image.width, image.height, dpi,
                                        layer_key(stamp.pattern_key), number))


def trace_layer(images: list, keys: list, register: Any) -> Any:
    """Read the fingerprint from page images and say what it names (see module notes): a
    :class:`~pipeline.trace_model.Layer` of class ``signal`` whose support is the copy (or
    the unknown number) read, with its false-match probability."""
    from mijian.pipeline.issuing import pattern_key
    from mijian.pipeline.trace_model import Layer
    from mijian.watermark.codes import SIGNAL, false_match_probability
    from mijian.watermark.screenprint import read_keys

    found: dict[str, float] = {}
    notes: list[str] = []
    unknown: dict[str, float] = {}
    copies = max(register.count_copies(), 1)
    layer_keys = [layer_key(pattern_key(key)) for key in keys]
    spent, read_pages = 0, 0
    for image in images[:MAX_PAGES]:
        if read_pages and spent > PIXEL_BUDGET:
            break
        read_pages += 1
        spent += read_pixels(image)
        # the image is analysed once for every key (read_keys); only sync and decoding
        # are per key
        for reading in read_keys(image, layer_keys):
            if reading.number is None:
                continue
            probability = min(1.0, reading.false_match_probability * copies * len(keys))
            record = register.copy_by_fingerprint(reading.number)
            if record is None:
                unknown[f"fingerprint {reading.number}"] = probability
                notes.append(f"number {reading.number} decoded but no copy carries it")
                continue
            found[record.copy_id] = min(probability, found.get(record.copy_id, 1.0))
            notes.append(f"copy {record.copy_id} (number {reading.number}, pilot z "
                         f"{reading.statistic:.1f}, {reading.corrected}/{reading.used} bits "
                         "corrected)")
            break
        if found:
            break
    support = tuple((cid, false_match_probability(p, SIGNAL)) for cid, p in found.items())
    support += tuple((cid, false_match_probability(p, SIGNAL)) for cid, p in unknown.items())
    if support:
        return Layer(LAYER, "valid" if len(support) == 1 else "several copies",
                     "camera-robust fingerprint decoded: " + "; ".join(notes), SIGNAL, support)
    skipped = min(len(images), MAX_PAGES) - read_pages
    return Layer(LAYER, "absent", f"no camera-robust fingerprint decoded on {read_pages} page "
                 "image(s)" + (f" ({skipped} more not read: pixel budget)" if skipped else ""),
                 SIGNAL)


def read_pixels(image: Any) -> int:
    """The pixels the reader analyses in ``image``: its area after the shrink to
    :data:`~watermark.screenprint.imaging.MAX_SIDE` (the work a page image costs)."""
    from mijian.watermark.screenprint.imaging import MAX_SIDE

    width, height = image.size
    scale = min(1.0, MAX_SIDE / max(width, height, 1))
    return round(width * scale) * round(height * scale)
