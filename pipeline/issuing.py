"""Issue numbered copies of a draft: the per-recipient fan-out, crash-safe and concurrent.

Each copy is one unit of work in three steps:

1. **reserve** (one write-locked transaction): skip the recipient if they already hold or
   are being issued a copy; take the next serial of the document; record the copy as
   ``pending`` with its copy id, its sealed random password, the file it will become and the
   claim of this process; append a ``reserved`` event.
2. **build** outside any transaction, in ``OUT/.mijian-staging/``: stamp the marking and the
   recipient's watermark, the signed token and code, encrypt; then self-check the file (it
   opens with the recipient's password and with the office's means, and its token and code
   read back).
3. **commit** (one write-locked transaction): mark the copy ``issued`` with the file's SHA-256,
   append the ``issued`` event (and an ``access`` event for 机密 and 绝密 holders), rename the
   staged file into place, commit.

A process killed at any instant leaves a pending row (with or without a staged or renamed
file) or a complete copy with its issued row, and never a visible file without a row or a
reused serial. Running the same command again finishes every pending copy of that document
whose process is gone (same serial, same copy id, so serials stay gap-free) and issues the
rest. The manifest and ``passwords.csv`` are rebuilt from the register at the end of a run.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from pipeline.crypto import random_password, random_token, sha256_hex
from pipeline.decision import Decision
from pipeline.errors import InputError, MijianError, RegisterError, UsageError
from pipeline.limits import DEFAULT_LIMITS, Limits
from pipeline.marking import build_marking
from pipeline.model import CopyStamp, Document, Recipient
from pipeline.office import Office
from pipeline.register import CopyRecord, DocumentRecord
from pipeline.schemes import all_schemes
from pipeline.selfcheck import self_check as _self_check
from watermark import textcode
from watermark.codes import make_token, make_visible_code, new_copy_id

PASSWORD_PURPOSE = "copy-password"
STAGING = ".mijian-staging"
_OURS = re.compile(r"^(\.mijian-staging|\d{6}_.+|\.(manifest\.json|passwords\.csv)\.tmp)$")


@dataclass(frozen=True)
class IssuedCopy:
    """One copy made in this run."""

    serial: str
    copy_id: str
    recipient: Recipient
    file: Path
    sha256: str
    password: str


@dataclass(frozen=True)
class IssueResult:
    """What ``issue`` did: the document id, decision, copies made and recipients skipped."""

    document_id: str
    decision: Decision
    out_dir: Path
    copies: tuple[IssuedCopy, ...]
    skipped: tuple[tuple[Recipient, str], ...]
    manifest: Path
    passwords: Path


def document_id_for(document: Document) -> str:
    """The register id of a draft: ``DOC-`` and the first 12 hex digits of its SHA-256."""
    return "DOC-" + document.sha256[:12]


def _watermark_text(recipient: Recipient, serial: str, language: str) -> str:
    label = "份号" if language == "zh" else "Copy"
    return f"{recipient.name} {label} {serial}"


def _source_bytes(document: Document, limits: Limits) -> tuple[bytes, str]:
    """The bytes the writer starts from and the copy's extension."""
    data = Path(document.source).read_bytes()
    if len(data) > limits.max_file_bytes:
        raise InputError(f"{document.source}: changed since it was read; run again")
    if sha256_hex(data) != document.sha256:
        raise InputError(f"{document.source}: the file changed while it was being issued; run again")
    if document.kind == "pdf":
        return data, ".pdf"
    if document.kind == "docx":
        return data, ".docx"
    from pipeline.pdf_io import text_to_pdf

    return text_to_pdf(document.text, document.title, document.language), ".pdf"


def _writer(kind: str) -> Callable[[bytes, CopyStamp, Path], None]:
    if kind == ".docx":
        from pipeline.docx_copy import write_docx_copy

        return write_docx_copy
    from pipeline.pdf_copy import write_pdf_copy

    return write_pdf_copy


