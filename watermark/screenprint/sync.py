"""Synchronisation: the mark lattice from the image alone, then every site's place.

1. **Lattice**: marks sit on a square lattice, so the spectrum of the mark response has two
   orthogonal peaks of equal length (scale and rotation). Spectra of overlapping windows are
   summed (perspective moves the peaks across a page; small windows keep them sharp) and
   whitened radially (text and moiré put their energy at other frequencies and in stripes,
   not in an orthogonal pair).
2. **Tracking**: the response is demodulated at both peak frequencies on a coarse grid of
   about a pitch; the local phases, unwrapped from the most reliable cell outwards, give
   every coarse cell its continuous lattice coordinates. A plane projective map from
   lattice coordinates to pixels (a page seen in perspective) is fitted with outliers
   dropped, and every integer site inside the image is placed.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

import numpy as np


LEGACY_RATIO = 1.5 / (8 * 25.4 / 150)
"""Pitch of this lattice over that of the older dot pattern (1.5 mm over 8 px at 150 dpi)."""


@dataclass(frozen=True)
class Lattice:
    """Two lattice frequencies (cycles per pixel, as (x, y)) and the strength of the pair."""

    k1: np.ndarray
    k2: np.ndarray
    strength: float

    @property
    def pitch(self) -> float:
        """Mean site spacing in pixels."""
        return float(0.5 * (1 / np.linalg.norm(self.k1) + 1 / np.linalg.norm(self.k2)))

    @property
    def angle_deg(self) -> float:
        """Rotation of the lattice, degrees."""
        return float(np.degrees(np.arctan2(self.k1[1], self.k1[0])))


def _spectrum(resp: np.ndarray) -> tuple[np.ndarray, int]:
    """Summed magnitude spectra (rfft, rows shifted to centre) of overlapping windows."""
    size = int(min(512, 2 ** int(np.log2(min(resp.shape)))))
    win = np.outer(np.hanning(size), np.hanning(size)).astype(np.float32)
    stride = max(size // 2, 1)
    ys = sorted({*range(0, resp.shape[0] - size + 1, stride), resp.shape[0] - size})
    xs = sorted({*range(0, resp.shape[1] - size + 1, stride), resp.shape[1] - size})
    spec = np.zeros((size, size // 2 + 1))
    for y0 in ys:
        for x0 in xs:
            part = resp[y0:y0 + size, x0:x0 + size]
            spec += np.abs(np.fft.rfft2((part - part.mean()) * win))
    return np.fft.fftshift(spec, axes=0), size


def find_lattices(resp: np.ndarray, pitch_range: tuple[float, float], limit: int = 3) -> list[Lattice]:
    """Candidate lattices (orthogonal pairs of spectral peaks within the pitch range), best
    first; strength is the product of the two peaks over the local spectral floor."""
    if min(resp.shape) < 64:
        return []
    spec, size = _spectrum(resp)
    fy = (np.arange(size) - size // 2) / size
    fx = np.arange(spec.shape[1]) / size
    rad = np.hypot(fy[:, None], fx[None, :])
    ring = np.clip((rad * 128).astype(int), 0, 128)
    floor = np.bincount(ring.ravel(), spec.ravel(), 129) / np.maximum(np.bincount(ring.ravel(), None, 129), 1)
    norm = spec / np.maximum(floor[ring], 1e-12)
    band = (rad >= 1 / pitch_range[1]) & (rad <= min(1 / pitch_range[0], 0.45))
    norm = np.where(band, norm, 0.0)
    padded = np.pad(norm, 1)
    peak = norm > 0
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            if dy or dx:
                peak &= norm >= padded[1 + dy:1 + dy + norm.shape[0], 1 + dx:1 + dx + norm.shape[1]]
    idx = np.flatnonzero(peak.ravel())
    idx = idx[np.argsort(norm.ravel()[idx])[::-1][:30]]
    found = []
    for i in idx:
        iy, ix = divmod(int(i), norm.shape[1])
        oy = _vertex(spec, iy, ix, 0)
        ox = _vertex(spec, iy, ix, 1)
        found.append((float(norm[iy, ix]), np.array([(ix + ox) / size, (iy - size // 2 + oy) / size])))
    cands = []
    for i, (ma, ka) in enumerate(found):
        for mb, kb in found[i + 1:]:
            la, lb = np.linalg.norm(ka), np.linalg.norm(kb)
            if abs(la - lb) > 0.08 * max(la, lb) or abs(float(ka @ kb)) > 0.15 * la * lb:
                continue
            a, b = (ka, kb) if abs(ka[0]) >= abs(kb[0]) else (kb, ka)
            a = a if a[0] > 0 else -a
            b = b if b[1] > 0 else -b
            cands.append(Lattice(a, b, ma * mb))
    return _rank(cands, norm, size, limit)


def _rank(cands: list[Lattice], norm: np.ndarray, size: int, limit: int) -> list[Lattice]:
    """The candidates strongest first, then harmonics and the older pattern's lattice last,
    without near-duplicates, at most ``limit``."""
    cands.sort(key=lambda c: -c.strength)
    # a square mark also puts energy at twice the lattice frequency and on its diagonals
    # (45 degrees, 1.414 times): a candidate standing so to another, not much weaker than
    # itself, comes after the others
    def harmonic(c: Lattice) -> bool:
        for d in cands:
            if d.strength < 0.3 * c.strength:  # a harmonic is weaker than its fundamental
                continue
            turn = abs((c.angle_deg - d.angle_deg + 45) % 90 - 45)
            ratio = d.pitch / c.pitch
            if (turn < 2 and abs(ratio - 2) < 0.06) or (abs(turn - 45) < 2 and abs(ratio - 2 ** 0.5) < 0.04):
                return True
        return False

    # the page may also carry the older dot pattern (watermark.pattern: 1.355 mm, and its
    # diagonal at 45 degrees); a candidate that stands to another at that pitch ratio and
    # angle is taken for it and comes last
    def legacy(c: Lattice) -> bool:
        for d in cands:
            if d.strength < 0.3 * c.strength:  # a stray peak does not make c the older one
                continue
            turn = abs((c.angle_deg - d.angle_deg + 45) % 90 - 45)
            ratio = d.pitch / c.pitch
            if (turn < 2 and abs(ratio - LEGACY_RATIO) < 0.03 * LEGACY_RATIO) or (
                    abs(turn - 45) < 2 and abs(ratio - LEGACY_RATIO * 2 ** 0.5) < 0.04 * LEGACY_RATIO):
                return True
        return False

    cands += _companions(cands[:6], norm, size)
    cands += [d for c in cands[:6] for d in _derived(c, norm, size)]
    cands.sort(key=lambda c: -c.strength)
    rank = {id(c): (legacy(c), harmonic(c)) for c in cands}
    cands.sort(key=lambda c: rank[id(c)])
    out: list[Lattice] = []
    for c in cands:
        if all(np.linalg.norm(c.k1 - o.k1) > 0.02 * np.linalg.norm(o.k1) for o in out):
            out.append(c)
        if len(out) >= limit:
            break
    return out


def _peak_near(norm: np.ndarray, size: int, k: np.ndarray) -> float:
    """The whitened spectrum's largest value within a bin of frequency ``k`` or of ``-k``
    (the half spectrum holds one of them; near a vertical frequency, both), 0 outside."""
    best = 0.0
    for kk in (k, -k):
        ix, iy = int(round(kk[0] * size)), int(round(kk[1] * size)) + size // 2
        if ix < -1 or ix + 2 > norm.shape[1] or iy < 1 or iy + 2 > norm.shape[0]:
            continue
        best = max(best, float(norm[iy - 1:iy + 2, max(ix - 1, 0):ix + 2].max()))
    return best


def _derived(c: Lattice, norm: np.ndarray, size: int) -> list[Lattice]:
    """Lattices of which ``c`` may be a harmonic, where the spectrum has both peaks.

    Where text covers much of a page, the whitened peak of the lattice itself can fall
    below two of its relatives: its second harmonic (half the pitch; a mark's edges are
    sharper than its spacing) and the pair at 45 degrees and 1.414 times the pitch (the
    keyed layout leaves a faint checkerboard bias). From the first the lattice is ``k / 2``,
    from the second ``(k1 - k2, k1 + k2)``; each is kept only where its own two peaks stand
    above the floor, and ranked with the others by strength (the harmonic rule of
    :func:`_rank` then puts the candidate it came from after it)."""
    out = []
    for k1, k2 in ((c.k1 / 2, c.k2 / 2), (c.k1 - c.k2, c.k1 + c.k2)):
        peaks = [_peak_near(norm, size, k) for k in (k1, k2)]
        if min(peaks) > 3.0:
            a, b = (k1, k2) if abs(k1[0]) >= abs(k2[0]) else (k2, k1)
            a = a if a[0] > 0 else -a
            b = b if b[1] > 0 else -b
            out.append(Lattice(a, b, peaks[0] * peaks[1]))
    return out


def _companions(cands: list[Lattice], norm: np.ndarray, size: int) -> list[Lattice]:
    """Lattices this pattern would form beside a strong candidate taken for the older dot
    pattern (same angle, pitch LEGACY_RATIO times larger) where the spectrum shows a peak
    there too: on a small crop the older pattern's crisp dots can outshine the faint marks,
    and its lattice then tells exactly where to look."""
    out = []
    half = size // 2
    for c in cands:
        k1, k2 = c.k1 / LEGACY_RATIO, c.k2 / LEGACY_RATIO
        found = []
        for k in (k1, k2):
            kk = k if k[0] >= 0 else -k
            ix, iy = int(round(kk[0] * size)), int(round(kk[1] * size)) + half
            if not (1 <= ix < norm.shape[1] - 2 and 2 <= iy < norm.shape[0] - 2):
                break
            found.append(float(norm[iy - 1:iy + 2, ix - 1:ix + 2].max()))
        if len(found) == 2 and min(found) > 4.0:
            out.append(Lattice(k1, k2, found[0] * found[1]))
    return out


def _vertex(spec: np.ndarray, iy: int, ix: int, axis: int) -> float:
    """Sub-bin offset of a spectral peak along one axis (parabola through three bins)."""
    n = spec.shape[axis]
    i = iy if axis == 0 else ix
    if not 0 < i < n - 1:
        return 0.0
    get = (lambda d: spec[iy + d, ix]) if axis == 0 else (lambda d: spec[iy, ix + d])
    a, b, c = get(-1), get(0), get(1)
    den = a - 2 * b + c
    return 0.0 if den >= 0 else float(np.clip(0.5 * (a - c) / den, -0.5, 0.5))


@dataclass(frozen=True)
class Grid:
    """Every lattice site found inside the image: integer lattice coordinates (u along the
    first frequency, v along the second) and pixel positions; the fit's residual (pitches)
    and how many coarse cells it rests on."""

    u: np.ndarray
    v: np.ndarray
    x: np.ndarray
    y: np.ndarray
    residual: float
    cells: int


def _box(a: np.ndarray, r: int) -> np.ndarray:
    """Mean over a (2r+1)-square window (edges clamped), complex or real."""
    out = a
    for axis in (0, 1):
        pad = [(0, 0), (0, 0)]
        pad[axis] = (r + 1, r)
        c = np.cumsum(np.pad(out, pad, mode="edge"), axis=axis)
        n = out.shape[axis]
        w = 2 * r + 1
        out = (c[w:w + n] - c[:n]) / w if axis == 0 else (c[:, w:w + n] - c[:, :n]) / w
    return out


def _homography(u: np.ndarray, v: np.ndarray, x: np.ndarray, y: np.ndarray,
                wt: np.ndarray) -> np.ndarray:
    """Weighted least-squares plane projective map (lattice coordinates to pixels), as the
    linear system x (1 + g u + h v) = a u + b v + c, and the same for y: a page seen in
    perspective is exactly such a map, which a polynomial only approximates."""
    # pixels are scaled to about unity first, and the 8 x 8 normal equations solved: the
    # same answer as a least-squares solver, a hundred times cheaper on thousands of cells
    scale = max(float(np.abs(x).max()), float(np.abs(y).max()), 1.0)
    xs, ys = x / scale, y / scale
    one, zero = np.ones_like(u), np.zeros_like(u)
    rows_x = np.stack([u, v, one, zero, zero, zero, -u * xs, -v * xs], 1)
    rows_y = np.stack([zero, zero, zero, u, v, one, -u * ys, -v * ys], 1)
    a = np.concatenate([rows_x, rows_y])
    rhs = np.concatenate([xs, ys])
    wt2 = np.concatenate([wt, wt])
    at = a.T * wt2
    try:
        h = np.linalg.solve(at @ a, at @ rhs)
    except np.linalg.LinAlgError:
        h = np.linalg.lstsq(a * np.sqrt(wt2)[:, None], rhs * np.sqrt(wt2), rcond=None)[0]
    return np.concatenate([h[:6] * scale, h[6:]])


def _apply(h: np.ndarray, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    den = 1 + h[6] * u + h[7] * v
    return (h[0] * u + h[1] * v + h[2]) / den, (h[3] * u + h[4] * v + h[5]) / den


@dataclass(frozen=True)
class _Points:
    """The non-zero samples of a sparse response (its isolated maxima): row, column and
    value, and the coarse cell each falls in (``-1`` past the last whole cell)."""

    y: np.ndarray
    x: np.ndarray
    value: np.ndarray
    cell: np.ndarray
    cells: tuple[int, int]
    step: int


def _points(resp: np.ndarray, step: int) -> _Points:
    """The samples of ``resp`` worth demodulating: the reader passes the response kept only
    at its isolated maxima (a few per cent of the pixels), so demodulating those alone
    gives the same cell sums as the whole image at a fraction of the work."""
    h, w = resp.shape
    hb, wb = h // step, w // step
    ys, xs = np.nonzero(resp)
    inside = (ys < hb * step) & (xs < wb * step)
    ys, xs = ys[inside], xs[inside]
    cell = (ys // step) * wb + xs // step
    return _Points(ys.astype(np.float64), xs.astype(np.float64), resp[ys, xs].astype(np.float64),
                   cell, (hb, wb), step)


def _coarse(pts: _Points, phase: np.ndarray, radius: int) -> np.ndarray:
    """The points' values demodulated by ``exp(-i phase)`` (one phase per point), averaged
    over the coarse cells and smoothed over ``2 radius + 1`` cells (twice)."""
    hb, wb = pts.cells
    n = hb * wb
    area = float(pts.step * pts.step)
    re = np.bincount(pts.cell, pts.value * np.cos(phase), n) / area
    im = np.bincount(pts.cell, -pts.value * np.sin(phase), n) / area
    z = (re + 1j * im).reshape(hb, wb)
    return _box(_box(z, radius), radius)


def track(resp: np.ndarray, lat: Lattice) -> Grid | None:
    """Place every site of lattice ``lat`` in the image (see the module notes).

    A second pass demodulates with the phase the first fit predicts at every pixel (so a
    page in perspective, whose local pitch and angle drift, is followed), reads the small
    remaining phase in smaller windows, and fits again."""
    h, w = resp.shape
    step = max(2, int(round(lat.pitch)))
    while (h // step) * (w // step) > 5000:  # bounds the unwrapping's work
        step += 1
    pts = _points(resp, step)
    hb, wb = pts.cells
    if hb < 4 or wb < 4 or len(pts.value) < 12:
        return None
    xx, yy = pts.x, pts.y
    z1 = _coarse(pts, 2 * np.pi * (lat.k1[0] * xx + lat.k1[1] * yy), 2)
    z2 = _coarse(pts, 2 * np.pi * (lat.k2[0] * xx + lat.k2[1] * yy), 2)
    quality = np.minimum(np.abs(z1), np.abs(z2))
    phase1, phase2 = _unwrap(np.angle(z1), np.angle(z2), quality)
    cy = (np.arange(hb)[:, None] + 0.5) * step - 0.5 + np.zeros((1, wb))
    cx = (np.arange(wb)[None, :] + 0.5) * step - 0.5 + np.zeros((hb, 1))
    u = lat.k1[0] * cx + lat.k1[1] * cy + phase1 / (2 * np.pi)
    v = lat.k2[0] * cx + lat.k2[1] * cy + phase2 / (2 * np.pi)
    good = np.isfinite(phase1) & (quality >= 0.3 * np.percentile(quality, 90))
    if good.sum() < 12:
        return None
    first = _fit(u[good], v[good], cx[good], cy[good], quality[good], lat)
    if first is None:
        return None
    uu, vv = _inverse(first, xx, yy)
    z1 = _coarse(pts, 2 * np.pi * uu, 1)
    z2 = _coarse(pts, 2 * np.pi * vv, 1)
    quality = np.minimum(np.abs(z1), np.abs(z2))
    cu, cv = _inverse(first, cx, cy)
    u = cu + np.angle(z1) / (2 * np.pi)
    v = cv + np.angle(z2) / (2 * np.pi)
    good = quality >= 0.3 * np.percentile(quality, 90)
    second = _fit(u[good], v[good], cx[good], cy[good], quality[good], lat) if good.sum() >= 12 else None
    return _place(second or first, lat, (h, w))


def _unwrap(p1: np.ndarray, p2: np.ndarray, quality: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Quality-guided unwrapping of two phase maps at once (NaN where not reached)."""
    hb, wb = quality.shape
    out1 = np.full((hb, wb), np.nan)
    out2 = np.full((hb, wb), np.nan)
    start = np.unravel_index(int(np.argmax(quality)), quality.shape)
    out1[start], out2[start] = p1[start], p2[start]
    heap: list[tuple[float, int, int, int, int]] = []
    floor = 0.1 * float(np.percentile(quality, 90))

    def push(y: int, x: int) -> None:
        for dy, dx in ((1, 0), (-1, 0), (0, 1), (0, -1)):
            ny, nx = y + dy, x + dx
            if 0 <= ny < hb and 0 <= nx < wb and np.isnan(out1[ny, nx]) and quality[ny, nx] > floor:
                heapq.heappush(heap, (-float(quality[ny, nx]), ny, nx, y, x))

    push(*start)
    while heap:
        _q, y, x, fy, fx = heapq.heappop(heap)
        if not np.isnan(out1[y, x]):
            continue
        out1[y, x] = p1[y, x] + 2 * np.pi * round((out1[fy, fx] - p1[y, x]) / (2 * np.pi))
        out2[y, x] = p2[y, x] + 2 * np.pi * round((out2[fy, fx] - p2[y, x]) / (2 * np.pi))
        push(y, x)
    return out1, out2


