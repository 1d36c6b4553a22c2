"""Turn findings into a suggested grade on the common ladder, with a rationale.

Ladder: 0 公开/public, 1 内部/internal, 2 秘密/CONFIDENTIAL, 3 机密/SECRET, 4 绝密/TOP SECRET.

The rules, in the order they apply:

1. **Content.** Findings are grouped by category; distinct terms combine with diminishing
   returns (the strongest counts fully, the next half, the next a quarter ...; repeats add a
   little). A category's strength maps to a level (0.35 → 1, 0.65 → 2, 0.85 → 3), capped by
   what the category can support on words alone: 3 for the seven state-secret areas, 2 for
   commercial secrets, 1 for work secrets and personal information. 4 is never reached on
   words alone.
2. **Markings in running text** (``机密★``, ``SECRET`` inside a sentence) with weight 0.5 or
   more count as evidence for their level, at most 2; a marking on a line of its own at the
   top or bottom of the draft (a banner, ``Finding.banner``) is the draft's own: a floor.
3. **Handling language** (阅后收回, must not be revealed) moves a draft with nothing else to 1,
   and a draft whose subject matter supports 1 to 2 (within the category's reach); it never
   makes a draft 3 or 4 on its own.
4. **Public or training context** (已公开发布, 保密知识培训, press release) caps the result:
   a draft that talks about secrecy is not secret. Strength 0.3 lowers one step, 0.5 caps at
   1, 0.85 caps at 0.
5. **Floors** win over everything above: the highest ``floor`` of a present term, a marking
   that is the draft's own (a banner line),
   personal data in quantity (3 or more distinct validated identifiers such as ID, card,
   passport, NI or SSN numbers → 1, 30 or more → 2; 10 or more phone numbers → 1), and an
   item of the office's catalogue that applies (its grade, its period, cited as the basis).

Between 2 and 3, **concrete details** count: when a subject category already supports at
least 1 and its context windows hold 3 or more distinct numbers, dates, places or sums of
money (``nlp`` findings from :mod:`classifiers.context`) of at least two kinds, the category
moves up one step within its reach. Words say what a draft is about; the details say whether
it gives the matter away.

The function is pure: the same findings and language give the same suggestion.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from classifiers.catalogue import CatalogueMatch
from classifiers.findings import Finding
from classifiers.patterns import PATTERN_KINDS
from keywords import CATEGORIES

GRADES = {
    0: ("公开", "public"),
    1: ("内部", "internal"),
    2: ("秘密", "CONFIDENTIAL"),
    3: ("机密", "SECRET"),
    4: ("绝密", "TOP SECRET"),
}
"""Chinese and English names of each ladder level."""
DEFAULT_PERIOD_YEARS = {4: 30, 3: 20, 2: 10}
"""Default 保密期限 in years for 绝密, 机密, 秘密 when no other period is fixed."""
DETAILS_NEEDED = 3
"""Distinct concrete details (of at least two kinds) near a subject that move it up a step."""
BODY_MARK_MAX = 2
"""Grade words in running text (not a banner) count as evidence for at most this level: they
are as often mentions (training, explainers) as instructions."""

_CAT = {c.id: c for c in CATEGORIES}
_CONTENT = frozenset(c.id for c in CATEGORIES if c.kind == "content")
_REACH = {"commercial_secret": 2, "work_secret": 1, "personal_information": 1}
_STATE = "保守国家秘密法第十三条第（{}）项：{}中的秘密事项"
_BASIS_ZH = {
    "state_affairs": _STATE.format("一", "国家事务重大决策"),
    "defence": _STATE.format("二", "国防建设和武装力量活动"),
    "foreign_affairs": _STATE.format("三", "外交和外事活动"),
    "economy": _STATE.format("四", "国民经济和社会发展"),
    "science_technology": _STATE.format("五", "科学技术"),
    "security_investigation": _STATE.format("六", "维护国家安全活动和追查刑事犯罪"),
    "other_state_secret": "保守国家秘密法第十三条第（七）项：经国家保密行政管理部门确定的其他秘密事项",
    "commercial_secret": "商业秘密（反不正当竞争法）",
    "work_secret": "工作秘密（保守国家秘密法第六十四条）",
    "personal_information": "个人信息（个人信息保护法）",
}
_BASIS_EN = {
    "state_affairs": "Major state decisions: pre-decisional deliberations and protective arrangements",
    "defence": "Military plans, weapons systems or operations (cf. E.O. 13526 s.1.4(a))",
    "foreign_affairs": "Foreign relations and foreign government information (cf. E.O. 13526 s.1.4(b), (d))",
    "economy": "Economic matters relating to national security (cf. E.O. 13526 s.1.4(e))",
    "science_technology": "Scientific and technological matters relating to national security (cf. E.O. 13526 s.1.4(e))",
    "security_investigation": "Intelligence sources and methods, investigations (cf. E.O. 13526 s.1.4(c))",
    "other_state_secret": "Other matters designated by the classification authority",
    "commercial_secret": "Commercial secrets (trade secrets and confidential business information)",
    "work_secret": "Internal working information not for public release",
    "personal_information": "Personal data (data protection law)",
}


@dataclass(frozen=True)
class Suggestion:
    """A suggested grade on the common ladder, how sure it is, and why.

    ``period_years`` is only the default for the level (30/20/10 for 4/3/2, None below);
    the actual period is decided elsewhere (a catalogue item's period, when one applies, is in
    ``catalogue_period_years``). ``basis`` names what decided the grade (定密依据): the
    catalogue item when one applies, else the kind of matter or the draft's own marking; None
    for public drafts.
    """

    level: int
    confidence: float
    findings: tuple[Finding, ...]
    rationale: tuple[str, ...]
    basis: str | None
    period_years: int | None
    catalogue_item: str | None = None
    """The id of the catalogue item that set the grade, if one did."""
    catalogue_period_years: int | None = None
    """That item's period in years, when it gives one: the period to suggest."""