def _write_atomic(path: Path, data: bytes, mode: int = 0o644) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def _prepare_out(out_dir: Path, document_id: str, source: Path) -> None:
    """Check the output folder: empty, new, or holding copies of this same document."""
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"{out_dir}: exists and is not a folder; choose another --out")
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
                     decision: Decision, actor: str) -> None:
    existing = office.register.get_document(document_id)
    if existing is None:
        record = DocumentRecord(
            id=document_id, title=document.title, source_sha256=document.sha256, kind=document.kind,
            language=document.language, scheme=decision.scheme, grade=decision.grade,
            level=decision.level, period=decision.period, suggested_grade=decision.suggested_grade,
            suggested_level=decision.suggested_level, justification=decision.justification,
            basis=decision.basis, rationale=decision.rationale, decided_by=actor,
            decided_at=office.register.clock())
        with office.register.transaction():
            if office.register.get_document(document_id) is None:
                office.register.add_document(record, office.key(), actor)
        return
    if (existing.scheme, existing.level, existing.period) != (decision.scheme, decision.level, decision.period):
        raise RegisterError(
            f"{document_id} is registered as {existing.grade} {existing.period or ''} ({existing.scheme}); "
            f"this run asks for {decision.grade} {decision.period or ''} ({decision.scheme}); "
            "issue it with the registered grade and period")


@dataclass(frozen=True)
class _Job:
    """Everything the build step needs, shared by the copies of one run."""

    office: Office
    document_id: str
    decision: Decision
    scheme: object
    source: bytes
    ext: str
    out_dir: Path
    actor: str
    limits: Limits
    running: bool
    claim: str
    approver: str | None
    cache: dict
    """Per-run scratch the writer may use to share work between copies of one draft."""


def _claim() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _claim_alive(claim: str | None) -> bool:
    """Whether the process that reserved a pending copy is still running on this host."""
    if not claim or ":" not in claim:
        return False
    host, _, pid = claim.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    if int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def issue(office: Office, document: Document, decision: Decision, recipients: tuple[Recipient, ...],
          out_dir: Path, actor: str = "mijian", limits: Limits = DEFAULT_LIMITS,
          running: bool = True, approver: str | None = None,
          workers: int | None = None) -> IssueResult:
    """Issue one numbered, marked, watermarked, encrypted copy per recipient.

    Recipients who already hold a copy of this draft are skipped; copies left pending by an
    interrupted run into the same folder are finished first. Serials are reserved in order,
    then the copies are built by up to ``workers`` processes (default: one per core, at most
    four), each committing its own copies.
    """
    if decision.level >= 4 and not (approver or "").strip():
        raise UsageError(f"{decision.grade} copies need the approval of the originating authority "
                         "(绝密件复制须经批准); give --approver NAME")
    document_id = document_id_for(document)
    out_dir = Path(out_dir).absolute()
    _prepare_out(out_dir, document_id, Path(document.source))
    source, ext = _source_bytes(document, limits)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / STAGING).mkdir(exist_ok=True)
    _ensure_document(office, document, document_id, decision, actor)
    job = _Job(office=office, document_id=document_id, decision=decision,
               scheme=all_schemes()[decision.scheme], source=source, ext=ext, out_dir=out_dir,
               actor=actor, limits=limits, running=running, claim=_claim(),
               approver=(approver or "").strip() or None, cache={})
    todo: list[CopyRecord] = []
    for pending in office.register.pending_copies(document_id):
        if Path(pending.file).parent != out_dir or _claim_alive(pending.claim):
            continue
        with office.register.transaction():
            taken = office.register.reclaim(pending.copy_id, pending.claim, job.claim)
        if taken:
            todo.append(office.register.get_copy(pending.copy_id))  # type: ignore[arg-type]
    skipped: list[tuple[Recipient, str]] = []
    for recipient in recipients:
        record = _reserve(job, recipient)
        if isinstance(record, str):
            skipped.append((recipient, record))
        else:
            todo.append(record)
    try:
        made = _build_all(job, todo, workers)
    finally:
        _clean_staging(out_dir)
    manifest, passwords = _write_outputs(office, out_dir, document_id, decision)
    return IssueResult(document_id=document_id, decision=decision, out_dir=out_dir,
                       copies=tuple(made), skipped=tuple(skipped), manifest=manifest,
                       passwords=passwords)


