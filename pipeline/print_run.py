"""Print runs (打印室分发): one PDF holding N numbered copies for the print room, nobody named yet.

A print room prints a document before it knows who will take each copy. A print run makes N
copies of a registered document one after the other in one PDF, each a full copy of its own:
its own 份号 from the register (the next serials, never reused, gap-free as in issuing), the
marking, a visible watermark saying it is unassigned (``份号 000012 · 打印室 · 未分发 / print
room · unassigned``), and every mark of a normal copy that lives in the pages (printed code,
QR symbol, page fingerprint, invisible text code), so any page of the printout traces to its
copy. Each copy is first written and self-checked exactly as an issued copy (encrypted, with
its sealed random password), then opened and its pages appended to the run's PDF.

What the run PDF does not carry: the signed token of the document properties, which speaks
for a whole file and cannot name N copies at once; each copy's pages carry the others.
The run PDF is for printing and is written **unencrypted** (mode 0600): the result and the
``printed`` event say so, and it should be printed and then deleted.

How it is recorded, and why this way (one write-locked transaction each step, like issuing):

1. reserve: every copy ``pending`` with its serial, fingerprint number and sealed password;
   recipient id ``print-run:<run>`` (a marker, no person), no name, the print room's unit;
2. build, outside any transaction, in the run's private staging folder;
3. commit: each copy ``issued`` (its file hash is that of its own copy before merging), then
   ``unassigned`` (signed event naming the run); the run's row and its signed ``printed``
   event; then the PDF is renamed into place. A build failure voids every reserved copy
   (signed ``voided`` events: the serials stay accounted for) and writes nothing.

The document's draft is not kept by the register, only its SHA-256: the draft must be given
again and must be the registered one byte for byte (else exit 3, nothing written).
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path

from mijian.pipeline.claims import RunClaim
from mijian.pipeline.copy_build import PASSWORD_PURPOSE, Job, stamp_for
from mijian.pipeline.copy_checks import decrypt_copy, office_password_of, refuse_marked_draft, self_check
from mijian.pipeline.crypto import random_password, random_token, sha256_hex
from mijian.pipeline.decision import Decision
from mijian.pipeline.errors import InputError, RegisterError, UsageError
from mijian.pipeline.formats import registry
from mijian.pipeline.limits import DEFAULT_LIMITS, Limits
from mijian.pipeline.office import Office
from mijian.pipeline.print_assign import PRINT_ROOM, RUN_PREFIX, UNASSIGNED_EVENT
from mijian.pipeline.print_checks import PRINTED
from mijian.pipeline.print_merge import merge_pdfs
from mijian.pipeline.readers import read_document
from mijian.pipeline.register import CopyRecord, CopyStatus, DocumentRecord
from mijian.pipeline.register_changes import refuse_declassified
from mijian.pipeline.safe_files import close_run_staging, open_run_staging, writing_to
from mijian.pipeline.schemes import all_schemes
from mijian.watermark.codes import new_copy_id

MAX_COPIES = 500
"""Most copies in one print run: a bound on the run's time, memory and on serials taken at once."""


@dataclass(frozen=True)
class PrintedCopy:
    """One copy of a print run: its 份号, copy id and its pages in the run PDF (1-based)."""

    serial: str
    copy_id: str
    first_page: int
    last_page: int


@dataclass(frozen=True)
class PrintRun:
    """A committed print run: the PDF written, its copies, and that it is not encrypted."""

    run_id: str
    document_id: str
    file: Path
    sha256: str
    unit: str
    encrypted: bool
    event: int
    copies: tuple[PrintedCopy, ...]

    def to_json(self) -> dict:
        """The object of ``mijian print --json``."""
        return {"print_run": self.run_id, "document_id": self.document_id, "file": str(self.file),
                "sha256": self.sha256, "unit": self.unit, "encrypted": self.encrypted,
                "event": self.event, "copies": [c.__dict__ for c in self.copies]}


def check_count(copies: int) -> int:
    """The number of copies asked for, refused (exit 2) unless 1..MAX_COPIES."""
    if not 1 <= copies <= MAX_COPIES:
        raise UsageError(f"--copies {copies} is outside 1..{MAX_COPIES}; give a number of copies "
                         f"from 1 to {MAX_COPIES} (印制份数须在1至{MAX_COPIES}之间)")
    return copies


