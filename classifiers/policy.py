"""Turn findings into a suggested grade on the common ladder, with a rationale.

Ladder: 0 公开/public, 1 内部/internal, 2 秘密/CONFIDENTIAL, 3 机密/SECRET, 4 绝密/TOP SECRET.

The rules, in the order they apply:

1. **Content.** Findings are grouped by category; distinct terms combine with diminishing
   returns (the strongest counts fully, the next half, the next a quarter ...; repeats add a
   little). A category's strength maps to a level (0.35 → 1, 0.65 → 2, 0.85 → 3), capped by
   what the category can support on words alone: 3 for the seven state-secret areas, 2 for
   commercial secrets, 1 for work secrets and personal information. 4 is never reached on
   words alone. Five or more named people listed with dates or health and employment facts
   (:mod:`classifiers.personal`) make a draft 内部. A secrecy-scope item shown only by its
   subject words (with a condition elsewhere in the draft, or none) weighs as content: up to
   机密 with three or more distinct words or a condition elsewhere, else up to 秘密.
2. **Markings in running text** (``机密★``, ``SECRET`` inside a sentence) with weight 0.5 or
   more count as evidence for their level, at most 2; a marking on a line of its own at the
   top or bottom of the draft (a banner, ``Finding.banner``) is the draft's own: a floor.
3. **Handling language** (阅后收回, must not be revealed) moves a draft with nothing else to 1,
   and a draft whose subject matter supports 1 to 2 (within the category's reach); it never
   makes a draft 3 or 4 on its own.
4. **Public or training context** (已公开发布, 保密知识培训, press release) caps the result:
   a draft that talks about secrecy is not secret. Strength 0.3 lowers one step, 0.5 caps at
   0 (the floors below still hold).
5. **Floors** win over everything above: the highest ``floor`` of a present term, a marking
   that is the draft's own (a banner line),
   personal data in quantity (3 or more distinct validated identifiers such as ID, card,
   passport, NI or SSN numbers → 1, 30 or more → 2; 10 or more mobile numbers → 1; an
   office's published landline is not personal data; three named people with health or
   employment facts → 1; a stated thousand people or more with their personal fields → 2),
   an item of the office's catalogue that applies (its grade, its period, cited as the
   basis), and an item of the built-in catalogue of secrecy scopes that fires
   (:mod:`classifiers.scope_match`, weighed in :mod:`classifiers.floors`: its level, its
   period in years or the event that ends it, its provenance as the basis).

**Marking-aware reading** (:mod:`classifiers.reading`) comes first: grade words inside a
negation, in quotation marks, given as an example or as a clearance requirement are mentions
and set no level; a declassification note turns the draft's old markings and the scope items
its content fires into history (no floor). Talk about secrecy (training, news, procurement
notices) lowers a draft only where no secret subject matter fires: a scope item stays a floor
under public context when it fired with kinds of specific detail (two from strength 0.5,
three from 0.85: quantities, designators, coordinates ...).

Between 2 and 3, **concrete details** count: when a subject category already supports at
least 1 and its context windows hold 3 or more distinct numbers, dates, places or sums of
money (``nlp`` findings from :mod:`classifiers.context`) of at least two kinds, the category
moves up one step within its reach. Words say what a draft is about; the details say whether
it gives the matter away.

The function is pure: the same findings and language give the same suggestion.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from mijian.classifiers.catalogue import CatalogueMatch
from mijian.classifiers.findings import Finding
from mijian.classifiers.learned_read import ModelReading
from mijian.classifiers.second_reading import second_look, settled
from mijian.classifiers.scope_match import ScopeMatch
from mijian.classifiers.tally import (
    CONTENT,
    REACH,
    Tally,
    details,
    distinct,
    group,
    label,
    strength,
    tally,
    top_terms,
)
from mijian.classifiers.floors import DECLASSIFIED, Floors, Steps
from mijian.classifiers.wording import GRADES, Say

__all__ = ["BODY_MARK_MAX", "DEFAULT_PERIOD_YEARS", "DETAILS_NEEDED", "GRADES", "Suggestion", "suggest"]

DEFAULT_PERIOD_YEARS = {4: 30, 3: 20, 2: 10}
"""Default 保密期限 in years for 绝密, 机密, 秘密 when no other period is fixed."""
DETAILS_NEEDED = 3
"""Distinct concrete details (of at least two kinds) near a subject that move it up a step."""
BODY_MARK_MAX = 2
"""Grade words in running text (not a banner) count as evidence for at most this level: they
are as often mentions (training, explainers) as instructions."""
PUBLIC_ZERO = 0.5
"""Public-context strength that caps a draft at 公开 (the floors of step 5 still hold)."""
PUBLIC_STEP = 0.3
"""Public-context strength that lowers a draft one step."""
RICH_SCOPE = 3
"""Distinct words (subject, and conditions elsewhere) that make such an item rich evidence."""
RICH_SCOPE_MAX = 3
"""The most rich evidence of that kind supports."""
WEAK_SCOPE_MAX = 3
"""The most a scope item with subject words and a condition in different windows supports
(as content: public or training context still lowers it)."""
WEAK_SUBJECT_MAX = 2
"""The most a scope item shown by many subject words and no condition supports."""
RECORDS_NEEDED = 5
"""Named people with a date or a sensitive fact, one per line, that make a draft personal data (内部)."""
@dataclass(frozen=True)
class Suggestion:
    """A suggested grade on the common ladder, how sure it is, and why.

    ``period_years`` is the period in years to suggest: the deciding scope or catalogue item's,
    else the default for the level (30/20/10 for 4/3/2, None below); ``period_event`` is the
    event that ends the period when the deciding item fixes one instead (in the rationale's
    language). :meth:`period_text` is the period as the rationale states it. ``basis`` names
    what decided the grade (定密依据); None for public drafts. ``in_language`` rewords the
    same suggestion in the other language.
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
    """That item's (catalogue or scope) period in years, when it gives one."""
    scope_item: str | None = None
    """The id of the secrecy-scope item that set the grade, if one did."""
    period_event: str | None = None
    period_source: str = "default"
    """Where the period comes from: ``scope``, ``catalogue`` or ``default`` (the level's)."""
    language: str = "zh"
    catalogue_matches: tuple[CatalogueMatch, ...] = field(default=(), repr=False)
    scope_matches: tuple[ScopeMatch, ...] = field(default=(), repr=False)
    decided_by: str = "nothing"
    """The rule that decided the level (``score``, ``floor_scope``, ``second_reading`` ...)."""
    second: ModelReading | None = field(default=None, repr=False)
    """The second reader's view of the draft (:mod:`classifiers.learned`), when it was asked."""
    settled: int = 0
    """The minimum the second reading may not go below (:func:`~classifiers.second_reading.settled`)."""

    def period_text(self) -> str | None:
        """The period as the rationale states it: the event, else years, else None."""
        return Say(self.language == "zh").period(self.period_years, self.period_event) or None

    def in_language(self, language: str) -> Suggestion:
        """The same suggestion with its rationale, basis and period worded in ``language``."""
        if language == self.language:
            return self
        return suggest(self.findings, language, self.catalogue_matches, self.scope_matches, self.second)


