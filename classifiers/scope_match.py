"""Concept-level matching of a draft against the catalogue of secrecy scopes.

An item of :class:`keywords.ScopeCatalogue` names a subject (a concept: many words in both
languages) and the conditions that make it secret (timing, specificity, scope, status). The
item **fires** when a subject word and a condition occur in the same window of the draft (its
``window``: sentence, paragraph or document, see :mod:`classifiers.segments`). Then:

- a subject named in the draft's title (or in a section heading) meets every condition in the
  draft (or in that section): the title says what the whole draft is about;
- its level is the item's grade; specificity conditions in the firing windows raise it one
  level when the item says ``raise_if_specific`` (two distinct ones; three and a scope
  condition to reach 绝密); for items of the state-secret areas and commercial secrets,
  generic details (quantities with units, coordinates, designators: :mod:`classifiers.details`)
  count as one more kind of specificity;
- a subject with no condition anywhere fires at ``bare_level`` when the item gives one;
- weaker evidence (the ``tier`` of a match): a subject word with a condition elsewhere in the
  draft, or two or more distinct subject words with no condition at all; the policy weighs
  these as content, not as a minimum;
- words inside a negation scope (不涉及…, not classified …) are not counted.

English words also match with a plural or verb ending (``warheads``, ``deployed``) and with
a hyphen or a space between their parts (``cross-section``, ``cross section``). All
words are found in one Aho-Corasick pass over the normalised text (the same spelling
trick and word-boundary rule as :mod:`classifiers.lexicon_scan`); regex conditions run only in
the windows of subject words. The automaton is built once per catalogue and cached. spaCy is
not used here: a blank Chinese pipeline with jieba segments about 0.23 M characters a second on
this kind of machine and costs more than a second to start, below the classifier's budget.
"""

from __future__ import annotations

import functools
import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from pathlib import Path

import ahocorasick
from mijian.classifiers.details import CATEGORIES as DETAIL_CATEGORIES
from mijian.classifiers.details import GENERIC_KINDS, RESTRICTION, generic_conditions, generic_details
from mijian.classifiers.lexicon_scan import _encode, _is_word
from mijian.classifiers.normalise import NormalisedText, normalise_term
from mijian.classifiers.reading import Reading
from mijian.classifiers.segments import Segments, segment
from mijian.keywords import ScopeCatalogue, ScopeItem
from mijian.keywords.datacache import derived

SUBJECT = -1
"""The role of a subject word (conditions are numbered from 0)."""
GENERIC = "generic"
"""The key of a generic detail (quantity, coordinate, designator): all count as one kind."""
GENERAL_CONDITIONS = True
"""Whether the general forms of timing and status conditions count (see :mod:`classifiers.details`)."""
RAISE_BELOW_4 = 2
"""Distinct specificity conditions that raise an item below 机密 one level."""
RAISE_TO_4 = 3
"""Distinct specificity conditions that raise a 机密 item to 绝密 (with a scope condition too:
绝密 is harm at national or strategic scale, which details alone do not show)."""
RESTRICTED_MAX = 3
"""The highest level an item fires at when the only condition beside its subject is the writer's
restriction (别外传, keep it tight): 绝密 needs the item's own conditions."""
RESTRICTED_ONE_WORD_MAX = 1
"""The same with a single subject word in the window, as weaker evidence (content, not a minimum):
one word (管道, 发动机) may mean another thing, and a restriction does not say which."""
DOCUMENT_SUBJECTS = 1
"""Distinct subject words that, with a condition elsewhere in the draft, make weaker evidence."""
DENSE_SUBJECTS = 2
"""Distinct subject words that make weaker evidence even with no condition."""


@dataclass(frozen=True)
class Hit:
    """A word of an item found in the draft: original offsets, the word as listed, its role."""

    start: int
    end: int
    word: str
    kind: str
    """``subject`` or the condition's kind (timing, specificity, scope, status)."""
    key: str = ""
    """What makes two hits the same evidence: the word, or the regex that matched."""


