"""Issue numbered copies of a draft: the per-recipient fan-out.

For each recipient, in one register transaction: reserve the next serial, make a copy id,
its signed token and visible code, stamp the marking and the recipient's watermark, encrypt
with a fresh random password, self-check the file (open it with the recipient's password and
with the office's means, find the token and the code again), move it into place atomically,
then record the copy and its event. A failure rolls the transaction back and removes the file.
"""

from __future__ import annotations

import csv
import io
import json
import os
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
from watermark.codes import make_token, make_visible_code, new_copy_id

PASSWORD_PURPOSE = "copy-password"


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


def _self_check(path: Path, ext: str, stamp: CopyStamp, office_password: str | None,
                limits: Limits) -> None:
    """Open the new copy as a recipient and as the office would; the marks must be there."""
    if ext == ".docx":
        from pipeline.docx_io import read_docx_evidence as read_evidence
    else:
        from pipeline.pdf_io import read_pdf_evidence as read_evidence
    tries = [stamp.user_password] + ([office_password] if office_password else [])
    for password in tries:
        evidence = read_evidence(path, [password], limits)
        if not (evidence.encrypted and evidence.opened):
            raise RegisterError(f"{path.name}: self-check failed: the copy is not encrypted or "
                                "does not open; nothing was recorded; report this as a bug")
        if evidence.token != stamp.token or stamp.visible_code not in evidence.text.replace("\n", ""):
            raise RegisterError(f"{path.name}: self-check failed: the copy's marks do not read "
                                "back; nothing was recorded; report this as a bug")


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


def _prepare_out(out_dir: Path, document_id: str, source: Path) -> dict:
    """Check the output folder; return the manifest already there for this document, if any."""
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
        return old
    if out_dir.exists() and any(out_dir.iterdir()):
        raise UsageError(f"{out_dir}: is not empty and holds no manifest; choose an empty --out")
    return {}


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


def issue(office: Office, document: Document, decision: Decision, recipients: tuple[Recipient, ...],
          out_dir: Path, actor: str = "mijian", limits: Limits = DEFAULT_LIMITS,
          running: bool = True) -> IssueResult:
    """Issue one numbered, marked, watermarked, encrypted copy per recipient."""
    document_id = document_id_for(document)
    out_dir = Path(out_dir)
    old_manifest = _prepare_out(out_dir, document_id, Path(document.source))
    source, ext = _source_bytes(document, limits)
    writer = _writer(ext)
    scheme = all_schemes()[decision.scheme]
    out_dir.mkdir(parents=True, exist_ok=True)
    _ensure_document(office, document, document_id, decision, actor)
    key = office.key()
    owner = office.owner_passwords()[0]
    made: list[IssuedCopy] = []
    skipped: list[tuple[Recipient, str]] = []
    total_hint = office.register.get_document(document_id).last_serial + len(recipients)  # type: ignore[union-attr]
    for recipient in recipients:
        held = office.register.copy_for_recipient(document_id, recipient.id)
        if held is not None:
            skipped.append((recipient, f"already holds copy {held.serial} ({held.copy_id})"))
            continue
        made.append(_issue_one(office, document_id, decision, scheme, recipient, source, ext, writer,
                               out_dir, key, owner, actor, limits, total_hint, running))
    manifest, passwords = _write_outputs(out_dir, document_id, decision, made, old_manifest)
    return IssueResult(document_id=document_id, decision=decision, out_dir=out_dir,
                       copies=tuple(made), skipped=tuple(skipped), manifest=manifest,
                       passwords=passwords)


def _issue_one(office: Office, document_id: str, decision: Decision, scheme, recipient: Recipient,
               source: bytes, ext: str, writer, out_dir: Path, key, owner: str, actor: str,
               limits: Limits, total_hint: int, running: bool) -> IssuedCopy:
    register = office.register
    final = tmp = None
    try:
        with register.transaction():
            serial = register.next_serial(document_id)
            copy_id = new_copy_id(random_token(8))
            password = random_password()
            marking = build_marking(scheme, decision.level, decision.period, serial, total_hint, running)
            language = "zh" if scheme.language == "zh" else "en"
            stamp = CopyStamp(marking=marking,
                              watermark_text=_watermark_text(recipient, serial, language),
                              visible_code=make_visible_code(key, copy_id),
                              token=make_token(key, copy_id), user_password=password,
                              owner_password=owner if ext == ".pdf" else password,
                              language=language)
            final = out_dir / f"{serial}_{_safe(recipient.id)}{ext}"
            tmp = out_dir / f".{final.name}.partial"
            writer(source, stamp, tmp)
            _self_check(tmp, ext, stamp, owner if ext == ".pdf" else None, limits)
            digest = sha256_hex(tmp.read_bytes())
            os.replace(tmp, final)
            now = register.clock()
            register.add_copy(CopyRecord(
                copy_id=copy_id, document_id=document_id, serial=serial, recipient_id=recipient.id,
                recipient_name=recipient.name, recipient_unit=recipient.unit, file=final.name,
                file_sha256=digest, key_id=key.key_id, issued_at=now, status="issued", status_at=now,
                sealed_password=key.seal(PASSWORD_PURPOSE, password.encode(), copy_id.encode())),
                key, actor)
    except BaseException as exc:
        for path in (tmp, final):
            if path is not None and path.exists():
                path.unlink()
        if isinstance(exc, MijianError) or not isinstance(exc, Exception):
            raise
        raise RegisterError(f"copy for {recipient.id} could not be issued ({type(exc).__name__}: "
                            f"{exc}); nothing was recorded for it; report this as a bug") from exc
    return IssuedCopy(serial=serial, copy_id=copy_id, recipient=recipient, file=final,
                      sha256=digest, password=password)


def _safe(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in text)[:64]


def _write_outputs(out_dir: Path, document_id: str, decision: Decision, made: list[IssuedCopy],
                   old: dict) -> tuple[Path, Path]:
    copies = list(old.get("copies", []))
    copies += [{"serial": c.serial, "copy_id": c.copy_id, "recipient_id": c.recipient.id,
                "recipient_name": c.recipient.name, "file": c.file.name, "sha256": c.sha256}
               for c in made]
    manifest = {"document_id": document_id, "grade": decision.grade, "level": decision.level,
                "period": decision.period, "copies": sorted(copies, key=lambda c: c["serial"])}
    manifest_path = out_dir / "manifest.json"
    _write_atomic(manifest_path, json.dumps(manifest, ensure_ascii=False, indent=2).encode() + b"\n")
    passwords_path = out_dir / "passwords.csv"
    rows: list[list[str]] = []
    if passwords_path.exists():
        rows = list(csv.reader(io.StringIO(passwords_path.read_text(encoding="utf-8"))))[1:]
    rows += [[c.serial, c.recipient.id, c.password] for c in made]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["serial", "recipient_id", "password"])
    writer.writerows(sorted(rows))
    _write_atomic(passwords_path, buf.getvalue().encode(), mode=0o600)
    return manifest_path, passwords_path
