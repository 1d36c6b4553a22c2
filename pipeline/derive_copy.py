"""Reproduce (复制) an issued copy: a new numbered copy of the same document for a new holder.

A reproduction is handled as an original copy: it takes the document's next serial in the
register, carries every mark and fingerprint layer of an issued copy (so a leak of it names
its own holder, never the holder of the copy it was made from), and its first page carries
the reproducing office's stamp (复制机关戳记) with the date and the parent copy's 份号. The
stamp is one more line of the copy's marking (:attr:`pipeline.model.Marking.reproduction`):
each format's writer draws it with its first-page marks and its self-check reads it back, so
PDF, DOCX and OFD documents are reproduced alike, in the format of their copies. It is
not a photocopy of the parent file: the parent's marks and fingerprints would point to the
parent's holder, so the reproduction is built from the registered draft (``--draft``, checked
against the SHA-256 the document was registered with) through the same build and self-check
as ``mijian issue``.

Refused before anything is written: no approval, or one by the wrong role for the grade
(:mod:`pipeline.derive_facts`); a parent copy that is not held (returned, destroyed, lost,
voided or still pending); a declassified document; a draft that is not the registered one; a
new holder who already holds a copy of the document.

Recorded, in the transaction that reserves the serial: the ``reserved`` event of the new copy,
then its signed ``reproduced`` event (parent copy, approval, stamp) and the ``derivations``
row restating it. The copy is then built and committed like an issued one; if its file cannot
be made, or the command is interrupted (Ctrl-C) before it is, it is voided (the serial and the
record of the approval stay; the new holder holds nothing).

Checked again, and why: the draft's bytes are hashed again when they are read to build the
copy (the file could be swapped after the first read); under the write lock, the parent is
still held, the new holder (by id or by name, as a reader compares them) holds no copy of the
document, and the document was neither declassified nor re-graded meanwhile. The approver
may be neither the person running the command nor the new holder; names are one visible line
(:mod:`pipeline.derive_names`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from mijian.pipeline.claims import RunClaim
from mijian.pipeline.copy_build import IssuedCopy, Job, VoidedCopy, build_copy
from mijian.pipeline.decision import Decision
from mijian.pipeline.crypto import sha256_hex
from mijian.pipeline.derive_facts import REPRODUCE, REPRODUCED, Approval, check_approval, derivation_detail, rows_of
from mijian.pipeline.derive_names import holder_id, one_line, refuse_serial_like, same_person
from mijian.pipeline.errors import InputError, RegisterError, UsageError
from mijian.pipeline.formats import registry
from mijian.pipeline.issue_outputs import write_outputs
from mijian.pipeline.issuing import _check_office, _reserve  # the same checks and reservation as issue
from mijian.pipeline.limits import DEFAULT_LIMITS, Limits
from mijian.pipeline.model import Document, Recipient
from mijian.pipeline.office import Office
from mijian.pipeline.register_records import GONE
from mijian.pipeline.register import CopyRecord, CopyStatus, DocumentRecord
from mijian.pipeline.schemes import all_schemes
from mijian.pipeline.run_recovery import void_abandoned
from mijian.pipeline.safe_files import close_run_staging, open_run_staging, writing_to

MAX_OFFICE_NAME = 30
"""Most characters of the reproducing office's name: with the rest of the stamp (about 50
characters in all) it fits the width of an A4 page's marks at 9 pt without shrinking."""

HELD = (CopyStatus.ISSUED, CopyStatus.SIGNED)
"""Statuses of a copy that can be reproduced: one its holder has (returned, destroyed, lost,
voided and pending copies are not in anyone's hands to copy from)."""


@dataclass(frozen=True)
class Reproduction:
    """A reproduced copy: the parent it was made from, the approval, the stamp on its first
    page, the signed event, and the copy made (with its password) or voided."""

    document_id: str
    parent_copy_id: str
    parent_serial: str
    approval: Approval
    stamp: str
    seq: int
    copy: IssuedCopy | VoidedCopy
    manifest: Path
    passwords: Path


