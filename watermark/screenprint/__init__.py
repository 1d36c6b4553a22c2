"""Camera-robust page fingerprint: a keyed, blind pattern of faint marks that names a copy
from a screen photo, a chat-app forward, a fax or a small crop of a page.

The page carries a square lattice of sites (1.5 mm pitch); in every 40 x 40-site tile
(60 mm) one site in 32 holds a mark, and which one carries the tile's share of a 32-bit
fingerprint number with a 16-bit keyed check under a rate-1/4 convolutional code; every
tile repeats the whole payload, so a crop holding one tile's area of paper (in pieces of
several tiles) carries it all. Grey marks are 1.1 mm squares at darkness 14/255 (their
energy lies at the low spatial frequencies that survive downscaling, JPEG and a camera);
four groups per tile, rotating with the tile position, are 0.35 mm black squares for a
1-bit fax. The reader finds the lattice from the image's spectrum, tracks it across
perspective, finds the page turn and tile origin from keyed pilots and decodes with soft
decisions summed over every tile seen (:mod:`watermark.screenprint.reader`).

Why this design: SSIM >= 0.97 at 75 dpi allows roughly a thousand marks on an A4 page
whatever their strength (a mark costs SSIM about in proportion to the area it disturbs,
and large faint marks carry the most energy for that cost); pulse-position groups carry
five bits per mark, the most information per mark; the keyed check keeps the chance that
an unmarked image yields a registered number computable (see the reader's notes).

Modules: :mod:`~watermark.screenprint.code` (keyed layout, channel code),
:mod:`~watermark.screenprint.marks` (marks of a page, rasters),
:mod:`~watermark.screenprint.imaging` and :mod:`~watermark.screenprint.sync` (image side),
:mod:`~watermark.screenprint.reader` (decoding, false-match bound). Nothing runs at import.

What it does not protect against: anyone holding the key can draw any number's marks; the
marks of one copy can be lifted from a clean scan and laid on another page; heavy
despeckling, background removal or a re-typed page remove them.
"""

from __future__ import annotations

from mijian.watermark.screenprint.code import DEFAULT, Params
from mijian.watermark.screenprint.marks import Marks, apply, merge_overlay, overlay, page_marks
from mijian.watermark.screenprint.reader import MAX_ATTEMPTS, Reading, read, read_keys

__all__ = ["DEFAULT", "Params", "Marks", "apply", "merge_overlay", "overlay", "page_marks",
           "MAX_ATTEMPTS", "Reading", "read", "read_keys"]