def preflight(document: Document, decision: Decision, out_dir: Path | None = None,
              limits: Limits = DEFAULT_LIMITS, running: bool = True) -> None:
    """Check the output folder, then make and self-check one throw-away copy of the draft,
    before anything is recorded.

    A draft the writers cannot mark (a broken package, content that swallows the marks) is
    refused here with :class:`InputError`, before the office folder or the register is
    touched; the trial copy is deleted.
    """
    import tempfile

    from pipeline.crypto import OfficeKey
    from watermark.pattern import payload_from_number

    if out_dir is not None:
        _prepare_out(Path(out_dir).absolute(), document_id_for(document), Path(document.source))
    source, ext = _source_bytes(document, limits)
    trial = OfficeKey("trial", random_token(32)).for_document("trial")
    copy_id = new_copy_id(random_token(8))
    scheme = all_schemes()[decision.scheme]
    language = "zh" if scheme.language == "zh" else "en"
    password = random_password()
    stamp = CopyStamp(
        marking=build_marking(scheme, decision.level, decision.period, "000001", 1, running),
        watermark_text=_watermark_text(Recipient(id="trial", name="Trial 试印"), "000001", language),
        visible_code=make_visible_code(trial, copy_id), token=make_token(trial, copy_id),
        user_password=password, owner_password=random_password() if ext == ".pdf" else password,
        language=language, text_code=textcode.encode(trial, copy_id),
        pattern_key=pattern_key(trial), pattern_payload=payload_from_number(1))
    with tempfile.TemporaryDirectory(prefix="mijian-preflight-") as folder:
        path = Path(folder) / f"trial{ext}"
        _writer(ext)(source, stamp, path)
        try:
            _self_check(path, ext, stamp, stamp.owner_password if ext == ".pdf" else None, limits)
        except RegisterError:
            raise InputError(f"{document.source}: a trial copy of this draft does not keep its marks "
                             "(副本标记无法读回); expected a draft whose pages can carry marks; "
                             "re-save or print the draft to a new PDF and issue again") from None


PARALLEL_FROM = 4
"""Fewest copies worth starting worker processes for."""


def _build_all(job: _Job, records: list[CopyRecord], workers: int | None) -> list[IssuedCopy]:
    """Build and commit every reserved copy, in worker processes when there are enough."""
    count = workers if workers is not None else min(os.cpu_count() or 1, 4)
    count = max(1, min(count, len(records)))
    if count == 1 or len(records) < PARALLEL_FROM:
        return [_build_and_commit(job, record) for record in records]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    spec = dict(home=job.office.home, document_id=job.document_id, decision=job.decision,
                source=job.source, ext=job.ext, out_dir=job.out_dir, actor=job.actor,
                limits=job.limits, running=job.running, claim=job.claim, approver=job.approver,
                parent=os.getpid())
    made: list[IssuedCopy] = []
    with ProcessPoolExecutor(max_workers=count, mp_context=multiprocessing.get_context("spawn"),
                             initializer=_worker_start, initargs=(spec,)) as pool:
        for copy in pool.map(_worker_build, [r.copy_id for r in records]):
            made.append(copy)
    return made


_WORKER: dict = {}
"""The worker process's own office and job (set by :func:`_worker_start`, one per process)."""


def _die_with_parent(parent: int) -> None:
    """Ask Linux to kill this worker when the issuing process dies, so a killed run leaves
    no worker finishing copies behind its back (elsewhere this is a no-op); a worker whose
    parent died before this point (the request only covers a later death) leaves at once."""
    try:
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:
        os._exit(1)


