"""Keyed, blind page fingerprint: a sparse dot "security background" naming the copy.

Design
------
The pattern is a square lattice of candidate dot sites (pitch 8 px at 150 dpi, 1.35 mm).
Sites are grouped, under the key, into pulse-position groups of 32 sites spread over a tile
of 40 x 40 sites (54 mm); each group holds exactly one dot, and which of its 32 sites holds
it carries 5 bits. Of the 50 groups of a tile, 8 are pilots (keyed constant symbols, for
synchronisation) and 42 carry 210 channel bits: the payload and a keyed check,
convolutionally encoded (K = 7, zero tail), whitened and interleaved under the key. Two
payload sizes share this geometry (:class:`PatternParams` ``payload_bits``):

- 60 bits (a copy id, 8-byte payload; the default params): 16-bit check, rate 1/3 mother
  code punctured to 76/210;
- 32 bits (a per-office fingerprint number, 4-byte payload, :data:`NUMBER_PARAMS`): 20-bit
  check, rate 1/4 mother code punctured to 52/210, so a piece of a page needs about a third
  fewer readable sites.

Every tile repeats the same code, so any piece of the page holding a few tiles' worth of
white paper decodes, and soft values from all tiles are summed before decoding.

Dots are 2 x 2 px (0.34 mm). Most are light grey (darkness 36/255); in each tile 12 of the
50 groups, rotating with the tile position, are printed black, so a binarised photocopy
keeps about a quarter of the dots and every group is black in some tile of a page. One dot
per 32 sites, about 1,000 dots on an A4 page: blank paper stays above 254/255 mean
luminance, and the page SSIM at 75 dpi is about 0.975 (the budget that bounds the design:
each dot costs SSIM wherever it sits, a black dot about five times a grey one).

Decoding needs no original: the dots sit on a lattice, so the spectrum of the image's
isolated specks (rules, edges of tinted areas and text are left out) gives scale and
rotation; the frequencies are refined from the coherence of local lattice
phases, the remaining phase is unwrapped and an affine map (or, for a photo, a quadratic
one) fitted; each site is read within its own cell, so sites between text lines count and
only sites touched by ink are masked; the keyed pilots give the tile origin (a z-score over
all 1,600 origins, reported as the detection statistic); which of the 50 black/grey
rotations applies is read from the strongest dot of each group, and each reading is
weighted by the amplitude of its class (a binarised copy has lost its grey dots: they then
count for nothing instead of as "no dot here"); symbol likelihoods are marginalised to bit
LLRs, then soft-decision Viterbi decoding and the keyed check. See
:mod:`watermark.pattern_image` and :mod:`watermark.pattern_code`.

Compositing: :func:`page_dots` gives the dots as squares for a vector drawing (PDF copies
draw them black, the light ones with fill opacity darkness/255, over the page content), and
:func:`make_overlay` returns an RGBA image, black with alpha = darkness/255,
meant to be drawn *over* the page content with normal alpha compositing ("over"); on white
paper a dot becomes grey (255 - darkness), over black text it stays black (invisible). It
must cover the whole page box, top-left aligned, at the dpi it was made for (300 dpi keeps
dots crisp when printed). :func:`apply_to_image` does the same compositing on a raster.

False-match probability
-----------------------
A payload is returned only if (a) the pilot synchronisation z-score is at least
``Z_ACCEPT`` and (b) the keyed check (c = 16 bits for the 60-bit payload, 20 bits for the
32-bit one) over the decoded payload bits verifies. For an image that carries no pattern
under this key (unmarked, another key, a different office), the decoded bits do not depend
on the key's check function, so a truncated HMAC verifies with probability 2^-c per decode
attempt; the decoder makes at most ``attempts`` attempts (2 lattice candidates x 2 page
turns x 2 origins per pass; a pass that finds a loosely fitted lattice but no payload
reads the image once more straightened along that fit; a second pass at half resolution
when the first finds nothing: at most 32; the black/grey rotation is chosen before decoding
and is not an attempt), so by the
union bound an unmarked image yields *some* payload with probability at most
``attempts * 2^-c``. That payload is then independent of the register, so it equals one
given registered value with probability 2^-b (b = 60 or 32 payload bits).
:attr:`Detection.false_match_probability` reports ``attempts * 2^-(c + b)`` for *one*
lookup: ``attempts * 2^-76`` for copy ids, ``attempts * 2^-52`` for fingerprint numbers.
Against a register of N copies (or N issued numbers) the chance of naming anyone is at most
``N`` times that: for numbers, ``attempts * 2^-20 * N / 2^32``, e.g. N = 10^5 gives
< 8e-10 with 32 attempts, far below 1e-6 (copy ids: N = 10^6 gives < 1e-14). The z-score
threshold is extra margin and is not counted in the bound (its Gaussian null is only
approximate on real pages).

What it does not protect against: anyone holding the key can forge a pattern for any copy
number; the pattern of one copy can be lifted (it is a visible dot texture) and pasted onto
another page to frame its holder; averaging two copies merges their dots and usually makes
the decode fail (it then names no one, and 2^-16 bounds the chance it names a third
party; 2^-20 for numbers), and :attr:`Detection.overlap` then shows two dots in most
groups, so the trace can say that several copies' marks are present; a page under another
*document's* copy under the same key decodes to that copy, which is correct but not the
document at hand, so the register lookup must check the document; heavy despeckling,
background removal, or a re-typed page remove the pattern.
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from PIL import Image

from mijian.watermark.pattern_code import (
    PatternParams,
    decode_llr,
    encode_bits,
    layout,
    payload_to_int,
    symbols_from_bits,
)
from mijian.watermark.pattern_geometry import rectify
from mijian.watermark.pattern_image import (
    bilinear,
    darkness,
    dot_response,
    find_lattices,
    locate_sites,
    render_dots,
    site_response,
    to_grey,
)

__all__ = [
    "BASE_DPI", "Z_ACCEPT", "OVERLAP_SEVERAL", "PatternParams", "PatternKey", "Detection",
    "make_overlay", "page_dots", "apply_to_image", "decode", "payload_from_copy_id", "copy_id_from_payload",
    "payload_from_number", "number_from_payload", "NUMBER_PARAMS",
]

BASE_DPI = 150
Z_ACCEPT = 5.0
OVERLAP_SEVERAL = 0.7
"""An unreadable but synchronised pattern whose :attr:`Detection.overlap` reaches this holds
the marks of several copies (two averaged copies measure 0.8-0.95, one copy 0-0.45)."""
_MAX_ORIGINS = 2
_MAX_TURNS = 2
STRAIGHTEN_RESIDUAL = 0.05
"""A lattice fitted with a median error above this (in pitches) is straightened and read
again when nothing decodes (see :func:`_decode_grey`)."""
STRAIGHTEN_Z = 3.5
"""...provided its pilots synchronised at least this well (a pattern is likely there)."""


@dataclass(frozen=True)
class PatternKey:
    """A pattern key: secret bytes (derived by the caller from the office key) and params."""

    key: bytes
    params: PatternParams = field(default_factory=PatternParams)

    def __post_init__(self) -> None:
        if len(self.key) < 16:
            raise ValueError("a pattern key needs at least 16 bytes")


@dataclass(frozen=True)
class Detection:
    """What :func:`decode` found in one image.

    Attributes:
        payload: the payload (8 bytes for a 60-bit copy number, 4 bytes for a 32-bit
            fingerprint number, as the key's params say) if every check passed, else None.
        statistic: pilot synchronisation z-score of the best tile origin (0 if no lattice).
        false_match_probability: bound on the chance that an image without this key's
            pattern returns a payload equal to one given registered copy or number (one
            lookup; multiply by the register size, see module doc).
        bits_corrected: channel bits whose hard decision the decoder overrode.
        bits_used: channel bits that had any evidence.
        pitch_px: lattice pitch found in the image (pixels of the image as given).
        angle_deg: lattice rotation found.
        sites: lattice sites read on paper (not under text).
        seconds: decode time.
        notes: what was found, step by step.
    """

    payload: bytes | None
    statistic: float
    false_match_probability: float
    bits_corrected: int
    bits_used: int
    pitch_px: float
    angle_deg: float
    sites: int
    seconds: float
    notes: tuple[str, ...]
    overlap: float = 0.0
    """Share of data groups showing a second dot as strong as their first, at the best
    origin (0 when no pattern was synchronised): about 0 for one copy's marks, near 1 where
    two copies' page images were averaged (see :data:`OVERLAP_SEVERAL`)."""

    @property
    def found(self) -> bool:
        """Whether a payload was accepted."""
        return self.payload is not None


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


def _dots(width_px: float, height_px: float, payload: bytes, pkey: PatternKey,
          dpi: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Centres (x, y in pixels at ``dpi``) and darkness of every dot of the page."""
    p = pkey.params
    lay = layout(pkey.key, p)
    channel = encode_bits(pkey.key, p, payload)
    symbols = np.concatenate([lay.pilot_symbols, symbols_from_bits(p, channel)])
    site = lay.sites[np.arange(p.groups), symbols]
    row_in, col_in = np.divmod(site, p.tile)
    scale = dpi / BASE_DPI
    tile_px = p.tile * p.pitch * scale
    xs, ys, vals = [], [], []
    for tr in range(int(math.ceil(height_px / tile_px))):
        for tc in range(int(math.ceil(width_px / tile_px))):
            dark = np.zeros(p.groups, bool)
            dark[lay.dark_groups(tr, tc)] = True
            x = ((tc * p.tile + col_in) + 0.5) * p.pitch * scale
            y = ((tr * p.tile + row_in) + 0.5) * p.pitch * scale
            xs.append(x)
            ys.append(y)
            vals.append(np.where(dark, p.dark, p.light))
    x = np.concatenate(xs)
    y = np.concatenate(ys)
    v = np.concatenate(vals).astype(np.float32)
    half = p.dot * scale / 2
    keep = (x - half >= 0) & (y - half >= 0) & (x + half <= width_px) & (y + half <= height_px)
    return x[keep], y[keep], v[keep]


def _as_key(key: bytes | PatternKey) -> PatternKey:
    return key if isinstance(key, PatternKey) else PatternKey(bytes(key))


def make_overlay(width_px: int, height_px: int, payload: bytes, key: bytes | PatternKey,
                 dpi: int = BASE_DPI) -> Image.Image:
    """The page pattern as an RGBA image (black, alpha = dot darkness / 255).

    ``width_px`` x ``height_px`` is the page box at ``dpi``; place the image over the whole
    page, top-left aligned, composited "over" the content (normal blend with its alpha).
    The same overlay serves every page of one copy of the same size.
    """
    pkey = _as_key(key)
    payload_to_int(payload, pkey.params.payload_bits)
    if width_px <= 0 or height_px <= 0 or dpi < 72:
        raise ValueError("overlay size must be positive and dpi at least 72")
    x, y, v = _dots(width_px, height_px, payload, pkey, dpi)
    alpha = render_dots(width_px, height_px, x, y, pkey.params.dot * dpi / BASE_DPI, v)
    rgba = np.zeros((height_px, width_px, 4), np.uint8)
    rgba[..., 3] = np.clip(np.round(alpha), 0, 255).astype(np.uint8)
    return Image.fromarray(rgba, "RGBA")


def page_dots(width: float, height: float, payload: bytes, key: bytes | PatternKey,
              units_per_inch: float = 72.0) -> tuple[np.ndarray, np.ndarray, float, np.ndarray]:
    """The page pattern as squares to draw: centres x and y (from the top-left corner), the
    side of every square, and each square's darkness (0-255), in units of
    ``1 / units_per_inch`` inch (points by default) for a page of ``width`` x ``height``.

    Drawn black with opacity darkness / 255 over the page content, they are the same mark
    :func:`make_overlay` rasterises.
    """
    pkey = _as_key(key)
    payload_to_int(payload, pkey.params.payload_bits)
    if width <= 0 or height <= 0 or units_per_inch <= 0:
        raise ValueError("page size and units must be positive")
    x, y, v = _dots(width, height, payload, pkey, units_per_inch)
    return x, y, pkey.params.dot * units_per_inch / BASE_DPI, v


def apply_to_image(page: Image.Image, payload: bytes, key: bytes | PatternKey,
                   dpi: int = BASE_DPI) -> Image.Image:
    """``page`` (a raster of the whole page at ``dpi``) with the pattern composited over it."""
    overlay = make_overlay(page.width, page.height, payload, key, dpi)
    alpha = np.asarray(overlay, dtype=np.float32)[..., 3:4] / 255.0
    mode = page.mode if page.mode in ("L", "RGB") else "RGB"
    base = np.asarray(page.convert(mode), dtype=np.float32)
    if base.ndim == 2:
        base = base[..., None]
    out = np.clip(np.round(base * (1.0 - alpha)), 0, 255).astype(np.uint8)
    return Image.fromarray(out[..., 0] if mode == "L" else out, mode)


def _pilot_template(pkey: PatternKey) -> np.ndarray:
    p = pkey.params
    lay = layout(pkey.key, p)
    t = np.zeros(p.tile * p.tile)
    for g in range(p.pilots):
        t[lay.sites[g]] = -1.0 / (p.group - 1)
        t[lay.sites[g, lay.pilot_symbols[g]]] = 1.0
    return t.reshape(p.tile, p.tile)


def _fail(notes: list[str], t0: float) -> Detection:
    return Detection(None, 0.0, 0.0, 0, 0, 0.0, 0.0, 0, time.perf_counter() - t0, tuple(notes))


def _lse(a: np.ndarray, axis: int) -> np.ndarray:
    m = a.max(axis=axis, keepdims=True)
    return (m + np.log(np.exp(a - m).sum(axis=axis, keepdims=True))).squeeze(axis)


def _site_llrs(pkey: PatternKey, x: np.ndarray, rows: np.ndarray, cols: np.ndarray,
               oy: int, ox: int) -> tuple[np.ndarray, str]:
    """Per tile position, the log-likelihood ratio "dot here" vs "no dot", summed over every
    reading of that position, with the dot amplitude of each reading taken from whether its
    group was printed black or grey in its tile (which of the 50 rotations applies is found
    from the readings themselves)."""
    p = pkey.params
    lay = layout(pkey.key, p)
    T = p.tile
    group_of, slot_of = _tile_maps(pkey)
    ra, ca = rows + oy, cols + ox
    pidx = (ra % T) * T + (ca % T)
    tr, tc = ra // T, ca // T
    g = group_of[pidx]
    rank = np.empty(p.groups, np.int64)
    rank[lay.dark_order] = np.arange(p.groups)
    step_r = 3 * p.dark_per_tile + 1
    q = (rank[g] - p.dark_per_tile * tc - step_r * tr) % p.groups
    # strongest reading of each (tile, group): a black group shows a strong one
    tkey = ((tr - tr.min()) * (tc.max() - tc.min() + 1) + (tc - tc.min())) * p.groups + g
    uk, inv = np.unique(tkey, return_inverse=True)
    peak = np.full(len(uk), -np.inf)
    np.maximum.at(peak, inv, x)
    n_seen = np.bincount(inv, minlength=len(uk))
    q_pair = np.zeros(len(uk), np.int64)
    q_pair[inv] = q
    full = n_seen >= p.group // 2
    hist = np.bincount(q_pair[full], weights=peak[full] - np.median(peak[full]) if full.any() else None,
                       minlength=p.groups) if full.any() else np.zeros(p.groups)
    window = np.zeros(p.groups)
    window[:p.dark_per_tile] = 1.0
    # score[b] = sum of hist[(b + j) % groups] for j < dark_per_tile
    score = np.real(np.fft.ifft(np.conj(np.fft.fft(window)) * np.fft.fft(hist)))
    base = int(np.argmax(score))
    dark_obs = ((q - base) % p.groups) < p.dark_per_tile
    # amplitudes: readings at pilot dots, and the peaks of well-seen groups
    is_pilot_dot = (g < p.pilots) & (slot_of[pidx] == lay.pilot_symbols[np.minimum(g, p.pilots - 1)])
    is_pilot_empty = (g < p.pilots) & ~is_pilot_dot
    dark_pair = ((q_pair - base) % p.groups) < p.dark_per_tile
    amp = []
    for cls in (False, True):
        vals = np.concatenate([x[is_pilot_dot & (dark_obs == cls)], peak[full & (dark_pair == cls)]])
        amp.append(float(np.median(vals)) if len(vals) >= 3 else float("nan"))
    a_l, a_d = amp
    top = float(np.percentile(x, 99.5))
    if not np.isfinite(a_d) or a_d < 0.1 * top:
        # too few black readings on paper (a small or dense crop) or most of them off the
        # page (a photo's surround): the strongest readings stand for the black dots
        a_d = top
    if not np.isfinite(a_l):
        a_l = 0.15 * a_d
    a_d = max(a_d, 1e-6)
    a_l = float(np.clip(a_l, 0.0, a_d))
    empty = x[is_pilot_empty] if is_pilot_empty.sum() >= 20 else x
    sigma = float(1.4826 * np.median(np.abs(empty - np.median(empty))))
    sigma = max(sigma, 0.03 * a_d, 0.2 * a_l)
    a = np.where(dark_obs, a_d, a_l)
    half_span = a / 2 + 3 * sigma
    xc = np.clip(x, a / 2 - half_span, a / 2 + half_span)
    llr = a * (xc - a / 2) / (sigma * sigma)
    lam = np.bincount(pidx, weights=llr, minlength=T * T)
    note = f"amplitudes black {a_d:.3g} grey {a_l:.3g}, noise {sigma:.3g}, rotation {base}"
    return lam, note


@lru_cache(maxsize=8)
def _tile_maps(pkey: PatternKey) -> tuple[np.ndarray, np.ndarray]:
    """Group and slot of every tile position."""
    p = pkey.params
    lay = layout(pkey.key, p)
    group_of = np.empty(p.tile * p.tile, np.int64)
    slot_of = np.empty(p.tile * p.tile, np.int64)
    group_of[lay.sites.ravel()] = np.repeat(np.arange(p.groups), p.group)
    slot_of[lay.sites.ravel()] = np.tile(np.arange(p.group), p.groups)
    return group_of, slot_of


def _turns(rows: np.ndarray, cols: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Page lattice coordinates of the image's sites for the page upright, turned a quarter
    turn either way, and upside down (the image's axes always run right and down)."""
    return [(rows, cols), (cols, -rows), (-rows, -cols), (-cols, rows)]


def _overlap(pkey: PatternKey, fsum: np.ndarray, oy: int, ox: int) -> float:
    """Share of the data groups whose second-strongest site (readings summed over the tiles,
    origin ``oy``, ``ox``) is at least half as strong as their strongest: one copy puts one
    dot in each group, two averaged copies put two (:attr:`Detection.overlap`)."""
    p = pkey.params
    lay = layout(pkey.key, p)
    rows, cols = np.divmod(lay.sites[p.pilots:], p.tile)
    values = np.sort(fsum[(rows - oy) % p.tile, (cols - ox) % p.tile], axis=1)
    first, second = values[:, -1], values[:, -2]
    seen = first > 0
    if seen.sum() < 10:
        return 0.0
    return float(np.mean(second[seen] >= 0.5 * first[seen]))


def _bit_llrs(pkey: PatternKey, lam: np.ndarray) -> np.ndarray:
    """Channel-bit LLRs (positive favours 0) from the tile positions' dot LLRs: one dot per
    group, so each symbol's likelihood is exp(lam) at its site."""
    p = pkey.params
    lay = layout(pkey.key, p)
    sym = lam[lay.sites[p.pilots:]]  # (data groups, group)
    bits_w = 1 << np.arange(p.symbol_bits - 1, -1, -1)
    sym_bits = (np.arange(p.group)[:, None] & bits_w[None, :]) > 0
    out = np.zeros((sym.shape[0], p.symbol_bits))
    for b in range(p.symbol_bits):
        l0 = _lse(np.where(~sym_bits[:, b][None, :], sym, -np.inf), axis=1)
        l1 = _lse(np.where(sym_bits[:, b][None, :], sym, -np.inf), axis=1)
        out[:, b] = l0 - l1
    return np.clip(out, -50.0, 50.0).ravel()


def decode(image: Image.Image, key: bytes | PatternKey, dpi_hint: int | None = None) -> Detection:
    """Find and read the page pattern of ``key`` in ``image`` (no original needed).

    ``dpi_hint`` (the image's resolution relative to the printed page, if known) narrows the
    lattice search; without it pitches from 2.8 to 14 px are tried (60-260 dpi after large
    images are shrunk), and again at half resolution (up to 28 px) when nothing decodes.
    Returns a :class:`Detection`; its payload is None unless the synchronisation statistic
    and the keyed check both pass.
    """
    t0 = time.perf_counter()
    pkey = _as_key(key)
    p = pkey.params
    notes: list[str] = []
    grey, factor = to_grey(image)
    if min(grey.shape) < 4 * p.pitch:
        return _fail(["image too small"], t0)
    if dpi_hint:
        expect = p.pitch * dpi_hint / BASE_DPI * factor
        pitch_range = (0.8 * expect, 1.25 * expect)
    else:
        pitch_range = (2.8, 14.0)
    found, attempts = _decode_grey(grey, factor, pkey, pitch_range, t0, notes, 0)
    if found.payload is None and dpi_hint is None and min(grey.shape) >= 200:
        # dots larger than the search expects (a crop of a 300 dpi scan is not shrunk):
        # look again at half the resolution; the attempts add up in the bound
        notes.append("again at half resolution:")
        again, attempts = _decode_grey(_halve(grey), factor / 2, pkey, pitch_range, t0, notes,
                                       attempts)
        if again.payload is not None or again.statistic > found.statistic:
            found = again
    return dataclasses.replace(found, notes=tuple(notes), seconds=time.perf_counter() - t0)


def _halve(grey: np.ndarray) -> np.ndarray:
    """The grey image at half resolution (means of 2 x 2 pixels)."""
    h, w = grey.shape[0] // 2, grey.shape[1] // 2
    return grey[:2 * h, :2 * w].reshape(h, 2, w, 2).mean(axis=(1, 3)).astype(np.float32)


def _decode_grey(grey: np.ndarray, factor: float, pkey: PatternKey,
                 pitch_range: tuple[float, float], t0: float, notes: list[str],
                 attempts: int, straighten: bool = True, window: int = 5) -> tuple[Detection, int]:
    """One decoding pass over a grey image (``factor``: its scale relative to the image as
    given); ``attempts`` made before this pass count in the false-match bound. Returns the
    detection and the attempts made so far.

    When nothing decodes but a lattice was fitted only loosely (a photo's perspective
    makes the local phases noisy), the image is resampled along that fit so that the lattice
    runs straight, and read once more (``straighten``: whether this may happen)."""
    p = pkey.params
    dark, valid = darkness(grey)
    lattices = find_lattices(dark, pitch_range, limit=2)
    if not lattices:
        notes.append("no dot lattice in the image's spectrum")
        return _fail(notes, t0), attempts
    template = _pilot_template(pkey)
    t_hat = np.fft.fft2(template)
    best: Detection | None = None
    loose = None  # (sync z, grid, pitch) of the best loosely fitted lattice
    for li, lat in enumerate(lattices):
        pitch_img = lat.pitch / factor
        grid = locate_sites(dot_response(dark, lat.pitch), lat, valid, window)
        if grid is None:
            notes.append(f"lattice {li}: pitch {pitch_img:.2f} px, phase tracking failed")
            continue
        resp = site_response(dark, lat.pitch)
        r = bilinear(resp.resp, grid.ys, grid.xs)
        busy = bilinear(resp.busy.astype(np.float32), grid.ys, grid.xs)
        ok = (busy < 0.5) & valid[np.clip(grid.ys.astype(int), 0, grey.shape[0] - 1),
                                    np.clip(grid.xs.astype(int), 0, grey.shape[1] - 1)]
        n_ok = int(ok.sum())
        if n_ok < 2 * p.group:
            notes.append(f"lattice {li}: only {n_ok} sites on paper")
            continue
        r = r[ok]
        level = float(np.median(np.sort(r)[-max(3, n_ok // 50):]))
        noise = float(1.4826 * np.median(np.abs(r - np.median(r)))) + 1e-9
        if level <= 3 * noise:
            level = 3 * noise
        s = np.clip(r / level, -1.0, 1.5)
        # the page may lie turned by a quarter or half turn in the image (a sideways scan, an
        # upside-down photo): the pilots of the right turn synchronise, the others do not
        synced = []
        for turn, (rows_abs, cols_abs) in enumerate(_turns(grid.rows[ok], grid.cols[ok])):
            fsum = np.zeros((p.tile, p.tile))
            np.add.at(fsum, (rows_abs % p.tile, cols_abs % p.tile), s)
            score = np.real(np.fft.ifft2(np.conj(np.fft.fft2(fsum)) * t_hat))
            flat = score.ravel()
            rest = np.sort(flat)[:-4]
            z_all = (flat - float(rest.mean())) / (float(rest.std()) + 1e-9)
            order = np.argsort(z_all)[::-1][:_MAX_ORIGINS]
            synced.append((float(z_all[order[0]]), turn, rows_abs, cols_abs, fsum, z_all, order))
        synced.sort(key=lambda t: -t[0])
        z, turn, rows_abs, cols_abs, fsum, z_all, order = synced[0]
        overlap = _overlap(pkey, fsum, *divmod(int(order[0]), p.tile)) if z >= Z_ACCEPT else 0.0
        notes.append(f"lattice {li}: pitch {pitch_img:.2f} px, angle {lat.angle_deg:+.2f} deg, "
                     f"{n_ok} paper sites, fit residual {grid.residual:.3f} pitch, sync z {z:.1f}")
        # where only the black dots survive the pilots synchronise weakly, and a wrong turn
        # can score a little higher: the two best turns are read
        for _zt, turn, rows_abs, cols_abs, _fsum, z_all, order in synced[:_MAX_TURNS]:
            for oi in order:
                zi = float(z_all[oi])
                if zi < Z_ACCEPT:
                    break
                attempts += 1
                oy, ox = divmod(int(oi), p.tile)
                lam, amp_note = _site_llrs(pkey, s, rows_abs, cols_abs, oy, ox)
                res = decode_llr(pkey.key, p, _bit_llrs(pkey, lam))
                fm = attempts * 2.0 ** -(p.check_bits + p.payload_bits)
                where = f"turn {turn}, origin ({oy},{ox}) z {zi:.1f}, {amp_note}"
                if res.payload is not None:
                    notes.append(f"{where}: check passed, {res.corrected}/{res.used} channel "
                                 "bits corrected")
                    return Detection(res.payload, zi, fm, res.corrected, res.used, pitch_img,
                                     lat.angle_deg + 90 * turn, n_ok, time.perf_counter() - t0,
                                     tuple(notes), overlap), attempts
                notes.append(f"{where}: keyed check failed ({res.corrected}/{res.used} bits "
                             "disagree)")
        if best is None or z > best.statistic:
            best = Detection(None, z, 0.0, 0, 0, pitch_img, lat.angle_deg, n_ok, 0.0, (), overlap)
        if grid.residual > STRAIGHTEN_RESIDUAL and (loose is None or z > loose[0]):
            loose = (z, grid, lat.pitch)
        if z >= Z_ACCEPT + 3:
            break
    if straighten and loose is not None and loose[0] >= STRAIGHTEN_Z:
        _z, grid, pitch = loose
        straight = rectify(grey, grid.project, grid.rows, grid.cols, pitch)
        if straight is not None:
            notes.append(f"straightened along the fit (residual {grid.residual:.3f} pitch):")
            again, attempts = _decode_grey(straight, factor, pkey, (0.9 * pitch, 1.1 * pitch), t0,
                                           notes, attempts, straighten=False)
            if again.payload is not None or best is None or again.statistic > best.statistic:
                return again, attempts
    if best is None:
        return _fail(notes, t0), attempts
    notes.append("no payload: " + ("pattern present but unreadable" if best.statistic >= Z_ACCEPT
                                   else "no pattern of this key found"))
    return Detection(None, best.statistic, 0.0, 0, 0, best.pitch_px, best.angle_deg, best.sites,
                     time.perf_counter() - t0, tuple(notes), best.overlap), attempts
