"""Build, self-check and commit one reserved copy; void it when its file cannot be made.

A reserved copy is ``pending`` in the register. :func:`build_copy` makes its file in the
run's private staging folder, checks it, and commits it in one write-locked transaction
(``issued`` event, then the rename into ``--out``). When making or checking the file fails,
the copy is voided instead (a signed ``voided`` event naming the cause): its serial stays
accounted for, nothing is left pending for ever, and the rest of the run goes on.

Failures of the register itself (busy, a key missing) are not the copy's fault: they are
raised and the copy stays pending for the next run to finish.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from mijian.pipeline.copy_checks import check_envelope, decrypt_copy, office_password_of, self_check
from mijian.pipeline.crypto import sha256_hex
from mijian.pipeline.decision import Decision
from mijian.pipeline.errors import MijianError, RegisterError
from mijian.pipeline.formats import registry
from mijian.pipeline.limits import Limits
from mijian.pipeline.marking import build_marking
from mijian.pipeline.model import CopyStamp, Language, Recipient
from mijian.pipeline.office import PASSWORD_PURPOSE, Office
from mijian.pipeline.register import CopyRecord, CopyStatus
from mijian.pipeline.safe_files import write_atomic
from mijian.watermark import textcode
from mijian.watermark.codes import make_token, make_visible_code



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
class VoidedCopy:
    """A reserved copy whose file could not be made: voided, its serial kept, with the cause."""

    serial: str
    copy_id: str
    recipient: Recipient
    reason: str


@dataclass(frozen=True)
class Job:
    """Everything the build step needs, shared by the copies of one run."""

    office: Office
    document_id: str
    decision: Decision
    scheme: object
    source: bytes
    ext: str
    out_dir: Path
    run_dir: Path
    actor: str
    limits: Limits
    running: bool
    claim: str
    approver: str | None
    total: int
    cache: dict
    """Per-run scratch the writer may use to share work between copies of one draft."""


def watermark_text(recipient: Recipient, serial: str, language: str) -> str:
    """The visible watermark line of a copy: the recipient's name and the serial."""
    label = "份号" if language == "zh" else "Copy"
    return f"{recipient.name} {label} {serial}"


def pattern_key(key) -> bytes:
    """The page-fingerprint key of an office key (the pattern never sees the key itself)."""
    return key.mac("page-pattern", b"")


def owner_password_for(ext: str, office_owner: str, user: str) -> str:
    """The owner password of a copy in the format ``ext`` names: the office's own where the
    format keeps one besides the recipient's, else the recipient's."""
    return office_owner if registry.for_copy(ext).separate_owner_password else user


def key_for(office: Office, record: CopyRecord):
    """The office master key a copy was reserved under."""
    for key in office.keys():
        if key.key_id == record.key_id:
            return key
    raise RegisterError(f"copy {record.copy_id} was reserved under key {record.key_id}, which is "
                        "not in MIJIAN_HOME/keys; restore the key from the office backup")


def stamp_for(job: Job, record: CopyRecord, password: str) -> CopyStamp:
    """The marks, codes and passwords of one copy."""
    master = key_for(job.office, record)
    key = master.for_document(record.document_id)
    language: Language = "zh" if job.scheme.language == "zh" else "en"  # type: ignore[attr-defined]
    marking = build_marking(job.scheme, job.decision.level, job.decision.period,  # type: ignore[arg-type]
                            record.serial, max(job.total, int(record.serial)), job.running)
    owner = job.office.owner_passwords()[0]
    recipient = _recipient(record)
    return CopyStamp(marking=marking, watermark_text=watermark_text(recipient, record.serial, language),
                     visible_code=make_visible_code(key, record.copy_id),
                     token=make_token(key, record.copy_id), user_password=password,
                     owner_password=owner_password_for(job.ext, owner, password), language=language,
                     text_code=textcode.encode(key, record.copy_id),
                     pattern_key=pattern_key(master),
                     pattern_payload=pattern_payload_for(record.fingerprint or 0))


def _recipient(record: CopyRecord) -> Recipient:
    return Recipient(id=record.recipient_id, name=record.recipient_name, unit=record.recipient_unit)


