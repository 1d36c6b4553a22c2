"""Hand-out of print-run copies (打印室分发), and what a trace says of such a copy.

A print run (:mod:`pipeline.print_run`) makes numbered copies before anyone is named: each is
``unassigned``, with the print run's marker as its recipient id and no recipient name. When
the print room hands one out, the person signs for it (``mijian register sign COPY --by NAME``)
and :func:`assign` names them: the row gets their name and unit, the copy becomes ``signed``
and held like an issued copy, and the signed ``signed`` event states who handed it out (the
actor), to whom, and every fact of the row (so ``register verify`` catches a later edit of
the holder). Who holds a print-run copy is therefore always in the signed log.

A copy that was handed out cannot be signed for by someone else: that would move it to a
second person without a return. It is refused naming its holder. Also refused: handing a copy
to someone who already holds a copy of the document (one numbered copy per holder, as in
issuing), and any hand-out while the register is older than its signed head (a restored
backup may have lost the event that handed this very copy to someone else).
"""

from __future__ import annotations

import dataclasses
import json

from mijian.pipeline.derive_names import MARKER_PREFIX, one_line, refuse_marker, same_person
from mijian.pipeline.errors import RegisterError, UsageError
from mijian.pipeline.office import Office
from mijian.pipeline.register import CopyRecord, CopyStatus
from mijian.pipeline.register_records import GONE
from mijian.pipeline.register_store import RegisterStore
from mijian.pipeline.trace_model import Layer, TraceResult

UNASSIGNED_EVENT = CopyStatus.UNASSIGNED
"""Event action that leaves a freshly made print-run copy unassigned; its detail names the run."""

RUN_PREFIX = MARKER_PREFIX
"""Recipient id of an unassigned copy: this prefix and the print run's id (a marker, not a person)."""

PRINT_ROOM = "打印室 print room"
"""Unit recorded for an unassigned copy when the print run names none."""


def run_of(register: RegisterStore, copy_id: str) -> str | None:
    """The print run a copy came from (read from its signed ``unassigned`` event), or None
    for a copy issued to a named recipient."""
    for event in register.events(copy_id):
        if event.action == UNASSIGNED_EVENT:
            run = json.loads(event.detail).get("print_run")
            return str(run) if run else None
    return None


def _printed_at(register: RegisterStore, copy_id: str) -> str:
    """When a print-run copy was printed (the time of its ``unassigned`` event)."""
    return next((e.at for e in register.events(copy_id) if e.action == UNASSIGNED_EVENT), "?")


def _hand_out(register: RegisterStore, copy_id: str) -> dict | None:
    """The detail of the event that handed a print-run copy out (with its actor and time)."""
    for event in register.events(copy_id):
        detail = json.loads(event.detail)
        if event.action == CopyStatus.SIGNED and detail.get("assigned"):
            return {**detail, "actor": event.actor, "at": event.at}
    return None


def assign(office: Office, copy_id: str, by: str, unit: str | None, actor: str) -> CopyRecord:
    """Hand an unassigned copy out to ``by`` (of ``unit``): name them as its holder, signed."""
    name = one_line(by, "the person the copy is handed to", "--by NAME", "领取人")
    refuse_marker(name, "--by NAME")
    unit = one_line(unit, "the unit of the person the copy is handed to", "--unit TEXT",
                    "领取人单位", required=False)
    register = office.register
    key = office.key()
    state = register.freshness()  # a restored register may have lost this copy's hand-out
    if not state.ok:
        raise RegisterError(f"{state.problem}; nothing was handed out: the copy may already be "
                            "someone's in the lost events (登记簿已回退，不能分发)")
    with register.transaction():
        record = register.get_copy(copy_id)
        if record is None or record.status != CopyStatus.UNASSIGNED:
            raise RegisterError(f"copy {copy_id} is not an unassigned print-run copy; nothing was "
                                "changed; check 'mijian register show' (该份不是未分发的打印件)")
        _refuse_second_copy(register, record, name)
        run = run_of(register, copy_id)
        holder = (name, name, (unit or "").strip() or record.recipient_unit)
        detail = {"serial": record.serial, "from": CopyStatus.UNASSIGNED, "by": name,
                  "assigned": True, "print_run": run, "handed_out_by": actor,
                  "recipient_id": holder[0], "recipient_name": holder[1],
                  "recipient_unit": holder[2]}
        done = register.assign_copy(copy_id, holder, key, actor, detail)
        document = register.get_document(record.document_id)
        if document is not None and document.level >= 3:  # 机密 and above: who may read it
            register.append_event(key, actor, "access", record.document_id, copy_id,
                                  {"recipient_id": holder[0], "recipient_name": holder[1],
                                   "recipient_unit": holder[2], "grade": document.grade,
                                   "approver": None, "print_run": run})
    return done


