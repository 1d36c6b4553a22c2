"""The unit of evidence every detector returns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Source = Literal["lexicon", "pattern", "nlp"]
"""Which detector produced a finding."""


@dataclass(frozen=True)
class Finding:
    """One span of the draft that matters for its grade, with why it was reported.

    - ``start``/``end``: offsets into the original draft text (end exclusive).
    - ``text``: the span as written in the draft.
    - ``category``: a lexicon category id (see :data:`keywords.CATEGORIES`).
    - ``source``: the detector, ``lexicon``, ``pattern`` or ``nlp``.
    - ``score``: how much the finding weighs, 0..1 (a term's weight, a pattern's score).
    - ``explanation``: one sentence saying what matched and how the score came about.
    - ``rule``: what matched, stable across drafts: the lexicon term as listed, or the
      pattern name (``cn_resident_id``, ``bank_card``, ``cn_mobile``).
    - ``floor``: the minimum ladder level the finding asks for, if any (for markings, the
      level the marking denotes).
    - ``banner``: for a marking, whether it stands on a line of its own near the top or the
      bottom of the draft, as a stamp or banner does: the draft's own marking rather than a
      mention of one in running text.
    """

    start: int
    end: int
    text: str
    category: str
    source: Source
    score: float
    explanation: str
    rule: str = ""
    floor: int | None = None
    banner: bool = False
