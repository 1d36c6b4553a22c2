"""The second reader (a trained linear model) and the step that weighs it with the rules."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from mijian.classifiers import classify
from mijian.classifiers.catalogue import load_catalogue
from mijian.classifiers.learned import SHORT, ModelReading, grams, load_model, read_model
from mijian.classifiers.learned_fit import Example, fingerprint, fit
from mijian.classifiers.normalise import normalise
from mijian.classifiers.second_reading import Combiner, load_combiner, top_secret
from mijian.pipeline.model import Document

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "eval"))

from evaluate import load_cases  # noqa: E402


def _doc(text: str, language: str = "zh") -> Document:
    return Document(source="t", sha256="0" * 64, kind="txt", language=language, text=text)  # type: ignore[arg-type]


def test_features_hash_the_same_on_every_machine() -> None:
    """Buckets come from fixed arithmetic, not from Python's per-process string hash."""
    g = grams("核潜艇 patrol 2024")
    assert len(g.buckets) == 3 + 2 + 1 + 3 + 2 + 1  # 核 潜 艇, 核潜 潜艇, 核潜艇; patr atro trol; patrol, 0000; the pair
    assert grams("2024").buckets.tolist() == grams("1999").buckets.tolist()  # digits read as 0
    assert int(grams("核").buckets[0]) == 163224  # a fixed value: the hash must not drift


def test_fit_learns_which_words_go_with_which_band() -> None:
    secret = ["核潜艇战备值班位置与出航时间", "导弹阵地坐标与发射单元编成", "战备值班潜艇出航海域"]
    public = ["食堂中午供应红烧肉欢迎品尝", "周末组织职工羽毛球比赛", "图书馆延长开放时间的通知"]
    model = fit([Example(t, 3, 3) for t in secret] + [Example(t, 0, 0) for t in public], epochs=200)
    hi = model.probabilities(grams(normalise("潜艇出航时间和值班海域").text))
    lo = model.probabilities(grams(normalise("职工羽毛球比赛在食堂旁").text))
    assert hi[2] > 0.5 > lo[2]
    assert list(hi) == sorted(hi, reverse=True), "step probabilities never rise with the step"


def test_a_band_that_straddles_a_step_teaches_nothing_about_it() -> None:
    model = fit([Example("甲乙丙", 1, 3), Example("丁戊己", 0, 0)], epochs=50)
    g = grams(normalise("甲乙丙").text)
    idx, _ = g.vector()
    assert np.all(model.weights[1, idx] == 0) and np.all(model.weights[2, idx] == 0)  # steps 2, 3: unknown
    assert np.any(model.weights[0, idx] > 0)                                         # step 1: positive


def test_packaged_model_was_trained_on_the_data_in_the_repository() -> None:
    """Stale weights fail here: run ``python eval/train_model.py`` after changing the splits."""
    cases = (*load_cases(ROOT / "eval" / "dev.jsonl"), *load_cases(ROOT / "eval" / "blind.jsonl"))
    assert load_model().data_sha256 == fingerprint([Example(c.text, *c.band) for c in cases])
    assert load_combiner().drafts == len(load_cases(ROOT / "eval" / "blind.jsonl"))


def test_training_and_held_out_splits_do_not_share_a_draft() -> None:
    train = {c.text for s in ("dev", "blind") for c in load_cases(ROOT / "eval" / f"{s}.jsonl")}
    for split in ("heldout", "heldout2", "heldout3", "heldout4", "heldout5", "heldout7"):
        held = load_cases(ROOT / "eval" / f"{split}.jsonl")
        assert not {c.text for c in held} & train, split


def test_every_training_draft_has_an_id_of_its_own() -> None:
    """The measured batch folded into ``blind.jsonl`` (ids ``r8a``–``r8d``) kept its ids apart."""
    ids = [c.id for s in ("dev", "blind") for c in load_cases(ROOT / "eval" / f"{s}.jsonl")]
    assert len(ids) == len(set(ids))
    assert sum(i.startswith("r8") for i in ids) == 160


