"""Marking-aware reading: what a marking, a secrecy word or a subject word means where it stands.

A marking is one piece of evidence with its context, never the answer by itself. This module
finds, on the original text, the places where words that usually raise a grade do not:

- **negation scope**: 不属于国家秘密, 不涉及, 非涉密, "not classified", "unclassified": the
  words inside the scope (from the cue to the end of its clause) are not the marking, not a
  grade statement and not the subject; the statement itself says the draft is not a state
  secret, which caps it at 内部 unless secret subject matter fires;
- **declassification notes**: 本件已解密, 予以解密, 此件公开, a stamp line 已解密, "declassified
  on", "approved for public release": old markings above the note are history, not the draft's
  grade (a cipher text that 已解密 was decrypted is not a note about the draft);
- **mentions**: a marking in quotation marks or introduced as an example (如“机密★10年”,
  e.g. SECRET, marked SECRET), or next to a clearance or vetting requirement (requires a SECRET
  clearance, 机密级保密资质): talk about a marking, not a marking.

Everything is a pure function of the text; :func:`read` runs the patterns once per draft.
"""

from __future__ import annotations

import functools
import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, replace

from mijian.classifiers.findings import Finding

NEGATION_REACH = 24
"""At most this many characters after a Chinese negation cue fall inside its scope."""
EN_NEGATION_REACH = 40
"""At most this many characters after an English negation (not classified ...) fall inside its scope."""
MENTION_REACH = 40
"""How near a clearance or vetting word makes a marking a mention (characters either side)."""

_ZH_NEG = (r"(?:不属于|不属|不涉及|未涉及|不涉|非涉密|无涉及|未列入|没有涉及"
           r"|(?:不含有?|不包含|并非|不是|不构成|不作为)(?=[^，,。；;\n]{0,4}(?:秘密|涉密|敏感|密级|保密)))")
_EN_NEG = (r"\b(?:unclassified|non-classified|not (?:protectively )?(?:classified|marked|secret|confidential)"
           r"|(?:contains?|containing|holds?) no (?:classified|secret|sensitive)"
           r"|(?:does|do|did|must|shall|should|will) not (?:contain|include|hold|involve) (?:any )?(?:classified|secret|sensitive)"
           r"|no (?:classified|secret) (?:information|material|content))\b")
_CLAUSE_END = r"[，,。；;！!？?\n：:、]|\.(?:\s|$)|//"
"""Where a negation's scope ends: a clause end, or the ``//`` after which a banner's
dissemination controls follow (UNCLASSIFIED//FOR OFFICIAL USE ONLY is not classified, and is controlled)."""
_DECLASSIFIED = (
    r"(?:本件|此件|本文件|该文件|本报告|本材料|该件|原件|本文|该报告|该材料)[^。\n]{0,30}(?:已(?:经)?|已于[^。\n]{0,20})(?:依法)?(?:解密|解除密级)"
    # an archivist's note: （已于2010年经原定密单位解密…）, 【已解密 1986年档案】, 解密说明：…, 作为开放档案
    r"|[（(【][^。\n）)】]{0,30}(?:已于|已经|已)[^。\n）)】]{0,24}(?:解密|解除密级)|[（(【][ \t\u3000]*解密(?:档案|文件|电报)"
    r"|解密说明[:：]|作为开放档案|原(?:标)?密级(?:标志)?(?:已|均已)(?:失效|解除)"
    # declassified and then opened or published: 依法解密，批准向社会开放; 解密以后已经收进史料汇编
    r"|(?<![拟将待])解密(?:并|后|以后|，|,)?(?:已经?|现已|批准|正式)?(?:向社会)?(?:开放|公开|出版|收入|收进|收录)"
    # an exam paper's 启用前 marking expires when the exam is held: 已考真题, 本卷已于6月7日考试结束
    r"|已考真题|(?:本卷|本试卷|该卷|此卷|该试卷)[^。\n]{0,20}已于?[^。\n]{0,16}考试结束"
    r"|解密标志|(?:予以|同意|决定|批准)解除密级"
    r"|(?m:^[ \t]*已解密[ \t]*$)|(?:予以|同意|决定|批准)解密|此件公开|本件公开|全文公开|经审查可以公开"
    r"|\bDECLASSIFIED\b|(?i:\bdeclassified (?:on|by|in|under|per|pursuant to|in accordance with|following)\b|\bapproved for (?:public )?release\b|\breleased in full\b"
    r"|\bdeclassification (?:date|authority)\b[^\n]{0,30}\b(?:19|20)\d\d\b)"
    # the same said in a chat or a note: 早就解密了, 过了保密期, 档案馆能查到, it was declassified
    r"|(?:已经|早就|早已|都)解密了|过了保密期(?:限)?|保密期(?:限)?(?:早就|已经)?(?:过了|届满了?)|(?:档案馆|档案局)(?:里)?(?:能|可以)(?:查|查到|调阅)"
    r"|(?i:\b(?:was|were|got|has been|have been|had been) declassified\b|\bno longer classified\b"
    r"|\breleased to the (?:national )?archives\b)"
)
_REVOKED = (r"解密(?:审核|决定)?(?:有误|错误|无效|作废)|撤销(?:原)?解密|(?:收回|恢复)(?:原)?密级|重新定密"
            r"|(?<![果若否])仍需保密|继续保密|暂不解密|不予解密|仍作为[^。\n]{0,20}使用"
            r"|\bdeclassification (?:was |has been )?(?:rescinded|revoked|withdrawn|reversed|made in error)\b|\breclassified\b"
            r"|\b(?:must|should|will) be (?:retained|withheld)\b|\bmarking[^.\n]{0,20}\bremains? (?:appropriate|in force)\b")
