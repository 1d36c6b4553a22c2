"""Frozen values that flow through the pipeline.

A :class:`Document` is what a reader makes of a draft; stages return new values and never
change one in place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Kind = str
"""The name of the format a draft was read in (``pdf``, ``docx``, ``txt`` …): the formats
registry (:mod:`pipeline.formats.registry`) lists them, so a new format is not named here."""
Language = Literal["zh", "en"]


@dataclass(frozen=True)
class Document:
    """A draft as read: where it came from, its digest, language and text.

    ``pages`` holds the text of each page for formats that have pages (PDF); it is empty for
    DOCX and plain text. ``text`` is the whole text, pages joined by a blank line.
    """

    source: str
    sha256: str
    kind: Kind
    language: Language
    text: str
    pages: tuple[str, ...] = ()
    title: str = ""
    notes: tuple[str, ...] = field(default=())
    """Recoveries and oddities the reader noticed, for the report."""
    copy_as: str = ""
    """The format the copies were asked in (``pdf`` for PDF copies of an OFD draft), empty
    for the format's own choice. Kept on the draft as read, because the draft's format decides
    the bytes copies start from (:meth:`Format.copy_base`); the draft's digest and register id
    stay those of the file itself."""


@dataclass(frozen=True)
class Recipient:
    """One row of the recipients file."""

    id: str
    name: str
    unit: str = ""
    email: str = ""
    public_key: str = ""


@dataclass(frozen=True)
class Marking:
    """What a writer stamps on one copy, already worded for its scheme.

    - ``first_page_lines``: lines at the top-left of the first page's text block, in order
      (cn-state: the 份号 then ``机密★20年``); empty when the scheme uses banners only.
    - ``first_page_right``: a line at the top-right of the first page (cn-enterprise), or "".
    - ``banner``: a centred line at the top and bottom of every page (us, uk), or "".
    - ``copy_line``: e.g. ``Copy 3 of 10`` under the top banner of the first page, or "".
    - ``running``: a running header/footer template for every page with ``{page}`` and
      ``{pages}`` placeholders (e.g. ``机密 000003 第{page}页/共{pages}页``), or "".
    - ``reproduction``: on a reproduced copy (复制件), the reproducing office's stamp
      (复制机关戳记) as one line, drawn on the first page under the marking lines; "" on
      every other copy. Each format's writer draws it with its first-page marks, so a copy of
      any format can be a reproduction.
    """

    scheme: str
    grade: str
    level: int
    period: str | None
    serial: str
    first_page_lines: tuple[str, ...] = ()
    first_page_right: str = ""
    banner: str = ""
    copy_line: str = ""
    running: str = ""
    reproduction: str = ""


@dataclass(frozen=True)
class CopyStamp:
    """Everything that makes one issued copy unique, handed to a writer.

    - ``watermark_text``: tiled faintly over every page (recipient name and 份号).
    - ``visible_code``: a short signed code printed small on every page; it names the copy
      for anyone holding the office key (see :mod:`watermark.codes`).
    - ``token``: the signed copy token stored in the document properties.
    - ``user_password``: the recipient's password; ``owner_password``: the office's.
    - ``pattern_key`` / ``pattern_payload``: the keyed blind page fingerprint laid over every
      page (PDF copies; DOCX copies behind the text of every page), or empty.
    - ``text_code``: the invisible text-layer code (see :mod:`watermark.textcode`) written at
      the end of every body line (PDF) or paragraph (DOCX), or "".
    """

    marking: Marking
    watermark_text: str
    visible_code: str
    token: str
    user_password: str
    owner_password: str
    language: Language = "zh"
    text_code: str = ""
    pattern_key: bytes = field(default=b"", repr=False)
    """Office key for the page fingerprint (see :mod:`watermark.pattern`); b"" for none."""
    pattern_payload: bytes = b""
    """The 4-byte payload the page fingerprint carries (the copy's fingerprint number)."""


@dataclass(frozen=True)
class Evidence:
    """What a leaked file gave up to the readers, before any decoding of marks.

    - ``opened``: the content could be read (False for an encrypted file no known password opens).
    - ``token``: the signed copy token found in the document properties, if any (unchecked).
    - ``text``: every piece of text found (body, headers, footers, tiled watermark text).
    - ``notes``: what was tried, for the trace report.
    """

    kind: str
    encrypted: bool
    opened: bool
    token: str | None
    text: str
    notes: tuple[str, ...] = ()
