"""The second reader as the classifier runs it: the trained grade model read and scored in
plain Python, without numpy.

:mod:`classifiers.learned` describes the reader (hashed features, one logistic regression per
step of the ladder) and trains it with numpy. Scoring one draft needs none of that: the model
is sparse in use (a draft has a few thousand distinct features out of 2**18), so each step's
score is a sum over the draft's buckets, looked up in a flat row of 32-bit floats
(:class:`array.array`). Importing numpy cost about 0.15 s of CPU, more than the whole reading
of a ten-page draft; here nothing is imported that ``mijian classify`` does not otherwise need.

The features (:func:`grams`) are hashed exactly as :func:`classifiers.learned.grams` hashes
them, bucket for bucket, and the weights are the same 32-bit values (each 8-bit weight times
its step's scale, rounded to 32 bits as numpy rounds it). Only the order of summing differs:
a step's score is summed in the order of a set and scaled once, where numpy sums the products
in its own order, so a probability may differ from numpy's in its last bits (4e-16 at most on
the 2,562 labelled drafts of ``eval/``, whose grades, findings and quoted words come out the
same); the tests compare both readers.
"""

from __future__ import annotations

import ast
import functools
import heapq
import itertools
import json
import math
import re
import struct
import zlib
from array import array
from bisect import bisect_left
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from mijian.classifiers.normalise import NormalisedText

BITS = 18
"""Hashed feature space: 2**BITS buckets."""
STEPS = 4
"""One probability per step of the ladder above 公开: ≥1, ≥2, ≥3, ≥4."""
MODEL_FILE = "grade_model.npz"
SHORT = 200
"""Distinct features from which a draft counts as full length: the combiner
(:mod:`classifiers.second_reading`) weighs the reader apart on shorter drafts, whose few words
give it little to go on."""
LATIN_GRAMS = (4,)
"""Letter n-grams inside Latin words, besides the words: spelling variants and word forms
(``deploy``/``deployment``) share them."""
PART = 300
"""Characters in a part when the reader reads a long draft part by part, half a part apart."""
PARTS_MAX = 4096
"""The most parts read: a longer draft gets longer parts."""
WORD_MAX = 24
"""Longest span the rationale quotes as one of the words that weigh."""

_M64 = (1 << 64) - 1
_MASK = (1 << BITS) - 1
_PRIME = 0x100000001B3
_WORD = r"[a-z][a-z0-9'\-]*[a-z0-9]|[a-z]|0+"
_HAN = r"[\u3400-\u9fff]+"
_LATIN = r"[a-z]+"
_READABLE = r"[\u3400-\u9fffa-z0-9\s!-/:-@\[-`{-~\u3000-\u303f\uff01-\uff0f\uff1a-\uff20\u2018-\u201d\u2026\u2014\u00b7]"
_LATIN_CHAR = r"[a-z0-9'\-]"


@functools.lru_cache(maxsize=1)
def _rx() -> dict[str, re.Pattern[str]]:
    """This module's patterns by source, compiled on first use and kept between runs by
    :mod:`keywords.datacache` (compiling them costs some 8 ms, mostly the classes of readable
    and Han characters)."""
    from mijian.keywords.datacache import cached

    sources = (_WORD, _HAN, _LATIN, _READABLE, _LATIN_CHAR)
    return cached("learned-read-rx", (__file__,), lambda: {s: re.compile(s) for s in sources}, dict)


@dataclass(frozen=True)
class Grams:
    """The hashed features of one text: bucket, start and end (in the normalised text) of each."""

    buckets: list[int]
    starts: list[int]
    ends: list[int]


def _mix(h: int) -> int:
    """Spread a 64-bit hash over the buckets (a 64-bit finaliser, then the low bits)."""
    h ^= h >> 31
    h = (h * 0x9E3779B97F4A7C15) & _M64
    h ^= h >> 29
    return h & _MASK


def _mixed(values: set[int]) -> dict[int, int]:
    """:func:`_mix` of each of ``values`` (taken modulo 2**64), in one loop."""
    out: dict[int, int] = {}
    m64, mask, golden = _M64, _MASK, 0x9E3779B97F4A7C15
    for value in values:
        h = value & m64
        h = ((h ^ (h >> 31)) * golden) & m64
        out[value] = (h ^ (h >> 29)) & mask
    return out


