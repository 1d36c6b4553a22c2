"""Read Word (.docx) drafts and leaked copies without trusting them.

Every entry point first runs :func:`check_docx_archive`, which looks at the raw bytes and the
zip directory before any XML is parsed: it refuses encrypted or legacy (OLE/CFB) files, files
that are not zips, archives past the named :class:`~pipeline.limits.Limits` (members, declared
expansion, compression ratio), duplicate or encrypted members, and XML parts that declare a
DOCTYPE or entities.

Protects against: zip bombs (by declared sizes and ratios, which :mod:`zipfile` also enforces
while inflating), entity-expansion and external-entity XML, ambiguous archives, raw tracebacks
from hostile files. Does not protect against: content hidden from Word's rendering (e.g.
white text), embedded objects (they are never opened, so their text is not read), macros
(never run; a macro-enabled package is refused).
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import docx
import msoffcrypto
import msoffcrypto.exceptions
from docx.opc.exceptions import PackageNotFoundError
from docx.opc.part import XmlPart
from lxml import etree

from mijian.pipeline.errors import InputError, LimitExceeded, MijianError
from mijian.pipeline.limits import Limits
from mijian.pipeline.model import Evidence

TOKEN_PROPERTY = "MijianToken"
"""Name of the custom document property that carries a copy's signed token."""

CUSTOM_PROPERTIES_RELTYPE = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties"
)
CUSTOM_PROPERTIES_NS = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
VT_NS = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
_VML = "urn:schemas-microsoft-com:vml"
_R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_CFB_SIGNATURE = b"\xd0\xcf\x11\xe0"
_ENCRYPTION_INFO_NAME = "EncryptionInfo".encode("utf-16-le")
_PROLOG_BYTES = 8192
_MAX_SPIN_COUNT = 1_000_000
_MAIN_DOCUMENT = "word/document.xml"
_RT_FOOTNOTES = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/footnotes"
_RT_ENDNOTES = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/endnotes"


def _w(local: str) -> str:
    return f"{{{_W}}}{local}"


_T, _TAB, _BR, _CR = _w("t"), _w("tab"), _w("br"), _w("cr")
_P, _TBL, _TR, _TC = _w("p"), _w("tbl"), _w("tr"), _w("tc")
_SDT, _SDT_CONTENT, _CUSTOM_XML = _w("sdt"), _w("sdtContent"), _w("customXml")
_TXBX_CONTENT = _w("txbxContent")
_SKIPPED_INLINE = frozenset(
    {_w("pPr"), _w("rPr"), _w("rt"), _w("del"), _w("moveFrom"), _w("sectPr"), f"{{{_MC}}}Fallback"}
)
_SKIPPED_BLOCK = frozenset({_w("sectPr"), _w("del"), _w("moveFrom"), f"{{{_MC}}}Fallback"})
_WRAPPERS = frozenset({_SDT, _SDT_CONTENT, _CUSTOM_XML, _w("ins"), _w("moveTo")})


def problem(source: str, found: str, expected: str, todo: str) -> str:
    """Word a one-line error: what was found in ``source``, what was expected, what to do."""
    return " ".join(f"{source}: {found}; expected {expected}; {todo}".split())


def _safe_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )


# --------------------------------------------------------------------------- archive checks


