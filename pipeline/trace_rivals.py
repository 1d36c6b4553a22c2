"""Look for the marks of the named copy's rivals where the page fingerprint read no copy.

A page pieced together from one copy and a strip of another can name the first copy in its
bands while the strip, cut across by the regions the decoder reads, decodes nowhere: a region
holding most of the strip and some of the named copy gets the pilots right (they are the same
on every copy) but mixes two codes, and the keyed check fails. Decoding asks "which code is
this?" of a region; here the question is narrower and much easier to answer: "does this
region carry the code of another copy of the same document?". Each code is a known choice of
one dot site in each data group of the tile; at the tile origin the pilots give, the readings
of the region are summed tile by tile, and a copy whose code is there shows up as a sum, over
the data groups, of its own sites far above what a random choice of sites gives.

The statistic for a rival copy counts only the groups where its code differs from the named
copy's (where the two codes choose the same site the named copy's own dots would count for
the rival), and is a z-score against the spread of the group's other sites: without the
rival's marks each chosen site is one of 32 at random, so the sum has mean about 0 and a
known variance. :data:`RIVAL_Z` is far above what the largest of hundreds of rivals reaches by
chance; a region where a rival passes it makes the page fingerprint point to that copy as
well, so the verdict becomes ``conflict`` and no one is named. A false rival could only stop
a genuine leak from being named; it can never name anyone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image

from mijian.pipeline.register_store import RegisterStore

RIVAL_Z = 8.0
"""z-score a rival copy's code must reach in a region to count as present there. Measured on
a B page with a quarter strip of A, photographed: A's code scores 8-21 in the regions
holding the strip; in regions of B alone, A scores -1.5 to 2."""
MAX_RIVALS = 500
"""Most other copies of the document looked for (their codes are built one by one, about a
millisecond each); a document issued to more is not searched for rivals."""
MAX_REGIONS = 4
"""Most regions of a page measured (each costs one lattice search, a few tenths of a CPU
second): the halves first, which hold a strip at the page's edge most fully."""


@dataclass(frozen=True)
class Rival:
    """Another copy of the named copy's document: its id and fingerprint number."""

    copy_id: str
    number: int


@dataclass(frozen=True)
class Found:
    """A rival whose code a region carries, with its z-score and false-match probability."""

    rival: Rival
    z: float
    probability: float


def rivals(register: RegisterStore, copy_id: str) -> list[Rival]:
    """The other copies of ``copy_id``'s document that carry a fingerprint number (none when
    the document has more than :data:`MAX_RIVALS` copies, or the copy is unknown)."""
    record = register.get_copy(copy_id)
    if record is None or len(register.copy_labels(record.document_id)) > MAX_RIVALS + 1:
        return []
    return [Rival(r.copy_id, int(r.fingerprint)) for r in register.list_copies(record.document_id)
            if r.copy_id != copy_id and r.fingerprint is not None]


@lru_cache(maxsize=4096)
def _symbols(key: bytes, number: int) -> np.ndarray:
    """The data groups' symbols (site within each group) of fingerprint ``number``."""
    from mijian.watermark.pattern import NUMBER_PARAMS, payload_from_number
    from mijian.watermark.pattern_code import encode_bits, symbols_from_bits

    return symbols_from_bits(NUMBER_PARAMS, encode_bits(key, NUMBER_PARAMS, payload_from_number(number)))


