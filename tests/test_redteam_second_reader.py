"""Attacks on the second reading, as a hostile drafter and a careless user would try them.

Each case came out of a red-team pass: padding a secret draft with harmless paragraphs, text
the reader cannot read (look-alike letters, another script, bytes read as text), invisible
characters that split words, a header field before the draft's own marking, and an input that
once took minutes. The rules alone are the reference: the second reading may move them only
within its bounds.
"""

from __future__ import annotations

import random

import pytest

from mijian.classifiers import classify
from mijian.classifiers.learned import WORD_MAX
from mijian.classifiers.second_reading import HOLD_SLACK
from mijian.pipeline.model import Document

ORDER = "作战命令（第07号）\n一、根据战区命令，我旅二营于X月18日02:00前完成向东山阵地的机动部署，发射单元4台车（车号507、512、516、520）沿梁家沟—石坪乡道前出，进入B-2阵地（北纬38°41′12″，东经109°07′55″）。\n二、机动期间启用备用频率组第4组，主频静默至18:00。\n三、射击诸元由旅作战处另行下达。\n四、本命令阅后收回，不得复制。"
ZH_PADDING = "食堂本周菜谱：周一红烧肉、清炒时蔬、紫菜蛋花汤；周二宫保鸡丁、麻婆豆腐、西红柿鸡蛋汤；周三糖醋排骨、蒜蓉西兰花、冬瓜排骨汤；周四鱼香肉丝、干煸四季豆、酸辣汤；周五土豆烧牛肉、凉拌黄瓜、绿豆汤。欢迎大家就餐，提出宝贵意见。\n\n今天白天晴转多云，气温十八到二十六度，东南风三到四级，明天有小雨，请大家注意添衣保暖，出行注意交通安全。周末将组织职工开展健步走活动，请各部门积极报名参加，丰富业余文化生活。\n\n办公楼三层东侧卫生间水龙头漏水，物业已安排维修师傅明天上午处理；请各科室下班前关好门窗，关闭电脑显示器和空调，节约用电。打印纸、签字笔、订书钉等办公用品请到综合科领取并登记。\n\n工会将于下月举办职工羽毛球比赛，分男子单打、女子单打和混合双打三个项目，报名截止到本月底，比赛地点在体育馆二号场地，获奖选手将颁发奖品和荣誉证书，欢迎踊跃参加，也欢迎家属到场加油助威。"
SOURCE = "Source report: asset CEDAR\nCEDAR (true name: Ivan P., serving officer in the defence ministry of the target country) met his handler on 12 March at the fallback site and passed the target country's missile deployment plan. Contact is by one-time pad every Tuesday. Exposure would endanger the source's life; access limited to the director and two case officers."
EN_PADDING = "Canteen menu this week: Monday roast chicken with seasonal vegetables and tomato soup; Tuesday fish and chips with mushy peas; Wednesday vegetable curry and rice; Thursday beef stew with dumplings; Friday pizza and salad. Feedback is always welcome at the counter.\n\nThe weather tomorrow will be mostly sunny with highs around 22 degrees and a light breeze from the south-east. Showers are expected over the weekend, so please bring an umbrella. The staff walking club meets on Saturday morning at the park gate; everyone is welcome to join."
EXAM = "2025年全省普通高考数学试题（考前）\n一、选择题：本大题共8小题，每小题5分。\n1. 已知集合A={x|x^2-3x+2<0}，B={x|1<x<3}，则A∩B=（ ）\n2. 若复数z满足(1+i)z=2i，则|z|=（ ）\n参考答案及评分标准：1.C 2.A。本试题在考试结束前属于绝密，启用前严禁外传。"
HOMOGLYPHS = "Cаntееn mеnu thіs wееk: Mоndаy rоаst сhісkеn wіth sеаsоnаl vеgеtаblеs аnd tоmаtо sоuр; Tuеsdаy fіsh аnd сhірs wіth mushy реаs; Wеdnеsdаy vеgеtаblе сurry аnd rісе; Thursdаy bееf stеw wіth dumрlіngs; Frіdаy ріzzа аnd sаlаd. Fееdbасk іs аlwаys wеlсоmе аt thе соuntеr."
CHATTY_BID = "Classification: SECRET\nHi all - as you know, our final bid for the Harbour Bridge tender is 41.2 million, 3% under the estimate we think Acme will submit. The reserve price the ministry set is 39.5 million. Thank you, you can call me on my mobile if you have questions."


