"""What a leaked PDF gives up: whether it is encrypted and which password opens it, the signed
token of its Info dictionary and XMP packet, all its text, and its rendered pages.

Notes name what was tried, never a password.
"""

from __future__ import annotations

import re
import stringprep
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

import pymupdf
from PIL import Image
from mijian.pipeline.errors import InputError, LimitExceeded
from mijian.pipeline.formats.pdf.opening import (
    INFO_TOKEN_KEY,
    PYMUPDF_ERRORS,
    XMP_NAMESPACE,
    has_text,
    one_line,
    open_pdf,
    page_count,
    page_texts,
    quiet_mupdf,
)
from mijian.pipeline.limits import DEFAULT_LIMITS, Limits
from mijian.pipeline.model import Evidence

_MAX_XMP_BYTES = 1024 * 1024

RENDER_DPI = 150
"""Resolution of the pages of a leaked PDF rendered to read the marks in its page images."""


def _password_variants(password: str) -> list[str]:
    """The password as given, then SASLprep-normalised as PDF 2.0 asks for AES-256 files."""
    mapped = "".join(
        " " if stringprep.in_table_c12(ch) else ch
        for ch in password
        if not stringprep.in_table_b1(ch)
    )
    return list(dict.fromkeys([password, unicodedata.normalize("NFKC", mapped)]))


def _unlock(doc: pymupdf.Document, passwords: Sequence[str]) -> tuple[bool, str]:
    """Try each password; return whether one worked and a note that names none of them."""
    roles = {
        1: "no password needed",
        2: "the user password",
        4: "the owner password",
        6: "the user and owner password",
    }
    for number, password in enumerate(passwords, start=1):
        for variant in _password_variants(password):
            result = doc.authenticate(variant)
            if result:
                role = roles.get(result, "a password")
                return True, f"supplied password {number} of {len(passwords)} opened it as {role}"
    return False, f"none of the {len(passwords)} supplied passwords opened it"


def info_token(doc: pymupdf.Document) -> str | None:
    """The token under the custom Info key, or None (also when Info is missing or broken)."""
    try:
        kind, value = doc.xref_get_key(-1, "Info")
        if kind != "xref":
            return None
        number = int(value.split()[0])
        if not 0 < number < doc.xref_length():
            return None  # a damaged trailer can point past the object table
        kind, value = doc.xref_get_key(number, INFO_TOKEN_KEY)
    except PYMUPDF_ERRORS:
        return None
    return value if kind == "string" and value else None


def xmp_token(doc: pymupdf.Document) -> str | None:
    """The ``mijian:token`` XMP property (element or attribute form), or None."""
    try:
        xmp = doc.get_xml_metadata()
    except PYMUPDF_ERRORS:
        return None
    if not xmp or len(xmp) > _MAX_XMP_BYTES or XMP_NAMESPACE not in xmp or "<!" in xmp:
        return None  # absent, oversized, or with a DTD (entities have no place in XMP)
    tag = f"{{{XMP_NAMESPACE}}}token"
    try:
        root = ET.fromstring(re.sub(r"^\s*<\?xpacket[^>]*\?>", "", xmp))
    except ET.ParseError:
        return None
    for element in root.iter():
        value = element.get(tag) or (element.text if element.tag == tag else None)
        if value and value.strip():
            return value.strip()
    return None


def _tokens(doc: pymupdf.Document) -> tuple[str | None, list[str]]:
    """Read the token from Info and XMP; say where it was found and whether they agree."""
    info, xmp = info_token(doc), xmp_token(doc)
    if info and xmp and info != xmp:
        return info, ["the Info and XMP tokens differ; the Info token is reported"]
    if info or xmp:
        where = " and ".join(w for w, t in (("Info", info), ("XMP", xmp)) if t)
        return info or xmp, [f"token found in the {where} metadata"]
    return None, ["no token in the document metadata"]


def read_pdf_evidence(path: Path, passwords: Sequence[str], limits: Limits) -> Evidence:
    """Gather what a leaked PDF gives up: encryption, the metadata token and all page text.

    An encrypted file is tried with each of ``passwords`` (user or owner); if none opens
    it, the result has ``opened=False`` and no text. Text includes headers, footers, the
    tiled watermark and small print, also outside the visible page. ``notes`` say what
    was tried and found, never a password. Raises :class:`InputError` if the file is not a
    readable PDF or goes past a limit.
    """
    source = path.name
    try:
        size = path.stat().st_size
        if size > limits.max_file_bytes:
            raise LimitExceeded(
                f"{source}: the file is {size} bytes (文件过大); expected at most "
                f"{limits.max_file_bytes} bytes; raise MIJIAN_MAX_FILE_BYTES to read it"
            )
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(
            f"{source}: the file cannot be read ({one_line(exc.strerror or exc, 60)}); "
            "expected a readable file; check the path and permissions"
        ) from None
    notes: list[str] = []
    with quiet_mupdf():
        doc = open_pdf(data, source, limits)
        try:
            if doc.is_repaired:
                notes.append("the file is damaged; MuPDF repaired it to read it")
            encrypted = bool(doc.needs_pass)
            if encrypted:
                opened, note = _unlock(doc, passwords)
                notes.append(note)
                if not opened:
                    return Evidence(
                        kind="pdf", encrypted=True, opened=False, token=None, text="",
                        notes=tuple(notes),
                    )
            method = (doc.metadata or {}).get("encryption")
            if method:
                encrypted = True
                notes.insert(0, f"encrypted: {method}")
            token, found = _tokens(doc)
            notes.extend(found)
            pages = page_texts(doc, source, limits, clip=False)
        except PYMUPDF_ERRORS as exc:
            raise InputError(
                f"{source}: the PDF is damaged and cannot be read (文件已损坏: "
                f"{one_line(exc, 60)}); expected a readable PDF; obtain another copy"
            ) from None
        finally:
            doc.close()
    if not any(has_text(page) for page in pages):
        notes.append("no extractable text; render the pages to look for image marks")
    return Evidence(
        kind="pdf", encrypted=encrypted, opened=True, token=token, text="\n\n".join(pages),
        notes=tuple(notes),
    )


