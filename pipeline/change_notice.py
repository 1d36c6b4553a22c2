"""The printable notice of a change of grade, period or scope, or of a declassification.

Holders of copies must be told of such a decision in writing (保密法第23条). The notice is a
bilingual (Chinese, then English) A4 PDF laid out by the project's own typesetter
(:func:`pipeline.formats.pdf.typeset.text_to_pdf`, fonts embedded): the document, the old and
new marking, the approver, the date, the justification, the register event that records the
decision, and every holder with the 份号 of the copy they hold; then one marked cover sheet
per holder (:func:`cover_sheets`), to be laid on top of the copy they keep.

The file is created new (an existing file is never overwritten) and written whole: the PDF is
made in memory first, so a failure leaves no half-written notice.
"""

from __future__ import annotations

import os
from pathlib import Path

from mijian.pipeline.errors import OutputError, UsageError
from mijian.pipeline.lifecycle import STATUS_ZH
from mijian.pipeline.register_changes import DECLASSIFIED, GradeChange


def check_notice_path(path: Path) -> None:
    """Refuse a notice path that cannot be written as a new PDF, before anything is recorded."""
    if path.suffix.lower() != ".pdf":
        raise UsageError(f"--notice {path} does not end in .pdf; the notice is a PDF; give a "
                         "name like notice.pdf (通知须为PDF文件)")
    if path.exists() or path.is_symlink():
        raise UsageError(f"{path} already exists; refusing to overwrite it; choose a new file "
                         "name for the notice (通知文件已存在，不覆盖)")
    if not path.parent.is_dir():
        raise UsageError(f"{path.parent} is not a folder; create it first or choose another place "
                         "for the notice (通知目录不存在)")


def _flat(value: str) -> str:
    """``value`` on one line: each line break or control character becomes a space. The
    notice is one fact a line, and its values come from the register (a title taken from a
    file, a recipient's name), so none may start a line of its own (a forged marking or
    approver on the paper the holders are given)."""
    return "".join(c if c.isprintable() else " " for c in value)


def notice_text(change: GradeChange) -> str:
    """The words of the notice, one paragraph a line (Chinese first, then English)."""
    if change.action == DECLASSIFIED:
        heading = ["解密通知", "Notice of declassification"]
    else:
        heading = ["密级、保密期限或知悉范围变更通知", "Notice of a change of grade, period or scope"]
    lines = [*heading, "",
             f"文件 Document: {_flat(change.title)} ({change.document_id})",
             f"原标志 Old marking: {_flat(change.old.text())}",
             f"新标志 New marking: {_flat(change.new.text())}",
             f"审批人 Approved by: {_flat(change.approver)}",
             f"日期 Date: {change.at[:10]} ({change.at})",
             f"理由 Justification: {_flat(change.justification)}",
             f"登记簿事件 Register event: {change.seq}", ""]
    if change.holders:
        lines += ["下列持有人须按新标志管理所持份件。",
                  "The holders below must handle the copies they hold under the new marking.", "",
                  "份号 Serial | 持有人 Holder | 单位 Unit | 状态 Status"]
        lines += [f"{h.serial} | {_flat(h.recipient_name)} ({_flat(h.recipient_id)}) | "
                  f"{_flat(h.recipient_unit or '-')} | {STATUS_ZH.get(h.status, h.status)} {h.status}"
                  for h in change.holders]
    else:
        lines += ["没有未清退的份件，无须通知持有人。", "No copy is outstanding; no holder needs to be told."]
    return "\f".join(["\n".join(lines), *cover_sheets(change)])


def cover_sheets(change: GradeChange) -> list[str]:
    """One marked cover sheet (变更标志页) per holder, each a page of its own: the copy's 份号
    and the new marking where GB/T 9704 puts them (the first lines, top left), then what the
    sheet is for. Laid on top of the copy, it re-marks the paper the holder keeps without a
    new copy being made; the copy's own codes and fingerprints stay, so it still traces."""
    sheets = []
    for h in change.holders:
        sheets.append("\n".join([
            h.serial, _flat(change.new.mark), "",
            "变更标志页 Cover sheet of the new marking",
            f"置于 {_flat(change.title)} ({change.document_id}) 份号 {h.serial} 之上，"
            f"持有人 {_flat(h.recipient_name)} ({_flat(h.recipient_id)})。",
            f"Lay it on top of copy 份号 {h.serial} of {change.document_id}, held by "
            f"{_flat(h.recipient_name)}.",
            f"该份原标志 {_flat(change.old.text())} 自 {change.at[:10]} 起以本页标志为准"
            f"（{_flat(change.new.text())}；登记簿事件 {change.seq}）。",
            f"From {change.at[:10]} the marking above replaces the copy's own "
            f"(register event {change.seq})."]))
    return sheets


def write_notice(change: GradeChange, path: Path) -> Path:
    """Write the notice of ``change`` to the new file ``path``; returns ``path``."""
    from mijian.pipeline.formats.pdf.typeset import text_to_pdf

    check_notice_path(path)
    data = text_to_pdf(notice_text(change), f"{change.document_id} notice", "zh")
    created = False
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        created = True
        with os.fdopen(fd, "wb") as out:
            out.write(data)
    except FileExistsError:
        raise UsageError(f"{path} appeared while the notice was made; refusing to overwrite it "
                         "(通知文件已存在，不覆盖)") from None
    except OSError as exc:
        if created:  # a half-written notice must not be taken for one
            path.unlink(missing_ok=True)
        raise OutputError(f"the notice could not be written to {path} ({exc.strerror}); the "
                          f"decision is recorded (event {change.seq}); write the notice again with "
                          f"'mijian register decisions {change.document_id} --notice FILE' "
                          "(通知写入失败，变更已登记)") from None
    return path
