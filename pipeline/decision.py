"""The grade decision (定密): the classifier's suggestion, the officer's choice, the record.

Rules (MARKING.md): without ``--grade`` the suggestion is used; a grade lower than the
suggestion is refused unless a written justification is given, and the justification is
recorded; periods are checked against the grade's maximum.
"""

from __future__ import annotations

from dataclasses import dataclass

from mijian.pipeline.errors import UsageError
from mijian.pipeline.schemes import Scheme, check_period


@dataclass(frozen=True)
class Decision:
    """The grade a document is issued under, and how it was reached; ``scope`` is the
    知悉范围 a registered decision states (None when none was set)."""

    scheme: str
    level: int
    grade: str
    period: str | None
    suggested_level: int
    suggested_grade: str
    justification: str | None
    basis: str | None
    rationale: tuple[str, ...]
    scope: str | None = None

    @property
    def lowered(self) -> bool:
        """Whether the officer chose a lower grade than suggested."""
        return self.level < self.suggested_level


def decide(scheme: Scheme, suggested_level: int, suggested_period: str | None,
           rationale: tuple[str, ...], basis: str | None, grade: str | None = None,
           period: str | None = None, justification: str | None = None) -> Decision:
    """Combine the suggestion with the officer's grade, period and justification."""
    level = suggested_level if grade is None else scheme.level_of(grade)
    justification = (justification or "").strip() or None
    if level < suggested_level and not justification:
        raise UsageError(
            f"grade {scheme.label(level)} is lower than the suggested {scheme.label(suggested_level)} "
            f"(低于建议密级); give --justification \"…\" to record why, or issue at the suggested grade")
    if period is None and level == suggested_level:
        period = suggested_period
    checked = check_period(scheme, level, period)
    if scheme.star and level >= 2 and not checked:
        raise UsageError(f"grade {scheme.label(level)} needs a period; give --period like 10年")
    notes = list(rationale)
    if grade is not None and level != suggested_level:
        notes.append(f"officer chose {scheme.label(level)} over the suggested "
                     f"{scheme.label(suggested_level)}" + (f": {justification}" if justification else ""))
    return Decision(scheme=scheme.name, level=level, grade=scheme.label(level), period=checked,
                    suggested_level=suggested_level, suggested_grade=scheme.label(suggested_level),
                    justification=justification, basis=basis, rationale=tuple(notes))
