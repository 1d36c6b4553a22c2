"""Commands on a document's decision after issue (``mijian register change|declassify|decisions``).

They join the ``register`` sub-app; each parses its options, calls one service verb and prints
a short summary (or one JSON object with ``--json``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from mijian.pipeline.cli.output import emit
from mijian.pipeline.cli.records import JSON, register_app

NOTICE = typer.Option(None, "--notice", help="write the printable notice to the holders to this new PDF file")
APPROVER = typer.Option(..., "--approver", help="who decided it (审批人 / 定密责任人)")
JUSTIFICATION = typer.Option(..., "--justification", help="why (变更理由 / 解密理由)")


def _service() -> Any:
    from mijian.pipeline import service

    return service


def _print_change(report: Any, as_json: bool) -> None:
    """The change, the holders to tell (with their 份号) and the notice written."""
    if as_json:
        emit(report.to_json())
        return
    change = report.change
    what = "declassified (已解密)" if change.action == "declassified" else "changed (已变更)"
    print(f"{change.document_id} {what}: {change.old.text()} -> {change.new.text()} "
          f"(approved by {change.approver}, event {change.seq})")
    if change.holders:
        print(f"holders to tell in writing (须书面通知的持有人): {len(change.holders)}")
        for h in change.holders:
            print(f"  份号 {h.serial}  {h.recipient_name} ({h.recipient_id})  {h.recipient_unit}  "
                  f"{h.status}")
    else:
        print("no copy is outstanding; no holder to tell (无未清退的份件)")
    if report.notice:
        print(f"notice written: {report.notice}")


def register_change(document: str = typer.Argument(..., help="document id (from the manifest)"),
                    grade: str | None = typer.Option(None, "--grade", help="the new grade (密级)"),
                    period: str | None = typer.Option(None, "--period", help="the new period (保密期限)"),
                    scope: str | None = typer.Option(None, "--scope", help="the new scope (知悉范围)"),
                    approver: str = APPROVER, justification: str = JUSTIFICATION,
                    notice: Path | None = NOTICE, as_json: bool = JSON) -> None:
    """Change a document's grade, period or scope (变更); lists the holders to tell."""
    _print_change(_service().change_marking(document, grade=grade, period=period, scope=scope,
                                            approver=approver, justification=justification,
                                            notice=notice), as_json)


def register_declassify(document: str = typer.Argument(..., help="document id (from the manifest)"),
                        approver: str = APPROVER, justification: str = JUSTIFICATION,
                        notice: Path | None = NOTICE, as_json: bool = JSON) -> None:
    """Declassify a document (解密); final: it cannot be changed or issued again."""
    _print_change(_service().declassify(document, approver=approver, justification=justification,
                                        notice=notice), as_json)


def register_decisions(document: str = typer.Argument(..., help="document id (from the manifest)"),
                       notice: Path | None = typer.Option(
                           None, "--notice", help="write the notice of the latest change again to this new PDF"),
                       as_json: bool = JSON) -> None:
    """A document's current grade, period and scope and its decision history (定密、变更、解密)."""
    report = _service().decisions(document, notice=notice)
    if as_json:
        emit(report.to_json())
        return
    found = report.history
    state = "declassified (已解密)" if found.declassified else "current (现标志)"
    print(f"{found.document_id} {found.title} [{found.scheme}] {state}: {found.current.text()}")
    for e in found.events:
        detail = {k: v for k, v in e.detail.items() if k != "facts"}
        print(f"#{e.seq} {e.at} {e.actor} {e.action} " + json.dumps(detail, ensure_ascii=False))
    if report.notice:
        print(f"notice written: {report.notice}")


def register_commands() -> None:
    """Add ``change``, ``declassify`` and ``decisions`` to the ``register`` sub-app."""
    register_app.command("change")(register_change)
    register_app.command("declassify")(register_declassify)
    register_app.command("decisions")(register_decisions)
