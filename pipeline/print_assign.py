"""Hand-out of print-run copies (打印室分发), and what a trace says of such a copy.

A print run (:mod:`pipeline.print_run`) makes numbered copies before anyone is named: each is
``unassigned``, with the print run's marker as its recipient id and no recipient name. When
the print room hands one out, the person signs for it (``mijian register sign COPY --by NAME``)
and :func:`assign` names them: the row gets their name and unit, the copy becomes ``signed``
and held like an issued copy, and the signed ``signed`` event states who handed it out (the
actor), to whom, and every fact of the row (so ``register verify`` catches a later edit of
the holder). Who holds a print-run copy is therefore always in the signed log.

A copy that was handed out cannot be signed for by someone else: that would move it to a
second person without a return. It is refused naming its holder.
"""

from __future__ import annotations

import dataclasses
import json

from mijian.pipeline.errors import RegisterError, UsageError
from mijian.pipeline.office import Office
from mijian.pipeline.register import CopyRecord, CopyStatus
from mijian.pipeline.register_store import RegisterStore
from mijian.pipeline.trace_model import Layer, TraceResult

UNASSIGNED_EVENT = CopyStatus.UNASSIGNED
"""Event action that leaves a freshly made print-run copy unassigned; its detail names the run."""

RUN_PREFIX = "print-run:"
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


def _hand_out(register: RegisterStore, copy_id: str) -> dict | None:
    """The detail of the event that handed a print-run copy out (with its actor and time)."""
    for event in register.events(copy_id):
        detail = json.loads(event.detail)
        if event.action == CopyStatus.SIGNED and detail.get("assigned"):
            return {**detail, "actor": event.actor, "at": event.at}
    return None


def assign(office: Office, copy_id: str, by: str, unit: str | None, actor: str) -> CopyRecord:
    """Hand an unassigned copy out to ``by`` (of ``unit``): name them as its holder, signed."""
    name = " ".join(by.split())
    if not name or any(not c.isprintable() for c in by.strip()):
        raise UsageError("the person the copy is handed to must be one line of text; give "
                         "--by NAME (领取人须为一行文字)")
    register = office.register
    key = office.key()
    with register.transaction():
        record = register.get_copy(copy_id)
        if record is None or record.status != CopyStatus.UNASSIGNED:
            raise RegisterError(f"copy {copy_id} is not an unassigned print-run copy; nothing was "
                                "changed; check 'mijian register show' (该份不是未分发的打印件)")
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


def refuse_other_holder(register: RegisterStore, record: CopyRecord, by: str) -> None:
    """Refuse (exit 4) signing for a handed-out print-run copy by anyone but its holder."""
    given = _hand_out(register, record.copy_id)
    if given is None or " ".join(by.split()) == record.recipient_name:
        return
    raise RegisterError(f"copy {record.copy_id} (份号 {record.serial}) was handed out to "
                        f"{record.recipient_name} on {given['at']}; it cannot be signed for by "
                        f"{by}; nothing was changed; return it first (该份已分发给"
                        f"{record.recipient_name}，不能由他人签收)")


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
    how = (f"handed out to {record.recipient_name} by {given['handed_out_by']} on {given['at']}"
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