"""A note that takes a declassification back or keeps part of the draft secret (本件解密审核有误，
已通知收回; 其中三页仍需保密; folios 37-41 must be retained): the old marking stands for what is kept,
so no declassification note counts in the draft."""
_QUOTES = "“”\"'‘’「」『』《》"
_EXAMPLE_BEFORE = (r"(?:如|例如|比如|标注为|标明|标志为|标志|字样|写有|印有|e\.g\.|such as|marked|labelled|labeled|"
                             r"the word|says|saying|reads|stamped|formerly|previously|originally|原密级|原标)\W{0,3}$")
_DEFINED_AFTER = (r"\W{0,2}(?:tier|level|classification|marking|grade|label)s?\b"
                  r"|\s+(?:is|are) (?:for|used for|applied to|reserved for|meant for)\b|\s*(?:covers|means|applies to)\b"
                  r"|(?:级|密级)?(?:是指|指的是|适用于|用于标识)")
"""Words after a marking that explain a tier (the OFFICIAL tier covers, SECRET is for, 机密级是指):
talk about the scheme, not this draft's grade."""
_CLEARANCE = (r"clearance|cleared|vetting|vetted|\bdv\b|\bsc\b|security check|eligib|涉密人员|涉密岗位|保密资质|"
                        r"资质|资格|审查合格|涉密资格|政审")


@dataclass(frozen=True)
class Reading:
    """Where a draft negates, declassifies or merely mentions: spans into the original text."""

    negated: tuple[tuple[int, int], ...]
    """Spans inside a negation scope (the cue included)."""
    negations: tuple[tuple[int, int, str], ...]
    """Each negation statement about secrecy: start, end, text."""
    declassified: tuple[tuple[int, int, str], ...]
    """Each declassification note: start, end, text."""

    def is_negated(self, start: int, end: int) -> bool:
        """True when ``start:end`` lies inside a negation scope."""
        k = bisect_right(self.negated, (start, 10**12)) - 1
        return k >= 0 and self.negated[k][0] <= start and end <= self.negated[k][1]



def read(text: str) -> Reading:
    """Find the negation scopes and declassification notes of a draft."""
    zh, en, decl = _patterns()
    negated: list[tuple[int, int]] = []
    statements: list[tuple[int, int, str]] = []
    for m in zh.finditer(text):
        stop = _rx(_CLAUSE_END).search(text, m.end(), m.end() + NEGATION_REACH)
        end = stop.start() if stop else min(len(text), m.end() + NEGATION_REACH)
        negated.append((m.start(), end))
        if any(w in text[m.end():end] for w in ("秘密", "涉密", "密级", "保密")):
            statements.append((m.start(), end, text[m.start():end]))
    for m in en.finditer(text):
        stop = _rx(_CLAUSE_END).search(text, m.end(), m.end() + EN_NEGATION_REACH)
        negated.append((m.start(), stop.start() if stop else min(len(text), m.end() + EN_NEGATION_REACH)))
        statements.append((m.start(), m.end(), m.group(0)))
    declassified = tuple((m.start(), m.end(), m.group(0)) for m in decl.finditer(text))
    if declassified and _rx(_REVOKED).search(text):
        declassified = ()
    return Reading(tuple(sorted(negated)), tuple(sorted(statements)), declassified)


