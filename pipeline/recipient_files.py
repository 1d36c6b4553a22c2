"""Open a recipients file as offices save it: CSV in UTF-8 (with or without BOM), GBK or
GB18030, or an XLSX workbook.

Excel on Chinese Windows saves "CSV" in the ANSI code page, which is GBK (code page 936);
"CSV UTF-8" adds a byte-order mark; WPS and newer tools write plain UTF-8. The encoding is
detected, not guessed from the locale: UTF-8 is tried first because a GBK file is almost
never valid UTF-8 (its two-byte sequences break UTF-8's continuation rules), then GBK, then
its superset GB18030 (which also covers rare characters in names). The detected encoding is
returned so that the command line can say which one it read: a wrong guess then shows at
once as mangled names in the output rather than silently in the copies.

A workbook is read with openpyxl, an optional dependency (the ``xlsx`` extra): the first
worksheet, values only, cells turned into CSV text so that every rule of
:func:`pipeline.recipients.parse_recipients` applies unchanged and row numbers in errors are
the sheet's row numbers. The workbook is untrusted: its size and the unpacked size of its
parts are bounded before openpyxl sees it.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

from mijian.pipeline.errors import InputError, MijianError
from mijian.pipeline.model import Recipient
from mijian.pipeline.recipients import MAX_RECIPIENTS, parse_recipients

MAX_FILE_BYTES = 20 * 1024 * 1024
"""Largest recipients file read (CSV or XLSX); 10,000 rows take well under 2 MB."""

MAX_XLSX_UNPACKED = 100 * 1024 * 1024
"""Largest total unpacked size of a workbook's parts (a ZIP that expands further is refused)."""

_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0"  # the legacy binary .xls (and other OLE files)


@dataclass(frozen=True)
class RecipientList:
    """The recipients of a file, and how the file was read.

    ``encoding`` is ``UTF-8``, ``UTF-8 with BOM``, ``GBK`` or ``GB18030`` for a CSV file and
    ``XLSX`` for a workbook.
    """

    path: Path
    encoding: str
    recipients: tuple[Recipient, ...]


def read_recipient_list(path: str | Path, max_rows: int = MAX_RECIPIENTS) -> RecipientList:
    """Read and validate the recipients file at ``path``; one-line :class:`InputError` on any problem."""
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError:
        raise InputError(f"{path}: the recipients file cannot be read; check the path") from None
    if len(raw) > MAX_FILE_BYTES:
        raise InputError(f"{path}: the recipients file is over {MAX_FILE_BYTES // 2**20} MB; "
                         "expected a list of at most 10,000 rows; split it")
    if raw.startswith(_OLE):
        raise InputError(f"{path}: an old binary Excel file (.xls); expected CSV or .xlsx; "
                         "save it as .xlsx or CSV and issue again (请另存为 xlsx 或 CSV)")
    if raw.startswith(_ZIP):
        text, encoding = _xlsx_as_csv(path, raw, max_rows), "XLSX"
    else:
        text, encoding = decode_csv(raw, path)
    return RecipientList(path=path, encoding=encoding,
                         recipients=parse_recipients(text, path, max_rows))


def decode_csv(raw: bytes, path: Path) -> tuple[str, str]:
    """The text of a CSV file and the name of the encoding it was found in."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\0" in raw:
        raise InputError(f"{path}: UTF-16 text (Excel's 'Unicode text'); expected CSV in UTF-8 or "
                         "GBK; save it as 'CSV UTF-8' and issue again (请另存为 CSV UTF-8)")
    if raw.startswith(codecs.BOM_UTF8):
        candidates = [("utf-8-sig", "UTF-8 with BOM")]
    else:
        candidates = [("utf-8", "UTF-8"), ("gbk", "GBK"), ("gb18030", "GB18030")]
    for codec, name in candidates:
        try:
            return raw.decode(codec), name
        except UnicodeDecodeError:
            continue
    raise InputError(f"{path}: the recipients file is neither UTF-8 nor GBK/GB18030 text; "
                     "save it as 'CSV UTF-8' and issue again (编码无法识别，请另存为 CSV UTF-8)")


def _xlsx_as_csv(path: Path, raw: bytes, max_rows: int) -> str:
    """The first worksheet of a workbook as CSV text (header row first)."""
    try:
        import openpyxl
    except ImportError:
        raise MijianError(f"{path}: reading .xlsx needs openpyxl, which is not installed; "
                          "install the extra with pip install 'mijian[xlsx]' or save the list "
                          "as CSV (读取 xlsx 需安装 mijian[xlsx])") from None
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise InputError(f"{path}: a damaged ZIP or .xlsx file; expected CSV or .xlsx; "
                         "save the list again and issue again") from None
    if unpacked > MAX_XLSX_UNPACKED:
        raise InputError(f"{path}: the workbook unpacks to {unpacked // 2**20} MB; expected at most "
                         f"{MAX_XLSX_UNPACKED // 2**20} MB; save the list as CSV")
    try:
        book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a bad workbook
        raise InputError(f"{path}: not a readable .xlsx workbook ({type(exc).__name__}); "
                         "expected an Excel workbook; save it again as .xlsx or CSV") from None
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    try:
        # the header and blank rows come on top of the recipients; a sheet far longer than
        # the limit is refused here rather than read to its end (and never cut short)
        for number, row in enumerate(book.worksheets[0].iter_rows(values_only=True), start=1):
            if number > max_rows + 1000:
                raise InputError(f"{path}: more than {max_rows} recipients; split the list")
            writer.writerow([_cell(value) for value in row])
    finally:
        book.close()
    return buffer.getvalue()


def _cell(value: object) -> str:
    """A cell as text: whole numbers without ``.0`` (an id typed as 7 is read back as 7.0)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
