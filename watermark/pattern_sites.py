"""Site location of the page pattern's decoder: where every lattice site lies in the image.

Given a candidate lattice (:mod:`watermark.pattern_lattice`), the dot response is
demodulated at both lattice frequencies on a coarse grid of nodes (about two pitches apart,
summed over a window of about ten pitches). Each frequency is then refined from the
coherence of the node phases (a zero-padded DFT over the node grid: the spectral peak is
only good to a fraction of a bin, which over a page is several pitches of drift), the
remaining phases are unwrapped (quality guided, the largest connected region kept), and a
map from lattice coordinates to pixels is fitted: affine, quadratic only when the affine fit
leaves a clear residual, or a homography where that fits better still (a photo's
perspective). Every integer site inside the image near a node where the lattice was seen is
then listed with its pixel position.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

import numpy as np

from mijian.watermark.pattern_filters import Response, box, noise_level
from mijian.watermark.pattern_geometry import apply_homography, robust_homography
from mijian.watermark.pattern_lattice import Lattice

TWO_PI = 2 * math.pi


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
    """Columns of the polynomial in ``u``, ``v`` of ``degree`` 1 (affine) or 2 (quadratic)."""
    terms = [np.ones_like(u), u, v]
    if degree >= 2:
        terms += [u * u, u * v, v * v]
    return np.stack(terms, axis=1)


def locate_sites(resp: Response, lat: Lattice, valid: np.ndarray, window: int = 5) -> Grid | None:
    """Sites of the lattice ``lat`` in the image via local phase tracking and a fitted map
    (None when the lattice cannot be followed over enough of the image)."""
    r = _clean_response(resp, valid)
    h, w = r.shape
    pitch = lat.pitch
    step = max(2, int(round(2 * pitch)))
    gh, gw = h // step, w // step
    if gh < 3 or gw < 3:
        return None
    gy = np.arange(gh) * step + (step - 1) / 2.0
    gx = np.arange(gw) * step + (step - 1) / 2.0
    energy, quality, phases = _demodulate(r, lat, step, window)
    good = (quality > 0.25) & (energy > 0.1 * np.percentile(energy, 90))
    if good.sum() < 6:
        return None
    ks, phases = _refine_frequencies(lat, phases, good, quality, step, gy, gx)
    unwrapped, use = _unwrap(phases, quality, good)
    if use.sum() < 6:
        return None
    ny, nx = np.nonzero(use)
    py, px = gy[ny].astype(np.float64), gx[nx].astype(np.float64)
    u = ks[0][0] * px + ks[0][1] * py + unwrapped[0][ny, nx] / (2 * np.pi)
    v = ks[1][0] * px + ks[1][1] * py + unwrapped[1][ny, nx] / (2 * np.pi)
    wts = quality[ny, nx].astype(np.float64)
    project, residual = _fit_map(u, v, px, py, wts, pitch, int(use.sum()))
    uu, vv = _sites_around(u, v, px, py, w, h)
    xs, ys = project(uu, vv)
    inside = (xs >= 1) & (xs < w - 2) & (ys >= 1) & (ys < h - 2)
    # only sites near nodes where the lattice was seen: a photo of a crop shows the table
    # around it, whose sites hold no dots and would drag the amplitude estimates to zero
    seen = _grown(good, 3)
    cy_i = np.clip((ys / step).astype(np.int64), 0, gh - 1)
    cx_i = np.clip((xs / step).astype(np.int64), 0, gw - 1)
    inside &= seen[cy_i, cx_i]
    return Grid(vv[inside].astype(np.int64), uu[inside].astype(np.int64), ys[inside], xs[inside],
                int(use.sum()), residual, project)


def _clean_response(resp: Response, valid: np.ndarray) -> np.ndarray:
    """The dot response above 2.5 times its noise (0 below, at busy sites and off the paper),
    capped at its 99.7th percentile so a few blots do not outweigh the dots."""
    r = np.clip(resp.resp - 2.5 * noise_level(resp.resp, resp.busy), 0, None)
    r[resp.busy | ~valid] = 0.0
    top = np.percentile(r[r > 0], 99.7) if (r > 0).any() else 1.0
    return np.minimum(r, top)


def _coarse(a: np.ndarray, step: int, window: int) -> np.ndarray:
    """Sums of ``a`` over ``step`` x ``step`` cells (the node grid), then over ``window`` x
    ``window`` cells (a window of about ten pitches for the usual 5)."""
    gh, gw = a.shape[0] // step, a.shape[1] // step
    cells = a[:gh * step, :gw * step].reshape(gh, step, gw, step).sum(axis=(1, 3))
    return box(cells, window) * (window * window)


def _demodulate(r: np.ndarray, lat: Lattice, step: int,
                window: int) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """At every node: the response energy, the lower of the two frequencies' coherences
    (magnitude of the demodulated sum over the energy: the node's quality), and the local
    phase at ``lat.k1`` and at ``lat.k2``."""
    h, w = r.shape
    yy = np.arange(h, dtype=np.float32)[:, None]
    xx = np.arange(w, dtype=np.float32)[None, :]
    phases = []
    energy = _coarse(r, step, window)
    quality = np.full_like(energy, np.inf)  # the lower of the two frequencies' qualities
    norm = energy + 1e-9
    for k in (lat.k1, lat.k2):
        arg = (2 * np.pi) * (np.float32(k[0]) * xx + np.float32(k[1]) * yy)
        zr = _coarse(r * np.cos(arg), step, window)
        zi = _coarse(r * -np.sin(arg), step, window)
        mag = np.hypot(zr, zi) / norm
        phases.append(np.arctan2(zi, zr))
        quality = np.minimum(quality, mag)
    return energy, quality, phases


def _refine_frequencies(lat: Lattice, phases: list[np.ndarray], good: np.ndarray, quality: np.ndarray,
                        step: int, gy: np.ndarray, gx: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Each lattice frequency refined from the node phases themselves, and the node phases
    left after removing the refinement (wrapped to (-pi, pi]).

    The coherent sum of the good nodes' phasors, weighted by quality (a zero-padded DFT over
    the node grid), peaks at the residual frequency; the phases left are smooth and easy to
    unwrap."""
    gh, gw = quality.shape
    ks = []
    left = list(phases)
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
        left[j] = np.angle(np.exp(1j * resid))
    return ks, left


def _unwrap(phases: list[np.ndarray], quality: np.ndarray,
            good: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """The node phases unwrapped, quality guided (from the best node outwards, always through
    the best node not yet reached), each connected region of good nodes separately; returns
    them and the mask of the region of the largest total quality (the one kept)."""
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
    return unwrapped, label == int(np.argmax(weight_of))


def _fit_poly(u: np.ndarray, v: np.ndarray, px: np.ndarray, py: np.ndarray, wts: np.ndarray,
              pitch: float, deg: int) -> tuple[np.ndarray, np.ndarray, float]:
    """Weighted least-squares polynomial map of ``deg`` from lattice (u, v) to pixels (px, py),
    refitted three times without the nodes it misses by more than three times the median
    error (at least 0.2 pitch); its x and y coefficients and median error in pitches."""
    keep = np.ones(len(u), bool)
    for _ in range(3):
        a = _poly_terms(u[keep], v[keep], deg) * np.sqrt(wts[keep])[:, None]
        fx_ = np.linalg.lstsq(a, px[keep] * np.sqrt(wts[keep]), rcond=None)[0]
        fy_ = np.linalg.lstsq(a, py[keep] * np.sqrt(wts[keep]), rcond=None)[0]
        t = _poly_terms(u, v, deg)
        err = np.hypot(t @ fx_ - px, t @ fy_ - py) / pitch
        keep = err < max(0.2, 3 * np.median(err[keep]))
    return fx_, fy_, float(np.median(err[keep]))


@dataclass(frozen=True)
class LatticeMap:
    """A fitted map from lattice coordinates to pixels: the lattice coordinates are centred
    on (``u_c``, ``v_c``) and divided by ``span`` (so the fit is well conditioned), then
    taken through the ``homography`` if there is one, else through the polynomial of
    ``degree`` with coefficients ``cx`` and ``cy``."""

    u_c: float
    v_c: float
    span: float
    degree: int
    cx: np.ndarray
    cy: np.ndarray
    homography: np.ndarray | None

    def __call__(self, cols: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Pixel ``(xs, ys)`` of lattice coordinates (``cols``, ``rows``)."""
        un, vn = (cols - self.u_c) / self.span, (rows - self.v_c) / self.span
        if self.homography is not None:
            return apply_homography(self.homography, un, vn)
        t = _poly_terms(un.ravel(), vn.ravel(), self.degree)
        return (t @ self.cx).reshape(un.shape), (t @ self.cy).reshape(un.shape)


def _fit_map(u_raw: np.ndarray, v_raw: np.ndarray, px: np.ndarray, py: np.ndarray, wts: np.ndarray,
             pitch: float, nodes: int) -> tuple[LatticeMap, float]:
    """The map from lattice coordinates to pixels through the nodes, and its median error in
    pitches.

    An affine map is exact for scans, screenshots and crops; the quadratic terms are taken
    only when they are needed (a photo's perspective), since fitted on nodes from part of
    the image they can bend the rest of it by whole pitches; a homography (a photo's
    perspective exactly) replaces either where it fits clearly better."""
    u_c, v_c = float(np.median(u_raw)), float(np.median(v_raw))
    span = float(max(np.ptp(u_raw), np.ptp(v_raw), 1.0))
    u = (u_raw - u_c) / span
    v = (v_raw - v_c) / span
    degree = 1
    cx, cy, residual = _fit_poly(u, v, px, py, wts, pitch, 1)
    homography = None
    if residual > 0.05 and nodes >= 40:
        cx2, cy2, res2 = _fit_poly(u, v, px, py, wts, pitch, 2)
        if res2 < 0.8 * residual:
            degree, cx, cy, residual = 2, cx2, cy2, res2
        fitted = robust_homography(u, v, px, py, wts, pitch)
        if fitted is not None and fitted[1] < 0.8 * residual:
            homography, residual = fitted
    return LatticeMap(u_c, v_c, span, degree, cx, cy, homography), residual


def _sites_around(u_raw: np.ndarray, v_raw: np.ndarray, px: np.ndarray, py: np.ndarray,
                  w: int, h: int) -> tuple[np.ndarray, np.ndarray]:
    """Lattice coordinates (columns, rows) of every integer site that may fall inside a
    ``w`` x ``h`` image: the box around its corners under a linear model of the nodes,
    two sites wider on every side."""
    cu = np.array([0, w, 0, w], float)
    cv = np.array([0, 0, h, h], float)
    lin = np.linalg.lstsq(np.stack([np.ones_like(px), px, py], 1), np.stack([u_raw, v_raw], 1), rcond=None)[0]
    corners = np.stack([np.ones(4), cu, cv], 1) @ lin
    u0, u1 = int(np.floor(corners[:, 0].min())) - 2, int(np.ceil(corners[:, 0].max())) + 2
    v0, v1 = int(np.floor(corners[:, 1].min())) - 2, int(np.ceil(corners[:, 1].max())) + 2
    vv, uu = np.mgrid[v0:v1 + 1, u0:u1 + 1]
    return uu.ravel().astype(np.float64), vv.ravel().astype(np.float64)


def _grown(mask: np.ndarray, times: int) -> np.ndarray:
    """``mask`` grown by one node up, down, left and right, ``times`` times over."""
    seen = mask.copy()
    for _ in range(times):
        grown = seen.copy()
        grown[1:] |= seen[:-1]
        grown[:-1] |= seen[1:]
        grown[:, 1:] |= seen[:, :-1]
        grown[:, :-1] |= seen[:, 1:]
        seen = grown
    return seen
