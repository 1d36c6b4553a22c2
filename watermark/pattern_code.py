"""Keyed layout and channel code of the page pattern (see :mod:`watermark.pattern`).

Everything keyed comes from HMAC-SHA256 in counter mode, not from a library random
generator, so a copy issued today decodes with any later numpy.

- :class:`Layout`: which lattice sites of a tile form each pulse-position group, which
  groups are pilots and their symbols, and which groups are printed dark in which tile.
- :func:`encode_bits` / :func:`decode_llr`: payload (60 bits) + keyed 16-bit check,
  convolutional code (K = 7, rate 1/3, punctured), keyed whitening and interleaving;
  soft-decision Viterbi decoding.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

PAYLOAD_BITS = 60
CHECK_BITS = 16
_CONSTRAINT = 7
_GENERATORS = (0o133, 0o171, 0o165)


@dataclass(frozen=True)
class PatternParams:
    """Geometry and strength of the page pattern, in pixels of a 150 dpi page.

    Attributes:
        pitch: spacing of the square lattice of dot sites (8 px = 1.35 mm).
        dot: side of a printed dot (2 px = 0.34 mm).
        tile: lattice sites per tile side; the code repeats every ``tile * pitch`` px.
        group: sites per pulse-position group; one dot per group carries log2(group) bits.
        pilots: groups per tile whose symbol is a keyed constant (synchronisation).
        dark_per_tile: groups per tile printed black (these survive binarisation).
        light: darkness (0-255) of the other dots.
        dark: darkness of the black dots.
    """

    pitch: int = 8
    dot: int = 2
    tile: int = 40
    group: int = 32
    pilots: int = 8
    dark_per_tile: int = 12
    light: int = 36
    dark: int = 255

    @property
    def groups(self) -> int:
        """Groups per tile."""
        return self.tile * self.tile // self.group

    @property
    def symbol_bits(self) -> int:
        """Bits carried by one group's dot."""
        return int(self.group).bit_length() - 1

    @property
    def coded_bits(self) -> int:
        """Channel bits per tile."""
        return (self.groups - self.pilots) * self.symbol_bits


def prf(key: bytes, label: str, nbytes: int) -> bytes:
    """``nbytes`` keyed pseudo-random bytes for ``label`` (HMAC-SHA256 in counter mode)."""
    out = bytearray()
    counter = 0
    while len(out) < nbytes:
        out += hmac.new(key, f"mijian-pattern/{label}/{counter}".encode(), hashlib.sha256).digest()
        counter += 1
    return bytes(out[:nbytes])


def keyed_permutation(key: bytes, label: str, n: int) -> np.ndarray:
    """A keyed permutation of ``range(n)`` (argsort of 64-bit keyed values)."""
    values = np.frombuffer(prf(key, label, 8 * n), dtype=">u8")
    return np.argsort(values, kind="stable")


