"""Write one issued copy of a .docx draft: marked, watermarked, tokened and encrypted.

The copy carries, in this order of robustness: the marking lines and the visible code as
ordinary body paragraphs (they travel with copied text), the banner, running line, visible
code and a diagonal text watermark in every header and footer, the signed token as the
custom document property ``MijianToken``, and the marking in the core ``subject``; the keyed
page fingerprint (:mod:`watermark.pattern`) is a transparent full-page picture anchored behind
the text in every header. The package is then encrypted (ECMA-376 agile, AES-256/SHA-512)
with the recipient's password.

Does not protect against: a recipient who opens the copy and deletes the marks, headers or
properties (the trace relies on the fingerprints that survive), screenshots of the text
without the watermark's page, or a password shared along with the file. Word shows header
content dimmed while the body is being edited, so a screenshot of Word's editing view carries
a fainter page fingerprint than a printout or a PDF export.
"""

from __future__ import annotations

import copy
import io
import os
import re
import tempfile
import warnings
import zipfile
from pathlib import Path
from typing import Any

from docx.enum.section import WD_HEADER_FOOTER
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Pt, RGBColor
from docx.text.paragraph import Paragraph
from docx.text.run import Run
from lxml import etree
from msoffcrypto.format.ooxml import OOXMLFile

from mijian.pipeline.docx_io import (
    CUSTOM_PROPERTIES_NS,
    CUSTOM_PROPERTIES_RELTYPE,
    TOKEN_PROPERTY,
    VT_NS,
    check_docx_archive,
    open_document,
    problem,
)
from mijian.pipeline.docx_thumbnail import without_thumbnail
from mijian.pipeline.errors import InputError, MijianError
from mijian.pipeline.limits import DEFAULT_LIMITS, Limits
from mijian.pipeline.model import CopyStamp
from mijian.pipeline.screenprint_layer import docx_overlay as docx_screenprint

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_VML = "urn:schemas-microsoft-com:vml"
_OFFICE = "urn:schemas-microsoft-com:office:office"
_WORD10 = "urn:schemas-microsoft-com:office:word"
_CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
_RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_CUSTOM_CT = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
_CUSTOM_PART = "docProps/custom.xml"
_PROPERTY_FMTID = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"
_RED = RGBColor(0xC0, 0x00, 0x00)
_GREY = RGBColor(0x80, 0x80, 0x80)
_FIELD = re.compile(r"\{(pages|page)\}")
_SPID = re.compile(r"_x0000_s(\d+)")
_SPID_BASE = 2048
_TEXT_TYPE = "_x0000_t136"
_HEADER_SLOTS = (
    (WD_HEADER_FOOTER.PRIMARY, "header"),
    (WD_HEADER_FOOTER.FIRST_PAGE, "first_page_header"),
    (WD_HEADER_FOOTER.EVEN_PAGE, "even_page_header"),
)
_FOOTER_SLOTS = (
    (WD_HEADER_FOOTER.PRIMARY, "footer"),
    (WD_HEADER_FOOTER.FIRST_PAGE, "first_page_footer"),
    (WD_HEADER_FOOTER.EVEN_PAGE, "even_page_footer"),
)


