"""The report of outstanding copies for 清退 (recall) and the annual check (年度清查).

It lists every copy somebody still holds — issued, signed or lost, the copies
``register list --outstanding`` counts — grouped by unit (``recipient_unit``) and, inside a
unit, by holder, with each copy's 份号, document title, grade★period, status and its issue and
sign dates, and a total per unit.

The report states when it was made and whether the register passed its full verification at
that moment. A register that fails is still reported on, because the check must go on when it
matters most; its rows are then read as stored (the checked lookups would refuse the edited
ones) and the report says so prominently, so nobody takes it for a clean record.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from mijian.pipeline.errors import RegisterError
from mijian.pipeline.office import Office
from mijian.pipeline.register_records import CopyRecord, CopyStatus, DocumentRecord, utc_now

NOT_HELD: frozenset[str] = frozenset({CopyStatus.PENDING, CopyStatus.RETURNED,
                                      CopyStatus.DESTROYED, CopyStatus.VOIDED})
"""Statuses left out of the report: a copy not yet made, given back, destroyed or never made
(the same rule as ``register list --outstanding``)."""

NO_UNIT = "(无单位 no unit)"
"""How a copy whose recipient has no unit is grouped and shown."""


@dataclass(frozen=True)
class ReportCopy:
    """One outstanding copy as the report shows it."""

    copy_id: str
    document_id: str
    serial: str
    title: str
    marking: str
    """The grade with its period, ``机密★20年`` (the grade alone when there is no period)."""
    status: str
    issued_at: str
    signed_at: str | None
    recipient_id: str
    recipient_name: str
    recipient_unit: str


@dataclass(frozen=True)
class HolderCopies:
    """The outstanding copies of one holder."""

    recipient_id: str
    recipient_name: str
    copies: tuple[ReportCopy, ...]


@dataclass(frozen=True)
class UnitCopies:
    """The holders of one unit and how many copies they hold in all."""

    unit: str
    holders: tuple[HolderCopies, ...]
    total: int


@dataclass(frozen=True)
class RegisterReport:
    """The whole report: when, of what, the register's verification, the groups, the total.

    ``verified`` is the outcome of the full verification run when the report was made;
    ``problem`` says what failed (None when it passed). ``files`` are the files written.
    """

    at: str
    document_id: str | None
    verified: bool
    problem: str | None
    events_checked: int
    units: tuple[UnitCopies, ...]
    total: int
    files: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The report as one JSON-ready dict."""
        return {"at": self.at, "document_id": self.document_id, "verified": self.verified,
                "problem": self.problem, "events_checked": self.events_checked,
                "total": self.total, "files": list(self.files),
                "units": [{"unit": u.unit, "total": u.total,
                           "holders": [{"recipient_id": h.recipient_id,
                                        "recipient_name": h.recipient_name,
                                        "copies": [c.__dict__ for c in h.copies]}
                                       for h in u.holders]} for u in self.units]}


def marking_text(document: DocumentRecord | None) -> str:
    """``grade★period`` of a document (the grade alone without a period; ``?`` if unknown)."""
    if document is None:
        return "?"
    return f"{document.grade}★{document.period}" if document.period else document.grade


def _rows(office: Office, document_id: str | None,
          verified: bool) -> tuple[list[CopyRecord], dict[str, DocumentRecord]]:
    """The outstanding copies and their documents: checked lookups on a sound register, the
    rows as stored on one that failed verification (whose lookups would refuse them)."""
    register = office.register
    if verified:
        copies = [c for c in register.list_copies(document_id, outstanding=True)
                  if c.status not in NOT_HELD]
        documents = {}
        for doc_id in {c.document_id for c in copies}:
            found = register.get_document(doc_id)
            if found is not None:
                documents[doc_id] = found
        return copies, documents
    fields = set(CopyRecord.__dataclass_fields__)
    copies = [CopyRecord(**{k: v for k, v in row.items() if k in fields})
              for row in register.copy_rows()
              if row["status"] not in NOT_HELD and document_id in (None, row["document_id"])]
    documents = {}
    for row in register.document_rows():
        data = {k: v for k, v in row.items() if k in DocumentRecord.__dataclass_fields__}
        try:
            data["rationale"] = tuple(json.loads(data.get("rationale") or "[]"))
            documents[row["id"]] = DocumentRecord(**data)
        except (TypeError, ValueError):  # an edited row is shown as unknown, not fatal
            continue
    return copies, documents


def _signed_at(office: Office, copy_id: str) -> str | None:
    """When the copy was signed for (its ``signed`` event), or None."""
    for event in office.register.events(copy_id):
        if event.action == CopyStatus.SIGNED:
            return event.at
    return None


def _group(copies: list[ReportCopy]) -> tuple[UnitCopies, ...]:
    """Copies by unit, then by holder (id), then by document and serial."""
    units: dict[str, dict[str, list[ReportCopy]]] = defaultdict(lambda: defaultdict(list))
    for copy in copies:
        units[copy.recipient_unit or NO_UNIT][copy.recipient_id].append(copy)
    grouped = []
    for unit in sorted(units):
        holders = []
        for recipient_id in sorted(units[unit]):
            held = sorted(units[unit][recipient_id], key=lambda c: (c.document_id, c.serial))
            holders.append(HolderCopies(recipient_id=recipient_id,
                                        recipient_name=held[0].recipient_name, copies=tuple(held)))
        grouped.append(UnitCopies(unit=unit, holders=tuple(holders),
                                  total=sum(len(h.copies) for h in holders)))
    return tuple(grouped)


def build_report(office: Office, document_id: str | None = None) -> RegisterReport:
    """Verify the register, then gather its outstanding copies (of one document) by unit and
    holder. An unknown ``document_id`` is a :class:`RegisterError` (a typo would otherwise
    read as "nothing outstanding")."""
    from mijian.pipeline.audit import verify_register

    at = utc_now()
    check = verify_register(office)
    if document_id is not None and not any(
            row["id"] == document_id for row in office.register.document_rows()):
        raise RegisterError(f"document {document_id} is not in the register; check the id in "
                            "manifest.json (登记簿中没有此文件)")
    copies, documents = _rows(office, document_id, check.ok)
    shown = [ReportCopy(copy_id=c.copy_id, document_id=c.document_id, serial=c.serial,
                        title=documents[c.document_id].title if c.document_id in documents else "?",
                        marking=marking_text(documents.get(c.document_id)), status=c.status,
                        issued_at=c.issued_at, signed_at=_signed_at(office, c.copy_id),
                        recipient_id=c.recipient_id, recipient_name=c.recipient_name,
                        recipient_unit=c.recipient_unit)
             for c in copies]
    return RegisterReport(at=at, document_id=document_id, verified=check.ok,
                          problem=check.problem, events_checked=check.events_checked,
                          units=_group(shown), total=len(shown))
