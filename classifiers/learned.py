"""A second reader: a linear model over the draft's words, trained on labelled drafts.

The rules of :mod:`classifiers.policy` know the subject matter that the catalogue names; drafts
written by other hands name it in other words. This reader was trained on every labelled draft
of the repository's training splits (``eval/``) and gives, for each step of the ladder, the
probability that the draft belongs at that step or above: P(≥内部), P(≥秘密), P(≥机密),
P(≥绝密). It never decides alone: :mod:`classifiers.second_reading` lets it raise a suggestion
only when it is sure, and it explains itself by the words of the draft that weigh most.

Features are hashed: Chinese characters one, two and three at a time inside runs of Han
characters, and words and word pairs elsewhere, after the normalisation of
:mod:`classifiers.normalise`, with every digit read as ``0`` (a quantity's shape matters, its
value does not). Each of the four steps is a logistic regression over the same features; the
weights ship quantised to 8 bits in ``classifiers/data/grade_model.npz`` with the fingerprint of
the data they were trained on (``eval/train_model.py`` trains them again).
"""

from __future__ import annotations

import functools
import itertools
import json
import re
import zlib
from array import array
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from mijian.classifiers import learned_read
from mijian.classifiers.learned_read import (BITS, LATIN_GRAMS, MODEL_FILE, PART, PARTS_MAX, SHORT, STEPS,
                                             WORD_MAX, ModelReading, PlainModel, legible, part_peak)
from mijian.classifiers.normalise import NormalisedText

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

__all__ = ["BITS", "STEPS", "MODEL_FILE", "SHORT", "LATIN_GRAMS", "PART", "PARTS_MAX", "WORD_MAX",
           "Grams", "grams", "GradeModel", "load_model", "ModelReading", "PlainModel", "legible",
           "part_peak", "read_model"]
"""The reader's constants and reading are :mod:`classifiers.learned_read`'s, named here too."""

_WORD = re.compile(r"[a-z][a-z0-9'\-]*[a-z0-9]|[a-z]|0+")
_HAN_LO, _HAN_HI = 0x3400, 0x9FFF
_MASK = np.uint64((1 << BITS) - 1)

Ints = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Grams:
    """The hashed features of one text: bucket, start and end (in the normalised text) of each."""

    buckets: Ints
    starts: Ints
    ends: Ints

    @functools.cached_property
    def distinct(self) -> Ints:
        """The distinct buckets, sorted (found once per text)."""
        return np.unique(self.buckets)

    def vector(self) -> tuple[Ints, npt.NDArray[np.float64]]:
        """The distinct buckets and their weight: present or not, scaled to unit length."""
        idx = self.distinct
        return idx, np.full(len(idx), 1.0 / float(np.sqrt(max(len(idx), 1))))


def _mix(h: npt.NDArray[np.uint64]) -> Ints:
    """Spread ``h`` over the buckets (a 64-bit finaliser, then the low bits)."""
    h = h ^ (h >> np.uint64(31))
    h = h * np.uint64(0x9E3779B97F4A7C15)
    h = h ^ (h >> np.uint64(29))
    return (h & _MASK).astype(np.int64)


def _runs(codes: npt.NDArray[np.uint64], inside: npt.NDArray[np.bool_], n: int, space: int) -> tuple[Ints, Ints, Ints]:
    """Hashed ``n``-grams of the characters where ``inside`` holds, in feature space ``space``."""
    prime = np.uint64(0x100000001B3)
    ok = np.ones(len(codes) - n + 1, dtype=bool)
    h = np.full(len(codes) - n + 1, space, dtype=np.uint64)
    for j in range(n):
        ok &= inside[j:len(codes) - n + 1 + j]
        h = h * prime + codes[j:len(codes) - n + 1 + j]
    starts = np.nonzero(ok)[0].astype(np.int64)
    return _mix(h[ok]), starts, starts + n