def check_docx_archive(data: bytes, source: str, limits: Limits) -> None:
    """Refuse ``data`` unless it is a plain .docx zip within ``limits``; parse no XML.

    Raises :class:`InputError` for encrypted or legacy OLE files, non-zips, damaged zips,
    encrypted or duplicate members, a missing main document part, and XML parts declaring a
    DOCTYPE or ENTITY; :class:`LimitExceeded` for too many members, too large a declared
    expansion, or a member compressed past ``limits.max_zip_ratio``.
    """
    if len(data) > limits.max_file_bytes:
        raise LimitExceeded(problem(
            source, f"the file is {len(data)} bytes (文件过大)",
            f"at most {limits.max_file_bytes} bytes (max_file_bytes)",
            "split the document or raise MIJIAN_MAX_FILE_BYTES"))
    if data[:4] == _CFB_SIGNATURE:
        raise InputError(_cfb_message(data, source))
    if not data.startswith(b"PK"):
        raise InputError(problem(
            source, f"the file is {_describe(data)}, not a Word document (不是 Word 文档)",
            "a .docx Word document", "check the file and its extension and try again"))
    _check_declared_entries(data, source, limits)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            _check_members(archive.infolist(), source, limits)
            _check_main_part(archive, source)
            _check_xml_prologs(archive, source)
    except MijianError:
        raise
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, KeyError,
            struct.error, NotImplementedError, RuntimeError) as exc:
        raise InputError(problem(
            source, f"the file is truncated or damaged ({_reason(exc)}; 文件损坏)",
            "a complete .docx Word document", "obtain an undamaged copy and try again")) from exc


def _cfb_message(data: bytes, source: str) -> str:
    if _ENCRYPTION_INFO_NAME in data:
        return problem(
            source, "the file is password-protected (文件已加密)",
            "an unencrypted Word document", "remove the password and try again")
    return problem(
        source, "the file is a legacy Word 97-2003 (.doc) or other OLE file (旧版 .doc 格式)",
        "a .docx Word document", "open it in Word or LibreOffice, save it as .docx and try again")


def _describe(data: bytes) -> str:
    if not data:
        return "empty (0 bytes)"
    head = data[:16].lstrip()
    if head.startswith(b"%PDF"):
        return "a PDF file"
    if head.startswith(b"{\\rtf"):
        return "an RTF file"
    if head.startswith((b"<?xml", b"<")):
        return "an XML or HTML file"
    return "of an unrecognised type"


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:120]}" if text else type(exc).__name__


def _check_declared_entries(data: bytes, source: str, limits: Limits) -> None:
    """Read the entry count from the end-of-central-directory record before zipfile does."""
    eocd = data.rfind(b"PK\x05\x06", max(0, len(data) - 22 - 0xFFFF))
    if eocd < 0 or eocd + 22 > len(data):
        raise InputError(problem(
            source, "the zip directory is missing: the file is truncated or damaged (文件损坏)",
            "a complete .docx Word document", "obtain an undamaged copy and try again"))
    (entries,) = struct.unpack_from("<H", data, eocd + 10)
    if entries != 0xFFFF and entries > limits.max_zip_entries:
        raise _too_many(source, entries, limits)


def _too_many(source: str, entries: int, limits: Limits) -> LimitExceeded:
    return LimitExceeded(problem(
        source, f"the archive holds {entries} members (压缩包成员过多)",
        f"at most {limits.max_zip_entries} (max_zip_entries)",
        "check the file; raise MIJIAN_MAX_ZIP_ENTRIES only if it is trusted"))


def _check_members(infos: list[zipfile.ZipInfo], source: str, limits: Limits) -> None:
    if len(infos) > limits.max_zip_entries:
        raise _too_many(source, len(infos), limits)
    seen: set[str] = set()
    total = 0
    for info in infos:
        key = info.filename.replace("\\", "/").lower()
        if key in seen:
            raise InputError(problem(
                source, f"the archive holds two members named {info.filename!r} (成员重复)",
                "each part stored once", "re-save the document in Word or LibreOffice"))
        seen.add(key)
        if info.flag_bits & 0x1:
            raise InputError(problem(
                source, f"the zip member {info.filename!r} is encrypted (成员已加密)",
                "an unencrypted .docx", "remove the protection and try again"))
        total += info.file_size
        if info.compress_size > 0 and info.file_size / info.compress_size > limits.max_zip_ratio:
            raise LimitExceeded(problem(
                source,
                f"the member {info.filename!r} expands {info.file_size // info.compress_size}"
                " times (zip bomb? 疑似压缩炸弹)",
                f"a ratio of at most {limits.max_zip_ratio} (max_zip_ratio)",
                "do not open this file; raise MIJIAN_MAX_ZIP_RATIO only if it is trusted"))
    if total > limits.max_zip_expanded_bytes:
        raise LimitExceeded(problem(
            source, f"the archive expands to {total} bytes (解压后过大)",
            f"at most {limits.max_zip_expanded_bytes} bytes (max_zip_expanded_bytes)",
            "do not open this file; raise MIJIAN_MAX_ZIP_EXPANDED_BYTES only if it is trusted"))