def keyed_bits(key: bytes, label: str, n: int) -> np.ndarray:
    """``n`` keyed pseudo-random bits as uint8."""
    raw = np.frombuffer(prf(key, label, (n + 7) // 8), dtype=np.uint8)
    return np.unpackbits(raw)[:n]


@dataclass(frozen=True)
class Layout:
    """The keyed arrangement of one tile.

    ``sites[g]`` lists the ``group`` tile positions (row * tile + col) of group ``g``;
    groups ``0 .. pilots-1`` are pilots with symbols ``pilot_symbols``; ``bit_order`` maps
    the coded bit stream onto the data groups' symbol bits; ``dark_order`` and the tile
    coordinates decide which groups are printed black.
    """

    params: PatternParams
    sites: np.ndarray
    pilot_symbols: np.ndarray
    bit_order: np.ndarray
    whitening: np.ndarray
    dark_order: np.ndarray

    def dark_groups(self, tile_row: int, tile_col: int) -> np.ndarray:
        """Groups printed black in the tile at (tile_row, tile_col) of the page."""
        p = self.params
        start = (tile_col * p.dark_per_tile + tile_row * (3 * p.dark_per_tile + 1)) % p.groups
        return self.dark_order[(start + np.arange(p.dark_per_tile)) % p.groups]


@lru_cache(maxsize=16)
def layout(key: bytes, params: PatternParams) -> Layout:
    """The keyed tile layout for ``key`` (cached)."""
    n_sites = params.tile * params.tile
    if n_sites % params.group or params.group & (params.group - 1):
        raise ValueError("group must be a power of two dividing tile * tile")
    perm = keyed_permutation(key, "sites", n_sites)
    sites = perm.reshape(params.groups, params.group)
    pilot_raw = np.frombuffer(prf(key, "pilots", 2 * params.pilots), dtype=">u2")
    pilot_symbols = (pilot_raw % params.group).astype(np.int64)
    bit_order = keyed_permutation(key, "interleave", params.coded_bits)
    whitening = keyed_bits(key, "whiten", params.coded_bits)
    dark_order = keyed_permutation(key, "dark", params.groups)
    for arr in (sites, pilot_symbols, bit_order, whitening, dark_order):
        arr.setflags(write=False)
    return Layout(params, sites, pilot_symbols, bit_order, whitening, dark_order)


def check_tag(key: bytes, payload: bytes) -> int:
    """The keyed 16-bit check of a payload."""
    digest = hmac.new(key, b"mijian-pattern/check/" + payload, hashlib.sha256).digest()
    return int.from_bytes(digest[:2], "big") >> (16 - CHECK_BITS)


def payload_to_int(payload: bytes) -> int:
    """The 60-bit value of an 8-byte payload (the top four bits must be zero)."""
    if len(payload) != 8:
        raise ValueError("the pattern payload is 8 bytes (a 60-bit copy number)")
    value = int.from_bytes(payload, "big")
    if value >> PAYLOAD_BITS:
        raise ValueError("the pattern payload carries 60 bits: the top four bits must be zero")
    return value


def _int_bits(value: int, n: int) -> np.ndarray:
    return np.array([(value >> (n - 1 - i)) & 1 for i in range(n)], dtype=np.uint8)


def _conv_tables() -> tuple[np.ndarray, np.ndarray]:
    """Next state and output bits for each (state, input) of the K=7 rate-1/3 code."""
    n_states = 1 << (_CONSTRAINT - 1)
    nxt = np.zeros((n_states, 2), dtype=np.int64)
    out = np.zeros((n_states, 2, len(_GENERATORS)), dtype=np.uint8)
    for s in range(n_states):
        for b in (0, 1):
            reg = (b << (_CONSTRAINT - 1)) | s
            nxt[s, b] = reg >> 1
            for k, g in enumerate(_GENERATORS):
                out[s, b, k] = bin(reg & g).count("1") & 1
    return nxt, out


@lru_cache(maxsize=1)
def _tables() -> tuple[np.ndarray, np.ndarray]:
    return _conv_tables()


def _info_bits() -> int:
    return PAYLOAD_BITS + CHECK_BITS


def _kept(params: PatternParams) -> np.ndarray:
    """Indices of the mother-code bits kept after puncturing (time-major order)."""
    steps = _info_bits() + _CONSTRAINT - 1
    total = steps * len(_GENERATORS)
    want = params.coded_bits
    if want > total:
        raise ValueError("tile too large for the code; lower tile or raise group")
    first_two = [t * 3 + k for t in range(steps) for k in (0, 1)]
    third = [t * 3 + 2 for t in range(steps)]
    extra = want - len(first_two)
    if extra < 0:
        raise ValueError("tile too small for the code; raise tile")
    pick = np.round(np.linspace(0, steps - 1, extra)).astype(int) if extra else np.array([], int)
    kept = sorted(first_two + [third[i] for i in pick])
    return np.array(kept, dtype=np.int64)


def encode_bits(key: bytes, params: PatternParams, payload: bytes) -> np.ndarray:
    """The tile's channel bits (whitened, interleaved) for ``payload``."""
    value = payload_to_int(payload)
    info = np.concatenate([_int_bits(value, PAYLOAD_BITS), _int_bits(check_tag(key, payload), CHECK_BITS),
                           np.zeros(_CONSTRAINT - 1, np.uint8)])
    nxt, out = _tables()
    state = 0
    mother = np.zeros((len(info), len(_GENERATORS)), np.uint8)
    for t, b in enumerate(info):
        mother[t] = out[state, b]
        state = nxt[state, b]
    coded = mother.reshape(-1)[_kept(params)]
    lay = layout(key, params)
    channel = np.zeros(params.coded_bits, np.uint8)
    channel[lay.bit_order] = coded ^ lay.whitening
    return channel


def symbols_from_bits(params: PatternParams, channel: np.ndarray) -> np.ndarray:
    """Group symbols (MSB first) from channel bits."""
    nb = params.symbol_bits
    weights = 1 << np.arange(nb - 1, -1, -1)
    return (channel.reshape(-1, nb).astype(np.int64) * weights).sum(axis=1)


@dataclass(frozen=True)
class CodeResult:
    """Outcome of soft decoding: the payload if its check passes, and diagnostics."""

    payload: bytes | None
    check_ok: bool
    corrected: int
    used: int
    value: int


def decode_llr(key: bytes, params: PatternParams, llr: np.ndarray) -> CodeResult:
    """Viterbi-decode channel LLRs (positive favours bit 0) and verify the keyed check."""
    lay = layout(key, params)
    coded_llr = llr[lay.bit_order] * np.where(lay.whitening == 1, -1.0, 1.0)
    steps = _info_bits() + _CONSTRAINT - 1
    mother = np.zeros(steps * len(_GENERATORS))
    mother[_kept(params)] = coded_llr
    mother = mother.reshape(steps, len(_GENERATORS))
    nxt, out = _tables()
    n_states = nxt.shape[0]
    sign = 1.0 - 2.0 * out.astype(np.float64)  # +1 for bit 0
    metric = np.full(n_states, -np.inf)
    metric[0] = 0.0
    back = np.zeros((steps, n_states), dtype=np.int64)
    src_states = np.repeat(np.arange(n_states), 2)
    src_bits = np.tile(np.array([0, 1]), n_states)
    dst = nxt[src_states, src_bits]
    for t in range(steps):
        branch = (sign[src_states, src_bits] * mother[t]).sum(axis=1)
        if t >= _info_bits():
            branch = np.where(src_bits == 1, -np.inf, branch)
        cand = metric[src_states] + branch
        order = np.lexsort((-cand, dst))
        first = np.ones(len(order), bool)
        first[1:] = dst[order][1:] != dst[order][:-1]
        best = order[first]
        new = np.full(n_states, -np.inf)
        new[dst[best]] = cand[best]
        back[t, dst[best]] = best
        metric = new
    state = 0
    bits = np.zeros(steps, np.uint8)
    for t in range(steps - 1, -1, -1):
        edge = back[t, state]
        bits[t] = src_bits[edge]
        state = src_states[edge]
    info = bits[:_info_bits()]
    value = int("".join(map(str, info[:PAYLOAD_BITS])), 2)
    tag = int("".join(map(str, info[PAYLOAD_BITS:])), 2)
    payload = value.to_bytes(8, "big")
    ok = tag == check_tag(key, payload)
    # re-encode to count corrected channel bits
    state = 0
    mother_bits = np.zeros((steps, len(_GENERATORS)), np.uint8)
    for t in range(steps):
        mother_bits[t] = out[state, bits[t]]
        state = nxt[state, bits[t]]
    kept = _kept(params)
    re = mother_bits.reshape(-1)[kept]
    hard = (coded_llr < 0).astype(np.uint8)
    used_mask = coded_llr != 0
    corrected = int(((hard != re) & used_mask).sum())
    return CodeResult(payload if ok else None, ok, corrected, int(used_mask.sum()), value)
