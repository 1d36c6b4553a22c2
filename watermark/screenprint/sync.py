"""Synchronisation: every site's place, once the lattice is known
(:mod:`watermark.screenprint.lattice` finds it).

The response is demodulated at both lattice frequencies on a coarse grid of about a
pitch; the local phases, unwrapped from the most reliable cell outwards, give every coarse
cell its continuous lattice coordinates. A plane projective map from lattice coordinates to
pixels (a page seen in perspective) is fitted with outliers dropped, and every integer site
inside the image is placed.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

import numpy as np

from mijian.watermark.screenprint.lattice import Lattice


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

    push(int(start[0]), int(start[1]))
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


def _place(fit: _Map, lat: Lattice, shape: tuple[int, int]) -> Grid | None:
    """Every integer site whose fitted place lies inside the image."""
    h, w = shape
    margin = 3
    sites = ((fit.u_range[1] - fit.u_range[0] + 17) * (fit.v_range[1] - fit.v_range[0] + 17))
    if not math.isfinite(sites) or sites > h * w / 4:  # a degenerate fit: no lattice is that dense
        return None
    grid_u, grid_v = np.meshgrid(np.arange(math.floor(fit.u_range[0]) - 8, math.ceil(fit.u_range[1]) + 9),
                                 np.arange(math.floor(fit.v_range[0]) - 8, math.ceil(fit.v_range[1]) + 9))
    uu, vv = grid_u.ravel().astype(float), grid_v.ravel().astype(float)
    px, py = _apply(fit.hom, (uu - fit.uc) / fit.span, (vv - fit.vc) / fit.span)
    inside = (px >= margin) & (px < w - margin) & (py >= margin) & (py < h - margin)
    return Grid(uu[inside].astype(np.int64), vv[inside].astype(np.int64), px[inside], py[inside],
                fit.residual, fit.cells)
