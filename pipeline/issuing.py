"""Issue numbered copies of a draft: the per-recipient fan-out, crash-safe and concurrent.

Each copy is one unit of work in three steps:

1. **reserve** (one write-locked transaction per batch of at most :data:`BATCH` copies): skip the recipient if
   they already hold or are being issued a copy; take the next serial of the document; record the copy as
   ``pending`` with its copy id, its sealed random password, the file it will become and the claim of this run
   (:mod:`pipeline.claims`); append a ``reserved`` event.
2. **build** outside any transaction, in this run's private staging folder (:mod:`pipeline.safe_files`): stamp
   the marking and the recipient's watermark, the signed token and code, encrypt; then self-check the file.
3. **commit** (one write-locked transaction): mark the copy ``issued``, append its events, rename the staged
   file into place. A copy whose file cannot be made is **voided** instead (signed ``voided`` event): its
   serial stays accounted for and the run goes on.

The next batch is reserved only when the last one is done, so a run stopped at any instant leaves at most one
batch pending (with or without a staged or renamed file), never a visible file without a row or a reused
serial. Running the same command again finishes every pending copy of that document in that folder whose run
is gone (same serial, same copy id) and issues the rest; ``mijian register void`` cancels one whose run will
not come back. The manifest and ``passwords.csv`` are rebuilt from the register at the end of a run, also when
some copies were voided.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Iterator
from concurrent.futures import Executor, Future

from mijian.pipeline.claims import RunClaim, claim_alive
from mijian.pipeline.copy_build import (PASSWORD_PURPOSE, IssuedCopy, Job, VoidedCopy, pattern_key)
from mijian.pipeline.copy_checks import decrypt_copy, refuse_marked_draft
from mijian.pipeline.copy_pool import Builder, Pool, Progress, counting
from mijian.pipeline.crypto import random_password, random_token, sha256_hex
from mijian.pipeline.decision import Decision
from mijian.pipeline.derive_names import refuse_self_approval
from mijian.pipeline.errors import InputError, RegisterError, UsageError
from mijian.pipeline.formats import registry
from mijian.pipeline.issue_outputs import write_outputs
from mijian.pipeline.limits import DEFAULT_LIMITS, Limits
from mijian.pipeline.model import Document, Recipient
from mijian.pipeline.office import Office
from mijian.pipeline.register import CopyRecord, CopyStatus, DocumentRecord
from mijian.pipeline.register_changes import refuse_declassified
from mijian.pipeline.safe_files import check_out_dir, close_run_staging, open_run_staging, writing_to
from mijian.pipeline.schemes import all_schemes
from mijian.pipeline.trial_copy import TrialMarking, make_trial
from mijian.watermark.codes import new_copy_id

__all__ = ["IssueResult", "IssuedCopy", "VoidedCopy", "PASSWORD_PURPOSE", "decrypt_copy",
           "document_id_for", "issue", "pattern_key", "preflight"]

BATCH = 16
"""Most copies reserved at once: a stopped run leaves at most this many pending."""

WAIT_SECONDS = 600
"""How long a run waits, at its end, for copies another live run is issuing to its recipients."""

_OURS = re.compile(r"^(\.mijian-staging|\.mijian\.lock|\d{6}_.+)$")
"""Names a new output folder may already hold: only what an interrupted run leaves."""


@dataclass(frozen=True)
class IssueResult:
    """What ``issue`` did: copies made, copies voided, recipients skipped and why.

    ``unfinished`` lists the recipients whose copy is still being issued by a run that is
    gone or did not finish in time: they hold no copy yet, and the run did not complete.
    """

    document_id: str
    decision: Decision
    out_dir: Path
    copies: tuple[IssuedCopy, ...]
    skipped: tuple[tuple[Recipient, str], ...]
    manifest: Path
    passwords: Path
    voided: tuple[VoidedCopy, ...] = ()
    unfinished: tuple[tuple[Recipient, str], ...] = ()

    def problem(self) -> str | None:
        """One line saying what the run left undone and what to do, or None when complete."""
        parts = []
        if self.voided:
            serials = ", ".join(v.serial for v in self.voided)
            parts.append(f"{len(self.voided)} copy(ies) could not be made and were voided "
                         f"(份号 {serials} 已作废: {self.voided[0].reason}); fix the cause and run "
                         "the command again to issue them under new serials")
        if self.unfinished:
            first = self.unfinished[0]
            parts.append(f"{len(self.unfinished)} recipient(s) have a copy still being issued "
                         f"elsewhere, none made here (e.g. {first[0].id}: {first[1]})")
        return "; ".join(parts) or None


def document_id_for(document: Document) -> str:
    """The register id of a draft: ``DOC-`` and the first 12 hex digits of its SHA-256."""
    return "DOC-" + document.sha256[:12]


def _source_bytes(document: Document, limits: Limits) -> tuple[bytes, str]:
    """The bytes the writer starts from and the copy's extension."""
    data = Path(document.source).read_bytes()
    if len(data) > limits.max_file_bytes:
        raise InputError(f"{document.source}: changed since it was read; run again")
    if sha256_hex(data) != document.sha256:
        raise InputError(f"{document.source}: the file changed while it was being issued; run again")
    base, kind = registry.for_document(document).copy_base(document, data)
    return base, registry.named(kind).extension


