"""Named limits for untrusted drafts and leaked copies.

Every reader checks these before and while it parses. Raise them by passing a different
:class:`Limits` value (the CLI reads ``MIJIAN_MAX_*`` environment variables into one).
"""

from __future__ import annotations

from dataclasses import dataclass

MiB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Ceilings on what mijian will read from one untrusted file."""

    max_file_bytes: int = 50 * MiB
    """Largest draft or leaked file read at all."""
    max_pages: int = 2000
    """Most pages a PDF draft may have."""
    max_chars: int = 5_000_000
    """Most characters of text a draft may yield."""
    max_zip_entries: int = 2000
    """Most members a DOCX (zip) archive may hold."""
    max_zip_expanded_bytes: int = 200 * MiB
    """Largest total size the members of a DOCX may expand to."""
    max_zip_ratio: int = 200
    """Largest expansion ratio of any single compressed member."""
    max_image_pixels: int = 60_000_000
    """Largest leaked page image, in pixels."""


DEFAULT_LIMITS = Limits()
