"""The files of a register report: a bilingual PDF and an XLSX workbook.

The PDF is laid out by the project's own typesetter
(:func:`pipeline.formats.pdf.typeset.text_to_pdf`, fonts embedded), headings in Chinese then
English, like the notice of a change. The workbook is made with openpyxl, the optional
``xlsx`` extra; without it the request is refused in one line naming the extra, before
anything is written.

Every cell that a spreadsheet would run as a formula (a start of ``=``, ``+``, ``-``, ``@``,
tab or carriage return) gets a leading apostrophe, as ``passwords.csv`` does
(:func:`pipeline.issue_outputs.spreadsheet_cell`): a holder named ``=HYPERLINK(…)`` stays text.

Both files are made whole in memory, written to a new hidden file beside the target, then
linked to the target name, which fails when that name exists: an existing file is never
overwritten and a half-written report is never seen under its name. Mode 0600: the report
names who holds which classified copy.
"""

from __future__ import annotations

import contextlib
import io
import os
import secrets
from pathlib import Path

from mijian.pipeline.errors import MijianError, OutputError, UsageError
from mijian.pipeline.issue_outputs import spreadsheet_cell
from mijian.pipeline.lifecycle import STATUS_ZH
from mijian.pipeline.register_report import RegisterReport
from mijian.pipeline.safe_files import create_exclusive

HEADER = ("单位 Unit", "持有人 Holder", "持有人编号 Holder id", "份号 Serial", "文件 Document",
          "文件编号 Document id", "密级 Grade★period", "状态 Status", "分发 Issued", "签收 Signed")
"""The columns of the workbook's table, Chinese then English."""


def check_report_path(path: Path, suffix: str) -> None:
    """Refuse a report path that cannot be written as a new file, before any work is done."""
    if path.suffix.lower() != suffix:
        raise UsageError(f"{path} does not end in {suffix}; give a name like report{suffix} "
                         f"(报表文件须以{suffix}结尾)")
    if path.exists() or path.is_symlink():
        raise UsageError(f"{path} already exists; refusing to overwrite it; choose a new file "
                         "name for the report (报表文件已存在，不覆盖)")
    if not path.parent.is_dir():
        raise UsageError(f"{path.parent} is not a folder; create it first or choose another place "
                         "for the report (报表目录不存在)")


def need_openpyxl() -> None:
    """Refuse an XLSX report when openpyxl (the ``xlsx`` extra) is not installed."""
    try:
        import openpyxl  # noqa: F401
    except ImportError:
        raise MijianError("an .xlsx report needs openpyxl, which is not installed; install it "
                          "with pip install 'mijian[xlsx]' or ask for --pdf or --json "
                          "(生成 xlsx 报表需安装 mijian[xlsx])") from None


def _status(status: str) -> str:
    return f"{STATUS_ZH.get(status, status)} {status}"


def _day(at: str | None) -> str:
    return at[:10] if at else "-"


def _verify_lines(report: RegisterReport) -> list[str]:
    if report.verified:
        return [f"登记簿核验 Register verification: 通过 passed ({report.events_checked} events)"]
    return ["*** 登记簿核验未通过 REGISTER FAILED VERIFICATION ***",
            f"问题 Problem: {report.problem}",
            "以下各行按存储原样列出，未经核验。 The rows below are shown as stored, unchecked.", ""]


def report_text(report: RegisterReport) -> str:
    """The words of the PDF report, one paragraph a line (Chinese first, then English)."""
    scope = report.document_id or "全部文件 all documents"
    lines = ["未清退密件报表", "Report of outstanding copies", "",
             *_verify_lines(report),
             f"日期 Date: {report.at[:10]} ({report.at})", f"范围 Scope: {scope}",
             f"合计 Total: {report.total}", ""]
    if not report.units:
        lines += ["没有未清退的份件。 No copy is outstanding."]
    for unit in report.units:
        lines += [f"单位 Unit: {unit.unit} — 合计 total {unit.total}"]
        for holder in unit.holders:
            lines += [f"持有人 Holder: {holder.recipient_name} ({holder.recipient_id})"]
            lines += [f"份号 {c.serial} | {c.title} ({c.document_id}) | {c.marking} | "
                      f"{_status(c.status)} | 分发 issued {_day(c.issued_at)} | "
                      f"签收 signed {_day(c.signed_at)}" for c in holder.copies]
        lines.append("")
    return "\n".join(lines)


def report_pdf(report: RegisterReport) -> bytes:
    """The report as PDF bytes."""
    from mijian.pipeline.formats.pdf.typeset import text_to_pdf

    return text_to_pdf(report_text(report), "outstanding copies report", "zh")


def report_xlsx(report: RegisterReport) -> bytes:
    """The report as XLSX bytes: a heading block, then one row per copy and a total per unit."""
    need_openpyxl()
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "outstanding"
    verified = ("通过 passed" if report.verified
                else f"未通过 FAILED: {report.problem}")
    rows: list[list[object]] = [["未清退密件报表 Report of outstanding copies"],
               ["日期 Date", report.at], ["范围 Scope", report.document_id or "全部文件 all documents"],
               ["登记簿核验 Register verification", verified], ["合计 Total", report.total], [],
               list(HEADER)]
    for unit in report.units:
        for holder in unit.holders:
            rows += [[unit.unit, holder.recipient_name, holder.recipient_id, c.serial, c.title,
                      c.document_id, c.marking, _status(c.status), _day(c.issued_at),
                      _day(c.signed_at)] for c in holder.copies]
        rows.append([unit.unit, "合计 Total", unit.total])
    for row in rows:
        sheet.append([spreadsheet_cell(v) if isinstance(v, str) else v for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def write_new(path: Path, data: bytes) -> Path:
    """Write ``data`` as the new file ``path``, whole, never over an existing file."""
    temp = path.parent / f".{path.name}.{secrets.token_hex(8)}.tmp"
    try:
        fd = create_exclusive(temp)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.link(temp, path)  # fails when the name exists: never an overwrite
    except FileExistsError:
        raise UsageError(f"{path} appeared while the report was made; refusing to overwrite it "
                         "(报表文件已存在，不覆盖)") from None
    except OSError as exc:
        raise OutputError(f"the report could not be written to {path} ({exc.strerror}); check "
                          "the folder's permissions and free space, then run again "
                          "(报表写入失败)") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
    return path