def render_pages(
    path_or_bytes: Path | bytes,
    password: str | None,
    dpi: int,
    *,
    limits: Limits = DEFAULT_LIMITS,
) -> list[Image.Image]:
    """Render every page of a PDF to an RGB image at ``dpi``.

    ``password`` opens an encrypted file (user or owner). Raises :class:`InputError` when the
    file cannot be opened or a page would exceed ``limits.max_image_pixels``.
    """
    if isinstance(path_or_bytes, Path):
        source = path_or_bytes.name
        try:
            data = path_or_bytes.read_bytes()
        except OSError as exc:
            raise InputError(
                f"{source}: the file cannot be read ({one_line(exc.strerror or exc, 60)}); "
                "expected a readable file; check the path and permissions"
            ) from None
    else:
        source, data = "the PDF", bytes(path_or_bytes)
    images: list[Image.Image] = []
    with quiet_mupdf():
        doc = open_pdf(data, source, limits)
        try:
            if doc.needs_pass and not (password is not None and _unlock(doc, [password])[0]):
                raise InputError(
                    f"{source}: the PDF is encrypted and the password does not open it "
                    "(密码错误); expected the user or owner password; check the password"
                )
            for number in range(page_count(doc, source, limits)):
                page = doc.load_page(number)
                pixels = page.rect.width * page.rect.height * (dpi / 72) ** 2
                if pixels > limits.max_image_pixels:
                    raise LimitExceeded(
                        f"{source}: page {number + 1} would render to {int(pixels)} pixels "
                        f"(图像过大); expected at most {limits.max_image_pixels}; "
                        "use a lower dpi"
                    )
                pix = page.get_pixmap(dpi=dpi, alpha=False, colorspace=pymupdf.csRGB)
                images.append(Image.frombytes("RGB", (pix.width, pix.height), pix.samples))
        except PYMUPDF_ERRORS as exc:
            raise InputError(
                f"{source}: a page cannot be rendered ({one_line(exc, 60)}); "
                "expected a readable PDF; export it again"
            ) from None
        finally:
            doc.close()
    return images


def both_tokens(data: bytes, source: str, passwords: Sequence[str], limits: Limits) -> list[str]:
    """The Info and the XMP token of a PDF whose two tokens differ (both are marks, and
    tracing weighs both)."""
    with quiet_mupdf():
        doc = open_pdf(data, source, limits)
        try:
            if doc.needs_pass and not any(doc.authenticate(p) for p in passwords):
                return []
            return [t for t in (info_token(doc), xmp_token(doc)) if t]
        except PYMUPDF_ERRORS:
            return []
        finally:
            doc.close()


def render_leak(data: bytes, source: str, passwords: Sequence[str], limits: Limits,
                max_pages: int, dpi: int = RENDER_DPI) -> list[Image.Image]:
    """Render the first ``max_pages`` pages of a leaked PDF (opened with any of
    ``passwords``); pages too large to render within the limits are left out, and a page
    MuPDF cannot render ends the list."""
    images: list[Image.Image] = []
    with quiet_mupdf():
        doc = open_pdf(data, source, limits)
        try:
            if doc.needs_pass and not any(doc.authenticate(p) for p in passwords):
                return []
            for number in range(min(doc.page_count, max_pages)):
                page = doc[number]
                scale = dpi / 72
                area = page.rect.width * page.rect.height
                if area * scale * scale > limits.max_image_pixels:
                    # an over-large page is read at a lower resolution, never skipped: a leaker
                    # could otherwise hide their own page from the trace by enlarging it
                    scale = (limits.max_image_pixels / area) ** 0.5 * 0.99
                pix = page.get_pixmap(matrix=pymupdf.Matrix(scale, scale), alpha=False)
                images.append(Image.frombytes("RGB", (pix.width, pix.height), pix.samples))
        except PYMUPDF_ERRORS:
            return images
        finally:
            doc.close()
    return images