def build_copy(job: Job, record: CopyRecord) -> IssuedCopy | VoidedCopy:
    """Make, check and commit one pending copy (also finishes one an earlier run left)."""
    key = key_for(job.office, record)
    password = key.unseal(PASSWORD_PURPOSE, record.sealed_password or b"",
                          record.copy_id.encode()).decode()
    stamp = stamp_for(job, record, password)
    final = Path(record.file)
    staged = job.run_dir / f"{final.name}.partial"
    try:
        ready = _make_file(job, record, stamp, final, staged)
    except (KeyboardInterrupt, SystemExit):
        _discard(staged)
        raise
    except Exception as exc:  # a writer on a hostile draft may raise anything
        _discard(staged)
        return _void(job, record, exc)
    try:
        return _commit(job, record, key, password, ready, final)
    finally:
        _discard(staged)


def _make_file(job: Job, record: CopyRecord, stamp: CopyStamp, final: Path, staged: Path) -> Path:
    """The checked file of the copy: one renamed into place before a kill, or a new one."""
    office_password = office_password_of(job.ext, stamp)
    if final.is_symlink():
        final.unlink()  # never read through, or keep, a link planted under a copy's name
    elif final.exists():  # renamed into place, then killed before the commit
        try:
            _check(job, record, final, stamp, office_password)
            return final
        except MijianError:
            final.unlink()
    registry.for_copy(job.ext).write_copy(job.source, stamp, staged, limits=job.limits,
                                          cache=job.cache)
    self_check(staged, job.ext, stamp, office_password, job.limits)
    if record.envelope_cert:
        from mijian.pipeline.crypto import envelope, office_cms_identity

        office_cert, _key = office_cms_identity(job.office.home)
        sealed = envelope(decrypt_copy(staged, stamp.user_password),
                          [record.envelope_cert.encode(), office_cert])
        write_atomic(staged, sealed, job.run_dir, mode=0o600)
        check_envelope(job.office.home, staged, job.ext, stamp, job.limits)
    return staged


def _check(job: Job, record: CopyRecord, path: Path, stamp: CopyStamp,
           office_password: str | None) -> None:
    if record.envelope_cert:
        check_envelope(job.office.home, path, job.ext, stamp, job.limits)
    else:
        self_check(path, job.ext, stamp, office_password, job.limits)


def _commit(job: Job, record: CopyRecord, key, password: str, ready: Path,
            final: Path) -> IssuedCopy:
    """Mark the copy issued (and its access event for 机密 and above), then rename it in."""
    register = job.office.register
    digest = sha256_hex(ready.read_bytes())
    with register.transaction():
        current = register.get_copy(record.copy_id)
        if current is not None and current.status != CopyStatus.PENDING:
            # another run finished this copy meanwhile: keep its file, drop ours
            return IssuedCopy(serial=current.serial, copy_id=current.copy_id,
                              recipient=_recipient(current), file=final,
                              sha256=current.file_sha256, password=password)
        done = register.finalize_copy(record.copy_id, digest, key, job.actor)
        if job.decision.level >= 3:
            register.append_event(key, job.actor, "access", job.document_id, record.copy_id,
                                  {"recipient_id": record.recipient_id,
                                   "recipient_name": record.recipient_name,
                                   "recipient_unit": record.recipient_unit,
                                   "grade": job.decision.grade, "approver": job.approver})
        if ready != final:
            os.replace(ready, final)
    return IssuedCopy(serial=done.serial, copy_id=done.copy_id, recipient=_recipient(done),
                      file=final, sha256=digest, password=password)


def _void(job: Job, record: CopyRecord, exc: BaseException) -> VoidedCopy:
    """Void a copy whose file could not be made, with the cause in its signed event."""
    cause = str(exc) if isinstance(exc, MijianError) else f"{type(exc).__name__}: {exc}"
    cause = " ".join(cause.split())[:300]
    register = job.office.register
    with register.transaction():
        current = register.get_copy(record.copy_id)
        if current is not None and current.status == CopyStatus.PENDING and current.claim == job.claim:
            register.void_copy(record.copy_id, job.office.key(), job.actor,
                               {"reason": f"the copy could not be made: {cause}"})
    return VoidedCopy(serial=record.serial, copy_id=record.copy_id, recipient=_recipient(record),
                      reason=cause)


def _discard(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass


def pattern_payload_for(number: int) -> bytes:
    """The page pattern's payload for a fingerprint number (the pattern module, and numpy
    with it, load only when a copy is made, not when a trace merely imports this one)."""
    from mijian.watermark.pattern import payload_from_number

    return payload_from_number(number)
