"""Open an OFD package (GB/T 33190: a ZIP of XML parts) with hostile-input discipline.

Every OFD reader here goes through :class:`OfdPackage`. Before any XML is parsed it checks the
raw zip: its size, member count (from the end record, then the directory), duplicate,
encrypted or oddly named members (absolute paths, ``..``, drive letters, backslashes,
control characters), each member's compression ratio and the total declared expansion,
all against :class:`~pipeline.limits.Limits`. Members are then read with a hard cap on the
bytes inflated (a member lying about its size stops at its declared size plus one byte),
and XML is parsed by lxml with entities, DTDs and network access off, after a refusal of
any DOCTYPE or ENTITY declaration in the prolog.

Protects against: zip bombs, entity expansion and external entities (XXE), path traversal
in member names and in the paths the XML points to, raw tracebacks from damaged files.
Does not protect against: content drawn invisibly (white or clipped text is read as text).
"""

from __future__ import annotations

import io
import posixpath
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass

from lxml import etree

from mijian.pipeline.errors import InputError, LimitExceeded
from mijian.pipeline.limits import Limits

OFD_NS = "http://www.ofdspec.org/2016"
"""The namespace of GB/T 33190 parts (some writers leave it out: names are matched locally)."""

_BAD_NAME = re.compile(r"(^/)|(^[A-Za-z]:)|\\|[\x00-\x1f]|(^|/)\.\.(/|$)")
_ERRORS = (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, KeyError,
           struct.error, NotImplementedError, RuntimeError, etree.LxmlError)


def problem(source: str, found: str, expected: str, todo: str) -> str:
    """One error line: what was found in ``source``, what was expected, what to do."""
    return " ".join(f"{source}: {found}; expected {expected}; {todo}".split())


def damaged(source: str, exc: BaseException | str) -> InputError:
    """The error for a truncated or damaged OFD file."""
    why = exc if isinstance(exc, str) else f"{type(exc).__name__}: {' '.join(str(exc).split())[:100]}"
    return InputError(problem(source, f"the OFD file is truncated or damaged ({why}; 文件损坏)",
                              "a complete .ofd document", "obtain an undamaged copy and try again"))


def local(tag: object) -> str:
    """The local name of an element tag (namespace dropped)."""
    return str(tag).rpartition("}")[2]


def children(element: etree._Element, name: str) -> list[etree._Element]:
    """The direct children of ``element`` with local name ``name``."""
    return [child for child in element if isinstance(child.tag, str) and local(child.tag) == name]


def child(element: etree._Element, name: str) -> etree._Element | None:
    """The first direct child of ``element`` named ``name``, or None."""
    found = children(element, name)
    return found[0] if found else None


