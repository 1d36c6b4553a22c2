"""The dev evaluation meets its targets; the splits are well formed and kept apart."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "eval"))

from evaluate import evaluate, load_cases, render  # noqa: E402


def test_splits_are_labelled_and_separate() -> None:
    dev = load_cases(ROOT / "eval" / "dev.jsonl")
    held = load_cases(ROOT / "eval" / "heldout.jsonl")
    assert len(dev) >= 60 and len(held) >= 20
    for cases in (dev, held):
        assert {c.level for c in cases} == {0, 1, 2, 3, 4}
        assert {c.language for c in cases} == {"zh", "en"}
    assert not {c.id for c in dev} & {c.id for c in held}
    assert not {c.text for c in dev} & {c.text for c in held}


def test_dev_targets() -> None:
    report = evaluate(load_cases(ROOT / "eval" / "dev.jsonl"))
    text = render(report, "dev")
    assert report.exact >= 0.90, text
    assert report.within_one == 1.0, text
    assert not report.public_high, text
    assert not report.top_low, text
    assert "confusion" in text
