"""The ``mijian`` command line (Typer and Rich): a thin layer over :mod:`mijian.pipeline.service`.

- :mod:`.app`: the app and :func:`main`, which maps errors to exit codes;
- :mod:`.drafts`: ``classify``, ``issue``, ``trace``;
- :mod:`.records`: ``register …`` and ``keys …``;
- :mod:`.output`: exit codes, JSON and error output;
- :mod:`.render`: the human reports.
"""

from __future__ import annotations

from mijian.pipeline.cli.app import app, main

__all__ = ["app", "main"]