def _check_main_part(archive: zipfile.ZipFile, source: str) -> None:
    names = set(archive.namelist())
    if _MAIN_DOCUMENT in names and "[Content_Types].xml" in names:
        return
    raise InputError(problem(
        source, f"the zip has no {_MAIN_DOCUMENT} or no [Content_Types].xml (不是 Word 文档)",
        "a .docx Word document", "check that the file is a Word document and try again"))


def _check_xml_prologs(archive: zipfile.ZipFile, source: str) -> None:
    """Refuse any XML member whose prolog holds a DOCTYPE or an ENTITY declaration.

    XML members are those named .xml or .rels and those [Content_Types].xml gives an XML
    content type, whatever their name (a package may move its main part to ``word/x.dat``).
    The prolog is walked (XML declaration, processing instructions, comments) rather than
    searched, so a comment cannot hide a DOCTYPE behind something that looks like the root.
    """
    infos = [info for info in archive.infolist() if not info.is_dir()]
    named = [info for info in infos if info.filename.lower().endswith((".xml", ".rels"))]
    for info in named:
        _check_prolog(archive, info, source)
    xml_typed = _xml_typed_names(archive)
    for info in infos:
        if info not in named and _typed_as_xml(info.filename, xml_typed):
            _check_prolog(archive, info, source)


def _check_prolog(archive: zipfile.ZipFile, info: zipfile.ZipInfo, source: str) -> None:
    with archive.open(info) as stream:
        head = stream.read(_PROLOG_BYTES)
    found = _prolog_problem(_decode_prolog(head), len(head) < _PROLOG_BYTES)
    if found is not None:
        raise InputError(problem(
            source, f"the part {info.filename} {found} (possible entity attack; 含实体声明)",
            "Word XML without document type declarations",
            "do not open this file; re-save a trusted original as .docx"))


def _xml_typed_names(archive: zipfile.ZipFile) -> tuple[set[str], set[str]]:
    """Part names (lower case, no leading slash) and extensions with an XML content type."""
    try:
        root = etree.fromstring(archive.read("[Content_Types].xml"), _safe_parser())
    except etree.LxmlError:
        return set(), set()  # python-docx refuses the package when it reads this part
    parts: set[str] = set()
    extensions: set[str] = set()
    for element in root:
        content_type = str(element.get("ContentType") or "").lower()
        if not content_type.endswith("xml") or "html" in content_type:
            continue
        if element.get("PartName"):
            parts.add(str(element.get("PartName")).lstrip("/").lower())
        elif element.get("Extension"):
            extensions.add(str(element.get("Extension")).lower())
    return parts, extensions


def _typed_as_xml(name: str, xml_typed: tuple[set[str], set[str]]) -> bool:
    parts, extensions = xml_typed
    lower = name.lower()
    return lower in parts or lower.rpartition(".")[2] in extensions


def _prolog_problem(text: str, complete: bool) -> str | None:
    """Say what is wrong with the start of an XML member, or None when nothing is.

    ``complete`` says ``text`` is the whole member. Text that does not start with ``<`` is
    left to the XML parser, which refuses it.
    """
    if "<!ENTITY" in text.upper():
        return "declares a DOCTYPE or ENTITY"
    pos, size = 0, len(text)
    while True:
        while pos < size and text[pos] in " \t\r\n":
            pos += 1
        if pos >= size:
            break
        if not text.startswith("<", pos):
            return None
        if text.startswith("<?", pos):
            close, step = text.find("?>", pos + 2), 2
        elif text.startswith("<!--", pos):
            close, step = text.find("-->", pos + 4), 3
        elif text.startswith("<!", pos):
            return "declares a DOCTYPE or ENTITY"
        else:
            return None  # the root element
        if close < 0:
            break
        pos = close + step
    if complete:
        return None  # no root element at all: the XML parser refuses it if it is read
    return "has no root element in its first 8 KB"


