"""Step 5 of the grade policy: the minimums that win over content, markings and context.

:class:`Floors` collects them: a term's floor, the draft's own marking (unless a
declassification note makes it history), personal data in quantity or sensitive personal
records, the office catalogue's item, and the built-in secrecy-scope item that fired. A scope
item sets its full level only on enough evidence (see :func:`scope_floor`). :class:`Steps` is
the running decision the policy's steps share.
"""

from __future__ import annotations

from dataclasses import dataclass

from mijian.classifiers.catalogue import CatalogueMatch
from mijian.classifiers.findings import Finding
from mijian.classifiers.scope_match import ScopeMatch
from mijian.classifiers.tally import CONTENT, Tally, distinct_floor_terms, group, label, strength
from mijian.classifiers.wording import Say

PUBLIC = 0.5
"""Public-context strength from which a scope item needs specific details to set a minimum."""
STRONG_PUBLIC = 0.85
"""Public-context strength from which it needs more of them."""
PUBLIC_SPECIFICS = (2, 3)
"""Kinds of specific detail a scope item needs under public context (from PUBLIC, STRONG_PUBLIC)."""
STRONG_SCOPE = 3
"""Distinct subject and condition words a scope item needs to set its full level."""
TOP_SCOPE = 4
"""Distinct subject and condition words, in the windows where they meet, that a scope item
needs to set 绝密/TOP SECRET."""
THIN_PUBLIC = 0.3
"""Public-context strength from which one subject word and one condition are thin evidence."""
THIN_SCOPE_MAX = 2
"""The most a scope item shown by one subject word and one condition sets."""
SENSITIVE_NEEDED = 2
"""Named people with a health or employment fact that set 内部 as a minimum."""
DECLASSIFIED = "declassified"
"""The rule of the finding that reports a declassification note."""



class Steps:
    """The running decision while the rules apply: level, rule, its category, the lines."""

    def __init__(self, say: Say) -> None:
        self.say = say
        self.level = 0
        self.rule = "nothing"
        self.cat: str | None = None
        self.lines: list[str] = []

    def take(self, level: int, rule: str, cat: str | None = None, keep_cat: bool = False) -> None:

        """Move the decision to ``level`` by ``rule``; keep the deciding category when asked."""
        self.level, self.rule = level, rule
        if not keep_cat:
            self.cat = cat


@dataclass(frozen=True)
class Floors:
    """Step 5: the minimums that win over the steps above, and what set each."""

    term: int
    term_findings: tuple[Finding, ...]
    pattern: int
    mark: int
    catalogue: CatalogueMatch | None
    scope: ScopeMatch | None
    scope_level: int
    declassified: bool
    subject: bool = True
    """Whether the rules read any subject matter in the draft (a content finding or a scope item):
    a banner over a draft without any is over-marking as often as not (a canteen notice under 机密)."""

    @classmethod
    def find(cls, run: Steps, fs: tuple[Finding, ...], t: Tally, items: tuple[CatalogueMatch, ...],
             scopes: tuple[ScopeMatch, ...], head_mark: Finding | None, p: float) -> Floors:
        """Collect the floors and word a line for each."""
        declassified = any(f.rule == DECLASSIFIED for f in fs)
        term_findings = tuple(f for f in fs if f.floor is not None and f.category not in ("marking", "public_context"))
        term = max((f.floor or 0 for f in term_findings), default=0)
        n_ids, n_mobiles = len(t.ids_cards), len(t.mobiles)
        pattern = 2 if n_ids >= 30 else 1 if n_ids >= 3 or n_mobiles >= 10 else 0
        sensitive = {f.rule for f in fs if f.rule.startswith("person:sensitive:")}
        bulk = max((int(f.rule.split(":")[1]) for f in fs if f.rule.startswith("people:")), default=0)
        # named people in a published notice (an exposure of discipline cases, a news item) are public
        people = 2 if bulk else 1 if len(sensitive) >= SENSITIVE_NEEDED and p < PUBLIC else 0
        mark = (head_mark.floor or 0) if head_mark and not declassified else 0
        run.lines += [run.say.term_floor(label(f), f.floor or 0) for f in distinct_floor_terms(list(term_findings))]
        if pattern:
            run.lines.append(run.say.pattern_floor(n_ids, n_mobiles, pattern))
        if people:
            run.lines.append(run.say.people_floor(len(sensitive), bulk, people))
        pattern = max(pattern, people)
        run.lines += [run.say.catalogue(m) for m in items[:3]]
        backed = supported(fs, t, scopes)
        weighed = sorted(((m, *_personal_cap(scope_floor(m, declassified, p, run.say.zh, backed), m, pattern, run.say.zh))
                          for m in scopes if m.tier in ("window", "bare")),
                         key=lambda x: (-x[1], -x[0].strength, x[0].item.id))
        for m, floor, why in weighed[:4]:
            run.lines.append(run.say.scope(m, floor, why))
        best = weighed[0] if weighed and weighed[0][1] else None
        subject = bool(scopes) or any(f.category in CONTENT for f in fs)
        return cls(term, term_findings, pattern, mark, items[0] if items else None,
                   best[0] if best else None, best[1] if best else 0, declassified, subject)

    def apply(self, run: Steps, fs: tuple[Finding, ...]) -> None:
        """Raise the level to the highest floor, naming the rule that set it."""
        cat_floor = self.catalogue.item.level if self.catalogue else 0
        scope_floor = self.scope_level
        floor = max(self.term, self.pattern, self.mark, cat_floor, scope_floor)
        if not floor or floor < run.level:
            return
        if floor > run.level and run.rule == "lowered":
            run.lines.append(run.say.floor_kept(floor))
        if cat_floor == floor and self.catalogue is not None:
            run.take(floor, "floor_catalogue", self.catalogue.item.category)
        elif scope_floor == floor and self.scope is not None:
            run.take(floor, "floor_scope", self.scope.item.category)
        elif self.mark == floor:
            run.take(floor, "floor_marking", None)
        elif self.term == floor:
            best = max((f for f in self.term_findings if f.floor == floor), key=lambda f: (f.category in CONTENT, f.score))
            run.take(floor, "floor_term", best.category)
        else:
            run.take(floor, "floor_pattern", "personal_information")


