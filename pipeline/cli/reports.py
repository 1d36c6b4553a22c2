"""``mijian register report``: the outstanding copies for 清退 and the annual check.

Prints the report (or one JSON object with ``--json``) and writes it as PDF and XLSX when
asked. A register that fails verification is reported on, with the failure shown first and
on stderr; the command still ends with 0, since the report was made as asked.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from mijian.pipeline.cli.output import emit, error_line
from mijian.pipeline.cli.records import JSON, register_app


def register_report(document: str | None = typer.Option(None, help="only this document id"),
                    pdf: Path | None = typer.Option(None, "--pdf", help="write the report as this new PDF"),
                    xlsx: Path | None = typer.Option(None, "--xlsx",
                                                     help="write the report as this new workbook"),
                    as_json: bool = JSON) -> None:
    """Outstanding copies by unit and holder, with the register's verification (清退/清查报表)."""
    from mijian.pipeline import service
    from mijian.pipeline.report_files import report_text

    report = service.register_report(document, pdf, xlsx)
    if not report.verified:
        error_line(f"register failed verification (登记簿核验未通过): {report.problem}; the report "
                   "shows the rows as stored")
    if as_json:
        emit(report.to_json())
        return
    sys.stdout.write(report_text(report) + "\n")
    for written in report.files:
        print(f"report written: {written}")


def register_commands() -> None:
    """Add ``report`` to the ``register`` sub-app."""
    register_app.command("report")(register_report)
