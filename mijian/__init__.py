"""mijian 密件: classify sensitive office drafts, issue numbered, marked, fingerprinted and
encrypted copies, keep the register of who holds them, and trace leaks.

Installed, the whole toolkit lives under this one import name:

- :mod:`mijian.pipeline`: the document model, formats, marking, issuing, the register,
  tracing, and the command line;
- :mod:`mijian.classifiers`: detection of sensitive content and the grade suggestion;
- :mod:`mijian.watermark`: visible and invisible marks and their decoders;
- :mod:`mijian.keywords`: the lexicons and the catalogue of secrecy scopes.

The verbs of :mod:`mijian.pipeline.service` are available here too (``mijian.classify``,
``mijian.issue``, ``mijian.trace``, ``mijian.list_copies`` …, with ``mijian.Settings`` and
``mijian.IssueRequest``). Nothing is imported at ``import mijian``: each part is imported
when it is first used.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

_HERE = Path(__file__).resolve().parent
if not (_HERE / "pipeline").is_dir() and (_HERE.parent / "pipeline" / "__init__.py").is_file():
    # run from a source checkout, where the parts sit beside this folder: find them there
    __path__.append(str(_HERE.parent))


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("mijian")
    except PackageNotFoundError:
        return "0+source"


_SERVICE = "mijian.pipeline.service"
_EXPORTS = ("classify", "decide", "issue", "trace", "html_report", "list_copies", "show_copy",
            "sign_for", "return_copy", "destroy_copy", "mark_lost", "void_copy", "copy_history",
            "holders", "verify_register", "backup_register", "acknowledge_restore", "list_keys",
            "rotate_key", "change_marking", "declassify", "decisions", "print_run", "Settings",
            "GradeChoice", "IssueRequest", "IssueReport", "MijianError",
            "reproduce", "derive_document", "derivations")
"""The service verbs and their input values, importable from the root: ``mijian.classify(path)``."""

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    """``mijian.__version__`` and the service verbs, imported on first use (PEP 562), so that
    ``import mijian`` stays cheap and loads no reader, classifier or register."""
    if name == "__version__":
        return _version()
    if name == "MijianError":
        from mijian.pipeline.errors import MijianError

        return MijianError
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_SERVICE), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'mijian' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
