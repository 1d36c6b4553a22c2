"""Draw OFD pages to RGB images with Pillow, well enough for the page marks to be read.

Filled text objects (unfilled ones are invisible) are drawn glyph by glyph at their OFD
positions (transforms applied) in a CJK face found on the machine (Noto CJK, WenQuanYi,
SimSun …; Pillow's own face otherwise, which lacks CJK glyphs); path objects are filled and
stroked as polygons (curves and arcs drawn as straight segments to their end points), with
their fill opacity. A filled path made only of rectangles that stay axis-aligned on the page
(the QR symbol and the fingerprint squares of copies are such paths) is filled with each
pixel's exact area coverage instead: a polygon fill snaps every edge to whole pixels and takes
in the pixels its edges touch, which widened the QR modules at the expense of the gaps between
them and changed the size and darkness of the fingerprint squares enough that a copy's own
render sometimes did not decode. Image objects, clips, patterns and shadings are not drawn:
this is no general OFD viewer, only enough of one for the QR symbol, the printed code and the
page fingerprints of copies.
"""

from __future__ import annotations

import glob
from functools import cache
from typing import Any

from lxml import etree

from mijian.pipeline.errors import LimitExceeded
from mijian.pipeline.formats.ofd.package import child, children, local, problem
from mijian.pipeline.formats.ofd.rects import fill_rectangles, rectangles
from mijian.pipeline.formats.ofd.structure import OfdDocument, drawn_objects, numbers, page_size
from mijian.pipeline.formats.ofd.text import deltas
from mijian.pipeline.limits import Limits

RENDER_DPI = 150
"""Resolution of page images, as for PDF leaks."""

_FAR = 100_000.0
"""Pixel positions are held within this distance of the page (far off it, nothing shows)."""

_FONT_GLOBS = ("/usr/share/fonts/**/NotoSansCJK-Regular.ttc", "/usr/share/fonts/**/NotoSerifCJK*.ttc",
               "/usr/share/fonts/**/wqy*.tt[cf]", "/usr/share/fonts/**/*[Ss]im[Ss]un*.tt[cf]",
               "/usr/share/fonts/**/DejaVuSans.ttf")


@cache
def _font_path() -> str | None:
    """The first CJK-capable face found on the machine, or None."""
    for pattern in _FONT_GLOBS:
        found = sorted(glob.glob(pattern, recursive=True))
        if found:
            return found[0]
    return None


@cache
def _font(pixels: int) -> Any:
    """The face at ``pixels`` (Pillow's own when the machine has none)."""
    from PIL import ImageFont

    path = _font_path()
    return ImageFont.truetype(path, pixels) if path else ImageFont.load_default(pixels)


def _rgb(element: etree._Element, name: str, default: tuple[int, int, int]) -> tuple[tuple[int, ...], int]:
    """Colour and opacity of the child ``name`` (``default``, opaque, without one)."""
    color = child(element, name)
    if color is None:
        return default, 255
    value = [int(min(max(v, 0), 255)) for v in numbers(color.get("Value"))]
    alpha = (numbers(color.get("Alpha")) or [255])[0]
    return (tuple(value[:3]) if len(value) >= 3 else default), int(min(max(alpha, 0), 255))


def _transform(element: etree._Element, scale: float) -> Any:
    """A function from object coordinates to pixels (Boundary offset and CTM applied)."""
    box = numbers(element.get("Boundary"))
    left, top = (box[0], box[1]) if len(box) >= 2 else (0.0, 0.0)
    ctm = numbers(element.get("CTM"))
    a, b, c, d, e, f = ctm if len(ctm) == 6 else (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)

    def place(x: float, y: float) -> tuple[float, float]:
        px, py = (left + a * x + c * y + e) * scale, (top + b * x + d * y + f) * scale
        return min(max(px, -_FAR), _FAR), min(max(py, -_FAR), _FAR)
    return place


def _draw_text(image: Any, element: etree._Element, scale: float) -> None:
    """Draw a text object glyph by glyph, its opacity blended over white paper."""
    from PIL import ImageDraw

    size = (numbers(element.get("Size")) or [3.5])[0]
    ctm = numbers(element.get("CTM"))
    pixels = max(1, min(int(size * scale * (abs(ctm[3]) if len(ctm) == 6 and ctm[3] else 1)), 400))
    (r, g, b), alpha = _rgb(element, "FillColor", (0, 0, 0))
    blend = tuple(round(c * alpha / 255 + 255 * (1 - alpha / 255)) for c in (r, g, b))
    place = _transform(element, scale)
    pen = ImageDraw.Draw(image)
    x = y = 0.0
    for code in children(element, "TextCode"):
        x = (numbers(code.get("X")) or [x])[0]
        y = (numbers(code.get("Y")) or [y])[0]
        dx, dy = deltas(code.get("DeltaX")), deltas(code.get("DeltaY"))
        for index, char in enumerate(code.text or ""):
            if not char.isspace():
                pen.text(place(x, y), char, fill=blend, font=_font(pixels), anchor="ls")
            x += dx[index] if index < len(dx) else size
            y += dy[index] if index < len(dy) else 0.0