def is_mention(text: str, start: int, end: int, reading: Reading, banner: bool = False) -> str:
    """Why the marking at ``start:end`` is talk about a marking ("" when it is not).

    A banner (the marking alone on its line at the head or foot) is the draft's own even when
    the draft is about vetting or clearances: only quotation marks or an example cue make it a
    mention.
    """
    before = text[max(0, start - 12):start]
    after = text[end:end + 3]
    if (before[-1:] and before[-1] in _QUOTES) or (after[:1] and after[0] in _QUOTES and before.rstrip()[-1:] in _QUOTES):
        return "quoted"
    if _rx(_EXAMPLE_BEFORE).search(before):
        return "named as an example"
    if banner:
        return ""
    if _rx(_DEFINED_AFTER).match(text, end, end + 30):
        return "a tier being explained"
    if _rx(_CLEARANCE).search(text, max(0, start - MENTION_REACH), end + MENTION_REACH):
        return "a clearance or vetting requirement"
    if reading.is_negated(start, end):
        return "negated"
    return ""


@functools.lru_cache(maxsize=16)
def _rx(source: str) -> re.Pattern[str]:
    """A pattern compiled on first use (case-insensitive for the English words it holds), or
    read with the others of :data:`_RX_SOURCES` from :mod:`keywords.datacache` (compiling the
    ones a ten-page draft uses costs some 5 ms)."""
    return _kept().get(source) or re.compile(source, re.IGNORECASE)


@functools.lru_cache(maxsize=1)
def _kept() -> dict[str, re.Pattern[str]]:
    from mijian.keywords.datacache import kept_patterns

    return kept_patterns("reading-rx", __file__, _RX_SOURCES, re.IGNORECASE)


@functools.lru_cache(maxsize=1)
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """The Chinese and English negation patterns and the declassification pattern, compiled once
    (kept between runs by :mod:`keywords.datacache`)."""
    from mijian.keywords.datacache import cached

    return cached("reading-patterns", (__file__,), lambda: (
        re.compile(_ZH_NEG), re.compile(_EN_NEG, re.IGNORECASE), re.compile(_DECLASSIFIED)), tuple)


PLANNED_REACH = 12
"""How far before a public-context word a planning word makes it a release still to come."""
_PLANNED = (r"(?:(?:拟于?|(?<!现)将于?|计划|届时|待|预计|准备|拟定|之后|以后|后再|择机|(?:will|to) (?:be )?|planned|scheduled|"
                      r"before|until|prior to|draft|due)[^。；;\n]{0,10}|\d{1,2}[日号][^。；;，,\n]{0,8})$")
_REPORTED = r"(?:said|told|declined|has been|have been|was|were)\b"
_BEFORE_AFTER = r"(?:之前|以前|前(?![往进来去]))"
_PLANNED_SENTENCE = (r"\b(?:will(?!\s+not)|shall(?!\s+not)|to be (?:issued|published|released|made)|planned|scheduled|pencill?ed|proposed|"
                     r"announcements? (?:at|on|will))\b[^.;!?\n]*$")
SENTENCE_REACH = 160
"""How far back in its English sentence a plan (will, planned, announcements at …) makes a
public-context word a release still to come."""
_NOTICE = r"现予(?:以)?公示|予以公示|特此公示|公示如下|公示内容如下|(?m:^[^\n]{0,40}的公示[ \t]*$)"
_TITLE = r"\A(?:[ \t]*[^\n]{1,40}\n\s*){0,2}?\s*([^\n]{0,60}(?:公告|公报|新闻稿|通稿|的公示)|(?:public notice|press release|news release)[^\n]{0,60})[ \t]*(?:\n|\Z)"
_RX_SOURCES = (_CLAUSE_END, _REVOKED, _EXAMPLE_BEFORE, _DEFINED_AFTER, _CLEARANCE, _NOTICE, _PLANNED,
               _BEFORE_AFTER, _REPORTED, _PLANNED_SENTENCE, _TITLE)
