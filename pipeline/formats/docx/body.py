"""The body of a .docx copy: the flush paragraphs its marks are set in (placed by
:mod:`pipeline.formats.docx.firstpage` and the header and footer writers), and the invisible
text code at the end of (and inside long) paragraphs.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor
from docx.text.paragraph import Paragraph
from docx.text.run import Run

RED = RGBColor(0xC0, 0x00, 0x00)


GREY = RGBColor(0x80, 0x80, 0x80)


STAMP_RED = RGBColor(0x99, 0x00, 0x00)
"""The dark red of a reproduction stamp (复制机关戳记), as on PDF and OFD copies."""


_FIELD = re.compile(r"\{(pages|page)\}")


CODE_EVERY = 100
"""Characters of body text between two text-code runs inside a long paragraph."""


def append_text_code(body: Any, code: str) -> None:
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


def code_paragraph(code: str, *, right: bool = False) -> Any:
    """The printed code as a small grey paragraph, flush left (or right)."""
    align = WD_ALIGN_PARAGRAPH.RIGHT if right else WD_ALIGN_PARAGRAPH.LEFT
    return line_paragraph(code, size=7, align=align, color=GREY)


def line_paragraph(text: str, *, size: float, align: Any, bold: bool = False,
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
        run = Run(element.add_r(), paragraph)
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