def _refuse_second_copy(register: RegisterStore, record: CopyRecord, name: str) -> None:
    """Refuse (exit 2) handing a copy to someone who already holds one of the document, by name
    or id as a reader compares them: a holder gets one numbered copy, as in issuing."""
    for held in register.list_copies(record.document_id, outstanding=True):
        if held.copy_id == record.copy_id or held.status in GONE:  # lost: held by nobody
            continue
        if same_person(held.recipient_name, name) or same_person(held.recipient_id, name):
            raise UsageError(f"{name} already holds copy {held.copy_id} (份号 {held.serial}) of "
                             f"{record.document_id}; a holder gets one numbered copy; nothing was "
                             "handed out; hand this copy to someone else (该人员已持有此文件)")


def refuse_other_holder(register: RegisterStore, record: CopyRecord, by: str) -> None:
    """Refuse (exit 4) signing for a handed-out print-run copy by anyone but its holder."""
    if record.status not in (CopyStatus.ISSUED, CopyStatus.SIGNED):
        return  # returned, destroyed, lost: the lifecycle refuses it, saying what it is now
    given = _hand_out(register, record.copy_id)
    if given is None or " ".join(by.split()) == record.recipient_name:
        return
    raise RegisterError(f"copy {record.copy_id} (份号 {record.serial}) was handed out to "
                        f"{record.recipient_name} on {given['at']}; it cannot be signed for by "
                        f"{by}; nothing was changed; return it first (该份已分发给"
                        f"{record.recipient_name}，不能由他人签收)")


def refuse_mixed_up_copy(register: RegisterStore, record: CopyRecord, by: str) -> None:
    """Refuse (exit 4) signing for a copy by someone who holds another copy of the same
    document: the clerk has the wrong 份号 in hand. Recorded, the register would say the
    copy of one person was signed for by another, and a leak of the paper that person took
    away would name the recipient of the other copy. Anyone else may sign (a secretary for
    the recipient); the name is recorded as given."""
    if record.status not in (CopyStatus.ISSUED, CopyStatus.SIGNED) or same_person(by, record.recipient_name) \
            or by.strip() == record.recipient_id:
        return
    for other in register.list_copies(record.document_id, outstanding=True):
        if other.copy_id != record.copy_id and (same_person(by, other.recipient_name)
                                                or by.strip() == other.recipient_id):
            raise RegisterError(f"copy {record.copy_id} (份号 {record.serial}) is "
                                f"{record.recipient_name}'s, but {by} holds 份号 {other.serial} of this "
                                "document; nothing was changed; sign for that copy (签收人持有本文件的"
                                f"另一份：份号 {other.serial})")


def trace_view(register: RegisterStore, result: TraceResult) -> TraceResult:
    """The trace of a print-run copy: unassigned, it names the run and serial and no person;
    handed out, it names the holder and who handed it out. Other results are left as they are."""
    if result.copy_id is None:
        return _whole_run(register, result)
    run = run_of(register, result.copy_id)
    record = register.get_copy(result.copy_id)
    if run is None or record is None:
        return result
    if record.status == CopyStatus.UNASSIGNED:
        layer = Layer("print-run", "unassigned", f"copy from print run {run}, 份号 {record.serial} "
                      f"of {record.document_id}, printed for {record.recipient_unit} and not yet "
                      "handed out: no person is named (打印室印制，尚未分发，不指认任何人)")
        return dataclasses.replace(result, recipient_id=None, recipient_name=None, print_run=run,
                                   handed_out=False, layers=result.layers + (layer,))
    given = _hand_out(register, result.copy_id)
    how = (f"printed on {_printed_at(register, result.copy_id)} and kept unassigned by the "
           f"print room until handed out to {record.recipient_name} by "
           f"{given['handed_out_by']} on {given['at']}: before that day nobody held it "
           f"(此前由打印室保管，未分发)"
           if given else f"now {record.status}, held by {record.recipient_name or 'nobody'}")
    layer = Layer("print-run", "handed out" if given else record.status,
                  f"copy from print run {run}, 份号 {record.serial}: {how} (打印室分发)")
    named = given is not None  # returned or destroyed before hand-out: still nobody to name
    return dataclasses.replace(result, print_run=run, handed_out=named,
                               recipient_id=result.recipient_id if named else None,
                               recipient_name=result.recipient_name if named else None,
                               layers=result.layers + (layer,))


def _whole_run(register: RegisterStore, result: TraceResult) -> TraceResult:
    """A leak with the marks of several copies, all of one print run (the run PDF itself, or
    pages of several of its copies): say so; still nobody is named."""
    if len(result.points_to) < 2:
        return result
    runs = {run_of(register, p.copy_id) for p in result.points_to}
    if len(runs) != 1 or None in runs:
        return result
    (run,) = runs
    serials = sorted(p.serial or "?" for p in result.points_to)
    layer = Layer("print-run", "several copies of one run",
                  f"the marks of {len(serials)} copies of print run {run} (份号 {', '.join(serials)}) "
                  "are present: the print-run PDF, or pages of several of its copies; no person is "
                  "named (同一印制批次的多份)")
    return dataclasses.replace(result, print_run=run, layers=result.layers + (layer,))
