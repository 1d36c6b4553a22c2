"""The print-run verb (打印室分发): N numbered, unassigned copies of a registered document in one
PDF for the print room; each is handed out later by ``sign_for`` (``mijian register sign``).

Like the other verbs it opens the office of the settings, does one thing and closes it;
refusals are the library's errors, raised unchanged, and leave the register as it was.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from mijian.pipeline.service.values import Settings


def print_run(document: str, *, draft: str | os.PathLike[str], copies: int,
              out: str | os.PathLike[str] | None = None, unit: str | None = None,
              approver: str | None = None, settings: Settings | None = None) -> Any:
    """Print ``copies`` numbered copies of ``document`` (its registered ``draft`` given again)
    into one unencrypted PDF in ``out`` (default: the current folder), each registered as
    ``unassigned``; returns a :class:`~mijian.pipeline.print_run.PrintRun`. ``approver``:
    the originating authority's approval, required for 绝密 / TOP SECRET copies."""
    from mijian.pipeline.office import Office
    from mijian.pipeline.print_run import check_count
    from mijian.pipeline.print_run import print_run as run

    check_count(copies)  # before the office folder is opened or made
    settings = settings if settings is not None else Settings.from_environment(os.environ)
    with Office.open(settings.home) as office:
        return run(office, document, Path(draft), copies, Path(out or "."), settings.actor,
                   unit=unit, limits=settings.limits, approver=approver)
