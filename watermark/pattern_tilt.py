"""Perspective of a photographed page or crop, from the dot lattice's own local spectra.

Why: the lattice search of :mod:`watermark.pattern_lattice` sums the spectra of large
windows. Under a phone photo's keystone (3-10 %) the lattice frequency changes across the
image by as much, so the summed peaks smear into the background (measured on photos of
paragraph crops: whitened peak strengths fell from about 11 to under 3, and the search
returned harmonics or the other layer's lattice), and the phase tracking that follows a
single frequency loses coherence over its ten-pitch windows. Straightening the image first
brings the lattice back to one frequency, and the decoder then reads it as a scan.

How: the image is cut into overlapping windows of 256 px (128 px for small images). In
each window the spectrum of the isolated specks (:func:`watermark.pattern_lattice.enhance`)
gives up to three candidate lattices, each a frequency matrix ``J`` (rows ``k1``, ``k2``:
the gradients of the lattice coordinates, cycles per pixel). A plane perspective view of a
flat sheet maps the image to the page by ``x -> x / (1 + p.x)`` (centred, normalised
coordinates; the tilt ``p``) followed by an affine map ``B``, so every window should show
``J = B dP(x)``, ``dP`` the Jacobian of the tilt at the window's centre. The tilt is found
by a grid search (coarse, then fine) over ``p``: for each, ``B`` is taken from one strong
window candidate, every window keeps its candidate nearest the prediction, ``B`` is refitted
by least squares on the windows that agree, and the tilt scores the summed strength of
agreeing windows. Harmonics and the other layer's lattice agree with a different ``B`` and
are outvoted. Only a clear tilt supported by enough windows is returned; the image is then
resampled so that ``x / (1 + p.x)`` is its grid (:func:`untilt`).

The key plays no part here: this is one more view of the image for the decoder, whose
decode attempts on it count in the false-match bound as every other attempt does.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from mijian.watermark.pattern_geometry import resample
from mijian.watermark.pattern_image import darkness
from mijian.watermark.pattern_lattice import _lattices_in, enhance

AGREE = 0.06
"""Largest relative error (Frobenius) between a window's frequency matrix and the one the
tilt predicts for the window to count as agreeing (the peaks' bins are about 2-4 % of the
frequency in a 256 px window)."""
MIN_SHARE = 0.2
"""Share of the windows holding any candidate that must agree with the tilt found: a photo of
a crop shows a surround of table (a third of its windows or more) and lines of text whose
windows hold stray peaks only; 15 of 52 agreeing windows were seen on a photo that reads."""
MIN_WINDOWS = 8
"""Fewest agreeing windows for a tilt to be used (it has six parameters, and each window
gives four equations)."""
CANDIDATES = 4
"""Candidate lattices kept per window (the fundamental, its harmonic, the other layer's
lattice and stray peaks compete in a window's spectrum)."""
MIN_PITCH = 4.5
"""Smallest lattice pitch (px) looked for here: a photo close enough to show the dots
resolves them at several pixels a pitch, while JPEG blocks, resampling and noise fill the
spectrum with peaks of 2.8-4 px."""
REFERENCES = 4
"""Strongest window candidates each tried as the tilt's starting point."""
MIN_TILT = 0.02
"""A tilt changing the lattice scale by less than this anywhere in the image is left alone
(the decoder's own fit absorbs it)."""


@dataclass(frozen=True)
class Tilt:
    """A plane tilt found in an image: ``p`` in coordinates centred on ``centre`` (x, y)
    and divided by ``scale``; how many windows agreed out of those with any lattice."""

    p: np.ndarray
    centre: np.ndarray
    scale: float
    agreeing: int
    windows: int


def _window_candidates(e: np.ndarray, size: int, pitch_range: tuple[float, float]
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per window: its centre (x, y), up to :data:`CANDIDATES` candidate frequency matrices
    and their strengths (0 where a window has fewer)."""
    h, w = e.shape
    stride = size // 2
    win = np.outer(np.hanning(size), np.hanning(size)).astype(np.float32)
    centres, mats, strengths = [], [], []
    for y0 in range(0, h - size + 1, stride):
        for x0 in range(0, w - size + 1, stride):
            part = e[y0:y0 + size, x0:x0 + size]
            if (part > 0).mean() < 0.002:
                continue
            spec = np.abs(np.fft.rfft2((part - part.mean()) * win))
            lats = _lattices_in(spec, size, pitch_range, CANDIDATES)
            if not lats:
                continue
            m = np.zeros((CANDIDATES, 2, 2))
            s = np.zeros(CANDIDATES)
            for i, lat in enumerate(lats):
                m[i] = np.stack([lat.k1, lat.k2])
                s[i] = lat.strength
            centres.append((x0 + size / 2, y0 + size / 2))
            mats.append(m)
            strengths.append(s)
    if not centres:
        return np.zeros((0, 2)), np.zeros((0, CANDIDATES, 2, 2)), np.zeros((0, CANDIDATES))
    return np.array(centres, float), np.array(mats), np.array(strengths)


def _jacobians(p: np.ndarray, xn: np.ndarray) -> np.ndarray:
    """``dP`` for each tilt of ``p`` (t, 2) at each normalised point of ``xn`` (n, 2), for
    the tilt ``x / (1 + p.x)``: shape (t, n, 2, 2)."""
    wgt = 1.0 + p @ xn.T  # (t, n)
    eye = np.eye(2)[None, None] / wgt[..., None, None]
    return eye - np.einsum("ni,tj->tnij", xn, p) / (wgt * wgt)[..., None, None]


def _norm(a: np.ndarray) -> np.ndarray:
    """Frobenius norm over the last two axes."""
    return np.sqrt((a * a).sum(axis=(-2, -1)))


def _scores(p: np.ndarray, xn: np.ndarray, mats: np.ndarray, strengths: np.ndarray,
            ref: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """How well each tilt of ``p`` (t, 2) explains the windows, starting from the candidate
    ``ref`` (window, candidate): the summed strength of agreeing windows, weighted by how
    closely they agree, and their number. A window's candidate may be the lattice itself or
    its second harmonic (twice the frequencies), which is often the stronger peak."""
    dp = _jacobians(p, xn)
    n = len(xn)
    rows = np.arange(n)[None, :]
    b = mats[ref][None] @ np.linalg.inv(dp[:, ref[0]])  # (t, 2, 2)
    agree = np.zeros(dp.shape[:2], bool)
    best = np.zeros(dp.shape[:2])
    pick = np.zeros(dp.shape[:2], np.int64)
    for _ in range(2):
        pred = np.einsum("tij,tnjk->tnik", b, dp)
        size = _norm(pred)[..., None]
        err1 = _norm(mats[None] - pred[:, :, None]) / size
        err2 = _norm(mats[None] / 2 - pred[:, :, None]) / size
        err = np.where(strengths[None] > 0, np.minimum(err1, err2), np.inf)
        pick = np.argmin(err, axis=2)
        best = np.take_along_axis(err, pick[..., None], 2)[..., 0]
        agree = best < AGREE
        half = np.take_along_axis(err2 < err1, pick[..., None], 2)[..., 0]
        j = mats[rows, pick] / np.where(half, 2.0, 1.0)[..., None, None]
        wts = agree.astype(float)
        # least squares B over the agreeing windows: J = B M (a tiny ridge keeps tilts that
        # nothing agrees with invertible; they score 0 anyway)
        lhs = np.einsum("tn,tnij,tnkj->tik", wts, j, dp)
        rhs = np.einsum("tn,tnij,tnkj->tik", wts, dp, dp) + 1e-9 * np.eye(2)[None]
        b = lhs @ np.linalg.inv(rhs)
    s = strengths[rows, pick]
    score = np.where(agree, s * (1 - best / AGREE), 0.0).sum(axis=1)
    return np.where(agree.sum(axis=1) >= 2, score, 0.0), agree.sum(axis=1)


def _grid(centre: np.ndarray, step: float, span: int) -> np.ndarray:
    """Tilts on a square grid of ``2 span + 1`` steps a side around ``centre``."""
    k = np.arange(-span, span + 1) * step
    return np.stack(np.meshgrid(k, k), -1).reshape(-1, 2) + centre


def find_tilt(dark: np.ndarray, pitch_range: tuple[float, float]) -> Tilt | None:
    """The tilt of the lattice in ``dark`` (a darkness image), or None when the windows do
    not agree on one, or it is too slight to matter (see the module notes)."""
    h, w = dark.shape
    size = 256 if min(h, w) >= 640 else 128
    band = (max(pitch_range[0], MIN_PITCH), pitch_range[1])
    if min(h, w) < size or size < 6 * band[1] or band[0] >= band[1]:
        return None
    centres, mats, strengths = _window_candidates(enhance(dark), size, band)
    if len(centres) < MIN_WINDOWS:
        return None
    centre = np.array([w / 2, h / 2])
    scale = max(w, h) / 2
    xn = (centres - centre) / scale
    flat = np.argsort(strengths.ravel())[::-1][:REFERENCES]
    refs = [divmod(int(i), CANDIDATES) for i in flat if strengths.ravel()[i] > 0]
    best = (0.0, 0, np.zeros(2))
    for step, span in ((0.05, 6), (0.0125, 4)):
        tilts = _grid(best[2], step, span)
        for ref in refs:
            score, counts = _scores(tilts, xn, mats, strengths, ref)
            i = int(np.argmax(score))
            if score[i] > best[0]:
                best = (float(score[i]), int(counts[i]), tilts[i])
    _score, agreeing, p = best
    if agreeing < max(MIN_WINDOWS, MIN_SHARE * len(centres)):
        return None
    corners = np.array([[-w, -h], [w, -h], [w, h], [-w, h]], float) / 2 / scale
    change = np.abs(_jacobians(p[None], corners)[0] - np.eye(2)[None]).max()
    if change < MIN_TILT:
        return None
    return Tilt(p, centre, scale, agreeing, len(centres))


def untilt(grey: np.ndarray, tilt: Tilt) -> np.ndarray | None:
    """``grey`` resampled so that the tilt is undone: output pixel ``r`` (centred,
    normalised like the tilt) shows image point ``r / (1 - p.r)``; pixels falling outside
    the image are its median (paper or table). None if the result would be too large."""
    h, w = grey.shape
    corners = np.array([[0, 0], [w, 0], [w, h], [0, h]], float)
    xn = (corners - tilt.centre) / tilt.scale
    wgt = 1.0 + xn @ tilt.p
    if np.any(wgt <= 0.2):
        return None
    rn = xn / wgt[:, None]
    lo, hi = rn.min(axis=0), rn.max(axis=0)
    out_w, out_h = (int(np.ceil(v)) for v in (hi - lo) * tilt.scale)
    if out_w * out_h > 4_000_000 or min(out_w, out_h) < 16:
        return None
    yy, xx = np.mgrid[0:out_h, 0:out_w].astype(np.float64)
    rx, ry = lo[0] + xx / tilt.scale, lo[1] + yy / tilt.scale
    den = 1.0 - (tilt.p[0] * rx + tilt.p[1] * ry)
    xs = tilt.centre[0] + tilt.scale * rx / den
    ys = tilt.centre[1] + tilt.scale * ry / den
    return resample(grey, xs, ys)


_SEEN: dict[tuple, tuple[Tilt | None, np.ndarray | None]] = {}
"""The last few images' tilts and untilted views, by their content (see :func:`untilted`)."""
SEEN_MAX = 4
"""Images remembered by :func:`untilted` (a trace reads one page image under each office key
with both fingerprint readers, then moves on)."""


def untilted(grey: np.ndarray, pitch_range: tuple[float, float]) -> tuple[Tilt | None, np.ndarray | None]:
    """The tilt of the grey image ``grey`` (:func:`find_tilt` on its darkness) and the image
    with it undone (:func:`untilt`), or None for either.

    Both depend on the image alone, never on a key, yet a trace asks for them once per office
    key and once more for the camera-robust marks' reader, which reads the same page: they
    are computed once and remembered for the last :data:`SEEN_MAX` images, looked up by a
    digest of the pixels (an image equal in every pixel has the same tilt, so a stale entry
    can never be returned for a different image)."""
    grey = np.ascontiguousarray(grey, dtype=np.float32)
    seen = (grey.shape, tuple(pitch_range), hashlib.blake2b(grey.tobytes(), digest_size=16).digest())
    if seen in _SEEN:
        return _SEEN[seen]
    tilt = find_tilt(darkness(grey)[0], pitch_range)
    flat = untilt(grey, tilt) if tilt is not None else None
    if flat is not None:
        flat.setflags(write=False)  # shared by every reader of this image: nobody may change it
    result = (tilt, flat)
    while len(_SEEN) >= SEEN_MAX:
        del _SEEN[next(iter(_SEEN))]
    _SEEN[seen] = result
    return result
