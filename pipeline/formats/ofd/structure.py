"""Walk an OFD document: OFD.xml names the document root, Document.xml its pages, page size and
resources, and each page's Content.xml its layers of text, path and image objects.

Only the first document of a package is read (GB/T 33190 allows several; writers make one).
Paths inside the XML are resolved by :meth:`OfdPackage.resolve`, which refuses any that
leave the package. Coordinates stay in millimetres, y downwards, as OFD defines them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from lxml import etree

from mijian.pipeline.errors import InputError, LimitExceeded
from mijian.pipeline.formats.ofd.package import OfdPackage, child, children, local, problem
from mijian.pipeline.limits import Limits

A4 = (210.0, 297.0)
"""Page size used when neither the page nor the document gives one (mm)."""

TOKEN_NAME = "MijianToken"
"""Name of the CustomData entry of OFD.xml that carries a copy's signed token."""


@dataclass(frozen=True)
class PageRef:
    """One page: its content part (member name), its size in mm and its ID."""

    part: str
    width: float
    height: float
    page_id: str


@dataclass(frozen=True)
class OfdDocument:
    """The parts of the first document of a package and what they say."""

    package: OfdPackage
    root_part: str
    pages: tuple[PageRef, ...]
    fonts: dict[str, str]
    token: str | None
    signatures: str | None
    templates: dict[str, str]
    """Template page IDs to their content parts."""


LARGEST = 1e6
"""Largest magnitude a number of the XML keeps (mm, or a factor): a hostile file's 1e308 or
infinity would otherwise overflow the arithmetic and the drawing; real pages are far smaller."""


def numbers(text: str | None) -> list[float]:
    """The numbers of an OFD number list (``"0 0 210 297"``); items that are not finite
    numbers are skipped, and magnitudes are held within :data:`LARGEST`."""
    out: list[float] = []
    for item in (text or "").replace(",", " ").split()[:100_000]:
        try:
            value = float(item)
        except ValueError:
            continue
        if math.isfinite(value):
            out.append(min(max(value, -LARGEST), LARGEST))
    return out


def _box(element: etree._Element | None) -> tuple[float, float] | None:
    """The width and height of the PhysicalBox under an Area/PageArea element."""
    if element is None:
        return None
    physical = child(element, "PhysicalBox")
    box = numbers(physical.text if physical is not None else None)
    if len(box) == 4 and 0 < box[2] < 10_000 and 0 < box[3] < 10_000:
        return box[2], box[3]
    return None


def custom_data(ofd_root: etree._Element) -> dict[str, str]:
    """The CustomData entries of the first DocInfo of OFD.xml, by name."""
    body = child(ofd_root, "DocBody")
    info = child(body, "DocInfo") if body is not None else None
    datas = child(info, "CustomDatas") if info is not None else None
    if datas is None:
        return {}
    return {str(item.get("Name") or ""): (item.text or "") for item in children(datas, "CustomData")}


def open_document(package: OfdPackage, limits: Limits) -> OfdDocument:
    """Read OFD.xml and the first document's Document.xml, its pages and fonts."""
    source = package.source
    ofd_root = package.xml("OFD.xml")
    body = child(ofd_root, "DocBody")
    root = child(body, "DocRoot") if body is not None else None
    if local(ofd_root.tag) != "OFD" or root is None or not (root.text or "").strip():
        raise InputError(problem(source, "OFD.xml names no document root (缺少 DocRoot)",
                                 "an OFD document (GB/T 33190)", "re-save the document"))
    root_part = package.resolve("OFD.xml", root.text or "")
    document = package.xml(root_part)
    common = child(document, "CommonData")
    size = _box(child(common, "PageArea")) if common is not None else None
    pages_element = child(document, "Pages")
    listed = children(pages_element, "Page") if pages_element is not None else []
    if len(listed) > limits.max_pages:
        raise LimitExceeded(problem(source, f"the document has {len(listed)} pages (页数过多)",
                                    f"at most {limits.max_pages} (max_pages)",
                                    "split the document or raise MIJIAN_MAX_PAGES"))
    pages = tuple(_page_ref(package, root_part, page, size or A4) for page in listed)
    signatures = child(body, "Signatures") if body is not None else None
    templates = {str(item.get("ID") or ""): package.resolve(root_part, str(item.get("BaseLoc") or ""))
                 for item in (children(common, "TemplatePage") if common is not None else [])}
    return OfdDocument(package, root_part, pages, _fonts(package, root_part, common),
                       custom_data(ofd_root).get(TOKEN_NAME),
                       signatures.text.strip() if signatures is not None and signatures.text else None,
                       templates)


def _page_ref(package: OfdPackage, root_part: str, page: etree._Element,
              default: tuple[float, float]) -> PageRef:
    """The content part and default size of one ``Page`` entry of Document.xml."""
    part = package.resolve(root_part, str(page.get("BaseLoc") or ""))
    width, height = default
    return PageRef(part, width, height, str(page.get("ID") or ""))


def page_size(page: PageRef, content: etree._Element) -> tuple[float, float]:
    """The page's own PhysicalBox when its Content.xml has one, else the document's."""
    return _box(child(content, "Area")) or (page.width, page.height)


def _fonts(package: OfdPackage, root_part: str, common: etree._Element | None) -> dict[str, str]:
    """Font IDs to font names, from the public and document resource parts."""
    fonts: dict[str, str] = {}
    if common is None:
        return fonts
    for kind in ("PublicRes", "DocumentRes"):
        for element in children(common, kind):
            part = package.resolve(root_part, element.text or "")
            if not package.has(part):
                continue
            res = package.xml(part)
            for group in children(res, "Fonts"):
                for font in children(group, "Font"):
                    fonts[str(font.get("ID") or "")] = str(font.get("FontName") or "")
    return fonts


def page_objects(content: etree._Element) -> list[etree._Element]:
    """Every drawing object of a page's content, layer by layer, PageBlocks flattened."""
    found: list[etree._Element] = []
    body = child(content, "Content")
    if body is None:
        return found

    def walk(element: etree._Element) -> None:
        for item in element:
            if not isinstance(item.tag, str):
                continue
            name = local(item.tag)
            if name in ("Layer", "PageBlock"):
                walk(item)
            elif name.endswith("Object"):
                found.append(item)
    walk(body)
    return found


def drawn_objects(document: OfdDocument, content: etree._Element) -> list[etree._Element]:
    """The objects of a page as drawn: its background templates, its own content, then its
    foreground templates (each template a part of its own, named by the document)."""
    below: list[etree._Element] = []
    above: list[etree._Element] = []
    for use in children(content, "Template")[:16]:
        part = document.templates.get(str(use.get("TemplateID") or ""))
        if part is None or not document.package.has(part):
            continue
        objects = page_objects(document.package.xml(part))
        (above if use.get("ZOrder") == "Foreground" else below).extend(objects)
    return [*below, *page_objects(content), *above]
