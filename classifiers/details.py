"""Specific details of any subject: quantities with units, coordinates and designators.

A secrecy-scope item's specificity condition names what makes its subject give the matter away
(quantities, parameters, coordinates, named units). The catalogue lists a few words and
patterns per item; the patterns here recognise the same kinds of detail for every item that
has a specificity condition, in the windows that hold its subject:

- a **quantity** with a unit of measure (``1850公里``, ``Mach 6.1``, ``2,410 K``, ``500 kV``,
  ``86千克``), not a bare count, a year or a percentage;
- a **coordinate** (``北纬29°48′``, ``29.4512 N``, a grid reference ``NT 2567 7341``);
- a **designator** of a unit, system or model (``第3旅``, ``2nd Battalion``, ``AN/SPY-6``,
  ``DF-21``, ``HX-5``).

Alongside, :func:`generic_conditions` recognises the general form of two other conditions: a
release, announcement or decision still to come (发布前, 尚未公布, before the announcement, not
yet published) for items with a timing condition, and a text or plan not yet approved (送审稿,
征求意见稿, pending approval, for decision) for items with a status condition.

All the details count as one kind of detail (key ``generic``) beside the catalogue's own words,
for items of the state-secret areas and commercial secrets (personal data and work secrets are
made specific by people and documents, not by measures).
"""

from __future__ import annotations

import functools
import re

CATEGORIES = frozenset({"state_affairs", "defence", "foreign_affairs", "economy", "science_technology",
                        "security_investigation", "other_state_secret", "commercial_secret"})
"""The categories of scope items for which generic details count as specificity."""

_UNITS = (r"(?:km|kilomet(?:er|re)s?|nm|nautical miles?|m/s|km/h|mph|knots?|kg|tonnes?|tons?|mpa|kpa|psi|kv|mw|gw|kw|kt|"
          r"megatons?|kilotons?|°c|k|g|mm|cm|ghz|mhz|hz|db|seconds?|mach|公里|千米|海里|米|毫米|千克|公斤|吨|兆帕|千伏|兆瓦|"
          r"万千瓦|千瓦|赫兹|兆赫|吉赫|分贝|秒|倍音速|马赫|当量|节)")
_QUANTITY = (r"(?:\bmach\s*\d+(?:\.\d+)?|(?<![\w.])\d[\d,]*(?:\.\d+)?\s?" + _UNITS + r"(?![a-z]))")
_COORDINATE = (r"(?:北纬|南纬|东经|西经)\s*\d{1,3}(?:\.\d+)?\s*[°度]|\b\d{1,3}(?:\.\d+)?\s?°\s?\d{1,2}\s?['′]"
               r"|\b\d{1,3}\.\d{3,}\s?[NSEW]\b|\b[A-Z]{2}\s?\d{4}\s?\d{4}\b")
_DESIGNATOR = (r"第[0-9一二三四五六七八九十百]+(?:旅|团|师|营|集团军|舰队|支队|基地)"
               r"|\b\d+(?:st|nd|rd|th) (?:battalion|brigade|regiment|division|squadron|fleet|wing|group)\b"
               r"|\b[A-Z]{1,4}(?:/[A-Z]{2,4})?-\d{1,3}[A-Z]?\b(?!-)")


_TIMING = (r"(?:公布|发布|宣布|公开|公示|披露|实施|签约|签署|开考|考试|发射|生效|批复|出台|揭晓|开标|定标|上会|开市|开盘|选举|换届|表决|投票|宣判)(?:之?前|以前)"
           r"|(?:尚未|未经|暂不|尚待)(?:公布|发布|宣布|公开|披露|实施|批准|批复|签约)"
           r"|\b(?:before|prior to|until|ahead of) (?:the |its |their |any |an? )?(?:public |formal |official |joint )?"
           r"(?:announcement|release|publication|launch|signing|exam|examination|decision|vote|sitting)\b"
           r"|\bbefore (?:\w+ ){0,2}(?:markets?|branches|trading|exchanges?) (?:re)?opens?\b"
           r"|\bnot yet (?:been )?(?:announced|published|released|public|decided|approved|told|informed|aware)\b"
           r"|\b(?:will not|won't) be (?:told|informed|announced)\b|\b(?:has|have) not (?:yet )?(?:been )?(?:told|informed|announced)\b"
           r"|\bannouncements? (?:is |are )?(?:planned|scheduled|pencill?ed|expected|due)\b|\b(?:for|pending) (?:public )?announcement\b"
           r"|\b(?:will|to) be (?:announced|published|made public)\b"
           r"|\bembargoed?\b|\bpre-announcement\b"
           # the same in a chat or a note: keep it quiet for now, wait for the release, the paper comes later
           r"|(?:先|暂时|暂且|暂|还)(?:别|不要|不能|勿|莫)(?:往外|对外|到处|外|跟[^，。\n]{0,6})?(?:说(?![明服法])|讲(?![话解座])|传(?![统播输染达])|透露|声张|提(?:起|及)?(?=[，。,.!！\s]|$)|告诉|泄露|外传)"
           r"|(?:^|[，,。；;\s])等[^，。；\n]{0,10}(?:发布|公布|宣布|通报|发文|下文|官宣)"
           r"|(?:文件|通知|方案|名单|消息|公告|批复)[^，。；\n]{0,8}(?:才|再)(?:发|公布|下发|出来|宣布|下来)"
           r"|\b(?:don'?t|do not) (?:tell|mention|share|say)\b[^.\n]{0,30}\b(?:yet|until)\b"
           r"|\bkeep (?:it|this) (?:quiet|under wraps|to yourself)\b|\b(?:until|before) (?:it'?s|it is) (?:official|announced|out)\b")
_STATUS = (r"送审稿|征求意见稿|讨论稿|未定稿|草案|待批准|尚待批准|报批|拟定方案|初步方案|备选方案"
           r"|\bpending approval\b|\bfor decision\b|\boptions? (?:paper|analysis)\b|\bdraft (?:plan|proposal|decision|paper)\b"
           r"|\bunder consideration\b|\bnot yet decided\b|\bpre-decisional\b")
GENERIC_KINDS = {"timing": _TIMING, "status": _STATUS}
"""Generic conditions by kind: a release, announcement or decision still to come; a plan or
text not yet approved. They count for items with a condition of that kind."""


def generic_conditions(text: str, lo: int, hi: int, kind: str) -> list[tuple[int, int, str]]:
    """The generic conditions of ``kind`` (timing, status) in ``text[lo:hi]``: (start, end, text)."""
    return [(m.start(), m.end(), m.group(0)) for m in _conditions(kind).finditer(text, lo, hi)]


@functools.lru_cache(maxsize=2)
def _conditions(kind: str) -> re.Pattern[str]:
    """The generic pattern of one condition kind, compiled once."""
    return re.compile(GENERIC_KINDS[kind], re.IGNORECASE)


def generic_details(text: str, lo: int, hi: int) -> list[tuple[int, int, str]]:
    """The quantities, coordinates and designators in ``text[lo:hi]``: (start, end, text)."""
    return [(m.start(), m.end(), m.group(0)) for m in _pattern().finditer(text, lo, hi) if m.group(0).strip()]


@functools.lru_cache(maxsize=1)
def _pattern() -> re.Pattern[str]:
    """The three kinds of detail as one pattern, compiled once."""
    return re.compile(f"{_QUANTITY}|{_COORDINATE}|{_DESIGNATOR}", re.IGNORECASE)
