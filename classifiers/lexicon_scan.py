"""Find lexicon terms in a draft with one Aho-Corasick pass over the normalised text.

Terms are matched on the raw normalised characters, not on tokens, so a Chinese term is
found inside a longer word (``保密`` inside ``保密工作``). A term that begins or ends with a
Latin letter or digit must stand on a word boundary there (``secret`` does not match inside
``secretary``). Latin marking words of one or two words (``SECRET``, ``TOP SECRET``) count only
when written in capitals, as banners are; longer marking phrases (``for internal use only``) are
unambiguous in any case. Where hits overlap, the longest wins. A marking that stands on a line of its own
within :data:`BANNER_CHARS` of the top or the bottom of the draft is flagged as a banner.

The automaton is built once per :class:`keywords.Lexicon` and reused; it runs over the text
spelled as UTF-16 code-unit bytes (see :func:`_encode`) so that it stays fast with 10,000+
Chinese terms.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import ahocorasick

from mijian.classifiers.findings import Finding
from mijian.classifiers.normalise import NormalisedText, normalise_term
from mijian.keywords import Lexicon, Term


BANNER_CHARS = 200
"""How near the top or bottom of a draft a marking line must be to count as its banner."""
_BANNER_REST = 12
"""At most this many other characters may share the line with a banner marking."""


_LABEL = re.compile(r"(?i)(?:security\s+)?classification\s*[:：]?|protective\s+marking\s*[:：]?|密\s*级\s*[:：]?")
"""A field label a header puts before the draft's own marking (``Classification: SECRET``, ``密级：机密``)."""

_CAVEAT = re.compile(
    r"(?:\b(?:[A-Z]{2,4}(?:/[A-Z]{2,4})*\s+)?EYES\s+ONLY\b|\bSTRAP\s*\d\b|\bREL(?:EASABLE)?\s+TO\s+[A-Z]{2,5}"
    r"(?:\s*[,/]\s*[A-Z]{2,5})*\b|\b(?:NOFORN|ORCON|PROPIN|RELIDO|NODIS|EXDIS|LIMDIS|FVEY|NATO|ATOMAL|CRYPTO|"
    r"COMSEC|PERSONAL|COMMERCIAL|LOCSEN)\b|\((?i:notional)\)|[\s\u2013\u2014:/-])+")
"""Caveats, codewords and descriptors that follow a classification on its banner line (``TOP SECRET
STRAP1 – UK EYES ONLY``, ``SECRET – REL TO USA, FVEY``, ``OFFICIAL-SENSITIVE: COMMERCIAL``):
written in capitals, they are part of the banner, not a sentence about the grade."""


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
    for last, index in compiled.automaton.iter(_encode(text)):
        if not last % 2:
            continue  # a match straddling two characters' code units
        entry = entries[index]
        end = (last + 1) // 2
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
    banner = term.category == "marking" and _is_banner(norm.original, o_start, o_end)
    if banner:
        floor += ", on its own line: the draft's marking"
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
        banner=banner,
    )


def _is_banner(text: str, start: int, end: int) -> bool:
    """A marking alone on its line (a few characters of period or caveat aside), near an edge."""
    if start > BANNER_CHARS and len(text) - end > BANNER_CHARS:
        return False
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end == -1 else line_end
    before = text[line_start:start].strip()
    if _LABEL.fullmatch(before):
        before = ""  # the header's field label is part of the banner line
    rest = (before + text[end:line_end]).strip()
    # a control after ``//`` or a classification before it (UNCLASSIFIED//FOUO) shares the banner line
    return any(len(r) <= _BANNER_REST and not any(ch in r for ch in "。.，,；;") for r in (rest, _CAVEAT.sub(" ", rest).strip())) \
        or rest.startswith("//") or (rest.endswith("//") and " " not in rest)


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


def _encode(text: str) -> str:
    """Spell each character as its two UTF-16 code-unit bytes (as Latin-1 characters).

    The automaton keeps a node's children in a list searched one by one; with Chinese terms
    the root alone would have thousands of children. Spelled as bytes, no node has more than
    256, which keeps the scan fast with tens of thousands of terms. Every character takes
    exactly two units (characters beyond the BMP are first replaced by U+FFFD, one for one),
    so offsets halve back exactly.
    """
    if _astral().search(text):
        text = _astral().sub("\ufffd", text)
    return text.encode("utf-16-be").decode("latin-1")


@functools.lru_cache(maxsize=1)
def _astral() -> re.Pattern[str]:
    return re.compile("[\U00010000-\U0010ffff]")


@functools.lru_cache(maxsize=4)
def _compile(lexicon: Lexicon) -> _Compiled:
    """The automaton for one lexicon (cached: a lexicon is an immutable value; the packaged
    lexicon's is read from :mod:`keywords.datacache` while nothing it is built from changed)."""
    from mijian.keywords.datacache import derived

    here = Path(__file__)
    return derived("lexicon-automaton", lexicon, (here, here.with_name("normalise.py")),
                   lambda: _build(lexicon), _Compiled)


def _build(lexicon: Lexicon) -> _Compiled:
    """Build the automaton for one lexicon."""
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
            capitals=term.category == "marking" and any(ch.isascii() and ch.isalpha() for ch in term.text)
            and len(term.text.replace("//", " ").split()) <= 2,
        )
        if key in slots:
            # Two entries that fold to the same key: keep the heavier one.
            if entries[slots[key]].term.weight >= term.weight:
                continue
            entries[slots[key]] = entry
            continue
        slots[key] = len(entries)
        entries.append(entry)
        automaton.add_word(_encode(key), slots[key])
    if not entries:
        return _Compiled(None, ())
    automaton.make_automaton()
    return _Compiled(automaton, tuple(entries))