def suggest(findings: Iterable[Finding], language: str, catalogue: Iterable[CatalogueMatch] = ()) -> Suggestion:
    """Apply the rules in the module notes to ``findings`` and the catalogue items that apply.

    The rationale is worded for ``language``.
    """
    fs = tuple(sorted(findings, key=lambda f: (f.start, f.end, f.category, f.source, f.rule)))
    items = tuple(sorted(catalogue, key=lambda m: (-m.item.level, m.item.id)))
    say = _Say(language == "zh")
    tally = _tally(fs)
    lines = [say.category(cat, _top_terms(fs, cat), tally.strengths[cat], tally.levels[cat]) for cat in tally.shown]
    if tally.ids_cards or tally.mobiles or tally.weak_ids:
        lines.append(say.patterns(fs, tally.weak_ids))
    level = tally.levels[tally.best] if tally.best else 0
    rule, rule_cat = ("score", tally.best) if level else ("nothing", None)

    # 1b. concrete details (numbers, dates, places, money) in the windows of a subject
    for cat, details in _details(fs).items():
        base = tally.levels.get(cat, 0)
        labels = {d.rule.split(":", 1)[0] for d in details}
        if base >= 1 and len(details) >= DETAILS_NEEDED and len(labels) >= 2:
            up = min(base + 1, _REACH.get(cat, 3))
            shown = [d.text for d in sorted(details, key=lambda d: (-d.score, d.start))][:5]
            lines.append(say.details(cat, shown, len(details), up, up > level))
            if up > level:
                level, rule, rule_cat = up, "details", cat

    # 2. markings: the draft's own (a banner or stamp line) a floor, in running text evidence
    marks = [f for f in fs if f.category == "marking" and f.floor is not None]
    head = [f for f in marks if f.banner]
    head_mark = max(head, key=lambda f: f.floor or 0) if head else None
    body = [f for f in marks if f not in head and f.score >= 0.5]
    if head_mark:
        lines.append(say.head_mark(_label(head_mark), head_mark.floor or 0))
    if body:
        body_level = min(BODY_MARK_MAX, max(f.floor or 0 for f in body))
        lines.append(say.body_mark(_distinct(_label(f) for f in body), body_level))
        if body_level > level:
            level, rule = body_level, "marking_body"

    # 3. handling language: one step up within what the subject supports, else at least 1
    handling = [f for f in fs if f.category == "handling"]
    h = _strength(_group(handling))
    content_level = tally.levels[tally.best] if tally.best else 0
    if handling:
        raised = level
        if h >= 0.5 and level == 0:
            raised = 1
        elif h >= 0.5 and level == 1 and content_level >= 1:
            raised = min(2, _REACH.get(tally.best or "", 3))
        lines.append(say.handling(_distinct(_label(f) for f in handling), h, raised, raised > level))
        if raised > level:
            level, rule = raised, "handling"

    # 4. public or training context caps a draft that only talks about secrecy
    lowering = [f for f in fs if f.category == "public_context"]
    p = _strength(_group(lowering))
    capped = 0 if p >= 0.85 else min(level, 1) if p >= 0.5 else max(level - 1, 0) if p >= 0.3 else level
    if lowering:
        lines.append(say.lowering(_distinct(_label(f) for f in lowering), p, capped, capped < level))
    uncapped = level
    if capped < level:
        level, rule = capped, "lowered"

    # 5. floors: specific terms, the draft's own marking, personal data in quantity
    term_floors = [f for f in fs if f.floor is not None and f.category not in ("marking", "public_context")]
    term_floor = max((f.floor or 0 for f in term_floors), default=0)
    n_ids, n_mobiles = len(tally.ids_cards), len(tally.mobiles)
    pattern_floor = 2 if n_ids >= 30 else 1 if n_ids >= 3 or n_mobiles >= 10 else 0
    mark_floor = (head_mark.floor or 0) if head_mark else 0
    lines += [say.term_floor(_label(f), f.floor or 0) for f in _distinct_floor_terms(term_floors)]
    if pattern_floor:
        lines.append(say.pattern_floor(n_ids, n_mobiles, pattern_floor))
    cat_item = items[0] if items else None
    cat_floor = cat_item.item.level if cat_item else 0
    for m in items[:3]:
        lines.append(say.catalogue(m))
    floor = max(term_floor, pattern_floor, mark_floor, cat_floor)
    if floor and floor >= level:
        if floor > level and rule == "lowered":
            lines.append(say.floor_kept(floor))
        level = floor
        if cat_floor == floor and cat_item is not None:
            rule, rule_cat = "floor_catalogue", cat_item.item.category
        elif mark_floor == floor:
            rule, rule_cat = "floor_marking", None
        elif term_floor == floor:
            rule = "floor_term"
            rule_cat = max((f for f in term_floors if f.floor == floor),
                           key=lambda f: (f.category in _CONTENT, f.score)).category
        else:
            rule, rule_cat = "floor_pattern", "personal_information"

    top = tally.strengths.get(rule_cat, 0.0) if rule_cat else max(tally.strengths.values(), default=0.0)
    confidence = {
        "floor_catalogue": 0.9,
        "floor_marking": 0.9,
        "details": 0.45 + 0.45 * top,
        "floor_term": 0.5 + 0.45 * max((f.score for f in term_floors if f.floor == level), default=0.5),
        "floor_pattern": 0.8,
        "lowered": 0.45 + 0.45 * p - (0.1 if uncapped >= 3 else 0.0),
        "handling": 0.45 + 0.25 * top + 0.2 * h,
        "marking_body": 0.7,
        "score": 0.35 + 0.55 * top,
        "nothing": 0.8 - top,
    }[rule]
    confidence = round(min(0.99, max(0.05, confidence)), 2)
    catalogue_item = catalogue_years = None
    if level == 0:
        basis = None
    elif cat_item is not None and cat_item.item.level == level:
        basis = say.catalogue_basis(cat_item)
        catalogue_item, catalogue_years = cat_item.item.id, cat_item.item.period_years
    elif head_mark and rule == "floor_marking":
        basis = say.marking_basis(_label(head_mark))
    elif rule_cat == "handling":
        statement = max((f for f in term_floors if f.floor == level), key=lambda f: f.score)
        basis = say.marking_basis(_label(statement))
    else:
        cat = rule_cat if rule_cat in _CONTENT else tally.best or "work_secret"
        if level == 1 and cat not in _REACH:
            cat = "work_secret"  # 内部 is not a state secret: no state-secret article applies
        basis = say.basis(cat)
    period = DEFAULT_PERIOD_YEARS.get(level)
    if not fs:
        lines.append(say.empty())
    lines.append(say.decision(level, rule, rule_cat, confidence, catalogue_years or period,
                              catalogue_item is not None and catalogue_years is not None))
    return Suggestion(level, confidence, fs, tuple(lines), basis, period, catalogue_item, catalogue_years)


