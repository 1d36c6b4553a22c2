"""The second reading at both ends of the ladder: a banner over nothing, a 绝密 banner."""

from __future__ import annotations

import pytest

from mijian.classifiers import classify
from mijian.classifiers.floors import Floors
from mijian.classifiers.learned import SHORT, ModelReading
from mijian.classifiers.second_reading import Combiner, settled, top_secret
from mijian.pipeline.model import Document


def _doc(text: str, language: str = "zh") -> Document:
    return Document(source="t", sha256="0" * 64, kind="txt", language=language, text=text)  # type: ignore[arg-type]


def _combiner(bias: float) -> Combiner:
    """A combiner that ignores the rules and the reader: every step at the logistic of ``bias``."""
    zero = ((0.0,) * 5,) * 4
    return Combiner(zero, ((0.0,) * 4,) * 4, ((0.0,) * 4,) * 4, (bias,) * 4, (0.5,) * 4, 1)


def _floors(mark: int, subject: bool) -> Floors:
    return Floors(0, (), 0, mark, None, None, 0, False, subject)


def test_a_banner_over_no_subject_matter_holds_internal_only() -> None:
    """One step below a 机密 banner is 秘密; with nothing the rules can read under it, 内部."""
    assert settled(_floors(3, subject=True)) == 2
    assert settled(_floors(3, subject=False)) == 1
    assert settled(_floors(4, subject=False)) == 1
    assert settled(_floors(1, subject=False)) == 1


LUNCH = "机密\n关于调整机关食堂午餐时间的通知\n各科室：因厨房改造，下周起午餐时间改为十一点四十至十二点半，请相互转告。\n办公室"
PATROL = "机密\n关于核潜艇战备值班的通知：某艇将于下月出航，执行远海战备巡逻任务，具体海域和时间另行通知。"


@pytest.mark.parametrize(("text", "level"), [(LUNCH, 1), (PATROL, 2)])
def test_a_reader_that_reads_nothing_takes_an_over_marked_notice_to_internal(
        monkeypatch: pytest.MonkeyPatch, text: str, level: int) -> None:
    """Over-marking (a canteen notice under 机密) is not held at 秘密; a banner over matter is."""
    import mijian.classifiers.engine as engine
    import mijian.classifiers.second_reading as sr

    monkeypatch.setattr(sr, "load_combiner", lambda: _combiner(-8.0))
    monkeypatch.setattr(engine, "read_model", lambda norm, **_: ModelReading((0.01,) * 4, 1, (), SHORT))
    assert classify(_doc(text), second_reader=False).level == 3
    s = classify(_doc(text))
    assert s.level == level, s.rationale


def test_the_drafts_own_top_secret_banner_holds_where_the_reading_reaches_secret() -> None:
    reading = ModelReading((0.99, 0.99, 0.99, 0.01), 1, (), SHORT)
    sure, doubtful = _combiner(8.0), _combiner(-8.0)
    assert top_secret(sure, sure.probabilities(4, reading), reading, 3, 4, 4, False) == 4
    assert top_secret(doubtful, doubtful.probabilities(4, reading), reading, 3, 4, 4, False) == 3
    assert top_secret(sure, sure.probabilities(4, reading), reading, 3, 4, 4, True) == 3  # declassified
    assert top_secret(sure, sure.probabilities(3, reading), reading, 3, 3, 3, False) == 3  # a 机密 banner