def _registered(office: Office, document_id: str, approver: str | None) -> DocumentRecord:
    """The document's checked row; refused when unknown or declassified, and a 绝密 / TOP
    SECRET one without the originating authority's approval (as in issuing)."""
    document = office.register.get_document(document_id)
    if document is None:
        raise RegisterError(f"document {document_id} is not in the register; check the id in "
                            "manifest.json or 'mijian register list' (登记簿中没有此文件)")
    refuse_declassified(office.register, document_id, "printed")
    if document.level >= 4 and not (approver or "").strip():
        raise UsageError(f"{document.grade} copies need the approval of the originating authority "
                         "(绝密件复制须经批准); give --approver NAME")
    return document


def _draft_bytes(record: DocumentRecord, draft: Path, limits: Limits) -> tuple[bytes, str]:
    """The bytes the copies are written from, after checking the draft is the registered one."""
    data = draft.read_bytes() if draft.is_file() else b""
    if not data or sha256_hex(data) != record.source_sha256:
        raise InputError(f"{draft}: is not the registered draft of {record.id} (its SHA-256 "
                         f"differs from {record.source_sha256[:12]}…); give the draft the "
                         "document was issued from (草稿与登记的原件不符)")
    document = read_document(draft, limits)
    refuse_marked_draft(document)
    base, kind = registry.for_document(document).copy_base(document, data)
    ext = registry.named(kind).extension
    if ext != ".pdf":
        raise InputError(f"{draft}: copies of this draft are {ext} files; a print run is made of "
                         "PDF copies; print the draft to PDF, issue that and print it "
                         "(打印批次仅支持PDF副本)")
    return base, ext


def _decision(record: DocumentRecord) -> Decision:
    return Decision(scheme=record.scheme, level=record.level, grade=record.grade,
                    period=record.period, suggested_level=record.suggested_level,
                    suggested_grade=record.suggested_grade, justification=record.justification,
                    basis=record.basis, rationale=tuple(record.rationale))


def _target(office: Office, out_dir: Path, document_id: str, run_id: str) -> Path:
    out_dir = Path(out_dir).absolute()
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"{out_dir}: exists and is not a folder; choose another --out")
    if out_dir.resolve().is_relative_to(Path(office.home).resolve()):
        raise UsageError(f"{out_dir}: is inside the office folder {office.home}; choose an --out "
                         "folder outside it")
    return out_dir / f"{document_id}_{run_id}_print.pdf"


def print_run(office: Office, document_id: str, draft: Path, copies: int, out_dir: Path,
              actor: str, unit: str | None = None, limits: Limits = DEFAULT_LIMITS,
              approver: str | None = None) -> PrintRun:
    """Print ``copies`` numbered, unassigned copies of a registered document into one PDF
    (``approver``: required for 绝密 / TOP SECRET, recorded in the ``printed`` event)."""
    check_count(copies)
    record = _registered(office, document_id, approver)
    source, ext = _draft_bytes(record, Path(draft), limits)
    run_id = "PR-" + random_token(5).hex().upper()
    target = _target(office, out_dir, document_id, run_id)
    office.register.require_current()
    with writing_to(target.parent):
        target.parent.mkdir(parents=True, exist_ok=True)
        run_dir = open_run_staging(target.parent)
    claim = RunClaim(office.home)
    try:
        last = record.last_serial
        job = Job(office=office, document_id=document_id, decision=_decision(record),
                  scheme=all_schemes()[record.scheme], source=source, ext=ext,
                  out_dir=target.parent, run_dir=run_dir, actor=actor, limits=limits,
                  running=True, claim=claim.text, approver=(approver or "").strip() or None,
                  total=last + copies, cache={})
        place = (unit or "").strip() or PRINT_ROOM
        reserved = _reserve_all(job, copies, target, run_id, place)
        built = _build_all(job, reserved)
        return _commit(job, built, target, run_id, place)
    finally:
        close_run_staging(target.parent, run_dir)
        claim.release()


