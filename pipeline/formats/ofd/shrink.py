"""Make room for the marks on an OFD page whose content reaches into the top or bottom bands:
the page's content is scaled down and centred between the bands, as PDF copies do.

The rule of where the content goes is the PDF copies' own
(:func:`~pipeline.formats.pdf.marks.placement`); here it is applied to OFD objects. Every
object is drawn at ``Boundary`` origin + ``CTM`` × its own coordinates, so scaling the page by
``s`` about the origin and moving it by ``t`` means: Boundary ``(s·x + tx, s·y + ty, s·w, s·h)``
and CTM multiplied by ``s`` (clip areas, line widths and glyphs inside the object follow the
CTM). Template pages the page uses are copied into it first (a template is shared by other
pages, which may not need to move). Annotations are not moved.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import copy as copying

from lxml import etree

from mijian.pipeline.formats.ofd.draw import MM_PER_POINT
from mijian.pipeline.formats.ofd.package import child, children
from mijian.pipeline.formats.ofd.structure import OfdDocument, drawn_objects, numbers, page_objects
from mijian.pipeline.model import CopyStamp

if TYPE_CHECKING:
    from mijian.pipeline.formats.pdf.marks import Row

Box = tuple[float, float, float, float]


def content_box(objects: list[etree._Element], page: tuple[float, float]) -> Box | None:
    """Where the draft draws on a page (mm), from its objects' boundaries; objects covering
    most of the page (a background) are left out."""
    box: list[float] = []
    for element in objects:
        found = numbers(element.get("Boundary"))
        if len(found) != 4 or found[2] * found[3] > 0.9 * page[0] * page[1]:
            continue
        x0, y0, x1, y1 = found[0], found[1], found[0] + found[2], found[1] + found[3]
        box = [min(box[0], x0), min(box[1], y0), max(box[2], x1), max(box[3], y1)] if box \
            else [x0, y0, x1, y1]
    return (box[0], box[1], box[2], box[3]) if box else None


def _fmt(value: float) -> str:
    """A number as written into moved boundaries and transforms."""
    return f"{value:.4f}".rstrip("0").rstrip(".") or "0"


def _inline_templates(document: OfdDocument, content: etree._Element) -> None:
    """Copy the objects of the templates ``content`` uses into layers of its own, in the
    order they are drawn, and drop the template references."""
    holder = child(content, "Content")
    if holder is None:
        return
    for use in children(content, "Template"):
        part = document.templates.get(str(use.get("TemplateID") or ""))
        if part is None or not document.package.has(part):
            continue  # a reader draws nothing for it either: the reference stays as it was
        content.remove(use)
        template = child(document.package.xml(part), "Content")
        layers = [copying.deepcopy(layer) for layer in (template if template is not None else [])
                  if isinstance(layer.tag, str)]
        if use.get("ZOrder") == "Foreground":
            holder.extend(layers)
        else:
            for index, layer in enumerate(layers):
                holder.insert(index, layer)


def _scale(element: etree._Element, scale: float, tx: float, ty: float) -> None:
    """Scale ``element`` by ``scale`` about the page origin, then move it by the offset."""
    box = numbers(element.get("Boundary"))
    if len(box) == 4:
        element.set("Boundary", " ".join(_fmt(v) for v in (scale * box[0] + tx, scale * box[1] + ty,
                                                            scale * box[2], scale * box[3])))
    ctm = numbers(element.get("CTM"))
    matrix = ctm if len(ctm) == 6 else [1.0, 0.0, 0.0, 1.0, 0.0, 0.0]
    element.set("CTM", " ".join(_fmt(scale * v) for v in matrix))


def fit_page(document: OfdDocument, content: etree._Element, stamp: CopyStamp, number: int,
             pages: int, page: tuple[float, float], bottom_rows: list[Row]) -> Box | None:
    """Shrink the page's content out of the mark bands (the marking's top rows and
    ``bottom_rows``) when it reaches into them; returns where the content then lies (mm),
    or None for an empty page."""
    import pymupdf

    from mijian.pipeline.formats.pdf.marks import band_height, placement, top_rows

    body = content_box(drawn_objects(document, content), page)
    if body is None:
        return None
    points = 1 / MM_PER_POINT
    top = band_height(top_rows(stamp.marking, number, pages))
    bottom = band_height(bottom_rows)
    target = placement(pymupdf.Rect(0, 0, page[0] * points, page[1] * points),
                       pymupdf.Rect(*(v * points for v in body)), top, bottom)
    if target is None:
        return body
    scale = target.width / (page[0] * points)
    tx, ty = target.x0 * MM_PER_POINT, target.y0 * MM_PER_POINT
    _inline_templates(document, content)
    for element in page_objects(content):
        _scale(element, scale, tx, ty)
    return (scale * body[0] + tx, scale * body[1] + ty, scale * body[2] + tx, scale * body[3] + ty)
