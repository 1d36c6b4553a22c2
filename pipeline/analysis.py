"""Classify a document on a scheme: the classifier's suggestion worded for the scheme.

:func:`classify_document` is what ``mijian classify`` and ``mijian issue`` call. With a
catalogue (:func:`load_catalogue_file`, or :func:`find_home_catalogue` for the one kept in the
office home), an item that applies sets the minimum grade, the period and the basis
(定密依据); ``Classification.basis`` and ``Classification.period`` carry them to the decision.
"""

from __future__ import annotations

from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any

from mijian.pipeline.errors import ConfigError
from mijian.pipeline.model import Document
from mijian.pipeline.schemes import Scheme, get_scheme


@dataclass(frozen=True)
class Classification:
    """A document, its scheme and the classifier's suggestion (grade, period, basis, rationale).

    ``basis`` is the 定密依据 to record with the decision (the catalogue item when one applied);
    ``catalogue_item`` the id of that item, or None.
    """

    document: Document
    scheme: Scheme
    suggestion: Any  # classifiers.Suggestion
    grade: str
    period: str | None
    basis: str | None = None
    catalogue_item: str | None = None

    @property
    def level(self) -> int:
        """The suggested ladder level."""
        return int(self.suggestion.level)

    def to_json(self) -> dict:
        """The object ``mijian classify --json`` prints (the CLI contract)."""
        s = self.suggestion
        return {
            "document": self.document.source,
            "sha256": self.document.sha256,
            "scheme": self.scheme.name,
            "language": self.document.language,
            "grade": self.grade,
            "level": self.level,
            "confidence": round(float(s.confidence), 4),
            "period": self.period,
            "findings": [
                {"start": f.start, "end": f.end, "text": f.text, "category": f.category,
                 "source": f.source, "score": round(float(f.score), 4), "explanation": f.explanation}
                for f in s.findings
            ],
            "rationale": list(s.rationale),
            "decided_by": s.decided_by,
            "second_reading": None if s.second is None else {
                "at_least": {str(k + 1): round(p, 4) for k, p in enumerate(s.second.probabilities)},
                "trained_on": s.second.drafts,
                "words": [{"start": a, "end": b, "text": t} for a, b, t in s.second.spans],
            },
        }


def suggested_period(scheme: Scheme, level: int, years: int | None) -> str | None:
    """The period to suggest: a catalogue item's years when one applies, else the scheme default."""
    if years and scheme.max_years[level] >= years and scheme.default_period(level):
        return f"{years}年" if scheme.language == "zh" else f"{years} years"
    return scheme.default_period(level)


def load_catalogue_file(path: str | PathLike[str]) -> Any:
    """Read and validate a catalogue file (``.toml`` or ``.csv``); raises ConfigError naming file and item."""
    from mijian.classifiers.catalogue import load_catalogue

    return load_catalogue(path)


def find_home_catalogue(home: str | PathLike[str]) -> Path | None:
    """The catalogue kept in the office home folder (``catalogue.toml`` or ``catalogue.csv``), if any."""
    from mijian.classifiers.catalogue import find_catalogue

    return find_catalogue(home)


def classify_document(document: Document, scheme_name: str | None = None, catalogue: Any = None) -> Classification:
    """Run the classifier on ``document`` and word its suggestion for the scheme.

    ``catalogue`` is a loaded catalogue (see :func:`load_catalogue_file`) or None.
    """
    from mijian.classifiers import classify
    from mijian.keywords import LexiconError

    scheme = get_scheme(scheme_name, document.language)
    try:
        suggestion = classify(document, catalogue=catalogue)
    except LexiconError as exc:
        raise ConfigError(str(exc)) from None
    level = int(suggestion.level)
    return Classification(document=document, scheme=scheme, suggestion=suggestion,
                          grade=scheme.label(level),
                          period=suggested_period(scheme, level, getattr(suggestion, "catalogue_period_years", None)),
                          basis=getattr(suggestion, "basis", None),
                          catalogue_item=getattr(suggestion, "catalogue_item", None))
