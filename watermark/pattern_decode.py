"""Decoding side of the page pattern: find the dot lattice in an image, synchronise the
keyed pilots and read the payload (no original needed).

:mod:`watermark.pattern` describes the method and the false-match bound, and re-exports
every public name here. The image steps are in :mod:`watermark.pattern_image` (and the
modules it gathers); the soft evidence from the read sites in :mod:`watermark.pattern_llr`;
the error-correcting code in :mod:`watermark.pattern_code`.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass

import numpy as np
from PIL import Image

from mijian.watermark.pattern_code import PatternParams, decode_llr
from mijian.watermark.pattern_geometry import rectify
from mijian.watermark.pattern_image import (
    Grid,
    Lattice,
    bilinear,
    darkness,
    dot_response,
    find_lattices,
    locate_sites,
    site_response,
    to_grey,
)
from mijian.watermark.pattern_llr import bit_llrs, overlap_share, pilot_template, site_llrs, turns
from mijian.watermark.pattern_payload import BASE_DPI, PatternKey, as_key
from mijian.watermark.pattern_tilt import untilted

Z_ACCEPT = 5.0
"""Pilot synchronisation z-score an origin needs before its payload is read (see
:mod:`watermark.pattern`)."""
OVERLAP_SEVERAL = 0.7
"""An unreadable but synchronised pattern whose :attr:`Detection.overlap` reaches this holds
the marks of several copies (two averaged copies measure 0.8-0.95, one copy 0-0.45)."""
_MAX_ORIGINS = 2
_MAX_TURNS = 2
STRAIGHTEN_RESIDUAL = 0.05
"""A lattice fitted with a median error above this (in pitches) is straightened and read
again when nothing decodes (see :func:`_decode_grey`)."""
STRAIGHTEN_Z = 3.5
"""...provided its pilots synchronised at least this well (a pattern is likely there)."""


@dataclass(frozen=True)
class Detection:
    """What :func:`decode` found in one image.

    Attributes:
        payload: the payload (8 bytes for a 60-bit copy number, 4 bytes for a 32-bit
            fingerprint number, as the key's params say) if every check passed, else None.
        statistic: pilot synchronisation z-score of the best tile origin (0 if no lattice).
        false_match_probability: bound on the chance that an image without this key's
            pattern returns a payload equal to one given registered copy or number (one
            lookup; multiply by the register size, see module doc).
        bits_corrected: channel bits whose hard decision the decoder overrode.
        bits_used: channel bits that had any evidence.
        pitch_px: lattice pitch found in the image (pixels of the image as given).
        angle_deg: lattice rotation found.
        sites: lattice sites read on paper (not under text).
        seconds: decode time.
        notes: what was found, step by step.
    """

    payload: bytes | None
    statistic: float
    false_match_probability: float
    bits_corrected: int
    bits_used: int
    pitch_px: float
    angle_deg: float
    sites: int
    seconds: float
    notes: tuple[str, ...]
    overlap: float = 0.0
    """Share of data groups showing a second dot as strong as their first, at the best
    origin (0 when no pattern was synchronised): about 0 for one copy's marks, near 1 where
    two copies' page images were averaged (see :data:`OVERLAP_SEVERAL`)."""

    @property
    def found(self) -> bool:
        """Whether a payload was accepted."""
        return self.payload is not None


def decode(image: Image.Image, key: bytes | PatternKey, dpi_hint: int | None = None,
           perspective: bool = False) -> Detection:
    """Find and read the page pattern of ``key`` in ``image`` (no original needed).

    ``dpi_hint`` (the image's resolution relative to the printed page, if known) narrows the
    lattice search; without it pitches from 2.8 to 14 px are tried (60-260 dpi after large
    images are shrunk); when nothing decodes and ``perspective`` is set, once more with a
    photo's perspective undone (:func:`_decode_untilted`), and again at half resolution (up to
    28 px). Returns a :class:`Detection`; its payload is None unless the synchronisation
    statistic and the keyed check both pass.

    ``perspective`` is for an image read whole (a photo, a crop, a whole page): a region cut
    from a page (a band, half or strip) is read without it, so that the extra view cannot
    name one copy in a region where the pieces of another copy are meant to be found, and
    because a tilt fitted to a region is less sure than one fitted to the image it lies in.
    """
    t0 = time.perf_counter()
    pkey = as_key(key)
    p = pkey.params
    notes: list[str] = []
    grey, factor = to_grey(image)
    if min(grey.shape) < 4 * p.pitch:
        return _fail(["image too small"], t0)
    if dpi_hint:
        expect = p.pitch * dpi_hint / BASE_DPI * factor
        pitch_range = (0.8 * expect, 1.25 * expect)
    else:
        pitch_range = (2.8, 14.0)
    found, attempts = _decode_grey(grey, factor, pkey, pitch_range, t0, notes, 0)
    if found.payload is None and perspective:
        found, attempts = _decode_untilted(grey, factor, pkey, pitch_range, t0, notes, attempts, found)
    if found.payload is None and dpi_hint is None and min(grey.shape) >= 200:
        # dots larger than the search expects (a crop of a 300 dpi scan is not shrunk):
        # look again at half the resolution; the attempts add up in the bound
        notes.append("again at half resolution:")
        again, attempts = _decode_grey(_halve(grey), factor / 2, pkey, pitch_range, t0, notes,
                                       attempts)
        if again.payload is not None or again.statistic > found.statistic:
            found = again
    return dataclasses.replace(found, notes=tuple(notes), seconds=time.perf_counter() - t0)


def _decode_untilted(grey: np.ndarray, factor: float, pkey: PatternKey, pitch_range: tuple[float, float],
                     t0: float, notes: list[str], attempts: int, found: Detection) -> tuple[Detection, int]:
    """When nothing decoded: the image's tilt (a photo's perspective) from the lattice's
    local spectra (:func:`watermark.pattern_tilt.find_tilt`), and if there is a clear one,
    one more pass over the image with the tilt undone; its attempts add up in the bound.
    Returns the better of ``found`` and that pass, and the attempts made so far."""
    tilt, flat = untilted(grey, pitch_range)
    if tilt is None or flat is None:
        return found, attempts
    notes.append(f"tilt ({tilt.p[0]:+.3f}, {tilt.p[1]:+.3f}) from {tilt.agreeing} of {tilt.windows} "
                 "windows; read again with it undone:")
    again, attempts = _decode_grey(flat, factor, pkey, pitch_range, t0, notes, attempts)
    if again.payload is not None or again.statistic > found.statistic:
        return again, attempts
    return found, attempts


def _halve(grey: np.ndarray) -> np.ndarray:
    """The grey image at half resolution (means of 2 x 2 pixels)."""
    h, w = grey.shape[0] // 2, grey.shape[1] // 2
    return grey[:2 * h, :2 * w].reshape(h, 2, w, 2).mean(axis=(1, 3)).astype(np.float32)


def _fail(notes: list[str], t0: float) -> Detection:
    """The detection of an image where no lattice could be read."""
    return Detection(None, 0.0, 0.0, 0, 0, 0.0, 0.0, 0, time.perf_counter() - t0, tuple(notes))


@dataclass(frozen=True)
class _Sync:
    """The pilots' synchronisation for one turn of the page: the best origin's z-score, the
    turn, the page lattice coordinates of the read sites, the summed readings of the tile,
    the z-score of every origin, and the best origins (at most ``_MAX_ORIGINS``)."""

    z: float
    turn: int
    rows: np.ndarray
    cols: np.ndarray
    fsum: np.ndarray
    z_all: np.ndarray
    order: np.ndarray


@dataclass(frozen=True)
class _LatticeRead:
    """What reading one candidate lattice gave: a detection with a payload if one decoded,
    else None; the detection standing for the lattice (its sync z, no payload); its sites;
    and the attempts made so far."""

    found: Detection | None
    candidate: Detection
    grid: Grid
    attempts: int


def _decode_grey(grey: np.ndarray, factor: float, pkey: PatternKey,
                 pitch_range: tuple[float, float], t0: float, notes: list[str],
                 attempts: int, straighten: bool = True, window: int = 5) -> tuple[Detection, int]:
    """One decoding pass over a grey image (``factor``: its scale relative to the image as
    given); ``attempts`` made before this pass count in the false-match bound. Returns the
    detection and the attempts made so far.

    When nothing decodes but a lattice was fitted only loosely (a photo's perspective
    makes the local phases noisy), the image is resampled along that fit so that the lattice
    runs straight, and read once more (``straighten``: whether this may happen)."""
    dark, valid = darkness(grey)
    lattices = find_lattices(dark, pitch_range, limit=2)
    if not lattices:
        notes.append("no dot lattice in the image's spectrum")
        return _fail(notes, t0), attempts
    t_hat = np.fft.fft2(pilot_template(pkey))
    best: Detection | None = None
    loose = None  # (sync z, grid, pitch) of the best loosely fitted lattice
    for li, lat in enumerate(lattices):
        read = _read_lattice(li, lat, dark, valid, factor, pkey, t_hat, t0, notes, attempts, window)
        if read is None:
            continue
        attempts = read.attempts
        if read.found is not None:
            return read.found, attempts
        z = read.candidate.statistic
        if best is None or z > best.statistic:
            best = read.candidate
        if read.grid.residual > STRAIGHTEN_RESIDUAL and (loose is None or z > loose[0]):
            loose = (z, read.grid, lat.pitch)
        if z >= Z_ACCEPT + 3:
            break
    if straighten and loose is not None and loose[0] >= STRAIGHTEN_Z:
        _z, grid, pitch = loose
        straight = rectify(grey, grid.project, grid.rows, grid.cols, pitch)
        if straight is not None:
            notes.append(f"straightened along the fit (residual {grid.residual:.3f} pitch):")
            again, attempts = _decode_grey(straight, factor, pkey, (0.9 * pitch, 1.1 * pitch), t0,
                                           notes, attempts, straighten=False)
            if again.payload is not None or best is None or again.statistic > best.statistic:
                return again, attempts
    if best is None:
        return _fail(notes, t0), attempts
    notes.append("no payload: " + ("pattern present but unreadable" if best.statistic >= Z_ACCEPT
                                   else "no pattern of this key found"))
    return dataclasses.replace(best, seconds=time.perf_counter() - t0, notes=tuple(notes)), attempts


def _read_lattice(li: int, lat: Lattice, dark: np.ndarray, valid: np.ndarray, factor: float,
                  pkey: PatternKey, t_hat: np.ndarray, t0: float, notes: list[str], attempts: int,
                  window: int) -> _LatticeRead | None:
    """Locate and read the sites of candidate lattice number ``li``, synchronise the pilots
    and read the best origins; None (with a note) when its sites cannot be located or too
    few of them lie on paper."""
    p = pkey.params
    pitch_img = lat.pitch / factor
    grid = locate_sites(dot_response(dark, lat.pitch), lat, valid, window)
    if grid is None:
        notes.append(f"lattice {li}: pitch {pitch_img:.2f} px, phase tracking failed")
        return None
    r, ok = _site_readings(dark, valid, lat.pitch, grid)
    n_ok = int(ok.sum())
    if n_ok < 2 * p.group:
        notes.append(f"lattice {li}: only {n_ok} sites on paper")
        return None
    s = _scaled(r[ok], n_ok)
    synced = _synchronise(p, t_hat, grid.rows[ok], grid.cols[ok], s)
    top = synced[0]
    overlap = overlap_share(pkey, top.fsum, *divmod(int(top.order[0]), p.tile)) if top.z >= Z_ACCEPT else 0.0
    notes.append(f"lattice {li}: pitch {pitch_img:.2f} px, angle {lat.angle_deg:+.2f} deg, "
                 f"{n_ok} paper sites, fit residual {grid.residual:.3f} pitch, sync z {top.z:.1f}")
    candidate = Detection(None, top.z, 0.0, 0, 0, pitch_img, lat.angle_deg, n_ok, 0.0, (), overlap)
    found, attempts = _read_origins(pkey, synced, s, candidate, t0, notes, attempts)
    return _LatticeRead(found, candidate, grid, attempts)


def _site_readings(dark: np.ndarray, valid: np.ndarray, pitch: float,
                   grid: Grid) -> tuple[np.ndarray, np.ndarray]:
    """The dot response read at every located site, and which sites count: on paper and
    with no ink in their own cell."""
    resp = site_response(dark, pitch)
    r = bilinear(resp.resp, grid.ys, grid.xs)
    busy = bilinear(resp.busy.astype(np.float32), grid.ys, grid.xs)
    ok = (busy < 0.5) & valid[np.clip(grid.ys.astype(int), 0, valid.shape[0] - 1),
                              np.clip(grid.xs.astype(int), 0, valid.shape[1] - 1)]
    return r, ok


def _scaled(r: np.ndarray, n_ok: int) -> np.ndarray:
    """Readings in units of a dot's: divided by the median of the strongest 2 % (at least
    three times the noise), clipped to [-1, 1.5] so that no blot outweighs the rest."""
    level = float(np.median(np.sort(r)[-max(3, n_ok // 50):]))
    noise = float(1.4826 * np.median(np.abs(r - np.median(r)))) + 1e-9
    if level <= 3 * noise:
        level = 3 * noise
    return np.clip(r / level, -1.0, 1.5)


def _synchronise(p: PatternParams, t_hat: np.ndarray, rows: np.ndarray, cols: np.ndarray,
                 s: np.ndarray) -> list[_Sync]:
    """The pilots' synchronisation for each turn of the page, best first.

    The page may lie turned by a quarter or half turn in the image (a sideways scan, an
    upside-down photo): the pilots of the right turn synchronise, the others do not. Each
    origin's z-score is its correlation with the pilot template against the spread of all
    but the four best origins."""
    synced = []
    for turn, (rows_abs, cols_abs) in enumerate(turns(rows, cols)):
        fsum = np.zeros((p.tile, p.tile))
        np.add.at(fsum, (rows_abs % p.tile, cols_abs % p.tile), s)
        score = np.real(np.fft.ifft2(np.conj(np.fft.fft2(fsum)) * t_hat))
        flat = score.ravel()
        rest = np.sort(flat)[:-4]
        z_all = (flat - float(rest.mean())) / (float(rest.std()) + 1e-9)
        order = np.argsort(z_all)[::-1][:_MAX_ORIGINS]
        synced.append(_Sync(float(z_all[order[0]]), turn, rows_abs, cols_abs, fsum, z_all, order))
    synced.sort(key=lambda t: -t.z)
    return synced


def _read_origins(pkey: PatternKey, synced: list[_Sync], s: np.ndarray, candidate: Detection,
                  t0: float, notes: list[str], attempts: int) -> tuple[Detection | None, int]:
    """Decode at each synchronised origin (z at least ``Z_ACCEPT``) of the two best turns,
    best first; the first payload whose keyed check passes is returned (with the attempts
    made so far), else None.

    Where only the black dots survive, the pilots synchronise weakly and a wrong turn can
    score a little higher: hence two turns are read."""
    p = pkey.params
    for sync in synced[:_MAX_TURNS]:
        for oi in sync.order:
            zi = float(sync.z_all[oi])
            if zi < Z_ACCEPT:
                break
            attempts += 1
            oy, ox = divmod(int(oi), p.tile)
            lam, amp_note = site_llrs(pkey, s, sync.rows, sync.cols, oy, ox)
            res = decode_llr(pkey.key, p, bit_llrs(pkey, lam))
            fm = attempts * 2.0 ** -(p.check_bits + p.payload_bits)
            where = f"turn {sync.turn}, origin ({oy},{ox}) z {zi:.1f}, {amp_note}"
            if res.payload is not None:
                notes.append(f"{where}: check passed, {res.corrected}/{res.used} channel "
                             "bits corrected")
                return dataclasses.replace(
                    candidate, payload=res.payload, statistic=zi, false_match_probability=fm,
                    bits_corrected=res.corrected, bits_used=res.used,
                    angle_deg=candidate.angle_deg + 90 * sync.turn,
                    seconds=time.perf_counter() - t0, notes=tuple(notes)), attempts
            notes.append(f"{where}: keyed check failed ({res.corrected}/{res.used} bits "
                         "disagree)")
    return None, attempts