def _personal_cap(floor: tuple[int, str], m: ScopeMatch, quantity: int, zh: bool) -> tuple[int, str]:
    """Personal data is not a state secret: its items set 内部 unless the data comes in quantity."""
    level, _why = floor
    if m.item.category != "personal_information" or quantity >= 2 or level <= 1:
        return floor
    return 1, ("个人信息不属于国家秘密，且未见成批数量" if zh else "personal data is not a state secret and does not come in quantity")


def supported(fs: tuple[Finding, ...], t: Tally, scopes: tuple[ScopeMatch, ...]) -> bool:
    """Whether the draft shows, besides one scope item, that it is a restricted paper.

    Restrictive handling language (阅后收回, need-to-know), a second scope item shown by its
    words, or subject-matter words strong enough for 秘密 on their own.
    """
    handling = strength(group(f for f in fs if f.category == "handling"))
    shown = sum(m.tier in ("window", "document") for m in scopes)
    return handling >= 0.5 or shown >= 2 or max(t.levels.values(), default=0) >= 2


def scope_floor(m: ScopeMatch, declassified: bool, p: float, zh: bool, supported: bool = False) -> tuple[int, str]:
    """The minimum a scope item that fired sets, and why it is below the item's level ("" if not).

    A declassified draft's items are history (0). Under public context only an item with
    kinds of specific detail counts. In a draft with some public flavour (:data:`THIN_PUBLIC`),
    one subject word and one condition alone are thin evidence: unless the draft is otherwise
    ``supported`` (see :func:`supported`), they set at most :data:`THIN_SCOPE_MAX`.
    """
    if declassified:
        return 0, "草稿已注明解密" if zh else "the draft carries a declassification note"
    need = PUBLIC_SPECIFICS[1] if p >= STRONG_PUBLIC else PUBLIC_SPECIFICS[0] if p >= PUBLIC else 0
    if m.detail_kinds < need:
        return 0, (f"公开或面向公众的语境，具体细节不足 {need} 类" if zh else
                   f"public or published context with fewer than {need} kinds of specific detail")
    if not m.bare and not supported and p >= THIN_PUBLIC and m.strength < STRONG_SCOPE and m.level > THIN_SCOPE_MAX:
        return THIN_SCOPE_MAX, ("仅一个主题词和一个条件，证据单薄" if zh else
                                "one subject word and one condition only: thin evidence")
    if not m.bare and m.level == 4 and m.window_strength < TOP_SCOPE:
        return 3, (f"绝密需至少 {TOP_SCOPE} 个不同的主题词和条件" if zh else
                   f"TOP SECRET needs at least {TOP_SCOPE} distinct subject and condition words")
    return m.level, ""