def write_docx_copy(
    source: bytes, stamp: CopyStamp, out_path: Path, limits: Limits = DEFAULT_LIMITS
) -> None:
    """Write ``out_path``: the draft ``source`` marked for ``stamp`` and encrypted with its
    ``user_password`` (Word and LibreOffice ask for it on opening).

    The file appears whole or not at all (written beside ``out_path``, then renamed). Any
    failure raises :class:`InputError` naming ``out_path``.
    """
    name = out_path.name
    if not stamp.user_password:
        raise InputError(problem(name, "the copy has no user password", "a non-empty password",
                                 "issue the copy again with a password"))
    draft = f"the draft for {name}"
    check_docx_archive(source, draft, limits)
    try:
        document = open_document(source, draft)
        _mark(document, stamp)
        buffer = io.BytesIO()
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # e.g. zipfile's "Duplicate name": a broken package
            document.save(buffer)
        # the draft's thumbnail would show its unmarked first page: never part of a copy
        plain = without_thumbnail(set_custom_property(buffer.getvalue(), TOKEN_PROPERTY, stamp.token))
        sealed = io.BytesIO()
        OOXMLFile(io.BytesIO(plain)).encrypt(stamp.user_password, sealed)
    except MijianError:
        raise
    except UserWarning as exc:
        raise InputError(problem(
            name, f"the draft's package is inconsistent ({' '.join(str(exc).split())[:80]})",
            "a Word package with one part per name", "re-save the draft in Word or LibreOffice "
            "and issue again")) from exc
    except Exception as exc:  # third-party code on a draft may raise anything
        raise InputError(problem(
            name, f"the copy could not be made ({type(exc).__name__}: "
            f"{' '.join(str(exc).split())[:120]})", "a draft python-docx can mark and save",
            "re-save the draft in Word or LibreOffice and issue again")) from exc
    _write_whole(out_path, sealed.getvalue())


def _write_whole(out_path: Path, payload: bytes) -> None:
    temp: str | None = None
    try:
        handle, temp = tempfile.mkstemp(prefix=".", suffix=".part", dir=out_path.parent)
        with os.fdopen(handle, "wb") as stream:
            stream.write(payload)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp, out_path)
        temp = None
    except OSError as exc:
        raise InputError(problem(
            out_path.name, f"the copy could not be written ({type(exc).__name__}: {exc})",
            "a writable output folder", "check the folder, its permissions and free space",
        )) from exc
    finally:
        if temp is not None and os.path.exists(temp):
            os.unlink(temp)


# --------------------------------------------------------------------------- marking


def _mark(document: Any, stamp: CopyStamp) -> None:
    body = document.element.body
    if not document.element.sectPr_lst:
        body.get_or_add_sectPr()
    _append_text_code(body, stamp.text_code)
    _mark_body(body, stamp)
    headers, footers = _ensure_headers_footers(document)
    width, height = _text_area(document)
    first = _free_shape_number([body, *headers, *footers])
    for number, header in enumerate(headers, first):
        _mark_header(header, stamp, number, width, height)
    for footer in footers:
        _mark_footer(footer, stamp)
    _add_qr(document, stamp.visible_code)
    _add_pattern(document, stamp)
    document.core_properties.subject = marking_summary(stamp)


def _add_qr(document: Any, code: str) -> None:
    """Put the QR symbol of the visible code, right-aligned, in every footer in use, so a
    printed and photographed page still carries a machine-readable signed code."""
    if not code:
        return
    from docx.shared import Cm

    from mijian.watermark.qr import qr_png

    png = qr_png(code)
    done: set[int] = set()
    for section in document.sections:
        for footer in (section.footer, section.first_page_footer, section.even_page_footer):
            if footer.is_linked_to_previous or id(footer.part) in done:
                continue
            done.add(id(footer.part))
            paragraph = footer.add_paragraph()
            paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            # single, automatic line spacing: a style with exact spacing would clip the symbol
            paragraph.paragraph_format.line_spacing = 1.0
            paragraph.paragraph_format.space_before = Pt(0)
            paragraph.add_run().add_picture(io.BytesIO(png), width=Cm(1.5))


PATTERN_DPI = 150
"""Resolution of the page-fingerprint image laid behind each page (its 2 px dots are 0.34 mm)."""
_EMU_PER_POINT = 12700


