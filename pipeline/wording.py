"""How a classification is worded for a reader: one language, grade names and periods spelled
in it. Shared by the terminal report, the HTML report and the service (no terminal code here).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any


def in_language(result: Any, lang: str | None) -> Any:
    """The classification with its rationale, basis and period worded in ``lang`` (zh or en).

    The period shown is the one the rationale states: the deciding scope or catalogue item's
    (years or the event that ends it), else the scheme's default for the level, spelled in
    ``lang``. With ``lang`` None the draft's language is used.
    """
    s = result.suggestion.in_language(lang or result.document.language)
    if getattr(s, "period_source", "default") in ("scope", "catalogue"):
        period = s.period_text()
    else:
        period = respell_period(result.period, s.language)
    return replace(result, suggestion=s, period=period, basis=s.basis)


def grade_name(result: Any, lang: str | None) -> str:
    """The grade as the report names it: the scheme's label, in English words for an English report."""
    from mijian.classifiers import GRADES

    if lang == "en" and not result.grade.isascii():
        return GRADES[result.level][1]
    if lang == "zh" and result.grade.isascii():
        return GRADES[result.level][0]
    return result.grade


def respell_period(period: str | None, lang: str) -> str | None:
    """``20年`` as ``20 years`` in English, ``10 years`` as ``10年`` in Chinese; other periods as given."""
    if not period:
        return period
    if lang == "en" and period.endswith("年") and period[:-1].isdigit():
        return f"{period[:-1]} years"
    if lang == "zh" and period.endswith(" years") and period[:-6].isdigit():
        return f"{period[:-6]}年"
    return period
