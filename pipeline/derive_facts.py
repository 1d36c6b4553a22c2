"""Reproductions (复制), extracts (摘录) and compilations (汇编): who must approve them, how
their signed events state their sources, and the check of the ``derivations`` table.

Rules, and why:

- Reproducing, extracting from or compiling a classified document needs an approval by the
  role its grade needs: 绝密 / TOP SECRET by the classifying authority (定密责任人 or the
  originating office, 原定密机关: ``authority``); lower grades by the unit's leader (单位负责人:
  ``leader``). The role is matched exactly: an authority is not asked to approve a routine
  机密 reproduction and a leader cannot approve a 绝密 one, so the record always shows the
  approval the rule names. The approver's name, role and a reason are required.
- Every derivation is one signed event (action ``reproduced`` on the new copy, ``derived`` on
  the new document) whose detail states its sources under ``derivation``. The table
  ``derivations`` restates them one row per source so that they can be looked up; like every
  other table it is a cache of the log: :func:`derivation_problem` replays the events into the
  rows they imply, and ``register verify`` fails on a row edited, added or removed.

This module only states rules and compares; it holds no SQL and writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from mijian.pipeline.errors import UsageError

REPRODUCED = "reproduced"
"""Event action on a reproduced copy (复制): it states the parent copy and the approval."""
DERIVED = "derived"
"""Event action on an extract or compilation (摘录、汇编): it states its source documents."""
DERIVATION_ACTIONS = (REPRODUCED, DERIVED)

REPRODUCE, EXTRACT, COMPILE = "reproduce", "extract", "compile"
KIND_ZH = {REPRODUCE: "复制", EXTRACT: "摘录", COMPILE: "汇编"}

AUTHORITY, LEADER = "authority", "leader"
ROLES = {AUTHORITY: "定密责任人/原定密机关", LEADER: "单位负责人"}

TOP_LEVEL = 4
"""Level of 绝密 / TOP SECRET on the common ladder."""


def role_needed(level: int) -> str:
    """The role that approves a derivation of a document at ``level``."""
    return AUTHORITY if level >= TOP_LEVEL else LEADER


@dataclass(frozen=True)
class Approval:
    """Who approved a derivation, in which role, and why."""

    approver: str
    role: str
    reason: str


def _line(value: str | None, what: str, option: str, zh: str) -> str:
    """``value`` stripped: required, and one line (it is printed on the copy and in notices)."""
    text = (value or "").strip()
    if not text:
        raise UsageError(f"{what} is required and was empty; give {option} (须填写{zh})")
    if any(not c.isprintable() for c in text):
        raise UsageError(f"{what} contains a line break or control character; give {option} "
                         "as one line of text (不能含换行或控制字符)")
    return text


def check_approval(approver: str | None, role: str | None, reason: str | None, level: int,
                   grade: str, kind: str) -> Approval:
    """The approval of a derivation at ``level``, refused (exit 2) when a part is missing or the
    role is not the one the grade needs."""
    name = _line(approver, f"the approver of the {kind}", "--approver NAME", "审批人")
    given = _line(role, f"the approver's role of the {kind}", "--approver-role authority|leader",
                  "审批人身份")
    if given not in ROLES:
        raise UsageError(f"approver role '{given}' is not known; give --approver-role authority "
                         "(定密责任人/原定密机关) or leader (单位负责人)")
    needed = role_needed(level)
    if given != needed:
        raise UsageError(f"{KIND_ZH[kind]} ({kind}) of a {grade} document needs the approval of the "
                         f"{needed} ({ROLES[needed]}), not of the {given} ({ROLES[given]}); give "
                         f"--approver-role {needed} with the name of who approved it "
                         f"({grade}件{KIND_ZH[kind]}须经{ROLES[needed]}批准)")
    return Approval(name, given, _line(reason, f"the reason for the {kind}", "--reason TEXT",
                                       f"{KIND_ZH[kind]}理由"))


def derivation_detail(kind: str, approval: Approval, sources: list[dict[str, Any]],
                      copy_id: str | None = None, **extra: Any) -> dict[str, Any]:
    """The detail of a derivation's signed event: everything its rows restate, and ``extra``
    facts shown in the history (the stamp, the inherited grade and period, the rule used)."""
    return {"derivation": {"kind": kind, "copy_id": copy_id, "approver": approval.approver,
                           "approver_role": approval.role, "reason": approval.reason,
                           "sources": sources, **extra}}


def rows_of(seq: int, document_id: str | None, detail: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The ``derivations`` rows the event ``seq`` implies (one per source, in order)."""
    found = detail.get("derivation")
    if not isinstance(found, dict) or not isinstance(found.get("sources"), list):
        return []
    return [{"event_seq": seq, "position": index, "kind": found.get("kind"),
             "document_id": document_id, "copy_id": found.get("copy_id"),
             "source_document_id": source.get("document_id"),
             "source_copy_id": source.get("copy_id"), "source_serial": source.get("serial"),
             "approver": found.get("approver"), "approver_role": found.get("approver_role"),
             "reason": found.get("reason")}
            for index, source in enumerate(found["sources"]) if isinstance(source, dict)]


def derivation_problem(rows: Iterable[Mapping[str, Any]], events: Iterable[Any]) -> str | None:
    """Why the ``derivations`` rows disagree with the derivation events (one line), or None.

    ``events`` are the log's authenticated events (``seq``, ``action``, ``document_id``,
    ``detail``); every row must be one an event implies, and every implied row must be there."""
    expected = {}
    for event in events:
        if event.action in DERIVATION_ACTIONS:
            for implied in rows_of(event.seq, event.document_id, event.detail):
                expected[(implied["event_seq"], implied["position"])] = implied
    seen = set()
    for stored in rows:
        key = (stored["event_seq"], stored["position"])
        seen.add(key)
        want = expected.get(key)
        if want is None:
            return (f"derivation row {key[0]}/{key[1]} (document {stored['document_id']}) has no "
                    "derivation event in the log: it was added without the log (派生记录无日志)")
        for column, value in want.items():
            if stored[column] != value:
                return (f"derivation row {key[0]}/{key[1]} has {column} {stored[column]!r} but event "
                        f"{key[0]} recorded {value!r}: the row was edited without an event "
                        "(派生记录与日志不符)")
    missing = sorted(set(expected) - seen)
    if missing:
        seq, position = missing[0]
        return (f"derivation event {seq} names source {position + 1} but its row is missing from "
                "the derivations table: it was deleted (派生记录缺失)")
    return None
