"""Change of grade, period or scope (变更) and declassification (解密) of a registered document.

A document's grade is decided once, when it is first issued (the ``decided`` event). Later the
classification authority may change its grade, its period or its scope (知悉范围), or
declassify it. Each such decision is made by a named approver with a written justification,
which is always required here (the rules require one for lowering a grade, shortening a
period and declassifying; asking for it every time keeps the record complete and spares the
register from judging whether a free-text period is shorter). Every holder of an unreturned
copy must be told in writing (保密法第23条), so the result lists them.

How it is recorded, and why this way:

- One signed event per decision, action ``changed`` or ``declassified``, on the document
  (no copy). Its detail states the new ``grade``, ``level`` and ``period`` at the top level:
  :func:`pipeline.register_facts.expected_document` takes the latest value of each document
  fact from the document's events, so ``register verify`` and every lookup then expect the
  row to hold the new values, and an edit of the row (or of the event) is caught like any
  other. The old values are under ``from``; the approver and the justification of the change
  under ``approver`` and ``change_justification`` (``justification`` is a fact of the first
  decision, the reason a grade below the suggestion was chosen, and stays as it was).
- The scope has no column in the documents table: it lives in the events only (the latest
  ``scope`` stated), so no schema change is needed and it is as tamper-evident as the log.
- A declassified document keeps its row, now at the ladder's level 0 (公开 / UNCLASSIFIED)
  without a period or scope (a public document has none); the ``declassified`` event is what
  makes it final: it cannot be changed or issued again.

All SQL of this feature is here, as small functions taking the register.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from mijian.pipeline.derive_names import refuse_self_approval
from mijian.pipeline.errors import RegisterError, UsageError
from mijian.pipeline.lifecycle import Holder, holders
from mijian.pipeline.marking import grade_mark
from mijian.pipeline.office import Office
from mijian.pipeline.register import DocumentRecord
from mijian.pipeline.register_store import RegisterStore
from mijian.pipeline.schemes import Scheme, all_schemes, check_period

CHANGED = "changed"
DECLASSIFIED = "declassified"
DECIDED = "decided"
DERIVED = "derived"
CHANGE_ACTIONS = (CHANGED, DECLASSIFIED)

NOTIFIED = ("issued", "signed")
"""Statuses of a copy whose holder is told of a change: returned, destroyed and voided copies
are held by nobody, and a lost copy's holder is unknown (the loss is followed up on its own)."""


@dataclass(frozen=True)
class DocumentMarking:
    """What a document is marked with: grade (and its ladder level), period, scope (知悉范围),
    and ``mark``, the grade as printed on its scheme (``机密★20年``, ``SECRET``)."""

    grade: str
    level: int
    period: str | None
    scope: str | None
    mark: str

    def text(self) -> str:
        """The marking in one line, with the period when the printed mark does not show it and
        the scope when there is one."""
        words = [self.mark]
        if self.period and self.period not in self.mark:
            words.append(self.period)
        if self.scope:
            words.append(f"(知悉范围 scope: {self.scope})")
        return " ".join(words)


def _marking_of(scheme: Scheme, level: int, period: str | None, scope: str | None) -> DocumentMarking:
    try:
        mark = grade_mark(scheme, level, period)
    except ValueError:  # a register row from before periods were required: shown as it is
        mark = scheme.label(level)
    return DocumentMarking(scheme.label(level), level, period, scope, mark)


@dataclass(frozen=True)
class GradeChange:
    """One recorded change or declassification, and who must be told of it."""

    document_id: str
    title: str
    action: str
    seq: int
    at: str
    approver: str
    justification: str
    old: DocumentMarking
    new: DocumentMarking
    holders: tuple[Holder, ...]

    def to_json(self) -> dict[str, Any]:
        """The change as a JSON object (holders with their 份号)."""
        return {"document_id": self.document_id, "title": self.title, "action": self.action,
                "event": self.seq, "at": self.at, "approver": self.approver,
                "justification": self.justification, "old": self.old.__dict__,
                "new": self.new.__dict__, "holders": [h.__dict__ for h in self.holders]}


@dataclass(frozen=True)
class DecisionEvent:
    """One entry of a document's decision history: the first decision or a later change."""

    seq: int
    at: str
    actor: str
    action: str
    detail: dict[str, Any]