def _decode_prolog(head: bytes) -> str:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head.decode("utf-16", errors="ignore").lstrip("\ufeff")
    if head[:1] == b"\x00":
        return head.decode("utf-16-be", errors="ignore")
    if head[1:2] == b"\x00":
        return head.decode("utf-16-le", errors="ignore")
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    return head.decode("latin-1")


# --------------------------------------------------------------------------- text walking


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


# --------------------------------------------------------------------------- python-docx


def open_document(data: bytes, source: str) -> Any:
    """Open checked .docx bytes with python-docx, mapping every failure to InputError."""
    try:
        return docx.Document(io.BytesIO(data))
    except etree.XMLSyntaxError as exc:
        raise InputError(problem(
            source, f"a part holds malformed XML ({_reason(exc)}; XML 格式错误)",
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
        source, f"the Word package is damaged ({_reason(exc)}; 文件损坏)",
        "a readable .docx Word document", "re-save it in Word or LibreOffice and try again")


def header_footer_elements(document: Any) -> list[Any]:
    """The ``w:hdr``/``w:ftr`` roots every section refers to, each once, headers first."""
    found: dict[int, Any] = {}
    for kind in ("headerReference", "footerReference"):
        for sect_pr in document.element.sectPr_lst:
            for reference in sect_pr.findall(_w(kind)):
                rid = reference.get(_R_ID)
                part = document.part.related_parts.get(rid) if rid else None
                if isinstance(part, XmlPart) and id(part) not in found:
                    found[id(part)] = part.element
    return list(found.values())


def _note_elements(document: Any) -> list[Any]:
    roots = []
    for rel in document.part.rels.values():
        if rel.is_external or rel.reltype not in (_RT_FOOTNOTES, _RT_ENDNOTES):
            continue
        part = rel.target_part
        element = getattr(part, "element", None)
        if element is None:
            element = etree.fromstring(part.blob, _safe_parser())
        roots.append(element)
    return roots


def _note_lines(root: Any) -> Iterator[str]:
    for note in root:
        if note.get(_w("type")) in (None, "normal"):
            yield from story_blocks(note)


def document_lines(document: Any) -> list[str]:
    """Body lines, then header and footer lines, then footnote and endnote lines."""
    lines: list[str] = []
    for body in document.element.findall(_w("body")):
        lines.extend(story_blocks(body))
    for root in header_footer_elements(document):
        lines.append("")
        lines.extend(story_blocks(root))
    for root in _note_elements(document):
        lines.append("")
        lines.extend(_note_lines(root))
    return lines


def _extract(document: Any, source: str, extra: bool) -> tuple[str, list[str]]:
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
    text, _ = _extract(document, source, extra=False)
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


# --------------------------------------------------------------------------- evidence


def _watermark_strings(document: Any) -> list[str]:
    roots = [*document.element.findall(_w("body")), *header_footer_elements(document)]
    seen: list[str] = []
    for root in roots:
        for path in root.iter(f"{{{_VML}}}textpath"):
            value = (path.get("string") or "").strip()
            if value and value not in seen:
                seen.append(value)
    return seen


def read_custom_property(document: Any, name: str) -> str | None:
    """The string value of custom document property ``name`` (docProps/custom.xml), if any."""
    for rel in document.part.package.rels.values():
        if rel.is_external or rel.reltype != CUSTOM_PROPERTIES_RELTYPE:
            continue
        root = etree.fromstring(rel.target_part.blob, _safe_parser())
        for prop in root.iter(f"{{{CUSTOM_PROPERTIES_NS}}}property"):
            if prop.get("name") == name and len(prop):
                return (prop[0].text or "").strip() or None
    return None


def read_docx_evidence(path: Path, passwords: Sequence[str], limits: Limits) -> Evidence:
    """Gather what a leaked .docx gives up: the custom-property token and all its text.

    An encrypted file (OLE/CFB) is tried with each password in turn; when none opens it the
    result has ``opened=False``. Notes record what was tried, never a password. Raises
    InputError for a file that is neither an encrypted Office file nor a readable .docx.
    """
    source = path.name
    data = _read_bounded(path, limits)
    notes: list[str] = []
    encrypted = data[:4] == _CFB_SIGNATURE
    if encrypted:
        plain = _decrypt(data, passwords, notes)
        if plain is None:
            return Evidence(kind="docx", encrypted=True, opened=False, token=None, text="",
                            notes=tuple(notes))
        data = plain
    check_docx_archive(data, source, limits)
    document = open_document(data, source)
    text, shapes = _extract(document, source, extra=True)
    try:
        token = read_custom_property(document, TOKEN_PROPERTY)
    except (etree.LxmlError, ValueError, KeyError) as exc:
        notes.append(f"custom properties unreadable ({type(exc).__name__})")
        token = None
    notes.append(f"token found in custom property {TOKEN_PROPERTY}" if token
                 else f"no {TOKEN_PROPERTY} custom property")
    notes.append(f"{len(shapes)} watermark text shape(s) found")
    subject = (document.core_properties.subject or "").strip()
    pieces = [text, *shapes] + ([subject] if subject else [])
    return Evidence(kind="docx", encrypted=encrypted, opened=True, token=token,
                    text="\n".join(p for p in pieces if p), notes=tuple(notes))


def _read_bounded(path: Path, limits: Limits) -> bytes:
    try:
        size = path.stat().st_size
        if size > limits.max_file_bytes:
            raise LimitExceeded(problem(
                path.name, f"the file is {size} bytes (文件过大)",
                f"at most {limits.max_file_bytes} bytes (max_file_bytes)",
                "raise MIJIAN_MAX_FILE_BYTES only if the file is trusted"))
        return path.read_bytes()
    except OSError as exc:
        raise InputError(problem(
            path.name, f"the file cannot be read ({_reason(exc)})", "a readable file",
            "check the path and permissions")) from exc


def _decrypt(data: bytes, passwords: Sequence[str], notes: list[str]) -> bytes | None:
    """Try each password on an encrypted Office file; None when none opens it."""
    try:
        office = msoffcrypto.OfficeFile(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001 - hostile OLE input may raise anything
        notes.append(f"OLE container not readable as an Office file ({type(exc).__name__})")
        return None
    if getattr(office, "format", "") != "ooxml":
        notes.append("legacy Office binary (.doc) in an OLE container; only .docx is read")
        return None
    kind = getattr(office, "type", "unknown")
    spin = getattr(office, "info", {}).get("spinValue", 0) if kind == "agile" else 0
    if spin > _MAX_SPIN_COUNT:
        notes.append(f"encrypted ({kind}) with spin count {spin}; refused as too costly")
        return None
    candidates = [p for p in dict.fromkeys(passwords) if p]
    failures: set[str] = set()
    for number, password in enumerate(candidates, 1):
        try:
            # Agile: msoffcrypto's verifier check mishandles SHA-1 files, so the key is not
            # verified up front; decrypt() itself refuses output that is not a zip.
            office.load_key(password=password, verify_password=kind != "agile")
            out = io.BytesIO()
            office.decrypt(out)
        except msoffcrypto.exceptions.DecryptionError:
            continue
        except Exception as exc:  # noqa: BLE001 - hostile or unsupported encryption header
            failures.add(type(exc).__name__)
            continue
        notes.append(f"encrypted ({kind}); password {number} of {len(candidates)} opened it")
        return out.getvalue()
    notes.append(f"encrypted ({kind}); none of {len(candidates)} password(s) opened it")
    if failures:
        notes.append("some attempts failed inside the decryptor (" + ", ".join(sorted(failures))
                     + "): the encryption variant may be unsupported")
    return None