def _both(text: str, language: str = "zh") -> tuple:
    doc = Document(source="t", sha256="0" * 64, kind="txt", language=language, text=text)  # type: ignore[arg-type]
    return classify(doc, second_reader=False), classify(doc)


@pytest.mark.parametrize("secret,padding,language", [(ORDER, ZH_PADDING, "zh"), (SOURCE, EN_PADDING, "en")])
def test_padding_a_secret_draft_lowers_it_one_step_at_most(secret: str, padding: str, language: str) -> None:
    """The part that holds the secret still reads high: the reader may not lower past it."""
    rules, combined = _both(secret + "\n\n" + padding, language)
    assert rules.level >= 3
    assert combined.level >= rules.level - HOLD_SLACK, combined.rationale


def test_a_long_padding_is_read_in_parts_too() -> None:
    rng = random.Random(7)
    lines = ZH_PADDING.split("\n\n")
    padding = "\n".join(rng.choice(lines) for _ in range(400))  # about 60,000 characters
    rules, combined = _both(ORDER + "\n\n" + padding)
    assert rules.level >= 3 and combined.level >= rules.level - HOLD_SLACK


def test_a_top_secret_exam_paper_stays_at_least_secret() -> None:
    rules, combined = _both(EXAM)
    assert rules.level == 4 and combined.level >= 3


@pytest.mark.parametrize("text,language", [
    (HOMOGLYPHS, "en"),
    (random.Random(1).randbytes(4000).decode("latin-1"), "en"),
    (random.Random(11).randbytes(4000).decode("utf-8", "replace"), "zh"),
    ("카페 메뉴 안내: 아메리카노 4500원, 카페라떼 5000원, 바닐라라떼 5500원, 녹차라떼 5000원.", "zh"),
])
def test_the_reader_stays_out_of_text_it_cannot_read(text: str, language: str) -> None:
    rules, combined = _both(text, language)
    assert combined.level == rules.level
    assert any(x.startswith(("第二读者未参与", "Second reader stayed out")) for x in combined.rationale)


def test_variation_selectors_do_not_split_words() -> None:
    """The rules read the words again (some details are still read from the draft as written)."""
    split = "\ufe0f".join(ORDER)
    rules, combined = _both(split)
    assert rules.level >= 2 and combined.level >= 2 and _both(ORDER)[0].level >= 3


def test_a_long_run_of_digits_is_read_in_linear_time() -> None:
    rules, combined = _both("1" * 200_000)
    assert rules.level == 0 and combined.level <= 1


def test_a_header_field_before_the_marking_is_the_drafts_own_banner() -> None:
    """``Classification: SECRET`` on its own line is the draft's marking: one step below it at most."""
    rules, combined = _both(CHATTY_BID, "en")
    assert rules.level == 3 and rules.decided_by == "floor_marking"
    assert combined.level >= 2


@pytest.mark.parametrize("text,language", [(ORDER + "\n\n" + ZH_PADDING, "zh"), (SOURCE + "\n\n" + EN_PADDING, "en"),
                                           (EXAM, "zh"), ("0123456789" * 50, "zh")])
def test_the_words_quoted_are_short_pieces_of_the_draft(text: str, language: str) -> None:
    _, combined = _both(text, language)
    reading = combined.second
    assert reading is not None
    for start, end, word in (*reading.spans, *reading.down):
        assert text[start:end] == word and len(word) <= WORD_MAX and "\n" not in word and word.strip("0123456789")


def test_a_lowered_suggestion_names_what_held_it_down() -> None:
    rules, combined = _both(ORDER + "\n\n" + ZH_PADDING)
    if combined.level < rules.level:
        line = next(x for x in combined.rationale if x.startswith("第二读者"))
        assert "拉低等级最多的字词" in line and "最多下调两级" in line
