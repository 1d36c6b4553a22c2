"""Reproduce (复制) an issued copy: a new numbered copy of the same document for a new holder.

A reproduction is handled as an original copy: it takes the document's next serial in the
register, carries every mark and fingerprint layer of an issued copy (so a leak of it names
its own holder, never the holder of the copy it was made from), and its first page carries
the reproducing office's stamp (复制机关戳记) with the date and the parent copy's 份号. It is
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
be made it is voided (the serial and the record of the approval stay).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mijian.pipeline.claims import RunClaim
from mijian.pipeline.copy_build import IssuedCopy, Job, VoidedCopy, build_copy
from mijian.pipeline.decision import Decision
from mijian.pipeline.derive_facts import REPRODUCE, REPRODUCED, Approval, check_approval, derivation_detail, rows_of
from mijian.pipeline.errors import InputError, RegisterError, UsageError
from mijian.pipeline.formats import registry
from mijian.pipeline.issue_outputs import write_outputs
from mijian.pipeline.issuing import _check_office, _reserve  # the same checks and reservation as issue
from mijian.pipeline.limits import DEFAULT_LIMITS, Limits
from mijian.pipeline.model import Document, Recipient
from mijian.pipeline.office import Office
from mijian.pipeline.register import CopyRecord, CopyStatus, DocumentRecord
from mijian.pipeline.schemes import all_schemes
from mijian.pipeline.safe_files import close_run_staging, open_run_staging, writing_to

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


def stamp_first_page(pdf: bytes, text: str) -> bytes:
    """``pdf`` with ``text`` written at the top of its first page, inside the content (the copy's
    own mark bands are added around the content afterwards, so neither hides the other).
    Refuses a stamp too long for the page: a stamp left out would be a reproduction that does
    not say it is one."""
    import pymupdf

    with pymupdf.open(stream=pdf, filetype="pdf") as doc:
        page = doc[0]
        box = page.rect
        where = pymupdf.Rect(box.x0 + 36, box.y0 + 56, box.x1 - 36, box.y0 + 100)
        if page.insert_textbox(where, text, fontname="china-s", fontsize=9, color=(0.6, 0, 0)) < 0:
            raise UsageError(f"the reproduction stamp '{text}' does not fit on the first page; "
                             "give a shorter --office name (复制戳记过长)")
        return doc.tobytes(garbage=0, deflate=True)


def decision_of(record: DocumentRecord) -> Decision:
    """The registered decision of a document, as issuing uses it."""
    return Decision(scheme=record.scheme, level=record.level, grade=record.grade,
                    period=record.period, suggested_level=record.suggested_level,
                    suggested_grade=record.suggested_grade, justification=record.justification,
                    basis=record.basis, rationale=tuple(record.rationale))


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
    """The bytes the reproduction is built from: the registered draft with the stamp to come;
    refuses a draft that is not the one the document was registered from."""
    if draft.sha256 != record.source_sha256:
        raise InputError(f"{draft.source}: its SHA-256 {draft.sha256[:12]}… is not the registered "
                         f"source {record.source_sha256[:12]}… of {record.id}; give --draft the "
                         "draft the document was issued from (草稿与登记的原稿不符)")
    data = Path(draft.source).read_bytes()
    if len(data) > limits.max_file_bytes:
        raise InputError(f"{draft.source}: changed since it was read; run again")
    base, kind = registry.for_document(draft).copy_base(draft, data)
    if kind != "pdf":
        raise InputError(f"{draft.source}: copies of this draft are {kind}, and the reproduction "
                         "stamp is written on PDF copies only; expected a PDF or text draft "
                         "(复制戳记仅支持 PDF 副本)")
    return base, registry.named(kind).extension


def reproduce(office: Office, copy_id: str, draft: Document, recipient: Recipient, *,
              approver: str | None, role: str | None, reason: str | None, office_name: str,
              out_dir: Path, actor: str, limits: Limits = DEFAULT_LIMITS) -> Reproduction:
    """复制: make a new numbered copy of the document of ``copy_id`` for ``recipient``, with the
    approval its grade needs, stamped as a reproduction of that copy."""
    if not office_name.strip() or any(not c.isprintable() for c in office_name):
        raise UsageError("the reproducing office's name is empty or holds a line break or control "
                         "character; give --office NAME as one line (复制机关名称须为一行)")
    parent, document = _parent(office, copy_id)
    approval = check_approval(approver, role, reason, document.level, document.grade, REPRODUCE)
    base, ext = _source(draft, document, limits)
    if office.register.held_copy(document.id, recipient.id) is not None:
        raise UsageError(f"{recipient.id} already holds a copy of {document.id}; a holder gets one "
                         "numbered copy (see 'mijian register list --document "
                         f"{document.id}') (该人员已持有此文件)")
    out_dir = Path(out_dir).absolute()
    _check_office(office, out_dir)
    day = office.register.clock()[:10]
    language = all_schemes()[document.scheme].language
    stamp = stamp_text(language, office_name, day, parent.serial)
    source = stamp_first_page(base, stamp)
    with writing_to(out_dir):
        out_dir.mkdir(parents=True, exist_ok=True)
        run_dir = open_run_staging(out_dir)
    claim = RunClaim(office.home)
    try:
        job = _job(office, document, source, ext, out_dir, run_dir, actor, limits, claim.text,
                   approval.approver)
        record, seq = _record(job, recipient, parent, approval, stamp)
        made = build_copy(job, record)
        with writing_to(out_dir):
            manifest, passwords = write_outputs(office, out_dir, run_dir, document.id, job.decision)
    finally:
        close_run_staging(out_dir, run_dir)
        claim.release()
    return Reproduction(document.id, parent.copy_id, parent.serial, approval, stamp, seq, made,
                        manifest, passwords)


def _job(office: Office, document: DocumentRecord, source: bytes, ext: str, out_dir: Path,
         run_dir: Path, actor: str, limits: Limits, claim: str, approver: str) -> Job:
    """The build job of one reproduction: the registered decision and the stamped source."""
    return Job(office=office, document_id=document.id, decision=decision_of(document),
               scheme=all_schemes()[document.scheme], source=source, ext=ext, out_dir=out_dir,
               run_dir=run_dir, actor=actor, limits=limits, running=True, claim=claim,
               approver=approver, total=document.last_serial + 1, cache={})


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
        if register.held_copy(job.document_id, recipient.id) is not None:
            raise UsageError(f"{recipient.id} already holds a copy of {job.document_id}; nothing "
                             "was recorded (该人员已持有此文件)")
        record = _reserve(job, key, recipient)
        sources = [{"document_id": parent.document_id, "copy_id": parent.copy_id,
                    "serial": parent.serial, "holder": parent.recipient_name}]
        detail = derivation_detail(REPRODUCE, approval, sources, record.copy_id, stamp=stamp,
                                   serial=record.serial)
        seq = register.append_event(key, job.actor, REPRODUCED, job.document_id, record.copy_id,
                                    detail)
        register.add_derivations(rows_of(seq, job.document_id, detail))
    return record, seq