def _parser() -> etree.XMLParser:
    """lxml with entities, DTD loading, network access and huge trees off."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                           huge_tree=False, remove_comments=True)


@dataclass(frozen=True)
class Member:
    """One checked zip member: its name and declared sizes."""

    name: str
    size: int
    compressed: int


class OfdPackage:
    """The members of a checked OFD zip, read on demand within the limits."""

    def __init__(self, data: bytes, source: str, limits: Limits) -> None:
        self.source, self.limits = source, limits
        _check_outer(data, source, limits)
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(data))
            infos = self._zip.infolist()
        except _ERRORS as exc:
            raise damaged(source, exc) from None
        self.members = _check_members(infos, source, limits)
        self._folded = {name.lower(): name for name in self.members}
        self._budget = limits.max_zip_expanded_bytes
        if "OFD.xml" not in self.members:
            raise InputError(problem(source, "the zip has no OFD.xml entry part (不是 OFD 文档)",
                                     "an OFD document (GB/T 33190)",
                                     "check that the file is an OFD document and try again"))

    def read(self, name: str) -> bytes:
        """The bytes of member ``name``, inflated at most to its declared size."""
        member = self.members.get(name)
        if member is None:
            raise InputError(problem(self.source, f"the part {name!r} is missing (缺少部件)",
                                     "every part the document refers to",
                                     "obtain an undamaged copy and try again"))
        try:
            with self._zip.open(name) as stream:
                data = stream.read(member.size + 1)
        except _ERRORS as exc:
            raise damaged(self.source, exc) from None
        self._budget -= len(data)
        if len(data) > member.size or self._budget < 0:
            raise LimitExceeded(problem(
                self.source, f"the part {name!r} inflates past its declared size (疑似压缩炸弹)",
                "members that expand as declared", "do not open this file"))
        return data

    def xml(self, name: str) -> etree._Element:
        """Member ``name`` parsed as XML (no DTD, no entities)."""
        data = self.read(name)
        found = prolog_problem(data)
        if found:
            raise InputError(problem(self.source, f"the part {name} {found} (possible entity "
                                     "attack; 含实体声明)", "OFD XML without DOCTYPE",
                                     "do not open this file; re-save a trusted original"))
        try:
            return etree.fromstring(data, _parser())
        except _ERRORS as exc:
            raise damaged(self.source, exc) from None

    def resolve(self, base: str, location: str) -> str:
        """The member a ``BaseLoc``-like ``location`` names, relative to part ``base``
        (absolute when it starts with ``/``); refuses paths leaving the package. A name that
        matches a member only when case is ignored (writers on Windows) is that member."""
        text = location.strip().replace("\\", "/")
        joined = text.lstrip("/") if text.startswith("/") else posixpath.join(
            posixpath.dirname(base), text)
        name = posixpath.normpath(joined)
        if name.startswith("../") or name == ".." or _BAD_NAME.search(name):
            raise InputError(problem(self.source, f"the path {location!r} leaves the package "
                                     "(路径越界)", "paths inside the OFD package",
                                     "do not open this file"))
        return name if name in self.members else self._folded.get(name.lower(), name)

    def has(self, name: str) -> bool:
        """Whether the package holds member ``name``."""
        return name in self.members


def prolog_problem(data: bytes) -> str | None:
    """What is wrong with the XML declarations of ``data`` (a DOCTYPE or ENTITY), or None."""
    head = data[:65536]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = head.decode("utf-16", errors="ignore")
    else:
        text = head.decode("latin-1")
    upper = text.upper()
    if "<!DOCTYPE" in upper or "<!ENTITY" in upper:
        return "declares a DOCTYPE or ENTITY"
    return None


def _check_outer(data: bytes, source: str, limits: Limits) -> None:
    """Size, ZIP signature and the end record's member count, before zipfile reads anything."""
    if len(data) > limits.max_file_bytes:
        raise LimitExceeded(problem(source, f"the file is {len(data)} bytes (文件过大)",
                                    f"at most {limits.max_file_bytes} bytes (max_file_bytes)",
                                    "split the document or raise MIJIAN_MAX_FILE_BYTES"))
    if not data.startswith(b"PK\x03\x04"):
        raise InputError(problem(source, "the file is not a ZIP package (不是 OFD 文档)",
                                 "an OFD document (GB/T 33190)", "check the file and its extension"))
    eocd = data.rfind(b"PK\x05\x06", max(0, len(data) - 22 - 0xFFFF))
    if eocd < 0 or eocd + 22 > len(data):
        raise damaged(source, "no zip directory")
    (entries,) = struct.unpack_from("<H", data, eocd + 10)
    if entries != 0xFFFF and entries > limits.max_zip_entries:
        raise _too_many(source, entries, limits)


def _too_many(source: str, entries: int, limits: Limits) -> LimitExceeded:
    """The error for an archive with more members than the limit allows."""
    return LimitExceeded(problem(source, f"the archive holds {entries} members (压缩包成员过多)",
                                 f"at most {limits.max_zip_entries} (max_zip_entries)",
                                 "check the file; raise MIJIAN_MAX_ZIP_ENTRIES only if trusted"))


def _check_members(infos: list[zipfile.ZipInfo], source: str,
                   limits: Limits) -> dict[str, Member]:
    """Every file member by name, after the name, duplicate, encryption and size checks."""
    if len(infos) > limits.max_zip_entries:
        raise _too_many(source, len(infos), limits)
    members: dict[str, Member] = {}
    total = 0
    for info in infos:
        name = info.filename
        if _BAD_NAME.search(name):
            raise InputError(problem(source, f"the member name {name!r} points outside the "
                                     "package (路径越界)", "relative member names",
                                     "do not open this file"))
        if info.is_dir():
            continue
        if name in members or info.flag_bits & 0x1:
            what = "is stored twice (成员重复)" if name in members else "is encrypted (成员已加密)"
            raise InputError(problem(source, f"the member {name!r} {what}",
                                     "each part stored once, unencrypted", "re-save the document"))
        if info.compress_size > 0 and info.file_size / info.compress_size > limits.max_zip_ratio:
            raise LimitExceeded(problem(
                source, f"the member {name!r} expands {info.file_size // info.compress_size} "
                "times (zip bomb? 疑似压缩炸弹)", f"a ratio of at most {limits.max_zip_ratio}",
                "do not open this file; raise MIJIAN_MAX_ZIP_RATIO only if it is trusted"))
        total += info.file_size
        members[name] = Member(name, info.file_size, info.compress_size)
    if total > limits.max_zip_expanded_bytes:
        raise LimitExceeded(problem(source, f"the archive expands to {total} bytes (解压后过大)",
                                    f"at most {limits.max_zip_expanded_bytes} bytes",
                                    "do not open this file"))
    return members

