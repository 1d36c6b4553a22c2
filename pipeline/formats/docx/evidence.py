"""What a leaked .docx gives up: the signed token of its custom properties and all its text,
after trying the known passwords on an encrypted one; notes name what was tried, never a
password.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import msoffcrypto
import msoffcrypto.exceptions
from lxml import etree
from mijian.pipeline.errors import InputError, LimitExceeded
from mijian.pipeline.formats.docx.archive import (
    CFB_SIGNATURE,
    CUSTOM_PROPERTIES_NS,
    CUSTOM_PROPERTIES_RELTYPE,
    TOKEN_PROPERTY,
    check_docx_archive,
    describe_exception,
    problem,
    safe_parser,
)
from mijian.pipeline.formats.docx.reading import extract_text, open_document
from mijian.pipeline.limits import Limits
from mijian.pipeline.model import Evidence

_MAX_SPIN_COUNT = 1_000_000


def read_custom_property(document: Any, name: str) -> str | None:
    """The string value of custom document property ``name`` (docProps/custom.xml), if any."""
    for rel in document.part.package.rels.values():
        if rel.is_external or rel.reltype != CUSTOM_PROPERTIES_RELTYPE:
            continue
        root = etree.fromstring(rel.target_part.blob, safe_parser())
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
    encrypted = data[:4] == CFB_SIGNATURE
    if encrypted:
        plain = _decrypt(data, passwords, notes)
        if plain is None:
            return Evidence(kind="docx", encrypted=True, opened=False, token=None, text="",
                            notes=tuple(notes))
        data = plain
    check_docx_archive(data, source, limits)
    document = open_document(data, source)
    text, shapes = extract_text(document, source, extra=True)
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
            path.name, f"the file cannot be read ({describe_exception(exc)})", "a readable file",
            "check the path and permissions")) from exc


def _decrypt(data: bytes, passwords: Sequence[str], notes: list[str]) -> bytes | None:
    """Try each password on an encrypted Office file; None when none opens it."""
    try:
        office = msoffcrypto.OfficeFile(io.BytesIO(data))
    except Exception as exc:
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
        except Exception as exc:
            failures.add(type(exc).__name__)
            continue
        notes.append(f"encrypted ({kind}); password {number} of {len(candidates)} opened it")
        return out.getvalue()
    notes.append(f"encrypted ({kind}); none of {len(candidates)} password(s) opened it")
    if failures:
        notes.append("some attempts failed inside the decryptor (" + ", ".join(sorted(failures))
                     + "): the encryption variant may be unsupported")
    return None
