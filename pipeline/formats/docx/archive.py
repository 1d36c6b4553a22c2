"""Check a Word (.docx) package before anything reads it: drafts and leaked copies are untrusted.

Every reader and writer first runs :func:`check_docx_archive`, which looks at the raw bytes and the
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

from lxml import etree

from mijian.pipeline.errors import InputError, LimitExceeded, MijianError
from mijian.pipeline.limits import Limits


TOKEN_PROPERTY = "MijianToken"
"""Name of the custom document property that carries a copy's signed token."""


CUSTOM_PROPERTIES_RELTYPE = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties"
)


CUSTOM_PROPERTIES_NS = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"


VT_NS = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"


_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


MC_NS = "http://schemas.openxmlformats.org/markup-compatibility/2006"


VML_NS = "urn:schemas-microsoft-com:vml"


R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


CFB_SIGNATURE = b"\xd0\xcf\x11\xe0"


_ENCRYPTION_INFO_NAME = "EncryptionInfo".encode("utf-16-le")


_PROLOG_BYTES = 8192


_MAIN_DOCUMENT = "word/document.xml"


RT_FOOTNOTES = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/footnotes"


RT_ENDNOTES = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/endnotes"


def w_name(local: str) -> str:
    return f"{{{_W}}}{local}"


def problem(source: str, found: str, expected: str, todo: str) -> str:
    """Word a one-line error: what was found in ``source``, what was expected, what to do."""
    return " ".join(f"{source}: {found}; expected {expected}; {todo}".split())


def safe_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )


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
    if data[:4] == CFB_SIGNATURE:
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
            source, f"the file is truncated or damaged ({describe_exception(exc)}; 文件损坏)",
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


def describe_exception(exc: BaseException) -> str:
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
        root = etree.fromstring(archive.read("[Content_Types].xml"), safe_parser())
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
