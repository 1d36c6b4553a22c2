"""Normalise draft text for matching, keeping a map back to the original offsets.

What changes, character by character:

- NFKC compatibility folding, which also turns full-width Latin letters, digits and
  punctuation into their half-width forms (``１２３ＡＢＣ`` → ``123abc``);
- case folding (``SECRET`` → ``secret``);
- typographic single quotes become the apostrophe (``don’t`` → ``don't``);
- every whitespace character becomes a space, runs of whitespace become one space, and
  whitespace between two Chinese characters (Han, CJK punctuation or ★) disappears: line
  breaks inside Chinese words are common in text taken from PDF;
- format characters (soft hyphen, zero-width space, byte-order mark) and variation selectors
  (U+FE0F after each character hides nothing on screen and splits every word) disappear.

NFKC is applied to each character on its own: combining sequences are not recomposed, and
spacing accents (´ ‾) are kept rather than split into a space and a combining mark.
Offsets of anything found in the normalised text are mapped back with
:meth:`NormalisedText.to_original`, so findings always point into the draft as written.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

_BMP = 0x10000
_JOIN = "\u3001-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u2605"
"""Characters between which whitespace is dropped: CJK punctuation, Han, and the star ★."""
STABLE_RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xAC00, 0xD7A3), (0xE000, 0xF8FF))
"""Blocks every character of which folds to itself (Han, Hangul syllables, private use):
skipped when the tables are built, which saves two thirds of the start-up cost of the
classifier; a test folds each of them to prove it."""


@dataclass(frozen=True)
class NormalisedText:
    """Normalised text plus the segments that map it back to the original.

    The map is a list of segments, each starting at a normalised offset (``norm_starts``).
    In an *identity* segment normalised offset ``i`` comes from original offset
    ``orig_starts[k] + (i - norm_starts[k])``; in any other segment every character comes from
    the whole original span ``orig_starts[k]:orig_ends[k]`` (one character that expanded, or a
    whitespace run that shrank).
    """

    original: str
    text: str
    norm_starts: tuple[int, ...]
    orig_starts: tuple[int, ...]
    orig_ends: tuple[int, ...]
    identity: tuple[bool, ...]

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map the normalised span ``start:end`` (end exclusive, non-empty) to the original."""
        if not 0 <= start < end <= len(self.text):
            raise ValueError(f"span {start}:{end} is outside the normalised text")
        return self._origin(start)[0], self._origin(end - 1)[1]

    def _origin(self, index: int) -> tuple[int, int]:
        k = bisect_right(self.norm_starts, index) - 1
        if self.identity[k]:
            pos = self.orig_starts[k] + index - self.norm_starts[k]
            return pos, pos + 1
        return self.orig_starts[k], self.orig_ends[k]


def normalise(text: str) -> NormalisedText:
    """Return the normalised form of ``text`` with its offset map (see the module notes)."""
    tables = _tables()
    mapped = text.translate(tables.one_to_one)
    norm_starts: list[int] = []
    orig_starts: list[int] = []
    orig_ends: list[int] = []
    identity: list[bool] = []
    pieces: list[str] = []
    out = 0
    pos = 0

    def segment(piece: str, start: int, end: int, same: bool) -> None:
        nonlocal out
        pieces.append(piece)
        norm_starts.append(out)
        orig_starts.append(start)
        orig_ends.append(end)
        identity.append(same)
        out += len(piece)

    for match in tables.special.finditer(mapped):
        start, end = match.span()
        chunk = match.group()
        if " " in chunk:
            before = mapped[start - 1] if start else ""
            after = mapped[end] if end < len(mapped) else ""
            joined = bool(before and after and tables.join.match(before) and tables.join.match(after))
            replacement = "" if joined else " "
        elif len(chunk) > 1 or chunk in tables.vanish:
            replacement = ""
        else:
            mapped_to = tables.multi.get(chunk)
            replacement = _fold(chunk) if mapped_to is None else mapped_to
        if replacement == chunk:
            continue  # a lone space after a non-joinable character: nothing to change
        if start > pos:
            segment(mapped[pos:start], pos, start, True)
        if replacement:
            segment(replacement, start, end, False)
        pos = end
    if pos < len(mapped) or not pieces:
        segment(mapped[pos:], pos, len(mapped), True)
    return NormalisedText(
        original=text,
        text="".join(pieces),
        norm_starts=tuple(norm_starts),
        orig_starts=tuple(orig_starts),
        orig_ends=tuple(orig_ends),
        identity=tuple(identity),
    )


