"""Detect sensitive content in a draft and suggest a grade with its rationale.

:func:`classify` runs the whole chain; the pieces (normalisation, marking-aware reading,
sentences and sections, lexicon scan, validated patterns, personal records, NLP entities and
context windows, the office catalogue, the built-in secrecy scopes, the policy) are exported for
reuse and tests. Nothing runs at import: lexicons, automata and rules are built on first use.
"""

from classifiers.catalogue import Catalogue, CatalogueItem, CatalogueMatch, find_catalogue, load_catalogue, match_catalogue
from classifiers.checks import iban_valid, nino_valid, ssn_valid, uscc_check_char
from classifiers.engine import classify
from classifiers.findings import Finding
from classifiers.lexicon_scan import scan_lexicon
from classifiers.nlp import Entity, NlpEngine, RuleNlp, SpacyNlp
from classifiers.normalise import NormalisedText, normalise
from classifiers.patterns import find_patterns, id_check_char, luhn_valid
from classifiers.personal import find_personal
from classifiers.policy import DEFAULT_PERIOD_YEARS, GRADES, Suggestion, suggest
from classifiers.reading import Reading, read
from classifiers.scope_match import ScopeMatch, match_scopes
from classifiers.segments import Segments, segment

__all__ = [
    "DEFAULT_PERIOD_YEARS",
    "GRADES",
    "Catalogue",
    "CatalogueItem",
    "CatalogueMatch",
    "Entity",
    "Finding",
    "NlpEngine",
    "NormalisedText",
    "Reading",
    "RuleNlp",
    "ScopeMatch",
    "Segments",
    "SpacyNlp",
    "Suggestion",
    "classify",
    "find_catalogue",
    "find_patterns",
    "find_personal",
    "iban_valid",
    "id_check_char",
    "load_catalogue",
    "luhn_valid",
    "match_scopes",
    "match_catalogue",
    "nino_valid",
    "normalise",
    "read",
    "scan_lexicon",
    "segment",
    "ssn_valid",
    "suggest",
    "uscc_check_char",
]