def test_the_rationale_reports_the_second_reading_in_the_draft_language() -> None:
    text = "关于核潜艇战备值班的通知：某艇将于下月出航，执行远海战备巡逻任务，具体海域和时间另行通知，各单位做好保障。"
    s = classify(_doc(text))
    line = next(x for x in s.rationale if x.startswith("第二读者"))
    assert "P(≥" in line and "已标注草稿" in line
    en = s.in_language("en")
    assert any(x.startswith("Second reader") for x in en.rationale)
    assert not any("机密" in x or "秘密" in x for x in en.rationale if x.startswith("Second reader"))
    assert s.second is not None and en.second is s.second


def test_rules_alone_are_still_available() -> None:
    text = "今天中午食堂有红烧肉，大家早点去。"
    s = classify(_doc(text), second_reader=False)
    assert s.second is None and not any(x.startswith("第二读者") for x in s.rationale)


def _combiner(push: float) -> Combiner:
    """A combiner that ignores the rules and follows the reader, scaled by ``push``."""
    zero = ((0.0,) * 5,) * 4
    reader = tuple(tuple(push if j == k else 0.0 for j in range(4)) for k in range(4))
    return Combiner(zero, reader, reader, (0.0,) * 4, (0.5,) * 4, 1)


def test_the_combined_level_is_the_highest_step_every_lower_step_passes() -> None:
    c = _combiner(1.0)
    reading = ModelReading((0.9, 0.8, 0.3, 0.6), 1, (), SHORT)
    q = c.probabilities(0, reading)
    assert q[3] <= q[2] and c.level(q) == 2


def test_the_second_reading_never_goes_below_the_office_catalogue(monkeypatch: pytest.MonkeyPatch) -> None:
    """An item of the office's own catalogue is policy: a reader that says 公开 may not lower it."""
    import mijian.classifiers.second_reading as sr

    zero = ((0.0,) * 5,) * 4
    no_reader = ((0.0,) * 4,) * 4
    says_public = Combiner(zero, no_reader, no_reader, (-5.0,) * 4, (0.5,) * 4, 1)
    monkeypatch.setattr(sr, "load_combiner", lambda: says_public)
    catalogue = load_catalogue(ROOT / "samples" / "catalogue.toml")
    text = "关于秋季演训地方保障：参演部队开进路线、临时驻地和集结时间另行下发。"
    s = classify(_doc(text), catalogue=catalogue)
    assert s.level == 3 and s.catalogue_item == "JL-BZ-01", s.rationale
    plain = classify(_doc("关于秋季运动会的安排：各部门报名时间另行下发，欢迎踊跃参加。"))
    assert plain.level == 0


def test_a_short_message_gives_the_reader_little_say() -> None:
    assert ModelReading((0.5,) * 4, 1, (), 20).weight() == pytest.approx(20 / SHORT)
    assert ModelReading((0.5,) * 4, 1, (), 5 * SHORT).weight() == 1.0
    r = read_model(normalise("好的"))
    assert r.features < SHORT and r.weight() < 0.1


def test_the_combiner_file_is_plain_json_with_every_part() -> None:
    raw = json.loads((ROOT / "classifiers" / "data" / "second_reading.json").read_text("utf-8"))
    assert {"rules", "reader", "short", "bias", "thresholds", "drafts"} <= set(raw)
    assert len(raw["rules"]) == 4 and all(len(r) == 5 for r in raw["rules"])


def test_the_json_result_says_what_decided_and_what_the_reader_saw() -> None:
    from mijian.pipeline.analysis import classify_document

    text = "关于做好演训保障工作的通知：参演部队开进和临时驻地保障由县人武部牵头。"
    out = classify_document(_doc(text), "cn-state").to_json()
    reading = out["second_reading"]
    assert out["decided_by"] in {"second_reading", "score", "floor_scope", "scope_evidence", "details"}
    assert set(reading["at_least"]) == {"1", "2", "3", "4"} and reading["trained_on"] > 1000
    assert all(text[w["start"]:w["end"]] == w["text"] for w in reading["words"]) and reading["words"]


