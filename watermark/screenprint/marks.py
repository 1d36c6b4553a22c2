"""Where the fingerprint's marks go on a page, and their raster form.

A page is covered by tiles from its top-left corner; site (row, col) of the page lattice has
its centre at ((col + 0.5) * pitch, (row + 0.5) * pitch) millimetres from that corner, and
belongs to tile position (row mod tile, col mod tile). Each group of each tile holds one
mark, at the site its symbol names. The same marks serve every page of one size of a copy,
so a writer computes them once per page size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image

from mijian.watermark.screenprint.code import DEFAULT, Params, encode, layout

MM_PER_INCH = 25.4


@dataclass(frozen=True)
class Marks:
    """The marks of one page: centres ``x``, ``y`` (millimetres from the top-left corner)
    and whether each is a black one (else grey), with the params that size them."""

    x: np.ndarray
    y: np.ndarray
    black: np.ndarray
    params: Params

    def squares(self, units_per_mm: float) -> tuple[list[tuple[float, float, float, float]],
                                                    list[tuple[float, float, float, float]]]:
        """Grey and black squares as (x0, y0, x1, y1) from the top-left, in the given units."""
        out: tuple[list, list] = ([], [])
        for black, side in ((False, self.params.mark_mm), (True, self.params.black_mm)):
            half = side / 2
            chosen = self.black == black
            for x, y in zip(self.x[chosen].tolist(), self.y[chosen].tolist()):
                out[int(black)].append(((x - half) * units_per_mm, (y - half) * units_per_mm,
                                        (x + half) * units_per_mm, (y + half) * units_per_mm))
        return out


def page_marks(width_mm: float, height_mm: float, key: bytes, number: int,
               params: Params = DEFAULT) -> Marks:
    """Every mark of a page of ``width_mm`` x ``height_mm`` carrying ``number`` under ``key``
    (marks whose square would cross the page edge are left out)."""
    if width_mm <= 0 or height_mm <= 0:
        raise ValueError("page size must be positive")
    p = params
    lay = layout(key, p)
    symbols = encode(key, number, p)
    site = lay.sites[np.arange(p.groups), symbols]
    row_in, col_in = np.divmod(site, p.tile)
    xs, ys, blacks = [], [], []
    for tr in range(int(math.ceil(height_mm / p.tile_mm))):
        for tc in range(int(math.ceil(width_mm / p.tile_mm))):
            black = np.zeros(p.groups, bool)
            black[lay.black_groups(tr, tc)] = True
            xs.append((tc * p.tile + col_in + 0.5) * p.pitch_mm)
            ys.append((tr * p.tile + row_in + 0.5) * p.pitch_mm)
            blacks.append(black)
    x, y, b = np.concatenate(xs), np.concatenate(ys), np.concatenate(blacks)
    half = p.mark_mm / 2
    keep = (x - half >= 0) & (y - half >= 0) & (x + half <= width_mm) & (y + half <= height_mm)
    return Marks(x[keep], y[keep], b[keep], p)


def _coverage(lo: np.ndarray, side: float, span: int) -> tuple[np.ndarray, np.ndarray]:
    """First pixel and 1-D pixel coverage of the intervals [lo, lo + side)."""
    first = np.floor(lo).astype(int)
    pix = first[:, None] + np.arange(span)
    cover = np.clip(np.minimum(pix + 1, (lo + side)[:, None]) - np.maximum(pix, lo[:, None]), 0, 1)
    return first, cover


def alpha_map(marks: Marks, width_px: int, height_px: int, dpi: float) -> np.ndarray:
    """The marks as darkness 0-1 (area coverage times strength) on a raster of the page at
    ``dpi``; the raster covers the page from its top-left corner."""
    out = np.zeros((height_px, width_px), np.float32)
    scale = dpi / MM_PER_INCH
    p = marks.params
    for black, side_mm, level in ((False, p.mark_mm, p.grey / 255), (True, p.black_mm, 1.0)):
        chosen = marks.black == black
        if not chosen.any():
            continue
        side = side_mm * scale
        span = int(math.ceil(side)) + 2
        x0, cx = _coverage(marks.x[chosen] * scale - side / 2, side, span)
        y0, cy = _coverage(marks.y[chosen] * scale - side / 2, side, span)
        for k in range(len(x0)):
            patch = np.outer(cy[k], cx[k]) * level
            ya, xa = y0[k], x0[k]
            yb, xb = min(ya + span, height_px), min(xa + span, width_px)
            if ya < 0 or xa < 0 or yb <= ya or xb <= xa:
                continue
            sub = out[ya:yb, xa:xb]
            np.maximum(sub, patch[:yb - ya, :xb - xa], out=sub)
    return out


def overlay(width_px: int, height_px: int, dpi: float, key: bytes, number: int,
            params: Params = DEFAULT) -> Image.Image:
    """The fingerprint as an RGBA image of the whole page (black, alpha = darkness), to be
    composited over the page content from its top-left corner."""
    if width_px <= 0 or height_px <= 0 or dpi < 72:
        raise ValueError("overlay size must be positive and dpi at least 72")
    marks = page_marks(width_px / dpi * MM_PER_INCH, height_px / dpi * MM_PER_INCH, key,
                       number, params)
    rgba = np.zeros((height_px, width_px, 4), np.uint8)
    rgba[..., 3] = np.round(alpha_map(marks, width_px, height_px, dpi) * 255).astype(np.uint8)
    return Image.fromarray(rgba, "RGBA")


def merge_overlay(base: Image.Image, extra: Image.Image) -> Image.Image:
    """Two black RGBA overlays of one size as one (alphas combined as "over" does)."""
    a = np.asarray(base.convert("RGBA"), np.float32)[..., 3] / 255
    b = np.asarray(extra.convert("RGBA"), np.float32)[..., 3] / 255
    rgba = np.zeros(a.shape + (4,), np.uint8)
    rgba[..., 3] = np.round((1 - (1 - a) * (1 - b)) * 255).astype(np.uint8)
    return Image.fromarray(rgba, "RGBA")


def apply(page: Image.Image, dpi: float, key: bytes, number: int,
          params: Params = DEFAULT) -> Image.Image:
    """``page`` (a raster of the whole page at ``dpi``) with the marks composited over it."""
    marks = page_marks(page.width / dpi * MM_PER_INCH, page.height / dpi * MM_PER_INCH, key,
                       number, params)
    alpha = alpha_map(marks, page.width, page.height, dpi)[..., None]
    mode = page.mode if page.mode in ("L", "RGB") else "RGB"
    base = np.asarray(page.convert(mode), np.float32)
    if base.ndim == 2:
        base = base[..., None]
    out = np.clip(np.round(base * (1 - alpha)), 0, 255).astype(np.uint8)
    return Image.fromarray(out[..., 0] if mode == "L" else out, mode)
