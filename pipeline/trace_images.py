"""The layers of a leak that live in its page images: the QR symbol of the printed code (read on
every page image) and the keyed page fingerprint (decoded on every page image and, on a whole
page, in each of several bands of it and, once a band names a copy or the pattern is found
but reads in no band, in its two halves and in
as many strips as bands the other way, so that a page put together from two copies shows
both; not in halves or strips when the leak is byte for byte an issued copy, which no one
put together). A page image that looks
like a standard-resolution fax (two-level, 204 x 98 dpi) is read stretched upright instead, and
smoothed as well when that names no copy (:mod:`watermark.fax_view`).

A photo in perspective: only an image read whole (a crop, or the whole page) is also read with
its tilt undone (``decode(..., perspective=True)``); bands, halves and strips never are. When
a page that names a copy is such a photo, its halves and strips are read in the untilted view
as well as taken, so the pieces of another copy are looked for at least as keenly as the
copy named was found.

A page image whose regions name one copy is also searched, in up to four regions that
synchronised but read no copy, for the code of another copy of the same document
(:mod:`pipeline.trace_rivals`): a strip of another copy that every region cuts across decodes
nowhere, and yet its code is plain once it is looked for.

Page images are those of an image leak, or the rendered pages of a PDF (always, even when
other layers verified: a layer is worth most where it can contradict the others).
"""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image

from mijian.pipeline.register_store import RegisterStore
from mijian.pipeline.trace_layers import Signers, verified_layer
from mijian.pipeline.trace_model import MAX_PATTERN_PAGES, Layer
from mijian.pipeline.trace_rivals import rival_readings
from mijian.watermark.codes import SIGHT, SIGNAL, check_code, false_match_probability, find_codes, \
    forgery_probability
from mijian.watermark.fax_view import fax_views

BAND_PIXELS = 500_000
"""A page image is decoded in bands of about this many pixels (about a quarter of an A4 page at
150 dpi, the size of crop the fingerprint is measured to read): a region made of another
copy's page then decodes on its own instead of being outvoted or blurring the whole."""
MAX_BANDS = 4
"""Most bands of one page image (the decode time grows with the pixels read, not the bands)."""
MAX_SIDE = 1800
"""Page images are shrunk to this longer side before they are cut into bands (the decoder
would shrink the whole page to it too), so bands of a large scan cost no more than a page."""


@dataclass(frozen=True)
class Reading:
    """What the fingerprint decoder found in one region of one page image."""

    page: int
    band: str
    number: int | None
    copy_id: str | None
    probability: float
    several: bool
    statistic: float = 0.0
    overlap: float = 0.0
    pitch: float = 0.0
    """The dot lattice's pitch (px of the region) where the pattern was synchronised, else 0."""


def qr_layer(images: list, signers: Signers) -> Layer:
    """The QR symbols of every page image, each checked under its copy's keys."""
    from mijian.watermark.qr import read_codes

    good: dict[str, tuple[int, float]] = {}
    bad = 0
    tried: set[tuple[str, str]] = set()
    for image in images:
        for text in read_codes(image):
            for copy_id, tag in find_codes(text):
                tried.add((copy_id, tag))
                check = check_code(signers(copy_id), copy_id, tag)
                if check.valid:
                    good[copy_id] = (good.get(copy_id, (0, 1.0))[0] + 1,
                                     forgery_probability(check.bits, len(signers(copy_id))))
                else:
                    bad += 1
    return verified_layer("qr-code", "QR symbol of the visible code",
                          f"on {len(images)} page image(s)", good, bad, SIGHT, tried=len(tried))


def shrunk(image: Image.Image) -> Image.Image:
    """The page image with its longer side at most :data:`MAX_SIDE` (as the decoder would)."""
    side = max(image.size)
    if side <= MAX_SIDE:
        return image
    scale = MAX_SIDE / side
    return image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))),
                        Image.Resampling.BOX)


