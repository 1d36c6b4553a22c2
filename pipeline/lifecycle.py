"""The life of a copy: 签收 sign for, 清退 return, 销毁 destroy, loss, and who still holds what.

A copy is ``issued`` when it is made. From there the verbs below move it, each in one
write-locked register transaction that updates ``copies.status`` / ``status_at`` and appends
one chained, signed event whose action is the new status. Which verb may start from which
status is the data in :data:`TRANSITIONS`; anything else is refused with a
:class:`~pipeline.errors.RegisterError` and nothing is changed.

::

    issued ──sign_for──▶ signed
    issued / signed ──return_copy──▶ returned
    issued / signed / returned ──destroy──▶ destroyed   (approver and witness, two people)
    issued / signed ──mark_lost──▶ lost
    pending ──void──▶ voided   (a reserved serial whose copy was never made)

A copy is ``pending`` between the reservation of its serial and the commit of its file.
When its file cannot be made, the issuing run voids it itself; when the run was stopped and
will not come back, :func:`void` does it by hand, and only once the run is known to be gone
(see :mod:`pipeline.claims`). A voided copy keeps its row and serial, so the serial stays
accounted for and is never handed out again; its recipient gets a new serial next time.

``destroyed``, ``lost`` and ``voided`` are final. What this does not protect against: the register
records what the clerk enters; it cannot know whether the paper was really shredded.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from collections.abc import Mapping

from mijian.pipeline.claims import Claim, claim_alive
from mijian.pipeline.derive_names import refuse_self_approval
from mijian.pipeline.errors import RegisterError, UsageError
from mijian.pipeline.office import Office
from mijian.pipeline.register import CopyRecord, CopyStatus

ISSUED = CopyStatus.ISSUED

STATUS_ZH: Mapping[str, str] = MappingProxyType({
    CopyStatus.PENDING: "制作中", CopyStatus.VOIDED: "已作废", CopyStatus.ISSUED: "已分发",
    CopyStatus.SIGNED: "已签收", CopyStatus.RETURNED: "已清退", CopyStatus.DESTROYED: "已销毁",
    CopyStatus.LOST: "已遗失", CopyStatus.UNASSIGNED: "未分发",
})
"""Chinese names of the copy statuses, for messages."""


@dataclass(frozen=True)
class Transition:
    """One verb of a copy's life: the statuses it may start from and the status it leaves.

    ``action`` is both the event action written to the log and the copy's new status.
    """

    verb: str
    action: CopyStatus
    allowed_from: frozenset[CopyStatus]
    imperative: str
    past: str
    zh: str

    def allows(self, status: str) -> bool:
        """True when a copy in ``status`` may take this step."""
        return status in self.allowed_from


_S = CopyStatus
TRANSITIONS: Mapping[str, Transition] = MappingProxyType({
    # an unassigned copy (printed for the print room) is signed for at hand-out, which names
    # its holder (pipeline.print_assign); it may also go back, be destroyed or be lost unassigned
    "sign_for": Transition("sign_for", _S.SIGNED, frozenset({_S.ISSUED, _S.UNASSIGNED}),
                           "sign for", "signed for", "签收"),
    "return": Transition("return", _S.RETURNED, frozenset({_S.ISSUED, _S.SIGNED, _S.UNASSIGNED}),
                         "return", "returned", "清退"),
    "destroy": Transition("destroy", _S.DESTROYED,
                          frozenset({_S.ISSUED, _S.SIGNED, _S.RETURNED, _S.UNASSIGNED}),
                          "destroy", "destroyed", "销毁"),
    "mark_lost": Transition("mark_lost", _S.LOST, frozenset({_S.ISSUED, _S.SIGNED, _S.UNASSIGNED}),
                            "mark lost", "marked lost", "登记遗失"),
    "void": Transition("void", _S.VOIDED, frozenset({_S.PENDING}), "void", "voided", "作废"),
})
"""Every verb of a copy's life, by name; the allowed from-states are the whole rule."""

LIFECYCLE_ACTIONS: Mapping[str, Transition] = MappingProxyType(
    {t.action: t for t in TRANSITIONS.values()})
"""The same transitions keyed by the event action they write (``signed``, ``returned``, …)."""


@dataclass(frozen=True)
class Holder:
    """A recipient who has not returned (or had destroyed) a copy, and must be told of changes."""

    recipient_id: str
    recipient_name: str
    recipient_unit: str
    serial: str
    copy_id: str
    status: str


