"""Extracts (摘录) and compilations (汇编): a new registered document made from registered ones.

An extract takes passages of one or more documents, a compilation puts several together; the
new draft is a document of its own (its own id, its own copies), classified at least as high
as what it was taken from. Rules, and why:

- Grade: the highest grade of its sources (a passage keeps its grade wherever it is put).
  The classifier also reads the new draft; a suggestion higher than that wins (putting
  passages together can reveal more than each did: 汇编 may raise the grade), a lower one
  never lowers it.
- Period: the longest period of all the sources (a passage of a lower grade keeps its own
  period in the new document too; :mod:`pipeline.derive_periods` orders lengths, 长期 and
  dates). When two periods cannot be compared (a length and a date, a
  condition), the period of the source with the highest grade is taken, the first such source
  named, and the rationale says so: the highest-grade source is the one whose protection the
  derived document must not fall short of.
- Sources must be registered, not declassified, and on one marking scheme (the grades of two
  schemes are not one ladder); a source listed twice is refused.
- The approval is the one the resulting grade needs (:mod:`pipeline.derive_facts`).

Recorded in one transaction: the document with its decision (``decided`` event; ``basis`` and
``rationale`` cite every source by id, title and grade), then the signed ``derived`` event
stating the sources and the rule used, and one ``derivations`` row per source. The document is
then issued with ``mijian issue NEW_DRAFT --grade G --period P``, which finds the registered
decision and refuses any other grade or period.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mijian.pipeline.copy_checks import refuse_marked_draft
from mijian.pipeline.derive_facts import (COMPILE, DERIVED, EXTRACT, KIND_ZH, Approval, check_approval,
                                          derivation_detail, rows_of)
from mijian.pipeline.derive_periods import longest_period
from mijian.pipeline.errors import RegisterError, UsageError
from mijian.pipeline.issuing import document_id_for
from mijian.pipeline.office import Office
from mijian.pipeline.register import DocumentRecord
from mijian.pipeline.register_changes import DECLASSIFIED
from mijian.pipeline.schemes import Scheme, all_schemes, check_period


@dataclass(frozen=True)
class Inherited:
    """The grade and period a derived document takes, and the rules that gave them."""

    level: int
    period: str | None
    notes: tuple[str, ...]


@dataclass(frozen=True)
class Derivation:
    """A registered extract or compilation: its decision, sources, approval and event."""

    kind: str
    document_id: str
    title: str
    scheme: str
    grade: str
    level: int
    period: str | None
    suggested_grade: str
    sources: tuple[dict[str, Any], ...]
    notes: tuple[str, ...]
    approval: Approval
    seq: int

    def to_json(self) -> dict[str, Any]:
        """The derivation as a JSON object."""
        return {"kind": self.kind, "document_id": self.document_id, "title": self.title,
                "scheme": self.scheme, "grade": self.grade, "level": self.level,
                "period": self.period, "suggested_grade": self.suggested_grade,
                "sources": list(self.sources), "notes": list(self.notes),
                "approver": self.approval.approver, "approver_role": self.approval.role,
                "reason": self.approval.reason, "event": self.seq}


def _sources(office: Office, kind: str, ids: list[str]) -> list[DocumentRecord]:
    """The source documents, registered, distinct, not declassified, on one scheme."""
    wanted = [i.strip() for i in ids if i.strip()]
    least = 2 if kind == COMPILE else 1
    if len(wanted) < least:
        raise UsageError(f"{kind} needs at least {least} source document id(s), {len(wanted)} "
                         f"given; name the registered documents it is made from "
                         f"({KIND_ZH[kind]}须列出来源文件)")
    if len(set(wanted)) != len(wanted):
        raise UsageError(f"a source document is listed twice in {', '.join(wanted)}; name each "
                         "once (来源文件重复)")
    found = []
    for document_id in wanted:
        record = office.register.get_document(document_id)
        if record is None:
            raise RegisterError(f"document {document_id} is not in the register; check the id "
                                "with 'mijian register list' (登记簿中没有此文件)")
        declassified = office.register.document_events(document_id, (DECLASSIFIED,))
        if declassified:
            raise RegisterError(f"document {document_id} was declassified (event "
                                f"{declassified[0].seq}): it is public and gives the {kind} no "
                                "grade; leave it out of the sources (已解密文件不作为定密来源)")
        found.append(record)
    schemes = sorted({r.scheme for r in found})
    if len(schemes) > 1:
        raise UsageError(f"the sources are marked on different schemes ({', '.join(schemes)}); "
                         "their grades are not one ladder; derive from documents of one scheme "
                         "(来源文件密级体系不同)")
    return found


def inherit(sources: list[DocumentRecord]) -> Inherited:
    """The highest grade of ``sources`` and the longest of all their periods (a passage of a
    lower grade keeps its own period too); when two periods cannot be compared, the period of
    the first source with the highest grade."""
    top = max(r.level for r in sources)
    highest = [r for r in sources if r.level == top]
    chosen = longest_period([r.period for r in sources])
    grade = highest[0].grade
    notes = [f"grade {grade}: the highest grade of the sources ({', '.join(r.id for r in highest)}) "
             f"(继承来源文件最高密级)"]
    if chosen.comparable:
        notes.append(f"period {chosen.period}: {chosen.why} (取来源文件最长保密期限)")
        return Inherited(top, chosen.period, tuple(notes))
    first = highest[0]
    notes.append(f"period {first.period}: {chosen.why}, so the period of {first.id}, the first "
                 f"source of the highest grade {grade}, is taken (期限无法比较，取最高密级来源的期限)")
    return Inherited(top, first.period, tuple(notes))


def _with_suggestion(scheme: Scheme, inherited: Inherited, suggested: int,
                     suggested_period: str | None) -> Inherited:
    """The inherited grade, raised to the classifier's suggestion for the new draft when that is
    higher (never lowered), with a period that fits the grade taken."""
    if suggested <= inherited.level:
        note = (f"the classifier suggests {scheme.label(suggested)} for the new draft; the "
                f"inherited {scheme.label(inherited.level)} stands (不低于来源文件密级)")
        return Inherited(inherited.level, check_period(scheme, inherited.level, inherited.period),
                         (*inherited.notes, note))
    chosen = longest_period([inherited.period, suggested_period])
    period = chosen.period if chosen.comparable else suggested_period
    note = (f"the classifier suggests {scheme.label(suggested)} for the new draft, above the "
            f"inherited {scheme.label(inherited.level)}: the higher grade is taken, period "
            f"{period} (建议密级更高，从高定密)")
    return Inherited(suggested, check_period(scheme, suggested, period), (*inherited.notes, note))


def _cited(sources: list[DocumentRecord]) -> list[dict[str, Any]]:
    return [{"document_id": r.id, "title": r.title, "grade": r.grade, "level": r.level,
             "period": r.period} for r in sources]


def derive(office: Office, kind: str, source_ids: list[str], classification: Any, *, title: str,
           approver: str | None, role: str | None, reason: str | None, actor: str) -> Derivation:
    """摘录/汇编: register the new draft of ``classification`` as a ``kind`` (extract or compile)
    of ``source_ids`` with the grade and period it inherits and its sources cited."""
    if kind not in (EXTRACT, COMPILE):
        raise UsageError(f"'{kind}' is not extract or compile")
    title = " ".join((title or "").split())
    if not title:
        raise UsageError("the title of the new document is required; give --title TEXT (须填写标题)")
    sources = _sources(office, kind, source_ids)
    scheme = all_schemes()[sources[0].scheme]
    if classification.scheme.name != scheme.name:
        raise UsageError(f"the new draft was classified on {classification.scheme.name} but its "
                         f"sources are marked on {scheme.name}; give --scheme {scheme.name}")
    decided = _with_suggestion(scheme, inherit(sources), classification.level,
                               classification.period)
    approval = check_approval(approver, role, reason, decided.level, scheme.label(decided.level),
                              kind)
    draft = classification.document
    refuse_marked_draft(draft)
    record = _record(office, kind, draft, title, scheme, decided, classification, sources, actor)
    seq = _commit(office, record, kind, approval, sources, decided, actor)
    return Derivation(kind, record.id, title, scheme.name, record.grade, record.level,
                      record.period, classification.grade, tuple(_cited(sources)),
                      decided.notes, approval, seq)


def _record(office: Office, kind: str, draft: Any, title: str, scheme: Scheme, decided: Inherited,
            classification: Any, sources: list[DocumentRecord], actor: str) -> DocumentRecord:
    """The register row of the derived document, citing its sources in basis and rationale."""
    cites = "; ".join(f"{r.id}《{r.title}》{r.grade}" + (f" {r.period}" if r.period else "")
                      for r in sources)
    basis = f"{KIND_ZH[kind]}自 {kind} of: {cites}"
    rationale = (*classification.suggestion.rationale,
                 f"{KIND_ZH[kind]} ({kind}) of {len(sources)} registered document(s): {cites}",
                 *decided.notes)
    return DocumentRecord(
        id=document_id_for(draft), title=title, source_sha256=draft.sha256, kind=draft.kind,
        language=draft.language, scheme=scheme.name, grade=scheme.label(decided.level),
        level=decided.level, period=decided.period, suggested_grade=classification.grade,
        suggested_level=classification.level, justification=None, basis=basis,
        rationale=tuple(rationale), decided_by=actor, decided_at=office.register.clock())


def _commit(office: Office, record: DocumentRecord, kind: str, approval: Approval,
            sources: list[DocumentRecord], decided: Inherited, actor: str) -> int:
    """Register the document, its ``derived`` event and its rows in one transaction."""
    register = office.register
    key = office.key()
    with register.transaction():
        if register.get_document(record.id) is not None:
            raise RegisterError(f"{record.id} (the new draft) is already registered; an {kind} "
                                "needs a draft of its own; nothing was recorded (新草稿已登记)")
        register.add_document(record, key, actor)
        detail = derivation_detail(kind, approval, _cited(sources), grade=record.grade,
                                   period=record.period, rules=list(decided.notes))
        seq = register.append_event(key, actor, DERIVED, record.id, None, detail)
        register.add_derivations(rows_of(seq, record.id, detail))
    return seq
