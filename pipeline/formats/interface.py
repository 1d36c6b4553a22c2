"""The one interface every file format implements, and the values it hands over.

A format knows its own bytes: how to recognise them (``sniff``), read a draft into a
:class:`~pipeline.model.Document` (``read``), write a marked and encrypted copy
(``write_copy``), check a new copy (``self_check``), open an encrypted copy (``decrypt``),
and read back what a leaked file gives up (``read_evidence``, ``page_images``). Issuing,
tracing and the readers ask :mod:`pipeline.formats.registry` for the format of a path or of
some bytes and call these methods; none of them branches on the format.

A format that makes no copies of its own (plain text drafts become PDF copies, page images
are only ever leaks) keeps the base methods, which refuse with :class:`MijianError`: calling
one of them is a programming error, never a user's.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mijian.pipeline.errors import MijianError
from mijian.pipeline.limits import Limits
from mijian.pipeline.model import CopyStamp, Document, Evidence

SELF_CHECK_NOT_OPENING = ("self-check failed: the copy is not encrypted or does not open; the "
                          "file was discarded and its serial stays reserved; report this as a bug")
SELF_CHECK_NO_MARKS = ("self-check failed: the copy's marks do not read back; the file was "
                       "discarded and its serial stays reserved; report this as a bug")


def _none(extension: str) -> list[str]:
    return []


@dataclass(frozen=True)
class LeakKeys:
    """The passwords tracing can offer a leaked file, each format taking what it needs.

    - ``known``: the recipients' passwords of the registered copies whose file has the
      leak's SHA-256 (the copy as issued);
    - ``office``: the office's own (owner) password of copies, under each office key;
    - ``recent``: given a copy extension, the recipients' passwords of the most recent
      copies of that kind, for an encrypted leak whose bytes changed (computed on demand:
      unsealing them costs a key derivation each).
    """

    known: tuple[str, ...] = ()
    office: tuple[str, ...] = ()
    recent: Callable[[str], list[str]] = field(default=_none, repr=False)


class Format(ABC):
    """A file format of drafts, copies or leaks (see the module notes).

    Class attributes describe the format; the registry reads them without opening a file.
    """

    name: str = ""
    """Short name, also :attr:`Document.kind` of drafts in this format (``pdf``, ``docx`` …)."""
    extensions: tuple[str, ...] = ()
    """File-name endings (lower case, with the dot); the first one names the copies."""
    drafts: bool = False
    """Whether a draft in this format can be classified and issued."""
    copies: bool = False
    """Whether copies are written in this format (``write_copy``, ``self_check``, ``decrypt``)."""
    copies_as: tuple[str, ...] = ()
    """The formats copies of a draft in this format can be asked in besides the usual one
    (``issue --as``); :meth:`copy_base` makes them."""
    separate_owner_password: bool = False
    """Whether a copy carries the office's own password besides the recipient's."""
    no_page_images: str = "the leak has no page images"
    """Why the trace report has no page image to read for a leak in this format."""

    @property
    def extension(self) -> str:
        """The file-name ending of copies (and the usual one of drafts) in this format."""
        return self.extensions[0]

    @abstractmethod
    def sniff(self, data: bytes) -> bool:
        """Whether ``data`` starts like a file of this format (its first bytes only)."""

    @abstractmethod
    def read(self, data: bytes, source: str, limits: Limits) -> Document:
        """Read an untrusted draft named ``source`` into a Document, or raise a one-line
        :class:`~pipeline.errors.InputError` (also when the content is another format's)."""

    def copy_base(self, document: Document, data: bytes) -> tuple[bytes, str]:
        """The bytes the copies of ``document`` (read from ``data``) are written from, and
        the name of the format the copies are written in (by default this one)."""
        return data, self.name

    def write_copy(self, source: bytes, stamp: CopyStamp, out_path: Path, *, limits: Limits,
                   cache: dict[Any, Any] | None = None) -> None:
        """Write one marked, encrypted copy of ``source`` for ``stamp`` to ``out_path``
        (atomically); ``cache`` lets the copies of one run share work on the same draft."""
        raise self._no_copies()

    def self_check(self, path: Path, stamp: CopyStamp, office_password: str | None,
                   limits: Limits) -> None:
        """Open a new copy as its recipient (and the office) would; its marks must read
        back, else :class:`~pipeline.errors.RegisterError`."""
        raise self._no_copies()

    def warm_up(self) -> None:
        """Import what writing and checking copies of drafts in this format needs (a worker
        process does this while the run still reads and classifies the draft); by default
        nothing."""
        return None

    def decrypt(self, data: bytes, password: str, source: str) -> bytes:
        """The plain bytes of an encrypted copy opened with ``password``, else
        :class:`~pipeline.errors.RegisterError`."""
        raise self._no_copies()

    @abstractmethod
    def read_evidence(self, path: Path, data: bytes, keys: LeakKeys, limits: Limits) -> Evidence:
        """What a leaked file (``data``, read from ``path``) gives up, opened with the
        passwords of ``keys`` it needs."""

    def page_images(self, data: bytes, source: str, keys: LeakKeys, limits: Limits,
                    max_pages: int) -> list[Any] | None:
        """RGB page images of an opened leak (at most ``max_pages`` pages rendered), or None
        when the format has none to offer."""
        return None

    def _no_copies(self) -> MijianError:
        return MijianError(f"the {self.name} format writes no copies of its own; expected a "
                           "copy format from the format registry; report this as a bug")
