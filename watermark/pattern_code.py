"""Keyed layout and channel code of the page pattern (see :mod:`watermark.pattern`).

Everything keyed comes from HMAC-SHA256 in counter mode, not from a library random
generator, so a copy issued today decodes with any later numpy.

- :class:`Layout`: which lattice sites of a tile form each pulse-position group, which
  groups are pilots and their symbols, and which groups are printed dark in which tile.
- :func:`encode_bits` / :func:`decode_llr`: payload + keyed check, zero-tailed convolutional
  code (K = 7), keyed whitening and interleaving; soft-decision Viterbi decoding. Two payload
  sizes share the same tile geometry:

  ========  =====  ======================  ===========================
  payload   check  mother code             channel bits (per tile)
  ========  =====  ======================  ===========================
  60 bits   16     rate 1/3 (133,171,165)  82 steps x 3 punctured to 210
  32 bits   20     rate 1/4 (117,127,155,  58 steps x 4 punctured to 210
                   171)
  ========  =====  ======================  ===========================

  The 32-bit setting spends the freed capacity on redundancy (rate 52/210 instead of 76/210)
  and on four more check bits.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

PAYLOAD_BITS = 60
"""Payload bits of the default (copy id) setting."""
CHECK_BITS = 16
"""Check bits of the default (copy id) setting."""
_CONSTRAINT = 7
_GENERATORS = {3: (0o133, 0o171, 0o165), 4: (0o117, 0o127, 0o155, 0o171)}
_CHECK_FOR = {60: 16, 32: 20}


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
        payload_bits: 60 (a copy id, 8-byte payload) or 32 (a fingerprint number, 4-byte
            payload); the check has 16 or 20 bits respectively.
    """

    pitch: int = 8
    dot: int = 2
    tile: int = 40
    group: int = 32
    pilots: int = 8
    dark_per_tile: int = 12
    light: int = 36
    dark: int = 255
    payload_bits: int = PAYLOAD_BITS

    def __post_init__(self) -> None:
        if self.payload_bits not in _CHECK_FOR:
            raise ValueError("payload_bits must be 32 or 60")

    @property
    def check_bits(self) -> int:
        """Bits of the keyed check."""
        return _CHECK_FOR[self.payload_bits]

    @property
    def info_bits(self) -> int:
        """Payload plus check bits."""
        return self.payload_bits + self.check_bits

    @property
    def payload_bytes(self) -> int:
        """Length of a payload in bytes."""
        return (self.payload_bits + 7) // 8

    @property
    def generators(self) -> tuple[int, ...]:
        """Generator polynomials of the mother code (the lowest rate that fills a tile)."""
        steps = self.info_bits + _CONSTRAINT - 1
        n = 3 if steps * 3 >= self.coded_bits else 4
        return _GENERATORS[n]

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


def check_tag(key: bytes, payload: bytes, bits: int = CHECK_BITS) -> int:
    """The keyed check (``bits`` bits) of a payload; the 32-bit setting's check is
    domain-separated from the 60-bit one."""
    label = b"mijian-pattern/check/" if len(payload) == 8 else b"mijian-pattern/check32/"
    digest = hmac.new(key, label + payload, hashlib.sha256).digest()
    return int.from_bytes(digest[:4], "big") >> (32 - bits)


def payload_to_int(payload: bytes, bits: int = PAYLOAD_BITS) -> int:
    """The value of a payload: 8 bytes with the top four bits zero (60 bits), or 4 bytes
    (32 bits)."""
    if bits == 60:
        if len(payload) != 8:
            raise ValueError("the 60-bit pattern payload is 8 bytes (a copy number)")
        value = int.from_bytes(payload, "big")
        if value >> 60:
            raise ValueError("the pattern payload carries 60 bits: the top four bits must be zero")
        return value
    if bits == 32:
        if len(payload) != 4:
            raise ValueError("the 32-bit pattern payload is 4 bytes (a fingerprint number)")
        return int.from_bytes(payload, "big")
    raise ValueError("payload_bits must be 32 or 60")


def _int_bits(value: int, n: int) -> np.ndarray:
    return np.array([(value >> (n - 1 - i)) & 1 for i in range(n)], dtype=np.uint8)


@lru_cache(maxsize=4)
def _tables(generators: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Next state and output bits for each (state, input) of the K=7 code."""
    n_states = 1 << (_CONSTRAINT - 1)
    nxt = np.zeros((n_states, 2), dtype=np.int64)
    out = np.zeros((n_states, 2, len(generators)), dtype=np.uint8)
    for s in range(n_states):
        for b in (0, 1):
            reg = (b << (_CONSTRAINT - 1)) | s
            nxt[s, b] = reg >> 1
            for k, g in enumerate(generators):
                out[s, b, k] = bin(reg & g).count("1") & 1
    for arr in (nxt, out):
        arr.setflags(write=False)
    return nxt, out


@lru_cache(maxsize=8)
def _kept(params: PatternParams) -> np.ndarray:
    """Indices of the mother-code bits kept after puncturing (time-major order): every
    output of all generators but the last, and of the last one evenly spread over time."""
    n = len(params.generators)
    steps = params.info_bits + _CONSTRAINT - 1
    want = params.coded_bits
    if want > steps * n:
        raise ValueError("tile too large for the code; lower tile or raise group")
    always = [t * n + k for t in range(steps) for k in range(n - 1)]
    last = [t * n + n - 1 for t in range(steps)]
    extra = want - len(always)
    if extra < 0:
        raise ValueError("tile too small for the code; raise tile")
    pick = np.round(np.linspace(0, steps - 1, extra)).astype(int) if extra else np.array([], int)
    kept = np.array(sorted(always + [last[i] for i in pick]), dtype=np.int64)
    kept.setflags(write=False)
    return kept


def encode_bits(key: bytes, params: PatternParams, payload: bytes) -> np.ndarray:
    """The tile's channel bits (whitened, interleaved) for ``payload``."""
    value = payload_to_int(payload, params.payload_bits)
    info = np.concatenate([_int_bits(value, params.payload_bits),
                           _int_bits(check_tag(key, payload, params.check_bits), params.check_bits),
                           np.zeros(_CONSTRAINT - 1, np.uint8)])
    nxt, out = _tables(params.generators)
    state = 0
    mother = np.zeros((len(info), len(params.generators)), np.uint8)
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
    n_out = len(params.generators)
    info_bits = params.info_bits
    steps = info_bits + _CONSTRAINT - 1
    mother: np.ndarray = np.zeros(steps * n_out)  # filled flat, then read as (steps, n_out)
    mother[_kept(params)] = coded_llr
    mother = mother.reshape(steps, n_out)
    nxt, out = _tables(params.generators)
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
        if t >= info_bits:
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
    info = bits[:info_bits]
    value = int("".join(map(str, info[:params.payload_bits])), 2)
    tag = int("".join(map(str, info[params.payload_bits:])), 2)
    payload = value.to_bytes(params.payload_bytes, "big")
    ok = tag == check_tag(key, payload, params.check_bits)
    # re-encode to count corrected channel bits
    state = 0
    mother_bits = np.zeros((steps, n_out), np.uint8)
    for t in range(steps):
        mother_bits[t] = out[state, bits[t]]
        state = nxt[state, bits[t]]
    kept = _kept(params)
    re = mother_bits.reshape(-1)[kept]
    hard = (coded_llr < 0).astype(np.uint8)
    used_mask = coded_llr != 0
    corrected = int(((hard != re) & used_mask).sum())
    return CodeResult(payload if ok else None, ok, corrected, int(used_mask.sum()), value)
