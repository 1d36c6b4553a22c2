"""Pixel maps of the page pattern's decoder: paper-relative darkness, smoothing, sampling and
the dot responses (with their masks of ink near a site) at an assumed lattice pitch.

These are the building blocks shared by the lattice search (:mod:`watermark.pattern_lattice`),
the site location (:mod:`watermark.pattern_sites`) and the reading of the sites
(:mod:`watermark.pattern_decode`); :mod:`watermark.pattern_image` describes how they fit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image


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
            acc += np.float32(w) * (p[i:i + n] if axis == 0 else p[:, i:i + n])  # views, no copy
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