def suggest(findings: Iterable[Finding], language: str, catalogue: Iterable[CatalogueMatch] = (),
            scopes: Iterable[ScopeMatch] = (), second: ModelReading | None = None) -> Suggestion:
    """Apply the rules in the module notes to ``findings``, the catalogue items and the scope items.

    With the ``second`` reader's view, step 6 (:mod:`classifiers.second_reading`) weighs the
    rules' level with it. The rationale is worded for ``language``.
    """
    fs = tuple(sorted(findings, key=lambda f: (f.start, f.end, f.category, f.source, f.rule)))
    items = tuple(sorted(catalogue, key=lambda m: (-m.item.level, m.item.id)))
    scope_matches = tuple(sorted(scopes, key=lambda m: (-m.level, m.item.id)))
    run = Steps(Say(language == "zh"))
    t = tally(fs)
    _content(run, fs, t)
    _scope_evidence(run, scope_matches, fs)
    head_mark = _markings(run, fs)
    h = _handling(run, fs, t)
    p, uncapped = _lowering(run, fs)
    floors = Floors.find(run, fs, t, items, scope_matches, head_mark, p)
    floors.apply(run, fs)
    confidence = _confidence(run, fs, t, h, p, uncapped)
    if second is not None:
        joint = second_look(run, second, floors)
        if run.rule == "second_reading":
            confidence = round(min(0.99, max(0.05, joint)), 2)
    return _finish(run, fs, t, floors, head_mark, confidence, language, items, scope_matches, second)


