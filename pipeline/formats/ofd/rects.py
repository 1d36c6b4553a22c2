"""Filled OFD paths made only of axis-aligned rectangles, drawn with exact pixel coverage.

The QR symbol, the keyed dot pattern and the camera-robust fingerprint of a copy are each one
path object of squares (:meth:`.draw.Painter.squares`: move, three lines, close). Drawn as
polygons, every edge would be snapped to whole pixels and the pixels an edge touches taken in,
so a 3.3-pixel QR module came out 3 to 5 pixels wide and the gap beside it 1 to 3, and a
fingerprint square lost or gained a row of its darkness. Here pixel (i, j) covers
[i, i + 1) x [j, j + 1) of the page's pixel coordinates and gets the area of it each rectangle
covers, as a PDF renderer draws the same squares. A path's coverage is summed over its
rectangles and held at 1: exact for rectangles that do not overlap (the marks' squares do not;
rectangles that share an edge inside a pixel fill it once), and a fill's own even-odd rule is
not applied to rectangles that overlap.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from mijian.pipeline.formats.ofd.structure import LARGEST

Box = tuple[float, float, float, float]
"""A rectangle in pixels: (x0, y0, x1, y1) with x0 <= x1 and y0 <= y1."""

_MOST = 200_000
"""Most rectangles of one path (as many shapes as a polygon path may have)."""

_SLACK = 1e-6
"""Pixels two coordinates may differ by and still count as one edge's."""


def _box(points: list[tuple[float, float]]) -> Box | None:
    """The rectangle the corners ``points`` (in drawing order, optionally back at the first)
    make when its edges are horizontal and vertical; None for any other shape."""
    if len(points) == 5 and math.dist(points[0], points[4]) <= _SLACK:
        points = points[:4]
    if len(points) != 4:
        return None
    (ax, ay), (bx, by), (cx, cy), (dx, dy) = points
    same = [abs(u - v) <= _SLACK for u, v in ((ay, by), (bx, cx), (cy, dy), (dx, ax),
                                              (ax, bx), (by, cy), (cx, dx), (dy, ay))]
    if not (all(same[:4]) or all(same[4:])):
        return None
    return min(ax, cx), min(ay, cy), max(ax, cx), max(ay, cy)


def _number(item: str) -> float | None:
    """One coordinate as :func:`.structure.numbers` reads it, or None when it is not a
    finite number."""
    try:
        value = float(item)
    except ValueError:
        return None
    return min(max(value, -LARGEST), LARGEST) if math.isfinite(value) else None


def rectangles(data: str, place: Callable[[float, float], tuple[float, float]]) -> list[Box] | None:
    """The rectangles (pixels) of the AbbreviatedData ``data`` placed by ``place``, or None
    when any part of it is not an axis-aligned rectangle (a lone move adds nothing)."""
    items = data.split()
    boxes: list[Box] = []
    shape: list[tuple[float, float]] = []
    index = 0
    while index <= len(items):
        command = items[index] if index < len(items) else "C"
        if command not in ("S", "M", "L", "C") or (command == "L" and not shape):
            return None
        if command != "L" and len(shape) > 1:
            box = _box(shape)
            if box is None or len(boxes) >= _MOST:
                return None
            boxes.append(box)
        if command != "L":
            shape = []
        if command == "C":
            index += 1
            continue
        x, y = (_number(item) for item in (items[index + 1:index + 3] + ["", ""])[:2])
        if x is None or y is None:
            return None
        shape.append(place(x, y))
        index += 3
    return boxes


def _spans(low: Any, high: Any) -> tuple[Any, Any]:
    """First pixel of each span [low, high) of a line (clipped to it) and how many pixels it
    reaches into."""
    import numpy as np

    first = np.floor(low).astype(np.int64)
    return first, np.maximum(np.ceil(high).astype(np.int64) - first, 1)


def _lengths(first: Any, count: int, low: Any, high: Any) -> tuple[Any, Any]:
    """Pixels ``first`` .. ``first + count - 1`` of each span and the length of each pixel
    the span [low, high) covers."""
    import numpy as np

    pixels = first[:, None] + np.arange(count)
    return pixels, np.clip(np.minimum(pixels + 1, high[:, None]) - np.maximum(pixels, low[:, None]),
                           0.0, 1.0)