def _add_pattern(document: Any, stamp: CopyStamp) -> None:
    """Lay the keyed dot fingerprint (:mod:`watermark.pattern`) behind the text of every page:
    one transparent picture per header in use, anchored to the page's top-left corner, so a
    rendered, printed or cropped page carries it. A header that sections of different page
    sizes share (a landscape section linked to a portrait one) gets a picture as wide and as
    tall as the largest of them; the page clips what lies beyond its edge."""
    if not stamp.pattern_key or not stamp.pattern_payload:
        return
    from mijian.watermark.pattern import NUMBER_PARAMS, PatternKey, make_overlay

    key = PatternKey(stamp.pattern_key, NUMBER_PARAMS)
    shape_id = _free_drawing_id(document)
    pngs: dict[tuple[int, int], bytes] = {}  # headers of one page size share one picture
    for header, width, height in _headers_in_use(document):
        size = (round(width / 72 * PATTERN_DPI), round(height / 72 * PATTERN_DPI))
        if size not in pngs:
            buffer = io.BytesIO()
            picture = make_overlay(size[0], size[1], stamp.pattern_payload, key, dpi=PATTERN_DPI)
            docx_screenprint(picture, stamp, PATTERN_DPI).save(buffer, "PNG")
            pngs[size] = buffer.getvalue()
        rid, _ = header.part.get_or_add_image(io.BytesIO(pngs[size]))
        carrier = _carrier_paragraph(header._element)
        anchor = carrier.find(qn("w:pPr"))
        carrier.insert(0 if anchor is None else 1,
                       _behind_text_picture(rid, shape_id, width, height))
        shape_id += 1


def _headers_in_use(document: Any) -> list[tuple[Any, float, float]]:
    """Every header shown on some page, once, with the largest page width and height (points)
    of the sections that show it (after :func:`_ensure_headers_footers`)."""
    even = bool(document.settings.odd_and_even_pages_header_footer)
    found: dict[int, list[Any]] = {}
    for section in document.sections:
        width, height = _page_size(section)
        for kind, attribute in _HEADER_SLOTS:
            if not _shown(kind, section, even):
                continue
            header = getattr(section, attribute)
            entry = found.setdefault(id(header.part), [header, 0.0, 0.0])
            entry[1], entry[2] = max(entry[1], width), max(entry[2], height)
    return [(header, width, height) for header, width, height in found.values()]


def _page_size(section: Any) -> tuple[float, float]:
    """The section's page width and height in points (A4 when the draft does not say)."""
    width, height = section.page_width, section.page_height
    if not width or not height:
        return 595.3, 841.9
    return width / _EMU_PER_POINT, height / _EMU_PER_POINT


def _free_drawing_id(document: Any) -> int:
    """A drawing id above every ``wp:docPr`` id in the body, headers and footers."""
    used = [0]
    parts = [document.part, *(rel.target_part for rel in document.part.rels.values()
                              if not rel.is_external)]
    for part in parts:
        element = getattr(part, "_element", None)
        if element is None:
            continue
        for item in element.iter(qn("wp:docPr")):
            value = item.get("id") or ""
            if value.isdigit():
                used.append(int(value))
    return max(used) + 1


def _behind_text_picture(rid: str, shape_id: int, width: float, height: float) -> Any:
    """A ``w:r`` holding a picture anchored at the page's top-left corner, ``width`` x
    ``height`` points, behind the text, not moving the text, locked in place."""
    cx, cy = round(width * _EMU_PER_POINT), round(height * _EMU_PER_POINT)
    xml = (
        f'<w:r {nsdecls("w", "wp", "a", "pic", "r")}><w:rPr><w:noProof/></w:rPr><w:drawing>'
        f'<wp:anchor distT="0" distB="0" distL="0" distR="0" simplePos="0" '
        f'relativeHeight="{shape_id}" behindDoc="1" locked="1" layoutInCell="1" '
        f'allowOverlap="1"><wp:simplePos x="0" y="0"/>'
        f'<wp:positionH relativeFrom="page"><wp:posOffset>0</wp:posOffset></wp:positionH>'
        f'<wp:positionV relativeFrom="page"><wp:posOffset>0</wp:posOffset></wp:positionV>'
        f'<wp:extent cx="{cx}" cy="{cy}"/><wp:effectExtent l="0" t="0" r="0" b="0"/>'
        f'<wp:wrapNone/><wp:docPr id="{shape_id}" name="Page pattern {shape_id}"/>'
        f'<wp:cNvGraphicFramePr><a:graphicFrameLocks noChangeAspect="1"/></wp:cNvGraphicFramePr>'
        f'<a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture">'
        f'<pic:pic><pic:nvPicPr><pic:cNvPr id="{shape_id}" name="page-pattern.png"/>'
        f'<pic:cNvPicPr/></pic:nvPicPr><pic:blipFill><a:blip r:embed="{rid}"/>'
        f'<a:stretch><a:fillRect/></a:stretch></pic:blipFill><pic:spPr>'
        f'<a:xfrm><a:off x="0" y="0"/><a:ext cx="{cx}" cy="{cy}"/></a:xfrm>'
        f'<a:prstGeom prst="rect"><a:avLst/></a:prstGeom></pic:spPr></pic:pic>'
        f'</a:graphicData></a:graphic></wp:anchor></w:drawing></w:r>')
    return parse_xml(xml)