def _content(run: Steps, fs: tuple[Finding, ...], t: Tally) -> None:
    """Step 1: content strength per category, and concrete details near a subject."""
    run.lines += [run.say.category(cat, top_terms(fs, cat), t.strengths[cat], t.levels[cat]) for cat in t.shown]
    if t.ids_cards or t.mobiles or t.weak_ids:
        run.lines.append(run.say.patterns(fs, t.weak_ids))
    if t.best and t.levels[t.best]:
        run.take(t.levels[t.best], "score", t.best)
    people = {f.rule.split(":", 2)[2] for f in fs if f.rule.startswith("person:")}
    if len(people) >= RECORDS_NEEDED:
        run.lines.append(run.say.records(sorted(people)[:4], len(people)))
        if run.level < 1:
            run.take(1, "records", "personal_information")
    for cat, found in details(fs).items():
        base = t.levels.get(cat, 0)
        labels = {d.rule.split(":", 1)[0] for d in found}
        if base >= 1 and len(found) >= DETAILS_NEEDED and len(labels) >= 2:
            up = min(base + 1, REACH.get(cat, 3))
            shown = [d.text for d in sorted(found, key=lambda d: (-d.score, d.start))][:5]
            run.lines.append(run.say.details(cat, shown, len(found), up, up > run.level))
            if up > run.level:
                run.take(up, "details", cat)


def _scope_evidence(run: Steps, scopes: tuple[ScopeMatch, ...], fs: tuple[Finding, ...] = ()) -> None:
    """Step 1c: scope items shown without subject and condition in one window weigh as content.

    They support at most :data:`WEAK_SCOPE_MAX` and, unlike a scope item that fires in a
    window, public or training context can lower them.
    """
    weak = [m for m in scopes if m.tier in ("document", "subject")]
    if not weak or any(f.rule == DECLASSIFIED for f in fs):
        return  # a declassified draft's matters are history
    best = max(weak, key=lambda m: (_weak_level(m), m.strength))
    level = _weak_level(best)
    run.lines.append(run.say.scope_weak(best, level, level > run.level))
    if level > run.level:
        run.take(level, "scope_evidence", best.item.category)


def _weak_level(m: ScopeMatch) -> int:
    """What a scope item shown without subject and condition in one window supports as content.

    Shown by subject words alone (no condition anywhere), it reaches no further than words of
    its category do (:data:`~classifiers.tally.REACH`: 秘密 for commercial secrets).
    """
    if m.tier == "subject":
        return min(_rich_or_weak(m), REACH.get(m.item.category, 3), m.level)
    return min(_rich_or_weak(m), m.level)  # m.level: lower than the item's when a restriction alone showed it


def _rich_or_weak(m: ScopeMatch) -> int:
    """The content level of weak scope evidence before the category's reach."""
    if m.strength >= RICH_SCOPE:
        return min(m.item.level, RICH_SCOPE_MAX)
    if m.tier == "document":
        return min(m.item.level, WEAK_SCOPE_MAX)
    return min(m.item.level, WEAK_SUBJECT_MAX)


def _markings(run: Steps, fs: tuple[Finding, ...]) -> Finding | None:
    """Step 2: the draft's own marking (a banner line) and marking words in running text."""
    for kind in ("declassified", "negation", "mention"):
        shown = distinct((label(f) for f in fs if f.rule == f"reading:{kind}" or (kind == "declassified" and f.rule == DECLASSIFIED)), 3)
        if shown:
            run.lines.append(run.say.reading(kind, shown))
    marks = [f for f in fs if f.category == "marking" and f.floor is not None]
    head = [f for f in marks if f.banner]
    head_mark = max(head, key=lambda f: f.floor or 0) if head else None
    body = [f for f in marks if f not in head and f.score >= 0.5]
    if head_mark:
        run.lines.append(run.say.head_mark(label(head_mark), head_mark.floor or 0))
    if body:
        body_level = min(BODY_MARK_MAX, max(f.floor or 0 for f in body))
        run.lines.append(run.say.body_mark(distinct(label(f) for f in body), body_level))
        if body_level > run.level:
            run.take(body_level, "marking_body", keep_cat=True)
    return head_mark


def _handling(run: Steps, fs: tuple[Finding, ...], t: Tally) -> float:
    """Step 3: handling language, one step up within what the subject supports, else at least 1."""
    handling = [f for f in fs if f.category == "handling"]
    h = strength(group(handling))
    content_level = t.levels[t.best] if t.best else 0
    if handling:
        raised = run.level
        if h >= 0.5 and run.level == 0:
            raised = 1
        elif h >= 0.5 and run.level == 1 and content_level >= 1:
            raised = min(2, REACH.get(t.best or "", 3))
        run.lines.append(run.say.handling(distinct(label(f) for f in handling), h, raised, raised > run.level))
        if raised > run.level:
            run.take(raised, "handling", keep_cat=True)
    return h


