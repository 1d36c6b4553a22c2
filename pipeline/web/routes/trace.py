"""The Trace page (保密员, 机要员): upload a leaked file or page image, or paste its text, and
read the verdict with each layer's evidence and the false-match probability."""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from starlette.datastructures import UploadFile
from fastapi.responses import Response

from mijian.pipeline import service
from mijian.pipeline.web import store
from mijian.pipeline.web.deps import READER_ROLES, config, form_of, page, remove_tree, require, save_upload

router = APIRouter()


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
    folder = Path(tempfile.mkdtemp(prefix="mijian-web-"))
    path = folder / "pasted.txt"
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    return path


async def run_trace(request: Request, actor: str, upload: Any, pasted: str) -> Any:
    """Trace one leak as ``actor`` (the verb records nothing; the service's trace is read-only)."""
    from mijian.pipeline.service.events import record_event

    path = await leak_file(request, upload, pasted)
    settings = config(request).settings(actor)
    try:
        result = await asyncio.to_thread(service.trace, path, settings=settings)
    finally:
        remove_tree(path.parent)
    record_event("web.trace", {"verdict": result.verdict, "copy_id": result.copy_id},
                 settings=settings)
    return result


@router.get("/trace")
async def trace_form(request: Request) -> Response:
    """The upload form."""
    require(request, *READER_ROLES)
    return page(request, "trace.html", result=None)


@router.post("/trace")
async def trace_leak(request: Request) -> Response:
    """The verdict on an uploaded leak."""
    found, form = await form_of(request, READER_ROLES)
    try:
        result = await run_trace(request, found.user.name, form.get("file"), str(form.get("text") or ""))
    finally:
        await form.close()
    return page(request, "trace.html", result=result)
