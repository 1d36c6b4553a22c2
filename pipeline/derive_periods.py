"""Which of several periods (保密期限) is the longest: the period a derived document inherits.

An extract or compilation keeps its secrets for as long as the longest-kept of its sources, so
it takes the longest period among them. Periods come in kinds that do not all compare:

- a length (``20年``, ``6个月``, ``10 years``): compared by their number of months;
- ``长期`` (long-term, no fixed end): longer than any length and any date;
- a date (``2030年12月31日``, ``20301231``, ``2030-12-31``): compared with other dates;
- a condition (free text such as ``至项目验收``): compared with nothing but itself.

A length and a date are not compared: a length counts from the day each document was decided,
so whether ``10年`` outlasts ``2035年1月1日`` depends on a date the period itself does not say;
guessing would risk choosing the shorter one. When the periods given cannot all be compared,
:func:`longest_period` says so and the caller falls back to a stated rule (the period of the
source with the highest grade), recording why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

LENGTH, LONG_TERM, DATE, CONDITION = "length", "long-term", "date", "condition"

_YEARS = re.compile(r"^(\d{1,3}) ?(?:年|years?|yrs?|y)$", re.I)
_MONTHS = re.compile(r"^(\d{1,4}) ?(?:个月|months?)$", re.I)
_ZH_DATE = re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$")
_EN_DATE = re.compile(r"^(\d{4})-?(\d{2})-?(\d{2})$")
_LONG_TERM = ("长期", "long-term", "long term", "indefinite")


@dataclass(frozen=True)
class PeriodValue:
    """A period as read: its ``kind`` and a number that orders periods of the same kind
    (months for a length, the ordinal day for a date, 0 otherwise); ``text`` as written."""

    text: str
    kind: str
    order: int


@dataclass(frozen=True)
class Longest:
    """The outcome of comparing periods: the longest (None when no source had one), or
    ``comparable`` False when two of them could not be ordered (``why`` says which)."""

    period: str | None
    comparable: bool
    why: str


def read_period(text: str) -> PeriodValue:
    """The kind and order of one period as written."""
    words = text.strip()
    found = _YEARS.match(words)
    if found:
        return PeriodValue(words, LENGTH, 12 * int(found.group(1)))
    found = _MONTHS.match(words)
    if found:
        return PeriodValue(words, LENGTH, int(found.group(1)))
    if words.lower() in _LONG_TERM:
        return PeriodValue(words, LONG_TERM, 0)
    found = _ZH_DATE.match(words) or _EN_DATE.match(words)
    if found:
        try:
            day = date(int(found.group(1)), int(found.group(2)), int(found.group(3)))
        except ValueError:  # 2030年2月30日 is no date: kept as written, a condition
            return PeriodValue(words, CONDITION, 0)
        return PeriodValue(words, DATE, day.toordinal())
    return PeriodValue(words, CONDITION, 0)


def compare(a: PeriodValue, b: PeriodValue) -> int | None:
    """-1, 0 or 1 as ``a`` is shorter than, as long as, or longer than ``b``; None when the two
    cannot be ordered (a length against a date, a condition against anything else)."""
    if a.kind == LONG_TERM or b.kind == LONG_TERM:
        if a.kind == b.kind:
            return 0
        if CONDITION in (a.kind, b.kind):
            return None  # a condition may be "until declassified", which 长期 need not outlast
        return 1 if a.kind == LONG_TERM else -1
    if a.kind != b.kind:
        return None
    if a.kind == CONDITION:
        return 0 if a.text == b.text else None
    return (a.order > b.order) - (a.order < b.order)


def longest_period(periods: list[str | None]) -> Longest:
    """The longest of ``periods`` (None entries, documents without a period, are left out)."""
    values = [read_period(p) for p in periods if p]
    if not values:
        return Longest(None, True, "no source has a period")
    best = values[0]
    for value in values[1:]:
        order = compare(value, best)
        if order is None:
            return Longest(None, False, f"periods {best.text} and {value.text} cannot be "
                                        "compared (不同类型的保密期限无法比较)")
        if order > 0:
            best = value
    return Longest(best.text, True, f"{best.text} is the longest period of the sources")