@dataclass(frozen=True)
class _Map:
    """A fitted projective map: lattice coordinates, centred and scaled, to pixels."""

    hom: np.ndarray
    uc: float
    vc: float
    span: float
    residual: float
    cells: int
    u_range: tuple[float, float]
    v_range: tuple[float, float]


def _fit(u: np.ndarray, v: np.ndarray, x: np.ndarray, y: np.ndarray, wt: np.ndarray,
         lat: Lattice) -> _Map | None:
    """Fit pixels as a projective map of lattice coordinates, drop cells off by more than a
    third of a pitch, refit (three rounds)."""
    keep = np.ones(len(u), bool)
    uc, vc = float(np.median(u)), float(np.median(v))
    span = max(float(np.ptp(u)), float(np.ptp(v)), 1.0)
    un, vn = (u - uc) / span, (v - vc) / span
    for _ in range(3):
        hom = _homography(un[keep], vn[keep], x[keep], y[keep], wt[keep])
        px, py = _apply(hom, un, vn)
        err = np.hypot(px - x, py - y) / lat.pitch
        keep = err < 0.33
        if keep.sum() < 12:
            return None
    return _Map(hom, uc, vc, span, float(np.sqrt(np.mean(err[keep] ** 2))), int(keep.sum()),
                (float(u.min()), float(u.max())), (float(v.min()), float(v.max())))


