"""A projective map from lattice coordinates to image pixels, for photos of a page or a crop.

A photo of a flat sheet is, up to lens distortion, a perspective view: the map from the
dot lattice to the image is a homography. The polynomial maps of
:func:`watermark.pattern_image.locate_sites` (affine, quadratic) are exact for scans and
crops, but a keystone of several per cent bends a quadratic away from the truth by whole
pitches at the far side of a crop; the homography has eight parameters and no such error.
"""

from __future__ import annotations

import numpy as np


def fit_homography(u: np.ndarray, v: np.ndarray, x: np.ndarray, y: np.ndarray,
                   weights: np.ndarray) -> np.ndarray | None:
    """The 3 x 3 homography taking (u, v, 1) to (x, y, 1) by weighted least squares (the
    linear, direct form), or None when the points do not determine one."""
    one, zero = np.ones_like(u), np.zeros_like(u)
    rows = np.concatenate([np.stack([one, u, v, zero, zero, zero, -x * u, -x * v], 1),
                           np.stack([zero, zero, zero, one, u, v, -y * u, -y * v], 1)])
    rhs = np.concatenate([x, y])
    w = np.sqrt(np.concatenate([weights, weights]))
    try:
        h, *_ = np.linalg.lstsq(rows * w[:, None], rhs * w, rcond=None)
    except np.linalg.LinAlgError:
        return None
    if not np.all(np.isfinite(h)):
        return None
    return np.array([[h[1], h[2], h[0]], [h[4], h[5], h[3]], [h[6], h[7], 1.0]])


def apply_homography(matrix: np.ndarray, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Image positions of lattice coordinates ``u``, ``v`` under ``matrix``."""
    den = matrix[2, 0] * u + matrix[2, 1] * v + matrix[2, 2]
    den = np.where(np.abs(den) < 1e-9, 1e-9, den)
    return ((matrix[0, 0] * u + matrix[0, 1] * v + matrix[0, 2]) / den,
            (matrix[1, 0] * u + matrix[1, 1] * v + matrix[1, 2]) / den)


def robust_homography(u: np.ndarray, v: np.ndarray, x: np.ndarray, y: np.ndarray,
                      weights: np.ndarray, pitch: float) -> tuple[np.ndarray, float] | None:
    """:func:`fit_homography` refitted three times without the points it misses by more than
    three times the median error (at least 0.2 pitch); returns the map and the median error
    in pitches, or None."""
    keep = np.ones(len(u), bool)
    matrix = None
    for _ in range(3):
        if keep.sum() < 8:
            return None
        matrix = fit_homography(u[keep], v[keep], x[keep], y[keep], weights[keep])
        if matrix is None:
            return None
        px, py = apply_homography(matrix, u, v)
        err = np.hypot(px - x, py - y) / pitch
        keep = err < max(0.2, 3 * float(np.median(err[keep])))
    return None if matrix is None else (matrix, float(np.median(err[keep])))


def rectify(grey: np.ndarray, project, rows: np.ndarray, cols: np.ndarray,
            pitch: float) -> np.ndarray | None:
    """The image resampled so that the lattice runs straight and evenly at ``pitch`` pixels:
    pixel (Y, X) shows lattice coordinates (rows.min() + Y / pitch, cols.min() + X / pitch)
    through ``project`` (a fitted map, see :class:`watermark.pattern_image.Grid`). Pixels
    that fall outside the image are paper (the image's median). None if too small."""
    r0, r1 = float(rows.min()) - 1, float(rows.max()) + 1
    c0, c1 = float(cols.min()) - 1, float(cols.max()) + 1
    height, width = int((r1 - r0) * pitch), int((c1 - c0) * pitch)
    if min(height, width) < 16 or height * width > 4_000_000:
        return None
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float64)
    xs, ys = project(c0 + xx / pitch, r0 + yy / pitch)
    return resample(grey, xs, ys)


def resample(grey: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """``grey`` read at the image positions ``xs``, ``ys`` (arrays of one shape, the shape of
    the result) by bilinear interpolation, as float32. Positions outside the image read as
    its median (paper, or the table it lies on), so a resampled view never invents ink at
    its edges. Shared by every view that redraws an image through a fitted map: the
    lattice's own grid (:func:`rectify`) and a photo's perspective undone
    (:func:`watermark.pattern_tilt.untilt`)."""
    h, w = grey.shape
    inside = (xs >= 0) & (xs <= w - 1) & (ys >= 0) & (ys <= h - 1)
    x0 = np.clip(np.floor(xs).astype(np.int64), 0, w - 2)
    y0 = np.clip(np.floor(ys).astype(np.int64), 0, h - 2)
    fx, fy = np.clip(xs - x0, 0, 1), np.clip(ys - y0, 0, 1)
    out = (grey[y0, x0] * (1 - fx) * (1 - fy) + grey[y0, x0 + 1] * fx * (1 - fy)
           + grey[y0 + 1, x0] * (1 - fx) * fy + grey[y0 + 1, x0 + 1] * fx * fy)
    return np.where(inside, out, float(np.median(grey))).astype(np.float32)
