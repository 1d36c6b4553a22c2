"""The ``mijian`` command line: the app, its sub-apps, and :func:`main`, which turns errors
into one line on stderr (and one JSON object with ``--json``) and a named exit code.

This package is the only part of mijian that prints, exits or reads the environment; every
command calls one verb of :mod:`mijian.pipeline.service`.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import typer

from mijian.pipeline.cli import changes, derive, drafts, printing, reports
from mijian.pipeline.cli.output import EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, end, end_unexpected
from mijian.pipeline.cli.records import keys_app, register_app
from mijian.pipeline.cli.web import serve, users_app
from mijian.pipeline.errors import MijianError

# typer's --install-completion / --show-completion stay: shell completion of commands and options
app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False,
                  help="密件 mijian: classify drafts, issue numbered marked encrypted copies, "
                       "keep the register, trace leaks.")
app.command()(drafts.classify)
app.command()(drafts.issue)
app.command()(drafts.trace)
app.command("print")(printing.print_copies)
changes.register_commands()  # change, declassify, decisions join the register sub-app
reports.register_commands()  # and report
app.add_typer(register_app, name="register")
app.add_typer(keys_app, name="keys")
app.add_typer(derive.register_commands(), name="derive")
app.command()(serve)
app.add_typer(users_app, name="users")


def version() -> str:
    """The installed package's version (``0+source`` when run from a bare source tree)."""
    import mijian

    return str(mijian.__version__)


def _show_version(value: bool) -> None:
    if value:
        print(f"mijian {version()}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def _options(show: bool = typer.Option(False, "--version", is_eager=True, callback=_show_version,
                                       help="print the version and exit")) -> None:
    """密件 mijian: classify drafts, issue numbered marked encrypted copies, keep the register,
    trace leaks."""


def wants_json(argv: list[str]) -> bool:
    """Whether ``--json`` was given (before a ``--`` that ends the options)."""
    options = argv[:argv.index("--")] if "--" in argv else argv
    return "--json" in options


def _parser_error(exc: Exception) -> tuple[str, int] | None:
    """The message and exit code of an argument-parser (click) error, or None for others."""
    code = getattr(exc, "exit_code", None)
    if hasattr(exc, "format_message") and isinstance(code, int):
        return f"{exc.format_message()} (see 'mijian --help')", code or EXIT_USAGE
    return None


def _narrowed(argv: list[str]) -> typer.Typer:
    """The app with only the command (or sub-app) that ``argv`` names, when it names one.

    Typer turns every registered command into a click command, options and all, each time
    the app runs: about 30 ms for mijian's thirty commands, paid by every call. A call names
    its command first, so only that one is built; the app keeps its callback (``--version``)
    and so stays a group, and the command parses, helps and fails as it does in the whole
    app. Anything else (no command, an option first, an unknown name, shell completion,
    which Typer drives through ``_MIJIAN_COMPLETE``) runs the whole app, whose help lists
    every command and whose errors suggest the nearest name."""
    import copy

    first = argv[0] if argv else ""
    if not first or first.startswith("-") or os.environ.get("_MIJIAN_COMPLETE"):
        return app
    commands = [info for info in app.registered_commands
                if (info.name or typer.main.get_command_name(getattr(info.callback, "__name__", ""))) == first]
    groups = [info for info in app.registered_groups if info.name == first]
    if len(commands) + len(groups) != 1:
        return app
    narrow = copy.copy(app)
    narrow.registered_commands = commands
    narrow.registered_groups = groups
    return narrow


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app, turning errors into one line and an exit code."""
    argv = sys.argv[1:] if argv is None else argv
    # MuPDF reports recoverable damage in a draft ("unknown cid font type") on stdout, where
    # it would break --json output; mijian states what matters in its own words, so those
    # messages go nowhere (set PYMUPDF_MESSAGE, e.g. to fd:2, to see them)
    os.environ.setdefault("PYMUPDF_MESSAGE", f"path:{os.devnull}")
    as_json = wants_json(argv)
    if argv == ["--version"]:  # answered before the argument parser is built
        print(f"mijian {version()}")
        sys.exit(EXIT_OK)
    try:
        code: Any = _narrowed(argv)(args=argv, standalone_mode=False, prog_name="mijian")
    except MijianError as exc:
        end(str(exc), exc.exit_code, as_json)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        end("interrupted (已中断)", EXIT_INTERRUPTED, as_json)
    except Exception as exc:  # usage errors of the argument parser, and anything unexpected
        parsed = _parser_error(exc)
        if parsed is not None:
            end(*parsed, as_json)
        end_unexpected(exc, as_json)
    sys.exit(code if isinstance(code, int) else EXIT_OK)
