"""Commands on drafts and leaks: ``classify``, ``issue``, ``trace``. Each parses its options,
calls one service verb, renders the result (human or ``--json``) and leaves errors to
:func:`mijian.pipeline.cli.app.main`. The bodies of ``classify`` and ``trace`` are in
:mod:`.direct`, which also runs them without Typer when their words are plain."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer

from mijian.pipeline.cli.direct import run_classify, run_trace
from mijian.pipeline.cli.output import Interrupted, console, emit, fail

JSON_HELP = "print one JSON object on stdout (errors too: {\"error\": …, \"exit\": …})"


def classify(draft: Path = typer.Argument(..., help="the draft: .pdf, .ofd, .docx or .txt"),
             scheme: str | None = typer.Option(None, help="cn-state, cn-enterprise, us or uk"),
             catalogue: Path | None = typer.Option(None, help="the office's catalogue of secret matters "
                                                   "(保密事项一览表), .toml or .csv"),
             html: Path | None = typer.Option(None, help="also write a self-contained HTML report here"),
             lang: str | None = typer.Option(None, "--lang", help="report language: zh or en (default: the draft's, "
                                                "with bilingual headings)"),
             verbose: bool = typer.Option(False, "--verbose", "-v", help="show every finding, not the top 5"),
             as_json: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """Suggest a grade for a draft: grade, period, basis, rationale and the top findings."""
    run_classify(draft, scheme, catalogue, html, lang, verbose, as_json)


@contextmanager
def _progress_bar(shown: bool) -> Iterator[object]:
    """A progress callback drawing a bar with ETA on stderr, or None when not ``shown``.

    The bar is transient: once the run ends it is replaced by the report, so a log of the
    terminal keeps the report alone.
    """
    if not shown:
        yield None
        return
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                               TimeElapsedColumn, TimeRemainingColumn)

    columns = (TextColumn("发放 issuing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TextColumn("ETA"), TimeRemainingColumn(), TextColumn("{task.fields[note]}"))
    with Progress(*columns, console=console(stderr=True), transient=True) as bar:
        task = bar.add_task("issue", total=None, note="")

        def tell(done: int, total: int, message: str) -> None:
            bar.update(task, completed=done, total=total or None, note=message)

        yield tell


def issue(draft: Path = typer.Argument(..., help="the draft: .pdf, .ofd, .docx or .txt"),
          recipients: Path = typer.Option(..., help="id,name[,unit][,email][,public_key] as CSV (UTF-8, GBK, "
                                                    "GB18030) or .xlsx"),
          grade: str | None = typer.Option(None, help="the grade to issue under (default: the registered "
                                           "decision, else the suggestion)"),
          period: str | None = typer.Option(None, help="保密期限, e.g. 20年, 6个月, 2030年12月31日, '10 years' "
                                            "(default: the registered one)"),
          scheme: str | None = typer.Option(None, help="cn-state, cn-enterprise, us or uk"),
          catalogue: Path | None = typer.Option(None, help="the office's catalogue of secret matters "
                                                "(保密事项一览表)"),
          justification: str | None = typer.Option(None, help="why a grade below the suggestion"),
          approver: str | None = typer.Option(None, help="who approved issuing the copies "
                                              "(required for 绝密/TOP SECRET)"),
          out: Path | None = typer.Option(None, help="output folder (default: mijian-out/<document id>)"),
          running: bool = typer.Option(True, "--running/--no-running",
                                       help="running header with grade, 份号 and page"),
          copy_as: str | None = typer.Option(None, "--as", help="the copies' format when not the "
                                             "draft's own: pdf for PDF copies of an OFD draft "
                                             "(OFD 底稿生成 PDF 副本)"),
          jobs: int | None = typer.Option(None, "--jobs", "-j", help="worker processes building copies "
                                             "(default: one per core, at most 4)"),
          as_json: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """Issue one numbered, marked, watermarked, encrypted copy per recipient (under the
    registered decision when the draft is registered)."""
    from mijian.pipeline import service

    request = service.IssueRequest(
        draft=draft, recipients=recipients, scheme=scheme, catalogue=catalogue, out=out,
        running=running, jobs=jobs, copy_as=copy_as.lower() if copy_as else None,
        choice=service.GradeChoice(grade=grade, period=period, justification=justification,
                                   approver=approver))
    try:
        with _progress_bar(not as_json and sys.stderr.isatty()) as tell:
            report = service.issue(request, progress=tell)  # type: ignore[arg-type]
    except KeyboardInterrupt:
        raise Interrupted("interrupted (已中断); run the same command again to finish the job: "
                          "copies made so far are kept and the rest are issued "
                          "(再次运行同一命令即可完成发放)") from None
    for warning in report.warnings:  # on stderr, so that --json keeps one object on stdout
        print(f"mijian: warning 注意: {warning}", file=sys.stderr)
    if as_json:
        shown = report.to_json()
        error = report.error()
        if error is not None:
            fail(error, as_json, shown)
        emit(shown)
        return
    from mijian.pipeline.cli.render import print_issue

    print_issue(console(), report)
    error = report.error()
    if error is not None:
        fail(error, as_json)


def trace(leak: Path = typer.Argument(..., help="the leaked copy: .pdf .docx .p7m .png .jpg .jpeg .tif .tiff .txt"),
          as_json: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """Name the recipient of a leaked copy with a false-match probability, or say it cannot."""
    run_trace(leak, as_json)