def _worker_start(spec: dict) -> None:
    """Open the office once in a worker process and keep the job description."""
    _die_with_parent(spec["parent"])
    office = Office.open(spec["home"])
    _WORKER["job"] = _Job(office=office, document_id=spec["document_id"], decision=spec["decision"],
                          scheme=all_schemes()[spec["decision"].scheme], source=spec["source"],
                          ext=spec["ext"], out_dir=spec["out_dir"], actor=spec["actor"],
                          limits=spec["limits"], running=spec["running"], claim=spec["claim"],
                          approver=spec["approver"], cache={})


def _worker_build(copy_id: str) -> IssuedCopy:
    """Build and commit one reserved copy in a worker process."""
    job = _WORKER["job"]
    record = job.office.register.get_copy(copy_id)
    if record is None:
        raise RegisterError(f"copy {copy_id} disappeared from the register; run the command again")
    return _build_and_commit(job, record)


def _reserve(job: _Job, recipient: Recipient) -> CopyRecord | str:
    """Reserve a serial for a recipient, or say why they are skipped."""
    register = job.office.register
    key = job.office.key()
    with register.transaction():
        held = register.copy_for_recipient(job.document_id, recipient.id, include_pending=True)
        if held is not None:
            state = "is being issued" if held.status == "pending" else "already holds"
            return f"{state} copy {held.serial} ({held.copy_id})"
        serial = register.next_serial(job.document_id)
        fingerprint = register.next_fingerprint()
        copy_id = new_copy_id(random_token(8))
        password = random_password()
        now = register.clock()
        record = CopyRecord(
            copy_id=copy_id, document_id=job.document_id, serial=serial, recipient_id=recipient.id,
            recipient_name=recipient.name, recipient_unit=recipient.unit,
            file=str(job.out_dir / (f"{serial}_{_safe(recipient.id)}{job.ext}"
                                    + (".p7m" if recipient.public_key else ""))), file_sha256="",
            key_id=key.key_id, issued_at=now, status="pending", status_at=now,
            sealed_password=key.seal(PASSWORD_PURPOSE, password.encode(), copy_id.encode()),
            claim=job.claim, envelope_cert=recipient.public_key or None, fingerprint=fingerprint)
        detail: dict = {"file": Path(record.file).name, "fingerprint": fingerprint}
        if recipient.public_key:
            detail["delivery"] = "cms-envelope"
        if job.approver:
            detail["approver"] = job.approver
        register.reserve_copy(record, key, job.actor, detail)
    return record


def _stamp_for(job: _Job, record: CopyRecord, password: str) -> CopyStamp:
    from watermark.pattern import payload_from_number  # numpy: only where copies are made

    master = _key_for(job.office, record)
    key = master.for_document(record.document_id)
    language = "zh" if job.scheme.language == "zh" else "en"  # type: ignore[attr-defined]
    total = job.office.register.get_document(job.document_id).last_serial  # type: ignore[union-attr]
    marking = build_marking(job.scheme, job.decision.level, job.decision.period, record.serial,  # type: ignore[arg-type]
                            total, job.running)
    owner = job.office.owner_passwords()[0]
    recipient = Recipient(id=record.recipient_id, name=record.recipient_name, unit=record.recipient_unit)
    return CopyStamp(marking=marking, watermark_text=_watermark_text(recipient, record.serial, language),
                     visible_code=make_visible_code(key, record.copy_id),
                     token=make_token(key, record.copy_id), user_password=password,
                     owner_password=owner if job.ext == ".pdf" else password, language=language,
                     text_code=textcode.encode(key, record.copy_id),
                     pattern_key=pattern_key(master),
                     pattern_payload=payload_from_number(record.fingerprint or 0))


def pattern_key(key) -> bytes:
    """The page-fingerprint key of an office key (the pattern never sees the key itself)."""
    return key.mac("page-pattern", b"")


