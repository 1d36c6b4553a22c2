"""``mijian print``: numbered copies for the print room (打印室分发) in one PDF.

Parses its options, calls one service verb and prints a short summary (or one JSON object
with ``--json``), saying that the PDF is not encrypted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from mijian.pipeline.cli.output import emit
from mijian.pipeline.cli.records import JSON


def _service() -> Any:
    from mijian.pipeline import service

    return service


def print_copies(document: str = typer.Argument(..., help="document id (from the manifest)"),
                 draft: Path = typer.Option(..., "--draft", help="the registered draft (checked "
                                            "against its SHA-256; the register keeps no draft)"),
                 copies: int = typer.Option(..., "--copies", help="how many copies (1..500)"),
                 out: Path = typer.Option(Path("."), "--out", help="folder for the print-run PDF"),
                 unit: str | None = typer.Option(None, "--unit", help="the print room (打印室) "
                                                 "keeping the copies until hand-out"),
                 approver: str | None = typer.Option(None, "--approver", help="the originating "
                                                     "authority's approval (绝密 copies)"),
                 as_json: bool = JSON) -> None:
    """Print N numbered, unassigned copies in one PDF for the print room (打印室分发)."""
    run = _service().print_run(document, draft=draft, copies=copies, out=out, unit=unit,
                                    approver=approver)
    if as_json:
        emit(run.to_json())
        return
    print(f"print run {run.run_id} of {run.document_id}: {len(run.copies)} copies, 份号 "
          f"{run.copies[0].serial}-{run.copies[-1].serial}, unassigned (未分发), kept by {run.unit}")
    print(f"written: {run.file}")
    print("NOT ENCRYPTED (未加密): print it, then delete the file; hand each copy out with "
          "'mijian register sign COPY --by NAME'")
    for c in run.copies:
        print(f"  份号 {c.serial}  {c.copy_id}  pages {c.first_page}-{c.last_page}")