def stamp_text(language: str, office_name: str, day: str, parent_serial: str) -> str:
    """The reproducing office's stamp (复制机关戳记) printed on the first page.

    The parent's 份号 follows a colon: the trace reads a 份号 written right before six digits
    as the serial of the copy in hand, and the parent's serial must not be taken for it (a
    leak of the reproduction would then seem to carry the marks of two copies)."""
    if language == "zh":
        return f"复制件 · 复制机关：{office_name} · 复制日期 {day} · 原份号：{parent_serial}"
    return f"REPRODUCTION · by: {office_name} · date {day} · from copy no.: {parent_serial}"


def check_office_name(office_name: str) -> str:
    """The reproducing office's name, one line of at most :data:`MAX_OFFICE_NAME` characters:
    a stamp too long for the first page's width would be drawn too small to read, and a
    stamp that cannot be read would be a reproduction that does not say it is one."""
    name = office_name.strip()
    if not name or any(not c.isprintable() for c in name):
        raise UsageError("the reproducing office's name is empty or holds a line break or control "
                         "character; give --office NAME as one line (复制机关名称须为一行)")
    if len(name) > MAX_OFFICE_NAME:
        raise UsageError(f"the reproducing office's name has {len(name)} characters, more than the "
                         f"{MAX_OFFICE_NAME} its stamp can show legibly on the first page; give a "
                         "shorter --office name (复制戳记过长)")
    return name


def _parent(office: Office, copy_id: str) -> tuple[CopyRecord, DocumentRecord]:
    """The parent copy, held, and its document, not declassified."""
    from mijian.pipeline.register_changes import DECLASSIFIED

    register = office.register
    parent = register.get_copy(copy_id)
    if parent is None:
        raise RegisterError(f"copy '{copy_id}' is not in the register; check the copy id in "
                            "manifest.json (登记簿中没有此份)")
    if parent.status not in HELD:
        raise RegisterError(f"copy {copy_id} (份号 {parent.serial}) is {parent.status}; only a copy "
                            "that is issued or signed for can be reproduced; reproduce a copy "
                            "its holder still holds (该份已不在持有人手中，不能复制)")
    document = register.get_document(parent.document_id)
    if document is None:  # a copy row without its document: the register was edited
        raise RegisterError(f"document {parent.document_id} of copy {copy_id} is missing; run "
                            "'mijian register verify'")
    found = register.document_events(document.id, (DECLASSIFIED,))
    if found:
        raise RegisterError(f"document {document.id} was declassified (event {found[0].seq}); it "
                            "is no longer classified, so reproduction needs no approval and no "
                            "numbered copy; copy the public document as it is, or issue it "
                            "anew if it is classified again (已解密，无需复制审批)")
    return parent, document


def _source(draft: Document, record: DocumentRecord, limits: Limits) -> tuple[bytes, str]:
    """The bytes the reproduction is built from (the registered draft, in the format of its
    copies) and the copies' extension; refuses a draft that is not the one the document was
    registered from."""
    if draft.sha256 != record.source_sha256:
        raise InputError(f"{draft.source}: its SHA-256 {draft.sha256[:12]}… is not the registered "
                         f"source {record.source_sha256[:12]}… of {record.id}; give --draft the "
                         "draft the document was issued from (草稿与登记的原稿不符)")
    data = Path(draft.source).read_bytes()
    if len(data) > limits.max_file_bytes or sha256_hex(data) != record.source_sha256:
        # the copy is built from these bytes: they must be the ones the check was made on
        raise InputError(f"{draft.source}: changed since it was read (its SHA-256 is no longer "
                         f"the registered {record.source_sha256[:12]}…); nothing was recorded; "
                         "run again with the registered draft (草稿在读取后被改动)")
    base, kind = registry.for_document(draft).copy_base(draft, data)
    return base, registry.named(kind).extension


