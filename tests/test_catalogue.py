"""Tests for the office catalogue of secret matters: loading, validation, matching, policy."""

from __future__ import annotations

from pathlib import Path

import pytest

from mijian.classifiers import classify
from mijian.classifiers.catalogue import find_catalogue, load_catalogue, match_catalogue
from mijian.classifiers.normalise import normalise
from mijian.pipeline.analysis import classify_document
from mijian.pipeline.errors import ConfigError
from mijian.pipeline.model import Document

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "samples" / "catalogue.toml"


def doc(text: str, language: str = "zh") -> Document:
    return Document(source="draft.txt", sha256="0" * 64, kind="txt", language=language, text=text)  # type: ignore[arg-type]


def write(tmp_path: Path, body: str, name: str = "cat.toml") -> Path:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return path


ITEM = 'id = "A-1"\ndescription = "演训保障"\ngrade = "机密"\nperiod_years = 15\nkeywords = ["演训", "驻地", "开进"]\n'


def test_sample_catalogue_loads() -> None:
    cat = load_catalogue(SAMPLE)
    assert cat.title.startswith("江澜省人民政府办公厅")
    ids = [i.id for i in cat.items]
    assert ids[0] == "JL-BZ-01" and len(ids) == len(set(ids)) >= 5
    first = cat.items[0]
    assert (first.level, first.period_years, first.category, first.required, first.min_matches) == (3, 15, "defence", ("演训",), 3)


def test_item_applies_and_sets_grade_period_and_basis() -> None:
    text = "关于演训保障的通知：参演部队于4月开进，临时驻地代号“青杉一号”。"
    s = classify(doc(text), catalogue=load_catalogue(SAMPLE))
    assert s.level == 3 and s.catalogue_item == "JL-BZ-01" and s.catalogue_period_years == 15
    assert s.basis is not None and "JL-BZ-01" in s.basis and "15年" in s.basis
    assert any("JL-BZ-01" in line for line in s.rationale)
    assert "一览表规定保密期限：15年" in s.rationale[-1]


def test_item_needs_its_required_word_and_enough_keywords() -> None:
    cat = load_catalogue(SAMPLE)
    assert [m.item.id for m in match_catalogue(normalise("参演部队开进，临时驻地代号保密。"), cat)] == []  # no 演训
    assert [m.item.id for m in match_catalogue(normalise("演训期间驻地周边禁止拍摄。"), cat)] == []  # 1 of 3


def test_never_below_a_matched_item_even_in_training_context() -> None:
    text = "保密知识学习材料：演训保障中参演兵力、开进路线和临时驻地代号应当保密。欢迎转发。"
    s = classify(doc(text), catalogue=load_catalogue(SAMPLE))
    assert s.level == 3


def test_pipeline_period_and_basis_from_the_catalogue() -> None:
    text = "关于演训保障的通知：参演部队于4月开进，临时驻地代号“青杉一号”。"
    result = classify_document(doc(text), "cn-state", load_catalogue(SAMPLE))
    assert (result.grade, result.period, result.catalogue_item) == ("机密", "15年", "JL-BZ-01")
    assert result.basis == result.suggestion.basis
    assert set(result.to_json()) == {"document", "sha256", "scheme", "language", "grade", "level", "confidence",
                                     "period", "findings", "rationale", "decided_by", "second_reading"}


def test_csv_catalogue(tmp_path: Path) -> None:
    path = write(tmp_path, "id,description,grade,period_years,category,keywords,min_matches\n"
                           "E-1,unreleased results,CONFIDENTIAL,2,economy,quarterly results;profit warning,1\n", "c.csv")
    cat = load_catalogue(path)
    assert cat.items[0].level == 2 and cat.items[0].keywords == ("quarterly results", "profit warning")
    s = classify(doc("Draft: profit warning for the board.", "en"), catalogue=cat)
    assert s.level == 2 and s.catalogue_item == "E-1"
    assert classify(doc("We support warnings.", "en"), catalogue=cat).level == 0


def test_find_catalogue_in_home(tmp_path: Path) -> None:
    assert find_catalogue(tmp_path) is None
    path = write(tmp_path, f"[[items]]\n{ITEM}", "catalogue.toml")
    assert find_catalogue(tmp_path) == path


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (f"[[items]]\n{ITEM}[[items]]\n{ITEM}", "item #2 'A-1': duplicate id"),
        ("[[items]]\n" + ITEM.replace('"机密"', '"极密"'), "item #1 'A-1': grade '极密' is not 1..4 or a grade name"),
        ("[[items]]\n" + ITEM.replace("15", "40"), "item #1 'A-1': period_years 40 is not a whole number of years 1..30"),
        ("[[items]]\n" + ITEM.replace('keywords = ["演训", "驻地", "开进"]', "keywords = []"), "item #1 'A-1': no keywords"),
        ("[[items]]\n" + ITEM + "min_matches = 5\n", "item #1 'A-1': min_matches 5 must be 1..3"),
        ("[[items]]\n" + ITEM + "colour = 1\n", "item #1 'A-1': unknown key 'colour'"),
        ("[[items]]\n" + ITEM.replace('id = "A-1"\n', ""), "item #1: missing 'id'"),
        ("[[items]]\n" + ITEM + 'category = "defense"\n', "item #1 'A-1': unknown category 'defense'"),
        ("title = 1\n[[items]]\n" + ITEM, "title must be a non-empty string"),
        ('title = "x"\n', "the catalogue has no items"),
        ("[[items]\n", "not valid TOML"),
    ],
)
def test_bad_catalogues_name_file_and_item(tmp_path: Path, body: str, message: str) -> None:
    path = write(tmp_path, body)
    with pytest.raises(ConfigError) as info:
        load_catalogue(path)
    assert str(info.value).startswith(f"{path}: {message}")
    assert "\n" not in str(info.value)


def test_missing_and_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the catalogue"):
        load_catalogue(tmp_path / "absent.toml")
    with pytest.raises(ConfigError, match=r"unknown catalogue format '\.xlsx'"):
        load_catalogue(write(tmp_path, "x", "cat.xlsx"))
