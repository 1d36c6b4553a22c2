"""Values of the register: copy statuses, a document, a copy, an event, the event signer, and
the event hash."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from enum import StrEnum
from datetime import datetime, UTC
from typing import Any, Protocol


class CopyStatus(StrEnum):
    """Where a copy is in its life, as the register stores it.

    A ``str`` enum: each member *is* its stored text (``CopyStatus.ISSUED == "issued"``, same
    hash, written to SQLite and JSON as ``issued``), so existing registers, their signed events
    and their hashes read and verify unchanged. Values read back from a register stay plain
    ``str`` and compare equal to the members.
    """

    PENDING = "pending"
    """Serial reserved, file not yet committed."""
    ISSUED = "issued"
    SIGNED = "signed"
    RETURNED = "returned"
    DESTROYED = "destroyed"
    LOST = "lost"
    VOIDED = "voided"
    """A reserved serial whose copy was never made; the serial stays accounted for."""
    UNASSIGNED = "unassigned"
    """Printed in a print run for the print room; nobody holds it until it is handed out."""

    def __repr__(self) -> str:
        """The stored text's repr (``'issued'``), so messages that quote a status with ``!r``
        read the same whether it came from the register or from this enum."""
        return repr(self.value)


GONE: frozenset[str] = frozenset({CopyStatus.RETURNED, CopyStatus.DESTROYED, CopyStatus.LOST,
                                  CopyStatus.VOIDED})
"""Statuses of a copy nobody holds any more (a recipient may be issued a new one)."""


class EventSigner(Protocol):
    """What the register needs from the office key."""

    @property
    def key_id(self) -> str:
        """Which office key this is (read only: keys are frozen values)."""
        ...

    def sign(self, data: bytes) -> bytes:
        """Ed25519 signature."""
        ...


@dataclass(frozen=True)
class DocumentRecord:
    """A registered document and the decision on its grade (定密)."""

    id: str
    title: str
    source_sha256: str
    kind: str
    language: str
    scheme: str
    grade: str
    level: int
    period: str | None
    suggested_grade: str
    suggested_level: int
    justification: str | None
    basis: str | None
    rationale: tuple[str, ...]
    decided_by: str | None
    decided_at: str
    last_serial: int = 0


@dataclass(frozen=True)
class CopyRecord:
    """One numbered copy and where it is in its life."""

    copy_id: str
    document_id: str
    serial: str
    recipient_id: str
    recipient_name: str
    recipient_unit: str
    file: str
    file_sha256: str
    key_id: str
    issued_at: str
    status: str
    status_at: str
    sealed_password: bytes | None = None
    claim: str | None = None
    envelope_cert: str | None = None
    fingerprint: int | None = None

    def public(self) -> dict[str, Any]:
        """The copy as a JSON-ready dict, without the sealed password, claim or certificate."""
        return {k: v for k, v in self.__dict__.items()
                if k not in ("sealed_password", "claim", "envelope_cert", "fingerprint")}


@dataclass(frozen=True)
class EventRecord:
    """One event of the log as stored: its chained hash and the office key's signature."""

    seq: int
    at: str
    actor: str
    action: str
    document_id: str | None
    copy_id: str | None
    detail: str
    """The JSON text that was hashed (parse it to read the facts)."""
    prev_hash: str
    hash: str
    key_id: str
    signature: bytes

    def public(self) -> dict[str, Any]:
        """The event as a JSON-ready dict: ``detail`` parsed, the signature left out."""
        data = asdict(self)
        del data["signature"]
        data["detail"] = json.loads(self.detail)
        return data


def utc_now() -> str:
    """The current UTC time as ISO 8601 with seconds."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def _canonical(row: dict[str, Any]) -> bytes:
    return json.dumps(row, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def event_hash(prev_hash: str, seq: int, at: str, actor: str, action: str,
               document_id: str | None, copy_id: str | None, detail: str) -> str:
    """The chained hash of one event."""
    body = _canonical({"prev": prev_hash, "seq": seq, "at": at, "actor": actor, "action": action,
                       "document_id": document_id, "copy_id": copy_id, "detail": detail})
    return hashlib.sha256(body).hexdigest()
