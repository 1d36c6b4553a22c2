"""Train the second reader (:mod:`classifiers.learned`) on labelled drafts.

Each draft carries a band ``[lo, hi]`` of acceptable levels. For the step "≥ k" a draft is a
positive example when ``lo ≥ k``, a negative one when ``hi < k``, and no example when the band
straddles the step (reasonable officers differ there, so the model is not told either way).
Each step is a logistic regression with an L2 penalty, fitted by full-batch AdaGrad on the
hashed features: deterministic, numpy only, a few seconds for a thousand drafts.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from mijian.classifiers.learned import BITS, STEPS, GradeModel, grams
from mijian.classifiers.normalise import normalise


@dataclass(frozen=True)
class Example:
    """One labelled draft: its text and its band of acceptable levels."""

    text: str
    lo: int
    hi: int


@dataclass(frozen=True)
class Matrix:
    """The drafts' feature vectors, row by row (compressed sparse rows)."""

    cols: npt.NDArray[np.int64]
    vals: npt.NDArray[np.float64]
    rows: npt.NDArray[np.int64]
    n: int


def matrix(texts: Sequence[str]) -> Matrix:
    """Feature vectors of ``texts``, normalised as the classifier normalises drafts."""
    cols, vals, rows = [], [], []
    for i, text in enumerate(texts):
        idx, val = grams(normalise(text).text).vector()
        cols.append(idx)
        vals.append(val)
        rows.append(np.full(len(idx), i, dtype=np.int64))
    if not cols:
        raise ValueError("no drafts to train on: give at least one labelled draft")
    return Matrix(np.concatenate(cols), np.concatenate(vals), np.concatenate(rows), len(texts))


def fingerprint(examples: Sequence[Example]) -> str:
    """SHA-256 over the examples in order: which data a model was trained on."""
    h = hashlib.sha256()
    for ex in examples:
        h.update(f"{ex.lo}:{ex.hi}:{len(ex.text)}:".encode())
        h.update(ex.text.encode())
    return h.hexdigest()


def fit(examples: Sequence[Example], penalty: float = 1e-5, epochs: int = 300, rate: float = 0.5) -> GradeModel:
    """Fit the four steps on ``examples``."""
    x = matrix([ex.text for ex in examples])
    size = 1 << BITS
    weights = np.zeros((STEPS, size), dtype=np.float32)
    bias = np.zeros(STEPS, dtype=np.float32)
    for k in range(1, STEPS + 1):
        y = np.array([1.0 if ex.lo >= k else 0.0 if ex.hi < k else -1.0 for ex in examples])
        w, b = _fit_step(x, y, size, penalty, epochs, rate)
        weights[k - 1], bias[k - 1] = w, b
    return GradeModel(weights, bias, len(examples), fingerprint(examples))


def _fit_step(x: Matrix, y: npt.NDArray[np.float64], size: int, penalty: float, epochs: int,
              rate: float) -> tuple[npt.NDArray[np.float64], float]:
    """One logistic regression; rows with ``y < 0`` are left out."""
    known = y >= 0
    if not known.any():
        return np.zeros(size), 0.0
    w = np.zeros(size)
    b = 0.0
    g2 = np.full(size, 1e-8)
    gb2 = 1e-8
    count = float(known.sum())
    for _ in range(epochs):
        z = np.bincount(x.rows, weights=x.vals * w[x.cols], minlength=x.n) + b
        p = 1.0 / (1.0 + np.exp(-z))
        err = np.where(known, p - y, 0.0) / count
        g = np.bincount(x.cols, weights=x.vals * err[x.rows], minlength=size) + penalty * w
        gb = float(err.sum())
        g2 += g * g
        gb2 += gb * gb
        w -= rate * g / np.sqrt(g2)
        b -= rate * gb / np.sqrt(gb2)
    return w, b