@dataclass(frozen=True)
class DecisionHistory:
    """A document's current marking, whether it is declassified, and its decision events."""

    document_id: str
    title: str
    scheme: str
    current: DocumentMarking
    declassified: bool
    events: tuple[DecisionEvent, ...]

    def to_json(self) -> dict[str, Any]:
        """The history as a JSON object."""
        return {"document_id": self.document_id, "title": self.title, "scheme": self.scheme,
                "current": self.current.__dict__, "declassified": self.declassified,
                "events": [e.__dict__ for e in self.events]}


def decision_events(register: RegisterStore, document_id: str) -> tuple[DecisionEvent, ...]:
    """The ``decided``, ``derived`` (an extract or compilation, with its sources), ``changed``
    and ``declassified`` events of a document, oldest first.

    Read after :meth:`Register.get_document`, which checked each of the document's events
    (hash and signature) and the row against them."""
    events = register.document_events(document_id, (DECIDED, DERIVED, *CHANGE_ACTIONS))
    return tuple(DecisionEvent(e.seq, e.at, e.actor, e.action, json.loads(e.detail)) for e in events)


def _known(register: RegisterStore, document_id: str) -> DocumentRecord:
    document = register.get_document(document_id)
    if document is None:
        raise RegisterError(f"document {document_id} is not in the register; check the id in "
                            "manifest.json or 'mijian register list' (登记簿中没有此文件)")
    return document


def _marking(document: DocumentRecord, events: tuple[DecisionEvent, ...]) -> DocumentMarking:
    """The document's marking now: grade and period from its (checked) row, the scope from the
    latest event that stated one (a declassification states None)."""
    scopes = [e.detail["scope"] for e in events if "scope" in e.detail]  # None: no scope set
    return _marking_of(all_schemes()[document.scheme], document.level, document.period,
                       scopes[-1] if scopes else None)


def history(office: Office, document_id: str) -> DecisionHistory:
    """The decision history of a document: current marking and every decision event."""
    document = _known(office.register, document_id)
    events = decision_events(office.register, document_id)
    return DecisionHistory(document_id, document.title, document.scheme, _marking(document, events),
                           any(e.action == DECLASSIFIED for e in events), events)


def refuse_declassified(register: RegisterStore, document_id: str, doing: str = "issued") -> None:
    """Refuse (exit 4) a step on a declassified document: it is final."""
    found = register.document_events(document_id, (DECLASSIFIED,))
    if found:
        raise RegisterError(f"document {document_id} was declassified (event {found[0].seq}); it "
                            f"cannot be {doing} again; nothing was {doing} (已解密，不能再{_ZH[doing]})")


_ZH = {"issued": "分发", "changed": "变更", "printed": "印制"}


def _one_line(text: str, what: str, option: str) -> str:
    """``text`` when it has no line break or other control character: the notice prints one
    fact a line, so a line break in a name or reason could forge another line (a second
    approver, a new marking) on the paper the holders are given."""
    if any(not c.isprintable() for c in text):
        raise UsageError(f"{what} contains a line break or control character; give {option} "
                         "as one line of text (不能含换行或控制字符)")
    return text


def _required(value: str | None, what: str, option: str, zh: str) -> str:
    text = (value or "").strip()
    if not text:
        raise UsageError(f"{what} is required and was empty; give {option} (须填写{zh})")
    return _one_line(text, what, option)


def _new_period(scheme: Scheme, old: DocumentMarking, level: int, period: str | None) -> str | None:
    """The period after a change: the one given (checked for the grade), else the old one if
    the new grade allows it, else the new grade's default; None for grades without a period."""
    if period is not None and period.strip():
        checked = check_period(scheme, level, period)
    elif scheme.max_years[level] == 0 and not scheme.default_period(level):
        checked = None
    else:
        try:
            checked = check_period(scheme, level, old.period)
        except UsageError:
            raise UsageError(f"the registered period {old.period} does not fit grade "
                             f"{scheme.label(level)}; give --period for the new grade "
                             "(原保密期限不适用于新密级，请指定期限)") from None
    if scheme.star and level >= 2 and not checked:
        raise UsageError(f"grade {scheme.label(level)} needs a period; give --period like 10年")
    return checked


