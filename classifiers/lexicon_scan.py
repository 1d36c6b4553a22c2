"""Find lexicon terms in a draft with one Aho-Corasick pass over the normalised text.

Terms are matched on the raw normalised characters, not on tokens, so a Chinese term is
found inside a longer word (``保密`` inside ``保密工作``). A term that begins or ends with a
Latin letter or digit must stand on a word boundary there (``secret`` does not match inside
``secretary``). Latin marking words (``TOP SECRET``) count only when written in capitals, as
banners are. Where hits overlap, the longest wins.

The automaton is built once per :class:`keywords.Lexicon` and reused.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import ahocorasick

from classifiers.findings import Finding
from classifiers.normalise import NormalisedText, normalise_term
from keywords import Lexicon, Term


@dataclass(frozen=True)
class _Entry:
    term: Term
    length: int
    left: bool
    right: bool
    capitals: bool


@dataclass(frozen=True)
class _Compiled:
    automaton: ahocorasick.Automaton | None
    entries: tuple[_Entry, ...]


def scan_lexicon(norm: NormalisedText, lexicon: Lexicon) -> tuple[Finding, ...]:
    """Return the lexicon findings of a normalised draft, in text order, offsets original."""
    compiled = _compile(lexicon)
    if compiled.automaton is None or not norm.text:
        return ()
    text = norm.text
    size = len(text)
    entries = compiled.entries
    hits: list[tuple[int, int, int]] = []
    for last, index in compiled.automaton.iter(text):
        entry = entries[index]
        end = last + 1
        start = end - entry.length
        if entry.left and start > 0 and _is_word(text[start - 1]):
            continue
        if entry.right and end < size and _is_word(text[end]):
            continue
        if entry.capitals:
            o_start, o_end = norm.to_original(start, end)
            if not norm.original[o_start:o_end].isupper():
                continue
        hits.append((start, end, index))
    return tuple(_finding(norm, start, end, entries[index].term) for start, end, index in _keep_longest(hits))


def _finding(norm: NormalisedText, start: int, end: int, term: Term) -> Finding:
    o_start, o_end = norm.to_original(start, end)
    floor = "" if term.floor is None else f", floor {term.floor}"
    return Finding(
        start=o_start,
        end=o_end,
        text=norm.original[o_start:o_end],
        category=term.category,
        source="lexicon",
        score=term.weight,
        explanation=f"lexicon term {term.text!r} ({term.category}, weight {term.weight:.2f}{floor})",
        rule=term.text,
        floor=term.floor,
    )


def _keep_longest(hits: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """Resolve overlaps: within each run of overlapping hits keep the longest, greedily."""
    hits.sort()
    kept: list[tuple[int, int, int]] = []
    cluster: list[tuple[int, int, int]] = []
    reach = -1
    for hit in hits:
        if cluster and hit[0] >= reach:
            kept.extend(_resolve(cluster))
            cluster = []
        cluster.append(hit)
        reach = max(reach, hit[1]) if len(cluster) > 1 else hit[1]
    if cluster:
        kept.extend(_resolve(cluster))
    kept.sort()
    return kept


def _resolve(cluster: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    if len(cluster) == 1:
        return cluster
    chosen: list[tuple[int, int, int]] = []
    for hit in sorted(cluster, key=lambda h: (h[0] - h[1], h[0])):
        if all(hit[1] <= c[0] or c[1] <= hit[0] for c in chosen):
            chosen.append(hit)
    return chosen


def _is_word(ch: str) -> bool:
    """A character that continues a Latin-script word (letters and digits below CJK, ``_``)."""
    return (ch.isalnum() and ch < "\u2e80") or ch == "_"


@functools.lru_cache(maxsize=4)
def _compile(lexicon: Lexicon) -> _Compiled:
    """Build the automaton for one lexicon (cached; a lexicon is an immutable value)."""
    automaton = ahocorasick.Automaton()
    entries: list[_Entry] = []
    slots: dict[str, int] = {}
    for term in lexicon.terms:
        key = normalise_term(term.text)
        if not key:
            continue
        entry = _Entry(
            term=term,
            length=len(key),
            left=_is_word(key[0]),
            right=_is_word(key[-1]),
            capitals=term.category == "marking" and any(ch.isascii() and ch.isalpha() for ch in term.text),
        )
        if key in slots:
            # Two entries that fold to the same key: keep the heavier one.
            if entries[slots[key]].term.weight >= term.weight:
                continue
            entries[slots[key]] = entry
            continue
        slots[key] = len(entries)
        entries.append(entry)
        automaton.add_word(key, slots[key])
    if not entries:
        return _Compiled(None, ())
    automaton.make_automaton()
    return _Compiled(automaton, tuple(entries))