def _details(fs: tuple[Finding, ...]) -> dict[str, list[Finding]]:
    """The distinct concrete details (``nlp`` findings) per category, in text order."""
    out: dict[str, list[Finding]] = {}
    seen: set[tuple[str, str]] = set()
    for f in fs:
        if f.source == "nlp" and (f.category, f.rule) not in seen:
            seen.add((f.category, f.rule))
            out.setdefault(f.category, []).append(f)
    return out


@dataclass(frozen=True)
class _Tally:
    """Step 1: content strength and level per category, and the validated numbers seen."""

    strengths: dict[str, float]
    levels: dict[str, int]
    best: str | None
    shown: tuple[str, ...]
    ids_cards: frozenset[str]
    mobiles: frozenset[str]
    weak_ids: int


def _tally(fs: tuple[Finding, ...]) -> _Tally:
    evidence: dict[str, dict[str, list[float]]] = {}
    ids_cards: set[str] = set()
    mobiles: set[str] = set()
    weak_ids = 0
    for f in fs:
        if f.source == "nlp":
            continue
        if f.source == "pattern":
            key = f"{f.rule}:{''.join(ch for ch in f.text if ch.isalnum())}"
            kind = PATTERN_KINDS.get(f.rule, "id")
            if kind == "contact":
                mobiles.add(key)
                weight = f.score * 0.4  # a phone number alone is no reason to restrict a draft
            elif kind == "org":
                weight = f.score * 0.3  # printed on every business licence
            elif kind in ("military", "location"):
                weight = f.score
            elif f.score >= 0.5:
                ids_cards.add(key)
                weight = f.score
            else:
                weak_ids += 1
                continue
            evidence.setdefault(f.category, {}).setdefault(key, []).append(weight)
        elif f.category in _CONTENT:
            evidence.setdefault(f.category, {}).setdefault(f.rule or f.text, []).append(f.score)
    strengths = {cat: _strength(items) for cat, items in evidence.items()}
    levels = {cat: min(_level_of(s), _REACH.get(cat, 3)) for cat, s in strengths.items()}
    best = max(levels, key=lambda c: (levels[c], strengths[c]), default=None)
    lexical = {f.category for f in fs if f.source == "lexicon"}
    shown = tuple(c for c in sorted(strengths, key=lambda c: -strengths[c]) if c in lexical)[:6]
    return _Tally(strengths, levels, best, shown, frozenset(ids_cards), frozenset(mobiles), weak_ids)


