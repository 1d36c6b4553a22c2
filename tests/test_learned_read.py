"""The second reader as the classifier runs it (:mod:`classifiers.learned_read`, plain Python)
reads every draft as the numpy reader of :mod:`classifiers.learned` does: the same buckets,
the same 32-bit weights, the same quoted words, probabilities equal to the last bits."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from mijian.classifiers import learned, learned_read
from mijian.classifiers.normalise import normalise
from tests.conftest import ROOT

EDGES = ["", "a", "ab", "abcd", "2024", "核", "核潜", "核潜艇 patrol 2024", "deploy deployment's x-ray 0.5",
         "机密★10年\n关于某型装备 Deployment of the 3rd fleet 第3批次", "한국어 кириллица ｆｕｌｌ", "a" * 5 + "中" * 700]


def _drafts(limit: int) -> list[str]:
    rows = (ROOT / "eval" / "dev.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["text"] for line in rows[:limit]]


def _numpy_reading(norm, model):
    """The reading as the numpy reader made it: its grams, probabilities and weighing."""
    g = learned.grams(norm.text)
    probs = model.probabilities(g)
    return g, probs


@pytest.fixture(scope="module")
def models():
    return learned.load_model(), learned_read.load_model()


def test_the_plain_weights_are_the_numpy_weights_bit_for_bit(models):
    numpy_model, plain = models
    for k in range(learned.STEPS):
        assert np.array_equal(np.frombuffer(plain.weights[k].tobytes(), dtype="<f4"), numpy_model.weights[k])
    assert plain.bias == tuple(float(b) for b in numpy_model.bias)
    assert (plain.drafts, plain.data_sha256) == (numpy_model.drafts, numpy_model.data_sha256)


@pytest.mark.parametrize("text", EDGES + _drafts(150))
def test_plain_grams_are_the_numpy_grams(text):
    norm = normalise(text).text
    a, b = learned.grams(norm), learned_read.grams(norm)
    assert (a.buckets.tolist(), a.starts.tolist(), a.ends.tolist()) == (b.buckets, b.starts, b.ends)


def test_the_plain_reading_is_the_numpy_reading(models):
    numpy_model, plain = models
    for text in EDGES + _drafts(150):
        norm = normalise(text)
        g, probs = _numpy_reading(norm, numpy_model)
        reading = learned_read.read_model(norm, plain)
        assert reading.features == len(g.distinct)
        assert reading.probabilities == pytest.approx(probs, rel=0, abs=1e-12)
        step = max((k for k in range(learned.STEPS) if probs[k] >= 0.5), default=0)
        assert max((k for k in range(learned.STEPS) if reading.probabilities[k] >= 0.5), default=0) == step
        # the numpy model handed to the reader gives the same words and peak as the packaged rows
        again = learned.read_model(norm, numpy_model)
        assert (again.spans, again.down, again.peak) == (reading.spans, reading.down, reading.peak)


def test_a_long_draft_is_read_part_by_part_as_before(models):
    numpy_model, plain = models
    text = "\n".join(_drafts(40))
    norm = normalise(text)
    reading = learned_read.read_model(norm, plain)
    assert reading.peak is not None and len(reading.spans) == 6
    g = learned.grams(norm.text)
    order = np.argsort(g.starts, kind="stable")
    starts, ends, buckets = g.starts[order], g.ends[order], g.buckets[order]
    size = max(learned.PART, -(-2 * len(norm.text) // learned.PARTS_MAX))
    best = np.zeros(learned.STEPS)
    for a in range(0, max(1, len(norm.text) - size // 2), size // 2):
        lo, hi = np.searchsorted(starts, a), np.searchsorted(starts, a + size)
        inside = ends[lo:hi] <= a + size
        if inside.any():
            part = learned.Grams(buckets[lo:hi][inside], starts[lo:hi][inside], ends[lo:hi][inside])
            best = np.maximum(best, numpy_model.probabilities(part))
    assert reading.peak == pytest.approx(tuple(best), rel=0, abs=1e-12)


def test_classifying_imports_no_numpy():
    code = ("import sys\nfrom mijian.classifiers import classify\nfrom mijian.pipeline.model import Document\n"
            "s = classify(Document(source='x', sha256='0' * 64, kind='txt', language='zh', "
            "text='机密\\n关于某型装备部署计划的通知，' * 40))\n"
            "assert s.second is not None\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('numpy', 'pymupdf', 'PIL')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          env={**__import__("os").environ, "PYTHONPATH": str(ROOT)})
    assert done.stdout.strip() == "[]", done.stdout
