"""Tests for the NLP layer (rule engine, spaCy engine) and the context windows around findings."""

from __future__ import annotations

import sys

import pytest

from mijian.classifiers import classify
from mijian.classifiers.context import specifics, window, with_nearby
from mijian.classifiers.findings import Finding
from mijian.classifiers.nlp import RuleNlp, SpacyNlp
from mijian.classifiers.normalise import normalise
from mijian.pipeline.model import Document

ZH = "参演部队约3200人、车辆410余台，拟于2025年4月14日至17日向望川市青杉县白石滩训练场机动，经费120万元。联系人：周立衡，电话。"
EN = "Colonel James Reid said 600 personnel will move on 14 April to Kelso Range; the Saltway Marine Services fee is £4.1 million."


def labels(engine: object, text: str, language: str) -> dict[str, str]:
    return {e.text: e.label for e in engine.entities(normalise(text), language)}  # type: ignore[attr-defined]


def test_rule_engine_chinese() -> None:
    found = labels(RuleNlp(), ZH, "zh")
    assert found["约3200人"] == "QUANTITY" and found["410余台"] == "QUANTITY"
    assert found["2025年4月14日"] == "DATE"
    assert found["120万元"] == "MONEY"
    assert found["周立衡"] == "PERSON"
    assert any(label == "GPE" and "望川市" in text for text, label in found.items())


def test_rule_engine_english() -> None:
    found = labels(RuleNlp(), EN, "en")
    assert found["Colonel James Reid"] == "PERSON"
    assert found["600 personnel"] == "QUANTITY"
    assert found["14 April"] == "DATE"
    assert found["Kelso Range"] == "GPE"
    assert found["£4.1 million"] == "MONEY"
    assert found["Saltway Marine Services"] == "ORG"


def test_entity_offsets_point_into_the_original() -> None:
    text = "演训于\n4月14日开始，约３２００人参加。"
    for ent in RuleNlp().entities(normalise(text), "zh"):
        assert text[ent.start:ent.end] == ent.text


@pytest.mark.parametrize(("text", "language"), [(ZH, "zh"), (EN, "en")])
def test_spacy_engine_gives_token_aligned_entities(text: str, language: str) -> None:
    ents = SpacyNlp().entities(normalise(text), language)
    assert {"DATE", "QUANTITY"} <= {e.label for e in ents}
    for ent in ents:
        assert text[ent.start:ent.end] == ent.text


def test_window_stays_inside_the_paragraph() -> None:
    text = "甲" * 100 + "\n\n" + "乙" * 10 + "目标" + "丙" * 100
    start = text.index("目标")
    lo, hi = window(text, start, start + 2, 60)
    assert lo == 102 and hi == start + 62


def test_specifics_need_an_anchor_and_explain_themselves() -> None:
    norm = normalise(ZH)
    ents = RuleNlp().entities(norm, "zh")
    anchor = Finding(0, 4, "参演部队", "defence", "lexicon", 0.55, "lexicon term", rule="参演部队")
    out = specifics(ZH, [anchor], ents)
    assert out and all(f.source == "nlp" and f.category == "defence" for f in out)
    assert "within" in out[0].explanation and "参演部队" in out[0].explanation
    assert specifics(ZH, [], ents) == ()
    [annotated] = with_nearby(ZH, [anchor], ents)
    assert "nearby: 约3200人 (QUANTITY)" in annotated.explanation


def test_details_move_a_subject_up_one_step() -> None:
    bare = "演习部队将进行调动。"
    detailed = "演习部队约2800人、车辆350台，定于6月3日沿高速公路开进，驻地设在城北物流园。"
    d = lambda t: Document(source="d", sha256="0" * 64, kind="txt", language="zh", text=t)  # noqa: E731
    low, high = classify(d(bare)), classify(d(detailed))
    assert high.level > low.level
    assert any("具体细节" in line for line in high.rationale)


def test_nothing_heavy_is_imported_by_the_classifier() -> None:
    import subprocess
    import sys

    code = ("import sys\nfrom classifiers import classify\nfrom pipeline.model import Document\n"
            "classify(Document(source='d', sha256='0'*64, kind='txt', language='zh', text='作战方案 3200人 4月1日'))\n"
            "assert 'spacy' not in sys.modules and 'jieba' not in sys.modules, sorted(m for m in sys.modules if 'spacy' in m)\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_spacy_engine_without_spacy_says_how_to_install_it(monkeypatch) -> None:
    """spaCy is an extra (mijian[nlp]): without it the engine fails with one line that says so."""

    from mijian.classifiers import nlp as nlp_module
    from mijian.pipeline.errors import ConfigError

    nlp_module._spacy_pipeline.cache_clear()
    monkeypatch.setitem(sys.modules, "spacy", None)
    try:
        with pytest.raises(ConfigError, match=r"mijian\[nlp\]"):
            SpacyNlp().entities(normalise("国防科技大学召开会议。"), "zh")
    finally:
        nlp_module._spacy_pipeline.cache_clear()
