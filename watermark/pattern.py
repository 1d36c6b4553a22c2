"""Keyed, blind page fingerprint: a sparse dot "security background" naming the copy.

Design
------
The pattern is a square lattice of candidate dot sites (pitch 8 px at 150 dpi, 1.35 mm).
Sites are grouped, under the key, into pulse-position groups of 32 sites spread over a tile
of 40 x 40 sites (54 mm); each group holds exactly one dot, and which of its 32 sites holds
it carries 5 bits. Of the 50 groups of a tile, 8 are pilots (keyed constant symbols, for
synchronisation) and 42 carry 210 channel bits: a 60-bit payload (the copy number) and a
16-bit keyed check, convolutionally encoded (K = 7, rate 1/3 punctured to 76/210),
whitened and interleaved under the key. Every tile repeats the same code, so any piece of
the page holding a few tiles' worth of white paper decodes, and soft values from all tiles
are summed before decoding.

Dots are 2 x 2 px (0.34 mm). Most are light grey (darkness 36/255); in each tile 12 of the
50 groups, rotating with the tile position, are printed black, so a binarised photocopy
keeps about a quarter of the dots and every group is black in some tile of a page. One dot
per 32 sites, about 1,000 dots on an A4 page: blank paper stays above 254/255 mean
luminance, and the page SSIM at 75 dpi is about 0.975 (the budget that bounds the design:
each dot costs SSIM wherever it sits, a black dot about five times a grey one).

Decoding needs no original: the dots sit on a lattice, so the image's own spectrum gives
scale and rotation; local phase tracking and a quadratic fit absorb perspective; sites
under text are masked; the keyed pilots give the tile origin (a z-score over all 1,600
origins, reported as the detection statistic); then soft-decision Viterbi decoding and the
keyed check. See :mod:`watermark.pattern_image` and :mod:`watermark.pattern_code`.

Compositing: :func:`make_overlay` returns an RGBA image, black with alpha = darkness/255,
meant to be drawn *over* the page content with normal alpha compositing ("over"); on white
paper a dot becomes grey (255 - darkness), over black text it stays black (invisible). It
must cover the whole page box, top-left aligned, at the dpi it was made for (300 dpi keeps
dots crisp when printed). :func:`apply_to_image` does the same compositing on a raster.

False-match probability
-----------------------
A payload is returned only if (a) the pilot synchronisation z-score is at least
``Z_ACCEPT`` and (b) the 16-bit keyed check over the 60 decoded payload bits verifies.
For an image that carries no pattern under this key (unmarked, another key, a different
office), the decoded 76 bits do not depend on the key's check function, so a truncated
HMAC verifies with probability 2^-16 per decode attempt; the decoder makes at most
``attempts`` attempts (lattice candidates x origins), so by the union bound an unmarked
image yields *some* payload with probability at most ``attempts * 2^-16``. That payload
is then independent of the register, so it equals one given registered 60-bit copy number
with probability 2^-60. :attr:`Detection.false_match_probability` reports
``attempts * 2^-76`` (one lookup); against a register of N copies the chance of naming
anyone is at most ``N`` times that (N = 10^6 gives < 1e-15, far below 1e-6). The z-score
threshold is extra margin and is not counted in the bound (its Gaussian null is only
approximate on real pages).

What it does not protect against: anyone holding the key can forge a pattern for any copy
number; the pattern of one copy can be lifted (it is a visible dot texture) and pasted onto
another page to frame its holder; averaging two copies merges their dots and usually makes
the decode fail (it then names no one, and 2^-16 bounds the chance it names a third
party); a page under another *document's* copy under the same key decodes to that copy,
which is correct but not the document at hand, so the register lookup must check the
document; heavy despeckling, background removal, or a re-typed page remove the pattern.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from watermark.pattern_code import (
    CHECK_BITS,
    PAYLOAD_BITS,
    PatternParams,
    decode_llr,
    encode_bits,
    layout,
    payload_to_int,
    symbols_from_bits,
)
from watermark.pattern_image import (
    bilinear,
    darkness,
    dot_response,
    find_lattices,
    locate_sites,
    render_dots,
    to_grey,
)

__all__ = [
    "BASE_DPI", "Z_ACCEPT", "PatternParams", "PatternKey", "Detection",
    "make_overlay", "apply_to_image", "decode", "payload_from_copy_id", "copy_id_from_payload",
]

BASE_DPI = 150
Z_ACCEPT = 5.0
_MAX_ORIGINS = 2


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
        payload: the 8-byte payload (60-bit copy number) if every check passed, else None.
        statistic: pilot synchronisation z-score of the best tile origin (0 if no lattice).
        false_match_probability: bound on the chance that an image without this key's
            pattern returns a payload equal to one given registered copy (see module doc).
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

    @property
    def found(self) -> bool:
        """Whether a payload was accepted."""
        return self.payload is not None


def payload_from_copy_id(copy_id: str) -> bytes:
    """The 8-byte payload for a 12-character Crockford base32 copy id (60 bits)."""
    from watermark.codes import CROCKFORD

    text = copy_id.strip().upper()
    if len(text) != 12 or any(c not in CROCKFORD for c in text):
        raise ValueError("a copy id is 12 Crockford base32 characters")
    value = 0
    for c in text:
        value = value * 32 + CROCKFORD.index(c)
    return value.to_bytes(8, "big")


def copy_id_from_payload(payload: bytes) -> str:
    """The copy id carried by an 8-byte payload."""
    from watermark.codes import CROCKFORD

    value = payload_to_int(payload)
    return "".join(CROCKFORD[(value >> (5 * (11 - i))) & 31] for i in range(12))


def _dots(width_px: int, height_px: int, payload: bytes, pkey: PatternKey,
          dpi: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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
    payload_to_int(payload)
    if width_px <= 0 or height_px <= 0 or dpi < 72:
        raise ValueError("overlay size must be positive and dpi at least 72")
    x, y, v = _dots(width_px, height_px, payload, pkey, dpi)
    alpha = render_dots(width_px, height_px, x, y, pkey.params.dot * dpi / BASE_DPI, v)
    rgba = np.zeros((height_px, width_px, 4), np.uint8)
    rgba[..., 3] = np.clip(np.round(alpha), 0, 255).astype(np.uint8)
    return Image.fromarray(rgba, "RGBA")


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


def decode(image: Image.Image, key: bytes | PatternKey, dpi_hint: int | None = None) -> Detection:
    """Find and read the page pattern of ``key`` in ``image`` (no original needed).

    ``dpi_hint`` (the image's resolution relative to the printed page, if known) narrows the
    lattice search; without it pitches from 2.8 to 14 px are tried (60-260 dpi after large images are shrunk). Returns a
    :class:`Detection`; its payload is None unless the synchronisation statistic and the
    keyed check both pass.
    """
    t0 = time.perf_counter()
    pkey = _as_key(key)
    p = pkey.params
    notes: list[str] = []
    grey, factor = to_grey(image)
    if min(grey.shape) < 4 * p.pitch:
        return _fail(["image too small"], t0)
    dark, valid = darkness(grey)
    if dpi_hint:
        expect = p.pitch * dpi_hint / BASE_DPI * factor
        pitch_range = (0.8 * expect, 1.25 * expect)
    else:
        pitch_range = (2.8, 14.0)
    lattices = find_lattices(dark, pitch_range, limit=2)
    if not lattices:
        notes.append("no dot lattice in the image's spectrum")
        return _fail(notes, t0)
    template = _pilot_template(pkey)
    t_hat = np.fft.fft2(template)
    attempts = 0
    best: Detection | None = None
    for li, lat in enumerate(lattices):
        pitch_img = lat.pitch / factor
        resp = dot_response(dark, lat.pitch)
        grid = locate_sites(resp, lat, valid)
        if grid is None:
            notes.append(f"lattice {li}: pitch {pitch_img:.2f} px, phase tracking failed")
            continue
        r = bilinear(resp.resp, grid.ys, grid.xs)
        busy = bilinear(resp.busy.astype(np.float32), grid.ys, grid.xs)
        ok = (busy < 0.5) & valid[np.clip(grid.ys.astype(int), 0, grey.shape[0] - 1),
                                    np.clip(grid.xs.astype(int), 0, grey.shape[1] - 1)]
        n_ok = int(ok.sum())
        if n_ok < 2 * p.group:
            notes.append(f"lattice {li}: only {n_ok} sites on paper")
            continue
        r = r[ok]
        rows = grid.rows[ok] % p.tile
        cols = grid.cols[ok] % p.tile
        level = float(np.median(np.sort(r)[-max(3, n_ok // 50):]))
        noise = float(1.4826 * np.median(np.abs(r - np.median(r)))) + 1e-9
        if level <= 3 * noise:
            level = 3 * noise
        s = np.clip(r / level, -1.0, 1.5)
        sigma2 = float(np.var(np.clip(s, None, np.percentile(s, 96)))) + 1e-3
        fsum = np.zeros((p.tile, p.tile))
        count = np.zeros((p.tile, p.tile))
        np.add.at(fsum, (rows, cols), s)
        np.add.at(count, (rows, cols), 1.0)
        score = np.real(np.fft.ifft2(np.conj(np.fft.fft2(fsum)) * t_hat))
        flat = score.ravel()
        rest = np.sort(flat)[:-4]
        z_all = (flat - float(rest.mean())) / (float(rest.std()) + 1e-9)
        order = np.argsort(z_all)[::-1][:_MAX_ORIGINS]
        z = float(z_all[order[0]])
        notes.append(f"lattice {li}: pitch {pitch_img:.2f} px, angle {lat.angle_deg:+.2f} deg, "
                     f"{n_ok} paper sites, fit residual {grid.residual:.3f} pitch, sync z {z:.1f}")
        lay = layout(pkey.key, p)
        bits_w = 1 << np.arange(p.symbol_bits - 1, -1, -1)
        sym_bits = (np.arange(p.group)[:, None] & bits_w[None, :]) > 0  # (group, bits)
        for oi in order:
            zi = float(z_all[oi])
            if zi < Z_ACCEPT:
                break
            attempts += 1
            oy, ox = divmod(int(oi), p.tile)
            pos = lay.sites[p.pilots:]  # (data groups, group)
            pr, pc = np.divmod(pos, p.tile)
            fr, fc = (pr - oy) % p.tile, (pc - ox) % p.tile
            lam = (fsum[fr, fc] - 0.5 * count[fr, fc]) / sigma2
            seen = count[fr, fc].sum(axis=1) > 0
            llr = np.zeros((pos.shape[0], p.symbol_bits))
            for b in range(p.symbol_bits):
                l0 = np.where(~sym_bits[:, b][None, :], lam, -np.inf).max(axis=1)
                l1 = np.where(sym_bits[:, b][None, :], lam, -np.inf).max(axis=1)
                llr[:, b] = np.where(seen, l0 - l1, 0.0)
            res = decode_llr(pkey.key, p, llr.ravel())
            fm = attempts * 2.0 ** -(CHECK_BITS + PAYLOAD_BITS)
            if res.payload is not None:
                notes.append(f"origin ({oy},{ox}) z {zi:.1f}: check passed, "
                             f"{res.corrected}/{res.used} channel bits corrected")
                return Detection(res.payload, zi, fm, res.corrected, res.used, pitch_img,
                                 lat.angle_deg, n_ok, time.perf_counter() - t0, tuple(notes))
            notes.append(f"origin ({oy},{ox}) z {zi:.1f}: keyed check failed "
                         f"({res.corrected}/{res.used} bits disagree)")
        if best is None or z > best.statistic:
            best = Detection(None, z, 0.0, 0, 0, pitch_img, lat.angle_deg, n_ok, 0.0, ())
        if z >= Z_ACCEPT + 3:
            break
    if best is None:
        return _fail(notes, t0)
    notes.append("no payload: " + ("pattern present but unreadable" if best.statistic >= Z_ACCEPT
                                   else "no pattern of this key found"))
    return Detection(None, best.statistic, 0.0, 0, 0, best.pitch_px, best.angle_deg, best.sites,
                     time.perf_counter() - t0, tuple(notes))