def marking_summary(stamp: CopyStamp) -> str:
    """One line naming the copy's marking and serial, e.g. ``机密★20年 份号000003``."""
    marking = stamp.marking
    parts: list[str] = []
    for piece in (*marking.first_page_lines, marking.first_page_right, marking.banner):
        piece = piece.strip()
        if piece and piece != marking.serial and piece not in parts:
            parts.append(piece)
    label = "份号" if stamp.language == "zh" else "Serial "
    head = " ".join(parts) or marking.grade
    return f"{head} {label}{marking.serial}".strip()


CODE_EVERY = 100
"""Characters of body text between two text-code runs inside a long paragraph."""


def _append_text_code(body: Any, code: str) -> None:
    """Put the invisible code run at the end of every body paragraph that has text (tables
    included) and about every :data:`CODE_EVERY` characters inside long ones, so text copied
    out of Word, even a few sentences of it, carries it (see :mod:`watermark.textcode`)."""
    if not code:
        return
    for paragraph in list(body.iter(qn("w:p"))):
        if not "".join(t.text or "" for t in paragraph.iter(qn("w:t"))).strip():
            continue
        _spread_code(paragraph, code)
        paragraph.append(_code_run(code))


def _code_run(code: str) -> Any:
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = code
    run.append(text)
    return run


def _spread_code(paragraph: Any, code: str) -> None:
    """Insert code runs inside a long paragraph, splitting plain text runs where needed."""
    since = 0
    for run in [r for r in paragraph if r.tag == qn("w:r")]:
        texts = run.findall(qn("w:t"))
        if len(texts) != 1 or len(run) > 2:  # leave runs with fields, tabs or drawings whole
            since += sum(len(t.text or "") for t in texts)
            continue
        content = texts[0].text or ""
        while since + len(content) > CODE_EVERY and len(content) > 1:
            cut = max(1, min(len(content) - 1, CODE_EVERY - since))
            head, tail = content[:cut], content[cut:]
            texts[0].text = head
            texts[0].set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
            rest = copy.deepcopy(run)
            rest.find(qn("w:t")).text = tail
            run.addnext(rest)
            run.addnext(_code_run(code))
            run, texts, content, since = rest, rest.findall(qn("w:t")), tail, 0
        since += len(content)


def _mark_body(body: Any, stamp: CopyStamp) -> None:
    marking = stamp.marking
    new: list[Any] = []
    if marking.first_page_right:
        new.append(_line(marking.first_page_right, size=16, align=WD_ALIGN_PARAGRAPH.RIGHT,
                         bold=True, east_asia="黑体"))
    for index, text in enumerate(marking.first_page_lines):
        new.append(_line(text, size=16, align=WD_ALIGN_PARAGRAPH.LEFT, bold=index > 0,
                         east_asia="黑体"))
    if marking.copy_line:
        new.append(_line(marking.copy_line, size=12, align=WD_ALIGN_PARAGRAPH.LEFT, bold=True))
    if stamp.visible_code:
        new.append(_line(stamp.visible_code, size=7, align=WD_ALIGN_PARAGRAPH.LEFT,
                         color=_GREY))
    for index, paragraph in enumerate(new):
        body.insert(index, paragraph)


