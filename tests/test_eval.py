"""The evaluation harness: band format, figures, per-sector report, and the dev targets."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "eval"))

from evaluate import Case, Outcome, Report, evaluate, load_cases, render  # noqa: E402


def test_splits_are_labelled_and_separate() -> None:
    dev = load_cases(ROOT / "eval" / "dev.jsonl")
    held = load_cases(ROOT / "eval" / "heldout.jsonl")
    assert len(dev) >= 60 and len(held) >= 20
    for cases in (dev, held):
        assert {c.level for c in cases} == {0, 1, 2, 3, 4}
        assert {c.language for c in cases} == {"zh", "en"}
    assert not {c.id for c in dev} & {c.id for c in held}
    assert not {c.text for c in dev} & {c.text for c in held}
    assert all(c.sector for c in dev), "every dev draft names its sector"


def test_band_and_level_lines(tmp_path: Path) -> None:
    split = tmp_path / "s.jsonl"
    split.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in (
        {"id": "a", "language": "zh", "level": 2, "text": "x"},
        {"id": "b", "language": "en", "band": [1, 3], "sector": "us-a", "kind": "memo", "scheme": "us", "text": "y"},
    )), encoding="utf-8")
    a, b = load_cases(split)
    assert a.band == (2, 2) and b.band == (1, 3) and (b.sector, b.kind, b.scheme) == ("us-a", "memo", "us")
    split.write_text(json.dumps({"id": "c", "language": "zh", "band": [3, 1], "text": "x"}), encoding="utf-8")
    with pytest.raises(ValueError, match=r"s\.jsonl:1: band \[3, 1\]"):
        load_cases(split)


def _outcome(band: tuple[int, int], level: int, sector: str = "s") -> Outcome:
    return Outcome(Case("i", "zh", band, "t", sector=sector), level, ())


def test_figures_count_band_distance_and_the_two_hard_errors() -> None:
    report = Report((
        _outcome((0, 0), 0, "pub"), _outcome((0, 0), 2, "pub"),      # public suggested 2: one hard error
        _outcome((3, 4), 2, "def"), _outcome((3, 4), 4, "def"),      # must be >= 3 suggested 2: the other
        _outcome((1, 2), 4, "work"),                                 # two levels over: not within one
    ))
    assert report.in_band == pytest.approx(2 / 5)
    assert report.within_one == pytest.approx(3 / 5)
    assert len(report.public_high) == 1 and len(report.high_low) == 1
    assert not report.meets_targets()
    sectors = report.sectors()
    assert list(sectors) == ["def", "pub", "work"] and sectors["def"].in_band == 0.5
    text = render(report, "t")
    assert "per sector" in text and "TARGETS MISSED" in text and "band [1, 2], suggested 4" in text


# The dev split holds 145 drafts written blind beside the first 69, and a second blind batch of
# 110 (ids r3d-). It meets the targets (90% in band, 100% within one, no public draft at 2 or
# above, no draft that must be 3 or above below 3); the in-band floor sits just under the figure
# reached (96.6% of 324), so a change that loses ground fails here. Raise it as the catalogue and
# the policy improve.
DEV_FLOOR_IN_BAND = 0.96
DEV_FLOOR_WITHIN_ONE = 1.0
DEV_MAX_MUST_HIGH_BELOW_3 = 0


def test_dev_figures_hold_their_documented_floor() -> None:
    report = evaluate(load_cases(ROOT / "eval" / "dev.jsonl"))
    text = render(report, "dev")
    assert report.in_band >= DEV_FLOOR_IN_BAND, text
    assert report.within_one >= DEV_FLOOR_WITHIN_ONE, text
    assert not report.public_high, text  # a hard target, met: keep it
    assert len(report.high_low) <= DEV_MAX_MUST_HIGH_BELOW_3, text


HELDOUT_FLOOR_IN_BAND = 0.75
"""The held-out split (96 drafts, 72 of them written blind and never tuned on) measured 77.1%
in band, and 80.2% after the second blind batch was tuned on: a floor against regressions, not
a target (the target is 90%)."""


def test_heldout_figures_do_not_fall() -> None:
    report = evaluate(load_cases(ROOT / "eval" / "heldout.jsonl"))
    assert report.in_band >= HELDOUT_FLOOR_IN_BAND, render(report, "heldout")


def test_first_dev_drafts_hold_their_floor() -> None:
    # Single-level labels: a draft one level off its label counts as missed (97.1% reached).
    cases = tuple(c for c in load_cases(ROOT / "eval" / "dev.jsonl") if not c.id.startswith(("bd", "r3")))
    report = evaluate(cases)
    text = render(report, "dev (first 69)")
    assert len(cases) == 69
    assert report.in_band >= 0.96 and not report.public_high, text
    assert report.within_one == 1.0 and not report.high_low, text


def test_exit_code_follows_targets(tmp_path: Path) -> None:
    split = tmp_path / "miss.jsonl"
    split.write_text(json.dumps({"id": "m", "language": "zh", "band": [4, 4], "sector": "x",
                                 "text": "关于开展垃圾分类宣传周活动的通知"}, ensure_ascii=False), encoding="utf-8")
    done = subprocess.run([sys.executable, str(ROOT / "eval" / "evaluate.py"), "--file", str(split), "--quiet"],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 1 and "TARGETS MISSED" in done.stdout