def _as_parent(draft: Document, parent: CopyRecord) -> Document:
    """``draft`` marked for copies in the parent copy's format when that is one its format
    makes besides its own (an OFD draft issued with ``--as pdf``): a reproduction is in the
    format of the copy it reproduces, as its holder's handling rules were set for that one."""
    suffix = Path(parent.file).suffix.lower()
    formats = registry.for_document(draft).copies_as
    wanted = next((name for name in formats if registry.named(name).extension == suffix), None)
    return dataclasses.replace(draft, copy_as=wanted) if wanted else draft


def _holder(recipient: Recipient) -> Recipient:
    """The new holder with a checked id, name and unit (one visible line each, bounded)."""
    name = one_line(recipient.name, "the new holder", "--for NAME", "复制件接收人")
    refuse_serial_like(name, "the new holder", "--for NAME")  # the watermark prints it
    return dataclasses.replace(
        recipient, name=name, id=holder_id(recipient.id or name),
        unit=one_line(recipient.unit, "the new holder's unit", "--unit TEXT", "接收人单位",
                      required=False))


def _refuse_holder(office: Office, document_id: str, recipient: Recipient) -> None:
    """Refuse a new holder who already holds a copy of the document, found by id or by name
    (a holder given by name alone gets the name as id, and must not so get a second copy)."""
    register = office.register
    held = register.held_copy(document_id, recipient.id)
    if held is None:
        held = next((c for c in register.list_copies(document_id, outstanding=True)
                     if c.status not in GONE and (same_person(c.recipient_id, recipient.id)
                                                  or same_person(c.recipient_name, recipient.name))),
                    None)
    if held is not None:
        raise UsageError(f"{recipient.name} ({recipient.id}) already holds a copy of {document_id} "
                         f"(份号 {held.serial}, held as {held.recipient_name} {held.recipient_id}); "
                         "a holder gets one numbered copy; see 'mijian register list --document "
                         f"{document_id}' (该人员已持有此文件)")


def reproduce(office: Office, copy_id: str, draft: Document, recipient: Recipient, *,
              approver: str | None, role: str | None, reason: str | None, office_name: str,
              out_dir: Path, actor: str, limits: Limits = DEFAULT_LIMITS) -> Reproduction:
    """复制: make a new numbered copy of the document of ``copy_id`` for ``recipient``, with the
    approval its grade needs, stamped as a reproduction of that copy."""
    office_name = check_office_name(one_line(office_name, "the reproducing office's name",
                                             "--office NAME", "复制机关名称"))
    refuse_serial_like(office_name, "the reproducing office's name", "--office NAME")
    recipient = _holder(recipient)
    parent, document = _parent(office, copy_id)
    approval = check_approval(approver, role, reason, document.level, document.grade, REPRODUCE,
                              requester=actor, holder=recipient.name, holder_id=recipient.id)
    base, ext = _source(_as_parent(draft, parent), document, limits)
    out_dir = Path(out_dir).absolute()
    _check_office(office, out_dir)
    void_abandoned(office, document.id, "reproduce", actor)  # a killed one's holder is free again
    _refuse_holder(office, document.id, recipient)
    day = office.register.clock()[:10]
    language = all_schemes()[document.scheme].language
    stamp = stamp_text(language, office_name, day, parent.serial)
    with writing_to(out_dir):
        out_dir.mkdir(parents=True, exist_ok=True)
        run_dir = open_run_staging(out_dir)
    claim = RunClaim(office.home)
    try:
        job = _job(office, document, base, ext, out_dir, run_dir, actor, limits, claim.text,
                   approval.approver, stamp)
        record, seq = _record(job, recipient, parent, approval, stamp)
        made = _build(job, record)
        with writing_to(out_dir):
            manifest, passwords = write_outputs(office, out_dir, run_dir, document.id, job.decision)
    finally:
        close_run_staging(out_dir, run_dir)
        claim.release()
    return Reproduction(document.id, parent.copy_id, parent.serial, approval, stamp, seq, made,
                        manifest, passwords)