def _line(text: str, *, size: float, align: Any, bold: bool = False,
          color: RGBColor | None = None, east_asia: str | None = None) -> Any:
    """A detached, flush ``w:p`` holding ``text``; ``{page}``/``{pages}`` become fields."""
    element = OxmlElement("w:p")
    paragraph = Paragraph(element, None)  # type: ignore[arg-type]
    fmt = paragraph.paragraph_format
    fmt.alignment = align
    fmt.left_indent = fmt.first_line_indent = Pt(0)
    fmt.space_before = fmt.space_after = Pt(0)
    pieces = _FIELD.split(text)
    for index, piece in enumerate(pieces):
        is_field = index % 2 == 1
        if not piece and not (index == 0 and len(pieces) == 1):
            continue
        run = Run(element.add_r(), paragraph)  # type: ignore[attr-defined]
        run.font.size = Pt(size)
        run.font.bold = True if bold else None
        if color is not None:
            run.font.color.rgb = color
        if east_asia:
            run.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), east_asia)
        if is_field:
            _field_runs(run.element, "PAGE" if piece == "page" else "NUMPAGES")
        else:
            run.text = piece
    return element


def _field_runs(run: Any, instruction: str) -> None:
    """Turn ``run`` into a complete field (begin, code, separate, result, end)."""
    parent = run.getparent()
    position = parent.index(run)
    pieces = [("fldChar", "begin"), ("instrText", f" {instruction} "), ("fldChar", "separate"),
              ("t", "1"), ("fldChar", "end")]
    for offset, (tag, value) in enumerate(pieces):
        target = run if offset == 0 else _copy_run_props(run)
        if tag == "fldChar":
            target.append(OxmlElement("w:fldChar", {qn("w:fldCharType"): value}))
        else:
            child = OxmlElement(f"w:{tag}")
            child.text = value
            child.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
            target.append(child)
        if offset:
            parent.insert(position + offset, target)


def _copy_run_props(run: Any) -> Any:
    fresh = OxmlElement("w:r")
    if run.rPr is not None:
        fresh.append(copy.deepcopy(run.rPr))
    return fresh


# --------------------------------------------------------------------------- headers, footers


def _ensure_headers_footers(document: Any) -> tuple[list[Any], list[Any]]:
    """Every header and footer root in effect on some page, creating the missing ones."""
    even = bool(document.settings.odd_and_even_pages_header_footer)
    headers: dict[int, Any] = {}
    footers: dict[int, Any] = {}
    for slots, found in ((_HEADER_SLOTS, headers), (_FOOTER_SLOTS, footers)):
        defined: set[Any] = set()
        for section in document.sections:
            for kind, attribute in slots:
                item = getattr(section, attribute)
                active = _shown(kind, section, even)
                if item.is_linked_to_previous:
                    if not active or kind in defined:
                        continue
                    item.is_linked_to_previous = False
                defined.add(kind)
                part = item.part
                found.setdefault(id(part), part.element)
    return list(headers.values()), list(footers.values())


def _shown(kind: Any, section: Any, even: bool) -> bool:
    """Whether headers or footers of ``kind`` appear on some page of ``section`` (``even``:
    the document sets different odd and even pages)."""
    return (kind == WD_HEADER_FOOTER.PRIMARY
            or (kind == WD_HEADER_FOOTER.FIRST_PAGE and section.different_first_page_header_footer)
            or (kind == WD_HEADER_FOOTER.EVEN_PAGE and even))


def _free_shape_number(roots: list[Any]) -> int:
    """A shape number above every ``o:spid`` already used, so ids stay unique."""
    used = [0]
    for root in roots:
        for element in root.iter(f"{{{_VML}}}*"):
            match = _SPID.fullmatch(element.get(f"{{{_OFFICE}}}spid") or "")
            if match:
                used.append(int(match.group(1)) - _SPID_BASE)
    return max(used) + 1