def _key_for(office: Office, record: CopyRecord):
    for key in office.keys():
        if key.key_id == record.key_id:
            return key
    raise RegisterError(f"copy {record.copy_id} was reserved under key {record.key_id}, which is "
                        "not in MIJIAN_HOME/keys; restore the key from the office backup")


def _build_and_commit(job: _Job, record: CopyRecord) -> IssuedCopy:
    """Build, self-check and commit one reserved copy (also finishes an interrupted one)."""
    register = job.office.register
    key = _key_for(job.office, record)
    password = key.unseal(PASSWORD_PURPOSE, record.sealed_password or b"", record.copy_id.encode()).decode()
    stamp = _stamp_for(job, record, password)
    office_password = stamp.owner_password if job.ext == ".pdf" else None
    final = Path(record.file)
    staged = job.out_dir / STAGING / f"{final.name}.{os.getpid()}.partial"
    try:
        if final.exists():  # renamed into place, then killed before the commit
            try:
                if record.envelope_cert:
                    _check_envelope(job, final, stamp)
                else:
                    _self_check(final, job.ext, stamp, office_password, job.limits)
                ready = final
            except MijianError:
                final.unlink()
                ready = None
        else:
            ready = None
        if ready is None:
            if job.ext == ".pdf":
                from pipeline.pdf_copy import write_pdf_copy

                write_pdf_copy(job.source, stamp, staged, limits=job.limits, cache=job.cache)
            else:
                _writer(job.ext)(job.source, stamp, staged)
            _self_check(staged, job.ext, stamp, office_password, job.limits)
            if record.envelope_cert:
                _seal_in_envelope(job, staged, password, record.envelope_cert.encode())
                _check_envelope(job, staged, stamp)
            ready = staged
        digest = sha256_hex(ready.read_bytes())
        with register.transaction():
            current = register.get_copy(record.copy_id)
            if current is not None and current.status != "pending":
                # another run finished this copy meanwhile: keep its file, drop ours
                if staged.exists():
                    staged.unlink()
                recipient = Recipient(id=current.recipient_id, name=current.recipient_name,
                                      unit=current.recipient_unit)
                return IssuedCopy(serial=current.serial, copy_id=current.copy_id, recipient=recipient,
                                  file=final, sha256=current.file_sha256, password=password)
            done = register.finalize_copy(record.copy_id, digest, key, job.actor)
            if job.decision.level >= 3:
                register.append_event(key, job.actor, "access", job.document_id, record.copy_id,
                                      {"recipient_id": record.recipient_id,
                                       "recipient_name": record.recipient_name,
                                       "recipient_unit": record.recipient_unit,
                                       "grade": job.decision.grade, "approver": job.approver})
            if ready != final:
                os.replace(ready, final)
    except BaseException as exc:
        if staged.exists():
            staged.unlink()
        if isinstance(exc, MijianError) or not isinstance(exc, Exception):
            raise
        raise RegisterError(f"copy {record.serial} for {record.recipient_id} could not be issued "
                            f"({type(exc).__name__}: {exc}); 份号 {record.serial} stays reserved as "
                            "pending and no file was written; run the command again to finish it, "
                            "or report this as a bug") from exc
    recipient = Recipient(id=done.recipient_id, name=done.recipient_name, unit=done.recipient_unit)
    return IssuedCopy(serial=done.serial, copy_id=done.copy_id, recipient=recipient, file=final,
                      sha256=digest, password=password)


def decrypt_copy(path: Path, password: str) -> bytes:
    """The plain bytes of an encrypted PDF or DOCX copy, opened with ``password``."""
    data = path.read_bytes()
    if data.startswith(b"%PDF") or b"%PDF-" in data[:1024]:
        import pymupdf

        with pymupdf.open(stream=data, filetype="pdf") as doc:
            if not doc.authenticate(password):
                raise RegisterError(f"{path.name}: the password does not open the copy")
            return doc.tobytes(encryption=pymupdf.PDF_ENCRYPT_NONE, garbage=1)
    from msoffcrypto.format.ooxml import OOXMLFile

    office_file = OOXMLFile(io.BytesIO(data))
    office_file.load_key(password=password)
    sink = io.BytesIO()
    office_file.decrypt(sink)
    return sink.getvalue()