def _runs(text: str, codes: list[int], runs: re.Pattern[str], n: int, space: int, out: Grams) -> None:
    """Append the ``n``-grams inside the matches of ``runs`` (in order of their start).

    An n-gram's hash is the numpy reader's 64-bit multiply-add over its code points,
    ``((space * P + c0) * P + c1) …`` modulo 2**64: the same as the polynomial
    ``space * P**n + c0 * P**(n-1) + …`` reduced once, which is what is computed here."""
    starts = [s for run in runs.finditer(text) for s in range(run.start(), run.end() - n + 1)]
    base, p = space * _PRIME ** n, _PRIME
    if n == 1:
        raw = [base + codes[s] for s in starts]
    elif n == 2:
        raw = [base + codes[s] * p + codes[s + 1] for s in starts]
    elif n == 3:
        raw = [base + (codes[s] * p + codes[s + 1]) * p + codes[s + 2] for s in starts]
    else:
        powers = [_PRIME ** (n - 1 - j) for j in range(n)]
        raw = [base + sum(codes[s + j] * w for j, w in enumerate(powers)) for s in starts]
    table = _mixed(set(raw))
    out.buckets.extend(map(table.__getitem__, raw))
    out.starts.extend(starts)
    out.ends.extend([s + n for s in starts])


def grams(text: str) -> Grams:
    """Hash the features of normalised ``text`` as :func:`classifiers.learned.grams` does:
    Han characters one, two and three at a time, Latin letters four at a time, then words and
    word pairs, every digit read as ``0``."""
    text = re.sub(r"[0-9]", "0", text)
    out = Grams([], [], [])
    codes = list(map(ord, text))
    rx = _rx()
    for n in (1, 2, 3):
        _runs(text, codes, rx[_HAN], n, n, out)
    for n in LATIN_GRAMS:
        _runs(text, codes, rx[_LATIN], n, 10 + n, out)
    words = [(m.group(), m.start(), m.end()) for m in rx[_WORD].finditer(text)]
    if words:
        offset = 7 * (1 << 40)
        out.buckets.extend(_mix(zlib.crc32(t.encode()) + offset) for t, _, _ in words)
        out.buckets.extend(_mix(zlib.crc32(f"{a[0]} {b[0]}".encode()) + offset)
                           for a, b in itertools.pairwise(words))
        out.starts.extend([a for _, a, _ in words] + [a for _, a, _ in words[:-1]])
        out.ends.extend([b for _, _, b in words] + [b for _, _, b in words[1:]])
    return out


@dataclass(frozen=True)
class PlainModel:
    """The four steps' weights as rows of 32-bit floats, their biases, and what they were
    trained on."""

    weights: tuple[array, ...]
    bias: tuple[float, ...]
    drafts: int
    data_sha256: str

    def probabilities(self, distinct: set[int]) -> tuple[float, ...]:
        """P(level ≥ k) for k = 1..4 of a text with these distinct buckets, made non-increasing."""
        value = 1.0 / math.sqrt(max(len(distinct), 1))
        out: list[float] = []
        for row, bias in zip(self.weights, self.bias):
            z = sum(map(row.__getitem__, distinct)) * value + bias
            p = 1.0 / (1.0 + math.exp(-z))
            out.append(min(p, out[-1]) if out else p)
        return tuple(out)


@dataclass(frozen=True)
class _Rows:
    """The model as cached: each step's 32-bit weights as bytes (little-endian), and the rest."""

    rows: tuple[bytes, ...]
    bias: tuple[float, ...]
    drafts: int
    data_sha256: str

    def model(self) -> PlainModel:
        rows = []
        for raw in self.rows:
            row = array("f")
            row.frombytes(raw)
            rows.append(row)
        return PlainModel(tuple(rows), self.bias, self.drafts, self.data_sha256)