def _sparse(x0: Any, x1: Any, y0: Any, y1: Any, width: int) -> tuple[Any, Any]:
    """Flat pixel index (row * ``width`` + column) and covered area of every pixel the spans
    touch, per box (a pixel more than once where boxes share it). Boxes whose spans have the
    same number of pixels are worked out together."""
    import numpy as np

    (fx, nx), (fy, ny) = _spans(x0, x1), _spans(y0, y1)
    shapes, which, counts = np.unique(np.stack([ny, nx], axis=1), axis=0, return_inverse=True,
                                      return_counts=True)
    order = np.argsort(which.ravel(), kind="stable")
    places, areas = [], []
    for (rows, cols), chosen in zip(shapes.tolist(), np.split(order, np.cumsum(counts)[:-1])):
        ys, down = _lengths(fy[chosen], rows, y0[chosen], y1[chosen])
        xs, across = _lengths(fx[chosen], cols, x0[chosen], x1[chosen])
        places.append((ys[:, :, None] * width + xs[:, None, :]).ravel())
        areas.append((down[:, :, None] * across[:, None, :]).ravel())
    return np.concatenate(places), np.concatenate(areas)


def _steps(low: Any, high: Any) -> tuple[Any, Any]:
    """Where the covered length of each span [low, high) changes along its line, and by how
    much: pixel i holds min(max(i + 1 - a, 0), 1) of [a, inf), which rises by 1 - frac(a) at
    floor(a) and by frac(a) at floor(a) + 1; a span is the rise at ``low`` less that at
    ``high``."""
    import numpy as np

    first_low, first_high = np.floor(low), np.floor(high)
    part_low, part_high = low - first_low, high - first_high
    where = np.stack([first_low, first_low + 1, first_high, first_high + 1], axis=1)
    return where.astype(np.int64), np.stack([1 - part_low, part_low, part_high - 1, -part_high],
                                            axis=1)


def _dense(x0: Any, x1: Any, y0: Any, y1: Any, size: tuple[int, int]) -> tuple[Any, Any]:
    """As :func:`_sparse` (each pixel once), for many or large boxes: 16 changes a box in an
    array of the image whose running sums down and across are the coverage, so the work is
    bounded by the boxes plus the image, however many pixels the boxes overlap."""
    import numpy as np

    across, dx = _steps(x0, x1)
    down, dy = _steps(y0, y1)
    changes = np.zeros((size[1] + 2, size[0] + 2), np.float64)
    np.add.at(changes, (np.repeat(down, 4, axis=1).ravel(), np.tile(across, (1, 4)).ravel()),
              (dy[:, :, None] * dx[:, None, :]).ravel())
    area = changes.cumsum(axis=0).cumsum(axis=1)[:size[1], :size[0]]
    rows, cols = np.nonzero(area > 1e-9)  # rounding leaves crumbs where nothing is covered
    return rows * size[0] + cols, area[rows, cols]


def coverage(boxes: list[Box], size: tuple[int, int]) -> tuple[Any, Any, Any] | None:
    """The pixels of an image of ``size`` the ``boxes`` cover, as rows, columns and the area
    of each covered (summed over the boxes, held at 1; each pixel once), or None when they
    cover none. The work grows with the pixels the boxes touch (:func:`_sparse`), and is never
    more than the boxes plus the image (:func:`_dense`)."""
    import numpy as np

    array = np.asarray(boxes, np.float64).reshape(-1, 4)
    x0, x1 = (np.clip(array[:, k], 0, size[0]) for k in (0, 2))
    y0, y1 = (np.clip(array[:, k], 0, size[1]) for k in (1, 3))
    keep = (x1 > x0) & (y1 > y0)
    if not keep.any():
        return None
    x0, x1, y0, y1 = x0[keep], x1[keep], y0[keep], y1[keep]
    touched = (np.ceil(x1) - np.floor(x0)) * (np.ceil(y1) - np.floor(y0))
    if touched.sum() > size[0] * size[1]:
        place, area = _dense(x0, x1, y0, y1, size)
    else:
        place, area = _sparse(x0, x1, y0, y1, size[0])
        if len(x0) > 1:
            place, inverse = np.unique(place, return_inverse=True)
            area = np.bincount(inverse.ravel(), weights=area, minlength=len(place))
    used = area > 0
    rows, cols = np.divmod(place[used], size[0])
    return rows, cols, np.minimum(area[used], 1.0)


def fill_rectangles(image: Any, boxes: list[Box], rgb: tuple[int, ...], alpha: int) -> None:
    """Paint ``boxes`` on the RGB ``image`` in ``rgb`` at opacity ``alpha`` (0-255), each pixel
    by the area of it they cover (to the nearest of 256 opacity steps)."""
    import numpy as np
    from PIL import Image

    found = coverage(boxes, image.size) if alpha > 0 else None
    if found is None:
        return
    rows, cols, area = found
    top, left = int(rows.min()), int(cols.min())
    mask = np.zeros((int(rows.max()) + 1 - top, int(cols.max()) + 1 - left), np.uint8)
    mask[rows - top, cols - left] = np.rint(area * alpha).astype(np.uint8)
    image.paste(tuple(rgb[:3]), (left, top, left + mask.shape[1], top + mask.shape[0]),
                Image.fromarray(mask, "L"))
