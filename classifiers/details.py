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

Alongside, :func:`generic_conditions` recognises the general form of three other conditions: a
release, announcement or decision still to come (发布前, 尚未公布, before the announcement, not
yet published) for items with a timing condition, a text or plan not yet approved (送审稿,
征求意见稿, pending approval, for decision) for items with a status condition, and the writer's
own restriction on who may know (别外传, 只有你我知道, 看完就删, keep it tight, not a word to
anyone) for every item.

All the details count as one kind of detail (key ``generic``) beside the catalogue's own words,
for items of the state-secret areas and commercial secrets (personal data and work secrets are
made specific by people and documents, not by measures).
"""

from __future__ import annotations

import functools
import re

from mijian.classifiers.findings import Finding

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
_RESTRICTION = (
    # a speaker keeping the matter to a few people: 别外传, 别透风, 只有你我知道, 看完就删
    r"(?:别|不要|千万别|千万不要|不许|不准)(?:往外|对外|到处|向外)?(?:说(?![明服法错话谎了])|讲(?![话解座错])|透露|声张|透风|泄露|扩散|外传|走漏)"
    r"|(?:不能|不得|勿|严禁)(?:往外|对外|向外)(?:说|讲|透露|声张|传)"
    r"|(?:别|不要|不能|千万别)(?:跟|和|给|向|对|让)[^，。；！\n]{1,14}(?:说(?![明服法])|讲(?![话解座])|提(?:起)?|透露|知道|看到|透风)"
    r"|(?:别|不要|不能|不得|千万别)(?:发|转|写|放|存|传|拍|截图|上传|同步|记)(?:到|进|在|上)?[^，。；！\n]{0,6}"
    r"(?:朋友圈|群里|大群|微信|邮件|邮箱|网上|外网|共享盘|网盘|日报|简报|系统|公众号|外面|台账|记录|手机)"
    r"|(?:别|不要|千万别)在[^，。；！\n]{1,8}(?:说(?![明服法错话谎了])|讲(?![话解座错])|聊|提)|(?:不要|别|不得|严禁)(?:拍照|截图|抄录)|(?:别|不要|不能|不得)(?:给|发给|交给|提供给|传给)(?:境外|外方|外国|国外|外面|外单位|外人|外边)|(?:不|不得|不能|不要|别)(?:向|跟|对)[^，。；！\n]{1,12}透露|(?:不要|别)用(?:微信|手机|邮件|短信)(?:说|发|传|讲)"
    r"|只有[^，。；！\n]{1,14}(?:知道|掌握|清楚)|只限[^，。；！\n]{1,14}(?:知道|知悉|掌握|传阅)|(?:就|只)几个人知道"
    r"|(?:就|只有|仅)(?:咱们|我们|你我|咱俩|我俩|你们|[一二两三四五几]个人)[^，。；！\n]{0,6}知道"
    r"|没(?:有)?(?:别)?人知道|没别人知道|(?:你知我知|天知地知)"
    r"|看完(?:就|后|马上)?(?:删|撤回|销毁|烧)|阅后即焚|听完就忘"
    r"|(?:对外|跟谁都|对谁都)?什么都(?:别|不要|不能)说|一个字都(?:别|不要|不能)(?:说|提|透露)|守口如瓶|先压住|捂住|别声张"
    r"|\bkeep (?:it|this|that|them|him|her) (?:tight|quiet|close|between us|to yourself|under wraps|off (?:e-?mail|the system|the record|slack|teams|whatsapp|the phone))\b"
    r"|\bmum'?s the word\b|\bkeep (?:schtum|shtum|mum)\b|\bnot (?:a word|a whisper)\b|\bdon'?t breathe a word\b"
    r"|\b(?:please )?(?:delete|burn|shred|destroy) (?:this |it |the message |the note )?after reading\b|\bdeleting after\b"
    r"|\b(?:don'?t|do not|never|please don'?t) (?:forward|repeat|share|mention|log|leak|put (?:this|it|any of this|that) (?:in|on)|"
    r"let (?:this|that|it) (?:leave|out|get out|go further)|tell (?:anyone|anybody|a soul))\b"
    r"|\b(?:nobody|no one|no-one) else (?:on this thread|knows|is to know|needs to know)\b|\bonly (?:you and|the two of us|a handful)\b"
    r"|\b(?:need[- ]to[- ]know|eyes only|close hold|between (?:us|ourselves|you and me)|handler only(?! for)|not for (?:the )?wider (?:team|circulation))\b"
    r"|\boff the record\b|\b(?:keep|leave) (?:his|her|their|the) names? (?:off|out of)\b"
)
GENERIC_KINDS = {"timing": _TIMING, "status": _STATUS, "restriction": _RESTRICTION}
"""Generic conditions by kind: a release, announcement or decision still to come; a plan or
text not yet approved; the writer keeping the matter to a few people (别外传, keep it tight).
The first two count for items with a condition of that kind; a restriction counts for every
item (see :mod:`classifiers.scope_match`): in a chat or a note it is what says the subject is
not public, where an official text would carry a marking."""
RESTRICTION_WEIGHT = 0.5
"""The weight of a restriction as handling language (as 不得外传 in the lexicon, a little less)."""
RESTRICTION = "restriction"
"""The kind of the generic condition that counts for every item."""


def generic_conditions(text: str, lo: int, hi: int, kind: str) -> list[tuple[int, int, str]]:
    """The generic conditions of ``kind`` (timing, status) in ``text[lo:hi]``: (start, end, text)."""
    return [(m.start(), m.end(), m.group(0)) for m in _conditions(kind).finditer(text, lo, hi)]


_FIRST = {
    "timing": "公发宣披实签开考生批出揭定上选换表投尚未暂先还等文通方名消，,。；;\\sbpuanwhftedkBPUANWHFTEDK",
    "status": "送征讨未草待尚报拟初备pfodunPFODUN",
    "restriction": "别不千严勿莫只就仅没你天看阅听对跟什一守先捂kmndpbsoechlKMNDPBSOECHL",
}
"""The characters a match of each generic pattern can start with: a look-ahead on them lets the
engine skip every other position at once instead of trying each branch there (the patterns
are alternations that Python's engine cannot index by their first character); the patterns
find exactly what they found without it (tests/test_restriction.py checks this on the dev
drafts)."""


def _conditions(kind: str) -> re.Pattern[str]:
    """The generic pattern of one condition kind."""
    return _compiled()[kind]


@functools.lru_cache(maxsize=1)
def _compiled() -> dict[str, re.Pattern[str]]:
    """The module's patterns, compiled once (kept between runs by :mod:`keywords.datacache`): the
    generic pattern of each condition kind, and under ``""`` the three kinds of detail as one."""
    from mijian.keywords.datacache import cached

    return cached("details-patterns", (__file__,), _compile_all, dict)


def _compile_all() -> dict[str, re.Pattern[str]]:
    """Compile the module's patterns (see :func:`_compiled`)."""
    out = {kind: re.compile(f"(?=[{_FIRST[kind]}])(?:{source})" if kind in _FIRST else source, re.IGNORECASE)
           for kind, source in GENERIC_KINDS.items()}
    out[""] = re.compile(f"{_QUANTITY}|{_COORDINATE}|{_DESIGNATOR}", re.IGNORECASE)
    return out


def restriction_findings(text: str, found: list[Finding]) -> list[Finding]:
    """The writer's restrictions (别外传, keep it tight) as handling language, where the lexicon
    did not already report handling words at the same place: a message the writer keeps to a
    few people is at least 内部, and one step higher when its subject supports that."""
    taken = [(f.start, f.end) for f in found if f.category == "handling"]
    out = []
    for start, end, phrase in generic_conditions(text, 0, len(text), RESTRICTION):
        if any(a < end and start < b for a, b in taken):
            continue
        out.append(Finding(start=start, end=end, text=phrase, category="handling", source="lexicon",
                           score=RESTRICTION_WEIGHT, rule=phrase,
                           explanation=f"the writer keeps the matter to a few people: '{phrase}'"))
    return out


def generic_details(text: str, lo: int, hi: int) -> list[tuple[int, int, str]]:
    """The quantities, coordinates and designators in ``text[lo:hi]``: (start, end, text)."""
    return [(m.start(), m.end(), m.group(0)) for m in _pattern().finditer(text, lo, hi) if m.group(0).strip()]


def _pattern() -> re.Pattern[str]:
    """The three kinds of detail as one pattern."""
    return _compiled()[""]