def band_boxes(width: int, height: int) -> list[tuple[str, tuple[int, int, int, int]]]:
    """The fingerprint's regions of a page image already shrunk to ``width`` x ``height``:
    up to :data:`MAX_BANDS` bands of about :data:`BAND_PIXELS` across its longer side, or
    ``whole``; each with its box (left, top, right, bottom) in that image's pixels."""
    count = max(1, min(MAX_BANDS, width * height // BAND_PIXELS))
    if count == 1:
        return [("whole", (0, 0, width, height))]
    if height >= width:
        return [(f"band {i + 1}/{count}", (0, height * i // count, width, height * (i + 1) // count))
                for i in range(count)]
    return [(f"band {i + 1}/{count}", (width * i // count, 0, width * (i + 1) // count, height))
            for i in range(count)]


def half_boxes(width: int, height: int) -> list[tuple[str, tuple[int, int, int, int]]]:
    """The two halves of a shrunk page image the other way from its bands, with their boxes,
    then as many strips the other way as it has bands (see :func:`halves`)."""
    count = len(band_boxes(width, height))
    if height >= width:
        return [("left half", (0, 0, width // 2, height)), ("right half", (width // 2, 0, width, height))] + [
            (f"strip {i + 1}/{count}", (width * i // count, 0, width * (i + 1) // count, height))
            for i in range(count)]
    return [("top half", (0, 0, width, height // 2)), ("bottom half", (0, height // 2, width, height))] + [
        (f"strip {i + 1}/{count}", (0, height * i // count, width, height * (i + 1) // count))
        for i in range(count)]


def bands(image: Image.Image) -> list[tuple[str, Image.Image]]:
    """The regions of a page image the fingerprint is decoded in: the image shrunk to
    :data:`MAX_SIDE`, cut across its longer side into up to :data:`MAX_BANDS` bands of about
    :data:`BAND_PIXELS` each (a crop or a screenshot stays whole)."""
    image = shrunk(image)
    return [(label, image if label == "whole" else image.crop(box))
            for label, box in band_boxes(image.width, image.height)]


def halves(image: Image.Image) -> list[tuple[str, Image.Image]]:
    """The image shrunk to :data:`MAX_SIDE` and cut the other way from its bands: in two (left
    and right halves of an upright page), and in as many strips as it has bands. A page pieced
    together from two copies side by side has both copies in every band, and one copy in each
    half; a strip of another copy down a quarter of the page is outvoted in the bands and can
    be outvoted in its half too (the half then reads as neither copy, in about one key and
    number in twelve), but fills a strip of its own. Read only when a band named a copy, so
    that the copy named is looked for where another copy's marks would contradict it, or when
    the pattern was found and read nowhere (two copies side by side cancel in every band)."""
    image = shrunk(image)
    return [(label, image.crop(box)) for label, box in half_boxes(image.width, image.height)]


def _read(region: Image.Image, page: int, band: str, keys: list, register: RegisterStore,
          copies: int) -> Reading:
    """Decode one region under each office key until one reads. Only a region that is the
    whole page image (``whole``) is also read with a photo's perspective undone: bands,
    halves and strips never are, so the halves and strips that look for another copy's
    pieces read exactly as they did before that view existed."""
    from mijian.pipeline.issuing import pattern_key
    from mijian.watermark.pattern import NUMBER_PARAMS, OVERLAP_SEVERAL, Z_ACCEPT, PatternKey, decode, \
        number_from_payload

    several = False
    statistic = overlap = pitch = 0.0
    for key in keys:
        detection = decode(region, PatternKey(pattern_key(key), NUMBER_PARAMS),
                           perspective=band.endswith("whole"))
        several = several or (detection.statistic >= Z_ACCEPT and detection.overlap >= OVERLAP_SEVERAL)
        if detection.statistic >= max(statistic, Z_ACCEPT):
            pitch = detection.pitch_px
        statistic = max(statistic, detection.statistic)
        overlap = max(overlap, detection.overlap)
        if detection.payload is None:
            continue
        number = number_from_payload(detection.payload)
        record = register.copy_by_fingerprint(number)
        probability = min(1.0, detection.false_match_probability * copies * len(keys))
        return Reading(page, band, number, record.copy_id if record else None, probability, several,
                       detection.statistic, overlap, pitch)
    return Reading(page, band, None, None, 1.0, several, statistic, overlap, pitch)


def read_fingerprints(images: list, keys: list, register: RegisterStore,
                      max_pages: int = MAX_PATTERN_PAGES,
                      halves: bool = True) -> tuple[list[Reading], int]:
    """Decode the page fingerprint in every band of the first ``max_pages`` page images;
    return the readings and how many pages show the marks of several copies on top of each
    other.

    The whole page is decoded as well (:func:`_needs_whole`) when a band found the pattern
    but could not read it (a photo's pattern may read over the whole page and in no band) or
    a band looks doubled: the overlap of two copies' dots is measured reliably only over a
    whole page (a band of a phone photo can look doubled, a band of an averaged page can
    look single). A clean page read in every band, or a page without the pattern, costs one
    pass. ``halves``: whether a page whose bands named a copy is read in its halves too (not
    needed when the leak is byte for byte an issued copy, which no one pieced together).
    A photo's perspective is looked for only in a leak of one page image (a photo, a
    screenshot, a crop): the pages of a file are its own renders, flat, and the search would
    cost about a CPU second on each.
    """
    copies = max(register.count_copies(), 1)
    readings: list[Reading] = []
    several = 0
    for page, image in enumerate(images[:max_pages], 1):
        # a 204 x 98 dpi fax is read stretched upright (its dot lattice square again), and
        # smoothed as well when that names no copy; every region read counts in the bound
        for label, view in fax_views(image):
            page_readings, doubled = _page_readings(view, page, label, keys, register, copies,
                                                    halves, tilt=len(images) == 1)
            readings.extend(page_readings)
            if any(r.number is not None for r in page_readings):
                break
        several += doubled
    return readings, several


def _page_readings(image: Image.Image, page: int, label: str, keys: list, register: RegisterStore,
                   copies: int, read_halves: bool = True,
                   tilt: bool = True) -> tuple[list[Reading], bool]:
    """The readings of one view of a page image (its bands, the whole page and its halves
    when needed; see :func:`read_fingerprints`), their region names prefixed with ``label``,
    and whether the page shows the marks of several copies."""
    regions = bands(image)
    readings = [_read(region, page, label + band, keys, register, copies) for band, region in regions]
    if len(regions) == 1:
        return readings, readings[0].several
    pieces = list(zip(readings, [region for _band, region in regions]))
    several = False
    read_whole = _needs_whole(readings)
    if read_whole:
        whole = _read(shrunk(image), page, label + "whole", keys, register, copies)
        readings.append(whole)
        several = whole.several
    flat = None
    if tilt and not read_whole and all(r.number is None for r in readings):
        # no band found a readable pattern: a photo in perspective may still read whole once
        # its tilt is undone (the camera-robust reader looks for the same tilt on the same
        # image, so it is found once for both)
        flat = untilted_view(image)
        if flat is not None:
            readings.append(_read(flat, page, label + "whole untilted", keys, register, copies))
    if read_halves and (any(r.number is not None for r in readings) or _unread_pattern(readings)):
        # a photo's halves and strips are read with its tilt undone as well, so that another
        # copy's piece is looked for at least as keenly as the whole page was read
        if tilt and flat is None and (read_whole or pitch_spread(readings) > TILT_SPREAD):
            flat = untilted_view(image)
        views = [("", image)] + ([("untilted ", flat)] if flat is not None else [])
        cut = [(how + half, region) for how, view in views for half, region in halves(view)]
        more = [_read(region, page, label + name, keys, register, copies) for name, region in cut]
        readings += more
        pieces += zip(more, [region for _name, region in cut])
        # a region that read no copy may still carry the code of another copy of the named
        # copy's document (a strip pasted in, cut across by every region)
        readings += rival_readings(pieces, keys, register)
    return readings, several


TILT_SPREAD = 0.015
"""Spread of the lattice pitch between the bands (largest over smallest, less one) above which
a page image is taken for a photo in perspective and its tilt is looked for. A flat render or
scan shows its bands within 0.3 % of each other; a photo with a keystone of 3 % already spreads
them by 4 % (measured on a rendered copy, 150 dpi)."""


def pitch_spread(readings: list[Reading]) -> float:
    """How much the lattice pitch differs between the regions where the pattern synchronised
    (0 with fewer than two)."""
    pitches = [r.pitch for r in readings if r.pitch > 0]
    return max(pitches) / min(pitches) - 1 if len(pitches) >= 2 else 0.0


def untilted_view(image: Image.Image) -> Image.Image | None:
    """The page image (shrunk as the decoders shrink it) with a photo's perspective undone,
    or None when it shows no clear tilt (:func:`watermark.pattern_tilt.untilted`, remembered,
    so the whole page's read reuses it).

    Looked for only where it matters and is likely (it costs about a CPU second a page): on a
    page where no band found a readable pattern (the camera-robust reader, which reads the
    same image whole, looks for it there too, and the search is remembered), and on a page
    that names a copy, whose halves and strips are read untilted as well as taken, when the
    whole page was read or the bands' lattice pitches drift (:func:`pitch_spread`)."""
    import numpy as np

    from mijian.watermark.pattern_image import to_grey
    from mijian.watermark.pattern_tilt import untilted

    grey, _factor = to_grey(image)  # as the camera-robust reader takes it: one search for both
    _tilt, flat = untilted(grey, WHOLE_PITCHES)
    return None if flat is None else Image.fromarray(np.clip(flat, 0, 255).astype(np.uint8))


WHOLE_PITCHES = (2.8, 14.0)
"""Dot pitches (px) the whole page is searched for when no resolution is known: the decoder's
own range, so the tilt found here is the one it finds (and remembers) for the whole page."""


def _unread_pattern(readings: list[Reading]) -> bool:
    """Whether the page's pattern synchronised and yet no region read a copy.

    A page pieced together side by side from two copies holds both copies in every band and in
    the whole page: the pilots (the same on every copy) synchronise, the data of the two copies
    cancels, and often no band reads either copy, while each half holds one copy alone and
    reads. The halves are then read as they are when a band names a copy; without them, a
    colleague's QR symbol on the pieced page would be the only mark found pointing anywhere."""
    from mijian.watermark.pattern import Z_ACCEPT

    return all(r.number is None for r in readings) and max(r.statistic for r in readings) >= Z_ACCEPT


SINGLE_OVERLAP = 0.45
"""Largest band overlap taken for the marks of one copy without a look at the whole page (one
copy measures 0 to 0.45, see :data:`watermark.pattern.OVERLAP_SEVERAL`)."""


def _needs_whole(readings: list[Reading]) -> bool:
    """Whether the bands of a page leave the whole page worth a second pass."""
    from mijian.watermark.pattern import Z_ACCEPT

    unread_synchronised = (any(r.number is None for r in readings)
                           and max(r.statistic for r in readings) >= Z_ACCEPT)
    return unread_synchronised or max(r.overlap for r in readings) >= SINGLE_OVERLAP


def _where(readings: list[Reading]) -> str:
    """Where a copy's fingerprint was read, page by page (``page 1 band 1/4, band 2/4``)."""
    pages: dict[int, list[str]] = {}
    for reading in readings:
        pages.setdefault(reading.page, []).append(reading.band.replace("whole", "whole page"))
    return "; ".join(f"page {page} " + ", ".join(regions) for page, regions in pages.items())


def fingerprint_layer(readings: list[Reading], several: int, pages: int) -> Layer:
    """Say what the page fingerprint found (``several``: pages where the marks of several
    copies lie on top of each other)."""
    found: dict[str, list[Reading]] = {}
    unknown = [r for r in readings if r.number is not None and r.copy_id is None]
    for reading in readings:
        if reading.copy_id:
            found.setdefault(reading.copy_id, []).append(reading)
    notes = [f"copy {cid} (number {rs[0].number}) on {_where(rs)}" for cid, rs in found.items()]
    notes += [f"number {r.number} on page {r.page} {r.band}, which no copy carries" for r in unknown]
    regions = max(1, len(readings))  # every region read was one more chance of a false decode
    support = tuple((cid, false_match_probability(min(1.0, regions * min(r.probability for r in rs)),
                                                  SIGNAL)) for cid, rs in found.items())
    support += tuple((f"fingerprint {r.number}",
                      false_match_probability(min(1.0, regions * r.probability), SIGNAL))
                     for r in unknown)
    if support:
        layer = Layer("page-fingerprint", "valid" if len(support) == 1 else "several copies",
                      "keyed dot pattern decoded: " + "; ".join(notes), SIGNAL, support)
    elif several:
        layer = Layer("page-fingerprint", "several copies",
                      f"on {several} page image(s) the keyed dot pattern holds two dots in most groups: "
                      "the marks of several copies lie on top of each other", SIGNAL)
    else:
        layer = Layer("page-fingerprint", "absent", f"no page fingerprint decoded on {pages} page "
                      f"image(s) ({len(readings)} region(s) read)", SIGNAL)
    return layer