def _prepare_out(out_dir: Path, document_id: str, source: Path) -> None:
    """Check the output folder: empty, new, or holding copies of this same document."""
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"{out_dir}: exists and is not a folder; choose another --out")
    if out_dir.exists():
        check_out_dir(out_dir)
    if out_dir.resolve() == source.parent.resolve():
        raise UsageError(f"{out_dir}: is the draft's own folder; choose a separate --out folder")
    manifest = out_dir / "manifest.json"
    if manifest.exists():
        try:
            old = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise UsageError(f"{manifest}: unreadable; move it away or choose another --out") from None
        if old.get("document_id") != document_id:
            raise UsageError(f"{out_dir}: holds copies of {old.get('document_id')}; "
                             "choose another --out for this draft")
        return
    if out_dir.exists() and any(not _OURS.match(p.name) for p in out_dir.iterdir()):
        raise UsageError(f"{out_dir}: is not empty and holds no manifest; choose an empty --out")


def _ensure_document(office: Office, document: Document, document_id: str,
                     decision: Decision, actor: str, decided_by: str | None = None) -> None:
    """Register the draft and its decision on first issue (decided by ``decided_by``, else by
    ``actor``; its scope in the signed ``decided`` event); refuse a different decision later."""
    existing = office.register.get_document(document_id)
    if existing is None:
        record = DocumentRecord(
            id=document_id, title=document.title, source_sha256=document.sha256, kind=document.kind,
            language=document.language, scheme=decision.scheme, grade=decision.grade,
            level=decision.level, period=decision.period, suggested_grade=decision.suggested_grade,
            suggested_level=decision.suggested_level, justification=decision.justification,
            basis=decision.basis, rationale=decision.rationale, decided_by=decided_by or actor,
            decided_at=office.register.clock())
        with office.register.transaction():
            if office.register.get_document(document_id) is None:
                office.register.add_document(record, office.key(), actor, scope=decision.scope)
        return
    refuse_declassified(office.register, document_id)  # 解密 is final: no copy is made after it
    if (existing.scheme, existing.level, existing.period) != (decision.scheme, decision.level, decision.period):
        raise RegisterError(
            f"{document_id} is registered as {existing.grade} {existing.period or ''} ({existing.scheme}); "
            f"this run asks for {decision.grade} {decision.period or ''} ({decision.scheme}); "
            "issue it with the registered grade and period")


def _check_approver(decision: Decision, approver: str | None, document: Document, actor: str) -> None:
    """绝密 / TOP SECRET copies are made only with the approval of the originating authority,
    not the issuing clerk's own, and no copy is made of a draft that is an issued copy."""
    if decision.level >= 4 and not (approver or "").strip():
        raise UsageError(f"{decision.grade} copies need the approval of the originating authority "
                         "(绝密件复制须经批准); give --approver NAME")
    if decision.level >= 4:  # someone else's word, as for print runs and reproductions
        refuse_self_approval(str(approver), f"{decision.grade} issue", requester=actor)
    refuse_marked_draft(document)


