"""Classify a draft: normalise once, then lexicon scan, patterns, NLP, catalogue, and the policy.

Every detector works on the same :class:`~classifiers.normalise.NormalisedText`; the NLP
engine runs once per document and its entities serve both the context windows of findings
and the concrete-detail signal.
"""

from __future__ import annotations

from classifiers.catalogue import Catalogue, CatalogueMatch, match_catalogue
from classifiers.context import specifics, with_nearby
from classifiers.findings import Finding
from classifiers.lexicon_scan import scan_lexicon
from classifiers.nlp import NlpEngine, RuleNlp
from classifiers.normalise import normalise
from classifiers.patterns import find_patterns
from classifiers.policy import Suggestion, suggest
from keywords import Lexicon, load_lexicon
from pipeline.model import Document


def classify(document: Document, lexicon: Lexicon | None = None, catalogue: Catalogue | None = None,
             nlp: NlpEngine | None = None) -> Suggestion:
    """Suggest a grade for ``document``.

    ``lexicon`` defaults to the packaged lexicon, ``nlp`` to :class:`~classifiers.nlp.RuleNlp`;
    with a ``catalogue`` its applicable items set a minimum grade, the period and the basis.
    Findings carry offsets into ``document.text``; the rationale is worded in the draft's language.
    """
    text = document.text
    norm = normalise(text)
    found: list[Finding] = list(scan_lexicon(norm, lexicon if lexicon is not None else load_lexicon()))
    found += find_patterns(norm)
    matches = match_catalogue(norm, catalogue) if catalogue is not None else ()
    for m in matches:
        found += _catalogue_findings(m, text, found)
    entities = (nlp or RuleNlp()).entities(norm, document.language) if found else ()
    details = specifics(text, found, entities)
    findings = with_nearby(text, found, entities) + details
    return suggest(findings, document.language, matches)


def _catalogue_findings(match: CatalogueMatch, text: str, found: list[Finding]) -> list[Finding]:
    """One finding per catalogue word not already reported at the same place by the lexicon."""
    taken = {(f.start, f.end) for f in found}
    item = match.item
    out = []
    for start, end, word in match.hits:
        if (start, end) in taken:
            continue
        out.append(Finding(
            start=start, end=end, text=text[start:end], category=item.category, source="lexicon",
            score=0.3, explanation=f"catalogue item {item.id} word {word!r} ({match.catalogue})",
            rule=f"{item.id}:{word}",
        ))
    return out