def _subpaths(data: str, place: Any) -> list[list[tuple[float, float]]]:
    """The AbbreviatedData commands as polygons (curves and arcs to their end points)."""
    arity = {"S": 2, "M": 2, "L": 2, "Q": 4, "B": 6, "A": 7, "C": 0}
    items = data.split()
    shapes: list[list[tuple[float, float]]] = []
    index = 0
    while index < len(items) and len(shapes) < 200_000:
        command = items[index]
        count = arity.get(command)
        if count is None:
            index += 1
            continue
        values = numbers(" ".join(items[index + 1:index + 1 + count]))
        index += 1 + count
        if command == "C" or len(values) < count:
            continue
        point = place(values[-2], values[-1])
        if command in ("S", "M") or not shapes:
            shapes.append([point])
        else:
            shapes[-1].append(point)
    return shapes


def _area(shapes: list[list[tuple[float, float]]], pad: int,
          size: tuple[int, int]) -> tuple[int, int, int, int] | None:
    """The pixel box the shapes cover (``pad`` pixels around), within the image, or None."""
    xs = [x for shape in shapes for x, _y in shape]
    ys = [y for shape in shapes for _x, y in shape]
    if not xs:
        return None
    left, top = max(0, int(min(xs)) - pad), max(0, int(min(ys)) - pad)
    right, bottom = min(size[0], int(max(xs)) + pad + 1), min(size[1], int(max(ys)) + pad + 1)
    return (left, top, right, bottom) if right > left and bottom > top else None


def _draw_path(image: Any, element: etree._Element, scale: float) -> None:
    """Fill and stroke a path object through a mask of the box it covers (its opacity kept);
    a fill of axis-aligned rectangles with its exact pixel coverage (:mod:`.rects`)."""
    from PIL import Image, ImageDraw

    abbreviated = child(element, "AbbreviatedData")
    if abbreviated is None or not abbreviated.text:
        return
    place = _transform(element, scale)
    fill = element.get("Fill", "false") == "true"
    stroke = element.get("Stroke", "true") == "true"
    if fill:
        boxes = rectangles(abbreviated.text, place)
        if boxes is not None:
            fill_rectangles(image, boxes, *_rgb(element, "FillColor", (0, 0, 0)))
            fill = False
            if not stroke:
                return
    shapes = _subpaths(abbreviated.text, place)
    width = max(1, round((numbers(element.get("LineWidth")) or [0.353])[0] * scale))
    area = _area(shapes, width + 1, image.size)
    if area is None:
        return
    moved = [[(x - area[0], y - area[1]) for x, y in shape] for shape in shapes]
    for wanted, name in ((fill, "FillColor"), (stroke, "StrokeColor")):
        if not wanted:
            continue
        rgb, alpha = _rgb(element, name, (0, 0, 0))
        mask = Image.new("L", (area[2] - area[0], area[3] - area[1]), 0)
        pen = ImageDraw.Draw(mask)
        for shape in moved:
            if name == "FillColor" and len(shape) > 2:
                pen.polygon(shape, fill=alpha)
            elif name == "StrokeColor" and len(shape) > 1:
                pen.line(shape, fill=alpha, width=width)
        image.paste(rgb, area, mask)


def render_pages(document: OfdDocument, limits: Limits, max_pages: int,
                 dpi: int = RENDER_DPI) -> list[Any]:
    """The first ``max_pages`` pages of ``document`` as RGB images at ``dpi``."""
    from PIL import Image

    scale = dpi / 25.4
    images = []
    for page in document.pages[:max_pages]:
        content = document.package.xml(page.part)
        width, height = page_size(page, content)
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        if size[0] * size[1] > limits.max_image_pixels:
            raise LimitExceeded(problem(document.package.source,
                                        f"a page of {size[0]}x{size[1]} pixels (页面过大)",
                                        f"at most {limits.max_image_pixels} pixels",
                                        "raise MIJIAN_MAX_IMAGE_PIXELS only if it is trusted"))
        image = Image.new("RGB", size, (255, 255, 255))
        for element in drawn_objects(document, content):
            kind = local(element.tag)
            if kind == "TextObject" and element.get("Fill", "true") != "false":
                _draw_text(image, element, scale)
            elif kind == "PathObject":
                _draw_path(image, element, scale)
        images.append(image)
    return images
