"""Schemes as data, period checks, decisions and the wording of markings."""

from __future__ import annotations

import pytest

from mijian.pipeline.decision import decide
from mijian.pipeline.errors import UsageError
from mijian.pipeline.marking import build_marking, grade_mark, is_valid_cn_mark
from mijian.pipeline.schemes import all_schemes, check_period, get_scheme


def test_shipped_schemes_load():
    assert set(all_schemes()) == {"cn-state", "cn-enterprise", "us", "uk"}
    assert get_scheme(None, "zh").name == "cn-state"
    assert get_scheme(None, "en").name == "us"
    with pytest.raises(UsageError, match="unknown scheme 'nato'"):
        get_scheme("nato", "en")


@pytest.mark.parametrize("scheme,label,level", [
    ("cn-state", "机密", 3), ("cn-state", "非密", 0), ("us", "top secret", 4), ("us", "TS", 4),
    ("uk", "OFFICIAL", 1), ("uk", "official-sensitive", 2), ("cn-enterprise", "核心商密", 4)])
def test_level_of(scheme, label, level):
    assert all_schemes()[scheme].level_of(label) == level


def test_unknown_grade_is_usage_error():
    with pytest.raises(UsageError, match="grade 'SECRET' is not in scheme cn-state"):
        all_schemes()["cn-state"].level_of("SECRET")


@pytest.mark.parametrize("level,period,expected", [
    (3, None, "20年"), (4, None, "30年"), (2, "5年", "5年"), (3, "6个月", "6个月"),
    (4, "2030年12月31日", "2030年12月31日"), (3, "会议开始前", "会议开始前")])
def test_cn_periods(level, period, expected):
    assert check_period(all_schemes()["cn-state"], level, period) == expected


@pytest.mark.parametrize("level,period,message", [
    (2, "11年", "outside 1..10"), (3, "21年", "outside 1..20"), (1, "5年", "takes no period"),
    (3, "241个月", "longer than 20")])
def test_cn_periods_refused(level, period, message):
    with pytest.raises(UsageError, match=message):
        check_period(all_schemes()["cn-state"], level, period)


def test_cn_state_marking_lines():
    scheme = all_schemes()["cn-state"]
    m = build_marking(scheme, 3, "20年", "000003", 5)
    assert m.first_page_lines == ("000003", "机密★20年")
    assert is_valid_cn_mark(m.first_page_lines[1])
    assert m.banner == "" and "★" not in m.running
    assert "000003" in m.running and "{page}" in m.running
    assert build_marking(scheme, 1, None, "000001", 1).first_page_lines == ("000001", "内部")
    assert build_marking(scheme, 0, None, "000001", 1).first_page_lines == ("000001",)


@pytest.mark.parametrize("name", ["cn-enterprise", "us", "uk"])
def test_no_star_outside_cn_state(name):
    scheme = all_schemes()[name]
    for level in range(5):
        period = scheme.default_period(level)
        m = build_marking(scheme, level, period, "000002", 3)
        text = " ".join(m.first_page_lines) + m.first_page_right + m.banner + m.running
        assert "★" not in text


def test_us_banner_and_top_secret_copy_number():
    scheme = all_schemes()["us"]
    secret = build_marking(scheme, 3, "10 years", "000002", 4)
    assert secret.banner == "SECRET" and secret.copy_line == ""
    top = build_marking(scheme, 4, "10 years", "000003", 10)
    assert top.banner == "TOP SECRET" and top.copy_line == "Copy 3 of 10 copies"
    assert grade_mark(all_schemes()["cn-enterprise"], 3, "5年") == "商密·机密 5年"


def test_decision_lowering_needs_justification():
    scheme = all_schemes()["cn-state"]
    with pytest.raises(UsageError, match="lower than the suggested 机密"):
        decide(scheme, 3, "20年", (), None, grade="秘密")
    d = decide(scheme, 3, "20年", ("r",), None, grade="秘密", justification="已部分公开")
    assert d.level == 2 and d.period == "10年" and d.justification == "已部分公开" and d.lowered
    assert any("已部分公开" in line for line in d.rationale)


def test_decision_defaults_to_suggestion_and_raising_is_free():
    scheme = all_schemes()["cn-state"]
    d = decide(scheme, 2, "10年", (), None)
    assert (d.grade, d.period, d.justification) == ("秘密", "10年", None)
    up = decide(scheme, 2, "10年", (), None, grade="绝密")
    assert (up.grade, up.period) == ("绝密", "30年")
