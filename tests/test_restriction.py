"""The writer's own restriction (别外传, keep it tight) as a condition of every secrecy-scope item.

Informal messages carry no marking; what tells a reader the subject is not public is the
writer keeping it to a few people. These drafts are written for the test, in words of their
own: a restricted subject fires its item (at most 机密), everyday talk with the same phrases
and no secret subject stays low, and ordinary turns of speech (别忘了, 不要说错话) are no
restriction.
"""

from __future__ import annotations

import functools

import re

import pytest
from mijian.classifiers import classify as _classify
from mijian.classifiers.details import GENERIC_KINDS
from mijian.classifiers.scope_match import RESTRICTED_MAX
from mijian.pipeline.model import Document

# These cases pin the rules (steps 1-5 of the policy) on their own; the suggestion that
# weighs them with the second reader is measured on the eval splits (tests/test_second_reading.py).
classify = functools.partial(_classify, second_reader=False)


def _level(text: str, language: str) -> int:
    doc = Document(source="t.txt", sha256="0" * 64, kind="txt", language=language, text=text)
    return classify(doc).level


def _restrictions(text: str) -> list[str]:
    return [m.group(0) for m in re.finditer(GENERIC_KINDS["restriction"], text, re.IGNORECASE)]


@pytest.mark.parametrize("text", [
    "这事就咱们三个人知道", "别在走廊里讲", "别发朋友圈", "看完就删", "对外什么都不要说", "千万别跟财务那边提起",
    "只限处里两位领导知悉", "Keep it tight please", "mum's the word", "not a word to the press office",
    "nobody else on this thread", "please delete after reading", "don't let this leave the building",
])
def test_restriction_phrases_are_found(text: str) -> None:
    assert _restrictions(text), text


@pytest.mark.parametrize("text", [
    "别忘了带伞", "开会时不要说错话", "这不能说明问题", "don't forget the cake", "Please share widely",
    "I'll keep you posted", "不要说话，认真听讲",
])
def test_ordinary_turns_of_speech_are_not_restrictions(text: str) -> None:
    assert not _restrictions(text), text


@pytest.mark.parametrize(("language", "lo", "hi", "text"), [
    ("zh", 2, 3, "老周：线人“山鹰”的真名就你我知道，周五的抓捕时间别写进简报里。"),
    ("zh", 1, 3, "小林，明年要审的单位名单出来了，正式发文前别跟下面的人说。"),
    ("en", 2, 3, "Sam - our informant in the crew says the handover is Friday night. Keep it tight, nobody else on this thread."),
])
def test_a_restricted_subject_is_graded(language: str, lo: int, hi: int, text: str) -> None:
    assert lo <= _level(text, language) <= hi


@pytest.mark.parametrize(("language", "text"), [
    ("zh", "周末聚餐的地方先别发群里，给老王一个惊喜，就咱们几个知道。"),
    ("zh", "生日蛋糕的事千万别跟她说，看完就删哈哈"),
    ("en", "Keep it quiet - it's Jo's surprise leaving do on Friday, nobody else on this thread knows."),
])
def test_restricted_small_talk_stays_low(language: str, text: str) -> None:
    assert _level(text, language) <= 1


@pytest.mark.parametrize(("language", "text"), [
    ("zh", "小郑：样品的测试结果出来了，比预期好很多，先别往外说。"),
    ("en", "Results from the pilot came back better than we hoped. Keep it to yourself for now."),
])
def test_a_restricted_message_is_at_least_internal(language: str, text: str) -> None:
    assert _level(text, language) == 1  # 内部: kept quiet, but no secret subject named


def test_a_restriction_alone_never_makes_top_secret() -> None:
    assert RESTRICTED_MAX == 3
    text = "核武器运输的事别往外说。"  # a top-secret subject, no detail, only the writer's restriction
    assert _level(text, "zh") <= RESTRICTED_MAX


@pytest.mark.parametrize(("language", "text"), [
    ("en", "haha the new intern's coffee mug says TOP SECRET on it, no idea where he got it"),
    ("en", "The box in the hall is stamped SECRET - can someone carry it to the registry?"),
    ("zh", "今天涉密培训考试谁满分？“机密文件能不能带回家”那题我居然选错了"),
])
def test_talk_about_a_label_or_a_quiz_is_not_secret(language: str, text: str) -> None:
    assert _level(text, language) == 0


@pytest.mark.parametrize(("language", "text"), [
    ("zh", "去年的高考题目和参考答案我整理好了，发群里大家练手。"),
    ("zh", "看新闻了吗，央行昨天降准了，利率也跟着下调。"),
    ("zh", "那批七十年代的电报早就解密了，档案馆能查到，展览可以直接用。"),
    ("en", "The 1980s cabinet minutes were declassified last year and released to the National Archives, so quote away."),
    ("en", "Did you see it on the news? The rate cut is already public."),
])
def test_everyday_talk_of_published_or_declassified_matters_stays_low(language: str, text: str) -> None:
    assert _level(text, language) <= 1


def test_subject_words_alone_count_for_a_condition_bound_item_only_when_kept_quiet() -> None:
    past = "去年的作文题目和评分细则都在这个链接里。"
    live = "今年的作文题目和评分细则都在这个链接里，评卷员不得拍照，别外传。"
    assert _level(past, "zh") <= 1 < _level(live, "zh")


def test_the_fast_generic_patterns_find_what_the_plain_ones_find() -> None:
    """The first-character look-ahead of the generic patterns is only a speed-up: on every dev
    draft it finds exactly the spans the plain pattern finds."""
    import json

    from mijian.classifiers.details import _conditions
    from tests.conftest import ROOT

    texts = [json.loads(line)["text"] for line in (ROOT / "eval" / "dev.jsonl").read_text(encoding="utf-8").splitlines()]
    for kind, source in GENERIC_KINDS.items():
        plain, fast = re.compile(source, re.IGNORECASE), _conditions(kind)
        for text in texts:
            assert [m.span() for m in fast.finditer(text)] == [m.span() for m in plain.finditer(text)], kind
