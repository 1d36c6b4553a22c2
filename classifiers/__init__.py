"""Detect sensitive content in a draft and suggest a grade with its rationale.

:func:`classify` runs the whole chain; the pieces (normalisation, lexicon scan, validated
patterns, policy) are exported for reuse and tests. Nothing runs at import.
"""

from classifiers.engine import classify
from classifiers.findings import Finding
from classifiers.lexicon_scan import scan_lexicon
from classifiers.normalise import NormalisedText, normalise
from classifiers.patterns import find_patterns, id_check_char, luhn_valid
from classifiers.policy import DEFAULT_PERIOD_YEARS, GRADES, Suggestion, suggest

__all__ = [
    "DEFAULT_PERIOD_YEARS",
    "GRADES",
    "Finding",
    "NormalisedText",
    "Suggestion",
    "classify",
    "find_patterns",
    "id_check_char",
    "luhn_valid",
    "normalise",
    "scan_lexicon",
    "suggest",
]
