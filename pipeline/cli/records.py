"""Commands on the register (``mijian register …``) and the office keys (``mijian keys …``).

Each parses its options, calls one service verb and renders its result: a short human line or
table, or one JSON object with ``--json``.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import typer

from mijian.pipeline.cli.output import console, emit, fail

register_app = typer.Typer(no_args_is_help=True, help="The register of copies (登记簿).")
keys_app = typer.Typer(no_args_is_help=True, help="The office keys in MIJIAN_HOME.")

JSON = typer.Option(False, "--json", help="print one JSON object on stdout")


def _service() -> Any:
    from mijian.pipeline import service

    return service


def _changed(record: Any, as_json: bool) -> None:
    """Show a copy after a step of its life."""
    if as_json:
        emit({"copy": record.public()})
        return
    print(f"{record.copy_id} 份号 {record.serial} {record.recipient_name}: {record.status}")


@register_app.command("list")
def register_list(document: str | None = typer.Option(None, help="only this document id"),
                  outstanding: bool = typer.Option(False, help="only copies neither returned nor destroyed"),
                  as_json: bool = JSON) -> None:
    """List registered copies."""
    copies = _service().list_copies(document, outstanding)
    if as_json:
        emit({"copies": [c.public() for c in copies]})
        return
    from mijian.pipeline.cli.render import print_copies

    print_copies(console(), copies)


@register_app.command("show")
def register_show(copy: str = typer.Argument(..., help="the copy id from the manifest"),
                  as_json: bool = JSON) -> None:
    """Show one copy, its file, its document's decision and its events."""
    details = _service().show_copy(copy)
    if as_json:
        emit(details.to_json())
        return
    from mijian.pipeline.cli.render import print_copy

    print_copy(console(), details)


@register_app.command("sign")
def register_sign(copy: str = typer.Argument(..., help="copy id"),
                  by: str = typer.Option(..., "--by", help="who signed for it (签收人)"),
                  unit: str | None = typer.Option(None, "--unit", help="their unit, when an "
                                                  "unassigned print-run copy is handed out"),
                  as_json: bool = JSON) -> None:
    """Record that the recipient signed for a copy (签收); hands out a print-run copy."""
    _changed(_service().sign_for(copy, by, unit=unit), as_json)


@register_app.command("return")
def register_return(copy: str = typer.Argument(..., help="copy id"),
                    to: str = typer.Option(..., "--to", help="who received it back (清退接收人)"),
                    as_json: bool = JSON) -> None:
    """Record that a copy was returned (清退)."""
    _changed(_service().return_copy(copy, to), as_json)


@register_app.command("destroy")
def register_destroy(copy: str = typer.Argument(..., help="copy id"),
                     approver: str = typer.Option(..., help="who approved the destruction (审批人)"),
                     witness: str = typer.Option(..., help="who witnessed it (监销人)"),
                     method: str | None = typer.Option(None, help="how, e.g. 粉碎 / shredded"),
                     as_json: bool = JSON) -> None:
    """Record that a copy was destroyed with approval and a witness (销毁)."""
    _changed(_service().destroy_copy(copy, approver, witness, method), as_json)


@register_app.command("lost")
def register_lost(copy: str = typer.Argument(..., help="copy id"),
                  note: str = typer.Option(..., help="what is known of the loss"),
                  as_json: bool = JSON) -> None:
    """Record that a copy was lost (遗失)."""
    _changed(_service().mark_lost(copy, note), as_json)


@register_app.command("void")
def register_void(copy: str = typer.Argument(..., help="copy id of a pending copy"),
                  reason: str = typer.Option(..., "--reason", help="why it is voided (作废原因)"),
                  other_host_gone: bool = typer.Option(False, "--other-host-gone",
                                                       help="the run was on another host that is gone for good"),
                  as_json: bool = JSON) -> None:
    """Void a pending copy whose issuing run is gone (作废); its serial is never reused."""
    _changed(_service().void_copy(copy, reason, other_host_gone), as_json)


@register_app.command("history")
def register_history(copy: str = typer.Argument(..., help="copy id"), as_json: bool = JSON) -> None:
    """Every event of one copy, oldest first."""
    events = _service().copy_history(copy)
    if as_json:
        emit({"copy_id": copy, "events": list(events)})
        return
    for e in events:
        print(f"#{e['seq']} {e['at']} {e['actor']} {e['action']} "
              + json.dumps(e["detail"], ensure_ascii=False))


@register_app.command("outstanding")
def register_outstanding(document: str | None = typer.Option(None, help="only this document id"),
                         as_json: bool = JSON) -> None:
    """Copies neither returned nor destroyed."""
    register_list(document=document, outstanding=True, as_json=as_json)


@register_app.command("holders")
def register_holders(document: str = typer.Argument(..., help="document id"), as_json: bool = JSON) -> None:
    """Who must be told of a change of grade, period or scope (holders of unreturned copies)."""
    rows = [dataclasses.asdict(h) for h in _service().holders(document)]
    if as_json:
        emit({"document_id": document, "holders": rows})
        return
    for h in rows:
        print("  ".join(str(v) for v in h.values()))


@register_app.command("verify")
def register_verify(as_json: bool = JSON) -> None:
    """Check the signed, hash-chained event log and the tables against it (exit 4 if not intact)."""
    service = _service()
    report = service.verify_register()
    error = service.verify_error(report)
    if error is not None:
        fail(error, as_json, dataclasses.asdict(report))
    if as_json:
        emit(dataclasses.asdict(report))
        return
    print(f"register intact: {report.events_checked} events verified (登记簿完整)")


@register_app.command("acknowledge-restore")
def register_acknowledge_restore(
        by: str = typer.Option(..., help="the officer who checked and accepts the restored register"),
        reason: str = typer.Option(..., help="why the register was restored"),
        as_json: bool = JSON) -> None:
    """Accept a restored register (signed event); serials continue above the highest given out."""
    done = _service().acknowledge_restore(by, reason)
    if as_json:
        emit(dataclasses.asdict(done))
        return
    print(f"restore acknowledged by {by} (event {done.seq}, register was {done.state}) (已确认恢复)")
    for document_id, first, last in done.gaps:
        given = f"{first:06d}" if first == last else f"{first:06d}-{last:06d}"
        print(f"  {document_id}: 份号 {given} given out after the backup, not in this register; "
              "serials continue above")


@register_app.command("backup")
def register_backup(dest: Path = typer.Argument(..., help="the backup file to create"),
                    as_json: bool = JSON) -> None:
    """Take a consistent online copy of the register."""
    done = _service().backup_register(dest)
    if as_json:
        emit(done.to_json())
        return
    print(f"backup written: {done.path} (restore: stop mijian, copy it over MIJIAN_HOME/register.db, "
          "then run 'mijian register acknowledge-restore --by NAME --reason TEXT')")


@keys_app.command("rotate")
def keys_rotate(as_json: bool = JSON) -> None:
    """Make a new office key; copies issued under older keys still trace and verify."""
    done = _service().rotate_key()
    if as_json:
        emit(done.to_json())
        return
    print(f"new office key {done.key.key_id} is now current; {done.kept} key(s) kept in {done.folder}")


@keys_app.command("list")
def keys_list(as_json: bool = JSON) -> None:
    """The office keys by id, newest first (never their bytes)."""
    keys = _service().list_keys()
    if as_json:
        emit({"keys": [k.to_json() for k in keys]})
        return
    for key in keys:
        print(f"{key.key_id}  {key.created}  {'current' if key.current else 'older'}")
