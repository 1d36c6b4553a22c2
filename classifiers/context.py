"""Context windows around findings, and the concrete details (NLP entities) found in them.

A term such as 参演部队 or "order of battle" says what a draft is about; the numbers, dates,
places and names right next to it say whether the draft gives the details away (约3200人,
4月14日, 白石滩训练场). :func:`specifics` turns entities that stand inside the window of a
state-secret, commercial or security finding into ``nlp`` findings that explain themselves;
the policy counts them as one more signal (rule "specifics").
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import replace

from mijian.classifiers.findings import Finding
from mijian.classifiers.nlp import Entity

WINDOW = 60
"""Characters either side of a finding that make up its context window."""
SPECIFIC_SCORE = {"QUANTITY": 0.35, "DATE": 0.3, "GPE": 0.3, "MONEY": 0.35, "ORG": 0.15, "PERSON": 0.2}
"""How much one entity weighs as a concrete detail, by label."""
_ANCHORS = frozenset({
    "state_affairs", "defence", "foreign_affairs", "economy", "science_technology",
    "security_investigation", "other_state_secret", "commercial_secret",
})
_MAX_SPECIFICS = 40


def window(text: str, start: int, end: int, chars: int = WINDOW) -> tuple[int, int]:
    """Return the context window around ``start:end``: ``chars`` either side, within one paragraph."""
    left = max(0, start - chars)
    right = min(len(text), end + chars)
    cut = text.rfind("\n\n", left, start)
    if cut != -1:
        left = cut + 2
    cut = text.find("\n\n", end, right)
    if cut != -1:
        right = cut
    return left, right


def specifics(text: str, findings: Iterable[Finding], entities: Iterable[Entity]) -> tuple[Finding, ...]:
    """Return one ``nlp`` finding per entity inside the window of a subject-matter finding.

    The finding takes the category of the nearest anchoring finding and says which one.
    """
    anchors = sorted((f for f in findings if f.category in _ANCHORS and f.source != "nlp" and f.score >= 0.3),
                     key=lambda f: f.start)
    if not anchors:
        return ()
    spans = [(window(text, f.start, f.end), f) for f in anchors]
    out: list[Finding] = []
    i = 0
    for ent in entities:
        if ent.label not in SPECIFIC_SCORE:
            continue
        while i < len(spans) and spans[i][0][1] <= ent.start:
            i += 1
        near = [f for (lo, hi), f in spans[max(0, i - 3):i + 6] if lo <= ent.start and ent.end <= hi
                and not (f.start < ent.end and ent.start < f.end)]
        if not near:
            continue
        anchor = min(near, key=lambda f: abs(f.start - ent.start))
        distance = max(0, anchor.start - ent.end, ent.start - anchor.end)
        out.append(Finding(
            start=ent.start, end=ent.end, text=ent.text, category=anchor.category, source="nlp",
            score=SPECIFIC_SCORE[ent.label],
            explanation=(f"{ent.label.lower()} '{ent.text}' ({ent.rule}) within {distance} characters of "
                         f"'{anchor.rule or anchor.text}' ({anchor.category}): a concrete detail"),
            rule=f"{ent.label}:{ent.text}",
        ))
        if len(out) >= _MAX_SPECIFICS:
            break
    return tuple(out)


def with_nearby(text: str, findings: Iterable[Finding], entities: tuple[Entity, ...]) -> tuple[Finding, ...]:
    """Add to each lexicon finding's explanation the entities in its context window (at most 3)."""
    starts = [e.start for e in entities]
    out = []
    for f in findings:
        if f.source != "lexicon" or not entities:
            out.append(f)
            continue
        lo, hi = window(text, f.start, f.end)
        first = bisect_left(starts, lo)
        near: list[Entity] = []
        for e in entities[first:first + 12]:
            if e.start >= hi or len(near) == 3:
                break
            if e.end <= hi and not (e.start < f.end and f.start < e.end):
                near.append(e)
        if near:
            shown = ", ".join(f"{e.text} ({e.label})" for e in near)
            f = replace(f, explanation=f"{f.explanation}; nearby: {shown}")
        out.append(f)
    return tuple(out)
