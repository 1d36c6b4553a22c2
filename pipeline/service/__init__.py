"""The service: every verb of mijian as one function with typed inputs and frozen results.

Front ends (the command line, a web app) parse their input, call one verb, render the result
and map errors to exit codes or HTTP statuses; the orchestration (which library calls, in
which order, under which rules) lives here only. The verbs never print, never exit and raise
the errors of :mod:`mijian.pipeline.errors`, each carrying its exit code. Long verbs
(``issue``, ``trace``) take a ``progress`` callback told ``(done, total, message)``.

Every verb takes ``settings`` (:class:`Settings`: office home, limits, actor); without it the
environment is read as the command line reads it (``MIJIAN_HOME``, ``MIJIAN_MAX_…``), so a
script and the command line share one office unless told otherwise.

- drafts: :func:`classify`, :func:`decide`, :func:`issue`, :func:`html_report`
- leaks: :func:`trace`
- print room: :func:`print_run` (numbered unassigned copies; handed out by :func:`sign_for`)
- register: :func:`list_copies`, :func:`page_copies`, :func:`show_copy`, :func:`sign_for`,
  :func:`return_copy`,
  :func:`destroy_copy`, :func:`mark_lost`, :func:`void_copy`, :func:`copy_history`,
  :func:`holders`, :func:`verify_register`, :func:`backup_register`,
  :func:`acknowledge_restore`
- reports: :func:`register_report` (outstanding copies by unit and holder, PDF and XLSX)
- decisions after issue: :func:`change_marking`, :func:`declassify`, :func:`decisions`
- derived documents: :func:`reproduce` (复制), :func:`derive_document` (摘录、汇编),
  :func:`derivations`
- keys: :func:`list_keys`, :func:`rotate_key`

Nothing is imported with the package: each verb's module is imported when the verb is first
used (PEP 562), so ``mijian trace`` of pasted text does not load the issuing, report and
classifier code, and ``mijian --help`` stays quick.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mijian.pipeline.register_report import RegisterReport
    from mijian.pipeline.service.changes import (ChangeReport, DecisionsReport, change_marking,
                                                 decisions, declassify)
    from mijian.pipeline.service.derive import derivations, derive_document, reproduce
    from mijian.pipeline.service.drafts import classify, decide, html_report, issue
    from mijian.pipeline.service.leaks import trace
    from mijian.pipeline.service.printing import print_run
    from mijian.pipeline.service.records import (acknowledge_restore, backup_register,
                                                 copy_history, destroy_copy, holders,
                                                 list_copies, list_keys, mark_lost, page_copies,
                                                 return_copy, rotate_key, show_copy, sign_for,
                                                 verify_error, verify_register, void_copy)
    from mijian.pipeline.service.reports import register_report
    from mijian.pipeline.service.values import (Backup, CopyDetails, CopyPage, GradeChoice,
                                                IssueReport, IssueRequest, KeyInfo, KeyRotation)
    from mijian.pipeline.service.settings import Progress, Settings

_HOMES = {
    "mijian.pipeline.service.changes": ("ChangeReport", "DecisionsReport", "change_marking",
                                        "decisions", "declassify"),
    "mijian.pipeline.service.derive": ("derivations", "derive_document", "reproduce"),
    "mijian.pipeline.service.drafts": ("classify", "decide", "html_report", "issue"),
    "mijian.pipeline.service.leaks": ("trace",),
    "mijian.pipeline.service.printing": ("print_run",),
    "mijian.pipeline.service.records": ("acknowledge_restore", "backup_register", "copy_history",
                                        "destroy_copy", "holders", "list_copies", "list_keys",
                                        "mark_lost", "page_copies", "return_copy", "rotate_key",
                                        "show_copy", "sign_for", "verify_error",
                                        "verify_register", "void_copy"),
    "mijian.pipeline.register_report": ("RegisterReport",),
    "mijian.pipeline.service.reports": ("register_report",),
    "mijian.pipeline.service.values": ("Backup", "CopyDetails", "CopyPage", "GradeChoice",
                                       "IssueReport", "IssueRequest", "KeyInfo", "KeyRotation"),
    "mijian.pipeline.service.settings": ("Progress", "Settings"),
}
"""Where each exported name lives."""

_WHERE = {name: module for module, names in _HOMES.items() for name in names}

__all__ = ["Backup", "ChangeReport", "CopyDetails", "CopyPage", "DecisionsReport", "GradeChoice",
           "IssueReport", "IssueRequest", "KeyInfo", "KeyRotation", "Progress", "RegisterReport",
           "Settings",
           "acknowledge_restore", "backup_register", "change_marking", "classify", "copy_history",
           "decide", "decisions", "declassify", "derivations", "derive_document", "destroy_copy",
           "holders", "html_report", "issue", "list_copies", "list_keys", "mark_lost",
           "page_copies", "print_run", "register_report", "reproduce", "return_copy", "rotate_key",
           "show_copy", "sign_for", "trace", "verify_error", "verify_register", "void_copy"]


def __getattr__(name: str) -> Any:
    """A verb or value of the service, its module imported on first use."""
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
