"""The check of the ``print_runs`` table against the signed ``printed`` events.

A print run's row is a cache of its ``printed`` event, which states every column (the run id
under ``run``; ``encrypted`` as a JSON boolean, stored as 0 or 1). ``register verify`` calls
:func:`print_run_problem` after the log is authenticated: a row edited (say, to claim the
printout was encrypted), added without an event, or removed while its event stands is reported.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from mijian.pipeline.register_facts import LoggedEvent

PRINTED = "printed"
"""Document event of a print run (see :mod:`pipeline.print_run`)."""

COLUMNS = ("document_id", "first_serial", "last_serial", "copies", "file", "file_sha256", "unit",
           "encrypted", "printed_at")
"""Columns of ``print_runs`` besides the id, in the order a disagreement is reported."""


def _stated(events: Mapping[str, list[LoggedEvent]]) -> dict[str, tuple[int, dict[str, Any]]]:
    """Each print run's id with the event that printed it and the row it states."""
    out = {}
    for document_events in events.values():
        for event in document_events:
            if event.action == PRINTED and isinstance(event.detail.get("run"), str):
                row = {name: event.detail.get(name) for name in COLUMNS}
                row["encrypted"] = int(bool(row["encrypted"]))
                out[event.detail["run"]] = (event.seq, row)
    return out


def print_run_problem(rows: Iterable[Mapping[str, Any]],
                      events: Mapping[str, list[LoggedEvent]]) -> str | None:
    """Why the print-run rows disagree with the ``printed`` events (one line), or None."""
    stated = _stated(events)
    seen = set()
    for row in rows:
        run = row["run_id"]
        seen.add(run)
        if run not in stated:
            return (f"print run {run} is in the print_runs table but no event printed it: the "
                    "row was added without the log (印制批次无记录)")
        seq, expected = stated[run]
        for name in COLUMNS:
            if row[name] != expected[name]:
                return (f"print run {run} has {name} {row[name]!r} but its printed event {seq} "
                        f"says {expected[name]!r}: the row was edited without an event "
                        "(印制批次与日志不符)")
    missing = sorted(set(stated) - seen)
    if missing:
        return (f"print run {missing[0]} was printed by event {stated[missing[0]][0]} but its row "
                "is missing from the print_runs table: it was deleted (印制批次登记缺失)")
    return None
