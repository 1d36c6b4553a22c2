"""Issuing under the decision the register holds (定密在先，分发依登记).

Once a document is registered (its first issue recorded the ``decided`` event; ``mijian
derive extract|compile`` registers a derived draft before it is issued; ``mijian register
change`` or ``declassify`` later moves it), its grade, period, scheme and 知悉范围 are those of
the register, not of a new reading of the draft. A run of ``issue`` then needs no ``--grade``
or ``--period``, and the rules are:

- Nothing given: the registered grade, period, scheme and scope are issued under.
- A grade or period given that is the registered one: accepted (a script that names it keeps
  working). One that differs is refused (exit 4, nothing written): a change of grade or
  period reaches every holder of a copy only through ``mijian register change``, which
  records the approver and lists the holders to tell; an issue run that quietly marked new
  copies otherwise would leave earlier holders with copies under another marking.
- A scheme given that is not the registered one: refused likewise (grades of two schemes are
  not one ladder).
- A justification given again is not recorded: the register keeps the one of the first
  decision (why a grade below the suggestion was chosen) and those of its changes.
- The classifier still reads the draft, but never decides: when its suggestion is above the
  registered grade (and above the suggestion the decision was made against), the run goes
  on at the registered grade and says so in a warning naming the change command, because
  raising a grade is the authority's decision, made through the change flow, and a block
  here would stop the clerk who cannot make it. A suggestion below the registered grade is
  not reported: a grade is never lowered by a reading.
- A declassified document is refused (exit 4), not issued without marks. 解密 makes it a
  public document: it leaves the register's control, and a secrecy office hands out the
  public text as it is. Numbered, fingerprinted, register-tracked copies of a public
  document would put holders under duties (签收、清退、销毁) that no longer apply, and a copy
  without secrecy marks made by the copy machinery would still carry a 份号 and codes that
  look like a controlled copy. The error says to hand out the draft itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mijian.pipeline.decision import Decision
from mijian.pipeline.errors import RegisterError, UsageError
from mijian.pipeline.office import Office
from mijian.pipeline.register import DocumentRecord
from mijian.pipeline.register_changes import DECLASSIFIED, history
from mijian.pipeline.schemes import Scheme, all_schemes, check_period


@dataclass(frozen=True)
class Registered:
    """A document's decision as the register holds it now: its (checked) row, its scope
    (知悉范围, from the latest decision event that stated one), its printed marking, and the
    event that declassified it (None while it is classified)."""

    record: DocumentRecord
    scope: str | None
    mark: str
    declassified_event: int | None


def registered(office: Office, document_id: str) -> Registered | None:
    """The registered decision of ``document_id``, or None when it is not registered.

    The row and its events are checked against their signatures as they are read (a row
    that disagrees with its events is refused with :class:`RegisterError`)."""
    record = office.register.get_document(document_id)
    if record is None:
        return None
    found = history(office, document_id)
    declassified = [e.seq for e in found.events if e.action == DECLASSIFIED]
    return Registered(record, found.current.scope, found.current.text(),
                      declassified[0] if declassified else None)


def decision_of(found: Registered) -> Decision:
    """The registered decision as the one the copies are issued under."""
    r = found.record
    return Decision(scheme=r.scheme, level=r.level, grade=r.grade, period=r.period,
                    suggested_level=r.suggested_level, suggested_grade=r.suggested_grade,
                    justification=r.justification, basis=r.basis, rationale=tuple(r.rationale),
                    scope=found.scope)


def _differs(found: Registered, option: str, value: str) -> RegisterError:
    """The refusal of an option that would change the registered decision."""
    doc = found.record.id
    return RegisterError(
        f"{doc} is registered as {found.mark}; {option} {value} differs and nothing was issued; "
        f"a change goes through 'mijian register change {doc} {option} {value} --approver NAME "
        "--justification TEXT' so every holder is told, then issue without it "
        "(变更密级或期限须经变更程序)")


def refuse_if_declassified(found: Registered) -> None:
    """Refuse to issue a declassified document (see the module's notes for why)."""
    if found.declassified_event is not None:
        raise RegisterError(
            f"{found.record.id} was declassified (event {found.declassified_event}): it is public "
            "now and is not issued as numbered secret copies; nothing was issued; hand out the "
            "draft itself, unmarked (已解密，按公开文件处理，不再分发密件)")


def scheme_of(found: Registered, asked: str | None) -> Scheme:
    """The registered scheme; one asked for that is another is refused."""
    if asked is not None and asked != found.record.scheme:
        raise RegisterError(f"{found.record.id} is registered on scheme {found.record.scheme}; "
                            f"--scheme {asked} differs and nothing was issued; leave out --scheme "
                            "(已按登记的密级体系定密)")
    return all_schemes()[found.record.scheme]


def standing_decision(found: Registered, scheme: Scheme, grade: str | None,
                      period: str | None) -> Decision:
    """The registered decision, after checking that a ``grade`` or ``period`` given (if any)
    is the registered one (:class:`RegisterError` naming ``mijian register change`` if not;
    :class:`UsageError` for a grade the scheme does not know or a malformed period)."""
    refuse_if_declassified(found)
    record = found.record
    if grade is not None and grade.strip() and scheme.level_of(grade.strip()) != record.level:
        raise _differs(found, "--grade", grade.strip())
    if period is not None and period.strip():
        try:
            checked = check_period(scheme, record.level, period)
        except UsageError:
            raise _differs(found, "--period", period.strip()) from None
        if checked != record.period:
            raise _differs(found, "--period", period.strip())
    return decision_of(found)


def higher_suggestion(found: Registered, classification: Any) -> str | None:
    """A warning when the classifier now suggests a grade above the registered one, else None.

    Not a refusal: the registered grade stands until the authority changes it. A suggestion
    no higher than the one registered with the decision is not repeated: the authority saw
    it and chose the registered grade with a recorded justification (or lowered it since by
    a recorded change). The same draft reads higher only when the office's catalogue or the
    classifier has changed since, which is news for the authority."""
    record = found.record
    if classification.level <= max(record.level, record.suggested_level):
        return None
    return (f"the draft now reads as {classification.grade} (classifier suggestion), above the "
            f"registered {record.grade}; issued at the registered grade; if it should be higher, "
            f"run 'mijian register change {record.id} --grade {classification.grade} --approver "
            "NAME --justification TEXT' (内容建议密级高于登记密级，已按登记密级分发)")
