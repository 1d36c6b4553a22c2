"""Declassification notes in the words archivists and editors use, and notes that take them back.

A marking above a note that the record was declassified, opened or published is history; an
exam paper's 启用前 marking lapses once the exam has been held. A note that says the
declassification was wrong, or that part of the record stays secret, keeps the marking in force.
The sentences are written for the test.
"""

from __future__ import annotations

import functools

import pytest
from mijian.classifiers import classify as _classify
from mijian.classifiers.reading import read
from mijian.pipeline.model import Document

rules_only = functools.partial(_classify, second_reader=False)


def _doc(text: str, language: str = "zh") -> Document:
    return Document(source="t.txt", sha256="0" * 64, kind="txt", language=language, text=text)  # type: ignore[arg-type]


@pytest.mark.parametrize("note", [
    "（本册原封面标有“机密”，已于2015年经原定密机关审核解密，现存区档案馆）",
    "本件经市档案馆会同原定密机关逐页审核，已于2021年3月依法解密。",
    "【已解密　1979年卷】",
    "解密说明：经审核，上述材料不再作为国家秘密管理。",
    "这批文件已由档案部门鉴定并依法解密，批准向社会开放。",
    "这几份电报解密以后已经收进资料汇编出版了。",
    "（以上为去年已考真题，供复习参考）",
    "本试卷已于2022年6月8日考试结束，经授权收入真题集。",
])
def test_an_archivists_or_editors_note_is_read_as_declassification(note: str) -> None:
    assert read(f"机密\n关于某工程的报告\n……\n{note}").declassified


@pytest.mark.parametrize("text", [
    "关于开展年度解密审核工作的通知：请各处室梳理到期事项，拟解密后公开的列出清单。",
    "保密法修订后，完善了定密、解密制度。",
    "这批档案显示“待解密审核”，开放前不能引用。",
])
def test_talk_about_declassification_is_not_a_note(text: str) -> None:
    assert not read(text).declassified


def test_a_past_exam_paper_keeps_its_header_as_history() -> None:
    text = ("绝密★启用前\n2022年普通高等学校招生全国统一考试\n物理\n本试卷共8页，满分100分。\n"
            "一、选择题\n1. 下列说法正确的是（　）\n（编者按：本试卷已于2022年6月8日考试结束，现收入复习资料。）")
    assert rules_only(_doc(text)).level == 0


@pytest.mark.parametrize("note", [
    "（档案室注：本件解密审核有误，已通知各借阅单位收回。）",
    "（其中第三部分涉及现役设施位置，仍需保密。）",
])
def test_a_note_that_takes_the_declassification_back_keeps_the_marking(note: str) -> None:
    text = f"【已解密　1985年档案】\n机密\n关于某洞库竣工情况的报告\n洞库总长2.1公里，设两个出入口。\n{note}"
    assert not read(text).declassified
    assert rules_only(_doc(text)).level >= 2


def test_a_conditional_need_for_secrecy_does_not_take_the_note_back() -> None:
    text = "上次查阅的那批档案已标明解密开放。另有几卷待审核，如果仍需保密，我只引用已开放部分。"
    assert read(text).declassified


def test_an_english_partial_release_keeps_the_retained_folios_secret() -> None:
    text = ("Review note: most of the file may be released in full. Folios 12-14 must be retained: "
            "they name a living source. The original SECRET marking on them remains appropriate.")
    assert not read(text).declassified


def test_the_second_reader_does_not_raise_a_declassified_record() -> None:
    text = ("绝密\n关于边境会谈情况的报告（1964年5月）\n会谈中对方坚持其主张，我方代表团按照既定方针阐明立场，"
            "双方同意下一轮会谈在对方首都举行。\n（本件经审核已于2009年解密，收入档案选编公开出版。）")
    alone, both = rules_only(_doc(text)), _classify(_doc(text))
    assert alone.level == 0
    assert both.level <= alone.level
