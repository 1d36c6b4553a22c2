"""The typed inputs and results of the service verbs (frozen dataclasses).

Results that the library already has as frozen values are returned as they are
(:class:`~mijian.pipeline.analysis.Classification`, :class:`~mijian.pipeline.decision.Decision`,
:class:`~mijian.pipeline.issuing.IssueResult`, :class:`~mijian.pipeline.trace_model.TraceResult`,
:class:`~mijian.pipeline.register_records.CopyRecord`, :class:`~mijian.pipeline.audit.VerifyReport`);
the values here add what a front end needs around them. Each result that a front end prints
as JSON has a ``to_json`` method giving the object of the command-line contract, so the
command line and a web app print the same fields.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mijian.pipeline.errors import MijianError, RegisterError
# the settings and the progress callback live in .settings, which a trace imports alone (the
# values here are frozen dataclasses, some 10 ms to make, that a trace never uses)
from mijian.pipeline.service.settings import Progress as Progress
from mijian.pipeline.service.settings import Settings as Settings
from mijian.pipeline.service.settings import default_home as default_home

@dataclass(frozen=True)
class GradeChoice:
    """The classification authority's choice (定密): a grade and period other than the
    suggestion, the justification for a lower grade, the approver of 绝密 copies, the scope
    (知悉范围) and who decided (``decided_by``: the authority, when the decision was made
    before the issue by someone other than the person issuing; None: the person issuing)."""

    grade: str | None = None
    period: str | None = None
    justification: str | None = None
    approver: str | None = None
    scope: str | None = None
    decided_by: str | None = None


@dataclass(frozen=True)
class IssueRequest:
    """What to issue: the draft, the recipients file (CSV or XLSX), the officer's choice,
    the output folder (default ``mijian-out/<document id>``), the running header, and the
    number of worker processes (None: one per core, at most four).

    ``choice`` is what the person issuing says now; for a draft the register already holds,
    a grade or period in it must be the registered one. ``decided`` is a decision made
    before the issue and kept outside the register (the web app's 定密 of an uploaded
    draft): it is the first decision when the register does not hold the draft yet, and is
    left aside once it does (the registered decision, changed or not, then stands).

    Workers are started with ``spawn``, which imports the calling program's main module
    again: a script calling :func:`~mijian.pipeline.service.issue` keeps its top-level code
    under ``if __name__ == "__main__":``, or sets ``jobs=1`` to build in its own process.
    """

    draft: Path
    recipients: Path
    choice: GradeChoice = GradeChoice()
    decided: GradeChoice | None = None
    scheme: str | None = None
    catalogue: Path | None = None
    out: Path | None = None
    running: bool = True
    jobs: int | None = None
    copy_as: str | None = None
    """The format of the copies when not the draft's usual one: ``pdf`` for PDF copies of an
    OFD draft (``issue --as pdf``); refused for a draft whose copies cannot be made so."""

    def __post_init__(self) -> None:
        # paths may be given as text (a script, a web form): kept as Path values
        for name in ("draft", "recipients", "catalogue", "out"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, Path):
                object.__setattr__(self, name, Path(value))


@dataclass(frozen=True)
class IssueReport:
    """What an issuing run did (``run``) and how the recipients file was read (``recipients``:
    its path, encoding and rows, see :mod:`~mijian.pipeline.recipient_files`), and what the
    person issuing should know but that did not stop the run (``warnings``: a classifier
    suggestion above the registered grade)."""

    run: Any  # pipeline.issuing.IssueResult
    recipients: Any  # pipeline.recipient_files.RecipientList
    warnings: tuple[str, ...] = ()

    def error(self) -> MijianError | None:
        """The error an incomplete run ends with (not raised: the copies made are reported
        first), or None when every recipient holds a copy.

        Voided copies mean something about the draft or the machine failed (exit 1); copies
        left pending by another run mean the register holds work this run could not finish
        (exit 4).
        """
        problem = self.run.problem()
        if not problem:
            return None
        message = f"the run is incomplete: {problem}"
        return MijianError(message) if self.run.voided else RegisterError(message)

    def to_json(self) -> dict:
        """The manifest of the output folder, with ``voided`` and ``unfinished`` when there are
        any (a run that left recipients without a copy never looks complete)."""
        manifest = json.loads(self.run.manifest.read_text(encoding="utf-8"))
        if self.run.voided:
            manifest["voided"] = [{"serial": v.serial, "copy_id": v.copy_id,
                                   "recipient_id": v.recipient.id, "reason": v.reason}
                                  for v in self.run.voided]
        if self.run.unfinished:
            manifest["unfinished"] = [{"recipient_id": r.id, "reason": why}
                                      for r, why in self.run.unfinished]
        if self.warnings:
            manifest["warnings"] = list(self.warnings)
        return manifest


@dataclass(frozen=True)
class CopyPage:
    """One page of the register's copies: the copies shown (each checked against its events),
    how many match the search in all, and per document ``(id, copies made, outstanding)``."""

    copies: tuple[Any, ...]  # pipeline.register_records.CopyRecord
    total: int
    documents: tuple[tuple[str, int, int], ...]


@dataclass(frozen=True)
class CopyDetails:
    """One registered copy, its document's decision and its events (oldest first, the
    signature left out and each event's detail decoded)."""

    copy: Any  # pipeline.register_records.CopyRecord
    document: Any  # pipeline.register_records.DocumentRecord | None
    events: tuple[dict, ...]

    def to_json(self) -> dict:
        """The object of ``mijian register show --json``."""
        document = dataclasses.asdict(self.document) if self.document else None
        return {"copy": self.copy.public(), "document": document, "events": list(self.events)}


@dataclass(frozen=True)
class KeyInfo:
    """An office key as shown to people: its id and creation time, never its bytes."""

    key_id: str
    created: str
    current: bool

    def to_json(self) -> dict:
        """The key as a JSON object."""
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class KeyRotation:
    """A new current office key, how many keys the office keeps and in which folder."""

    key: KeyInfo
    kept: int
    folder: Path

    def to_json(self) -> dict:
        """The object of ``mijian keys rotate --json``."""
        return {"key_id": self.key.key_id, "created": self.key.created, "kept": self.kept,
                "folder": str(self.folder)}


@dataclass(frozen=True)
class Backup:
    """A consistent copy of the register, written to ``path``."""

    path: Path

    def to_json(self) -> dict:
        """The object of ``mijian register backup --json``."""
        return {"backup": str(self.path)}