@dataclass(frozen=True)
class ScopeMatch:
    """An item that fires on a draft: the level it asks for and the words that showed it.

    ``subject`` holds the distinct subject words, those inside the firing windows first (the
    rest of the draft confirms what it is about); ``conditions`` the conditions inside the
    firing windows; ``specific`` says specificity conditions raised the level.
    """

    item: ScopeItem
    level: int
    subject: tuple[Hit, ...]
    conditions: tuple[Hit, ...]
    specific: bool = False
    bare: bool = False
    units: int = 0
    """How many windows the item fired in."""
    window_subjects: int = 0
    """How many of the distinct subject words stand in the firing windows."""
    tier: str = "window"
    """How it fired: ``window`` (subject and condition in one window), ``bare`` (the item's
    bare level), ``document`` (subject words and a condition, but not in one window) or
    ``subject`` (two or more subject words, no condition). The last two are weaker evidence."""

    @property
    def strength(self) -> int:
        """Distinct subject words plus distinct conditions (a regex counts once) that showed the item."""
        return len(self.subject) + len({h.key or h.word for h in self.conditions})

    @property
    def window_strength(self) -> int:
        """Distinct subject words and conditions inside the firing windows only."""
        return self.window_subjects + len({h.key or h.word for h in self.conditions})

    @property
    def detail_kinds(self) -> int:
        """Kinds of specific detail: each distinct listed word, and all measures found by a
        pattern (quantities, coordinates, designators, an item's regex) as one more kind."""
        spec = [h for h in self.conditions if h.kind == "specificity"]
        return len({h.word.casefold() for h in spec if not h.key}) + any(h.key for h in spec)

    @property
    def specifics(self) -> int:
        """Distinct specificity conditions (quantities, designators, coordinates ...); a regex counts once."""
        return len({h.key or h.word for h in self.conditions if h.kind == "specificity"})


@dataclass(frozen=True)
class _Compiled:
    automaton: ahocorasick.Automaton | None
    keys: tuple[tuple[int, bool, bool], ...]
    """Per automaton value: the key length, and whether its left/right end needs a word boundary."""
    roles: tuple[tuple[tuple[int, int, str], ...], ...]
    """Per automaton value: (item index, role, word as listed) for every item using the word."""
    regexes: tuple[tuple[tuple[int, re.Pattern[str]], ...], ...]
    """Per item: (condition index, its regex compiled case-insensitive)."""
    kinds: tuple[tuple[str, ...], ...]
    """Per item: the kind of each condition."""


def match_scopes(norm: NormalisedText, reading: Reading, catalogue: ScopeCatalogue,
                 segments: Segments | None = None) -> tuple[ScopeMatch, ...]:
    """Return the items that fire on the draft, highest level first, then by id.

    ``segments`` are found from ``norm.original`` when not given (only if some item has a
    subject word and a condition to place).
    """
    compiled = _compile(catalogue)
    items = catalogue.items
    if compiled.automaton is None or not norm.text:
        return ()
    per_item = _word_hits(norm, reading, compiled)
    memo: dict[str, tuple[list[Hit], list[int]]] = {}
    out = []
    for index, hits in per_item.items():
        item = items[index]
        subject = [h for h in hits if h.kind == "subject"]
        if not subject:
            continue
        if segments is None:
            segments = segment(norm.original)
        conditions = [h for h in hits if h.kind != "subject"]
        conditions += _regex_hits(norm.original, segments, reading, item, compiled.regexes[index], subject, memo)
        found = _fire(item, segments, subject, conditions)
        if found is not None:
            out.append(found)
    return tuple(sorted(out, key=lambda m: (-m.level, m.item.id)))


def _word_hits(norm: NormalisedText, reading: Reading, compiled: _Compiled) -> dict[int, list[Hit]]:
    """Every subject and condition word found, per item, outside negation scopes (original offsets)."""
    text = norm.text
    size = len(text)
    per_item: dict[int, list[Hit]] = {}
    for last, value in compiled.automaton.iter(_encode(text)):  # type: ignore[union-attr]
        if not last % 2:
            continue
        length, left, right = compiled.keys[value]
        end = (last + 1) // 2
        start = end - length
        if left and start > 0 and _is_word(text[start - 1]):
            continue
        if right and end < size and _is_word(text[end]):
            end = _inflected(text, end)
            if end < 0:
                continue
        o_start, o_end = norm.to_original(start, end)
        if reading.is_negated(o_start, o_end):
            continue
        for index, role, word in compiled.roles[value]:
            kind = "subject" if role == SUBJECT else compiled.kinds[index][role]
            per_item.setdefault(index, []).append(Hit(o_start, o_end, word, kind))
    return per_item


def _inflected(text: str, end: int) -> int:
    """The end of an English word with a plural or verb ending (-s, -es, -ed, -ing), or -1."""
    for ending in ("s", "es", "ed", "d", "ing"):
        stop = end + len(ending)
        if text.startswith(ending, end) and (stop >= len(text) or not _is_word(text[stop])):
            return stop
    return -1