def _reserve_all(job: Job, count: int, target: Path, run_id: str, unit: str) -> list[CopyRecord]:
    """Reserve ``count`` serials in one transaction, each a pending copy of no one."""
    register = job.office.register
    key = job.office.key()
    out = []
    with register.transaction():
        for _ in range(count):
            copy_id = new_copy_id(random_token(8))
            now = register.clock()
            record = CopyRecord(
                copy_id=copy_id, document_id=job.document_id,
                serial=register.next_serial(job.document_id), recipient_id=RUN_PREFIX + run_id,
                recipient_name="", recipient_unit=unit, file=str(target), file_sha256="",
                key_id=key.key_id, issued_at=now, status=CopyStatus.PENDING, status_at=now,
                sealed_password=key.seal(PASSWORD_PURPOSE, random_password().encode(),
                                         copy_id.encode()),
                claim=job.claim, fingerprint=register.next_fingerprint())
            register.reserve_copy(record, key, job.actor, {"file": target.name,
                                                           "fingerprint": record.fingerprint,
                                                           "print_run": run_id})
            out.append(record)
    return out


def unassigned_watermark(serial: str) -> str:
    """The visible watermark of an unassigned copy: its 份号 and that nobody holds it yet."""
    return f"份号 {serial} · 打印室 · 未分发 / print room · unassigned"


def _build_one(job: Job, record: CopyRecord) -> bytes:
    """One copy written and self-checked as an issued one, then opened: its plain PDF bytes."""
    key = next(k for k in job.office.keys() if k.key_id == record.key_id)
    password = key.unseal(PASSWORD_PURPOSE, record.sealed_password or b"",
                          record.copy_id.encode()).decode()
    stamp = dataclasses.replace(stamp_for(job, record, password),
                                watermark_text=unassigned_watermark(record.serial))
    staged = job.run_dir / f"{record.serial}.partial{job.ext}"
    try:
        registry.for_copy(job.ext).write_copy(job.source, stamp, staged, limits=job.limits,
                                              cache=job.cache)
        self_check(staged, job.ext, stamp, office_password_of(job.ext, stamp), job.limits)
        return decrypt_copy(staged, password)
    finally:
        staged.unlink(missing_ok=True)


def _build_all(job: Job, reserved: list[CopyRecord]) -> list[tuple[CopyRecord, bytes]]:
    """Every copy's plain bytes; on any failure every reserved copy is voided and the error raised."""
    try:
        return [(record, _build_one(job, record)) for record in reserved]
    except BaseException as exc:
        cause = " ".join(str(exc).split())[:300] or type(exc).__name__
        register = job.office.register
        with register.transaction():
            for record in reserved:
                register.void_copy(record.copy_id, job.office.key(), job.actor,
                                   {"reason": f"the print run could not be made: {cause}"})
        raise


def _commit(job: Job, built: list[tuple[CopyRecord, bytes]], target: Path, run_id: str,
            unit: str) -> PrintRun:
    """Merge the copies, record them unassigned and the run printed, then rename the PDF in."""
    merged, ranges = merge_pdfs([data for _record, data in built])
    staged = job.run_dir / f"{run_id}.pdf"
    fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(merged)
        handle.flush()
        os.fsync(handle.fileno())
    register = job.office.register
    key = job.office.key()
    digest = sha256_hex(merged)
    printed = []
    with register.transaction():
        if target.exists() or target.is_symlink():
            raise UsageError(f"{target}: already exists; nothing was printed; choose another --out")
        for (record, data), (first, last) in zip(built, ranges):
            register.finalize_copy(record.copy_id, sha256_hex(data), key, job.actor)
            register.set_status(record.copy_id, UNASSIGNED_EVENT, key, job.actor,
                                {"serial": record.serial, "from": CopyStatus.ISSUED,
                                 "print_run": run_id, "unit": unit, "pages": [first, last]})
            printed.append(PrintedCopy(record.serial, record.copy_id, first, last))
        run = {"run": run_id, "document_id": job.document_id, "first_serial": printed[0].serial,
               "last_serial": printed[-1].serial, "copies": len(printed), "file": target.name,
               "file_sha256": digest, "unit": unit, "encrypted": False,
               "printed_at": register.clock()}
        register.add_print_run(run)
        seq = register.append_event(key, job.actor, PRINTED, job.document_id, None,
                                    {**run, "approver": job.approver})
        os.replace(staged, target)
    return PrintRun(run_id, job.document_id, target, digest, unit, False, seq, tuple(printed))