@functools.lru_cache(maxsize=1)
def load_model() -> PlainModel:
    """The packaged model, read once (kept between runs by :mod:`keywords.datacache` while the
    model file and this module are unchanged). The file is found beside this module, as it is
    installed; :mod:`importlib.resources` (some 10 ms to import) only when it is not there."""
    from mijian.keywords.datacache import cached

    source = Path(__file__).with_name("data") / MODEL_FILE
    if not source.is_file():
        from importlib import resources

        found = resources.files("mijian.classifiers").joinpath("data", MODEL_FILE)
        if not isinstance(found, Path):
            return _read_rows(found.open("rb")).model()
        source = found
    return cached("grade-model-rows", (source, Path(__file__)), lambda: _read_rows(source.open("rb")), _Rows).model()


def _npy(data: bytes) -> tuple[str, tuple[int, ...], bytes]:
    """The type, shape and data of one ``.npy`` member (C order; version 1, 2 or 3 headers)."""
    if data[:6] != b"\x93NUMPY":
        raise ValueError("grade model: a member is not an .npy array")
    size, start = (struct.unpack("<H", data[8:10])[0], 10) if data[6] == 1 else (struct.unpack("<I", data[8:12])[0], 12)
    header = ast.literal_eval(data[start:start + size].decode("latin-1"))
    if header.get("fortran_order"):
        raise ValueError("grade model: arrays in Fortran order are not read")
    return str(header["descr"]), tuple(header["shape"]), data[start + size:]


def _read_rows(stream: IO[bytes]) -> _Rows:
    """The packaged model file (8-bit weights and their scales), checked against this reader's
    feature space, with each weight made the 32-bit float numpy makes of it."""
    import zipfile

    with stream, zipfile.ZipFile(stream) as z:
        q_type, q_shape, q = _npy(z.read("q.npy"))
        s_type, _, scale = _npy(z.read("scale.npy"))
        b_type, _, bias = _npy(z.read("bias.npy"))
        m_type, _, meta_raw = _npy(z.read("meta.npy"))
    if (q_type, s_type, b_type) != ("|i1", "<f4", "<f4") or not m_type.startswith("<U") or len(q_shape) != 2:
        raise ValueError(f"grade model: unexpected arrays {q_type} {s_type} {b_type} {m_type}")
    meta = json.loads(meta_raw.decode("utf-32-le").rstrip("\x00"))
    if meta["bits"] != BITS:
        raise ValueError(f"grade model has {meta['bits']} bits of features, this reader {BITS}")
    steps, size = q_shape
    scales = struct.unpack(f"<{steps}f", scale[:4 * steps])
    rows = []
    for k in range(steps):
        # byte b is the 8-bit weight b (or b - 256): its 32-bit product with the scale
        table = [struct.pack("<f", (b - 256 if b > 127 else b) * scales[k]) for b in range(256)]
        rows.append(b"".join(map(table.__getitem__, q[k * size:(k + 1) * size])))
    return _Rows(tuple(rows), struct.unpack(f"<{steps}f", bias[:4 * steps]), int(meta["drafts"]),
                 str(meta["data_sha256"]))


@dataclass(frozen=True)
class ModelReading:
    """What the second reader makes of a draft: the step probabilities and the words that weigh."""

    probabilities: tuple[float, ...]
    drafts: int
    spans: tuple[tuple[int, int, str], ...]
    """The words that push the draft up most, strongest first: original start, end and text."""
    features: int = SHORT
    """Distinct features the draft has (see :data:`SHORT`)."""
    down: tuple[tuple[int, int, str], ...] = ()
    """The words that hold the draft down most, strongest first."""
    legible: float = 1.0
    """Share of the draft's characters the reader can read (see :func:`legible`)."""
    peak: tuple[float, ...] | None = None
    """Step by step, the highest probabilities any part of a long draft reads at (see
    :func:`part_peak`); None for a draft of one part."""

    def words(self, n: int = 5, down: bool = False) -> list[str]:
        """The first ``n`` of the words that push the draft up (or, with ``down``, down)."""
        return [w for _, _, w in (self.down if down else self.spans)[:n]]

    def weight(self) -> float:
        """The share of its say the reader gets: 1 from :data:`SHORT` features up."""
        return min(1.0, self.features / SHORT)

    def at_least(self, level: int) -> float:
        """P(level ≥ ``level``); 1 for 公开."""
        return 1.0 if level <= 0 else self.probabilities[min(level, STEPS) - 1]