def _strength(items: dict[str, list[float]]) -> float:
    """Combine distinct items with diminishing returns; repeats of an item add 5% each (max 3).

    The strongest item counts fully, the next half, the next a quarter, and so on.
    """
    weights = sorted((min(1.0, max(ws) * (1 + 0.05 * min(len(ws) - 1, 3))) for ws in items.values()), reverse=True)
    miss = 1.0
    for i, w in enumerate(weights):
        miss *= 1 - w * 0.5**i
    return round(1 - miss, 4)


def _level_of(strength: float) -> int:
    return 3 if strength >= 0.85 else 2 if strength >= 0.65 else 1 if strength >= 0.35 else 0


def _group(fs: Iterable[Finding]) -> dict[str, list[float]]:
    items: dict[str, list[float]] = {}
    for f in fs:
        items.setdefault(f.rule or f.text, []).append(f.score)
    return items


def _label(f: Finding) -> str:
    """How a finding is named in the rationale: the listed term, else its text on one line."""
    return f.rule if f.source == "lexicon" and f.rule else " ".join(f.text.split())


def _distinct(texts: Iterable[str], limit: int = 4) -> list[str]:
    out: list[str] = []
    for t in texts:
        if t not in out:
            out.append(t)
            if len(out) == limit:
                break
    return out


def _top_terms(fs: tuple[Finding, ...], cat: str) -> list[tuple[str, int]]:
    counts: dict[str, tuple[float, int]] = {}
    for f in fs:
        if f.category == cat and f.source == "lexicon":
            score, n = counts.get(f.rule or f.text, (f.score, 0))
            counts[f.rule or f.text] = (score, n + 1)
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1][0], -kv[1][1], kv[0]))
    return [(term, n) for term, (_, n) in ranked[:4]]


