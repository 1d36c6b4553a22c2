"""Read the fingerprint from a page image, blind (no original page needed).

Steps: grey and paper-normalised darkness; the mark lattice at the image's own scale, or
at half or a quarter of it (a close photo or a 300 dpi scan); every site placed by phase
tracking (:mod:`watermark.screenprint.sync`); each site read within its own cell, sites
under ink left out; the page turn and tile origin found by correlating the keyed pilots
with the readings folded onto one tile (a z-score over every origin); per tile position a
log-likelihood ratio "mark here" summed over every tile seen; per group the symbol
likelihoods marginalised to channel-bit LLRs; soft Viterbi decoding and the keyed check.

False-match bound: an image without this key's marks gives bits that do not depend on the
key's check function, so a decode attempt passes the 16-bit check with probability 2^-16;
the reader makes at most :data:`MAX_ATTEMPTS` attempts, and the number that passes is then
independent of the register, equal to one given registered number with probability 2^-32.
:attr:`Reading.false_match_probability` is ``attempts * 2^-48`` for one lookup; against N
registered numbers multiply by N (N = 10^5 and 48 attempts: below 2e-8).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image, ImageFilter

from mijian.watermark.screenprint.code import DEFAULT, Params, decode, layout
from mijian.watermark.screenprint.imaging import mark_points, mark_response, paper_darkness, shrink, to_grey
from mijian.watermark.screenprint.lattice import Lattice, find_lattices
from mijian.watermark.screenprint.sync import Grid, track

Z_ACCEPT = 5.0
"""Pilot z-score below which an origin is not even decoded."""
LEVELS = ((1, (3.4, 10.5)), (2, (5.0, 10.5)))
"""Shrink factors tried in turn, with the lattice pitches (px at that level) looked for."""
MAX_LATTICES = 2
MAX_TURNS = 2
MAX_ORIGINS = 2
MAX_ATTEMPTS = 3 * len(LEVELS) * MAX_LATTICES * MAX_TURNS * MAX_ORIGINS
"""Most decode attempts on one image (two views of a fax, and the view with a photo's
perspective undone; counted in the false-match bound)."""


@dataclass(frozen=True)
class Reading:
    """What :func:`read` found in one image.

    ``number`` is the fingerprint number when the keyed check passed, else None;
    ``statistic`` the best pilot z-score; ``false_match_probability`` the bound for one
    register lookup (see the module notes); ``sites`` the sites read on paper."""

    number: int | None
    statistic: float
    false_match_probability: float
    attempts: int
    corrected: int
    used: int
    pitch_px: float
    angle_deg: float
    sites: int
    seconds: float
    notes: tuple[str, ...]

    @property
    def found(self) -> bool:
        """Whether a number passed the keyed check."""
        return self.number is not None


@lru_cache(maxsize=8)
def _pilot_template(key: bytes, params: Params) -> np.ndarray:
    """+1 at every pilot mark's tile position, -1/(group-1) at its group's other sites."""
    lay = layout(key, params)
    t = np.zeros(params.tile * params.tile)
    for g in range(params.pilots):
        t[lay.sites[g]] = -1.0 / (params.group - 1)
        t[lay.sites[g, lay.pilot_symbols[g]]] = 1.0
    return t.reshape(params.tile, params.tile)


def _bilinear(a: np.ndarray, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
    h, w = a.shape
    ys = np.clip(ys, 0, h - 1.001)
    xs = np.clip(xs, 0, w - 1.001)
    y0, x0 = ys.astype(int), xs.astype(int)
    fy, fx = ys - y0, xs - x0
    return (a[y0, x0] * (1 - fy) * (1 - fx) + a[y0, x0 + 1] * (1 - fy) * fx
            + a[y0 + 1, x0] * fy * (1 - fx) + a[y0 + 1, x0 + 1] * fy * fx)


def _turns(grid: Grid, ok: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """(row, col) page-lattice coordinates of the read sites for the page upright, turned a
    quarter turn either way and upside down."""
    u, v = grid.u[ok], grid.v[ok]
    return [(v, u), (u, -v), (-v, -u), (-u, v)]


def _lse(a: np.ndarray, axis: int) -> np.ndarray:
    m = a.max(axis=axis, keepdims=True)
    return (m + np.log(np.exp(a - m).sum(axis=axis, keepdims=True))).squeeze(axis)


def _channel_llrs(key: bytes, p: Params, s: np.ndarray, pos: np.ndarray) -> tuple[np.ndarray, str]:
    """Channel-bit LLRs from readings ``s`` at tile positions ``pos``: amplitude from the
    pilot marks, noise from the pilots' empty sites, one "mark here" LLR per reading
    (clipped, so a stray speck cannot outvote many readings), summed per position, then
    marginalised over each group's symbols."""
    lay = layout(key, p)
    tmpl = _pilot_template(key, p).ravel()
    at_mark, at_empty = tmpl[pos] > 0, tmpl[pos] < 0
    a = float(np.median(s[at_mark])) if at_mark.sum() >= 4 else 1.0
    empty = s[at_empty] if at_empty.sum() >= 20 else s
    sigma = float(1.4826 * np.median(np.abs(empty - np.median(empty))))
    a = max(a, 0.2)
    # a dithered or thresholded image reads exactly zero at most empty sites: the median
    # deviation then says nothing, and the spread of the clipped readings is used instead
    sigma = max(sigma, 0.7 * float(np.std(np.clip(empty, -2 * a, 2 * a))))
    sigma = max(sigma, 0.1 * a)
    sc = np.clip(s, -3 * sigma, a + 3 * sigma)
    llr = a * (sc - a / 2) / (sigma * sigma)
    lam = np.bincount(pos, weights=llr, minlength=p.tile * p.tile)
    sym = lam[lay.sites[p.pilots:]]
    weights = 1 << np.arange(p.symbol_bits - 1, -1, -1)
    has = (np.arange(p.group)[:, None] & weights[None, :]) > 0
    out = np.zeros((sym.shape[0], p.symbol_bits))
    for b in range(p.symbol_bits):
        out[:, b] = (_lse(np.where(~has[:, b][None, :], sym, -np.inf), 1)
                     - _lse(np.where(has[:, b][None, :], sym, -np.inf), 1))
    return np.clip(out, -40, 40).ravel(), f"mark {a:.2f}, noise {sigma:.2f}"


