"""Drawing side of the page pattern: where the dots of a copy go, and the pattern as squares
for a vector drawing, as an RGBA overlay, or composited onto a page raster.

:mod:`watermark.pattern` describes the pattern and the compositing, and re-exports every
public name here.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image

from mijian.watermark.pattern_code import encode_bits, layout, payload_to_int, symbols_from_bits
from mijian.watermark.pattern_payload import BASE_DPI, PatternKey, as_key


def dot_positions(width_px: float, height_px: float, payload: bytes, pkey: PatternKey,
                  dpi: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Centres (x, y in pixels at ``dpi``) and darkness of every dot of the page: the tile's
    code repeated from the top-left corner, each tile with its own black groups, and only the
    dots that lie wholly on the page."""
    p = pkey.params
    lay = layout(pkey.key, p)
    channel = encode_bits(pkey.key, p, payload)
    symbols = np.concatenate([lay.pilot_symbols, symbols_from_bits(p, channel)])
    site = lay.sites[np.arange(p.groups), symbols]
    row_in, col_in = np.divmod(site, p.tile)
    scale = dpi / BASE_DPI
    tile_px = p.tile * p.pitch * scale
    xs, ys, vals = [], [], []
    for tr in range(int(math.ceil(height_px / tile_px))):
        for tc in range(int(math.ceil(width_px / tile_px))):
            dark = np.zeros(p.groups, bool)
            dark[lay.dark_groups(tr, tc)] = True
            x = ((tc * p.tile + col_in) + 0.5) * p.pitch * scale
            y = ((tr * p.tile + row_in) + 0.5) * p.pitch * scale
            xs.append(x)
            ys.append(y)
            vals.append(np.where(dark, p.dark, p.light))
    x = np.concatenate(xs)
    y = np.concatenate(ys)
    v = np.concatenate(vals).astype(np.float32)
    half = p.dot * scale / 2
    keep = (x - half >= 0) & (y - half >= 0) & (x + half <= width_px) & (y + half <= height_px)
    return x[keep], y[keep], v[keep]


def make_overlay(width_px: int, height_px: int, payload: bytes, key: bytes | PatternKey,
                 dpi: int = BASE_DPI) -> Image.Image:
    """The page pattern as an RGBA image (black, alpha = dot darkness / 255).

    ``width_px`` x ``height_px`` is the page box at ``dpi``; place the image over the whole
    page, top-left aligned, composited "over" the content (normal blend with its alpha).
    The same overlay serves every page of one copy of the same size.
    """
    pkey = as_key(key)
    payload_to_int(payload, pkey.params.payload_bits)
    if width_px <= 0 or height_px <= 0 or dpi < 72:
        raise ValueError("overlay size must be positive and dpi at least 72")
    x, y, v = dot_positions(width_px, height_px, payload, pkey, dpi)
    alpha = render_dots(width_px, height_px, x, y, pkey.params.dot * dpi / BASE_DPI, v)
    rgba = np.zeros((height_px, width_px, 4), np.uint8)
    rgba[..., 3] = np.clip(np.round(alpha), 0, 255).astype(np.uint8)
    return Image.fromarray(rgba, "RGBA")


def page_dots(width: float, height: float, payload: bytes, key: bytes | PatternKey,
              units_per_inch: float = 72.0) -> tuple[np.ndarray, np.ndarray, float, np.ndarray]:
    """The page pattern as squares to draw: centres x and y (from the top-left corner), the
    side of every square, and each square's darkness (0-255), in units of
    ``1 / units_per_inch`` inch (points by default) for a page of ``width`` x ``height``.

    Drawn black with opacity darkness / 255 over the page content, they are the same mark
    :func:`make_overlay` rasterises.
    """
    pkey = as_key(key)
    payload_to_int(payload, pkey.params.payload_bits)
    if width <= 0 or height <= 0 or units_per_inch <= 0:
        raise ValueError("page size and units must be positive")
    x, y, v = dot_positions(width, height, payload, pkey, units_per_inch)
    return x, y, pkey.params.dot * units_per_inch / BASE_DPI, v


def apply_to_image(page: Image.Image, payload: bytes, key: bytes | PatternKey,
                   dpi: int = BASE_DPI) -> Image.Image:
    """``page`` (a raster of the whole page at ``dpi``) with the pattern composited over it."""
    overlay = make_overlay(page.width, page.height, payload, key, dpi)
    alpha = np.asarray(overlay, dtype=np.float32)[..., 3:4] / 255.0
    mode = page.mode if page.mode in ("L", "RGB") else "RGB"
    base = np.asarray(page.convert(mode), dtype=np.float32)
    if base.ndim == 2:
        base = base[..., None]
    out = np.clip(np.round(base * (1.0 - alpha)), 0, 255).astype(np.uint8)
    return Image.fromarray(out[..., 0] if mode == "L" else out, mode)


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
