"""The rationale's sentences, in Chinese or in English.

:class:`Say` words every step of the grade policy (:mod:`classifiers.policy`) for one
language; grades are shown in both the ladder's Chinese and English names in Chinese text,
and in English alone in English text, so an English report is English throughout.
"""

from __future__ import annotations

from collections.abc import Iterable

from mijian.classifiers.catalogue import CatalogueMatch
from mijian.classifiers.findings import Finding
from mijian.classifiers.learned_read import ModelReading
from mijian.classifiers.patterns import PATTERN_KINDS
from mijian.classifiers.scope_match import ScopeMatch
from mijian.keywords import CATEGORIES

GRADES = {
    0: ("公开", "public"),
    1: ("内部", "internal"),
    2: ("秘密", "CONFIDENTIAL"),
    3: ("机密", "SECRET"),
    4: ("绝密", "TOP SECRET"),
}
"""Chinese and English names of each ladder level."""
_CAT = {c.id: c for c in CATEGORIES}
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



class Say:
    """Rationale sentences in one language (Chinese when ``zh``, else English)."""

    def __init__(self, zh: bool) -> None:
        self.zh = zh

    def grade(self, level: int) -> str:
        """A ladder level by name: both names in Chinese text, the English name in English text."""
        zh, en = GRADES[level]
        return f"{zh}/{en} ({level})" if self.zh else f"{en} ({level})"

    def period(self, years: int | None, event: str | None) -> str:
        """A period as the report shows it: the event that ends it, else years ("" for none)."""
        if event:
            return event
        if years:
            return f"{years}年" if self.zh else f"{years} years"
        return ""

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

    def records(self, names: list[str], n: int) -> str:
        """Named people listed with dates or sensitive facts (personal data without identifiers)."""
        if self.zh:
            return f"个人信息记录：{n} 名有姓名并列有日期或健康、人事情况的人员（{self._list(names)}……），至少 {self.grade(1)}。"
        return (f"Personal records: {n} named people listed with dates or health or employment facts "
                f"({self._list(names)} ...): at least {self.grade(1)}.")

    def people_floor(self, sensitive: int, bulk: int, level: int) -> str:
        """Sensitive personal records, or a stated number of people with their personal fields."""
        if self.zh:
            what = f"涉及 {bulk:,} 人的个人信息" if bulk else f"{sensitive} 名人员的健康或人事等敏感个人信息"
            return f"{what}：不低于 {self.grade(level)}。"
        what = f"personal data of {bulk:,} people" if bulk else f"health or employment facts about {sensitive} named people"
        return f"Sensitive personal data ({what}): at least {self.grade(level)}."

    def basis(self, cat: str) -> str:
        return (_BASIS_ZH if self.zh else _BASIS_EN)[cat]

    def second_reading(self, reading: ModelReading, q: tuple[float, ...], before: int, after: int) -> str:
        """The second reader's view, the combined step probabilities and what they did to the level."""
        down = after < before
        shown = reading.words(down=down)
        words = "、".join(f"「{w}」" for w in shown) if self.zh else ", ".join(f"'{w}'" for w in shown)
        steps = ", ".join(f"P(≥{self.grade(k + 1)})={p:.2f}" for k, p in enumerate(reading.probabilities) if k >= 1)
        joint = ", ".join(f"P(≥{self.grade(k + 1)})={p:.2f}" for k, p in enumerate(q) if k >= 1)
        if self.zh:
            moved = f"合并后由{self.grade(before)}改为{self.grade(after)}" if after != before else f"合并后维持{self.grade(after)}"
            if down:
                moved += "（规则所列、以内容强度推断的等级由合并判断取代；规则确定的最低等级不受影响，且最多下调两级）"
            lead = "；拉低等级最多的字词：" if down else "；分量最重的字词："
            return (f"第二读者（在 {reading.drafts} 份已标注草稿上训练的统计模型）：{steps}"
                    f"{lead + words if words else ''}。与规则的建议合并：{joint}，{moved}。")
        moved = f"moved from {self.grade(before)} to {self.grade(after)}" if after != before else f"{self.grade(after)} kept"
        if down:
            moved += (" (the level the rules inferred from the strength of the words gives way; minimums the rules"
                      " set stand, and the reader lowers two steps at most)")
        lead = "; the words that hold it down most: " if down else "; the words that weigh most: "
        return (f"Second reader (a statistical model trained on {reading.drafts} labelled drafts): {steps}"
                f"{lead + words if words else ''}. Weighed with the rules: {joint}; {moved}.")

    def second_abstains(self, share: float) -> str:
        """The line when the reader stays out of a draft it cannot read."""
        if self.zh:
            return f"第二读者未参与：草稿中可读的中英文字符只占 {share:.0%}（其他文字、形近字母或乱码），等级由规则决定。"
        return (f"Second reader stayed out: only {share:.0%} of the draft is Chinese or English it can read "
                "(another script, look-alike letters or garbled bytes); the rules decide.")

    def second_basis(self) -> str:
        """The basis when the second reading set a grade no rule names a scope for."""
        return ("规则未找到对应条目，等级由第二读者的判断提出：请定密责任人确定定密依据" if self.zh else
                "No rule names the matter; the grade comes from the second reader: the classification authority must name the basis")

    def marking_basis(self, text: str) -> str:
        return f"草稿已有的密级标志：{text}" if self.zh else f"Marking already on the draft: {text}"

    def empty(self) -> str:
        return "未发现敏感内容。" if self.zh else "No sensitive content was found."

    def decision(self, level: int, decided: str, cat: str | None, confidence: float, period: str, source: str) -> str:
        """The closing line: the grade, the rule that decided it, the confidence and the period.

        ``source`` says where the period comes from: ``scope``, ``catalogue`` or ``default``.
        """
        name = (_CAT[cat].zh if self.zh else _CAT[cat].en) if cat else ""
        rules_zh = {
            "floor_scope": "保密事项范围的适用条目", "scope_evidence": "保密事项范围条目的内容证据", "floor_catalogue": "保密事项一览表的适用条目",
            "details": f"{name}内容附近的具体细节",
            "floor_marking": "草稿已有的密级标志", "floor_term": f"具体敏感词的最低等级（{name}）",
            "floor_pattern": "成批个人信息的最低等级", "records": "个人信息记录", "lowered": "公开或学习培训语境的上限",
            "handling": "处理要求用语上调", "marking_body": "正文中的密级标志",
            "score": f"{name}内容的强度", "nothing": "未达到任何等级的门槛",
            "second_reading": "规则与第二读者（统计模型）的合并判断",
        }
        rules_en = {
            "floor_scope": "the secrecy-scope item that applies", "scope_evidence": "content evidence for a secrecy-scope item", "floor_catalogue": "the catalogue item that applies",
            "details": f"concrete details near {name} content",
            "floor_marking": "the marking already on the draft", "floor_term": f"the minimum set by a specific term ({name})",
            "floor_pattern": "the minimum for personal data in quantity", "records": "personal records", "lowered": "the cap for public or training context",
            "handling": "handling language", "marking_body": "marking words in the body",
            "score": f"the strength of {name} content", "nothing": "no threshold was reached",
            "second_reading": "the rules weighed together with the second reader (a statistical model)",
        }
        where_zh = {"scope": "保密事项范围规定", "catalogue": "一览表规定", "default": "默认"}
        where_en = {"scope": "scope item", "catalogue": "catalogue", "default": "default"}
        if source == "default" and period:
            # the scheme of the report fixes the default period; the report shows that one
            tail_zh, tail_en = "；保密期限：按标志体系对该密级的默认期限", "; period: the scheme's default for the grade"
        else:
            tail_zh = f"；{where_zh[source]}保密期限：{period}" if period else ""
            tail_en = f"; {where_en[source]} period: {period}" if period else ""
        if self.zh:
            tail = tail_zh
            return f"结论：{self.grade(level)}，决定规则：{rules_zh[decided]}；置信度 {confidence:.2f}{tail}。"
        tail = tail_en
        return f"Decision: {self.grade(level)} by {rules_en[decided]}; confidence {confidence:.2f}{tail}."

    def scope(self, m: ScopeMatch, floor: int, why_not: str) -> str:
        """One secrecy-scope item that fired: what it covers, the words that met, its rule."""
        item = m.item
        sector = item.sector_zh if self.zh else item.sector_en
        period = self.period(item.period_years, item.period_event(self.zh))
        words = self._list(h.word for h in m.subject[:4])
        conds = self._list(h.word for h in m.conditions[:4])
        window = {"sentence": ("句", "sentence"), "paragraph": ("段", "paragraph"), "document": ("份文件", "document")}[item.window]
        if self.zh:
            met = (f"主题（{words}）无条件出现，按该项规定计为 {self.grade(m.level)}" if m.bare else
                   f"主题（{words}）与条件（{conds}）同在一{window[0]}中" + ("，含具体细节，上调一级" if m.specific else ""))
            effect = f"不低于 {self.grade(floor)}（{why_not}）" if why_not and floor else f"不作为下限（{why_not}）" if why_not else "不低于该级"
            return (f"保密事项范围 {item.id}（{sector}：{item.description(True)}；{self.grade(m.level)}"
                    f"{'，' + period if period else ''}）：{met}；{effect}。依据：{item.provenance}。")
        met = (f"the subject ({words}) occurs without a condition; the item counts it as {self.grade(m.level)}" if m.bare else
               f"the subject ({words}) and a condition ({conds}) occur in one {window[1]}"
               + ("; specific details raise it one level" if m.specific else ""))
        effect = (f"at least {self.grade(floor)} ({why_not})" if why_not and floor else
                  f"not used as a minimum ({why_not})" if why_not else "at least this grade")
        return (f"Secrecy-scope item {item.id} ({sector}: {item.description(False)}; {self.grade(m.level)}"
                f"{', ' + period if period else ''}): {met}; {effect}. Source: {item.source(False)}.")

    def scope_weak(self, m: ScopeMatch, level: int, changed: bool) -> str:
        """A scope item shown by subject words (and a condition elsewhere), weighed as content."""
        item = m.item
        words = self._list(h.word for h in m.subject[:4])
        conds = self._list(h.word for h in m.conditions[:3])
        if self.zh:
            how = f"主题词（{words}）" + (f"，条件（{conds}）不在同一段" if conds else "，未见使其成为秘密的条件")
            effect = f"计为 {self.grade(level)}" if changed else "未改变等级"
            return f"保密事项范围 {item.id}（{item.sector_zh}：{item.description(True)}）：{how}；按内容证据{effect}。依据：{item.provenance}。"
        how = f"subject words ({words})" + (f" with a condition ({conds}) in another paragraph" if conds else
                                             ", none of the conditions that make it secret")
        effect = f"counts as {self.grade(level)}" if changed else "no change"
        return (f"Secrecy-scope item {item.id} ({item.sector_en}: {item.description(False)}): {how}; as content evidence "
                f"it {effect}. Source: {item.source(False)}.")

    def scope_basis(self, m: ScopeMatch) -> str:
        """The 定密依据 recorded when a secrecy-scope item decided the grade."""
        item = m.item
        period = self.period(item.period_years, item.period_event(self.zh))
        grade = GRADES[m.level][0 if self.zh else 1]
        if self.zh:
            return f"{item.provenance}（{item.id}）：{item.description(True)}（{grade}{'，' + period if period else ''}）"
        return f"{item.source(False)} ({item.id}): {item.description(False)} ({grade}{', ' + period if period else ''})"

    def reading(self, kind: str, texts: list[str]) -> str:
        """A line for what marking-aware reading set aside (declassified, negated, mentions)."""
        shown = self._list(texts)
        zh = {"declassified": f"解密说明（{shown}）：原有密级标志和所涉事项不再作为密级依据。",
              "negation": f"否定表述（{shown}）：其中的密级词和事项词不计入，草稿自述不属于国家秘密。",
              "mention": f"被引用或作为举例、资格要求提及的密级词（{shown}）：不是本件的密级标志。"}
        en = {"declassified": f"Declassification note ({shown}): old markings and the matters they covered no longer set the grade.",
              "negation": f"Negated statement ({shown}): the grade and subject words inside it do not count; the draft says it is not classified.",
              "mention": f"Marking words quoted, given as an example or as a clearance requirement ({shown}): not this draft's marking."}
        return (zh if self.zh else en)[kind]