def _changed_marking(scheme: Scheme, old: DocumentMarking, grade: str | None, period: str | None,
                     scope: str | None) -> DocumentMarking:
    """The marking a change asks for, checked against the document's scheme."""
    scope = _one_line((scope or "").strip(), "the scope", "--scope TEXT") or None
    if grade is None and not (period or "").strip() and scope is None:
        raise UsageError("nothing to change: give --grade, --period or --scope "
                         "(须指定新的密级、期限或知悉范围)")
    level = old.level if grade is None else scheme.level_of(grade)
    if level == 0:
        raise UsageError(f"grade {scheme.label(0)} means the document is no longer classified; "
                         "use 'mijian register declassify' instead (解密请用 declassify)")
    new = _marking_of(scheme, level, _new_period(scheme, old, level, period),
                      scope if scope is not None else old.scope)
    if new == old:
        raise UsageError(f"the document is already marked {old.text()}; nothing to change "
                         "(与登记的标志相同)")
    return new


def change(office: Office, document_id: str, *, grade: str | None = None,
           period: str | None = None, scope: str | None = None, approver: str | None,
           justification: str | None, actor: str) -> GradeChange:
    """变更: change a document's grade, period and/or scope by ``approver``'s decision.

    The grade and period are checked against the document's scheme as at issue; a grade
    change keeps the old period if it fits the new grade. Refusals change nothing.
    """
    approver = _required(approver, "the approver of the change", "--approver NAME", "审批人")
    justification = _required(justification, "the justification of the change",
                              "--justification TEXT", "变更理由")
    # a change is decided by someone else than the clerk who records it (exit 2)
    refuse_self_approval(approver, "change", requester=actor)
    register = office.register
    key = office.key()
    with register.transaction():
        document = _known(register, document_id)
        refuse_declassified(register, document_id, "changed")
        old = _marking(document, decision_events(register, document_id))
        new = _changed_marking(all_schemes()[document.scheme], old, grade, period, scope)
        seq = _record(register, key, actor, CHANGED, document_id, old, new, approver, justification)
    return _result(office, document, CHANGED, seq, approver, justification, old, new)


def declassify(office: Office, document_id: str, *, approver: str | None,
               justification: str | None, actor: str) -> GradeChange:
    """解密: declassify a document by ``approver``'s decision; final (no change or issue after)."""
    approver = _required(approver, "the approver of the declassification", "--approver NAME",
                         "审批人")
    justification = _required(justification, "the justification of the declassification",
                              "--justification TEXT", "解密理由")
    refuse_self_approval(approver, "declassification", requester=actor)
    register = office.register
    key = office.key()
    with register.transaction():
        document = _known(register, document_id)
        refuse_declassified(register, document_id, "changed")
        old = _marking(document, decision_events(register, document_id))
        scheme = all_schemes()[document.scheme]
        new = _marking_of(scheme, 0, None, None)  # a public document has no 知悉范围 to keep
        seq = _record(register, key, actor, DECLASSIFIED, document_id, old, new, approver,
                      justification)
    return _result(office, document, DECLASSIFIED, seq, approver, justification, old, new)


def _record(register: RegisterStore, key: Any, actor: str, action: str, document_id: str, old: DocumentMarking,
            new: DocumentMarking, approver: str, justification: str) -> int:
    """Update the row and append the signed event stating its new facts (in the transaction)."""
    register.set_marking(document_id, new.grade, new.level, new.period)
    detail = {"grade": new.grade, "level": new.level, "period": new.period, "scope": new.scope,
              "from": old.__dict__, "approver": approver, "change_justification": justification}
    return register.append_event(key, actor, action, document_id, None, detail)


def _result(office: Office, document: DocumentRecord, action: str, seq: int, approver: str,
            justification: str, old: DocumentMarking, new: DocumentMarking) -> GradeChange:
    """The committed change with its time and the holders who must be told."""
    at = office.register.event_time(seq) or ""
    told = tuple(h for h in holders(office, document.id) if h.status in NOTIFIED)
    return GradeChange(document.id, document.title, action, seq, at, approver, justification,
                       old, new, told)


def last_change(office: Office, document_id: str) -> GradeChange:
    """The latest change or declassification of a document as recorded, with the holders who
    must be told of it now (to print its notice again); RegisterError when there is none."""
    found = history(office, document_id)
    changes = [e for e in found.events if e.action in CHANGE_ACTIONS]
    if not changes:
        raise RegisterError(f"document {document_id} has had no change of grade, period or scope "
                            "and was not declassified; there is no notice to write "
                            "(此文件无变更或解密记录)")
    event = changes[-1]
    old = DocumentMarking(**event.detail["from"])
    scheme = all_schemes()[found.scheme]
    new = _marking_of(scheme, event.detail["level"], event.detail["period"], event.detail["scope"])
    document = _known(office.register, document_id)
    return _result(office, document, event.action, event.seq, event.detail["approver"],
                   event.detail["change_justification"], old, new)