def _lowering(run: Steps, fs: tuple[Finding, ...]) -> tuple[float, int]:
    """Step 4: public or training context caps a draft that only talks about secrecy."""
    lowering = [f for f in fs if f.category == "public_context"]
    p = strength(group(lowering))
    level = run.level
    capped = 0 if p >= PUBLIC_ZERO else max(level - 1, 0) if p >= PUBLIC_STEP else level
    if lowering:
        run.lines.append(run.say.lowering(distinct(label(f) for f in lowering), p, capped, capped < level))
    if capped < level:
        run.take(capped, "lowered", keep_cat=True)
    return p, level


def _confidence(run: Steps, fs: tuple[Finding, ...], t: Tally, h: float, p: float, uncapped: int) -> float:
    """How sure the suggestion is, by the rule that decided it."""
    top = t.strengths.get(run.cat, 0.0) if run.cat else max(t.strengths.values(), default=0.0)
    term_scores = [f.score for f in fs if f.floor == run.level and f.category not in ("marking", "public_context")]
    confidence = {
        "floor_catalogue": 0.9,
        "floor_scope": 0.85,
        "scope_evidence": 0.6,
        "floor_marking": 0.9,
        "details": 0.45 + 0.45 * top,
        "floor_term": 0.5 + 0.45 * max(term_scores, default=0.5),
        "floor_pattern": 0.8,
        "records": 0.6,
        "lowered": 0.45 + 0.45 * p - (0.1 if uncapped >= 3 else 0.0),
        "handling": 0.45 + 0.25 * top + 0.2 * h,
        "marking_body": 0.7,
        "score": 0.35 + 0.55 * top,
        "nothing": 0.8 - top,
    }[run.rule]
    return round(min(0.99, max(0.05, confidence)), 2)


def _finish(run: Steps, fs: tuple[Finding, ...], t: Tally, floors: Floors, head_mark: Finding | None,
            confidence: float, language: str, items: tuple[CatalogueMatch, ...],
            scopes: tuple[ScopeMatch, ...], second: ModelReading | None = None) -> Suggestion:
    """Basis and period of the decided level, the closing line, and the suggestion."""
    say, level = run.say, run.level
    catalogue_item = scope_item = event = None
    years = DEFAULT_PERIOD_YEARS.get(level)
    source = "default"
    item_years = None
    if level == 0:
        basis = None
    elif floors.catalogue is not None and floors.catalogue.item.level == level:
        basis = say.catalogue_basis(floors.catalogue)
        catalogue_item, item_years = floors.catalogue.item.id, floors.catalogue.item.period_years
        years, source = item_years or years, "catalogue" if item_years else "default"
    elif floors.scope is not None and floors.scope.level == level:
        basis = say.scope_basis(floors.scope)
        scope_item, item_years = floors.scope.item.id, floors.scope.item.period_years
        event = floors.scope.item.period_event(say.zh) or None
        years = None if event else item_years or years
        source = "scope" if event or item_years else "default"
    elif head_mark and run.rule == "floor_marking":
        basis = say.marking_basis(label(head_mark))
    elif run.cat == "handling" and any(f.floor == level for f in floors.term_findings):
        statement = max((f for f in floors.term_findings if f.floor == level), key=lambda f: f.score)
        basis = say.marking_basis(label(statement))
    elif run.rule == "second_reading" and level >= 2 and (run.cat or t.best) not in CONTENT:
        basis = say.second_basis()
    else:
        cat = run.cat if run.cat is not None and run.cat in CONTENT else t.best or "work_secret"
        if level == 1 and cat not in REACH:
            cat = "work_secret"  # 内部 is not a state secret: no state-secret article applies
        basis = say.basis(cat)
    if level < 2 and source == "default":
        years, event = None, None
    if not fs and not scopes:
        run.lines.append(say.empty())
    run.lines.append(say.decision(level, run.rule, run.cat, confidence, say.period(years, event), source))
    return Suggestion(level, confidence, fs, tuple(run.lines), basis, years, catalogue_item, item_years,
                      scope_item, event, source, language, items, scopes, run.rule, second, settled(floors))
