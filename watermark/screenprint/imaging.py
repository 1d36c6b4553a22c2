"""Image helpers of the fingerprint reader: grey conversion, paper normalisation, Gaussian
filters by FFT, and the mark response (numpy and Pillow only)."""

from __future__ import annotations

import numpy as np
from PIL import Image

MAX_SIDE = 1400
"""Longer side an image is shrunk to before reading (larger photos carry nothing more: the
marks are about a millimetre, so 1,400 px over a page still gives 6 px a site)."""


def to_grey(image: Image.Image, max_side: int = MAX_SIDE) -> tuple[np.ndarray, float]:
    """Grey float32 array (0-255) of ``image`` (transparency over white), shrunk so its
    longer side is at most ``max_side``; also the factor applied (new size / old size)."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        base = Image.new("RGBA", image.size, (255, 255, 255, 255))
        base.alpha_composite(image.convert("RGBA"))
        image = base
    if image.mode == "L":
        grey = image
    else:
        # equal weights: a camera pixel across a screen's red, green and blue subpixels of
        # white paper then reads the same whichever subpixels it covers (the usual luma
        # weights would turn the subpixel stripes into luminance moiré)
        rgb = np.asarray(image.convert("RGB"), dtype=np.float32)
        grey = Image.fromarray(rgb.mean(axis=2), "F")
    factor = 1.0
    if max(grey.size) > max_side:
        factor = max_side / max(grey.size)
        size = (max(1, round(grey.width * factor)), max(1, round(grey.height * factor)))
        grey = grey.resize(size, Image.Resampling.BOX)
    return np.asarray(grey, dtype=np.float32), factor


def shrink(a: np.ndarray, step: int) -> np.ndarray:
    """Mean over ``step`` x ``step`` blocks (the edge remainder is dropped)."""
    if step <= 1:
        return a
    h, w = a.shape[0] // step, a.shape[1] // step
    return a[:h * step, :w * step].reshape(h, step, w, step).mean(axis=(1, 3))


def _fast_size(n: int) -> int:
    """The smallest 2^a 3^b 5^c at least ``n`` (sizes the FFT handles fastest)."""
    best = 1 << (n - 1).bit_length()
    f5 = 1
    while f5 < best:
        f35 = f5
        while f35 < best:
            f = f35
            while f < n:
                f *= 2
            best = min(best, f)
            f35 *= 3
        f5 *= 5
    return best


def gauss(a: np.ndarray, *sigmas: float) -> list[np.ndarray]:
    """Gaussian blurs of a real 2-D array by FFT (one forward transform for every sigma),
    edges reflected over three times the largest sigma."""
    pad = int(min(3 * max(sigmas) + 1, min(a.shape) - 1))
    sizes = [_fast_size(n + 2 * pad) - n - pad for n in a.shape]
    p = np.pad(a.astype(np.float32), ((pad, sizes[0]), (pad, sizes[1])), mode="reflect")
    spectrum = np.fft.rfft2(p)
    fy = np.fft.fftfreq(p.shape[0])[:, None]
    fx = np.fft.rfftfreq(p.shape[1])[None, :]
    r2 = fy * fy + fx * fx
    out = []
    for sigma in sigmas:
        full = np.fft.irfft2(spectrum * np.exp(-2 * (np.pi * sigma) ** 2 * r2), s=p.shape)
        out.append(full[pad:pad + a.shape[0], pad:pad + a.shape[1]].astype(np.float32))
    return out


def paper_darkness(grey: np.ndarray, block: int = 24) -> np.ndarray:
    """Darkness relative to the local paper level: 0 on paper, 1 for black. The paper
    level is the 90th percentile of each block, raised to its neighbours' where a block is
    mostly ink, and interpolated; this undoes shading, vignetting and screen glow."""
    h, w = grey.shape
    bh, bw = -(-h // block), -(-w // block)
    pad = np.pad(grey, ((0, bh * block - h), (0, bw * block - w)), mode="edge")
    cells = pad.reshape(bh, block, bw, block).transpose(0, 2, 1, 3).reshape(bh, bw, -1)
    level = np.percentile(cells, 90, axis=2)
    around = np.pad(level, 1, mode="edge")
    neigh = np.median(np.stack([around[i:i + bh, j:j + bw] for i in range(3) for j in range(3)]),
                      axis=0)
    level = np.maximum(level, neigh).astype(np.float32)
    big = Image.fromarray(level, "F").resize((bw * block, bh * block), Image.Resampling.BILINEAR)
    paper = np.maximum(np.asarray(big, np.float32)[:h, :w], 8.0)
    return np.clip(1.0 - grey / paper, -0.5, 1.0).astype(np.float32)


RULE_DARK = 0.2
"""Darkness (0 paper, 1 black) from which a pixel may belong to a thin rule."""
RULE_PITCHES = 2.0
"""Length, in lattice pitches, of an upright run of dark pixels taken for a rule."""


def _runs(dark: np.ndarray, length: int, axis: int) -> np.ndarray:
    """Whether each pixel of the boolean image ``dark`` lies in a run of at least
    ``length`` dark pixels along ``axis`` (a window full of dark pixels, spread back over
    the pixels it covers)."""
    n = dark.shape[axis]
    if length > n:
        return np.zeros(dark.shape, bool)
    pad = [(1, 0) if a == axis else (0, 0) for a in range(2)]
    total = np.cumsum(np.pad(dark.astype(np.int32), pad), axis=axis)
    starts = np.arange(n - length + 1)
    full = (np.take(total, starts + length, axis=axis) - np.take(total, starts, axis=axis)) == length
    pad = [(length, length - 1) if a == axis else (0, 0) for a in range(2)]
    covered = np.cumsum(np.pad(full.astype(np.int32), pad), axis=axis)
    ends = np.arange(n)
    return (np.take(covered, ends + length, axis=axis) - np.take(covered, ends, axis=axis)) > 0


def rules(dark: np.ndarray, pitch: float) -> np.ndarray:
    """Thin upright rules: pixels at least :data:`RULE_DARK` dark in a horizontal or
    vertical run of :data:`RULE_PITCHES` pitches or more.

    Why: a one-pixel rule blurred over a mark's size is too faint to pass the ink test of
    :func:`mark_response`, so the rules of a form (an invoice's table, say) stayed "paper":
    their sites read as marks, their isolated maxima formed lattices of their own, and the
    fingerprint of an invoice page never read, even laid on it exactly. A mark is at most
    1.1 mm across (under a pitch) and far lighter, so no mark is taken for a rule."""
    length = max(3, int(round(RULE_PITCHES * pitch)))
    strong = dark > RULE_DARK
    return _runs(strong, length, 0) | _runs(strong, length, 1)


def mark_response(dark: np.ndarray, pitch: float) -> tuple[np.ndarray, np.ndarray]:
    """A matched response to marks on a lattice of ``pitch`` px (a small Gaussian of about
    a mark's size minus the mean of the paper around it, ink left out of that mean so that
    text leaves no halo), and the mask of ink (text, rules, tinted areas, grown by about a
    third of a pitch) where no site is read. Thin rules (:func:`rules`) count as ink."""
    (local,) = gauss(dark, max(0.6, 0.4 * pitch))
    ink = (local > 0.15) | rules(dark, pitch)
    paper = np.where(ink, 0.0, dark)
    small, around = gauss(paper, max(0.6, 0.25 * pitch), max(1.5, pitch))
    weight, grown = gauss((~ink).astype(np.float32), max(1.5, pitch), max(0.7, 0.35 * pitch))
    resp = small - around / np.maximum(weight, 0.05)
    mask = grown < 0.8
    return np.where(mask, 0.0, resp).astype(np.float32), mask


def mark_points(resp: np.ndarray, mask: np.ndarray | None = None, pitch: float = 6.0) -> np.ndarray:
    """The response kept only at its isolated local maxima above the noise (3 x 3), each a
    point: its spectrum shows the lattice of mark centres, while strokes, halos and smooth
    shading give few isolated maxima. With the ink ``mask``, points within about a pitch of
    ink are dropped too: the edges of glyphs set on a grid would otherwise form a lattice
    of their own."""
    if mask is not None:
        (near,) = gauss(mask.astype(np.float32), max(1.0, 0.6 * pitch))
        resp = np.where(near > 0.05, 0.0, resp)
    sample = resp[::3, ::3]
    noise = 1.4826 * float(np.median(np.abs(sample[sample != 0]))) if (sample != 0).any() else 0.0
    padded = np.pad(resp, 1, mode="constant", constant_values=np.inf)
    top = resp > 2.0 * noise
    h, w = resp.shape
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            if dy or dx:
                top &= resp >= padded[1 + dy:1 + dy + h, 1 + dx:1 + dx + w]
    points = np.where(top, resp, 0.0)
    if top.any():
        points = np.minimum(points, np.percentile(points[top], 95))
    return points.astype(np.float32)
