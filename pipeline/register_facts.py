"""The facts of a register row, as its signed events state them, and the check of a row.

A row of ``copies`` or ``documents`` is only a cache of what the signed event log says. The
events that create a row carry every fact of it under ``facts`` (values, or the SHA-256 of
long or secret ones: the sealed password and a recipient's certificate). A row is sound when
each of its fact columns equals the value the latest event stating that fact gave (an event
that changes a fact, e.g. a copy made void, restates it under ``facts``), and its status
equals the status its events leave it in. Events written before facts were recorded
carry fewer fields (serial, recipient, file hash, fingerprint number); those are still
checked.

Columns that are not facts, and why: ``claim`` (which process is building a pending copy:
bookkeeping that changes without an event; a finished copy must have none), ``status_at`` (the
time of the last change; the event's own time is the signed record of it) and ``last_serial``
(a counter; checked against the highest serial the events and the signed head gave out, see :mod:`pipeline.audit`).

This module only compares; whether the events themselves are authentic (hash, chain,
signature) is checked by the caller.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any
from collections.abc import Iterable, Mapping

from mijian.pipeline.register_records import CopyStatus

RESERVED = "reserved"
"""Event action: a serial is reserved for a copy (the copy is then ``pending``)."""
DECIDED = "decided"
"""Event action: a document and the decision on its grade are registered."""
ISSUED = CopyStatus.ISSUED
PENDING = CopyStatus.PENDING
VOIDED = CopyStatus.VOIDED
UNASSIGNED = CopyStatus.UNASSIGNED

COPY_FACTS = ("document_id", "serial", "recipient_id", "recipient_name", "recipient_unit", "file",
              "file_sha256", "key_id", "fingerprint", "issued_at", "sealed_password",
              "envelope_cert")
"""Fact columns of ``copies``, in the order a disagreement is reported."""

DOCUMENT_FACTS = ("title", "source_sha256", "kind", "language", "scheme", "grade", "level",
                  "period", "suggested_grade", "suggested_level", "justification", "basis",
                  "rationale", "decided_by", "decided_at")
"""Fact columns of ``documents``: the decision on the grade (定密) and what it rests on."""

_DIGESTED = ("sealed_password", "envelope_cert")
_SETTLED = (CopyStatus.ISSUED, CopyStatus.SIGNED, CopyStatus.RETURNED, CopyStatus.DESTROYED,
            CopyStatus.LOST, CopyStatus.UNASSIGNED)
"""Statuses of a finished copy: no process may hold a claim on it (issuing clears the claim)."""
_EVENT_FIELDS = ("serial", "recipient_id", "recipient_name", "file_sha256", "fingerprint")
"""Facts that events carried before ``facts`` existed; still checked in older registers."""


def _digest(value: object) -> str | None:
    if value is None:
        return None
    data = value if isinstance(value, bytes) else str(value).encode()
    return "sha256:" + hashlib.sha256(data).hexdigest()


def copy_facts(row: Mapping[str, Any], pending: bool = False) -> dict[str, Any]:
    """The facts of a copy row (or record ``__dict__``) as an event records them.

    ``pending``: the copy is being reserved, its file hash is not known yet and is left out.
    """
    facts = {name: row[name] for name in COPY_FACTS if name not in _DIGESTED}
    for name in _DIGESTED:
        facts[name] = _digest(row[name])
    if pending:
        del facts["file_sha256"]
    return facts


def document_facts(row: Mapping[str, Any]) -> dict[str, Any]:
    """The facts of a document row (``rationale`` as a list) as the ``decided`` event records them."""
    facts = {name: row[name] for name in DOCUMENT_FACTS}
    rationale = facts["rationale"]
    if isinstance(rationale, str):
        try:
            rationale = json.loads(rationale)
        except ValueError:
            pass
    facts["rationale"] = list(rationale) if isinstance(rationale, (list, tuple)) else rationale
    return facts


@dataclass(frozen=True)
class LoggedEvent:
    """The part of one (already authenticated) event that says what a row should hold."""

    seq: int
    action: str
    document_id: str | None
    detail: dict[str, Any]


@dataclass
class Expected:
    """What a row should hold: each fact with the event that stated it, and the status."""

    facts: dict[str, tuple[object, int, str]] = field(default_factory=dict)
    status: tuple[str, int] | None = None
    created_by: tuple[int, str] | None = None


def expected_copy(events: Iterable[LoggedEvent]) -> Expected:
    """Replay one copy's events (in order) into the row they imply."""
    from mijian.pipeline.lifecycle import LIFECYCLE_ACTIONS  # imported here: lifecycle imports the register

    out = Expected()
    for event in events:
        stated: dict[str, Any] = {}
        if event.action in (RESERVED, ISSUED):
            stated = {"document_id": event.document_id}
            stated.update({k: event.detail[k] for k in _EVENT_FIELDS if k in event.detail})
            out.status = (PENDING if event.action == RESERVED else ISSUED, event.seq)
            if out.created_by is None or event.action == ISSUED:
                out.created_by = (event.seq, event.action)
        elif event.action in LIFECYCLE_ACTIONS or event.action in (VOIDED, UNASSIGNED):
            out.status = (event.action, event.seq)
        facts = event.detail.get("facts")  # any later event may restate facts it changes
        if isinstance(facts, dict):
            stated.update({k: v for k, v in facts.items() if k in COPY_FACTS})
        for name, value in stated.items():
            out.facts[name] = (value, event.seq, event.action)
    return out