def _data_sums(region: Image.Image, key: bytes) -> np.ndarray | None:
    """The region's readings summed tile by tile at the origin its pilots give, as one row
    of the 32 site sums per data group, each row centred; None when no lattice synchronises
    (pilot z-score below :data:`watermark.pattern.Z_ACCEPT`)."""
    from mijian.watermark.pattern import NUMBER_PARAMS, Z_ACCEPT
    from mijian.watermark.pattern_code import layout
    from mijian.watermark.pattern_decode import _scaled, _site_readings, _synchronise
    from mijian.watermark.pattern_image import darkness, dot_response, find_lattices, locate_sites, to_grey
    from mijian.watermark.pattern_llr import pilot_template

    p = NUMBER_PARAMS
    grey, _factor = to_grey(region)
    if min(grey.shape) < 4 * p.pitch:
        return None
    dark, valid = darkness(grey)
    t_hat = np.fft.fft2(pilot_template(_pkey(key)))
    best = None
    for lat in find_lattices(dark, (2.8, 14.0), limit=2):
        grid = locate_sites(dot_response(dark, lat.pitch), lat, valid, 5)
        if grid is None:
            continue
        r, ok = _site_readings(dark, valid, lat.pitch, grid)
        if ok.sum() < 2 * p.group:
            continue
        top = _synchronise(p, t_hat, grid.rows[ok], grid.cols[ok], _scaled(r[ok], int(ok.sum())))[0]
        if best is None or top.z > best.z:
            best = top
    if best is None or best.z < Z_ACCEPT:
        return None
    oy, ox = divmod(int(best.order[0]), p.tile)
    rows, cols = np.divmod(layout(key, p).sites[p.pilots:], p.tile)
    values = best.fsum[(rows - oy) % p.tile, (cols - ox) % p.tile]
    return values - values.mean(axis=1, keepdims=True)


def _pkey(key: bytes):
    from mijian.watermark.pattern import NUMBER_PARAMS, PatternKey

    return PatternKey(key, NUMBER_PARAMS)


def rival_in(region: Image.Image, key: bytes, named: int, candidates: list[Rival]) -> Found | None:
    """The rival whose code ``region`` carries most clearly above :data:`RIVAL_Z` (see the
    module notes), under the page-pattern ``key``; None when none does."""
    if not candidates:
        return None
    sums = _data_sums(region, key)
    if sums is None:
        return None
    own = _symbols(key, named)
    spread = (sums ** 2).mean(axis=1)  # variance of one site picked at random in each group
    groups = np.arange(len(own))
    best: Found | None = None
    for rival in candidates:
        symbols = _symbols(key, rival.number)
        differ = symbols != own
        variance = float(spread[differ].sum())
        if variance <= 0:
            continue
        z = float(sums[groups[differ], symbols[differ]].sum()) / math.sqrt(variance)
        if z >= RIVAL_Z and (best is None or z > best.z):
            tail = 0.5 * math.erfc(z / math.sqrt(2))
            best = Found(rival, z, min(1.0, tail * len(candidates)))
    return best


def _order(band: str) -> int:
    """Halves first, then strips, then bands (see :data:`MAX_REGIONS`)."""
    return 0 if "half" in band else 1 if "strip" in band else 2


def rival_readings(pieces: list, keys: list, register: RegisterStore) -> list:
    """The readings to add for one page image: ``pieces`` are its regions read, each as
    (:class:`~pipeline.trace_images.Reading`, region image). When the page's readings name
    exactly one copy, up to :data:`MAX_REGIONS` regions that synchronised but read no copy
    (a whole page, read with a photo's perspective undone, is left out) are searched for
    the code of another copy of that document; the first found is returned as a reading of
    that copy in that region (its ``band`` says it was matched, not decoded). Empty when
    nothing is found."""
    from mijian.pipeline.issuing import pattern_key
    from mijian.pipeline.trace_images import Reading
    from mijian.watermark.pattern import Z_ACCEPT

    named = {r.copy_id for r, _region in pieces if r.copy_id}
    unknown = any(r.number is not None and r.copy_id is None for r, _region in pieces)
    if len(named) != 1 or unknown:
        return []
    first = next(r for r, _region in pieces if r.copy_id)
    unread = sorted(((r, region) for r, region in pieces if r.number is None
                     and r.statistic >= Z_ACCEPT and not r.band.endswith("whole")),
                    key=lambda piece: _order(piece[0].band))[:MAX_REGIONS]
    candidates = rivals(register, first.copy_id) if unread else []
    for reading, region in unread if candidates else []:
        for key in keys:
            found = rival_in(region, pattern_key(key), int(first.number), candidates)
            if found is not None:
                return [Reading(reading.page, f"{reading.band} (code of copy matched, z {found.z:.1f})",
                                found.rival.number, found.rival.copy_id, found.probability, False,
                                found.z)]
    return []