def _regex_hits(text: str, segments: Segments, reading: Reading, item: ScopeItem,
                regexes: tuple[tuple[int, re.Pattern[str]], ...], subject: list[Hit],
                memo: dict[str, tuple[list[Hit], list[int]]] | None = None) -> list[Hit]:
    """Regex conditions and generic details, searched only where a subject word reaches.

    That is the window holding the subject word, or the part of the draft its heading governs.

    Generic details (:mod:`classifiers.details`) count for items with a specificity condition,
    unless the item says ``details = false`` (an identity is made specific by a true name or an
    address, not by a code designator).
    """
    generic = (item.details and item.category in DETAIL_CATEGORIES
               and any(c.kind == "specificity" for c in item.conditions))
    general = {c.kind for c in item.conditions} & set(GENERIC_KINDS) if GENERAL_CONDITIONS else set()
    memo = {} if memo is None else memo
    out = list(_whole(text, reading, RESTRICTION, memo)[0]) if GENERAL_CONDITIONS else []
    general.discard(RESTRICTION)  # the writer's restriction counts anywhere in the draft (above)
    if not regexes and not generic and not general:
        return out
    spans = sorted({segments.heading_reach(h.start) or segments.span(item.window, h.start) for h in subject})
    for kind in (["details"] if generic else []) + sorted(general):
        found, starts = _whole(text, reading, kind, memo)
        for lo, hi in spans:  # the hits of the whole draft that lie inside each window
            k = bisect_left(starts, lo)
            while k < len(found) and found[k].end <= hi:
                out.append(found[k])
                k += 1
    for cond, rx in regexes:
        for lo, hi in spans:
            for m in rx.finditer(text, lo, hi):
                if m.end() > m.start() and not reading.is_negated(m.start(), m.end()):
                    out.append(Hit(m.start(), m.end(), m.group(0), item.conditions[cond].kind, rx.pattern))
    return out


def _whole(text: str, reading: Reading, kind: str,
           memo: dict[str, tuple[list[Hit], list[int]]]) -> tuple[list[Hit], list[int]]:
    """Generic details (``kind`` "details") or generic conditions of ``kind`` in the whole draft,
    in text order, with their start offsets; found once per draft, as every item with such a
    condition shares them."""
    if kind not in memo:
        if kind == "details":
            hits = [Hit(a, b, t, "specificity", GENERIC) for a, b, t in generic_details(text, 0, len(text))
                    if not reading.is_negated(a, b)]
        else:
            hits = [Hit(a, b, t, kind, f"{GENERIC}-{kind}") for a, b, t in generic_conditions(text, 0, len(text), kind)]
        memo[kind] = (hits, [h.start for h in hits])
    return memo[kind]


def _fire(item: ScopeItem, segments: Segments, subject: list[Hit], conditions: list[Hit]) -> ScopeMatch | None:
    """Decide whether the item fires, how (its ``tier``) and at which level (see the module notes)."""
    subject = _outermost(subject)
    taken = {(h.start, h.end) for h in subject}
    conditions = _outermost([h for h in conditions if (h.start, h.end) not in taken])
    by_unit: dict[int, list[Hit]] = {}
    for h in conditions:
        by_unit.setdefault(segments.unit(item.window, h.start), []).append(h)
    if item.requires:  # only windows holding a condition of a required kind fire
        by_unit = {u: hs for u, hs in by_unit.items() if any(h.kind in item.requires for h in hs)}
    firing_subject = [h for h in subject if segments.unit(item.window, h.start) in by_unit]
    governed = _governed(segments, subject, conditions)
    if item.requires and not any(h.kind in item.requires for h in governed):
        governed = []
    if firing_subject or governed:
        units = {segments.unit(item.window, h.start) for h in firing_subject}
        conds = _distinct([h for u in sorted(units) for h in by_unit[u]] + governed)
        placed = {(h.start, h.end) for h in firing_subject}
        firing_subject += [h for h in subject if (h.start, h.end) not in placed and segments.heading_reach(h.start)]
        words = _distinct(firing_subject)
        seen = {h.word.casefold() for h in words}
        words += tuple(h for h in _distinct(subject) if h.word.casefold() not in seen)
        inside = len(seen)
        level = item.level
        if all(h.kind == RESTRICTION for h in conds):  # a subject kept quiet, nothing dates or details it
            if inside < 2:  # one word (管道, 发动机) may mean another thing: weaker evidence only
                return ScopeMatch(item, min(level, RESTRICTED_ONE_WORD_MAX), words, conds, units=len(units),
                                  window_subjects=inside, tier="document")
            level = min(level, RESTRICTED_MAX)
        found = ScopeMatch(item, level, words, conds, units=len(units), window_subjects=inside)
        need = RAISE_TO_4 if item.level >= 3 else RAISE_BELOW_4
        scoped = item.level < 3 or any(h.kind == "scope" for h in conds)
        if item.raise_if_specific and found.specifics >= need and item.level < 4 and scoped:
            return ScopeMatch(item, item.level + 1, words, conds, True, units=len(units), window_subjects=inside)
        return found
    if item.bare_level:
        return ScopeMatch(item, item.bare_level, _distinct(subject), (), bare=True, tier="bare")
    words = _distinct(subject)
    kept = any(h.kind == RESTRICTION for h in conditions)
    if item.requires:
        conditions = [h for h in conditions if h.kind in item.requires]
    if len(words) >= DOCUMENT_SUBJECTS and conditions:
        only_kept = all(h.kind == RESTRICTION for h in conditions)
        return ScopeMatch(item, min(item.level, RESTRICTED_MAX) if only_kept else item.level, words,
                          _distinct(conditions), tier="document")
    if len(words) >= DENSE_SUBJECTS and (kept or not item.requires):
        # an item that needs a condition of its own takes subject words alone only from a draft
        # its writer keeps to a few people (a past paper's 题目 and 参考答案 are not secret)
        return ScopeMatch(item, item.level, words, (), tier="subject")
    return None


