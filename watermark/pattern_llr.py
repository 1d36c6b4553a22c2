"""Soft evidence of the page pattern's decoder: from the readings of the lattice sites to
channel-bit log-likelihood ratios under a key.

The keyed pilots give the tile origin (:func:`pilot_template`); for an origin,
:func:`site_llrs` weighs each reading by the amplitude of its class (black or grey dot,
which of the 50 rotations applies being read from the strongest dot of each group) and sums
the readings of every tile position; :func:`bit_llrs` marginalises the symbol likelihoods of
each group to its bits. :func:`overlap_share` measures how many groups show a second dot
(two copies averaged).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from mijian.watermark.pattern_code import PatternParams, layout
from mijian.watermark.pattern_payload import PatternKey


def pilot_template(pkey: PatternKey) -> np.ndarray:
    """The tile of pilot weights (1 at each pilot's dot, -1/31 at its other sites, 0 at the
    data groups' sites), correlated with the tile of summed readings to find the origin."""
    p = pkey.params
    lay = layout(pkey.key, p)
    t = np.zeros(p.tile * p.tile)
    for g in range(p.pilots):
        t[lay.sites[g]] = -1.0 / (p.group - 1)
        t[lay.sites[g, lay.pilot_symbols[g]]] = 1.0
    return t.reshape(p.tile, p.tile)


def _lse(a: np.ndarray, axis: int) -> np.ndarray:
    """Log of the sum of exponentials along ``axis`` (computed from the maximum up)."""
    m = a.max(axis=axis, keepdims=True)
    return (m + np.log(np.exp(a - m).sum(axis=axis, keepdims=True))).squeeze(axis)


def site_llrs(pkey: PatternKey, x: np.ndarray, rows: np.ndarray, cols: np.ndarray,
              oy: int, ox: int) -> tuple[np.ndarray, str]:
    """Per tile position, the log-likelihood ratio "dot here" vs "no dot", summed over every
    reading of that position, with the dot amplitude of each reading taken from whether its
    group was printed black or grey in its tile (which of the 50 rotations applies is found
    from the readings themselves); also a note of the amplitudes, noise and rotation."""
    p = pkey.params
    lay = layout(pkey.key, p)
    T = p.tile
    group_of, slot_of = tile_maps(pkey)
    ra, ca = rows + oy, cols + ox
    pidx = (ra % T) * T + (ca % T)
    tr, tc = ra // T, ca // T
    g = group_of[pidx]
    rank = np.empty(p.groups, np.int64)
    rank[lay.dark_order] = np.arange(p.groups)
    step_r = 3 * p.dark_per_tile + 1
    q = (rank[g] - p.dark_per_tile * tc - step_r * tr) % p.groups
    peak, full, q_pair = _group_peaks(p, x, g, tr, tc, q)
    base = _rotation(p, peak, full, q_pair)
    dark_obs = ((q - base) % p.groups) < p.dark_per_tile
    # amplitudes: readings at pilot dots, and the peaks of well-seen groups
    is_pilot_dot = (g < p.pilots) & (slot_of[pidx] == lay.pilot_symbols[np.minimum(g, p.pilots - 1)])
    is_pilot_empty = (g < p.pilots) & ~is_pilot_dot
    dark_pair = ((q_pair - base) % p.groups) < p.dark_per_tile
    a_d, a_l = _amplitudes(x, x[is_pilot_dot], dark_obs[is_pilot_dot], peak[full], dark_pair[full])
    empty = x[is_pilot_empty] if is_pilot_empty.sum() >= 20 else x
    sigma = float(1.4826 * np.median(np.abs(empty - np.median(empty))))
    sigma = max(sigma, 0.03 * a_d, 0.2 * a_l)
    a = np.where(dark_obs, a_d, a_l)
    half_span = a / 2 + 3 * sigma
    xc = np.clip(x, a / 2 - half_span, a / 2 + half_span)
    llr = a * (xc - a / 2) / (sigma * sigma)
    lam = np.bincount(pidx, weights=llr, minlength=T * T)
    note = f"amplitudes black {a_d:.3g} grey {a_l:.3g}, noise {sigma:.3g}, rotation {base}"
    return lam, note


def _group_peaks(p: PatternParams, x: np.ndarray, g: np.ndarray, tr: np.ndarray, tc: np.ndarray,
                 q: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For every (tile, group) read: its strongest reading (a black group shows a strong
    one), whether at least half its sites were read, and its place ``q`` in the rotation
    of black groups."""
    tkey = ((tr - tr.min()) * (tc.max() - tc.min() + 1) + (tc - tc.min())) * p.groups + g
    uk, inv = np.unique(tkey, return_inverse=True)
    peak = np.full(len(uk), -np.inf)
    np.maximum.at(peak, inv, x)
    n_seen = np.bincount(inv, minlength=len(uk))
    q_pair = np.zeros(len(uk), np.int64)
    q_pair[inv] = q
    full = n_seen >= p.group // 2
    return peak, full, q_pair


def _rotation(p: PatternParams, peak: np.ndarray, full: np.ndarray, q_pair: np.ndarray) -> int:
    """Which of the rotations of black groups the readings show: the start of the run of
    ``dark_per_tile`` places whose well-read groups peak highest above the median."""
    hist = np.bincount(q_pair[full], weights=peak[full] - np.median(peak[full]) if full.any() else None,
                       minlength=p.groups) if full.any() else np.zeros(p.groups)
    window = np.zeros(p.groups)
    window[:p.dark_per_tile] = 1.0
    # score[b] = sum of hist[(b + j) % groups] for j < dark_per_tile
    score = np.real(np.fft.ifft(np.conj(np.fft.fft(window)) * np.fft.fft(hist)))
    return int(np.argmax(score))


def _amplitudes(x: np.ndarray, pilot_dots: np.ndarray, pilot_dark: np.ndarray, peaks: np.ndarray,
                peak_dark: np.ndarray) -> tuple[float, float]:
    """Reading amplitudes of a black and of a grey dot: the medians of the readings at pilot
    dots and of the peaks of well-read groups of each class, with fallbacks where a class
    has fewer than three of them (the grey amplitude at most the black one)."""
    amp = []
    for cls in (False, True):
        vals = np.concatenate([pilot_dots[pilot_dark == cls], peaks[peak_dark == cls]])
        amp.append(float(np.median(vals)) if len(vals) >= 3 else float("nan"))
    a_l, a_d = amp
    top = float(np.percentile(x, 99.5))
    if not np.isfinite(a_d) or a_d < 0.1 * top:
        # too few black readings on paper (a small or dense crop) or most of them off the
        # page (a photo's surround): the strongest readings stand for the black dots
        a_d = top
    if not np.isfinite(a_l):
        a_l = 0.15 * a_d
    a_d = max(a_d, 1e-6)
    a_l = float(np.clip(a_l, 0.0, a_d))
    return a_d, a_l


@lru_cache(maxsize=8)
def tile_maps(pkey: PatternKey) -> tuple[np.ndarray, np.ndarray]:
    """Group and slot of every tile position."""
    p = pkey.params
    lay = layout(pkey.key, p)
    group_of = np.empty(p.tile * p.tile, np.int64)
    slot_of = np.empty(p.tile * p.tile, np.int64)
    group_of[lay.sites.ravel()] = np.repeat(np.arange(p.groups), p.group)
    slot_of[lay.sites.ravel()] = np.tile(np.arange(p.group), p.groups)
    return group_of, slot_of


def turns(rows: np.ndarray, cols: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Page lattice coordinates of the image's sites for the page upright, turned a quarter
    turn either way, and upside down (the image's axes always run right and down)."""
    return [(rows, cols), (cols, -rows), (-rows, -cols), (-cols, rows)]


def overlap_share(pkey: PatternKey, fsum: np.ndarray, oy: int, ox: int) -> float:
    """Share of the data groups whose second-strongest site (readings summed over the tiles,
    origin ``oy``, ``ox``) is at least half as strong as their strongest: one copy puts one
    dot in each group, two averaged copies put two (:attr:`watermark.pattern.Detection.overlap`)."""
    p = pkey.params
    lay = layout(pkey.key, p)
    rows, cols = np.divmod(lay.sites[p.pilots:], p.tile)
    values = np.sort(fsum[(rows - oy) % p.tile, (cols - ox) % p.tile], axis=1)
    first, second = values[:, -1], values[:, -2]
    seen = first > 0
    if seen.sum() < 10:
        return 0.0
    return float(np.mean(second[seen] >= 0.5 * first[seen]))


def bit_llrs(pkey: PatternKey, lam: np.ndarray) -> np.ndarray:
    """Channel-bit LLRs (positive favours 0) from the tile positions' dot LLRs: one dot per
    group, so each symbol's likelihood is exp(lam) at its site."""
    p = pkey.params
    lay = layout(pkey.key, p)
    sym = lam[lay.sites[p.pilots:]]  # (data groups, group)
    bits_w = 1 << np.arange(p.symbol_bits - 1, -1, -1)
    sym_bits = (np.arange(p.group)[:, None] & bits_w[None, :]) > 0
    out = np.zeros((sym.shape[0], p.symbol_bits))
    for b in range(p.symbol_bits):
        l0 = _lse(np.where(~sym_bits[:, b][None, :], sym, -np.inf), axis=1)
        l1 = _lse(np.where(sym_bits[:, b][None, :], sym, -np.inf), axis=1)
        out[:, b] = l0 - l1
    return np.clip(out, -50.0, 50.0).ravel()
