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
import os
from pathlib import Path
from typing import Any

_HERE = Path(__file__).resolve().parent
if not (_HERE / "pipeline").is_dir() and (_HERE.parent / "pipeline" / "__init__.py").is_file():
    # run from a source checkout, where the parts sit beside this folder: find them there
    __path__.append(str(_HERE.parent))


def _version() -> str:
    """The installed distribution's version, as :func:`importlib.metadata.version` finds it:
    the first ``mijian`` metadata folder along ``sys.path``, its ``Version:`` line. Read
    directly, as importing :mod:`importlib.metadata` (email, zipfile, csv …) would cost more
    than the rest of ``mijian --version``; anything unusual is left to it."""
    import sys

    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for name in names:
            base, _, kind = name.rpartition(".")
            if kind in ("dist-info", "egg-info") and base.partition("-")[0].lower() == "mijian":
                found = _metadata_version(os.path.join(entry or ".", name))
                if found:
                    return found
                return _version_by_importlib()
    return _version_by_importlib()


def _metadata_version(folder: str) -> str | None:
    """The ``Version:`` of a metadata folder's METADATA (or PKG-INFO) headers, or None."""
    for file in ("METADATA", "PKG-INFO"):
        try:
            with open(os.path.join(folder, file), encoding="utf-8") as stream:
                for line in stream:
                    if not line.strip():
                        break  # the headers end at the first empty line
                    key, _, value = line.partition(":")
                    if key.strip().lower() == "version":
                        return value.strip() or None
        except OSError:
            continue
    return None


def _version_by_importlib() -> str:
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