def _text_area(document: Any) -> tuple[float, float]:
    """Width and height of the first section's text area in points (A4 defaults)."""
    section = document.sections[0]
    try:
        width = section.page_width - section.left_margin - section.right_margin
        height = section.page_height - section.top_margin - section.bottom_margin
        return max(width / 12700, 144.0), max(height / 12700, 144.0)
    except TypeError:
        return 451.0, 698.0


def _mark_header(header: Any, stamp: CopyStamp, number: int, width: float,
                 height: float) -> None:
    marking = stamp.marking
    new: list[Any] = []
    if marking.banner:
        new.append(_line(marking.banner, size=12, align=WD_ALIGN_PARAGRAPH.CENTER, bold=True,
                         color=_RED, east_asia="黑体"))
    if marking.running:
        new.append(_line(marking.running, size=9, align=WD_ALIGN_PARAGRAPH.CENTER))
    for index, paragraph in enumerate(new):
        header.insert(index, paragraph)
    if stamp.watermark_text:
        typed = any(t.get("id") == _TEXT_TYPE for t in header.iter(f"{{{_VML}}}shapetype"))
        carrier = _carrier_paragraph(header)
        anchor = carrier.find(qn("w:pPr"))
        run = watermark_run(stamp.watermark_text, number, width, height, shapetype=not typed)
        carrier.insert(0 if anchor is None else 1, run)


def _carrier_paragraph(root: Any) -> Any:
    paragraph = root.find(qn("w:p"))
    if paragraph is None:
        paragraph = OxmlElement("w:p")
        root.insert(0, paragraph)
    return paragraph


def _mark_footer(footer: Any, stamp: CopyStamp) -> None:
    marking = stamp.marking
    if stamp.visible_code:
        footer.append(_line(stamp.visible_code, size=7, align=WD_ALIGN_PARAGRAPH.RIGHT,
                            color=_GREY))
    if marking.banner:
        footer.append(_line(marking.banner, size=12, align=WD_ALIGN_PARAGRAPH.CENTER,
                            bold=True, color=_RED, east_asia="黑体"))


def _ems(text: str) -> float:
    return sum(1.0 if ord(ch) >= 0x2E80 else 0.3 if ch.isspace() else 0.6 for ch in text) or 1.0


def watermark_run(text: str, number: int, width: float, height: float, *,
                  shapetype: bool = True) -> Any:
    """A ``w:r`` holding a VML text watermark: ``text`` in light grey, half transparent,
    turned 315 degrees, centred on the text area behind the text.

    ``number`` makes the shape's id unique in the document; ``width`` and ``height`` are the
    text area's size in points; ``shapetype`` adds the text-path shape type the shape refers
    to (leave it out when the part already defines it).
    """
    box = min(width, height) * 0.95
    tall = max(min(box / _ems(text), 160.0), 24.0)
    font = "SimHei" if any(ord(ch) >= 0x2E80 for ch in text) else "Arial"
    run = OxmlElement("w:r", nsdecls={"w": _W, "v": _VML, "o": _OFFICE, "w10": _WORD10})
    properties = etree.SubElement(run, qn("w:rPr"))
    etree.SubElement(properties, qn("w:noProof"))
    pict = etree.SubElement(run, qn("w:pict"))
    if shapetype:
        kind = etree.SubElement(pict, f"{{{_VML}}}shapetype", {
            "id": _TEXT_TYPE, "coordsize": "21600,21600", f"{{{_OFFICE}}}spt": "136",
            "adj": "10800", "path": "m0,0l21600,0m0,21600l21600,21600e"})
        etree.SubElement(kind, f"{{{_VML}}}path", {"textpathok": "t"})
        etree.SubElement(kind, f"{{{_VML}}}textpath", {"on": "t", "fitshape": "t"})
        etree.SubElement(kind, f"{{{_OFFICE}}}lock",
                         {f"{{{_VML}}}ext": "edit", "text": "t", "shapetype": "t"})
    style = ";".join([
        "position:absolute", "margin-left:0", "margin-top:0", f"width:{box:.1f}pt",
        f"height:{tall:.1f}pt", "rotation:315", f"z-index:-{251_650_000 + number}",
        "mso-position-horizontal:center", "mso-position-horizontal-relative:margin",
        "mso-position-vertical:center", "mso-position-vertical-relative:margin"])
    shape = etree.SubElement(pict, f"{{{_VML}}}shape", {
        "id": f"PowerPlusWaterMarkObject{number}",
        f"{{{_OFFICE}}}spid": f"_x0000_s{_SPID_BASE + number}",
        "type": f"#{_TEXT_TYPE}", "style": style, f"{{{_OFFICE}}}allowincell": "f",
        "fillcolor": "#c0c0c0", "stroked": "f"})
    etree.SubElement(shape, f"{{{_VML}}}fill", {"opacity": ".5"})
    etree.SubElement(shape, f"{{{_VML}}}textpath", {
        "style": f'font-family:"{font}";font-size:1pt', "string": text})
    etree.SubElement(shape, f"{{{_WORD10}}}wrap", {"anchorx": "margin", "anchory": "margin"})
    return run