def _inverse(fit: _Map, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lattice coordinates of pixels (x, y) under a fitted map."""
    h = fit.hom
    m = np.linalg.inv(np.array([[h[0], h[1], h[2]], [h[3], h[4], h[5]], [h[6], h[7], 1.0]]))
    den = m[2, 0] * x + m[2, 1] * y + m[2, 2]
    un = (m[0, 0] * x + m[0, 1] * y + m[0, 2]) / den
    vn = (m[1, 0] * x + m[1, 1] * y + m[1, 2]) / den
    return un * fit.span + fit.uc, vn * fit.span + fit.vc


def _place(fit: _Map, lat: Lattice, shape: tuple[int, int]) -> Grid:
    """Every integer site whose fitted place lies inside the image."""
    h, w = shape
    margin = 3
    uu, vv = np.meshgrid(np.arange(math.floor(fit.u_range[0]) - 8, math.ceil(fit.u_range[1]) + 9),
                         np.arange(math.floor(fit.v_range[0]) - 8, math.ceil(fit.v_range[1]) + 9))
    uu, vv = uu.ravel().astype(float), vv.ravel().astype(float)
    px, py = _apply(fit.hom, (uu - fit.uc) / fit.span, (vv - fit.vc) / fit.span)
    inside = (px >= margin) & (px < w - margin) & (py >= margin) & (py < h - margin)
    return Grid(uu[inside].astype(np.int64), vv[inside].astype(np.int64), px[inside], py[inside],
                fit.residual, fit.cells)