def test_the_second_reading_takes_the_rules_down_two_steps_at_most(monkeypatch: pytest.MonkeyPatch) -> None:
    """A reader that says 公开 cannot wipe out a suggestion the rules make from a secrecy-scope item."""
    import mijian.classifiers.second_reading as sr

    text = "关于核潜艇战备值班的通知：某艇将于下月出航，执行远海战备巡逻任务，具体海域和时间另行通知。"
    rules = classify(_doc(text), second_reader=False).level
    monkeypatch.setattr(sr, "load_combiner", lambda: _combiner(-5.0))
    assert rules >= 3 and classify(_doc(text)).level == rules - sr.LOWER_MAX


def test_the_second_reading_never_goes_below_a_lexicon_floor(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A term the office's lexicon gives a floor is a rule for that word: a reader that says 公开 may not lower it."""
    import mijian.classifiers.second_reading as sr
    from mijian.keywords import load_lexicon

    path = tmp_path / "office.toml"
    path.write_text('category = "defence"\nterms = [ { text = "青鸟计划", weight = 0.9, floor = 3 } ]\n', encoding="utf-8")
    monkeypatch.setattr(sr, "load_combiner", lambda: _combiner(-5.0))
    s = classify(_doc("下周例会顺带说一下青鸟计划的进度。"), load_lexicon([path]))
    assert s.level == 3, s.rationale



SUB = "关于核潜艇战备值班的通知：某艇将于下月出航，执行远海战备巡逻任务，具体海域和时间另行通知。"
DRILL = "关于做好演训保障工作的通知：参演部队开进和临时驻地保障由县人武部牵头。"


def _sure_combiner() -> Combiner:
    """A combiner sure the draft is 绝密 whatever the rules and the reader say."""
    zero = ((0.0,) * 5,) * 4
    return Combiner(zero, ((0.0,) * 4,) * 4, ((0.0,) * 4,) * 4, (8.0,) * 4, (0.5,) * 4, 1)


def _reader_at(top: float):  # type: ignore[no-untyped-def]
    """A stand-in for the reader: sure of 机密, ``top`` for ≥ 绝密."""
    return lambda norm, **_: ModelReading((0.99, 0.99, 0.99, top), 1, (), SHORT)


@pytest.mark.parametrize(
    ("text", "top", "level"),
    [
        (SUB, 0.5, 4),                   # rules 机密, both readings say 绝密
        (SUB, 0.1, 3),                   # the reader's own ≥ 绝密 step says no
        ("机密★10年\n" + SUB, 0.5, 3),  # the draft's own marking says 机密
        (DRILL, 0.5, 3),                 # rules 秘密: the reader stops at 机密
    ],
)
def test_the_second_reading_sets_top_secret_only_above_the_rules_secret(
        monkeypatch: pytest.MonkeyPatch, text: str, top: float, level: int) -> None:
    """绝密 beyond the rules needs the rules at 机密, the combined ≥ 绝密 step and the reader's own."""
    import mijian.classifiers.engine as engine
    import mijian.classifiers.second_reading as sr

    monkeypatch.setattr(sr, "load_combiner", _sure_combiner)
    monkeypatch.setattr(engine, "read_model", _reader_at(top))
    assert classify(_doc(text), second_reader=False).level == (2 if text == DRILL else 3)
    assert classify(_doc(text)).level == level


def test_a_declassified_record_is_never_raised_to_top_secret() -> None:
    reading = ModelReading((0.99, 0.99, 0.99, 0.9), 1, (), SHORT)
    c = _sure_combiner()
    q = c.probabilities(3, reading)
    assert top_secret(c, q, reading, 3, 3, 0, False) == 4
    assert top_secret(c, q, reading, 3, 3, 0, True) == 3
