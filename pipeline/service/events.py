"""The verb that records a front end's own actions (a login, an upload, a decision) in the
register's signed, hash-chained event log, beside the events of the copies."""

from __future__ import annotations

import os
from typing import Any

from mijian.pipeline.service.values import Settings


def record_event(action: str, detail: dict[str, Any], *, document_id: str | None = None,
                 copy_id: str | None = None, settings: Settings | None = None) -> int:
    """Append one signed event ``action`` by the settings' actor; returns its sequence number.

    ``detail`` must be JSON-serialisable; it is stored as given, so no secret belongs in it.
    """
    from mijian.pipeline.office import Office

    settings = settings if settings is not None else Settings.from_environment(os.environ)
    with Office.open(settings.home) as office:
        register = office.register
        with register.transaction():
            return register.append_event(office.key(), settings.actor, action, document_id,
                                         copy_id, detail)


def recent_events(limit: int = 200, *, settings: Settings | None = None) -> tuple[dict[str, Any], ...]:
    """The newest ``limit`` events of the register, newest first (signature left out)."""
    import json

    from mijian.pipeline.office import Office

    settings = settings if settings is not None else Settings.from_environment(os.environ)
    with Office.open(settings.home) as office:
        events = office.register.recent_events(limit)
    return tuple({"seq": e.seq, "at": e.at, "actor": e.actor, "action": e.action,
                  "document_id": e.document_id, "copy_id": e.copy_id,
                  "detail": json.loads(e.detail)} for e in events)
