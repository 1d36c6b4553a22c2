"""Detect sensitive content in a draft and suggest a grade with its rationale.

:func:`classify` runs the whole chain; the pieces (normalisation, marking-aware reading,
sentences and sections, lexicon scan, validated patterns, personal records, NLP entities and
context windows, the office catalogue, the built-in secrecy scopes, the policy) are exported for
reuse and tests. Nothing runs at import: lexicons, automata and rules are built on first use,
and each name below is imported from its module only when it is first asked for, so that
importing one module of the package (the catalogue, say) does not load them all.
"""

from __future__ import annotations

import importlib
from typing import Any

# ``normalise`` names both a module and its function: bound here, after the module, so the
# package attribute stays the function (the module is small and needs nothing heavy)
from mijian.classifiers.normalise import NormalisedText as NormalisedText, normalise as normalise

_HOMES = {
    "mijian.classifiers.catalogue": ("Catalogue", "CatalogueItem", "CatalogueMatch", "find_catalogue",
                              "load_catalogue", "match_catalogue"),
    "mijian.classifiers.checks": ("iban_valid", "nino_valid", "ssn_valid", "uscc_check_char"),
    "mijian.classifiers.engine": ("classify",),
    "mijian.classifiers.findings": ("Finding",),
    "mijian.classifiers.lexicon_scan": ("scan_lexicon",),
    "mijian.classifiers.nlp": ("Entity", "NlpEngine", "RuleNlp", "SpacyNlp"),
    "mijian.classifiers.patterns": ("find_patterns", "id_check_char", "luhn_valid"),
    "mijian.classifiers.personal": ("find_personal",),
    "mijian.classifiers.policy": ("DEFAULT_PERIOD_YEARS", "GRADES", "Suggestion", "suggest"),
    "mijian.classifiers.reading": ("Reading", "read"),
    "mijian.classifiers.scope_match": ("ScopeMatch", "match_scopes"),
    "mijian.classifiers.segments": ("Segments", "segment"),
}
_WHERE = {name: module for module, names in _HOMES.items() for name in names}

__all__ = sorted([*_WHERE, "NormalisedText", "normalise"])


def __getattr__(name: str) -> Any:
    """Import the module that defines ``name`` on first use (PEP 562)."""
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'classifiers' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
