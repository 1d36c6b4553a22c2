"""Keyed, blind page fingerprint: a sparse dot "security background" naming the copy.

Design
------
The pattern is a square lattice of candidate dot sites (pitch 8 px at 150 dpi, 1.35 mm).
Sites are grouped, under the key, into pulse-position groups of 32 sites spread over a tile
of 40 x 40 sites (54 mm); each group holds exactly one dot, and which of its 32 sites holds
it carries 5 bits. Of the 50 groups of a tile, 8 are pilots (keyed constant symbols, for
synchronisation) and 42 carry 210 channel bits: the payload and a keyed check,
convolutionally encoded (K = 7, zero tail), whitened and interleaved under the key. Two
payload sizes share this geometry (:class:`PatternParams` ``payload_bits``):

- 60 bits (a copy id, 8-byte payload; the default params): 16-bit check, rate 1/3 mother
  code punctured to 76/210;
- 32 bits (a per-office fingerprint number, 4-byte payload, :data:`NUMBER_PARAMS`): 20-bit
  check, rate 1/4 mother code punctured to 52/210, so a piece of a page needs about a third
  fewer readable sites.

Every tile repeats the same code, so any piece of the page holding a few tiles' worth of
white paper decodes, and soft values from all tiles are summed before decoding.

Dots are 2 x 2 px (0.34 mm). Most are light grey (darkness 36/255); in each tile 12 of the
50 groups, rotating with the tile position, are printed black, so a binarised photocopy
keeps about a quarter of the dots and every group is black in some tile of a page. One dot
per 32 sites, about 1,000 dots on an A4 page: blank paper stays above 254/255 mean
luminance, and the page SSIM at 75 dpi is about 0.975 (the budget that bounds the design:
each dot costs SSIM wherever it sits, a black dot about five times a grey one).

Decoding needs no original: the dots sit on a lattice, so the spectrum of the image's
isolated specks (rules, edges of tinted areas and text are left out) gives scale and
rotation; the frequencies are refined from the coherence of local lattice
phases, the remaining phase is unwrapped and an affine map (or, for a photo, a quadratic
one) fitted; each site is read within its own cell, so sites between text lines count and
only sites touched by ink are masked; the keyed pilots give the tile origin (a z-score over
all 1,600 origins, reported as the detection statistic); which of the 50 black/grey
rotations applies is read from the strongest dot of each group, and each reading is
weighted by the amplitude of its class (a binarised copy has lost its grey dots: they then
count for nothing instead of as "no dot here"); symbol likelihoods are marginalised to bit
LLRs, then soft-decision Viterbi decoding and the keyed check. See
:mod:`watermark.pattern_image` and :mod:`watermark.pattern_code`.

Modules: this one gathers the public names of the pattern, which live in
:mod:`watermark.pattern_payload` (the key and the payload kinds),
:mod:`watermark.pattern_draw` (the drawing side: dot positions, overlay, squares,
compositing) and :mod:`watermark.pattern_decode` (the decoding side: lattice, pilots,
payload), which reads the image through :mod:`watermark.pattern_image` (and, for a photo's
perspective, :mod:`watermark.pattern_tilt`) and weighs the sites' readings in
:mod:`watermark.pattern_llr`.

Compositing: :func:`page_dots` gives the dots as squares for a vector drawing (PDF copies
draw them black, the light ones with fill opacity darkness/255, over the page content), and
:func:`make_overlay` returns an RGBA image, black with alpha = darkness/255,
meant to be drawn *over* the page content with normal alpha compositing ("over"); on white
paper a dot becomes grey (255 - darkness), over black text it stays black (invisible). It
must cover the whole page box, top-left aligned, at the dpi it was made for (300 dpi keeps
dots crisp when printed). :func:`apply_to_image` does the same compositing on a raster.

False-match probability
-----------------------
A payload is returned only if (a) the pilot synchronisation z-score is at least
``Z_ACCEPT`` and (b) the keyed check (c = 16 bits for the 60-bit payload, 20 bits for the
32-bit one) over the decoded payload bits verifies. For an image that carries no pattern
under this key (unmarked, another key, a different office), the decoded bits do not depend
on the key's check function, so a truncated HMAC verifies with probability 2^-c per decode
attempt; the decoder makes at most ``attempts`` attempts (2 lattice candidates x 2 page
turns x 2 origins per pass; a pass that finds a loosely fitted lattice but no payload
reads the image once more straightened along that fit; when the first pass finds nothing,
the caller reads the image whole (``perspective``: a trace never asks it for a band, half or
strip of a page) and the lattice's local spectra agree on a tilt (a photo's perspective,
:mod:`watermark.pattern_tilt`), a pass over the image with the tilt undone; a last pass at
half resolution: at most 48; the black/grey rotation is chosen before decoding and is not
an attempt), so by the
union bound an unmarked image yields *some* payload with probability at most
``attempts * 2^-c``. That payload is then independent of the register, so it equals one
given registered value with probability 2^-b (b = 60 or 32 payload bits).
:attr:`Detection.false_match_probability` reports ``attempts * 2^-(c + b)`` for *one*
lookup: ``attempts * 2^-76`` for copy ids, ``attempts * 2^-52`` for fingerprint numbers.
Against a register of N copies (or N issued numbers) the chance of naming anyone is at most
``N`` times that: for numbers, ``attempts * 2^-20 * N / 2^32``, e.g. N = 10^5 gives
< 1.1e-9 with 48 attempts, far below 1e-6 (copy ids: N = 10^6 gives < 1e-14). The z-score
threshold is extra margin and is not counted in the bound (its Gaussian null is only
approximate on real pages).

What it does not protect against: anyone holding the key can forge a pattern for any copy
number; the pattern of one copy can be lifted (it is a visible dot texture) and pasted onto
another page to frame its holder; averaging two copies merges their dots and usually makes
the decode fail (it then names no one, and 2^-16 bounds the chance it names a third
party; 2^-20 for numbers), and :attr:`Detection.overlap` then shows two dots in most
groups, so the trace can say that several copies' marks are present; a page under another
*document's* copy under the same key decodes to that copy, which is correct but not the
document at hand, so the register lookup must check the document; heavy despeckling,
background removal, or a re-typed page remove the pattern.
"""

from __future__ import annotations

from mijian.watermark.pattern_code import PatternParams
from mijian.watermark.pattern_decode import (
    OVERLAP_SEVERAL,
    STRAIGHTEN_RESIDUAL,
    STRAIGHTEN_Z,
    Z_ACCEPT,
    Detection,
    decode,
)
from mijian.watermark.pattern_draw import apply_to_image, make_overlay, page_dots
from mijian.watermark.pattern_payload import (
    BASE_DPI,
    NUMBER_PARAMS,
    PatternKey,
    copy_id_from_payload,
    number_from_payload,
    payload_from_copy_id,
    payload_from_number,
)

__all__ = [
    "BASE_DPI", "Z_ACCEPT", "OVERLAP_SEVERAL", "PatternParams", "PatternKey", "Detection",
    "make_overlay", "page_dots", "apply_to_image", "decode", "payload_from_copy_id", "copy_id_from_payload",
    "payload_from_number", "number_from_payload", "NUMBER_PARAMS",
    "STRAIGHTEN_RESIDUAL", "STRAIGHTEN_Z",
]
