"""Classify a draft: normalise once, read it, then lexicon, patterns, scopes, NLP, and the policy.

Every detector works on the same :class:`~classifiers.normalise.NormalisedText`. The reading
(:mod:`classifiers.reading`: negation scopes, declassification notes, mentions) and the
sentences and paragraphs (:mod:`classifiers.segments`) are found once and serve the lexicon
findings and the secrecy-scope matcher (:mod:`classifiers.scope_match`). The NLP engine runs
once per document; its entities serve the context windows and the concrete-detail signal.
"""

from __future__ import annotations

from mijian.classifiers.catalogue import Catalogue, CatalogueMatch, match_catalogue
from mijian.classifiers.context import specifics, with_nearby
from mijian.classifiers.details import restriction_findings
from mijian.classifiers.findings import Finding
from mijian.classifiers.learned_read import read_model
from mijian.classifiers.lexicon_scan import scan_lexicon
from mijian.classifiers.nlp import NlpEngine, RuleNlp
from mijian.classifiers.normalise import normalise
from mijian.classifiers.patterns import find_patterns
from mijian.classifiers.personal import find_personal
from mijian.classifiers.policy import Suggestion, suggest
from mijian.classifiers.reading import public_title, read, reading_findings, reread
from mijian.classifiers.scope_match import ScopeMatch, match_scopes
from mijian.classifiers.shape import shape_findings
from mijian.keywords import Lexicon, ScopeCatalogue, load_lexicon, load_scopes
from mijian.pipeline.model import Document


def classify(document: Document, lexicon: Lexicon | None = None, catalogue: Catalogue | None = None,
             nlp: NlpEngine | None = None, scopes: ScopeCatalogue | None = None,
             language: str | None = None, second_reader: bool = True) -> Suggestion:
    """Suggest a grade for ``document``.

    ``lexicon`` defaults to the packaged lexicon, ``scopes`` to the packaged catalogue of
    secrecy scopes, ``nlp`` to :class:`~classifiers.nlp.RuleNlp`; with a ``catalogue`` its
    applicable items set a minimum grade, the period and the basis. Findings carry offsets into
    ``document.text``; the rationale is worded in ``language`` (default: the draft's language).
    With ``second_reader`` (the default) the rules' level is weighed with the second reader
    (:mod:`classifiers.learned`, :mod:`classifiers.second_reading`); without it, the rules alone.
    """
    text = document.text
    norm = normalise(text)
    reading = read(text)
    found: list[Finding] = reread(text, scan_lexicon(norm, lexicon if lexicon is not None else load_lexicon()), reading)
    found += find_patterns(norm)
    found += reading_findings(reading) + public_title(text)
    found += reread(text, shape_findings(text), reading)
    found += find_personal(text)
    found += reread(text, restriction_findings(text, found), reading)
    matches = match_catalogue(norm, catalogue) if catalogue is not None else ()
    for m in matches:
        found += _catalogue_findings(m, text, found)
    fired = match_scopes(norm, reading, scopes if scopes is not None else load_scopes())
    for s in fired:
        found += _scope_findings(s, text)
    entities = (nlp or RuleNlp()).entities(norm, document.language) if found else ()
    details = specifics(text, found, entities)
    findings = with_nearby(text, found, entities) + details
    second = read_model(norm) if second_reader and norm.text.strip() else None
    return suggest(findings, language or document.language, matches, fired, second)


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


def _scope_findings(match: ScopeMatch, text: str) -> list[Finding]:
    """One finding per subject and condition word of a scope item that fired, naming the item."""
    item = match.item
    out = []
    for hit in (*match.subject, *match.conditions):
        role = "subject" if hit.kind == "subject" else f"{hit.kind} condition"
        out.append(Finding(
            start=hit.start, end=hit.end, text=text[hit.start:hit.end], category=item.category, source="lexicon",
            score=0.25, floor=None, rule=f"scope:{item.id}:{hit.word}",
            explanation=(f"secrecy-scope item {item.id} ({item.sector}, {item.sector_en}): {role} '{hit.word}'; "
                         f"level {match.level}; source: {item.source(False)}"),
        ))
    return out
