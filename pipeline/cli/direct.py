"""``classify`` and ``trace`` run without building the argument parser.

Typer and click cost about 80 ms of CPU to import, a quarter of what ``mijian trace`` of pasted
text may take in all and more than the classifier's own work on ten pages. The two commands
people run one file at a time are therefore read here when their words are plain: the command,
its one file, and the options it declares (``--json``, ``--scheme X``, ``--lang=zh`` …), each at
most once. Anything else (``--help``, an unknown or repeated option, a second file, ``--``, a
value that looks like an option, shell completion) returns None and the Typer app reads the
words, so its help, usage errors and suggestions are unchanged. The command bodies live here
and the Typer commands of :mod:`.drafts` call them, so both paths do the same thing; the
options declared here are checked against the Typer commands' by the tests.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mijian.pipeline.cli.output import EXIT_INTERRUPTED, EXIT_OK, emit, end, end_unexpected


@dataclass(frozen=True)
class Spec:
    """The words of one command: its file argument, options taking a value and flags (each
    option name mapped to its parameter), and which values are paths."""

    argument: str
    values: dict[str, str]
    flags: dict[str, str]
    paths: frozenset[str]


def run_classify(draft: Path, scheme: str | None = None, catalogue: Path | None = None,
                 html: Path | None = None, lang: str | None = None, verbose: bool = False,
                 as_json: bool = False) -> None:
    """``mijian classify``: suggest a grade for a draft and show it (or its JSON)."""
    from mijian.pipeline import service

    result = service.classify(draft, scheme=scheme, catalogue=catalogue, lang=lang)
    if html is not None:
        written = service.html_report(result, html, lang)
        print(f"mijian: HTML report written to {written}", file=sys.stderr)
    if as_json:
        emit(result.to_json())
        return
    from mijian.pipeline.cli.output import console
    from mijian.pipeline.cli.render import print_classification

    print_classification(console(), result, lang, limit=None if verbose else 5)


def run_trace(leak: Path, as_json: bool = False) -> None:
    """``mijian trace``: name the recipient of a leaked copy, or say why it cannot."""
    from mijian.pipeline import service

    result = service.trace(leak)
    if as_json:
        emit(result.to_json())
        return
    from mijian.pipeline.cli.output import console
    from mijian.pipeline.cli.render import print_trace

    print_trace(console(), result)


SPECS: dict[str, Spec] = {
    "classify": Spec("draft", {"--scheme": "scheme", "--catalogue": "catalogue", "--html": "html",
                               "--lang": "lang"},
                     {"--verbose": "verbose", "-v": "verbose", "--json": "as_json"},
                     frozenset({"draft", "catalogue", "html"})),
    "trace": Spec("leak", {}, {"--json": "as_json"}, frozenset({"leak"})),
}
"""The commands read here and their words (as :mod:`.drafts` declares them to Typer)."""
RUNS: dict[str, Callable[..., None]] = {"classify": run_classify, "trace": run_trace}


def parse(argv: list[str]) -> tuple[str, dict[str, Any]] | None:
    """The command and its parameters when ``argv`` is plain (see the module docstring), else None."""
    if not argv or argv[0] not in SPECS or os.environ.get("_MIJIAN_COMPLETE"):
        return None
    spec = SPECS[argv[0]]
    given: dict[str, Any] = {}
    words = iter(argv[1:])
    for word in words:
        name, value = word, None
        if word.startswith("--") and "=" in word:
            name, _, value = word.partition("=")
            if name not in spec.values:
                return None
        if name in spec.flags:
            given[spec.flags[name]] = True
            continue
        if name in spec.values:
            value = next(words, None) if value is None else value
            param = spec.values[name]
            if not value or value.startswith("-") or param in given:
                return None
            given[param] = value
            continue
        if word.startswith("-") or not word or spec.argument in given:
            return None
        given[spec.argument] = word
    if spec.argument not in given:
        return None
    return argv[0], {k: Path(v) if k in spec.paths else v for k, v in given.items()}


def run(argv: list[str]) -> None:
    """Run ``argv`` here when it is plain, ending the process as :func:`.app.main` would;
    return (having done nothing) when the Typer app must read it."""
    parsed = parse(argv)
    if parsed is None:
        return
    command, params = parsed
    as_json = bool(params.get("as_json"))
    # as in app.main: MuPDF's notes on a damaged draft would break --json on stdout
    os.environ.setdefault("PYMUPDF_MESSAGE", f"path:{os.devnull}")
    from mijian.pipeline.errors import MijianError

    try:
        RUNS[command](**params)
    except MijianError as exc:
        end(str(exc), exc.exit_code, as_json)
    except KeyboardInterrupt:
        end("interrupted (已中断)", EXIT_INTERRUPTED, as_json)
    except Exception as exc:  # anything unexpected, reported as the app reports it
        end_unexpected(exc, as_json)
    sys.exit(EXIT_OK)