def issue(office: Office, document: Document, decision: Decision, recipients: tuple[Recipient, ...],
          out_dir: Path, actor: str = "mijian", limits: Limits = DEFAULT_LIMITS,
          running: bool = True, approver: str | None = None, workers: int | None = None,
          progress: Progress | None = None, pool: Pool | None = None,
          decided_by: str | None = None) -> IssueResult:
    """Issue one numbered, marked, watermarked, encrypted copy per recipient.

    Recipients who already hold a copy of this draft are skipped; copies left pending in the
    same folder by a run that is gone are finished first. Serials are reserved batch by
    batch as the copies are built by up to ``workers`` processes (default: one per core, at
    most four). Copies another live run is issuing to the same recipients are waited for at
    the end (at most :data:`WAIT_SECONDS`). ``progress``, when given, is told
    ``(done, total, message)`` after each copy is made or voided; ``pool``: see :class:`Builder`;
    ``decided_by``: who made the decision when not ``actor`` (recorded on first registration).
    """
    _check_approver(decision, approver, document, actor)
    document_id = document_id_for(document)
    out_dir = Path(out_dir).absolute()
    source, ext, run_dir = _open_run(office, document, document_id, out_dir, limits)
    claim = None
    try:
        _ensure_document(office, document, document_id, decision, actor, decided_by)
        claim = RunClaim(office.home)
        register = office.register
        fresh = [r for r in recipients if register.held_copy(document_id, r.id) is None]
        last = register.get_document(document_id).last_serial  # type: ignore[union-attr]
        job = Job(office=office, document_id=document_id, decision=decision,
                  scheme=all_schemes()[decision.scheme], source=source, ext=ext, out_dir=out_dir,
                  run_dir=run_dir, actor=actor, limits=limits, running=running, claim=claim.text,
                  approver=(approver or "").strip() or None, total=last + len(fresh), cache={})
        abandoned = [p for p in register.pending_copies(document_id)
                     if Path(p.file).parent == out_dir and not claim_alive(office.home, p.claim)]
        made: list[IssuedCopy | VoidedCopy] = []
        skipped: list[tuple[Recipient, str]] = []
        waiting: list[tuple[Recipient, CopyRecord]] = []
        total = len(abandoned) + len(fresh)
        tell = counting(progress, total)
        with Builder(job, total, workers, pool) as builder:
            for batch in _chunks(abandoned, BATCH):
                made += builder.build(_reclaim(job, batch), tell)
            # left by a stopped run and finished (or voided) just now: not skipped, not redone
            finished = {c.copy_id for c in made}
            failed = {c.recipient.id for c in made if isinstance(c, VoidedCopy)}
            for people in _chunks([r for r in recipients if r.id not in failed], BATCH):
                made += builder.build(_reserve_batch(job, people, finished, skipped, waiting), tell)
        unfinished = _wait_for_others(office, waiting, skipped, out_dir)
        with writing_to(out_dir):
            manifest, passwords = write_outputs(office, out_dir, run_dir, document_id, decision)
    finally:
        close_run_staging(out_dir, run_dir)
        if claim is not None:
            claim.release()
    return IssueResult(document_id=document_id, decision=decision, out_dir=out_dir,
                       copies=tuple(c for c in made if isinstance(c, IssuedCopy)),
                       skipped=tuple(skipped), manifest=manifest, passwords=passwords,
                       voided=tuple(c for c in made if isinstance(c, VoidedCopy)),
                       unfinished=tuple(unfinished))


def _open_run(office: Office, document: Document, document_id: str, out_dir: Path,
              limits: Limits) -> tuple[bytes, str, Path]:
    """The draft's bytes and extension and the run's staging folder, the output folder checked."""
    _prepare_out(out_dir, document_id, Path(document.source))
    _check_office(office, out_dir)
    source, ext = _source_bytes(document, limits)
    with writing_to(out_dir):
        out_dir.mkdir(parents=True, exist_ok=True)
        run_dir = open_run_staging(out_dir)  # refuses a planted staging folder before any record
    return source, ext, run_dir


def _check_office(office: Office, out_dir: Path) -> None:
    """Refuse an output folder inside the office folder (copies and passwords beside the keys
    and register), and a register older than its signed head, before anything is written."""
    if out_dir.resolve().is_relative_to(Path(office.home).resolve()):
        raise UsageError(f"{out_dir}: is inside the office folder {office.home} (keys and "
                         "register); choose an --out folder outside it")
    office.register.require_current()


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _reclaim(job: Job, batch: list[CopyRecord]) -> list[CopyRecord]:
    """Take over the abandoned pending copies of ``batch`` (those no other run took first)."""
    register = job.office.register
    taken = []
    with register.transaction():
        for pending in batch:
            if register.reclaim(pending.copy_id, pending.claim, job.claim):
                record = register.get_copy(pending.copy_id)  # there: claimed in this transaction
                if record is not None:
                    taken.append(record)
    return taken


def _reserve_batch(job: Job, people: list[Recipient], finished: set[str],
                   skipped: list[tuple[Recipient, str]],
                   waiting: list[tuple[Recipient, CopyRecord]]) -> list[CopyRecord]:
    """Reserve serials for one batch of recipients in one transaction; note who is skipped
    (not those whose copy this run ``finished`` for a stopped one)."""
    register = job.office.register
    key = job.office.key()
    reserved = []
    with register.transaction():
        for recipient in people:
            held = register.held_copy(job.document_id, recipient.id)
            if held is None:
                reserved.append(_reserve(job, key, recipient))
            elif held.status == CopyStatus.PENDING:
                waiting.append((recipient, held))
            elif held.copy_id not in finished:
                skipped.append((recipient, _held_where(held)))
    return reserved


