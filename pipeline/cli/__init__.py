"""The ``mijian`` command line (Typer and Rich): a thin layer over :mod:`mijian.pipeline.service`.

- :mod:`.app`: the app and :func:`main`, which maps errors to exit codes;
- :mod:`.drafts`: ``classify``, ``issue``, ``trace``;
- :mod:`.direct`: the bodies of ``classify`` and ``trace``, also run without Typer;
- :mod:`.records`: ``register …`` and ``keys …``;
- :mod:`.output`: exit codes, JSON and error output;
- :mod:`.render`: the human reports.

``mijian --version`` is answered here, before Typer, Rich and the commands are imported: it
is the command scripts call to check the installation, and it should cost no more than
starting Python.
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["app", "main"]


def main(argv: list[str] | None = None) -> None:
    """Entry point: ``--version`` at once, everything else through :func:`.app.main`."""
    args = sys.argv[1:] if argv is None else argv
    if args == ["--version"]:
        import mijian

        print(f"mijian {mijian.__version__}")
        sys.exit(0)
    from mijian.pipeline.cli.direct import run as run_direct

    run_direct(args)  # classify and trace with plain words: run and exit here, without Typer
    from mijian.pipeline.cli.app import main as run

    run(args)


def __getattr__(name: str) -> Any:
    """``app`` (the Typer application), imported on first use (PEP 562)."""
    if name == "app":
        from mijian.pipeline.cli.app import app

        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
