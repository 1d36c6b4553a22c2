"""Image side of the page pattern: the decoder's image input, dot response and lattice
synchronisation, and SSIM for measuring the pattern's cost.

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

The steps live in small modules, all of whose names this module re-exports:
:mod:`watermark.pattern_filters` (steps 1 and 2: darkness, smoothing, dot responses),
:mod:`watermark.pattern_lattice` (step 3: the lattice search) and
:mod:`watermark.pattern_sites` (steps 4 and 5: site location); the dot rendering of the
drawing side is :func:`watermark.pattern_draw.render_dots`.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from mijian.watermark.pattern_draw import render_dots
from mijian.watermark.pattern_filters import (
    Response,
    bilinear,
    box,
    darkness,
    dot_response,
    gauss,
    noise_level,
    paper_spread,
    site_response,
)
from mijian.watermark.pattern_lattice import Lattice, enhance, find_lattices, isolated_peaks
from mijian.watermark.pattern_sites import TWO_PI, Grid, LatticeMap, locate_sites

__all__ = [
    "MAX_SIDE", "TWO_PI", "to_grey", "ssim",
    "box", "gauss", "darkness", "bilinear", "Response", "dot_response", "paper_spread",
    "site_response", "noise_level",
    "Lattice", "isolated_peaks", "enhance", "find_lattices",
    "Grid", "LatticeMap", "locate_sites",
    "render_dots",
]

MAX_SIDE = 1800


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