def read(image: Image.Image, key: bytes, params: Params = DEFAULT) -> Reading:
    """Find and read the fingerprint of ``key`` in ``image``; see the module notes."""
    return read_keys(image, [key], params)[0]


def read_keys(image: Image.Image, keys: list[bytes], params: Params = DEFAULT) -> list[Reading]:
    """:func:`read` under several keys at once, one reading per key in order. Everything up
    to the placed sites (views, darkness, responses, lattices, tracking) does not depend on
    the key and is done once; each key then has its own tile sync and decoding, with the
    same attempts and outcome as :func:`read` alone.

    When no view names every key, the image is read once more with a photo's perspective
    undone (:func:`_untilted`): one more view, whose attempts count like the others'."""
    t0 = time.perf_counter()
    notes: list[list[str]] = [[] for _ in keys]
    states = [{"attempts": 0, "best": 0.0, "pitch": 0.0, "angle": 0.0, "sites": 0} for _ in keys]
    out: list[Reading | None] = [None] * len(keys)
    pending = list(range(len(keys)))
    views = _views(image) if keys else []
    tilt_tried = False
    while views and pending:
        view, how = views.pop(0)
        _read_view(view, how, keys, params, states, notes, out, pending, t0)
        if not views and pending and not tilt_tried:
            tilt_tried = True
            flat = _untilted(image)
            if flat is not None:
                views.append((flat, "untilted "))
    for i in pending:
        notes[i].append("no number: " + ("a pattern of this key was found but did not decode"
                                         if states[i]["best"] >= Z_ACCEPT
                                         else "no pattern of this key found"))
        out[i] = _result(None, states[i], notes[i], t0)
    return [r for r in out if r is not None]


def _read_view(view: Image.Image, how: str, keys: list[bytes], params: Params, states: list[dict],
               notes: list[list[str]], out: list[Reading | None], pending: list[int], t0: float) -> None:
    """Read one view of the image at each level under every key still ``pending``; a key
    whose number is found gets its reading in ``out`` and leaves ``pending``."""
    grey, factor = to_grey(view)
    responses = _Responses(grey)
    for shrink_by, pitches in LEVELS:
        if min(grey.shape) // shrink_by < 96 or not pending:
            break
        probe = responses.get(shrink_by, PROBE_PITCH)[2]
        for li, lat in enumerate(find_lattices(probe, pitches, limit=MAX_LATTICES)):
            where = f"{how}level 1/{shrink_by} lattice {li}"
            sample = _sample(responses, shrink_by, lat, params, factor / shrink_by, where,
                             [notes[i] for i in pending])
            if sample is None:
                continue
            for i in list(pending):
                found = _sync_decode(sample, keys[i], params, states[i], notes[i])
                if found is not None:
                    out[i] = _result(found, states[i], notes[i], t0)
                    pending.remove(i)
            if not pending:
                return