def possible_verbs(status: str) -> tuple[Transition, ...]:
    """The transitions a copy in ``status`` may take, in table order."""
    return tuple(t for t in TRANSITIONS.values() if t.allows(status))


def refusal(record: CopyRecord, transition: Transition) -> str:
    """The one-line reason why ``record`` cannot take ``transition``, naming what it can take."""
    options = possible_verbs(record.status)
    if options:
        now = "possible now: " + ", ".join(f"{t.imperative} ({t.zh})" for t in options)
    else:
        now = f"a {record.status} copy allows no further step"
    zh_status = STATUS_ZH.get(record.status, record.status)
    return (f"copy {record.copy_id} (份号 {record.serial}) is {record.status}; it cannot be "
            f"{transition.past}; nothing was changed; {now} "
            f"(份号 {record.serial} {zh_status}，不能{transition.zh}，未作任何更改)")


def sign_for(office: Office, copy_id: str, by: str, actor: str, unit: str | None = None) -> CopyRecord:
    """签收: record that ``by`` received the copy (issued → signed).

    An unassigned copy of a print run is handed out by this step: ``by`` (of ``unit``) becomes
    its holder (:func:`pipeline.print_assign.assign`). A print-run copy already handed out to
    someone else is refused, naming its holder."""
    from mijian.pipeline import print_assign  # it builds on this module's table

    by = _required(by, "the person who signed for the copy", "签收人")
    record = office.register.get_copy(copy_id)
    if record is not None and record.status == CopyStatus.UNASSIGNED:
        return print_assign.assign(office, copy_id, by, unit, actor)
    if record is not None:
        print_assign.refuse_other_holder(office.register, record, by)
        print_assign.refuse_mixed_up_copy(office.register, record, by)
    return _apply(office, copy_id, TRANSITIONS["sign_for"], {"by": by}, actor)


def return_copy(office: Office, copy_id: str, to: str, actor: str) -> CopyRecord:
    """清退: record that the copy came back to ``to`` (issued or signed → returned)."""
    detail = {"to": _required(to, "the person who took the copy back", "接收人")}
    return _apply(office, copy_id, TRANSITIONS["return"], detail, actor)


def destroy(office: Office, copy_id: str, approver: str, witness: str,
            method: str | None = None, actor: str = "") -> CopyRecord:
    """销毁: record an approved, witnessed destruction (issued, signed or returned → destroyed).

    ``approver`` (审批人) and ``witness`` (监销人) are required and must be two different people,
    the approver someone else than the ``actor`` who records it;
    ``method`` (e.g. 粉碎) is optional and recorded as given. ``actor`` is required like in the
    other verbs; it has a default only so that it can follow the optional ``method``.
    """
    approver = _required(approver, "the approver of the destruction", "审批人")
    witness = _required(witness, "the witness of the destruction", "监销人")
    if approver.casefold() == witness.casefold():
        raise UsageError(f"the approver and the witness of a destruction are both '{approver}'; "
                         "they must be two different people; name another witness "
                         "(审批人与监销人不得为同一人)")
    if actor:  # the clerk recording a destruction does not approve it as well (exit 2)
        refuse_self_approval(approver, "destruction", requester=actor)
    method = method.strip() if method else None
    detail = {"approver": approver, "witness": witness, "method": method or None}
    return _apply(office, copy_id, TRANSITIONS["destroy"], detail, actor)


def mark_lost(office: Office, copy_id: str, note: str, actor: str) -> CopyRecord:
    """Record that the copy is lost (issued or signed → lost), with a note on the circumstances."""
    detail = {"note": _required(note, "a note on when and where the copy was lost", "遗失情况")}
    return _apply(office, copy_id, TRANSITIONS["mark_lost"], detail, actor)