def normalise_term(text: str) -> str:
    """Normalise a lexicon term exactly as draft text is normalised, trimmed of spaces.

    Thousands of terms are normalised when the classifier first loads, and most need only the
    one-to-one table: when nothing in the mapped term is special, :func:`normalise` would
    return it whole, so the offset map is not built."""
    tables = _tables()
    mapped = text.translate(tables.one_to_one)
    if mapped and not tables.special.search(mapped):
        return mapped.strip()
    return normalise(text).text.strip()


@dataclass(frozen=True)
class _Tables:
    one_to_one: dict[int, str]
    multi: dict[str, str]
    vanish: frozenset[str]
    special: re.Pattern[str]
    join: re.Pattern[str]


def _fold(ch: str) -> str:
    """Fold one character: NFKC, then case fold, whitespace to a space, format chars to ""."""
    if ch.isspace():
        return " "
    if ch in "\u2018\u2019":
        return "'"  # typographic apostrophes: don’t is don't
    if unicodedata.category(ch) == "Cf" or 0xFE00 <= ord(ch) <= 0xFE0F or 0xE0100 <= ord(ch) <= 0xE01EF:
        return ""  # format characters and variation selectors: invisible, and they split words
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", ch).casefold())
    if folded.isspace():
        return " "
    if any(c.isspace() for c in folded):
        return ch.casefold()  # spacing accents (´ ‾) would decompose to a space plus a mark
    return folded


@functools.lru_cache(maxsize=1)
def _tables() -> _Tables:
    """The folding tables for the Basic Multilingual Plane, built once, on first use (read from
    :mod:`keywords.datacache` while this module and the Unicode version are unchanged)."""
    from mijian.keywords.datacache import cached

    return cached("normalise", (Path(__file__),), _build_tables, _Tables)


def _build_tables() -> _Tables:
    """Build the folding tables for the Basic Multilingual Plane."""
    one_to_one: dict[int, str] = {}
    multi: dict[str, str] = {}
    for cp in _unstable_points():
        ch = chr(cp)
        folded = _fold(ch)
        if folded == ch:
            continue
        if len(folded) == 1:
            one_to_one[cp] = folded
        else:
            multi[ch] = folded
    vanish = {ch for ch, folded in multi.items() if not folded}
    for ch in vanish:
        del multi[ch]
    # Runs of 2+ spaces and vanishing characters (one space, or none between joinable
    # characters), a single space before a joinable character (dropped when the one before is
    # joinable too), lone vanishing characters, characters that expand, and anything beyond
    # the BMP (folded on the fly). No look-behind, so the engine can skip ahead by first char.
    gaps = "[ " + _char_class(vanish) + "]"
    special = re.compile(
        gaps + "{2,}| (?=[" + _JOIN + "])|[" + _char_class(vanish) + _char_class(multi) + "\U00010000-\U0010ffff]"
    )
    return _Tables(one_to_one, multi, frozenset(vanish), special, re.compile("[" + _JOIN + "]"))


def _unstable_points() -> Iterable[int]:
    """The BMP code points that may fold to something else: all but the surrogates and the
    :data:`STABLE_RANGES`."""
    start = 0
    for lo, hi in sorted(((0xD800, 0xDFFF), *STABLE_RANGES)):
        yield from range(start, lo)
        start = hi + 1
    yield from range(start, _BMP)


def _char_class(chars: Iterable[str]) -> str:
    """Write the keys of ``chars`` as a compact regex character class body (ranges)."""
    points = sorted(ord(c) for c in chars)
    parts: list[str] = []
    i = 0
    while i < len(points):
        j = i
        while j + 1 < len(points) and points[j + 1] == points[j] + 1:
            j += 1
        lo, hi = chr(points[i]), chr(points[j])
        parts.append(re.escape(lo) if i == j else f"{re.escape(lo)}-{re.escape(hi)}")
        i = j + 1
    return "".join(parts)