def copy_problem(row: Mapping[str, Any], expected: Expected) -> str | None:
    """Why a copy row disagrees with its events (one line), or None when it agrees."""
    name = f"copy {row['copy_id']} (份号 {row['serial']}, document {row['document_id']})"
    if expected.created_by is None:
        return (f"{name} is in the copies table but no event issued it: the row was added "
                f"without the log (该份无分发记录)")
    actual = copy_facts(row)
    for column in COPY_FACTS:
        if column not in expected.facts:
            continue
        value, seq, action = expected.facts[column]
        if actual[column] != value:
            return (f"{name} has {column} {actual[column]!r} but its {action} event {seq} says "
                    f"{value!r}: the row was edited without an event (登记与日志不符)")
    status, last = expected.status or (PENDING, 0)
    if row["status"] != status:
        return (f"{name} has status {row['status']!r} but its last event {last} leaves it "
                f"{status!r}: the status was changed without an event, or events were cut off "
                f"the end of the log (状态与日志不符)")
    if status in _SETTLED and row["claim"] is not None:
        return (f"{name} is {status} but carries the claim {row['claim']!r} of a process building "
                f"it: the row was edited without an event (登记与日志不符)")
    return None


def expected_document(events: Iterable[LoggedEvent]) -> Expected:
    """Replay the document-level events of one document (in order) into its decision facts."""
    out = Expected()
    for event in events:
        if event.action == DECIDED and out.created_by is None:
            out.created_by = (event.seq, event.action)
        stated = {k: v for k, v in event.detail.items() if k in DOCUMENT_FACTS}
        facts = event.detail.get("facts") if event.action == DECIDED else None
        if isinstance(facts, dict):
            stated.update({k: v for k, v in facts.items() if k in DOCUMENT_FACTS})
        for name, value in stated.items():
            out.facts[name] = (value, event.seq, event.action)
    return out


def document_problem(row: Mapping[str, Any], expected: Expected) -> str | None:
    """Why a document row disagrees with its decision events (one line), or None."""
    document_id = row["id"]
    if expected.created_by is None:
        return (f"document {document_id} is in the documents table but no event decided it: "
                f"the row was added without the log, or events were cut off the end "
                f"(文件无定密记录)")
    actual = document_facts(row)
    for column in DOCUMENT_FACTS:
        if column not in expected.facts:
            continue
        value, seq, _action = expected.facts[column]
        if actual[column] != value:
            return (f"document {document_id} has {column} {actual[column]!r} but event {seq} "
                    f"recorded {value!r}: the row was edited without an event "
                    f"(定密信息与日志不符)")
    return None
