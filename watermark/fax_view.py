"""A standard-resolution fax (204 x 98 dpi, 1-bit) made upright again before a page
fingerprint is read.

A fax samples the page half as finely down as across, so its image shows the page squashed
to 0.48 of its height: a dot lattice is no longer square and the page-pattern decoder,
which looks for a square lattice, finds nothing. :func:`fax_views` recognises such an
image by two facts together, then gives it stretched by :data:`FAX_STRETCH` down:

- it is two-level (almost every pixel black or white), and
- its width and height are those of a paper size (A-series or Letter, either way up)
  once stretched, and not as they are.

Either fact alone is not enough: a binarised scan is two-level, and a landscape A4 page is
about as wide as a squashed portrait A3. Only the view changes: the decoder, its attempts
and its keyed check stay what they are, so the false-match bound is unchanged.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter

FAX_STRETCH = 204 / 98
"""Horizontal over vertical resolution of a standard-resolution fax."""
PAPER_RATIOS = (297 / 210, 279.4 / 215.9)
"""Height over width of upright A-series (A3, A4 and A5 share 1.414) and Letter pages; each
is also taken turned a quarter. (Legal is left out: a faxed Letter page has the proportions
of a landscape Legal one.)"""
RATIO_TOLERANCE = 0.03
"""Relative distance from a paper ratio still taken as that paper (a skew of 1 degree on an
A4 page moves its ratio by 1.2 %)."""
FAX_SMOOTH = 0.6
"""Gaussian blur (px) of the second fax view. Error diffusion renders a grey dot as a black
pixel or none, a pixel or two away. On faxes of the masked first page of five issued sample
copies, seeds 0-11 of ``bench/fax_probe.py``, the upright view alone read 51 of 60 and the
smoothed view read 8 of the other 9 (alone it reads fewer, about 43 of 60: a thresholded
fax's black dots lose contrast)."""


def bilevel(image: Image.Image) -> bool:
    """Whether (almost) every pixel of ``image`` is black or white."""
    if image.mode == "1":
        return True
    small = image.convert("L")
    if max(small.size) > 800:
        small = small.resize((small.width // 4 or 1, small.height // 4 or 1), Image.Resampling.NEAREST)
    a = np.asarray(small)
    return bool(np.mean((a > 16) & (a < 240)) < 0.01)


def paper_like(width: float, height: float) -> bool:
    """Whether ``width`` x ``height`` has the proportions of a paper size, either way up."""
    if width <= 0 or height <= 0:
        return False
    ratio = height / width
    return any(abs(ratio / r - 1) <= RATIO_TOLERANCE or abs(ratio * r - 1) <= RATIO_TOLERANCE
               for r in PAPER_RATIOS)


def looks_faxed(image: Image.Image) -> bool:
    """Whether ``image`` is a whole page sent by a standard-resolution fax (see the module
    notes)."""
    return (paper_like(image.width, image.height * FAX_STRETCH)
            and not paper_like(image.width, image.height) and bilevel(image))


def fax_views(image: Image.Image) -> list[tuple[str, Image.Image]]:
    """The views of ``image`` a page fingerprint is read in, in order, each with a label for
    the report: ``image`` itself (label ``""``) unless it looks faxed; then the image stretched
    down by :data:`FAX_STRETCH` (grey, bilinear), and that view smoothed by
    :data:`FAX_SMOOTH`."""
    if not looks_faxed(image):
        return [("", image)]
    size = (image.width, round(image.height * FAX_STRETCH))
    upright = image.convert("L").resize(size, Image.Resampling.BILINEAR)
    return [("fax upright ", upright),
            ("fax smoothed ", upright.filter(ImageFilter.GaussianBlur(FAX_SMOOTH)))]