def _outermost(hits: list[Hit]) -> list[Hit]:
    """The hits not inside a longer hit: ``gross margin`` and the ``margin`` within it, or a
    quantity found by an item's regex and again as a generic detail, are one piece of evidence."""
    out: list[Hit] = []
    for h in sorted(hits, key=lambda h: (h.start, -h.end)):
        if out and h.start >= out[-1].start and h.end <= out[-1].end and (h.start, h.end) != (out[-1].start, out[-1].end):
            continue
        if out and (h.start, h.end) == (out[-1].start, out[-1].end) and h.kind == out[-1].kind and h.key != out[-1].key:
            continue
        out.append(h)
    return out


def _governed(segments: Segments, subject: list[Hit], conditions: list[Hit]) -> list[Hit]:
    """Conditions in the part of the draft that a heading naming the subject governs."""
    reaches = sorted({r for r in (segments.heading_reach(h.start) for h in subject) if r})
    if not reaches:
        return []
    merged: list[list[int]] = []
    for lo, hi in reaches:
        if merged and lo <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    starts = [lo for lo, _ in merged]
    out = []
    for c in conditions:
        k = bisect_right(starts, c.start) - 1
        if k >= 0 and c.start < merged[k][1]:
            out.append(c)
    return out


def _distinct(hits: list[Hit]) -> tuple[Hit, ...]:
    """The first occurrence of each distinct word, in text order."""
    seen: dict[str, Hit] = {}
    for h in sorted(hits, key=lambda h: h.start):
        seen.setdefault(h.word.casefold(), h)
    return tuple(seen.values())


def _spellings(key: str) -> set[str]:
    """A normalised word and its other spellings: hyphen or space between English parts, and a
    two-word English term with its first word in the plural."""
    if not key:
        return set()
    out = {key}
    if key.isascii() and ("-" in key or " " in key):
        parts = key.replace("-", " ").split()
        out |= {" ".join(parts), "-".join(parts)}
        if len(parts) == 2 and parts[0].isalpha() and not parts[0].endswith("s"):
            out.add(f"{parts[0]}s {parts[1]}")  # operations order, weapons system
    return out


@functools.lru_cache(maxsize=4)
def _compile(catalogue: ScopeCatalogue) -> _Compiled:
    """The automaton and regexes of one catalogue, built once (a catalogue is immutable; the
    packaged catalogue's are kept between runs by :mod:`keywords.datacache`)."""
    here = Path(__file__)
    sources = (here, here.with_name("normalise.py"), here.with_name("lexicon_scan.py"))
    return derived("scope-automaton", catalogue, sources, lambda: _build(catalogue), _Compiled)


def _build(catalogue: ScopeCatalogue) -> _Compiled:
    """Build the automaton and regexes for one catalogue."""
    slots: dict[str, int] = {}
    keys: list[tuple[int, bool, bool]] = []
    roles: list[list[tuple[int, int, str]]] = []
    regexes: list[tuple[tuple[int, re.Pattern[str]], ...]] = []
    kinds: list[tuple[str, ...]] = []
    automaton = ahocorasick.Automaton()
    for index, item in enumerate(catalogue.items):
        kinds.append(tuple(c.kind for c in item.conditions))
        words = [(SUBJECT, w) for w in item.subject]
        words += [(n, w) for n, c in enumerate(item.conditions) for w in c.words]
        for role, word in words:
            for key in _spellings(normalise_term(word)):
                if key not in slots:
                    slots[key] = len(keys)
                    keys.append((len(key), _is_word(key[0]), _is_word(key[-1])))
                    roles.append([])
                    automaton.add_word(_encode(key), slots[key])
                if (index, role, word) not in roles[slots[key]]:
                    roles[slots[key]].append((index, role, word))
        regexes.append(tuple((n, re.compile(rx, re.IGNORECASE)) for n, c in enumerate(item.conditions) for rx in c.regex))
    if not keys:
        return _Compiled(None, (), (), (), ())
    automaton.make_automaton()
    return _Compiled(automaton, tuple(keys), tuple(tuple(r) for r in roles), tuple(regexes), tuple(kinds))
