"""Image side of the page pattern: dot rendering, dot response and lattice synchronisation.

The decoder never needs the original page. It finds the dot lattice from the image alone:

1. paper normalisation: darkness ``D = 1 - grey / paper`` with the paper level estimated
   per 32 px block (undoes uneven shading and vignetting);
2. a dot response (centre-surround) and a text mask: for finding the lattice, sites with
   ink anywhere within two pitches are ignored; for reading, :func:`site_response` looks
   only at each site's own cell, so sites between text lines are read too;
3. the lattice: the dots sit on a square lattice, so the spectrum of the dot response has
   two strong peaks ``k1`` (≈ x) and ``k2`` (≈ y) whose length gives the scale and whose
   angle gives the rotation;
4. local phase: demodulating the response at ``k1`` and ``k2`` on a coarse grid; each
   frequency is refined from the coherence of those phases (a zero-padded DFT over the
   grid), the remaining phases are unwrapped (quality guided) and an affine map from
   lattice coordinates to pixels is fitted, quadratic only when the affine fit leaves a
   clear residual (perspective, lens bulge);
5. every lattice site is then sampled; the tile origin is found later from keyed pilots.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

import numpy as np
from PIL import Image

from mijian.watermark.pattern_geometry import apply_homography, robust_homography

MAX_SIDE = 1800
TWO_PI = 2 * math.pi


def to_grey(image: Image.Image, max_side: int = MAX_SIDE) -> tuple[np.ndarray, float]:
    """Grey float32 array (0-255) of ``image``, shrunk so its longer side is at most
    ``max_side``; also the factor applied (new / old size)."""
    if image.mode in ("RGBA", "LA", "PA"):
        base = Image.new("RGBA", image.size, (255, 255, 255, 255))
        base.alpha_composite(image.convert("RGBA"))
        image = base
    grey = image.convert("L")
    factor = 1.0
    side = max(grey.size)
    if side > max_side:
        factor = max_side / side
        size = (max(1, round(grey.size[0] * factor)), max(1, round(grey.size[1] * factor)))
        grey = grey.resize(size, Image.Resampling.BOX)
    return np.asarray(grey, dtype=np.float32), factor


def box(a: np.ndarray, width: int) -> np.ndarray:
    """Mean over a ``width`` x ``width`` window (odd width, edges reflected)."""
    width = max(1, int(width) | 1)
    if width == 1:
        return a.astype(np.float32, copy=True)
    r = width // 2
    out = a.astype(np.float32)
    for axis in (0, 1):
        pad = [(0, 0), (0, 0)]
        pad[axis] = (r + 1, r)
        c = np.cumsum(np.pad(out, pad, mode="reflect"), axis=axis, dtype=np.float32)
        n = out.shape[axis]
        if axis == 0:
            out = ((c[width:width + n] - c[:n]) / width).astype(np.float32)
        else:
            out = ((c[:, width:width + n] - c[:, :n]) / width).astype(np.float32)
    return out


def gauss(a: np.ndarray, sigma: float) -> np.ndarray:
    """Separable Gaussian blur (edges reflected)."""
    if sigma <= 0.05:
        return a.astype(np.float32, copy=True)
    r = max(1, int(np.ceil(3 * sigma)))
    x = np.arange(-r, r + 1)
    k = np.exp(-x * x / (2 * sigma * sigma))
    k /= k.sum()
    out = a.astype(np.float32)
    for axis in (0, 1):
        pad = [(0, 0), (0, 0)]
        pad[axis] = (r, r)
        p = np.pad(out, pad, mode="reflect")
        n = out.shape[axis]
        acc = np.zeros_like(out)
        for i, w in enumerate(k):
            acc += np.float32(w) * np.take(p, np.arange(i, i + n), axis=axis)
        out = acc
    return out


def darkness(grey: np.ndarray, block: int = 32) -> tuple[np.ndarray, np.ndarray]:
    """Ink darkness relative to the local paper level (0 on paper, 1 for black; noise keeps
    its sign so sums over paper stay near zero), and a mask of where there is paper."""
    h, w = grey.shape
    bh, bw = -(-h // block), -(-w // block)
    pad = np.pad(grey, ((0, bh * block - h), (0, bw * block - w)), mode="edge")
    cells = pad.reshape(bh, block, bw, block).transpose(0, 2, 1, 3).reshape(bh, bw, block * block)
    blocks = np.median(cells, axis=2)
    raw = blocks
    # a block that is mostly ink borrows the paper level of its neighbours
    padded = np.pad(blocks, 1, mode="edge")
    neigh = np.median(np.stack([padded[i:i + bh, j:j + bw] for i in range(3) for j in range(3)]), axis=0)
    blocks = np.maximum(blocks, neigh)
    # bilinear upsampling of the block grid, block centres at (k + 0.5) * block
    big = Image.fromarray(blocks.astype(np.float32), "F").resize((bw * block, bh * block),
                                                                  Image.Resampling.BILINEAR)
    paper = np.asarray(big, dtype=np.float32)[:h, :w]
    top = float(np.percentile(blocks, 95))
    valid = paper > max(40.0, 0.45 * top)
    # blocks that are mostly dark (the table around a photographed sheet, a dark band) and
    # the blocks beside them are not paper: their borrowed paper level would make the edge
    # of the sheet read as dots
    around = np.pad(raw, 2, mode="edge")
    brightest = np.max(np.stack([around[i:i + bh, j:j + bw] for i in range(5) for j in range(5)]),
                       axis=0)
    off = raw < 0.6 * brightest  # much darker than paper a few blocks away (not vignetting)
    grown = off.copy()
    grown[1:] |= off[:-1]
    grown[:-1] |= off[1:]
    grown[:, 1:] |= grown[:, :-1].copy()
    grown[:, :-1] |= grown[:, 1:].copy()
    valid &= ~np.repeat(np.repeat(grown, block, axis=0), block, axis=1)[:h, :w]
    dark = np.clip(1.0 - grey / np.maximum(paper, 1.0), -0.5, 1.0).astype(np.float32)
    dark[~valid] = 0.0
    return dark, valid


def bilinear(a: np.ndarray, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """Sample ``a`` at points (ys, xs) (clamped at the edges)."""
    h, w = a.shape
    ys = np.clip(ys, 0, h - 1.001)
    xs = np.clip(xs, 0, w - 1.001)
    y0 = ys.astype(int)
    x0 = xs.astype(int)
    fy = ys - y0
    fx = xs - x0
    return (a[y0, x0] * (1 - fy) * (1 - fx) + a[y0, x0 + 1] * (1 - fy) * fx
            + a[y0 + 1, x0] * fy * (1 - fx) + a[y0 + 1, x0 + 1] * fy * fx)


def render_dots(width: int, height: int, xs: np.ndarray, ys: np.ndarray, size: float,
                values: np.ndarray) -> np.ndarray:
    """Coverage-weighted square dots: an array (height, width) of darkness 0-255."""
    out = np.zeros((height, width), np.float32)
    half = size / 2.0
    span = int(np.ceil(size)) + 2
    offs = np.arange(span)
    x_lo = xs - half
    y_lo = ys - half
    px0 = np.floor(x_lo).astype(int)
    py0 = np.floor(y_lo).astype(int)
    # 1-D coverage of pixel [p, p+1) by [lo, lo+size)
    cx = np.clip(np.minimum(px0[:, None] + offs + 1, (x_lo + size)[:, None])
                 - np.maximum(px0[:, None] + offs, x_lo[:, None]), 0, 1)
    cy = np.clip(np.minimum(py0[:, None] + offs + 1, (y_lo + size)[:, None])
                 - np.maximum(py0[:, None] + offs, y_lo[:, None]), 0, 1)
    for k in range(len(xs)):
        ry = py0[k] + offs
        rx = px0[k] + offs
        my = (ry >= 0) & (ry < height)
        mx = (rx >= 0) & (rx < width)
        if not my.any() or not mx.any():
            continue
        patch = np.outer(cy[k][my], cx[k][mx]) * values[k]
        sub = out[ry[my][0]:ry[my][-1] + 1, rx[mx][0]:rx[mx][-1] + 1]
        np.maximum(sub, patch, out=sub)
    return out


@dataclass(frozen=True)
class Response:
    """Dot response and busy mask (ink near the site: text, rules) at an assumed pitch."""

    resp: np.ndarray
    busy: np.ndarray
    pitch: float


def dot_response(dark: np.ndarray, pitch: float) -> Response:
    """Centre-surround dot response for lattice pitch ``pitch`` px, and where a site has
    more ink around it than a neighbouring dot could leave (so it is not read)."""
    scale = pitch / 8.0
    core_w = max(3, int(round(0.6 * pitch)) | 1)
    big_w = int(round(2 * pitch)) | 1
    core = box(dark, core_w)
    big = box(dark, big_w)
    ring_mass = big * big_w * big_w - core * core_w * core_w
    resp = gauss(dark, max(0.55, 0.8 * scale)) - (ring_mass / (big_w * big_w - core_w * core_w))
    busy = ring_mass > max(1.0, 1.5 * scale * scale)
    return Response(resp, busy, pitch)


def paper_spread(values: np.ndarray) -> float:
    """Noise spread of a map whose lower part is paper: a Gaussian's standard deviation
    estimated from its 5th and 25th percentiles, so a page mostly covered by text (a dense
    table, where the median already sits on ink) does not pass for a noisy one."""
    low, high = np.percentile(values[::3, ::3], [5.0, 25.0])
    return float(max(high - low, 0.0) / 0.9710)


def site_response(dark: np.ndarray, pitch: float) -> Response:
    """Dot response read within each site's own cell, and where that cell holds ink.

    The response is a small Gaussian (about the dot's size) minus the mean darkness of the
    ring between the dot's core (half a pitch wide) and the cell (one pitch wide); nothing
    from a neighbouring site enters the ring, so only ink that touches the cell itself
    (a glyph, a rule) marks a site as busy. Sites in the gaps between text lines stay
    readable.
    """
    scale = pitch / 8.0
    core_w = max(3, int(round(0.5 * pitch)) | 1)
    cell_w = max(core_w + 2, int(round(pitch)) | 1)
    core = box(dark, core_w)
    cell = box(dark, cell_w)
    ring_n = cell_w * cell_w - core_w * core_w
    ring_mass = cell * (cell_w * cell_w) - core * (core_w * core_w)
    resp = gauss(dark, max(0.5, 0.7 * scale)) - ring_mass / ring_n
    busy = ring_mass > max(0.45 * scale * scale, 5.0 * paper_spread(ring_mass))
    return Response(resp, busy, pitch)


@dataclass(frozen=True)
class Lattice:
    """Two lattice frequency vectors (cycles per pixel, (x, y)) and their peak strength."""

    k1: np.ndarray
    k2: np.ndarray
    strength: float

    @property
    def pitch(self) -> float:
        """Mean lattice spacing in pixels."""
        return float(0.5 * (1 / np.linalg.norm(self.k1) + 1 / np.linalg.norm(self.k2)))

    @property
    def angle_deg(self) -> float:
        """Rotation of the lattice (degrees, counter-clockwise in image coordinates)."""
        return float(np.degrees(np.arctan2(self.k1[1], self.k1[0])))


def noise_level(resp: np.ndarray, busy: np.ndarray | None = None) -> float:
    """Robust standard deviation of a response map (a subsample's MAD), over the sites
    that are not ``busy`` when a mask is given (text would otherwise pass for noise)."""
    sample = resp[::3, ::3].ravel()
    if busy is not None:
        free = sample[~busy[::3, ::3].ravel()]
        if free.size >= 100:
            sample = free
    med = float(np.median(sample))
    return float(1.4826 * np.median(np.abs(sample - med)))


def _max_along(a: np.ndarray, axis: int, offsets: tuple[int, ...]) -> np.ndarray:
    """Maximum of ``a`` shifted by each of ``offsets`` along ``axis`` (edges padded by 0)."""
    r = max(abs(o) for o in offsets)
    pad = [(0, 0), (0, 0)]
    pad[axis] = (r, r)
    p = np.pad(a, pad)
    n = a.shape[axis]
    out = np.zeros_like(a)
    for o in offsets:
        np.maximum(out, np.take(p, np.arange(r + o, r + o + n), axis=axis), out=out)
    return out


def isolated_peaks(resp: np.ndarray) -> np.ndarray:
    """Where ``resp`` has a local maximum (3 x 3) that nothing in the ring from 3 to 4 px
    away reaches half of: a dot of up to 3.5 px, but not a point on a line or an edge (those
    continue into the ring)."""
    near = _max_along(_max_along(resp, 0, (-1, 0, 1)), 1, (-1, 0, 1))
    wide = _max_along(resp, 1, tuple(range(-4, 5)))
    ring = _max_along(wide, 0, (-4, -3, 3, 4))
    tall = _max_along(resp, 0, tuple(range(-2, 3)))
    ring = np.maximum(ring, _max_along(tall, 1, (-4, -3, 3, 4)))
    return (resp > 0) & (resp >= near) & (ring < 0.5 * resp)


def enhance(dark: np.ndarray) -> np.ndarray:
    """A dot map for the spectrum: isolated small dark specks on paper, nothing else (each
    kept with its 3 x 3 neighbourhood, so its sub-pixel position survives; rules, edges of
    tinted areas and text are left out)."""
    r = dot_response(dark, 6.0)
    resp = np.clip(r.resp - 2.5 * noise_level(r.resp, r.busy), 0, None)
    resp[r.busy] = 0.0
    peaks = isolated_peaks(resp).astype(np.float32)
    keep = _max_along(_max_along(peaks, 0, (-1, 0, 1)), 1, (-1, 0, 1)) > 0
    resp = np.where(keep, resp, 0.0).astype(np.float32)
    cap = np.percentile(resp[resp > 0], 99.5) if (resp > 0).any() else 1.0
    return np.minimum(resp, cap)


def find_lattices(dark: np.ndarray, pitch_range: tuple[float, float], limit: int = 3) -> list[Lattice]:
    """Candidate dot lattices from spectral peaks, best first.

    When windows of 512 px give fewer than ``limit`` candidates, windows of 256 and then
    128 px are tried: under a strong perspective (a photo of a crop, keystone up to 10 %)
    the lattice frequency changes across the image, so the summed spectra of large windows
    smear the peaks, while the coarser bins of small windows keep them together."""
    e = enhance(dark)
    found: list[Lattice] = []
    top = int(min(512, 2 ** int(np.log2(min(e.shape)))))
    for size in (top, top // 2, top // 4):
        if size < 8 * pitch_range[1]:
            break
        for lat in _lattices_windowed(e, size, pitch_range, limit):
            if all(np.linalg.norm(lat.k1 - o.k1) > 2e-3 or np.linalg.norm(lat.k2 - o.k2) > 2e-3
                   for o in found):
                found.append(lat)
        if len(found) >= limit:
            break
    return found[:limit]


def _lattices_windowed(e: np.ndarray, size: int, pitch_range: tuple[float, float],
                       limit: int) -> list[Lattice]:
    """Candidate lattices from the summed magnitude spectra of ``size`` px windows."""
    # sum of magnitude spectra of overlapping windows: perspective changes the lattice
    # frequency across the page, so one big spectrum smears the peaks; small ones do not
    stride = max(size // 2, (max(e.shape) - size) // 4 or size)
    win = np.outer(np.hanning(size), np.hanning(size)).astype(np.float32)
    spec = np.zeros((size, size // 2 + 1))
    ys = sorted(set(list(range(0, e.shape[0] - size + 1, stride)) + [e.shape[0] - size]))
    xs = sorted(set(list(range(0, e.shape[1] - size + 1, stride)) + [e.shape[1] - size]))
    for y0 in ys:
        for x0 in xs:
            part = e[y0:y0 + size, x0:x0 + size]
            if not (part > 0).any():
                continue
            spec += np.abs(np.fft.rfft2((part - part.mean()) * win))
    return _lattices_in(spec, size, pitch_range, limit)


def _lattices_in(spec: np.ndarray, size: int, pitch_range: tuple[float, float],
                 limit: int) -> list[Lattice]:
    """Candidate lattices from the peaks of one magnitude spectrum (``rfft2`` of a
    ``size`` x ``size`` window, or a sum of such), best first."""
    spec = np.fft.fftshift(spec, axes=0)
    h = w = size
    fy = (np.arange(h) - h // 2) / h
    fx = np.arange(spec.shape[1]) / w
    rad = np.hypot(fy[:, None], fx[None, :])
    lo_f, hi_f = 1.0 / pitch_range[1], 1.0 / pitch_range[0]
    band = (rad >= lo_f) & (rad <= min(hi_f, 0.5))
    # whiten the spectrum radially so text's low-frequency energy does not dominate
    ring = np.clip((rad * 64).astype(int), 0, 64)
    ring_mean = np.bincount(ring.ravel(), spec.ravel(), 65) / np.maximum(np.bincount(ring.ravel(), None, 65), 1)
    norm = spec / np.maximum(ring_mean[ring], 1e-9)
    norm = np.where(band, norm, 0.0)
    loc = norm.copy()
    padded = np.pad(norm, 1)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            if dy or dx:
                loc = np.where(padded[1 + dy:1 + dy + h, 1 + dx:1 + dx + norm.shape[1]] > norm, 0.0, loc)
    flat = np.argsort(loc.ravel())[::-1][:40]
    peaks = []
    for idx in flat:
        iy, ix = divmod(int(idx), norm.shape[1])
        if loc[iy, ix] <= 0:
            break
        # parabolic sub-bin refinement on the raw spectrum
        def refine(a_m: float, a_0: float, a_p: float) -> float:
            den = a_m - 2 * a_0 + a_p
            return 0.0 if den >= 0 else float(np.clip(0.5 * (a_m - a_p) / den, -0.5, 0.5))
        oy = refine(spec[iy - 1, ix], spec[iy, ix], spec[iy + 1, ix]) if 0 < iy < h - 1 else 0.0
        ox = refine(spec[iy, ix - 1], spec[iy, ix], spec[iy, ix + 1]) if 0 < ix < spec.shape[1] - 1 else 0.0
        k = np.array([(ix + ox) / w, (iy - h // 2 + oy) / h])
        peaks.append((float(loc[iy, ix]), k))
    cands: list[Lattice] = []
    for i, (m1, ka) in enumerate(peaks):
        for m2, kb in peaks[i + 1:]:
            la, lb = np.linalg.norm(ka), np.linalg.norm(kb)
            # a photo's perspective stretches one axis against the other and shears them
            # (up to ~10 % and ~10 degrees for a keystone of 10 %)
            if abs(la - lb) > 0.2 * max(la, lb):
                continue
            cos = abs(float(ka @ kb)) / (la * lb)
            if cos > 0.25:
                continue
            # k1 points along x, k2 along y (small rotations only)
            a, b = (ka, kb) if abs(ka[0]) >= abs(kb[0]) else (kb, ka)
            if abs(a[1]) > abs(a[0]) * 0.58:
                continue
            a = a if a[0] > 0 else -a
            b = b if b[1] > 0 else -b
            cands.append(Lattice(a, b, m1 * m2))
    cands.sort(key=lambda c: -c.strength)
    # a lattice whose vectors are twice another's is that lattice's harmonic: try it later
    # (judged against a copy: list.sort empties the list while the keys are computed)
    found = list(cands)

    def harmonic(c: Lattice) -> bool:
        return any(np.linalg.norm(c.k1 - 2 * o.k1) < 0.02 * np.linalg.norm(c.k1)
                   and np.linalg.norm(c.k2 - 2 * o.k2) < 0.02 * np.linalg.norm(c.k2) for o in found)
    cands.sort(key=lambda c: (harmonic(c), abs(c.angle_deg) > 10))
    out: list[Lattice] = []
    for c in cands:
        if all(np.linalg.norm(c.k1 - o.k1) > 2e-3 or np.linalg.norm(c.k2 - o.k2) > 2e-3 for o in out):
            out.append(c)
        if len(out) >= limit:
            break
    return out


@dataclass(frozen=True)
class Grid:
    """Lattice sites found in an image: pixel positions of integer lattice coordinates."""

    rows: np.ndarray  # lattice row index (v) of each site
    cols: np.ndarray  # lattice column index (u) of each site
    ys: np.ndarray
    xs: np.ndarray
    nodes: int
    residual: float
    project: object = None
    """The fitted map itself: ``project(cols, rows)`` gives pixel ``(xs, ys)`` for any
    lattice coordinates (used to rectify a photo for a second look)."""


def _poly_terms(u: np.ndarray, v: np.ndarray, degree: int) -> np.ndarray:
    terms = [np.ones_like(u), u, v]
    if degree >= 2:
        terms += [u * u, u * v, v * v]
    return np.stack(terms, axis=1)


def locate_sites(resp: Response, lat: Lattice, valid: np.ndarray, window: int = 5) -> Grid | None:
    """Sites of the lattice ``lat`` in the image via local phase tracking and a quadratic fit."""
    r = np.clip(resp.resp - 2.5 * noise_level(resp.resp, resp.busy), 0, None)
    r[resp.busy | ~valid] = 0.0
    top = np.percentile(r[r > 0], 99.7) if (r > 0).any() else 1.0
    r = np.minimum(r, top)
    h, w = r.shape
    pitch = lat.pitch
    step = max(2, int(round(2 * pitch)))
    gh, gw = h // step, w // step
    if gh < 3 or gw < 3:
        return None
    gy = np.arange(gh) * step + (step - 1) / 2.0
    gx = np.arange(gw) * step + (step - 1) / 2.0

    def coarse(a: np.ndarray) -> np.ndarray:
        # sums over step x step cells, then over 5 x 5 cells (a window of ~10 pitches)
        cells = a[:gh * step, :gw * step].reshape(gh, step, gw, step).sum(axis=(1, 3))
        return box(cells, window) * (window * window)

    yy = np.arange(h, dtype=np.float32)[:, None]
    xx = np.arange(w, dtype=np.float32)[None, :]
    phases = []
    energy = coarse(r)
    quality = np.full_like(energy, np.inf)  # the lower of the two frequencies' qualities
    norm = energy + 1e-9
    for k in (lat.k1, lat.k2):
        arg = (2 * np.pi) * (np.float32(k[0]) * xx + np.float32(k[1]) * yy)
        zr = coarse(r * np.cos(arg))
        zi = coarse(r * -np.sin(arg))
        mag = np.hypot(zr, zi) / norm
        phases.append(np.arctan2(zi, zr))
        quality = np.minimum(quality, mag)
    good = (quality > 0.25) & (energy > 0.1 * np.percentile(energy, 90))
    if good.sum() < 6:
        return None
    # refine each frequency from the node phases themselves: the spectral peak is only good
    # to a fraction of a bin, which over a page is several pitches of drift; the coherent sum
    # of the node phasors (a zero-padded DFT over the node grid) finds the residual
    # frequency, and the phases left after removing it are smooth and easy to unwrap
    ks = []
    pad_h = 1 << int(np.ceil(np.log2(4 * gh)))
    pad_w = 1 << int(np.ceil(np.log2(4 * gw)))
    wq = np.where(good, quality, 0.0)
    for j, (k, ph) in enumerate(zip((lat.k1, lat.k2), phases)):
        spec = np.abs(np.fft.fft2(wq * np.exp(1j * ph), s=(pad_h, pad_w)))
        iy, ix = np.unravel_index(int(np.argmax(spec)), spec.shape)
        fy = ((iy + pad_h // 2) % pad_h - pad_h // 2) / pad_h
        fx = ((ix + pad_w // 2) % pad_w - pad_w // 2) / pad_w
        dk = np.array([fx / step, fy / step])
        ks.append(np.asarray(k, float) + dk)
        resid = ph - 2 * np.pi * (dk[0] * gx[None, :] + dk[1] * gy[:, None])
        phases[j] = np.angle(np.exp(1j * resid))
    # quality-guided unwrapping; each connected region of good nodes separately, keep the largest
    gh, gw = quality.shape
    unwrapped = [np.full((gh, gw), np.nan) for _ in phases]
    label = np.full((gh, gw), -1, np.int64)
    weight_of: list[float] = []
    order = np.argsort(np.where(good, quality, -1).ravel())[::-1]
    for start in order:
        seed = divmod(int(start), gw)
        if not good[seed] or label[seed] >= 0:
            if not good[seed]:
                break
            continue
        comp = len(weight_of)
        total = 0.0
        for u, p in zip(unwrapped, phases):
            u[seed] = p[seed]
        label[seed] = comp
        heap = [(-float(quality[seed]), seed)]
        while heap:
            _, (i, j) = heapq.heappop(heap)
            total += float(quality[i, j])
            for di, dj in ((1, 0), (-1, 0), (0, 1), (0, -1)):
                a, b = i + di, j + dj
                if 0 <= a < gh and 0 <= b < gw and good[a, b] and label[a, b] < 0:
                    for u, p in zip(unwrapped, phases):
                        pab = float(p[a, b])
                        u[a, b] = pab + TWO_PI * math.floor((float(u[i, j]) - pab) / TWO_PI + 0.5)
                    label[a, b] = comp
                    heapq.heappush(heap, (-float(quality[a, b]), (a, b)))
        weight_of.append(total)
    use = label == int(np.argmax(weight_of))
    if use.sum() < 6:
        return None
    ny, nx = np.nonzero(use)
    py, px = gy[ny].astype(np.float64), gx[nx].astype(np.float64)
    u = ks[0][0] * px + ks[0][1] * py + unwrapped[0][ny, nx] / (2 * np.pi)
    v = ks[1][0] * px + ks[1][1] * py + unwrapped[1][ny, nx] / (2 * np.pi)
    wts = quality[ny, nx].astype(np.float64)
    # centre and scale lattice coordinates so the cubic fit is well conditioned
    u_c, v_c = float(np.median(u)), float(np.median(v))
    span = float(max(np.ptp(u), np.ptp(v), 1.0))
    u_raw, v_raw = u, v
    u = (u_raw - u_c) / span
    v = (v_raw - v_c) / span
    def fit(deg: int) -> tuple[np.ndarray, np.ndarray, float]:
        keep = np.ones(len(u), bool)
        for _ in range(3):
            a = _poly_terms(u[keep], v[keep], deg) * np.sqrt(wts[keep])[:, None]
            fx_ = np.linalg.lstsq(a, px[keep] * np.sqrt(wts[keep]), rcond=None)[0]
            fy_ = np.linalg.lstsq(a, py[keep] * np.sqrt(wts[keep]), rcond=None)[0]
            t = _poly_terms(u, v, deg)
            err = np.hypot(t @ fx_ - px, t @ fy_ - py) / pitch
            keep = err < max(0.2, 3 * np.median(err[keep]))
        return fx_, fy_, float(np.median(err[keep]))

    # an affine map is exact for scans, screenshots and crops; the quadratic terms are
    # taken only when they are needed (a photo's perspective), since fitted on nodes from
    # part of the image they can bend the rest of it by whole pitches
    degree = 1
    cx, cy, residual = fit(1)
    homography = None
    if residual > 0.05 and use.sum() >= 40:
        cx2, cy2, res2 = fit(2)
        if res2 < 0.8 * residual:
            degree, cx, cy, residual = 2, cx2, cy2, res2
        # a photo's perspective is a homography: exact where the quadratic bends away
        fitted = robust_homography(u, v, px, py, wts, pitch)
        if fitted is not None and fitted[1] < 0.8 * residual:
            homography, residual = fitted
    # all integer sites inside the image
    cu = np.array([0, w, 0, w], float)
    cv = np.array([0, 0, h, h], float)
    # lattice coordinates of the corners via the nearest good nodes' linear model
    lin = np.linalg.lstsq(np.stack([np.ones_like(px), px, py], 1), np.stack([u_raw, v_raw], 1), rcond=None)[0]
    corners = np.stack([np.ones(4), cu, cv], 1) @ lin
    u0, u1 = int(np.floor(corners[:, 0].min())) - 2, int(np.ceil(corners[:, 0].max())) + 2
    v0, v1 = int(np.floor(corners[:, 1].min())) - 2, int(np.ceil(corners[:, 1].max())) + 2
    vv, uu = np.mgrid[v0:v1 + 1, u0:u1 + 1]
    uu = uu.ravel().astype(np.float64)
    vv = vv.ravel().astype(np.float64)
    def project(cols: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        un, vn = (cols - u_c) / span, (rows - v_c) / span
        if homography is not None:
            return apply_homography(homography, un, vn)
        t = _poly_terms(un.ravel(), vn.ravel(), degree)
        return (t @ cx).reshape(un.shape), (t @ cy).reshape(un.shape)

    xs, ys = project(uu, vv)
    inside = (xs >= 1) & (xs < w - 2) & (ys >= 1) & (ys < h - 2)
    # only sites near nodes where the lattice was seen: a photo of a crop shows the table
    # around it, whose sites hold no dots and would drag the amplitude estimates to zero
    seen = good.copy()
    for _ in range(3):
        grown = seen.copy()
        grown[1:] |= seen[:-1]
        grown[:-1] |= seen[1:]
        grown[:, 1:] |= seen[:, :-1]
        grown[:, :-1] |= seen[:, 1:]
        seen = grown
    cy_i = np.clip((ys / step).astype(np.int64), 0, gh - 1)
    cx_i = np.clip((xs / step).astype(np.int64), 0, gw - 1)
    inside &= seen[cy_i, cx_i]
    return Grid(vv[inside].astype(np.int64), uu[inside].astype(np.int64), ys[inside], xs[inside],
                int(use.sum()), residual, project)


def ssim(a: np.ndarray, b: np.ndarray, data_range: float = 255.0) -> float:
    """Mean SSIM of two grey images (Wang et al. 2004: Gaussian window sigma 1.5, 11 taps,
    K1 = 0.01, K2 = 0.03)."""
    x = a.astype(np.float64)
    y = b.astype(np.float64)
    c1 = (0.01 * data_range) ** 2
    c2 = (0.03 * data_range) ** 2

    def g(v: np.ndarray) -> np.ndarray:
        return gauss(v, 1.5).astype(np.float64)

    mx, my = g(x), g(y)
    sxx = g(x * x) - mx * mx
    syy = g(y * y) - my * my
    sxy = g(x * y) - mx * my
    num = (2 * mx * my + c1) * (2 * sxy + c2)
    den = (mx * mx + my * my + c1) * (sxx + syy + c2)
    return float(np.mean(num / den))