def _reserve(job: Job, key, recipient: Recipient) -> CopyRecord:
    """Record one pending copy and its ``reserved`` event (inside the caller's transaction)."""
    register = job.office.register
    serial = register.next_serial(job.document_id)
    fingerprint = register.next_fingerprint()
    copy_id = new_copy_id(random_token(8))
    password = random_password()
    now = register.clock()
    name = f"{serial}_{_safe(recipient.id)}{job.ext}" + (".p7m" if recipient.public_key else "")
    record = CopyRecord(
        copy_id=copy_id, document_id=job.document_id, serial=serial, recipient_id=recipient.id,
        recipient_name=recipient.name, recipient_unit=recipient.unit,
        file=str(job.out_dir / name), file_sha256="", key_id=key.key_id, issued_at=now,
        status=CopyStatus.PENDING, status_at=now,
        sealed_password=key.seal(PASSWORD_PURPOSE, password.encode(), copy_id.encode()),
        claim=job.claim, envelope_cert=recipient.public_key or None, fingerprint=fingerprint)
    detail: dict = {"file": name, "fingerprint": fingerprint}
    if recipient.public_key:
        detail["delivery"] = "cms-envelope"
    if job.approver:
        detail["approver"] = job.approver
    register.reserve_copy(record, key, job.actor, detail)
    return record


def _wait_for_others(office: Office, waiting: list[tuple[Recipient, CopyRecord]],
                     skipped: list[tuple[Recipient, str]],
                     out_dir: Path) -> list[tuple[Recipient, str]]:
    """Wait for copies other live runs are issuing; say which never got finished."""
    deadline = time.monotonic() + WAIT_SECONDS
    unfinished: list[tuple[Recipient, str]] = []
    for recipient, held in waiting:
        while True:
            current = office.register.get_copy(held.copy_id) or held
            if current.status not in (CopyStatus.PENDING, CopyStatus.VOIDED):
                skipped.append((recipient, _held_where(current)))
                break
            gone = not claim_alive(office.home, current.claim) or not _same_host(current.claim)
            if current.status == CopyStatus.VOIDED or gone or time.monotonic() > deadline:
                unfinished.append((recipient, _unfinished_reason(office, current, out_dir)))
                break
            time.sleep(0.5)
    return unfinished


def _held_where(held: CopyRecord) -> str:
    """Why a recipient is skipped: the copy they hold, and where its file is."""
    return f"already holds copy {held.serial} ({held.copy_id}) at {held.file}"


def _same_host(claim: str | None) -> bool:
    import socket

    from mijian.pipeline.claims import Claim

    parsed = Claim.parse(claim)
    return parsed is not None and parsed.host == socket.gethostname()


def _unfinished_reason(office: Office, record: CopyRecord, out_dir: Path) -> str:
    """Why a recipient got no copy from this run, and what to do."""
    where = Path(record.file).parent
    if record.status == CopyStatus.VOIDED:
        return (f"its copy {record.serial} ({record.copy_id}) was voided by the run issuing it; "
                "run the command again")
    if claim_alive(office.home, record.claim):
        return (f"copy {record.serial} ({record.copy_id}) is still being issued by {record.claim}; "
                "run the command again once that run has finished")
    into = "this --out" if where == out_dir else f"--out {where}"
    return (f"copy {record.serial} ({record.copy_id}) was left pending in {into} by a run that "
            f"is gone; run the same command with {into} to finish it, or cancel it with "
            f"'mijian register void {record.copy_id} --reason TEXT'")


def _safe(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in text)[:64]


def preflight(document: Document, decision: Decision, out_dir: Path | None = None,
              limits: Limits = DEFAULT_LIMITS, running: bool = True,
              trial: Future | None = None) -> None:
    """Check the output folder, then make and self-check one throw-away copy of the draft,
    before anything is recorded.

    A draft the writers cannot mark (a broken package, content that swallows the marks) is
    refused here with :class:`InputError`, before the office folder or the register is
    touched; the trial copy is deleted. ``trial``: the trial copy already under way in a
    worker process (see :func:`start_trial`) for this decision's marking.
    """
    refuse_marked_draft(document)
    if out_dir is not None:
        _prepare_out(Path(out_dir).absolute(), document_id_for(document), Path(document.source))
    if trial is not None:
        trial.result()
        return
    source, ext = _source_bytes(document, limits)
    make_trial(source, ext, trial_marking(decision, running), limits, document.source)


def trial_marking(decision: Decision, running: bool) -> TrialMarking:
    """What the trial copy for ``decision`` is marked with."""
    return TrialMarking(decision.scheme, decision.level, decision.period, running)


def start_trial(pool: Executor, document: Document, marking: TrialMarking,
                limits: Limits = DEFAULT_LIMITS) -> Future:
    """Make the trial copy of ``document`` for ``marking`` in a worker process of ``pool``;
    hand the future to :func:`preflight`."""
    source, ext = _source_bytes(document, limits)
    return pool.submit(make_trial, source, ext, marking, limits, document.source)
