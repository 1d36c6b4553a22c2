"""The verb on leaks: trace a leaked copy to its recipient, or say it cannot."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from mijian.pipeline.service.settings import Progress, Settings


def trace(leak: str | os.PathLike[str], *, settings: Settings | None = None,
          progress: Progress | None = None) -> Any:
    """Examine every fingerprint layer of ``leak`` (.pdf .docx .p7m .png .jpg .jpeg .tif .tiff
    .txt) and name the recipient of the copy with a false-match probability, or say why not.

    Returns a :class:`~mijian.pipeline.trace_model.TraceResult`. ``progress`` is told
    ``(0, 1, …)`` when tracing starts and ``(1, 1, verdict)`` when it ends: tracing one file
    is one step whose length depends on the pages rendered, so no finer count is promised.
    """
    from mijian.pipeline.office import Office
    from mijian.pipeline.tracing import trace as trace_leak

    settings = settings if settings is not None else Settings.from_environment(os.environ)
    if progress is not None:
        progress(0, 1, f"tracing 追查 {Path(leak).name}")
    with Office.open(settings.home) as office:
        result = trace_leak(office, Path(leak), settings.limits)
    if progress is not None:
        progress(1, 1, result.verdict)
    return result