def _untilted(image: Image.Image) -> Image.Image | None:
    """The image with a photo's perspective undone, or None when there is no clear one.

    The tilt is found from the local spectra of the dot lattice that every copy's page
    carries beside these marks (:mod:`watermark.pattern_tilt`): its black dots are sharp
    and survive a phone photo, and both lattices lie on the same sheet, so undoing the
    sheet's tilt brings this layer's lattice back to one frequency too. Measured on phone
    photos of paragraph crops, where this reader found the screen's or the text's lattice
    first and tracked the marks only loosely."""
    from mijian.watermark.pattern_image import to_grey as dot_grey
    from mijian.watermark.pattern_tilt import untilted

    grey, _factor = dot_grey(image)
    _tilt, flat = untilted(grey, DOT_PITCHES)
    return None if flat is None else Image.fromarray(np.clip(flat, 0, 255).astype(np.uint8))


DOT_PITCHES = (2.8, 14.0)
"""Pitches (px) of the dot lattice looked for when finding a tilt (the dot pattern's own
decoder looks for the same)."""


FAX_STRETCH = 204 / 98
"""A 1-bit image may be a standard-resolution fax (204 x 98 dpi): it is read as it is and
also stretched upright by this factor, which makes its lattice square again."""


FAX_BLUR = 1.2
"""Blur (px) of the stretched fax view: error diffusion renders a faint mark as a few
scattered black pixels, and a blur of about a fax line turns them back into a grey level."""


def _views(image: Image.Image) -> list[tuple[Image.Image, str]]:
    """The image as given, and for a two-level image (a fax) also stretched upright; the
    stretched view first when the image is wider than tall (a portrait page at 204 x 98
    dpi is: 0.68 times as tall as wide), so that a fax is read at its first view."""
    views = [(image, "")]
    if image.mode == "1" or _bilevel(image):
        tall = (image.width, round(image.height * FAX_STRETCH))
        tall_img = image.convert("L").resize(tall, Image.Resampling.BILINEAR)
        stretched = (tall_img.filter(ImageFilter.GaussianBlur(FAX_BLUR)), "fax-stretched ")
        views.insert(0 if image.width > image.height else 1, stretched)
    return views