def grams(text: str) -> Grams:
    """Hash the features of normalised ``text`` (digits already read as ``0`` or not: done here)."""
    text = re.sub(r"[0-9]", "0", text)
    codes = np.frombuffer(text.encode("utf-32-le"), dtype="<u4").astype(np.uint64)
    han = (codes >= _HAN_LO) & (codes <= _HAN_HI)
    latin = (codes >= 0x61) & (codes <= 0x7A)
    parts = [_runs(codes, han, n, n) for n in (1, 2, 3) if len(codes) >= n]
    if LATIN_GRAMS:
        parts += [_runs(codes, latin, n, 10 + n) for n in LATIN_GRAMS if len(codes) >= n]
    words = [(m.group(), m.start(), m.end()) for m in _WORD.finditer(text)]
    if words:
        w = [zlib.crc32(t.encode()) for t, _, _ in words]
        pairs = [zlib.crc32(f"{a[0]} {b[0]}".encode()) for a, b in itertools.pairwise(words)]
        hashed = np.array(w + pairs, dtype=np.uint64) + np.uint64(7) * np.uint64(1 << 40)
        s = np.array([a for _, a, _ in words] + [a for _, a, _ in words[:-1]], dtype=np.int64)
        e = np.array([b for _, _, b in words] + [b for _, _, b in words[1:]], dtype=np.int64)
        parts.append((_mix(hashed), s, e))
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return Grams(empty, empty, empty)
    return Grams(*(np.concatenate([p[i] for p in parts]) for i in range(3)))


@dataclass(frozen=True)
class GradeModel:
    """The four steps' weights over the buckets, their biases, and what they were trained on."""

    weights: npt.NDArray[np.float32]
    bias: npt.NDArray[np.float32]
    drafts: int
    data_sha256: str

    def probabilities(self, g: Grams) -> tuple[float, ...]:
        """P(level ≥ k) for k = 1..4, made non-increasing."""
        idx, val = g.vector()
        z = self.weights[:, idx] @ val + self.bias
        p = 1.0 / (1.0 + np.exp(-z.astype(np.float64)))
        return tuple(float(x) for x in np.minimum.accumulate(p))

    def plain(self) -> PlainModel:
        """The same weights as rows of 32-bit floats, for :mod:`classifiers.learned_read`."""
        rows = []
        for k in range(self.weights.shape[0]):
            row = array("f")
            row.frombytes(np.ascontiguousarray(self.weights[k], dtype="<f4").tobytes())
            rows.append(row)
        return PlainModel(tuple(rows), tuple(float(b) for b in self.bias), self.drafts, self.data_sha256)

    def to_file(self, path: str) -> None:
        """Write the weights quantised to 8 bits with their scale, and the metadata."""
        scale = np.maximum(np.abs(self.weights).max(axis=1), 1e-9) / 127.0
        q = np.round(self.weights / scale[:, None]).astype(np.int8)
        meta = json.dumps({"drafts": self.drafts, "data_sha256": self.data_sha256, "bits": BITS})
        with open(path, "wb") as out:
            np.savez_compressed(out, q=q, scale=scale.astype(np.float32), bias=self.bias, meta=np.array(meta))


@functools.lru_cache(maxsize=1)
def load_model() -> GradeModel:
    """The packaged model, read once (its 8-bit weights kept between runs by
    :mod:`keywords.datacache` while the model file and this module are unchanged)."""
    from mijian.keywords.datacache import cached

    source = resources.files("mijian.classifiers").joinpath("data", MODEL_FILE)
    if not isinstance(source, Path):
        return _read_packed(source).model()
    return cached("grade-model", (source, Path(__file__)), lambda: _read_packed(source), _Packed).model()


@dataclass(frozen=True)
class _Packed:
    """The model as it ships: each step's weights in 8 bits with their scale."""

    q: npt.NDArray[np.int8]
    scale: npt.NDArray[np.float32]
    bias: npt.NDArray[np.float32]
    drafts: int
    data_sha256: str

    def model(self) -> GradeModel:
        """The model with its weights restored to 32 bits (made once, no copy beyond the result)."""
        weights = np.multiply(self.q, self.scale[:, None], dtype=np.float32)
        return GradeModel(weights, self.bias, self.drafts, self.data_sha256)


def _read_packed(source: Traversable) -> _Packed:
    """The packaged model file, checked against this reader's feature space."""
    with source.open("rb") as f, np.load(f, allow_pickle=False) as z:
        meta = json.loads(str(z["meta"]))
        if meta["bits"] != BITS:
            raise ValueError(f"grade model has {meta['bits']} bits of features, this reader {BITS}")
        return _Packed(z["q"], z["scale"].astype(np.float32), z["bias"].astype(np.float32), int(meta["drafts"]),
                       str(meta["data_sha256"]))


def read_model(norm: NormalisedText, model: GradeModel | PlainModel | None = None, top: int = 6) -> ModelReading:
    """The second reader's view of the normalised draft ``norm`` (read by
    :func:`classifiers.learned_read.read_model`, without numpy; a model trained here is handed
    to it as plain rows)."""
    return learned_read.read_model(norm, model.plain() if isinstance(model, GradeModel) else model, top)
