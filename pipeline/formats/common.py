"""What every format's reader does once it has the text of a draft: check it against the
limits, name its language and title, and make the one frozen Document."""

from __future__ import annotations

import hashlib

from mijian.pipeline.errors import InputError, LimitExceeded
from mijian.pipeline.limits import Limits
from mijian.pipeline.model import Document, Kind, Language


def detect_language(text: str) -> Language:
    """``zh`` when at least 10% of the letters are CJK ideographs, else ``en``."""
    cjk = letters = 0
    for ch in text[:200_000]:
        if "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf":
            cjk += 1
            letters += 1
        elif ch.isalpha():
            letters += 1
    if letters == 0:
        return "en"
    return "zh" if cjk / letters >= 0.10 else "en"


def make_document(data: bytes, source: str, kind: Kind, text: str, limits: Limits,
                  pages: tuple[str, ...] = ()) -> Document:
    """The Document of a draft whose ``text`` a reader took from ``data``; refuses a text
    over ``limits.max_chars`` or without any character (a scan needs OCR first)."""
    if len(text) > limits.max_chars:
        raise LimitExceeded(f"{source}: {len(text)} characters is more than the limit of "
                            f"{limits.max_chars}; split the draft or raise MIJIAN_MAX_CHARS")
    if not text.strip():
        raise InputError(f"{source}: the draft has no text (无正文); expected a draft with text; "
                         "scanned drafts need OCR first")
    title = next((line.strip() for line in text.splitlines() if line.strip()), "")[:120]
    return Document(source=source, sha256=hashlib.sha256(data).hexdigest(), kind=kind,
                    language=detect_language(text), text=text, pages=pages, title=title)
