"""Page images from a leaked image file (PNG, JPEG, TIFF, a multi-page TIFF frame by frame),
decoded within the limits."""

from __future__ import annotations

import io
import warnings

from PIL import Image

from mijian.pipeline.errors import InputError, LimitExceeded
from mijian.pipeline.limits import Limits

MAX_FRAMES = 20
"""Most frames of a multi-page TIFF searched for image marks."""


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
