"""The verbs on a document's decision after issue: change its grade, period or scope (变更),
declassify it (解密), show its decision history, and write the notice to its holders.

Like the other register verbs, each opens the office of the settings, does one thing and
closes it; refusals are the library's errors, raised unchanged, and leave the register as it
was. A ``notice`` path is checked before the decision is recorded, so a bad path refuses the
whole step; the notice itself is written after the commit (the decision stands even if the
disk then fails, and the error says how to write the notice again).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mijian.pipeline.service.values import Settings


@contextmanager
def _office(settings: Settings | None) -> Iterator[tuple[Any, Settings]]:
    """The office of ``settings`` (else of the environment), closed after use."""
    from mijian.pipeline.office import Office

    settings = settings if settings is not None else Settings.from_environment(os.environ)
    with Office.open(settings.home) as office:
        yield office, settings


@dataclass(frozen=True)
class ChangeReport:
    """A recorded change or declassification and where its notice was written (or None)."""

    change: Any  # pipeline.register_changes.GradeChange
    notice: Path | None

    def to_json(self) -> dict:
        """The object of ``mijian register change|declassify --json``."""
        return {**self.change.to_json(), "notice": str(self.notice) if self.notice else None}


@dataclass(frozen=True)
class DecisionsReport:
    """A document's decision history and the notice of its latest change, if one was asked for."""

    history: Any  # pipeline.register_changes.DecisionHistory
    notice: Path | None

    def to_json(self) -> dict:
        """The object of ``mijian register decisions --json``."""
        return {**self.history.to_json(), "notice": str(self.notice) if self.notice else None}


def _notice_path(notice: str | os.PathLike[str] | None) -> Path | None:
    from mijian.pipeline.change_notice import check_notice_path

    if notice is None:
        return None
    path = Path(notice).absolute()  # absolute, so that the path printed can be used anywhere
    check_notice_path(path)
    return path


def change_marking(document: str, *, grade: str | None = None, period: str | None = None,
                   scope: str | None = None, approver: str | None, justification: str | None,
                   notice: str | os.PathLike[str] | None = None,
                   settings: Settings | None = None) -> ChangeReport:
    """变更: change the grade, period and/or scope of a registered document by ``approver``'s
    decision, with a justification; lists the holders to tell and writes their notice."""
    from mijian.pipeline import register_changes
    from mijian.pipeline.change_notice import write_notice

    path = _notice_path(notice)
    with _office(settings) as (office, chosen):
        done = register_changes.change(office, document, grade=grade, period=period, scope=scope,
                                       approver=approver, justification=justification,
                                       actor=chosen.actor)
    return ChangeReport(change=done, notice=write_notice(done, path) if path else None)


def declassify(document: str, *, approver: str | None, justification: str | None,
               notice: str | os.PathLike[str] | None = None,
               settings: Settings | None = None) -> ChangeReport:
    """解密: declassify a registered document by ``approver``'s decision, with a justification;
    final: it cannot be changed or issued again."""
    from mijian.pipeline import register_changes
    from mijian.pipeline.change_notice import write_notice

    path = _notice_path(notice)
    with _office(settings) as (office, chosen):
        done = register_changes.declassify(office, document, approver=approver,
                                           justification=justification, actor=chosen.actor)
    return ChangeReport(change=done, notice=write_notice(done, path) if path else None)


def decisions(document: str, *, notice: str | os.PathLike[str] | None = None,
              settings: Settings | None = None) -> DecisionsReport:
    """A document's current grade, period and scope and its decision history (first decision,
    changes, declassification); ``notice`` writes the notice of the latest change again."""
    from mijian.pipeline import register_changes
    from mijian.pipeline.change_notice import write_notice

    path = _notice_path(notice)
    with _office(settings) as (office, _):
        found = register_changes.history(office, document)
        latest = register_changes.last_change(office, document) if path else None
    written = write_notice(latest, path) if latest is not None and path is not None else None
    return DecisionsReport(history=found, notice=written)
