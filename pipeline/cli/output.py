"""What the command line writes and the exit codes it ends with.

Human output goes to stdout through rich; ``--json`` prints exactly one JSON object on stdout;
an error is one line on stderr and, with ``--json``, also the object
``{"error": message, "exit": code}`` on stdout (merged into the command's own object when the
command has one to show, e.g. the manifest of an incomplete run), so that a script reading
stdout always gets one object.
"""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

from mijian.pipeline.errors import MijianError

EXIT_OK = 0
"""Done."""
EXIT_FAILURE = 1
"""Any other failure (and internal errors)."""
EXIT_USAGE = 2
"""The command was called with words or values it cannot use."""
EXIT_BAD_INPUT = 3
"""A draft, recipients file or leak cannot be read or is not acceptable; nothing was written."""
EXIT_REGISTER = 4
"""The register or the office keys cannot be used as asked."""
EXIT_INTERRUPTED = 130
"""Stopped by Ctrl-C (128 + SIGINT, as shells report it)."""


class Interrupted(MijianError):
    """The user pressed Ctrl-C; the message says how to finish the job."""

    exit_code = EXIT_INTERRUPTED


def emit(obj: dict) -> None:
    """Print one JSON object on stdout (UTF-8 text kept readable)."""
    print(json.dumps(obj, ensure_ascii=False, indent=2))


def error_line(message: str) -> None:
    """The one stderr line of an error."""
    print(f"mijian: {message}", file=sys.stderr)


def fail(error: MijianError, as_json: bool, shown: dict[str, Any] | None = None) -> NoReturn:
    """End the command with ``error``: its line on stderr, with ``--json`` one object on stdout
    (``shown``, if any, merged with the error and exit code), then its exit code."""
    code = int(getattr(error, "exit_code", EXIT_FAILURE))
    error_line(str(error))
    if as_json:
        emit({**(shown or {}), "error": str(error), "exit": code})
    import typer  # only here: the commands that fail this way have imported it already

    raise typer.Exit(code)


def console(stderr: bool = False) -> Any:
    """A rich console for human output (on stderr for progress bars)."""
    from rich.console import Console

    return Console(highlight=False, stderr=stderr)


def end(message: str, code: int, as_json: bool) -> NoReturn:
    """One line on stderr, with ``--json`` the error object on stdout, then exit ``code``."""
    error_line(message)
    if as_json:
        emit({"error": message, "exit": code})
    sys.exit(code)


def end_unexpected(exc: Exception, as_json: bool) -> NoReturn:
    """End on an error mijian did not expect: its type and first line, and a request to report it."""
    first = str(exc).splitlines()[0] if str(exc) else ""
    end(f"internal error: {type(exc).__name__}: {first}; please report it", EXIT_FAILURE, as_json)
