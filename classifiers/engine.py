"""Classify a draft: normalise, scan the lexicon, find patterns, apply the policy."""

from __future__ import annotations

from classifiers.lexicon_scan import scan_lexicon
from classifiers.normalise import normalise
from classifiers.patterns import find_patterns
from classifiers.policy import Suggestion, suggest
from keywords import Lexicon, load_lexicon
from pipeline.model import Document


def classify(document: Document, lexicon: Lexicon | None = None) -> Suggestion:
    """Suggest a grade for ``document`` with the packaged lexicon unless one is given.

    Findings carry offsets into ``document.text``; the rationale is worded in the draft's
    language.
    """
    norm = normalise(document.text)
    findings = scan_lexicon(norm, lexicon if lexicon is not None else load_lexicon())
    findings += find_patterns(norm)
    return suggest(findings, document.language)
