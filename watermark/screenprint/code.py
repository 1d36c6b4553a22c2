"""Keyed tile layout and channel code of the camera-robust page fingerprint.

A tile is a ``tile`` x ``tile`` square of lattice sites. Under the key, the sites are split
into pulse-position groups of ``group`` sites; each group holds exactly one mark, and which
site holds it carries ``log2(group)`` bits. The first ``pilots`` groups are pilots (keyed
constant symbols: they give the tile origin and the page turn); the others carry the
channel bits.

Channel code: the 32-bit fingerprint number and a 16-bit keyed check (truncated
HMAC-SHA256), zero-tailed, through a rate-1/4 convolutional code (constraint length 7),
punctured evenly to the tile's channel bits, whitened and interleaved under the key.
Decoding is soft-decision Viterbi over the channel-bit log-likelihood ratios summed over
every tile that was seen.

Every keyed choice comes from HMAC-SHA256 in counter mode, so a copy issued today reads the
same with any later numpy.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

_K = 7
_GENERATORS = (0o117, 0o127, 0o155, 0o171)
_LABEL = "mijian-screenprint"


@dataclass(frozen=True)
class Params:
    """Geometry, strength and code sizes of the fingerprint (lengths in millimetres).

    The defaults put a mark on one site in 32 of a lattice of 1.5 mm pitch, in tiles of
    40 x 40 sites (60 mm), about 860 marks on an A4 page. Grey marks are squares of
    ``mark_mm`` (1.1 mm) at darkness ``grey`` (14/255): large and faint, because SSIM at
    75 dpi charges a mark for its contrast far more than for its size, while downscaling,
    JPEG and a camera keep the low spatial frequencies of a large mark. In every tile
    ``black_per_tile`` groups, rotating with the tile position, print a 0.35 mm black square
    instead, for a 1-bit fax or a thresholded copy. The 1.5 mm pitch is 1.107 times that of
    the older dot pattern of :mod:`watermark.pattern`, so the two lattices stay apart in a
    spectrum (and the older one, when found, says where this one is).
    """

    pitch_mm: float = 1.5
    tile: int = 40
    group: int = 32
    pilots: int = 8
    mark_mm: float = 1.1
    grey: int = 14
    black_mm: float = 0.35
    black_per_tile: int = 4
    payload_bits: int = 32
    check_bits: int = 16

    @property
    def groups(self) -> int:
        """Groups per tile."""
        return self.tile * self.tile // self.group

    @property
    def symbol_bits(self) -> int:
        """Bits carried by the position of one mark in its group."""
        return int(self.group).bit_length() - 1

    @property
    def channel_bits(self) -> int:
        """Channel bits per tile."""
        return (self.groups - self.pilots) * self.symbol_bits

    @property
    def info_bits(self) -> int:
        """Payload and check bits."""
        return self.payload_bits + self.check_bits

    @property
    def tile_mm(self) -> float:
        """Side of a tile in millimetres."""
        return self.tile * self.pitch_mm


DEFAULT = Params()


def prf(key: bytes, label: str, nbytes: int) -> bytes:
    """``nbytes`` keyed pseudo-random bytes for ``label`` (HMAC-SHA256, counter mode)."""
    out = bytearray()
    counter = 0
    while len(out) < nbytes:
        out += hmac.new(key, f"{_LABEL}/{label}/{counter}".encode(), hashlib.sha256).digest()
        counter += 1
    return bytes(out[:nbytes])


def _permutation(key: bytes, label: str, n: int) -> np.ndarray:
    values = np.frombuffer(prf(key, label, 8 * n), dtype=">u8")
    return np.argsort(values, kind="stable")


@dataclass(frozen=True)
class Layout:
    """The keyed arrangement of a tile: ``sites[g]`` lists the tile positions
    (row * tile + col) of group ``g``; ``pilot_symbols`` the pilots' constant symbols;
    ``order`` maps coded bits onto channel bits; ``whitening`` is XORed onto them;
    ``black_order`` decides which groups print black in which tile."""

    params: Params
    sites: np.ndarray
    pilot_symbols: np.ndarray
    order: np.ndarray
    whitening: np.ndarray
    black_order: np.ndarray

    def black_groups(self, tile_row: int, tile_col: int) -> np.ndarray:
        """Groups printed black in the tile at (tile_row, tile_col) of the page."""
        p = self.params
        start = (tile_col * p.black_per_tile + tile_row * (3 * p.black_per_tile + 1)) % p.groups
        return self.black_order[(start + np.arange(p.black_per_tile)) % p.groups]


@lru_cache(maxsize=16)
def layout(key: bytes, params: Params = DEFAULT) -> Layout:
    """The keyed tile layout for ``key`` (cached)."""
    n = params.tile * params.tile
    if n % params.group or params.group & (params.group - 1):
        raise ValueError("group must be a power of two dividing tile * tile")
    if not params.info_bits + _K - 1 <= params.channel_bits <= 4 * (params.info_bits + _K - 1):
        raise ValueError("the tile holds too few or too many channel bits for the code")
    sites = _permutation(key, "sites", n).reshape(params.groups, params.group)
    raw = np.frombuffer(prf(key, "pilots", 2 * params.pilots), dtype=">u2")
    pilots = (raw % params.group).astype(np.int64)
    order = _permutation(key, "interleave", params.channel_bits)
    white = np.unpackbits(np.frombuffer(prf(key, "whiten", (params.channel_bits + 7) // 8),
                                        dtype=np.uint8))[:params.channel_bits]
    black = _permutation(key, "black", params.groups)
    for arr in (sites, pilots, order, white, black):
        arr.setflags(write=False)
    return Layout(params, sites, pilots, order, white, black)


def check_tag(key: bytes, number: int, bits: int) -> int:
    """The keyed check of a fingerprint number (``bits`` bits of HMAC-SHA256)."""
    digest = hmac.new(key, f"{_LABEL}/check/".encode() + number.to_bytes(4, "big"),
                      hashlib.sha256).digest()
    return int.from_bytes(digest[:4], "big") >> (32 - bits)


@lru_cache(maxsize=4)
def _trellis() -> tuple[np.ndarray, np.ndarray]:
    """Next state and the four output bits of every (state, input) of the K = 7 code."""
    states = 1 << (_K - 1)
    nxt = np.zeros((states, 2), np.int64)
    out = np.zeros((states, 2, len(_GENERATORS)), np.uint8)
    for s in range(states):
        for b in (0, 1):
            reg = (b << (_K - 1)) | s
            nxt[s, b] = reg >> 1
            for k, g in enumerate(_GENERATORS):
                out[s, b, k] = bin(reg & g).count("1") & 1
    return nxt, out


@lru_cache(maxsize=8)
def _kept(params: Params) -> np.ndarray:
    """Mother-code bits kept after puncturing: the first three outputs of every step and
    the fourth at evenly spread steps, so that exactly ``channel_bits`` remain."""
    steps = params.info_bits + _K - 1
    always = [t * 4 + k for t in range(steps) for k in range(3)]
    extra = params.channel_bits - len(always)
    if extra < 0:  # a small tile: drop some of the third outputs as well
        keep = sorted(always)
        drop = set(np.round(np.linspace(0, steps - 1, -extra)).astype(int) * 4 + 2)
        return np.array([i for i in keep if i not in drop], np.int64)
    pick = np.round(np.linspace(0, steps - 1, extra)).astype(int)  # empty when extra is 0
    return np.array(sorted(always + [t * 4 + 3 for t in pick]), np.int64)


def _bits(value: int, n: int) -> np.ndarray:
    return np.array([(value >> (n - 1 - i)) & 1 for i in range(n)], np.uint8)


def encode(key: bytes, number: int, params: Params = DEFAULT) -> np.ndarray:
    """The symbol (0 .. group-1) of every group of the tile, pilots first, for ``number``."""
    if isinstance(number, bool) or not isinstance(number, int) or not 0 <= number < 1 << 32:
        raise ValueError("a fingerprint number is an integer in [0, 2**32)")
    lay = layout(key, params)
    info = np.concatenate([_bits(number, params.payload_bits),
                           _bits(check_tag(key, number, params.check_bits), params.check_bits),
                           np.zeros(_K - 1, np.uint8)])
    nxt, out = _trellis()
    state = 0
    mother = np.zeros((len(info), 4), np.uint8)
    for t, b in enumerate(info):
        mother[t] = out[state, b]
        state = nxt[state, b]
    coded = mother.ravel()[_kept(params)]
    channel = np.zeros(params.channel_bits, np.uint8)
    channel[lay.order] = coded ^ lay.whitening
    weights = 1 << np.arange(params.symbol_bits - 1, -1, -1)
    data = (channel.reshape(-1, params.symbol_bits).astype(np.int64) * weights).sum(axis=1)
    return np.concatenate([lay.pilot_symbols, data])


@dataclass(frozen=True)
class Decoded:
    """Viterbi outcome: the number if the keyed check passed, and how many channel bits
    with evidence the decision overrode."""

    number: int | None
    corrected: int
    used: int


def decode(key: bytes, llr: np.ndarray, params: Params = DEFAULT) -> Decoded:
    """Soft-decision Viterbi decoding of channel LLRs (positive favours 0), then the check."""
    lay = layout(key, params)
    coded = llr[lay.order] * np.where(lay.whitening == 1, -1.0, 1.0)
    steps = params.info_bits + _K - 1
    mother: np.ndarray = np.zeros(steps * 4)  # filled flat, then read as (steps, 4)
    mother[_kept(params)] = coded
    mother = mother.reshape(steps, 4)
    nxt, out = _trellis()
    n_states = nxt.shape[0]
    sign = 1.0 - 2.0 * out.astype(np.float64)
    src = np.repeat(np.arange(n_states), 2)
    bit = np.tile(np.array([0, 1]), n_states)
    dst = nxt[src, bit]
    # each destination has exactly two incoming edges: order them once
    by_dst = np.argsort(dst, kind="stable").reshape(n_states, 2)
    metric = np.full(n_states, -np.inf)
    metric[0] = 0.0
    back = np.zeros((steps, n_states), np.int64)
    for t in range(steps):
        branch = (sign[src, bit] * mother[t]).sum(axis=1)
        if t >= params.info_bits:
            branch = np.where(bit == 1, -np.inf, branch)
        cand = metric[src] + branch
        pair = cand[by_dst]
        choice = np.where(pair[:, 1] > pair[:, 0], by_dst[:, 1], by_dst[:, 0])
        back[t] = choice
        metric = cand[choice]
    state = 0
    bits = np.zeros(steps, np.uint8)
    for t in range(steps - 1, -1, -1):
        edge = back[t, state]
        bits[t] = bit[edge]
        state = src[edge]
    value = int("".join(map(str, bits[:params.payload_bits])), 2)
    tag = int("".join(map(str, bits[params.payload_bits:params.info_bits])), 2)
    ok = tag == check_tag(key, value, params.check_bits)
    state = 0
    again = np.zeros((steps, 4), np.uint8)
    for t in range(steps):
        again[t] = out[state, bits[t]]
        state = nxt[state, bits[t]]
    hard = (coded < 0).astype(np.uint8)
    used = coded != 0
    corrected = int(((hard != again.ravel()[_kept(params)]) & used).sum())
    return Decoded(value if ok else None, corrected, int(used.sum()))
