"""The verb that reports on the register: :func:`register_report`, the outstanding copies for
清退 and the annual check, grouped by unit and holder, optionally written as PDF and XLSX.

The output paths are checked (and openpyxl looked for) before the register is read, so a bad
path or a missing extra refuses the whole request and writes nothing. A register that fails
verification is reported on all the same: the result says so (``verified`` False and the
problem), and so do the files.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from mijian.pipeline.register_report import RegisterReport
from mijian.pipeline.service.values import Settings


def register_report(document: str | None = None, pdf: str | os.PathLike[str] | None = None,
                    xlsx: str | os.PathLike[str] | None = None, *,
                    settings: Settings | None = None) -> RegisterReport:
    """The outstanding copies (of ``document``) by unit and holder, with the register's
    verification at the time; writes the report to the new files ``pdf`` and ``xlsx`` if
    given (never over an existing file) and lists them in ``files``."""
    from mijian.pipeline.office import Office
    from mijian.pipeline.register_report import build_report
    from mijian.pipeline.report_files import (check_report_path, need_openpyxl, report_pdf,
                                              report_xlsx, write_new)

    pdf_path = Path(pdf) if pdf is not None else None
    xlsx_path = Path(xlsx) if xlsx is not None else None
    if pdf_path is not None:
        check_report_path(pdf_path, ".pdf")
    if xlsx_path is not None:
        check_report_path(xlsx_path, ".xlsx")
        need_openpyxl()
    settings = settings if settings is not None else Settings.from_environment(os.environ)
    with Office.open(settings.home) as office:
        report = build_report(office, document)
    # made whole in memory first, so a typesetting error writes no file at all
    outputs = [(path, make(report)) for path, make in ((pdf_path, report_pdf), (xlsx_path, report_xlsx))
               if path is not None]
    written = tuple(str(write_new(path, data).absolute()) for path, data in outputs)
    return dataclasses.replace(report, files=written)
