"""Page images from a leak: image files (PNG, JPEG, TIFF) and rendered PDF pages, within limits."""

from __future__ import annotations

import io
import warnings
from pathlib import Path
from typing import Sequence

from PIL import Image

from mijian.pipeline.errors import InputError, LimitExceeded
from mijian.pipeline.limits import Limits

MAX_FRAMES = 20
"""Most frames of a multi-page TIFF, or pages of a PDF, searched for image marks."""
RENDER_DPI = 150


def load_images(data: bytes, source: str, limits: Limits, max_frames: int = MAX_FRAMES) -> list[Image.Image]:
    """Decode an image file into RGB frames; one-line :class:`InputError` when it cannot be."""
    Image.MAX_IMAGE_PIXELS = None  # the check below replaces Pillow's warning-based one
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            image = Image.open(io.BytesIO(data))
            if image.width * image.height > limits.max_image_pixels:
                raise LimitExceeded(f"{source}: the image is {image.width}×{image.height} pixels, more "
                                    f"than the limit of {limits.max_image_pixels}; scale it down or "
                                    "raise MIJIAN_MAX_IMAGE_PIXELS")
            frames = []
            for index in range(min(getattr(image, "n_frames", 1), max_frames)):
                image.seek(index)
                frames.append(image.convert("RGB"))
    except LimitExceeded:
        raise
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise InputError(f"{source}: the image cannot be decoded ({type(exc).__name__}); expected a "
                         "PNG, JPEG or TIFF page image; export it again") from None
    return frames


def render_pdf(data: bytes, source: str, passwords: Sequence[str], limits: Limits,
               max_pages: int = MAX_FRAMES, dpi: int = RENDER_DPI) -> list[Image.Image]:
    """Render the first ``max_pages`` pages of a PDF (opened with any of ``passwords``)."""
    import pymupdf

    from mijian.pipeline.pdf_io import PYMUPDF_ERRORS, open_pdf, quiet_mupdf

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


def path_source(path: Path) -> str:
    """How a leak file is named in messages."""
    return str(path)
