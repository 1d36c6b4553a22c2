"""Named things in a draft: people, places, organisations, dates, money and quantities.

Two engines share one small interface (:class:`NlpEngine`), and each runs once per document:

- :class:`RuleNlp` (the default): compiled patterns and gazetteer rulers over the normalised
  text, no model and no heavy import. Chinese uses suffix rulers (…省/市/县/训练场 for places,
  …公司/局/委员会 for organisations), titles and a surname list for people, and numeral
  patterns for dates, money and quantities; English uses honorifics and ranks, capitalised
  names ending in Ltd/Council/Battalion…, month names and currency signs. It runs at several
  million characters a second, which keeps ``mijian classify`` inside its start-up budget.
- :class:`SpacyNlp`: a cached ``spacy.blank("zh")`` pipeline with the jieba segmenter, or
  ``spacy.blank("en")``, with an entity ruler (gazetteer phrases) and a component that adds the
  same rule entities on token boundaries. Its tokens give word-aligned spans; it is slower
  (jieba segmentation and the spaCy import cost about a second) and is offered for callers
  that want token-level output.

Labels follow spaCy: PERSON, GPE (places), ORG, DATE, MONEY, QUANTITY.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any, Protocol

from mijian.classifiers.normalise import NormalisedText

LABELS = ("PERSON", "GPE", "ORG", "DATE", "MONEY", "QUANTITY")
"""The entity labels the engines produce."""


@dataclass(frozen=True)
class Entity:
    """A named thing: offsets into the original draft text, the text, the label and the rule."""

    start: int
    end: int
    text: str
    label: str
    rule: str


class NlpEngine(Protocol):
    """What the classifier needs from an NLP engine: entities of one draft, in text order."""

    name: str

    def entities(self, norm: NormalisedText, language: str) -> tuple[Entity, ...]:
        """Return the entities of the normalised draft (offsets into ``norm.original``)."""
        ...


_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石"
    "廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)
_HAN = r"(?:(?![在于至经向从的和及等将对为与由把被设开所报指定由是即])[\u4e00-\u9fff])"
"""A Han character that can begin or continue a name (not a common preposition or verb)."""
_ZH_RULES = (
    ("DATE", "zh_date",
     r"(?:[0-9]{4}|[〇零一二三四五六七八九]{4})年(?:[0-9]{1,2}|[一二三四五六七八九十]{1,3})月(?:(?:[0-9]{1,2}|[一二三四五六七八九十]{1,3})日)?"
     r"|[0-9]{1,2}月[0-9]{1,2}日(?:至[0-9]{1,2}日)?(?:[0-9]{1,2}时)?|[0-9]{1,2}日[0-9]{1,2}时|[0-9]{1,2}时至次日[0-9]{1,2}时|[0-9]{4}年"),
    ("MONEY", "zh_money", r"(?:人民币|¥|¥)?[0-9][0-9,]*(?:\.[0-9]+)?(?:万|亿|千)?(?:美)?元"),
    ("QUANTITY", "zh_quantity",
     r"(?:约|近|逾)?[0-9][0-9,]*(?:\.[0-9]+)?(?:余|多)?(?:名|人|台|辆|架|艘|枚|门|套|吨|公里|千米|米|张|支|发|个|家|次|批|梯队|%)"
     r"|[一二三两四五六七八九十]{1,3}(?:个|支)?(?:梯队|营|连|排|团|旅|师|分队|架次)"),
    ("GPE", "zh_place",
     _HAN + r"{2,6}?(?:省|自治区|市|县|区|镇|乡|村|港|站|机场|训练场|靶场|基地|营区|阵地|高速公路|铁路|服务区|码头|海域|空域|岛)(?![\u4e00-\u9fff]{0,1}(?:长|委|局|厅|政府|人民))"),
    ("ORG", "zh_org",
     _HAN + r"{2,10}?(?:有限公司|股份公司|公司|集团|委员会|办公厅|办公室|管理局|监督局|局|厅|委|银行|大学|研究所|研究院|医院|中心|部队|分队|支队|大队)"),
    ("PERSON", "zh_person",
     r"(?:(?<=联系人[:：])|(?<=负责人[:：])|(?<=经办人[:：])|(?<=承办人[:：])|(?<=主任)|(?<=局长)|(?<=处长)|(?<=科长)|(?<=经理)|(?<=书记)|(?<=室)|(?<=司令员)|(?<=政委) ?)"
     r"[" + _SURNAMES + r"][\u4e00-\u9fff]{1,2}(?=[,，、。;；( （]|同志|先生|女士|$)"),
)
_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
_EN_RULES = (
    ("DATE", "en_date",
     r"\b(?:[0-9]{1,2} (?:" + _MONTHS + r")\.?(?: [0-9]{4})?|(?:" + _MONTHS + r")\.? [0-9]{1,2}(?:st|nd|rd|th)?(?:, [0-9]{4})?"
     r"|[0-9]{4}-[0-9]{2}-[0-9]{2}|(?:" + _MONTHS + r") [0-9]{4})\b"),
    ("MONEY", "en_money",
     r"(?:[£$€] ?[0-9][0-9,]*(?:\.[0-9]+)?(?: ?(?:million|billion|bn|m|k)\b)?"
     r"|\b[0-9][0-9,]*(?:\.[0-9]+)? ?(?:million|billion)? ?(?:pounds|dollars|euros|gbp|usd|eur)\b)"),
    ("QUANTITY", "en_quantity",
     r"\b[0-9][0-9,]*(?:\.[0-9]+)? (?:troops|soldiers|personnel|staff|vehicles|tanks|aircraft|helicopters|ships|vessels|missiles|rounds"
     r"|launchers|radars|units|batteries|battalions|km|kilometres|kilometers|miles|nautical miles|tonnes|tons|hours|days|per cent|percent)\b|\b[0-9]+(?:\.[0-9]+)?%"),
)
_EN_CASED = (
    ("PERSON", "en_person",
     r"\b(?:Mr|Mrs|Ms|Dr|Sir|Dame|Professor|Prof|Colonel|Col|Major|Maj|General|Gen|Captain|Capt|Lieutenant|Lt|Brigadier|Admiral|Commander|Sergeant|Sgt)\.? "
     r"[A-Z][a-z]+(?: [A-Z][a-z]+)?|(?<=Contact: )[A-Z][a-z]+ [A-Z][a-z]+"),
    ("ORG", "en_org",
     r"\b(?:[A-Z][A-Za-z&]+ ){1,4}(?:Ltd|Limited|plc|Inc|Corporation|Company|Council|Authority|Ministry|Department|Agency|Office|Regiment|Battalion"
     r"|Brigade|Division|Squadron|Services|Ferries|Bank|Committee|Group|Trust|University|Police|Command)\b"),
    ("GPE", "en_place",
     r"\b(?:[A-Z][a-z]+ ){1,2}(?:Island|Barracks|Airfield|Air Base|Base|Port|Harbour|Harbor|County|Province|Range|Training Area|Camp|Bay|Strait)\b"
     r"|\b(?:UK|USA|United Kingdom|United States|China|France|Germany|Russia|Japan|Estonia|Poland|Norway|Scotland|Wales|England|London|Washington|Brussels)\b"),
)


class RuleNlp:
    """The default engine: compiled rules over the normalised text (see the module notes)."""

    name = "rules"

    def entities(self, norm: NormalisedText, language: str) -> tuple[Entity, ...]:
        """Return entities in text order; overlapping entities keep the longer one."""
        found: list[Entity] = []
        for label, rule, regex, on_original in _compiled(language):
            source = norm.original if on_original else norm.text
            for match in regex.finditer(source):
                start, end = match.span()
                if on_original:
                    o_start, o_end = start, end
                else:
                    o_start, o_end = norm.to_original(start, end)
                text = norm.original[o_start:o_end]
                if "\n" in text:
                    continue
                found.append(Entity(o_start, o_end, text, label, rule))
        return _longest(found)


class SpacyNlp:
    """A cached blank spaCy pipeline (jieba segmenter for Chinese) with rule components."""

    name = "spacy"

    def entities(self, norm: NormalisedText, language: str) -> tuple[Entity, ...]:
        """Run the pipeline once over the draft and return its entities (token-aligned)."""
        nlp = _spacy_pipeline(language)
        doc = nlp(norm.original)
        return tuple(Entity(e.start_char, e.end_char, e.text, e.label_, e.ent_id_ or "spacy") for e in doc.ents)


def _longest(found: list[Entity]) -> tuple[Entity, ...]:
    kept: list[Entity] = []
    for ent in sorted(found, key=lambda e: (e.start, -(e.end - e.start))):
        if kept and ent.start < kept[-1].end:
            continue
        kept.append(ent)
    return tuple(kept)


@functools.lru_cache(maxsize=2)
def _compiled(language: str) -> tuple[tuple[str, str, re.Pattern[str], bool], ...]:
    """The rules for a language, compiled once (kept between runs by :mod:`keywords.datacache`)."""
    from mijian.keywords.datacache import cached

    return cached(f"nlp-rules-{language}", (__file__,), lambda: _compile_rules(language), tuple)


def _compile_rules(language: str) -> tuple[tuple[str, str, re.Pattern[str], bool], ...]:
    """Compile the rules for a language; Chinese drafts also get the English rules."""
    rules: list[tuple[str, str, re.Pattern[str], bool]] = []
    if language == "zh":
        rules += [(label, rule, re.compile(rx), False) for label, rule, rx in _ZH_RULES]
    rules += [(label, rule, re.compile(rx), False) for label, rule, rx in _EN_RULES]
    rules += [(label, rule, re.compile(rx), True) for label, rule, rx in _EN_CASED]
    return tuple(rules)


@functools.lru_cache(maxsize=2)
def _spacy_pipeline(language: str) -> Any:
    """Build the blank pipeline for a language once (imports spaCy on first use only)."""
    import logging
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            import spacy
        except ImportError:
            from mijian.pipeline.errors import ConfigError

            raise ConfigError("the spaCy engine needs spaCy and jieba, which are not installed "
                              "(未安装 spaCy); install them with: pip install 'mijian[nlp]'") from None
        from spacy.language import Language
        from spacy.util import filter_spans

        if language == "zh":
            import jieba

            jieba.setLogLevel(logging.WARNING)
            nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})
        else:
            nlp = spacy.blank("en")
    nlp.max_length = 50_000_000  # blank pipeline: no parser or NER model, so long drafts are safe
    ruler = nlp.add_pipe("entity_ruler")
    # add_pipe is typed as returning any callable component; this one is an EntityRuler
    ruler.add_patterns(  # type: ignore[attr-defined]
        [{"label": label, "pattern": text, "id": "gazetteer"} for label, text in _GAZETTEER])
    rules = RuleNlp()
    name = f"mijian_rule_entities_{language}"
    if name not in Language.factories:

        @Language.component(name)
        def _rule_entities(doc: Any) -> Any:
            from mijian.classifiers.normalise import normalise

            spans = list(doc.ents)
            for ent in rules.entities(normalise(doc.text), language):
                span = doc.char_span(ent.start, ent.end, label=ent.label, alignment_mode="expand", span_id=ent.rule)
                if span is not None:
                    spans.append(span)
            doc.ents = filter_spans(spans)
            return doc

    nlp.add_pipe(name)
    return nlp


_GAZETTEER = (
    ("GPE", "北京"), ("GPE", "上海"), ("GPE", "天津"), ("GPE", "重庆"), ("GPE", "香港"), ("GPE", "台湾"),
    ("GPE", "南海"), ("GPE", "东海"), ("GPE", "黄海"), ("ORG", "国务院"), ("ORG", "中央军委"), ("ORG", "外交部"),
    ("ORG", "国防部"), ("ORG", "公安部"), ("ORG", "国家安全部"), ("ORG", "NATO"), ("ORG", "Ministry of Defence"),
    ("GPE", "London"), ("GPE", "Washington"), ("GPE", "Brussels"),
)
