"""Walk the text of a checked .docx package: body paragraphs and tables in order, text boxes,
headers and footers, footnotes and endnotes; and read a draft's text for classification.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Iterator
from typing import Any

import docx
from docx.opc.exceptions import PackageNotFoundError
from docx.opc.part import XmlPart
from lxml import etree
from mijian.pipeline.errors import InputError, LimitExceeded
from mijian.pipeline.formats.docx.archive import (
    MC_NS,
    R_ID,
    RT_ENDNOTES,
    RT_FOOTNOTES,
    VML_NS,
    check_docx_archive,
    describe_exception,
    problem,
    safe_parser,
    w_name,
)
from mijian.pipeline.limits import Limits

_T, _TAB, _BR, _CR = w_name("t"), w_name("tab"), w_name("br"), w_name("cr")


_P, _TBL, _TR, _TC = w_name("p"), w_name("tbl"), w_name("tr"), w_name("tc")


_SDT, _SDT_CONTENT, _CUSTOM_XML = w_name("sdt"), w_name("sdtContent"), w_name("customXml")


_TXBX_CONTENT = w_name("txbxContent")


_SKIPPED_INLINE = frozenset(
    {w_name("pPr"), w_name("rPr"), w_name("rt"), w_name("del"), w_name("moveFrom"), w_name("sectPr"),
     f"{{{MC_NS}}}Fallback"}
)


_SKIPPED_BLOCK = frozenset({w_name("sectPr"), w_name("del"), w_name("moveFrom"), f"{{{MC_NS}}}Fallback"})


_WRAPPERS = frozenset({_SDT, _SDT_CONTENT, _CUSTOM_XML, w_name("ins"), w_name("moveTo")})


def story_blocks(container: Any) -> Iterator[str]:
    """Yield one line per paragraph (one per table row) of a story element, in order.

    ``container`` is a ``w:body``, ``w:hdr``, ``w:ftr``, table cell, text box or note. Text
    boxes follow the paragraph that anchors them; deleted text, ruby guides and the fallback
    copy of alternate content are left out.
    """
    for child in container:
        tag = child.tag
        if tag == _P:
            yield from _paragraph_lines(child)
        elif tag == _TBL:
            yield from _table_lines(child)
        elif isinstance(tag, str) and tag not in _SKIPPED_BLOCK and len(child):
            yield from story_blocks(child)


def _paragraph_lines(paragraph: Any) -> Iterator[str]:
    parts: list[str] = []
    boxes: list[Any] = []
    _collect_inline(paragraph, parts, boxes)
    yield "".join(parts)
    for box in boxes:
        yield from story_blocks(box)


def _collect_inline(element: Any, parts: list[str], boxes: list[Any]) -> None:
    for child in element:
        tag = child.tag
        if tag == _T:
            parts.append(child.text or "")
        elif tag == _TAB:
            parts.append("\t")
        elif tag in (_BR, _CR):
            parts.append("\n")
        elif tag == _TXBX_CONTENT:
            boxes.append(child)
        elif isinstance(tag, str) and tag not in _SKIPPED_INLINE and len(child):
            _collect_inline(child, parts, boxes)


def _table_lines(table: Any) -> Iterator[str]:
    for row in _wrapped_children(table, _TR):
        cells = []
        for cell in _wrapped_children(row, _TC):
            lines = [line.strip() for line in story_blocks(cell)]
            cells.append(" ".join(line for line in lines if line))
        if any(cells):
            yield "\t".join(cells)


def _wrapped_children(element: Any, tag: str) -> Iterator[Any]:
    for child in element:
        if child.tag == tag:
            yield child
        elif child.tag in _WRAPPERS:
            yield from _wrapped_children(child, tag)


def open_document(data: bytes, source: str) -> Any:
    """Open checked .docx bytes with python-docx, mapping every failure to InputError."""
    try:
        return docx.Document(io.BytesIO(data))
    except etree.XMLSyntaxError as exc:
        raise InputError(problem(
            source, f"a part holds malformed XML ({describe_exception(exc)}; XML 格式错误)",
            "a well-formed .docx Word document", "re-save it in Word or LibreOffice")) from exc
    except ValueError as exc:
        if "content type" in str(exc):
            raise InputError(problem(
                source, "the package is a macro-enabled document or a template (.docm/.dotx)",
                "a .docx Word document", "save it as .docx (Word Document) and try again",
            )) from exc
        raise InputError(_damaged(source, exc)) from exc
    except (PackageNotFoundError, KeyError, zipfile.BadZipFile, zlib.error, OSError, EOFError,
            NotImplementedError, RuntimeError, IndexError, TypeError, AttributeError,
            RecursionError, etree.LxmlError) as exc:
        raise InputError(_damaged(source, exc)) from exc


def _damaged(source: str, exc: BaseException) -> str:
    return problem(
        source, f"the Word package is damaged ({describe_exception(exc)}; 文件损坏)",
        "a readable .docx Word document", "re-save it in Word or LibreOffice and try again")


def header_footer_elements(document: Any) -> list[Any]:
    """The ``w:hdr``/``w:ftr`` roots every section refers to, each once, headers first."""
    found: dict[int, Any] = {}
    for kind in ("headerReference", "footerReference"):
        for sect_pr in document.element.sectPr_lst:
            for reference in sect_pr.findall(w_name(kind)):
                rid = reference.get(R_ID)
                part = document.part.related_parts.get(rid) if rid else None
                if isinstance(part, XmlPart) and id(part) not in found:
                    found[id(part)] = part.element
    return list(found.values())


def _note_elements(document: Any) -> list[Any]:
    roots = []
    for rel in document.part.rels.values():
        if rel.is_external or rel.reltype not in (RT_FOOTNOTES, RT_ENDNOTES):
            continue
        part = rel.target_part
        element = getattr(part, "element", None)
        if element is None:
            element = etree.fromstring(part.blob, safe_parser())
        roots.append(element)
    return roots


def _note_lines(root: Any) -> Iterator[str]:
    for note in root:
        if note.get(w_name("type")) in (None, "normal"):
            yield from story_blocks(note)


def document_lines(document: Any) -> list[str]:
    """Body lines, then header and footer lines, then footnote and endnote lines."""
    lines: list[str] = []
    for body in document.element.findall(w_name("body")):
        lines.extend(story_blocks(body))
    for root in header_footer_elements(document):
        lines.append("")
        lines.extend(story_blocks(root))
    for root in _note_elements(document):
        lines.append("")
        lines.extend(_note_lines(root))
    return lines


def extract_text(document: Any, source: str, extra: bool) -> tuple[str, list[str]]:
    try:
        text = "\n".join(document_lines(document)).strip()
        shapes = _watermark_strings(document) if extra else []
    except (KeyError, ValueError, TypeError, AttributeError, IndexError, RecursionError,
            etree.LxmlError) as exc:
        raise InputError(_damaged(source, exc)) from exc
    return text, shapes


def read_docx_text(data: bytes, source: str, limits: Limits) -> str:
    """Return the text of a .docx draft: body (paragraphs and tables), headers, footers, notes.

    Table rows become one line each with cells separated by tabs. Raises InputError with a
    one-line message for anything that is not a readable, non-empty .docx, and
    LimitExceeded past ``limits``.
    """
    check_docx_archive(data, source, limits)
    document = open_document(data, source)
    text, _ = extract_text(document, source, extra=False)
    if not text.strip():
        raise InputError(problem(
            source, "the document is empty: it holds no text (文档为空)",
            "a Word document with text", "check that this is the right draft"))
    if len(text) > limits.max_chars:
        raise LimitExceeded(problem(
            source, f"the document holds {len(text)} characters (文字过多)",
            f"at most {limits.max_chars} (max_chars)",
            "split the document or raise MIJIAN_MAX_CHARS"))
    return text


def _watermark_strings(document: Any) -> list[str]:
    roots = [*document.element.findall(w_name("body")), *header_footer_elements(document)]
    seen: list[str] = []
    for root in roots:
        for path in root.iter(f"{{{VML_NS}}}textpath"):
            value = (path.get("string") or "").strip()
            if value and value not in seen:
                seen.append(value)
    return seen
