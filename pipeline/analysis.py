"""Classify a document on a scheme: the classifier's suggestion worded for the scheme."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pipeline.model import Document
from pipeline.schemes import Scheme, get_scheme


@dataclass(frozen=True)
class Classification:
    """A document, its scheme and the classifier's suggestion (grade, period, rationale)."""

    document: Document
    scheme: Scheme
    suggestion: Any  # classifiers.Suggestion
    grade: str
    period: str | None

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
        }


def suggested_period(scheme: Scheme, level: int, years: int | None) -> str | None:
    """The period to suggest: a catalogue item's years when one applies, else the scheme default."""
    if years and scheme.max_years[level] >= years and scheme.default_period(level):
        return f"{years}年" if scheme.language == "zh" else f"{years} years"
    return scheme.default_period(level)


def classify_document(document: Document, scheme_name: str | None = None) -> Classification:
    """Run the classifier on ``document`` and word its suggestion for the scheme."""
    from classifiers import classify

    scheme = get_scheme(scheme_name, document.language)
    suggestion = classify(document)
    level = int(suggestion.level)
    return Classification(document=document, scheme=scheme, suggestion=suggestion,
                          grade=scheme.label(level),
                          period=suggested_period(scheme, level, getattr(suggestion, "catalogue_period_years", None)))
