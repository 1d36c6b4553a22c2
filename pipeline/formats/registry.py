"""Find the format of a path or of some bytes: the one place that lists the formats.

Each entry names the module and class of one format (see :mod:`pipeline.formats.interface`);
a format's module is imported the first time the registry is asked, and its heavy libraries
(PyMuPDF, python-docx, Pillow) only when a file is read or written. Adding a format is one
folder under ``pipeline/formats/`` and one line here. The order matters for :func:`sniff`:
plain text, which claims any UTF-8 bytes, comes last.
"""

from __future__ import annotations

import importlib
from functools import cache
from pathlib import Path

from mijian.pipeline.errors import InputError, MijianError
from mijian.pipeline.formats.interface import Format
from mijian.pipeline.model import Document

_ENTRIES = (
    ("mijian.pipeline.formats.pdf.format", "PdfFormat"),
    ("mijian.pipeline.formats.ofd.format", "OfdFormat"),  # before DOCX: both are ZIP packages
    ("mijian.pipeline.formats.docx.format", "DocxFormat"),
    ("mijian.pipeline.formats.images.format", "ImageFormat"),
    ("mijian.pipeline.formats.text.format", "TextFormat"),
)


@cache
def all_formats() -> tuple[Format, ...]:
    """Every registered format, in the order they are tried on unknown bytes."""
    return tuple(getattr(importlib.import_module(module), name)() for module, name in _ENTRIES)


def named(name: str) -> Format:
    """The format called ``name`` (a :attr:`Document.kind`)."""
    for fmt in all_formats():
        if fmt.name == name:
            return fmt
    raise MijianError(f"no file format named {name!r}; expected one of "
                      f"{', '.join(f.name for f in all_formats())}; report this as a bug")


def for_document(document: Document) -> Format:
    """The format a draft was read from."""
    return named(document.kind)


def draft_extensions() -> tuple[str, ...]:
    """File-name endings of the drafts that can be classified and issued."""
    return tuple(ext for fmt in all_formats() if fmt.drafts for ext in fmt.extensions)


def leak_extensions() -> tuple[str, ...]:
    """File-name endings of every file a leak can be traced from (envelopes aside)."""
    return tuple(ext for fmt in all_formats() for ext in fmt.extensions)


def by_extension(path: str | Path, drafts_only: bool = False) -> Format | None:
    """The format whose file names end like ``path``, or None."""
    ext = Path(path).suffix.lower()
    for fmt in all_formats():
        if ext in fmt.extensions and (fmt.drafts or not drafts_only):
            return fmt
    return None


def for_draft(path: str | Path) -> Format:
    """The format of a draft by its extension (its reader then checks the content agrees)."""
    fmt = by_extension(path, drafts_only=True)
    if fmt is None:
        ext = Path(path).suffix.lower()
        raise InputError(f"{path}: unsupported file type '{ext or 'none'}'; expected "
                         f"{_listed(draft_extensions())}; convert the draft to one of these")
    return fmt


def for_copy(extension: str) -> Format:
    """The format copies ending in ``extension`` are written in."""
    for fmt in all_formats():
        if fmt.copies and fmt.extension == extension:
            return fmt
    raise MijianError(f"no copy format for {extension!r}; report this as a bug")


def sniff(data: bytes, source: str = "the file") -> Format:
    """The format ``data`` is in, by its first bytes; one-line :class:`InputError` when
    no format recognises them."""
    for fmt in all_formats():
        if fmt.sniff(data):
            return fmt
    raise InputError(f"{source}: the content is of no known format (未知格式); expected "
                     f"{_listed(leak_extensions())} content; check the file")


def _listed(extensions: tuple[str, ...]) -> str:
    return ", ".join(extensions[:-1]) + " or " + extensions[-1] if len(extensions) > 1 else extensions[0]
