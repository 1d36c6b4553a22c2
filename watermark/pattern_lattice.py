"""Lattice search of the page pattern's decoder: scale and rotation from the spectrum.

The dots sit on a square lattice, so the magnitude spectrum of a map of isolated specks
(:func:`enhance`: rules, edges of tinted areas and text are left out) has two strong peaks
``k1`` (about x) and ``k2`` (about y), whose length gives the pitch and whose angle gives
the rotation. Spectra of overlapping windows are summed (a photo's perspective changes the
frequency across the page), radially whitened, and pairs of peaks of about equal length and
at about right angles become candidate lattices, the harmonics of another candidate last.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mijian.watermark.pattern_filters import dot_response, noise_level


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


def _max_along(a: np.ndarray, axis: int, offsets: tuple[int, ...]) -> np.ndarray:
    """Maximum of ``a`` shifted by each of ``offsets`` along ``axis`` (edges padded by 0)."""
    r = max(abs(o) for o in offsets)
    pad = [(0, 0), (0, 0)]
    pad[axis] = (r, r)
    p = np.pad(a, pad)
    n = a.shape[axis]
    out = np.zeros_like(a)
    for o in offsets:
        start = r + o  # a view of the shifted rows or columns, no copy
        np.maximum(out, p[start:start + n] if axis == 0 else p[:, start:start + n], out=out)
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
    norm = _whitened_band(spec, size, pitch_range)
    peaks = _spectral_peaks(spec, norm, size)
    return _ranked(_peak_pairs(peaks), limit)


def _whitened_band(spec: np.ndarray, size: int, pitch_range: tuple[float, float]) -> np.ndarray:
    """The spectrum (rows centred by ``fftshift``) divided by its mean over rings of equal
    frequency, so text's low-frequency energy does not dominate, and zero outside the band of
    frequencies that ``pitch_range`` allows."""
    h = w = size
    fy = (np.arange(h) - h // 2) / h
    fx = np.arange(spec.shape[1]) / w
    rad = np.hypot(fy[:, None], fx[None, :])
    lo_f, hi_f = 1.0 / pitch_range[1], 1.0 / pitch_range[0]
    band = (rad >= lo_f) & (rad <= min(hi_f, 0.5))
    ring = np.clip((rad * 64).astype(int), 0, 64)
    ring_mean = np.bincount(ring.ravel(), spec.ravel(), 65) / np.maximum(np.bincount(ring.ravel(), None, 65), 1)
    norm = spec / np.maximum(ring_mean[ring], 1e-9)
    return np.where(band, norm, 0.0)


def _parabolic_offset(a_m: float, a_0: float, a_p: float) -> float:
    """Sub-bin position of a peak from its bin and the two beside it (a parabola through the
    three; 0 when they do not bend down)."""
    den = a_m - 2 * a_0 + a_p
    return 0.0 if den >= 0 else float(np.clip(0.5 * (a_m - a_p) / den, -0.5, 0.5))


def _spectral_peaks(spec: np.ndarray, norm: np.ndarray, size: int) -> list[tuple[float, np.ndarray]]:
    """Up to 40 local maxima (3 x 3) of the whitened spectrum ``norm``, strongest first: each
    its whitened strength and its frequency (cycles per pixel, (x, y)), refined to a fraction
    of a bin on the raw spectrum ``spec``."""
    h = w = size
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
        oy = _parabolic_offset(spec[iy - 1, ix], spec[iy, ix], spec[iy + 1, ix]) if 0 < iy < h - 1 else 0.0
        ox = (_parabolic_offset(spec[iy, ix - 1], spec[iy, ix], spec[iy, ix + 1])
              if 0 < ix < spec.shape[1] - 1 else 0.0)
        k = np.array([(ix + ox) / w, (iy - h // 2 + oy) / h])
        peaks.append((float(loc[iy, ix]), k))
    return peaks


def _peak_pairs(peaks: list[tuple[float, np.ndarray]]) -> list[Lattice]:
    """Every pair of peaks that can be the two axes of a lattice (about equal length, about
    at right angles, the first within 30 degrees of x), with ``k1`` pointing right and ``k2``
    down; the strength of a pair is the product of its peaks'."""
    cands: list[Lattice] = []
    lengths = [np.linalg.norm(k) for _m, k in peaks]  # once per peak, not once per pair
    for i, (m1, ka) in enumerate(peaks):
        for j, (m2, kb) in enumerate(peaks[i + 1:], i + 1):
            la, lb = lengths[i], lengths[j]
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
    return cands


def _ranked(cands: list[Lattice], limit: int) -> list[Lattice]:
    """Up to ``limit`` distinct candidates, strongest first, except that a harmonic of another
    candidate and then a lattice turned more than 10 degrees come after the rest."""
    cands.sort(key=lambda c: -c.strength)
    # a lattice whose vectors are twice another's is that lattice's harmonic: try it later
    # (judged against a copy: list.sort empties the list while the keys are computed)
    found = list(cands)
    doubled = (2 * np.array([o.k1 for o in found]).reshape(-1, 2),
               2 * np.array([o.k2 for o in found]).reshape(-1, 2))

    def harmonic(c: Lattice) -> bool:
        # the candidates near enough in one array pass (a margin wider than its rounding),
        # then the exact test on those alone
        near = np.flatnonzero((np.hypot(*(c.k1 - doubled[0]).T) < 0.0201 * np.linalg.norm(c.k1))
                              & (np.hypot(*(c.k2 - doubled[1]).T) < 0.0201 * np.linalg.norm(c.k2)))
        return any(np.linalg.norm(c.k1 - 2 * found[i].k1) < 0.02 * np.linalg.norm(c.k1)
                   and np.linalg.norm(c.k2 - 2 * found[i].k2) < 0.02 * np.linalg.norm(c.k2)
                   for i in near)
    cands.sort(key=lambda c: (harmonic(c), abs(c.angle_deg) > 10))
    out: list[Lattice] = []
    for c in cands:
        if all(np.linalg.norm(c.k1 - o.k1) > 2e-3 or np.linalg.norm(c.k2 - o.k2) > 2e-3 for o in out):
            out.append(c)
        if len(out) >= limit:
            break
    return out