def void(office: Office, copy_id: str, reason: str, actor: str,
         other_host_gone: bool = False) -> CopyRecord:
    """作废: void a pending copy whose issuing run is gone (pending → voided).

    Refused while the run that reserved the copy may still be working on it (its claim is
    held, or it ran on another host), so a live run never sees its copy voided under it.
    A file the stopped run had already put in place is deleted.

    A run on another host cannot be checked from here; ``other_host_gone`` records the
    officer's word that it is gone (kept in the event), and is refused for a run of this host.
    """
    detail: dict = {"reason": _required(reason, "the reason for voiding the copy", "作废原因")}
    actor = _required(actor, "the name of the person recording this", "登记人")
    register = office.register
    key = office.key()
    transition = TRANSITIONS["void"]
    with register.transaction():
        record = register.get_copy(copy_id)
        if record is None:
            raise _unknown(copy_id)
        if not transition.allows(record.status):
            raise RegisterError(refusal(record, transition))
        elsewhere = _other_host(record.claim)
        if other_host_gone and not elsewhere:
            raise UsageError(f"copy {copy_id} was reserved on this host; whether its run is gone "
                             "is checked here, so --other-host-gone does not apply; leave it out "
                             "(本机预留的份号无需此选项)")
        if other_host_gone:
            detail["other_host_gone"] = elsewhere
        elif claim_alive(office.home, record.claim):
            hint = (f"if host {elsewhere} and its run are gone for good, add --other-host-gone"
                    if elsewhere else "let it finish, or stop that run and void the copy again")
            raise RegisterError(
                f"copy {copy_id} (份号 {record.serial}) is being issued by a run that is still "
                f"alive ({record.claim}); nothing was changed; {hint} "
                f"(该份仍在制作中，未作任何更改)")
        updated = register.void_copy(copy_id, key, actor, detail)
    _remove_unissued_file(updated)
    return updated


def _other_host(claim: str | None) -> str | None:
    """The host named in ``claim`` when it is not this one, else None."""
    import socket

    parsed = Claim.parse(claim)
    return parsed.host if parsed is not None and parsed.host != socket.gethostname() else None


def _remove_unissued_file(record: CopyRecord) -> None:
    """Delete the file a stopped run may have renamed into place before its commit.

    It was never handed over and its password is gone from the register; left in the
    folder it would look like an issued copy. Only a plain file under the copy's own name
    (``<serial>_…``) is removed; a link there is removed as a link, never followed.
    """
    path = Path(record.file)
    if path.name.startswith(f"{record.serial}_") and (path.is_file() or path.is_symlink()):
        path.unlink(missing_ok=True)


def history(office: Office, copy_id: str) -> list[dict]:
    """The events of one copy in order, each a dict with ``detail`` parsed and no signature."""
    events = [event.public() for event in office.register.events(copy_id)]
    if not events and office.register.get_copy(copy_id) is None:
        raise _unknown(copy_id)
    return events


def outstanding(office: Office, document_id: str | None = None) -> list[CopyRecord]:
    """Copies neither returned nor destroyed (lost ones included), by document then serial.

    Voided copies were never made, so nobody holds them: they are left out."""
    return [c for c in office.register.list_copies(document_id, outstanding=True)
            if c.status != CopyStatus.VOIDED]


def holders(office: Office, document_id: str) -> list[Holder]:
    """The recipients of a document's unreturned copies, by serial, each with its status.

    These are the people to tell in writing of a change of grade, period or scope (第23条).
    A copy marked lost is listed too, with status ``lost``, so the caller can decide.
    """
    if office.register.get_document(document_id) is None:
        raise RegisterError(f"document {document_id} is not in the register; check the id in "
                            "manifest.json (登记簿中没有此文件)")
    return [Holder(recipient_id=c.recipient_id, recipient_name=c.recipient_name,
                   recipient_unit=c.recipient_unit, serial=c.serial, copy_id=c.copy_id,
                   status=c.status)
            for c in outstanding(office, document_id)]


def _apply(office: Office, copy_id: str, transition: Transition, detail: dict,
           actor: str) -> CopyRecord:
    actor = _required(actor, "the name of the person recording this", "登记人")
    register = office.register
    key = office.key()
    with register.transaction():
        record = register.get_copy(copy_id)
        if record is None:
            raise _unknown(copy_id)
        if not transition.allows(record.status):
            raise RegisterError(refusal(record, transition))
        return register.set_status(copy_id, transition.action, key, actor,
                                   {"serial": record.serial, "from": record.status, **detail})


def _required(value: str | None, what: str, zh: str) -> str:
    text = (value or "").strip()
    if not text:
        raise UsageError(f"{what} is required and was empty; give a name or text ({zh}不能为空)")
    return text


def _unknown(copy_id: str) -> RegisterError:
    return RegisterError(f"copy '{copy_id}' is not in the register; check the copy id in "
                         "manifest.json (登记簿中没有此份)")
