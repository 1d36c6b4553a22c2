"""Tests for detection (normalisation, lexicon scan, patterns) and the grade policy."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mijian.classifiers import (
    Finding,
    Suggestion,
    classify,
    find_patterns,
    id_check_char,
    luhn_valid,
    normalise,
    scan_lexicon,
    suggest,
)
from mijian.keywords import load_lexicon
from mijian.pipeline.model import Document

# --- helpers computed independently of the code under test ------------------------------


def gb11643_check(first17: str) -> str:
    """ISO 7064 MOD 11-2: weights 2^(17-i) mod 11, check value (12 - sum mod 11) mod 11."""
    total = sum(int(d) * pow(2, 17 - i, 11) for i, d in enumerate(first17))
    value = (12 - total % 11) % 11
    return "X" if value == 10 else str(value)


def luhn_complete(partial: str) -> str:
    """Append the Luhn check digit to ``partial``."""
    for digit in "0123456789":
        candidate = partial + digit
        total = 0
        for i, ch in enumerate(reversed(candidate)):
            d = int(ch) * (2 if i % 2 else 1)
            total += d - 9 if d > 9 else d
        if total % 10 == 0:
            return candidate
    raise AssertionError("unreachable")


def wrong_check(number: str) -> str:
    """Replace the last character of an ID number with a different, wrong check character."""
    right = number[-1]
    return number[:-1] + ("1" if right != "1" else "2")


def doc(text: str, language: str = "zh") -> Document:
    return Document(source="draft.txt", sha256="0" * 64, kind="txt", language=language, text=text)  # type: ignore[arg-type]


ID_BASES = ["11010519491231002", "44030619950715234", "51010719880808456", "31011520000229001", "65010219731105087"]
VALID_IDS = [base + gb11643_check(base) for base in ID_BASES]


# --- check characters -------------------------------------------------------------------


def test_id_check_char_known_answers() -> None:
    assert id_check_char("11010519491231002") == "X"  # the example printed in GB 11643
    for base in ID_BASES:
        assert id_check_char(base) == gb11643_check(base)


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("4111111111111111", True),
        ("4111111111111112", False),
        ("5555555555554444", True),
        ("6011111111111117", True),
        ("6011111111111118", False),
        (luhn_complete("622202123456789012"), True),
        ("79927398713", True),
        ("79927398710", False),
    ],
)
def test_luhn_table(number: str, valid: bool) -> None:
    assert luhn_valid(number) is valid


# --- patterns ---------------------------------------------------------------------------


def patterns(text: str) -> list[Finding]:
    return list(find_patterns(normalise(text), today=date(2025, 6, 1)))


@pytest.mark.parametrize("number", VALID_IDS)
def test_valid_resident_ids_are_found(number: str) -> None:
    text = f"经办人 {number} 已到场"
    [hit] = patterns(text)
    assert (hit.rule, hit.category, hit.source) == ("cn_resident_id", "personal_information", "pattern")
    assert hit.score == 0.85
    assert text[hit.start : hit.end] == hit.text == number
    assert "check character valid" in hit.explanation


@pytest.mark.parametrize("number", VALID_IDS)
def test_wrong_check_character_keeps_a_low_score(number: str) -> None:
    bad = wrong_check(number)
    [hit] = patterns(f"号码 {bad} 。")
    assert hit.rule == "cn_resident_id"
    assert hit.score < 0.5
    assert f"should be {number[-1]}" in hit.explanation


@pytest.mark.parametrize(
    "base",
    [
        "11010519491331002",  # month 13
        "11010519490230002",  # 30 February
        "00010519491231002",  # no such region
        "11010520300101002",  # born in the future
        "11010520250602001",  # born the day after "today" (2025-06-01)
        "11010518991231002",  # before 1900
    ],
)
def test_implausible_ids_are_dropped(base: str) -> None:
    assert [f for f in patterns(f"号码 {base + gb11643_check(base)} 。") if f.rule == "cn_resident_id"] == []


def test_id_context_word_raises_the_score() -> None:
    [plain] = patterns(f"编号 {VALID_IDS[1]}")
    [boosted] = patterns(f"身份证号：{VALID_IDS[1]}")
    assert plain.score == 0.85 and boosted.score == 1.0
    assert "context word '身份证'" in boosted.explanation


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4111111111111111", 0.6),
        ("4111 1111 1111 1111", 0.6),
        ("4111-1111-1111-1111", 0.6),
        ("卡号 4111111111111111", 0.95),
        ("card number 4111111111111111", 0.95),
        (luhn_complete("622202123456789012"), 0.6),
        (luhn_complete("900000000000000"), 0.35),
        ("4111111111111112", None),
        ("4111 1111 1111 1112", None),
        ("64111111111111111", None),  # Luhn fails once a digit is prepended
    ],
)
def test_bank_cards(text: str, expected: float | None) -> None:
    cards = [f for f in patterns(text) if f.rule == "bank_card"]
    if expected is None:
        assert cards == []
    else:
        [card] = cards
        assert card.score == expected
        assert "Luhn check passed" in card.explanation


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("13800138000", "13800138000"),
        ("+86 138 0013 8000", "+86 138 0013 8000"),
        ("手机：19912345678。", "19912345678"),
        ("12800138000", None),  # no 12x prefix
        ("213800138000", None),  # part of a longer number
        ("2,138.00138000", None),
        ("138\n0013\n8000", None),  # groups on separate lines
    ],
)
def test_mobiles(text: str, found: str | None) -> None:
    hits = [f for f in patterns(text) if f.rule == "cn_mobile"]
    assert [h.text for h in hits] == ([found] if found else [])


def test_mobile_context_and_base_score() -> None:
    [bare] = patterns("13800138000")
    [ctx] = patterns("联系电话 13800138000")
    assert (bare.score, ctx.score) == (0.4, 0.75)


def test_full_width_digits_map_back_to_the_original() -> None:
    wide = "".join(chr(ord(c) + 0xFEE0) for c in VALID_IDS[0])
    text = f"身份证：{wide}。"
    [hit] = patterns(text)
    assert hit.text == wide and text[hit.start : hit.end] == wide


def test_an_id_that_also_passes_luhn_is_reported_once() -> None:
    bases = (f"110105194912310{i:02d}" for i in range(100))
    numbers = (b + gb11643_check(b) for b in bases)
    number = next(n for n in numbers if n[-1] != "X" and luhn_valid(n))
    [hit] = patterns(f"编号 {number}")
    assert hit.rule == "cn_resident_id" and hit.score == 0.85


# --- normalisation ----------------------------------------------------------------------


def test_normalise_full_width_and_case() -> None:
    text = "ＴＯＰ　ＳＥＣＲＥＴ：阅后收回"
    norm = normalise(text)
    assert norm.text == "top secret:阅后收回"
    assert [norm.to_original(i, i + 1) for i in range(len(text))] == [(i, i + 1) for i in range(len(text))]
    assert text[slice(*norm.to_original(0, 10))] == "ＴＯＰ　ＳＥＣＲＥＴ"


def test_normalise_whitespace_and_expansions() -> None:
    text = "控制文\n件  and\r\n\tmore ﬁle"
    norm = normalise(text)
    assert norm.text == "控制文件 and more file"
    assert norm.to_original(0, 4) == (0, 5)  # 控制文件 spans the line break
    assert norm.to_original(8, 9) == (10, 13)  # the collapsed whitespace run
    assert norm.to_original(len(norm.text) - 4, len(norm.text)) == (text.index("ﬁ"), len(text))
    with pytest.raises(ValueError):
        norm.to_original(3, 3)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab AB１２ \n\t控制★ﬁß①\u00ad\u3000Ｚ"), max_size=40))
def test_offset_map_is_monotonic_and_in_range(text: str) -> None:
    norm = normalise(text)
    last = 0
    for i in range(len(norm.text)):
        start, end = norm.to_original(i, i + 1)
        assert 0 <= start < end <= len(text)
        assert start >= last
        last = start
    assert "  " not in norm.text and "\n" not in norm.text


# --- lexicon scan -----------------------------------------------------------------------


def scan(text: str) -> list[Finding]:
    return list(scan_lexicon(normalise(text), load_lexicon()))


def test_chinese_terms_are_found_inside_longer_words() -> None:
    hits = scan("附件为本次作战预案汇编。")
    assert [(h.text, h.category, h.floor) for h in hits] == [("作战预案", "defence", None)]  # a generic noun: weight, no floor


def test_longest_overlapping_hit_wins() -> None:
    hits = scan("请不得扩大知悉范围。")
    assert [h.text for h in hits] == ["不得扩大知悉范围"]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("SECRET", ["SECRET"]),
        ("the secretary will attend", []),
        ("a trade secret was lost", ["trade secret"]),
        ("Secret Santa list", []),  # marking words count only in capitals
        ("TOP SECRET//NOFORN", ["TOP SECRET//NOFORN"]),
        ("see the classified annexes", []),  # word boundary after 'annex'
        ("see the classified annex.", ["classified annex"]),
        ("Plans must not be\nrevealed.", ["must not be\nrevealed"]),
        ("请阅后\n收回", ["阅后\n收回"]),
    ],
)
def test_english_boundaries_capitals_and_line_breaks(text: str, found: list[str]) -> None:
    assert [h.text for h in scan(text)] == found


def test_full_width_marking_keeps_original_offsets() -> None:
    text = "前言\nＳＥＣＲＥＴ\n正文"
    [hit] = scan(text)
    assert (hit.start, hit.end, hit.text) == (3, 9, "ＳＥＣＲＥＴ")
    assert hit.category == "marking" and hit.floor == 3
    assert "lexicon term 'SECRET'" in hit.explanation


def test_scan_with_a_custom_lexicon(tmp_path: Path) -> None:
    path = tmp_path / "mini.toml"
    path.write_text('category = "defence"\nterms = [ { text = "蓝军", weight = 0.9, floor = 3 } ]\n', encoding="utf-8")
    suggestion = classify(doc("本次对抗演练蓝军编成如下。"), load_lexicon([path]))
    assert suggestion.level == 3
    assert [f.text for f in suggestion.findings] == ["蓝军"]


# --- policy (pure function over findings) -----------------------------------------------


def lex(text: str, category: str, score: float, start: int = 500, floor: int | None = None,
        banner: bool = False) -> Finding:
    return Finding(start, start + len(text), text, category, "lexicon", score, "test", rule=text, floor=floor,
                   banner=banner)


def test_policy_is_pure_and_order_independent() -> None:
    fs = [lex("作战预案", "defence", 0.9, 10, 3), lex("阅后收回", "handling", 0.8, 40), lex("学习材料", "public_context", 0.6, 80)]
    a = suggest(fs, "zh")
    b = suggest(list(reversed(fs)), "zh")
    assert a == b
    assert isinstance(a, Suggestion) and a.findings == tuple(sorted(fs, key=lambda f: f.start))


def test_no_findings_is_public() -> None:
    s = suggest([], "en")
    assert (s.level, s.basis, s.period_years) == (0, None, None)
    assert s.rationale[0] == "No sensitive content was found."
    assert s.rationale[-1].startswith("Decision: public (0)")


@pytest.mark.parametrize(("level", "years"), [(0, None), (1, None), (2, 10), (3, 20), (4, 30)])
def test_default_period_follows_the_level(level: int, years: int | None) -> None:
    marking = {0: None, 1: "内部资料", 2: "秘密★", 3: "机密★", 4: "绝密★"}[level]
    fs = [lex(marking, "marking", 1.0, 0, level, banner=True)] if marking else []
    s = suggest(fs, "zh")
    assert (s.level, s.period_years) == (level, years)


def test_strength_has_diminishing_returns() -> None:
    one = suggest([lex("演习计划", "defence", 0.5)], "zh")
    two = suggest([lex("演习计划", "defence", 0.5), lex("军事行动", "defence", 0.4, 600)], "zh")
    repeats = suggest([lex("演习计划", "defence", 0.5, 500 + i * 10) for i in range(20)], "zh")
    assert one.level == 1 and two.level == 1 and repeats.level == 1
    assert one.confidence < two.confidence
    assert "演习计划×20" in repeats.rationale[0]


def test_category_reach_limits_words_alone() -> None:
    strong_work = [lex(t, "work_secret", 0.9, 500 + i * 10) for i, t in enumerate(("甲", "乙", "丙"))]
    strong_business = [lex(t, "commercial_secret", 0.9, 500 + i * 10) for i, t in enumerate(("甲", "乙", "丙"))]
    assert suggest(strong_work, "zh").level == 1
    assert suggest(strong_business, "zh").level == 2


def test_handling_language_raises_one_step_or_to_internal() -> None:
    alone = suggest([lex("阅后收回", "handling", 0.8)], "zh")
    with_content = suggest([lex("谈判策略", "foreign_affairs", 0.6), lex("阅后收回", "handling", 0.8, 600)], "zh")
    assert alone.level == 1
    assert with_content.level == 2
    assert any("上调为 秘密/CONFIDENTIAL (2)" in line for line in with_content.rationale)


def test_lowering_context_caps_talk_about_secrecy() -> None:
    talk = [lex("绝密文件", "handling", 0.6), lex("谈判策略", "foreign_affairs", 0.6, 520)]
    assert suggest(talk, "zh").level == 2
    assert suggest(talk + [lex("据报道", "public_context", 0.35, 540)], "zh").level == 1  # one step down
    assert suggest(talk + [lex("学习材料", "public_context", 0.6, 540)], "zh").level == 0
    assert suggest(talk + [lex("已公开发布", "public_context", 0.9, 540)], "zh").level == 0


def test_never_below_a_floor() -> None:
    fs = [lex("作战预案", "defence", 0.9, 500, 3), lex("已公开发布", "public_context", 0.9, 520), lex("保密知识培训", "public_context", 0.8, 540)]
    s = suggest(fs, "zh")
    assert s.level == 3
    assert any("不能低于 机密/SECRET (3)" in line for line in s.rationale)
    assert s.basis is not None and "国防建设和武装力量" in s.basis


def test_head_marking_is_a_floor_body_marking_is_evidence() -> None:
    head = suggest([lex("绝密★", "marking", 1.0, 8, 4, banner=True), lex("已公开发布", "public_context", 0.9, 500)], "zh")
    assert head.level == 4 and head.confidence == 0.9 and head.basis == "草稿已有的密级标志：绝密★"
    body = suggest([lex("学习材料", "public_context", 0.6, 0), lex("绝密★", "marking", 1.0, 30, 4)], "zh")
    assert body.level == 0  # a marking word in training text: talk about secrecy
    plain_body = suggest([lex("会议纪要", "work_secret", 0.25, 0), lex("绝密★", "marking", 1.0, 400, 4)], "zh")
    assert plain_body.level == 2  # grade words in running text: evidence, at most 2
    not_banner = suggest([lex("绝密★", "marking", 1.0, 8, 4)], "zh")
    assert not_banner.level == 2  # at the top, but inside a sentence: a mention


@pytest.mark.parametrize(
    ("text", "banner"),
    [
        ("绝密★30年\n关于……的决定", True),
        ("SECRET//NOFORN\nSubject: x", True),
        ("标注形式如“机密★20年”，请注意。", False),
        ("SECRET applies where compromise could seriously damage defence.", False),
        ("正文" * 150 + "\n机密★\n" + "正文" * 150, False),  # alone on its line, but mid-draft
        # caveats, codewords and descriptors in capitals share the banner line
        ("TOP SECRET STRAP1 – UK EYES ONLY\nSubject: x", True),
        ("SECRET – REL TO USA, FVEY\nSubject: x", True),
        ("OFFICIAL-SENSITIVE: COMMERCIAL\nTender scores", True),
        ("TOP SECRET – STRAP 2 (notional) – UK EYES ONLY\nReport", True),
        ("SECRET papers go in the safe, UK eyes only, every night.\nx", False),
        ("TOP SECRET – for a joke, obviously\nx", False),
        ("TOP SECRET//RESTRICTED DATA\nMEMORANDUM", True),
    ],
)
def test_banner_markings_are_the_drafts_own(text: str, banner: bool) -> None:
    marks = [f for f in scan(text) if f.category == "marking"]
    assert marks and marks[0].banner is banner


def pattern(rule: str, text: str, score: float, start: int) -> Finding:
    return Finding(start, start + len(text), text, "personal_information", "pattern", score, "test", rule=rule)


def test_personal_data_in_quantity() -> None:
    few = [pattern("cn_resident_id", VALID_IDS[0], 0.85, 0)]
    some = [pattern("cn_resident_id", n, 0.85, i * 30) for i, n in enumerate(VALID_IDS[:3])]
    many = [pattern("bank_card", luhn_complete(f"62220200{i:07d}"), 0.6, i * 30) for i in range(30)]
    repeated = [pattern("cn_resident_id", VALID_IDS[0], 0.85, i * 30) for i in range(10)]
    weak = [pattern("cn_resident_id", wrong_check(n), 0.1, i * 30) for i, n in enumerate(VALID_IDS)]
    phones = [pattern("cn_mobile", f"1380013{i:04d}", 0.4, i * 20) for i in range(10)]
    assert suggest(few, "zh").level == 1
    assert suggest(some + [lex("已公开发布", "public_context", 0.9, 900)], "zh").level == 1
    assert suggest(many, "zh").level == 2
    assert suggest(repeated, "zh").level == 1  # one person: no quantity floor, but personal data
    assert suggest(weak, "zh").level == 0
    assert suggest(phones[:1], "zh").level == 0
    assert suggest(phones, "zh").level == 1
    assert "另有 5 个号码校验位不符" in " ".join(suggest(weak, "zh").rationale)


def test_rationale_follows_the_language_and_confidence_is_bounded() -> None:
    fs = [lex("作战预案", "defence", 0.9, 500, 3)]
    zh, en = suggest(fs, "zh"), suggest(fs, "en")
    assert zh.rationale[-1].startswith("结论：机密/SECRET (3)") and "按标志体系对该密级的默认期限" in zh.rationale[-1]
    assert en.rationale[-1].startswith("Decision: SECRET (3)") and "the scheme's default for the grade" in en.rationale[-1]
    assert not any("机密" in line for line in en.rationale), "an English rationale is English throughout"
    assert zh.basis == "保守国家秘密法第十三条第（二）项：国防建设和武装力量活动中的秘密事项"
    assert en.basis is not None and "1.4(a)" in en.basis
    for s in (zh, en):
        assert 0 < s.confidence <= 1


# --- whole drafts -----------------------------------------------------------------------

ZH_SECRET = """000003
关于跨区机动演练兵力部署的通报
各参演单位：
按照上级统一安排，下月组织跨区机动演练。现将作战预案要点、参演部队番号及集结地域通报如下，
请严格控制知悉范围，不得扩大范围，阅后收回。
一、兵力部署：第一梯队在甲地集结，第二梯队沿乙线机动。
二、指挥所开设在丙地以北，通信按战备方案执行。
"""

ZH_TRAINING = """保密知识培训学习材料
为帮助新入职同志树立保密意识，现将保密常识整理如下，可在单位内部学习。
一、国家秘密分为绝密、机密、秘密三级，标注形式如“机密★20年”。
二、绝密文件应单独存放；涉密文件不得扩大知悉范围，阅后收回，严禁外传。
三、保守国家秘密法列举了国防建设、外交外事、科学技术等方面的秘密事项。
四、发现泄密隐患要及时报告。
"""

ZH_NOTICE = """关于举办社区秋季运动会的通知
各居民小组：
为丰富居民文体生活，定于10月18日上午在中心广场举办秋季运动会，设跳绳、拔河等项目，
欢迎社会各界朋友前来观赛。报名截至10月10日。
特此通知。
（此件公开发布）
"""

EN_SECRET = """SECRET//NOFORN
MEMORANDUM FOR THE COMMANDER
SUBJECT: Troop movements for the autumn exercise
1. The order of battle and unit locations in the classified annex must not be revealed outside this headquarters.
2. Distribution limited to the named recipients.
SECRET//NOFORN
"""

EN_TRAINING = """Security awareness training: handling classified information
This training material explains the markings you may see, such as TOP SECRET and SECRET,
and why material marked this way must not be revealed. It may be shared freely with new staff.
"""


def roster() -> str:
    rows = ["员工信息登记表", "姓名 身份证号 银行卡号 手机"]
    for i, number in enumerate(VALID_IDS):
        card = luhn_complete(f"622202{i:09d}")
        rows.append(f"职工{i} {number} {card} 1390000{i:04d}")
    return "\n".join(rows)


@pytest.mark.parametrize(
    ("name", "text", "language", "low", "high"),
    [
        ("zh secret", ZH_SECRET, "zh", 3, 3),
        ("zh training", ZH_TRAINING, "zh", 0, 1),
        ("zh notice", ZH_NOTICE, "zh", 0, 0),
        ("en secret memo", EN_SECRET, "en", 3, 4),
        ("en training", EN_TRAINING, "en", 0, 1),
        ("roster", roster(), "zh", 1, 2),
        ("empty", "", "zh", 0, 0),
    ],
)
def test_sample_drafts(name: str, text: str, language: str, low: int, high: int) -> None:
    s = classify(doc(text, language))
    assert low <= s.level <= high, (name, s.rationale)
    for f in s.findings:
        assert text[f.start : f.end] == f.text
    assert s.rationale and 0 < s.confidence <= 1


def test_zh_secret_sample_details() -> None:
    s = classify(doc(ZH_SECRET))
    assert s.level == 3 and s.period_years == 20 and s.confidence >= 0.8
    assert {f.category for f in s.findings} >= {"defence", "handling"}
    assert s.basis == "保守国家秘密法第十三条第（二）项：国防建设和武装力量活动中的秘密事项"


def test_en_memo_is_decided_by_its_own_marking() -> None:
    s = classify(doc(EN_SECRET, "en"))
    assert s.level == 3
    assert s.basis == "Marking already on the draft: SECRET//NOFORN"
    assert "by the marking already on the draft" in s.rationale[-1]


def test_full_width_draft_offsets() -> None:
    text = "ＴＯＰ　ＳＥＣＲＥＴ\n作战\n预案已下发，阅后收回。"
    s = classify(doc(text))
    assert s.level == 4
    found = {f.text: (f.start, f.end) for f in s.findings}
    assert found["ＴＯＰ　ＳＥＣＲＥＴ"] == (0, 10)
    assert found["作战\n预案"] == (11, 16)
    assert text[slice(*found["阅后收回"])] == "阅后收回"


def test_classify_grows_linearly_on_a_megabyte() -> None:
    """No slow path (quadratic work, a regex per term): four times the text costs about four
    times the CPU time. Speed itself (300,000 characters/s) is shown by
    bench/classify_bench.py; CPU time of this process is compared, not wall time, so a busy
    machine does not decide the result."""
    unit = ZH_SECRET + EN_TRAINING + roster() + ZH_NOTICE * 3 + "普通段落，没有任何敏感内容。" * 40
    text = unit * (1_000_000 // len(unit.encode()) + 1)
    assert len(text.encode()) >= 1_000_000
    classify(doc("预热"))
    quarter = min(_timed(doc(text[: len(text) // 4])) for _ in range(2))
    whole = min(_timed(doc(text)) for _ in range(2))
    assert whole <= 8 * max(quarter, 0.01), f"whole {whole:.2f} s, quarter {quarter:.2f} s of CPU"


def _timed(draft: Document) -> float:
    start = time.process_time()
    classify(draft)
    return time.process_time() - start


def test_finding_and_suggestion_are_frozen() -> None:
    f = lex("作战预案", "defence", 0.9)
    with pytest.raises(AttributeError):
        f.score = 1.0  # type: ignore[misc]
    assert replace(f, score=0.5).score == 0.5
    with pytest.raises(AttributeError):
        suggest([f], "zh").level = 0  # type: ignore[misc]


# --- more validated patterns --------------------------------------------------------------


def iban(country: str, bban: str) -> str:
    """Build an IBAN with correct check digits (ISO 13616) for test vectors."""
    moved = bban + country + "00"
    check = 98 - int("".join(str(int(ch, 36)) for ch in moved)) % 97
    return f"{country}{check:02d}{bban}"


@pytest.mark.parametrize(
    ("text", "rule", "found"),
    [
        ("统一社会信用代码 91350100M000100Y43", "uscc", "91350100M000100Y43"),
        ("统一社会信用代码 91350100M000100Y44", "uscc", None),  # wrong check character
        ("护照号码 E12345678", "cn_passport", "E12345678"),
        ("NI number AB 12 34 56 C", "uk_nino", "AB 12 34 56 C"),
        ("NI number QQ 12 34 56 C", "uk_nino", None),  # QQ: specimen prefix, never issued
        ("SSN 123-45-6780", "us_ssn", "123-45-6780"),
        ("SSN 666-45-6780", "us_ssn", None),
        ("SSN 078-05-1120", "us_ssn", None),  # the advertised specimen
        ("IBAN GB82 WEST 1234 5698 7654 32", "iban", "GB82 WEST 1234 5698 7654 32"),
        ("IBAN GB83 WEST 1234 5698 7654 32", "iban", None),
        (f"IBAN {iban('DE', '370400440532013000')}", "iban", iban("DE", "370400440532013000")),
        ("电话 010-65123456", "cn_landline", "010-65123456"),
        ("tel +44 7700 900123", "phone", "+44 7700 900123"),
        ("中国人民解放军61398部队", "military_unit", "中国人民解放军61398部队"),
        ("阵地坐标 北纬30°15′27″ 东经120°09′18″", "coordinates", "北纬30°15′27″ 东经120°09′18″"),
        ("site at 51.5074, -0.1278", "coordinates", "51.5074, -0.1278"),
        ("at 95.5074, -0.1278", "coordinates", None),  # latitude out of range
        ("MGRS 33UXP0500444996", "grid_reference", "33UXP0500444996"),
        ("grid ref TQ 3004 8047", "grid_reference", "grid ref TQ 3004 8047"),
    ],
)
def test_more_patterns(text: str, rule: str, found: str | None) -> None:
    hits = [f for f in patterns(text) if f.rule == rule]
    assert [h.text for h in hits] == ([found] if found else [])
    for h in hits:
        assert text[h.start : h.end] == h.text and h.explanation


def test_context_word_raises_new_patterns() -> None:
    [plain] = [f for f in patterns("AB 12 34 56 C") if f.rule == "uk_nino"]
    [boosted] = [f for f in patterns("National Insurance AB 12 34 56 C") if f.rule == "uk_nino"]
    assert (plain.score, boosted.score) == (0.6, 0.95)
    assert "context word 'national insurance'" in boosted.explanation


def test_organisation_codes_weigh_little() -> None:
    s = classify(doc("营业执照 统一社会信用代码 91350100M000100Y43"))
    assert s.level == 0


def test_blocks_skipped_when_folding_tables_are_built_fold_to_themselves() -> None:
    """The start-up shortcut is only sound if every character of the skipped blocks is its own
    fold; this proves it for the Unicode tables of the running Python."""
    import importlib

    normalise = importlib.import_module("mijian.classifiers.normalise")
    for lo, hi in normalise.STABLE_RANGES:
        changed = [hex(cp) for cp in range(lo, hi + 1) if normalise._fold(chr(cp)) != chr(cp)]
        assert not changed, f"{len(changed)} characters fold to something else, e.g. {changed[:3]}"
    skipped = set(range(0x10000)) - set(normalise._unstable_points())
    assert skipped == {cp for lo, hi in ((0xD800, 0xDFFF), *normalise.STABLE_RANGES)
                       for cp in range(lo, hi + 1)}


@pytest.mark.parametrize(
    "text",
    [
        "省考试院命题组：理综第25题题干改了，选择题第3题选项换成了C，明天送印。",
        "命题组：文综第38题材料是一段对话，选择题第5题选项换成了B，明天送印。",
    ],
)
def test_a_national_exam_named_by_its_examining_body_or_paper_reaches_top_secret(text: str) -> None:
    """The provincial examinations authority (考试院) and the combined papers of the national
    entrance examination (理综, 文综) say which examination a paper belongs to, as 高考 does."""
    s = classify(Document(source="t", sha256="0" * 64, kind="txt", language="zh", text=text), second_reader=False)
    assert s.level == 4 and s.scope_item == "cn-exam-01", s.rationale