"""The patterns :func:`_rx` compiles."""
TITLE_WEIGHT = 0.6
"""Public-context weight of a title that names the draft a public notice or press release."""
NEGATION = "reading:negation"
"""The rule of the finding that reports a statement that the draft is not classified."""
NEGATION_WEIGHT = 0.35
"""Public-context weight of a statement that the draft is not a state secret: one step lower
on its own (it says what the draft is not; a 工作秘密 statement beside it still sets 内部)."""
DECLASSIFIED_WEIGHT = 0.9
"""Public-context weight of a declassification note (caps the draft at 公开)."""


def reread(text: str, findings: Iterable[Finding], reading: Reading) -> list[Finding]:
    """Apply the reading to lexicon findings.

    Findings inside a negation scope are dropped (不属于国家秘密 is not 属于国家秘密), and so is
    public-context wording about a release still to come (拟于…召开新闻发布会, 公示期满后, "will be
    published"): the draft is not public yet, it plans its publication; 公示期 counts only in a
    draft that is itself the notice (现予公示, 特此公示). A marking
    that is a mention, or any marking when the draft carries a declassification note, keeps
    its place in the findings for the report but sets no level (``floor`` None, no banner).
    """
    out: list[Finding] = []
    declassified = bool(reading.declassified)
    notice = bool(_rx(_NOTICE).search(text))
    for f in findings:
        if f.source == "lexicon" and f.category != "public_context" and reading.is_negated(f.start, f.end):
            continue
        if f.category == "public_context" and _planned(text, f.start, f.end):
            continue  # a release still to come (拟于…, 24日上午9时新闻发布会, will be published): not public yet
        if f.category == "public_context" and f.rule.startswith("公示") and not notice:
            continue  # 公示期 as a step of a procedure (任前公示), in a draft that is not itself the notice
        if f.category == "marking" and f.floor is not None:
            why = is_mention(text, f.start, f.end, reading, f.banner) or ("the draft is declassified" if declassified else "")
            if why:
                f = replace(f, floor=None, banner=False, score=min(f.score, 0.2),
                            explanation=f"{f.explanation}; a mention, not this draft's marking ({why})",
                            rule=f.rule if declassified else "reading:mention")
        out.append(f)
    return out


def _planned(text: str, start: int, end: int) -> bool:
    """Whether the public-context word at ``start`` names a release still to come.

    A planning word just before it (拟于, 将于, will be, draft …), 前 or 之前 right after it
    (公开发布前), or, in English, earlier in its sentence (Announcements at 07:00 Monday: …, the
    department will issue a press release).
    """
    if _rx(_PLANNED).search(text[max(0, start - PLANNED_REACH):start]):
        return True
    if _rx(_BEFORE_AFTER).match(text, end):
        return True  # 公开发布前, 发布会之前: the release is still to come
    if _rx(_REPORTED).match(text, start):
        return False  # "said in a statement", "told reporters": reported, so already public
    return bool(_rx(_PLANNED_SENTENCE).search(text[max(0, start - SENTENCE_REACH):start]))


def public_title(text: str) -> list[Finding]:
    """A draft whose title says it is a public notice, bulletin or press release (public context).

    The title is one of the first three lines (an issuer's name may stand above it); it counts
    when it ends in 公告, 公报, 新闻稿 or 通稿, or
    starts with PUBLIC NOTICE, PRESS RELEASE or NEWS RELEASE.
    """
    m = _rx(_TITLE).search(text)
    if m is None:
        return []
    start, end = m.span(1)
    return [Finding(start=start, end=end, text=text[start:end], category="public_context", source="lexicon",
                    score=TITLE_WEIGHT, explanation=f"the title '{text[start:end]}' says the draft is a public notice",
                    rule="reading:title")]


def reading_findings(reading: Reading) -> list[Finding]:
    """Findings for the negation statements and declassification notes themselves (public context)."""
    out = [Finding(start=s, end=e, text=t, category="public_context", source="lexicon", score=DECLASSIFIED_WEIGHT,
                   explanation=f"declassification note '{t}': old markings are history", rule="declassified")
           for s, e, t in reading.declassified]
    out += [Finding(start=s, end=e, text=t, category="public_context", source="lexicon", score=NEGATION_WEIGHT,
                    explanation=f"negated statement '{t}': the draft says it is not classified", rule=NEGATION)
            for s, e, t in reading.negations]
    return out