# --------------------------------------------------------------------------- custom property


def set_custom_property(package: bytes, name: str, value: str) -> bytes:
    """Return the .docx ``package`` with string custom property ``name`` set to ``value``.

    Creates ``docProps/custom.xml``, its content-type override and its package relationship
    when absent; keeps the other custom properties.
    """
    with zipfile.ZipFile(io.BytesIO(package)) as source:
        parts = {info.filename: source.read(info) for info in source.infolist()}
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    rels = etree.fromstring(parts["_rels/.rels"], parser)
    target = _custom_target(rels)
    if target is None:
        target = _CUSTOM_PART
        ids = {rel.get("Id") for rel in rels}
        rid = next(f"rId{n}" for n in range(1, len(ids) + 2) if f"rId{n}" not in ids)
        etree.SubElement(rels, f"{{{_RELS_NS}}}Relationship", {
            "Id": rid, "Type": CUSTOM_PROPERTIES_RELTYPE, "Target": target})
        parts["_rels/.rels"] = _serialise(rels)
    existing = parts.get(target)
    root = (etree.fromstring(existing, parser) if existing
            else etree.Element(f"{{{CUSTOM_PROPERTIES_NS}}}Properties",
                               nsmap={None: CUSTOM_PROPERTIES_NS, "vt": VT_NS}))
    parts[target] = _serialise(_with_property(root, name, value))
    types = etree.fromstring(parts["[Content_Types].xml"], parser)
    _ensure_override(types, "/" + target)
    parts["[Content_Types].xml"] = _serialise(types)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", parts.pop("[Content_Types].xml"))
        for part_name, content in parts.items():
            archive.writestr(part_name, content)
    return out.getvalue()


def _custom_target(rels: Any) -> str | None:
    for rel in rels:
        if rel.get("Type") == CUSTOM_PROPERTIES_RELTYPE and rel.get("TargetMode") != "External":
            return str(rel.get("Target", "")).lstrip("/") or None
    return None


def _with_property(root: Any, name: str, value: str) -> Any:
    tag = f"{{{CUSTOM_PROPERTIES_NS}}}property"
    pids = [2]
    for prop in list(root.iter(tag)):
        if prop.get("name") == name:
            root.remove(prop)
        elif (prop.get("pid") or "").isdigit():
            pids.append(int(prop.get("pid")) + 1)
    prop = etree.SubElement(root, tag, {"fmtid": _PROPERTY_FMTID, "pid": str(max(pids)),
                                        "name": name})
    etree.SubElement(prop, f"{{{VT_NS}}}lpwstr").text = value
    return root


def _ensure_override(types: Any, part_name: str) -> None:
    tag = f"{{{_CT_NS}}}Override"
    for override in types.iter(tag):
        if override.get("PartName", "").lower() == part_name.lower():
            override.set("ContentType", _CUSTOM_CT)
            return
    etree.SubElement(types, tag, {"PartName": part_name, "ContentType": _CUSTOM_CT})


def _serialise(root: Any) -> bytes:
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True))