def _seal_in_envelope(job: _Job, staged: Path, password: str, certificate: bytes) -> None:
    """Replace the staged encrypted copy by a CMS envelope of its plain bytes for the recipient
    and the office: the recipient opens it with their private key instead of a password."""
    from pipeline.crypto import envelope, office_cms_identity

    office_cert, _key = office_cms_identity(job.office.home)
    sealed = envelope(decrypt_copy(staged, password), [certificate, office_cert])
    _write_atomic(staged, sealed, mode=0o600)


def _check_envelope(job: _Job, path: Path, stamp: CopyStamp) -> None:
    """The envelope opens with the office identity and the copy inside carries its marks."""
    import tempfile

    from pipeline.crypto import office_cms_identity, open_envelope

    office_cert, office_key = office_cms_identity(job.office.home)
    plain = open_envelope(path.read_bytes(), office_cert, office_key)
    with tempfile.TemporaryDirectory(prefix="mijian-check-") as tmp:
        inner = Path(tmp) / f"inner{job.ext}"
        inner.write_bytes(plain)
        if job.ext == ".docx":
            from pipeline.docx_io import read_docx_evidence as read_evidence
        else:
            from pipeline.pdf_io import read_pdf_evidence as read_evidence
        evidence = read_evidence(inner, [], job.limits)
        if not evidence.opened or evidence.token != stamp.token:
            raise RegisterError(f"{path.name}: self-check failed: the enveloped copy's marks do not "
                                "read back; the file was discarded and its serial stays reserved; report this as a bug")


def _clean_staging(out_dir: Path) -> None:
    """Remove files left in the staging folder by processes that are gone."""
    staging = out_dir / STAGING
    for path in staging.glob("*.partial"):
        pid = path.suffixes[-2].lstrip(".") if len(path.suffixes) >= 2 else ""
        if pid.isdigit() and (int(pid) == os.getpid() or not _claim_alive(f"{socket.gethostname()}:{pid}")):
            path.unlink(missing_ok=True)
    try:
        staging.rmdir()
    except OSError:
        pass


def _safe(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in text)[:64]


def _write_outputs(office: Office, out_dir: Path, document_id: str,
                   decision: Decision) -> tuple[Path, Path]:
    """Rebuild manifest.json and passwords.csv from the register's issued copies in ``out_dir``."""
    copies = [c for c in office.register.list_copies(document_id) if Path(c.file).parent == out_dir]
    keys = {k.key_id: k for k in office.keys()}
    manifest = {"document_id": document_id, "grade": decision.grade, "level": decision.level,
                "period": decision.period,
                "copies": [{"serial": c.serial, "copy_id": c.copy_id, "recipient_id": c.recipient_id,
                            "recipient_name": c.recipient_name, "file": Path(c.file).name,
                            "sha256": c.file_sha256} for c in copies]}
    manifest_path = out_dir / "manifest.json"
    _write_atomic(manifest_path, json.dumps(manifest, ensure_ascii=False, indent=2).encode() + b"\n")
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["serial", "recipient_id", "password"])
    for c in copies:
        key = keys.get(c.key_id)
        if key is None or not c.sealed_password:
            continue
        if c.envelope_cert:
            writer.writerow([c.serial, c.recipient_id, "(cms-envelope: open with the recipient's private key)"])
            continue
        password = key.unseal(PASSWORD_PURPOSE, c.sealed_password, c.copy_id.encode()).decode()
        writer.writerow([c.serial, c.recipient_id, password])
    passwords_path = out_dir / "passwords.csv"
    _write_atomic(passwords_path, buf.getvalue().encode(), mode=0o600)
    return manifest_path, passwords_path