def _build(job: Job, record: CopyRecord) -> IssuedCopy | VoidedCopy:
    """Build the reserved copy; when interrupted (Ctrl-C, a kill the process sees, any error
    the build lets through) the copy still pending is voided with a signed event and any file
    under its name removed, so its serial is accounted for and the holder is free to be given
    a reproduction again, instead of a pending copy no run will finish."""
    try:
        return build_copy(job, record)
    except BaseException as exc:
        _void_interrupted(job, record, exc)
        raise


def _void_interrupted(job: Job, record: CopyRecord, exc: BaseException) -> None:
    """Void the reproduction's copy if it is still pending, naming the cause, and remove any
    file under its name."""
    register = job.office.register
    cause = " ".join(str(exc).split())[:200] or type(exc).__name__
    with register.transaction():
        current = register.get_copy(record.copy_id)
        if current is not None and current.status == CopyStatus.PENDING:
            register.void_copy(record.copy_id, job.office.key(), job.actor,
                               {"reason": f"the reproduction was interrupted: {cause} (复制中断)"})
            Path(record.file).unlink(missing_ok=True)


def _job(office: Office, document: DocumentRecord, source: bytes, ext: str, out_dir: Path,
         run_dir: Path, actor: str, limits: Limits, claim: str, approver: str, stamp: str) -> Job:
    """The build job of one reproduction: the registered decision, the registered draft, and
    the stamp each format's writer draws with the first page's marks."""
    return Job(office=office, document_id=document.id, decision=_standing(office, document),
               scheme=all_schemes()[document.scheme], source=source, ext=ext, out_dir=out_dir,
               run_dir=run_dir, actor=actor, limits=limits, running=True, claim=claim,
               approver=approver, total=document.last_serial + 1, cache={},
               reproduction=stamp)


def _standing(office: Office, document: DocumentRecord) -> Decision:
    """The document's registered decision as issuing uses it, with its scope (知悉范围): a
    reproduction is handled as the original and carries the same marking."""
    from mijian.pipeline.registered_decision import decision_of, registered

    found = registered(office, document.id)
    if found is None:
        raise RegisterError(f"document {document.id} is no longer in the register; nothing was "
                            "recorded; check 'mijian register verify' (文件登记缺失)")
    return decision_of(found)


def _refuse_changed(job: Job) -> None:
    """Refuse, under the write lock, a document declassified or re-graded since the
    reproduction was prepared: its copy would carry a marking the register no longer holds."""
    from mijian.pipeline.register_changes import DECLASSIFIED

    register = job.office.register
    now = register.get_document(job.document_id)
    declassified = register.document_events(job.document_id, (DECLASSIFIED,))
    if now is None or declassified or (now.grade, now.level, now.period) != \
            (job.decision.grade, job.decision.level, job.decision.period):
        raise RegisterError(f"document {job.document_id} was declassified or its marking changed "
                            "while the reproduction was prepared; nothing was recorded; run the "
                            "command again (文件密级已变更，未作记录)")


def _record(job: Job, recipient: Recipient, parent: CopyRecord, approval: Approval,
            stamp: str) -> tuple[CopyRecord, int]:
    """Reserve the new copy and record its derivation (event and rows) in one transaction;
    the parent is checked again under the write lock (it may have been returned meanwhile)."""
    register = job.office.register
    key = job.office.key()
    with register.transaction():
        current = register.get_copy(parent.copy_id)
        if current is None or current.status not in HELD:
            raise RegisterError(f"copy {parent.copy_id} changed while the reproduction was "
                                "prepared; nothing was recorded; run the command again")
        _refuse_holder(job.office, job.document_id, recipient)
        _refuse_changed(job)
        record = _reserve(job, key, recipient)
        sources = [{"document_id": parent.document_id, "copy_id": parent.copy_id,
                    "serial": parent.serial, "holder": parent.recipient_name}]
        detail = derivation_detail(REPRODUCE, approval, sources, record.copy_id, stamp=stamp,
                                   serial=record.serial)
        seq = register.append_event(key, job.actor, REPRODUCED, job.document_id, record.copy_id,
                                    detail)
        register.add_derivations(rows_of(seq, job.document_id, detail))
    return record, seq
