"""Page images (PNG, JPEG, TIFF) behind the format interface: only ever leaks (a photo,
scan or screenshot of a copy), whose marks are read from the pixels."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mijian.pipeline.errors import InputError
from mijian.pipeline.formats.interface import Format, LeakKeys
from mijian.pipeline.limits import Limits
from mijian.pipeline.model import Document, Evidence

_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*")


class ImageFormat(Format):
    """A page image: no text, no properties; its QR symbol and page fingerprints are read
    from every frame (a multi-page TIFF frame by frame)."""

    name = "image"
    extensions = (".png", ".jpg", ".jpeg", ".tif", ".tiff")

    def sniff(self, data: bytes) -> bool:
        """The signature of a PNG, JPEG or TIFF file."""
        return data.startswith(_SIGNATURES)

    def read(self, data: bytes, source: str, limits: Limits) -> Document:
        """Refused: a page image is traced, never classified or issued."""
        raise InputError(f"{source}: a page image is not a draft; expected .pdf, .ofd, .docx or .txt; "
                         "give the draft itself, or trace the image with 'mijian trace'")

    def read_evidence(self, path: Path, data: bytes, keys: LeakKeys, limits: Limits) -> Evidence:
        """Nothing but pixels: the marks are read from :meth:`page_images`."""
        return Evidence(kind="image", encrypted=False, opened=True, token=None, text="")

    def page_images(self, data: bytes, source: str, keys: LeakKeys, limits: Limits,
                    max_pages: int) -> list[Any] | None:
        """Every frame as RGB (up to :data:`~pipeline.formats.images.loading.MAX_FRAMES`,
        whatever ``max_pages`` says: a TIFF of photos is worth reading through)."""
        from mijian.pipeline.formats.images.loading import load_images

        return load_images(data, source, limits)
