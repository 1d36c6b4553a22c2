"""Evidence arithmetic for the grade policy: strengths per category, levels, labels.

The content strength of a category combines its distinct terms with diminishing returns (the
strongest counts fully, the next half, the next a quarter ...; repeats add a little) and maps
to a level (0.35 → 1, 0.65 → 2, 0.85 → 3) within what the category can reach on words alone.
Findings of the secrecy-scope matcher (rule ``scope:…``) are explanations, not word evidence:
the scope item itself is weighed by the policy.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from mijian.classifiers.findings import Finding
from mijian.classifiers.patterns import PATTERN_KINDS
from mijian.keywords import CATEGORIES

CONTENT = frozenset(c.id for c in CATEGORIES if c.kind == "content")
"""Categories of subject matter."""
REACH = {"commercial_secret": 2, "work_secret": 1, "personal_information": 1}
"""The highest level a category reaches on words alone (3 for the state-secret areas)."""
NOT_PERSONAL = frozenset({"cn_landline", "phone"})
"""Contact numbers that are an office's published line, not a person's data."""

def details(fs: tuple[Finding, ...]) -> dict[str, list[Finding]]:
    """The distinct concrete details (``nlp`` findings) per category, in text order."""
    out: dict[str, list[Finding]] = {}
    seen: set[tuple[str, str]] = set()
    for f in fs:
        if f.source == "nlp" and (f.category, f.rule) not in seen:
            seen.add((f.category, f.rule))
            out.setdefault(f.category, []).append(f)
    return out


@dataclass(frozen=True)
class Tally:
    """Step 1: content strength and level per category, and the validated numbers seen."""

    strengths: dict[str, float]
    levels: dict[str, int]
    best: str | None
    shown: tuple[str, ...]
    ids_cards: frozenset[str]
    mobiles: frozenset[str]
    weak_ids: int


def is_scope(f: Finding) -> bool:
    """True for a finding that explains a secrecy-scope item (weighed as the item, not as a word)."""
    return f.rule.startswith("scope:")


def tally(fs: tuple[Finding, ...]) -> Tally:
    """Content strength and level per category; validated identifiers and mobile numbers."""
    evidence: dict[str, dict[str, list[float]]] = {}
    ids_cards: set[str] = set()
    mobiles: set[str] = set()
    weak_ids = 0
    for f in fs:
        if f.source == "nlp" or is_scope(f) or f.rule in NOT_PERSONAL:
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
        elif f.category in CONTENT:
            evidence.setdefault(f.category, {}).setdefault(f.rule or f.text, []).append(f.score)
    strengths = {cat: strength(items) for cat, items in evidence.items()}
    levels = {cat: min(level_of(s), REACH.get(cat, 3)) for cat, s in strengths.items()}
    best = max(levels, key=lambda c: (levels[c], strengths[c]), default=None)
    lexical = {f.category for f in fs if f.source == "lexicon"}
    shown = tuple(c for c in sorted(strengths, key=lambda c: -strengths[c]) if c in lexical)[:6]
    return Tally(strengths, levels, best, shown, frozenset(ids_cards), frozenset(mobiles), weak_ids)


def strength(items: dict[str, list[float]]) -> float:
    """Combine distinct items with diminishing returns; repeats of an item add 5% each (max 3).

    The strongest item counts fully, the next half, the next a quarter, and so on.
    """
    weights = sorted((min(1.0, max(ws) * (1 + 0.05 * min(len(ws) - 1, 3))) for ws in items.values()), reverse=True)
    miss = 1.0
    for i, w in enumerate(weights):
        miss *= 1 - w * 0.5**i
    return round(1 - miss, 4)


def level_of(strength: float) -> int:
    """The level a content strength supports."""
    return 3 if strength >= 0.85 else 2 if strength >= 0.65 else 1 if strength >= 0.35 else 0


def group(fs: Iterable[Finding]) -> dict[str, list[float]]:
    """Scores of findings grouped by the term that matched."""
    items: dict[str, list[float]] = {}
    for f in fs:
        items.setdefault(f.rule or f.text, []).append(f.score)
    return items


def label(f: Finding) -> str:
    """How a finding is named in the rationale: the listed term, else its text on one line."""
    own = f.source == "lexicon" and f.rule and not f.rule.startswith(("reading:", "scope:", "declassified"))
    return f.rule if own else " ".join(f.text.split())


def distinct(texts: Iterable[str], limit: int = 4) -> list[str]:
    """The first ``limit`` distinct texts, in order."""
    out: list[str] = []
    for t in texts:
        if t not in out:
            out.append(t)
            if len(out) == limit:
                break
    return out


def top_terms(fs: tuple[Finding, ...], cat: str) -> list[tuple[str, int]]:
    """The four strongest terms of a category with their counts."""
    counts: dict[str, tuple[float, int]] = {}
    for f in fs:
        if f.category == cat and f.source == "lexicon" and not is_scope(f):
            score, n = counts.get(f.rule or f.text, (f.score, 0))
            counts[f.rule or f.text] = (score, n + 1)
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1][0], -kv[1][1], kv[0]))
    return [(term, n) for term, (_, n) in ranked[:4]]


def distinct_floor_terms(fs: list[Finding]) -> list[Finding]:
    """At most three distinct terms that set a floor, highest floor first."""
    seen: dict[str, Finding] = {}
    for f in sorted(fs, key=lambda f: -(f.floor or 0)):
        seen.setdefault(f.rule or f.text, f)
    return list(seen.values())[:3]
