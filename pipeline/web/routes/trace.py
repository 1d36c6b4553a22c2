"""The Trace page (保密员, 机要员): upload a leaked file or page image, or paste its text, and
read the verdict with each layer's evidence and the false-match probability; download it as
a printable PDF report and, for a page image, see where on the page the marks were read.

A trace shown on the page is kept in memory (the newest :data:`KEPT` of the server) under a
random token, for the person who ran it only: the report and the picture are made from that
record, so no request names a file (the leak itself is removed once traced)."""

from __future__ import annotations

import asyncio
import os
import secrets
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from starlette.datastructures import UploadFile
from fastapi.responses import Response

from mijian.pipeline import service
from mijian.pipeline.web import store
from mijian.pipeline.web.trace_report import TraceRecord, make_record, report_pdf
from mijian.pipeline.web.deps import (READER_ROLES, TEMP_PREFIX, config, form_of, page, remove_tree, require,
                                      save_upload)

router = APIRouter()
KEPT = 20
"""Traces kept for their report and picture (the oldest goes first)."""


async def leak_file(request: Request, upload: Any, pasted: str) -> Path:
    """The leak written to a private temporary folder: the upload, else the pasted text."""
    if isinstance(upload, UploadFile) and upload.filename:
        ext = store.safe_ext(upload.filename, store.LEAK_EXTENSIONS)
        if ext is None:
            raise HTTPException(415, "not a file type mijian traces")
        return await save_upload(request, upload, ext)
    data = pasted.encode("utf-8")
    if not pasted.strip():
        raise HTTPException(400, "give a file or paste the text")
    if len(data) > config(request).limits.max_file_bytes:
        raise HTTPException(413, "text too large")
    folder = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX))
    path = folder / "pasted.txt"
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    return path


async def traced(request: Request, actor: str, upload: Any, pasted: str) -> TraceRecord:
    """Trace one leak as ``actor`` (the service's trace is read-only; the web records that a
    trace was asked for) and make its record for the report while the leak is at hand."""
    from mijian.pipeline.service.events import record_event

    path = await leak_file(request, upload, pasted)
    settings = config(request).settings(actor)
    at = datetime.now(UTC).isoformat(timespec="seconds")
    try:
        result = await asyncio.to_thread(service.trace, path, settings=settings)
        record = await asyncio.to_thread(make_record, path, result, actor, at, config(request).limits)
    finally:
        remove_tree(path.parent)
    record_event("web.trace", {"verdict": result.verdict, "copy_id": result.copy_id,
                               "sha256": record.sha256}, settings=settings)
    return record


async def run_trace(request: Request, actor: str, upload: Any, pasted: str) -> Any:
    """The verdict on one leak traced as ``actor`` (see :func:`traced`)."""
    return (await traced(request, actor, upload, pasted)).result


def keep(request: Request, record: TraceRecord) -> str:
    """Keep ``record`` for its report; returns its token. Runs on the event loop, so the
    insert and the pruning do not interleave with another request's."""
    kept: dict[str, TraceRecord] = request.app.state.traces
    token = secrets.token_urlsafe(18)
    kept[token] = record
    while len(kept) > KEPT:
        kept.pop(next(iter(kept)))
    return token


async def kept_record(request: Request, token: str, view: str) -> TraceRecord:
    """The kept trace ``token`` of the logged-in person (404 for another's or an unknown one),
    its viewing (``view``: the report or the picture) recorded in the signed log: the verdict
    names the recipient a leak came from. The event names the leak by its SHA-256 and the
    verdict, never the token (it opens the record) or the leak's text."""
    from mijian.pipeline.service.events import record_event

    found = require(request, *READER_ROLES)
    record = request.app.state.traces.get(token)
    if record is None or record.asked_by != found.user.name:
        raise HTTPException(404, "no such trace; trace the leak again")
    await asyncio.to_thread(record_event, "web.view_trace", {"view": view, "sha256": record.sha256,
                                                             "verdict": record.result.verdict,
                                                             "copy_id": record.result.copy_id},
                            settings=config(request).settings(found.user.name))
    return record


@router.get("/trace")
async def trace_form(request: Request) -> Response:
    """The upload form."""
    require(request, *READER_ROLES)
    return page(request, "trace.html", result=None)


@router.post("/trace")
async def trace_leak(request: Request) -> Response:
    """The verdict on an uploaded leak, with links to its report and picture."""
    found, form = await form_of(request, READER_ROLES)
    try:
        record = await traced(request, found.user.name, form.get("file"), str(form.get("text") or ""))
    finally:
        await form.close()
    return page(request, "trace.html", result=record.result, record=record, token=keep(request, record))


@router.get("/trace/reports/{token}/report.pdf")
async def trace_report(request: Request, token: str) -> Response:
    """The printable PDF report of a kept trace."""
    record = await kept_record(request, token, "report")
    data = await asyncio.to_thread(report_pdf, record)
    return Response(data, media_type="application/pdf",
                    headers={"Content-Disposition": 'attachment; filename="trace-report.pdf"',
                             "Cache-Control": "no-store"})


@router.get("/trace/reports/{token}/where.png")
async def trace_picture(request: Request, token: str) -> Response:
    """Where on the page the marks were read (404 when the leak was not a page image)."""
    record = await kept_record(request, token, "picture")
    if record.picture is None:
        raise HTTPException(404, "the leak was not a page image: there is no picture")
    return Response(record.picture, media_type="image/png", headers={"Cache-Control": "no-store"})