def _distinct_floor_terms(fs: list[Finding]) -> list[Finding]:
    seen: dict[str, Finding] = {}
    for f in sorted(fs, key=lambda f: -(f.floor or 0)):
        seen.setdefault(f.rule or f.text, f)
    return list(seen.values())[:3]


class _Say:
    """Rationale sentences in the draft's language; grades always shown in both languages."""

    def __init__(self, zh: bool) -> None:
        self.zh = zh

    @staticmethod
    def grade(level: int) -> str:
        zh, en = GRADES[level]
        return f"{zh}/{en} ({level})"

    def _list(self, items: Iterable[str]) -> str:
        return ("、" if self.zh else ", ").join(items)

    def category(self, cat: str, terms: list[tuple[str, int]], strength: float, level: int) -> str:
        shown = self._list(f"{t}×{n}" if n > 1 else t for t, n in terms)
        if self.zh:
            return f"{_CAT[cat].zh}：命中（{shown}），强度 {strength:.2f}，可支持 {self.grade(level)}。"
        return f"{_CAT[cat].en.capitalize()}: found ({shown}), strength {strength:.2f}, supports {self.grade(level)}."

    def patterns(self, fs: tuple[Finding, ...], weak: int) -> str:
        def count(rule: str) -> int:
            contact = PATTERN_KINDS.get(rule) == "contact"
            return len({f.text for f in fs if f.rule == rule and (f.score >= 0.5 or contact)})

        ids, cards = count("cn_resident_id"), count("bank_card")
        others = sum(count(r) for r, k in PATTERN_KINDS.items() if k == "id" and r not in ("cn_resident_id", "bank_card"))
        phones = sum(count(r) for r, k in PATTERN_KINDS.items() if k == "contact")
        if self.zh:
            line = f"个人信息号码：校验通过的身份证号 {ids} 个、银行卡号 {cards} 个、其他证件和账户号码 {others} 个，电话号码 {phones} 个"
            return line + (f"；另有 {weak} 个号码校验位不符，已降权。" if weak else "。")
        line = (f"Personal data numbers: {ids} resident ID, {cards} bank card and {others} other identity or account numbers "
                f"passed their checks, {phones} phone numbers")
        return line + (f"; {weak} ID-like numbers failed their check and were discounted." if weak else ".")

    def head_mark(self, text: str, level: int) -> str:
        if self.zh:
            return f"草稿首部已有密级标志“{text}”：不低于 {self.grade(level)}。"
        return f"The draft already carries the marking '{text}' at its head: at least {self.grade(level)}."

    def body_mark(self, texts: list[str], level: int) -> str:
        if self.zh:
            return f"正文中出现密级标志（{self._list(texts)}），按强信号计为 {self.grade(level)}。"
        return f"Marking words appear in the body ({self._list(texts)}): strong evidence for {self.grade(level)}."

    def handling(self, texts: list[str], h: float, level: int, changed: bool) -> str:
        if self.zh:
            effect = f"上调为 {self.grade(level)}" if changed else "未改变等级"
            return f"处理要求用语（{self._list(texts)}），强度 {h:.2f}：{effect}。"
        effect = f"raised to {self.grade(level)}" if changed else "no change"
        return f"Handling language ({self._list(texts)}), strength {h:.2f}: {effect}."

    def lowering(self, texts: list[str], p: float, cap: int, changed: bool) -> str:
        if self.zh:
            effect = f"按谈论保密或公开材料处理，降为 {self.grade(cap)}" if changed else "未改变等级"
            return f"公开或学习培训语境（{self._list(texts)}），强度 {p:.2f}：{effect}。"
        effect = f"treated as public or as talk about secrecy, lowered to {self.grade(cap)}" if changed else "no change"
        return f"Public or training context ({self._list(texts)}), strength {p:.2f}: {effect}."

    def details(self, cat: str, texts: list[str], n: int, level: int, changed: bool) -> str:
        shown = self._list(texts)
        if self.zh:
            effect = f"上调为 {self.grade(level)}" if changed else "未改变等级"
            return f"{_CAT[cat].zh}内容附近有 {n} 项具体细节（{shown}）：{effect}。"
        effect = f"raised to {self.grade(level)}" if changed else "no change"
        return f"{n} concrete details near the {_CAT[cat].en} content ({shown}): {effect}."

    def catalogue(self, m: CatalogueMatch) -> str:
        words = self._list(w for _, _, w in m.hits[:5])
        period = (f"，{m.item.period_years}年" if self.zh else f", {m.item.period_years} years") if m.item.period_years else ""
        if self.zh:
            return f"保密事项一览表第 {m.item.id} 项（{m.item.description}；{self.grade(m.item.level)}{period}）适用：命中（{words}），不低于该项密级。"
        return (f"Catalogue item {m.item.id} ({m.item.description}; {self.grade(m.item.level)}{period}) applies: "
                f"found ({words}); at least its grade.")

    def catalogue_basis(self, m: CatalogueMatch) -> str:
        period = (f"，{m.item.period_years}年" if self.zh else f", {m.item.period_years} years") if m.item.period_years else ""
        grade = GRADES[m.item.level][0 if self.zh else 1]
        if self.zh:
            return f"{m.catalogue} 第 {m.item.id} 项：{m.item.description}（{grade}{period}）"
        return f"{m.catalogue}, item {m.item.id}: {m.item.description} ({grade}{period})"

    def floor_kept(self, level: int) -> str:
        if self.zh:
            return f"但草稿含有具体敏感内容，不能低于 {self.grade(level)}。"
        return f"But the draft holds specific sensitive content, so it stays at {self.grade(level)} or above."

    def term_floor(self, term: str, level: int) -> str:
        if self.zh:
            return f"“{term}”要求不低于 {self.grade(level)}。"
        return f"'{term}' sets a minimum of {self.grade(level)}."

    def pattern_floor(self, ids_cards: int, mobiles: int, level: int) -> str:
        if self.zh:
            return f"成批个人信息（证件号和银行卡号 {ids_cards} 个，手机号 {mobiles} 个）：不低于 {self.grade(level)}。"
        return f"Personal data in quantity ({ids_cards} ID and card numbers, {mobiles} mobiles): at least {self.grade(level)}."

    def basis(self, cat: str) -> str:
        return (_BASIS_ZH if self.zh else _BASIS_EN)[cat]

    def marking_basis(self, text: str) -> str:
        return f"草稿已有的密级标志：{text}" if self.zh else f"Marking already on the draft: {text}"

    def empty(self) -> str:
        return "未发现敏感内容。" if self.zh else "No sensitive content was found."

    def decision(self, level: int, decided: str, cat: str | None, confidence: float, period: int | None,
                 from_catalogue: bool = False) -> str:
        name = (_CAT[cat].zh if self.zh else _CAT[cat].en) if cat else ""
        rules_zh = {
            "floor_catalogue": "保密事项一览表的适用条目", "details": f"{name}内容附近的具体细节",
            "floor_marking": "草稿已有的密级标志", "floor_term": f"具体敏感词的最低等级（{name}）",
            "floor_pattern": "成批个人信息的最低等级", "lowered": "公开或学习培训语境的上限",
            "handling": "处理要求用语上调", "marking_body": "正文中的密级标志",
            "score": f"{name}内容的强度", "nothing": "未达到任何等级的门槛",
        }
        rules_en = {
            "floor_catalogue": "the catalogue item that applies", "details": f"concrete details near {name} content",
            "floor_marking": "the marking already on the draft", "floor_term": f"the minimum set by a specific term ({name})",
            "floor_pattern": "the minimum for personal data in quantity", "lowered": "the cap for public or training context",
            "handling": "handling language", "marking_body": "marking words in the body",
            "score": f"the strength of {name} content", "nothing": "no threshold was reached",
        }
        if self.zh:
            tail = (f"；{'一览表规定' if from_catalogue else '默认'}保密期限 {period} 年") if period else ""
            return f"结论：{self.grade(level)}，决定规则：{rules_zh[decided]}；置信度 {confidence:.2f}{tail}。"
        tail = (f"; {'catalogue' if from_catalogue else 'default'} period {period} years") if period else ""
        return f"Decision: {self.grade(level)} by {rules_en[decided]}; confidence {confidence:.2f}{tail}."