def legible(text: str) -> float:
    """Share of the characters of normalised ``text`` that are Han, Latin letters, digits,
    whitespace or common punctuation: what the reader was trained on. Other scripts (Cyrillic
    look-alikes, kana, Hangul), replacement characters and bytes read as text fall outside."""
    return 1.0 - len(_rx()[_READABLE].sub("", text)) / len(text) if text else 1.0


def read_model(norm: NormalisedText, model: PlainModel | None = None, top: int = 6) -> ModelReading:
    """The second reader's view of the normalised draft ``norm``."""
    m = model if model is not None else load_model()
    g = grams(norm.text)
    distinct = set(g.buckets)
    probs = m.probabilities(distinct)
    step = max((k for k in range(STEPS) if probs[k] >= 0.5), default=0)
    above = min(STEPS - 1, step + 1) if probs[step] >= 0.5 else step
    return ModelReading(probs, m.drafts, _weighing(norm, g, m.weights[step], 1.0, top), len(distinct),
                        _weighing(norm, g, m.weights[above], -1.0, top), legible(norm.text),
                        part_peak(g, len(norm.text), m))


def part_peak(g: Grams, length: int, model: PlainModel) -> tuple[float, ...] | None:
    """The highest step probabilities over the parts of a long draft (None below 1.5 parts).

    A secret paragraph padded with harmless ones reads low as a whole and high on its own:
    the second reading lowers the rules only where every part reads low.
    """
    if length < PART * 3 // 2 or not g.buckets:
        return None
    size = max(PART, -(-2 * length // PARTS_MAX))
    order = sorted(range(len(g.starts)), key=g.starts.__getitem__)  # stable, as numpy's
    starts = [g.starts[i] for i in order]
    ends = [g.ends[i] for i in order]
    buckets = [g.buckets[i] for i in order]
    best = [0.0] * STEPS
    for a in range(0, max(1, length - size // 2), size // 2):
        lo, hi = bisect_left(starts, a), bisect_left(starts, a + size)
        part = {b for b, e in zip(buckets[lo:hi], ends[lo:hi]) if e <= a + size}
        if part:
            best = [max(x, y) for x, y in zip(best, model.probabilities(part))]
    return tuple(best)


def _whole_words(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen a span that starts or ends inside a Latin word to the whole word."""
    char = _rx()[_LATIN_CHAR]
    while start > 0 and char.match(text[start - 1]) and char.match(text[start]):
        start -= 1
    while end < len(text) and char.match(text[end]) and char.match(text[end - 1]):
        end += 1
    return start, end


def _weighing(norm: NormalisedText, g: Grams, row: array, sign: float,
              top: int) -> tuple[tuple[int, int, str], ...]:
    """The ``top`` distinct spans of two or more characters whose features weigh most for
    ``sign`` times ``row``."""
    if not g.buckets:
        return ()
    lightest = [-sign * w for w in map(row.__getitem__, g.buckets)]
    # the first top * 20 by weight, heaviest first, ties in text order (a stable sort's prefix)
    order = heapq.nsmallest(top * 20, range(len(lightest)), key=lightest.__getitem__)
    seen: set[str] = set()
    out: list[tuple[int, int]] = []
    for i in order:
        s, e = _whole_words(norm.text, g.starts[i], g.ends[i])
        piece = norm.text[s:e]
        if (lightest[i] >= 0 or len(piece) < 2 or len(piece) > WORD_MAX or piece in seen
                or not any(c.isalpha() for c in piece) or any(c.isspace() and c != " " for c in piece)
                or any(a < e and s < b for a, b in out)):
            continue
        seen.add(piece)
        out.append((s, e))
        if len(out) == top:
            break
    spans = (norm.to_original(s, e) for s, e in out)
    return tuple((a, b, norm.original[a:b]) for a, b in spans
                 if b - a <= WORD_MAX and not any(c.isspace() and c != " " for c in norm.original[a:b]))
