"""Commands on derived documents (``mijian derive reproduce|extract|compile|list``).

Each parses its options, calls one service verb and prints a short summary (or one JSON object
with ``--json``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from mijian.pipeline.cli.output import emit
from mijian.pipeline.cli.records import JSON

derive_app = typer.Typer(no_args_is_help=True,
                         help="Reproductions, extracts and compilations (复制、摘录、汇编) of "
                              "registered documents, with their approvals.")

APPROVER = typer.Option(None, "--approver", help="who approved it (审批人)")
ROLE = typer.Option(None, "--approver-role",
                    help="authority (定密责任人/原定密机关, for 绝密) or leader (单位负责人, below)")
REASON = typer.Option(None, "--reason", help="why it is made (理由)")
TITLE = typer.Option(..., "--title", help="title of the new document")
DRAFT_NEW = typer.Option(..., "--draft", help="the new document's draft (.pdf, .docx, .txt, .ofd)")
SCHEME = typer.Option(None, "--scheme", help="classify the new draft on this scheme (default: "
                                             "the sources')")


def _service() -> Any:
    from mijian.pipeline import service

    return service


def reproduce(copy: str = typer.Argument(..., help="the copy id to reproduce (from the manifest)"),
              draft: Path = typer.Option(..., "--draft", help="the registered draft of the "
                                         "document (checked by SHA-256)"),
              holder: str = typer.Option(..., "--for", help="the new holder's name (接收人)"),
              holder_id: str | None = typer.Option(None, "--id", help="the new holder's id "
                                                   "(default: the name)"),
              unit: str = typer.Option("", "--unit", help="the new holder's unit (单位)"),
              office_name: str | None = typer.Option(None, "--office", help="the reproducing "
                                                     "office named in the stamp (复制机关)"),
              approver: str | None = APPROVER, approver_role: str | None = ROLE,
              reason: str | None = REASON,
              out: Path | None = typer.Option(None, "--out", help="output folder (default: "
                                              "mijian-out/reproductions)"),
              as_json: bool = JSON) -> None:
    """Reproduce a copy (复制): a new numbered, stamped, fingerprinted copy for a new holder."""
    from mijian.pipeline.copy_build import VoidedCopy
    from mijian.pipeline.errors import OutputError

    done = _service().reproduce(copy, draft=draft, holder=holder, holder_id=holder_id, unit=unit,
                                approver=approver, approver_role=approver_role, reason=reason,
                                office_name=office_name, out=out)
    made = done.copy
    if isinstance(made, VoidedCopy):
        raise OutputError(f"the reproduction (份号 {made.serial}) could not be made and was voided: "
                          f"{made.reason}; fix the cause and run the command again")
    if as_json:
        emit({"document_id": done.document_id, "parent_copy_id": done.parent_copy_id,
              "parent_serial": done.parent_serial, "copy_id": made.copy_id,
              "serial": made.serial, "file": str(made.file), "stamp": done.stamp,
              "event": done.seq, "approver": done.approval.approver,
              "approver_role": done.approval.role, "passwords": str(done.passwords)})
        return
    print(f"{done.document_id} 份号 {done.parent_serial} reproduced as 份号 {made.serial} "
          f"({made.copy_id}) for {made.recipient.name}: {made.file}")
    print(f"stamp (复制机关戳记): {done.stamp}")
    print(f"approved by {done.approval.approver} ({done.approval.role}), event {done.seq}; "
          f"password in {done.passwords}")


def _print_derived(found: Any, as_json: bool) -> None:
    if as_json:
        emit(found.to_json())
        return
    print(f"{found.document_id} {found.title}: {found.kind} registered at {found.grade} "
          f"{found.period or ''} (approved by {found.approval.approver}, event {found.seq})")
    for source in found.sources:
        print(f"  source {source['document_id']} 《{source['title']}》 {source['grade']} "
              f"{source['period'] or ''}")
    for note in found.notes:
        print(f"  {note}")
    print(f"issue it with: mijian issue DRAFT --recipients CSV --grade {found.grade}"
          + (f" --period {found.period}" if found.period else ""))


def extract(documents: list[str] = typer.Argument(..., help="source document id(s)"),
            title: str = TITLE, draft: Path = DRAFT_NEW, approver: str | None = APPROVER,
            approver_role: str | None = ROLE, reason: str | None = REASON,
            scheme: str | None = SCHEME, as_json: bool = JSON) -> None:
    """Register an extract (摘录) of registered documents as a new document."""
    _print_derived(_service().derive_document("extract", documents, draft=draft, title=title,
                                              approver=approver, approver_role=approver_role,
                                              reason=reason, scheme=scheme), as_json)


def compile_documents(documents: list[str] = typer.Argument(..., help="source document ids"),
                      title: str = TITLE, draft: Path = DRAFT_NEW,
                      approver: str | None = APPROVER, approver_role: str | None = ROLE,
                      reason: str | None = REASON, scheme: str | None = SCHEME,
                      as_json: bool = JSON) -> None:
    """Register a compilation (汇编) of registered documents as a new document."""
    _print_derived(_service().derive_document("compile", documents, draft=draft, title=title,
                                              approver=approver, approver_role=approver_role,
                                              reason=reason, scheme=scheme), as_json)


def derive_list(document: str | None = typer.Argument(None, help="only this document, as "
                                                      "derived document or source"),
                as_json: bool = JSON) -> None:
    """What was derived from what (复制、摘录、汇编记录), from a register that verifies."""
    rows = _service().derivations(document)
    if as_json:
        emit({"derivations": rows})
        return
    for r in rows:
        made = r["document_id"] + (f" copy {r['copy_id']}" if r["copy_id"] else "")
        source = r["source_document_id"] + (f" 份号 {r['source_serial']}" if r["source_serial"] else "")
        print(f"#{r['event_seq']} {r['kind']}: {made} <- {source} (approved by {r['approver']}, "
              f"{r['approver_role']}: {r['reason']})")


def register_commands() -> typer.Typer:
    """The ``derive`` sub-app with its commands."""
    derive_app.command("reproduce")(reproduce)
    derive_app.command("extract")(extract)
    derive_app.command("compile")(compile_documents)
    derive_app.command("list")(derive_list)
    return derive_app