def _bilevel(image: Image.Image) -> bool:
    """Whether (almost) every pixel is black or white."""
    small = image.convert("L")
    if max(small.size) > 800:
        small = small.resize((small.width // 4 or 1, small.height // 4 or 1), Image.Resampling.NEAREST)
    a = np.asarray(small)
    return bool(np.mean((a > 16) & (a < 240)) < 0.01)


def _result(found: tuple[int, int, int] | None, state: dict, notes: list[str], t0: float) -> Reading:
    number, corrected, used = found if found else (None, 0, 0)
    attempts = max(int(state["attempts"]), 1)
    fm = attempts * 2.0 ** -(DEFAULT.check_bits + DEFAULT.payload_bits) if found else 0.0
    return Reading(number, float(state["best"]), fm, int(state["attempts"]), corrected, used,
                   float(state["pitch"]), float(state["angle"]), int(state["sites"]),
                   time.perf_counter() - t0, tuple(notes))


PROBE_PITCH = 6.0
"""Pitch (px) the mark response is tuned to when looking for the lattice."""
SHARE_WITHIN = 0.01
"""A lattice reuses a response already computed for a pitch within this fraction of its own
(the probe's, or another lattice's); otherwise it gets a response tuned to its own pitch.
The tolerance is tight on purpose: tracking follows the isolated maxima of the response, and
on a small crop of a chat forward (a few thousand sites) a response tuned 8 % off the
lattice's pitch moved enough maxima to lose the tile sync (pilot z 8.3 fell to 5.9 and the
crop no longer decoded), while the readings themselves barely depend on the tuning."""


class _Responses:
    """Darkness images and mark responses of one grey view, at a few shrink factors and
    pitches, each computed once: (response, ink mask, isolated maxima).

    Each level of :data:`LEVELS` has the paper level found on its own shrunk grey image (its
    24-pixel blocks cover twice as much of the page at level 1/2); a coarser factor (a
    lattice of more than 9 px read at half resolution) is the block mean of its level's
    darkness. Taking
    every level as the block mean of the full-resolution darkness instead normalised the
    paper over blocks half as wide, which turned a perspective crop's tile sync to a wrong
    page turn (z 6.5, no decode, where the level's own darkness gave z 6.2 and the number)."""

    def __init__(self, grey: np.ndarray) -> None:
        self.grey = grey
        self.dark: dict[int, np.ndarray] = {}
        self.done: dict[tuple[int, float], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    def darkness(self, by: int) -> np.ndarray:
        """Darkness relative to the paper of the view shrunk ``by`` times (see the class notes)."""
        if by not in self.dark:
            if by in {level for level, _pitches in LEVELS} or by % 2:
                self.dark[by] = paper_darkness(shrink(self.grey, by))
            else:
                self.dark[by] = shrink(self.darkness(by // 2), 2)
        return self.dark[by]

    def get(self, by: int, pitch: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The response of the view shrunk ``by`` times, tuned to ``pitch`` (or to a pitch
        within :data:`SHARE_WITHIN` of it already computed)."""
        for (done_by, tuned), found in self.done.items():
            if done_by == by and abs(tuned - pitch) <= SHARE_WITHIN * pitch:
                return found
        resp, ink = mark_response(self.darkness(by), pitch)
        self.done[by, pitch] = (resp, ink, mark_points(resp, ink, pitch))
        return self.done[by, pitch]


@dataclass(frozen=True)
class _Sample:
    """The sites of one tracked lattice: the grid, which sites lie on paper, their
    normalised readings, and the lattice's pitch (px of the given image) and angle."""

    grid: Grid
    ok: np.ndarray
    s: np.ndarray
    pitch: float
    angle: float
    where: str


def _sample(responses: _Responses, by: int, lat: Lattice, p: Params, scale: float, where: str,
            notes: list[list[str]]) -> _Sample | None:
    """Track one candidate lattice and read every site on paper (the key plays no part);
    the failure, if any, is noted for every key still looked for. A lattice of more than
    9 px a pitch is read at half the resolution (as well resolved, four times faster)."""
    if lat.pitch > 9.0:
        by *= 2
        lat = Lattice(lat.k1 * 2, lat.k2 * 2, lat.strength)
        scale /= 2
    resp, ink, points = responses.get(by, lat.pitch)
    grid = track(points, lat)
    failed = None
    if grid is None:
        failed = f"{where}: pitch {lat.pitch / scale:.2f} px, tracking failed"
    else:
        r = _bilinear(resp, grid.y, grid.x)
        ok = ~ink[np.clip(np.round(grid.y).astype(int), 0, ink.shape[0] - 1),
                  np.clip(np.round(grid.x).astype(int), 0, ink.shape[1] - 1)]
        if ok.sum() < 4 * p.group:
            failed = f"{where}: only {int(ok.sum())} sites on paper"
    if grid is None or failed is not None:
        for n in notes:
            n.append(str(failed))
        return None
    r = r[ok]
    top = np.sort(r)[-max(4, len(r) // 40):]
    level = max(float(np.median(top)), 1e-6)
    return _Sample(grid, ok, np.clip(r / level, -1.5, 2.0), lat.pitch / scale, lat.angle_deg,
                   f"{where}: pitch {lat.pitch / scale:.2f} px, angle {lat.angle_deg:+.1f} deg, "
                   f"{int(ok.sum())} sites, fit {grid.residual:.2f} pitch on {grid.cells} cells")


def _sync_decode(sample: _Sample, key: bytes, p: Params, state: dict,
                 notes: list[str]) -> tuple[int, int, int] | None:
    """Synchronise the tile under ``key`` and decode; the number, corrected and used bits
    on success."""
    s, grid, ok = sample.s, sample.grid, sample.ok
    t_hat = np.fft.fft2(_pilot_template(key, p))
    synced = []
    for turn, (rows, cols) in enumerate(_turns(grid, ok)):
        fsum = np.zeros((p.tile, p.tile))
        np.add.at(fsum, (rows % p.tile, cols % p.tile), s)
        score = np.real(np.fft.ifft2(np.conj(np.fft.fft2(fsum)) * t_hat)).ravel()
        rest = np.sort(score)[:-4]
        z = (score - rest.mean()) / (rest.std() + 1e-9)
        order = np.argsort(z)[::-1][:MAX_ORIGINS]
        synced.append((float(z[order[0]]), turn, rows, cols, z, order))
    synced.sort(key=lambda item: -item[0])
    notes.append(f"{sample.where}, sync z {synced[0][0]:.1f}")
    if synced[0][0] > state["best"]:
        state.update(best=synced[0][0], pitch=sample.pitch, angle=sample.angle,
                     sites=int(ok.sum()))
    for _zt, turn, rows, cols, z, order in synced[:MAX_TURNS]:
        for o in order:
            if z[o] < Z_ACCEPT:
                break
            state["attempts"] += 1
            oy, ox = divmod(int(o), p.tile)
            pos = ((rows + oy) % p.tile) * p.tile + (cols + ox) % p.tile
            llr, amp = _channel_llrs(key, p, s, pos)
            res = decode(key, llr, p)
            tag = f"turn {turn}, origin ({oy},{ox}) z {z[o]:.1f}, {amp}"
            if res.number is not None:
                notes.append(f"{tag}: check passed, {res.corrected}/{res.used} bits corrected")
                return res.number, res.corrected, res.used
            notes.append(f"{tag}: keyed check failed")
    return None
