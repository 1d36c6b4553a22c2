"""The Issue page (机要员): decided drafts, pick recipients (people and units of the address
book), follow the run, download each copy or all as a ZIP; the passwords are shown once."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import zipfile

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from mijian.pipeline import service
from mijian.pipeline.errors import MijianError
from mijian.pipeline.model import Recipient
from mijian.pipeline.register_records import CopyStatus
from mijian.pipeline.service.events import record_event
from mijian.pipeline.web import address_book, issuing, store, users
from mijian.pipeline.web.deps import config, form_of, page, require
from mijian.pipeline.web.store import Draft

router = APIRouter()
BUSY = "this draft is being issued; wait for that run to finish (正在分发，请等待完成)"


def decided(request: Request, draft_id: str) -> Draft:
    """A decided draft (404 when unknown or undecided)."""
    draft = store.get(request.app.state.accounts, draft_id)
    if draft is None or draft.decision is None:
        raise HTTPException(404, "no decided draft")
    return draft


@router.get("/issue")
async def issue_list(request: Request) -> Response:
    """The decided drafts a clerk may issue (their decision, not their text)."""
    require(request, "clerk")
    shown = [d for d in store.all_drafts(request.app.state.accounts) if d.decision is not None]
    return page(request, "issue_list.html", drafts=shown)


@router.get("/issue/{draft_id}")
async def issue_form(request: Request, draft_id: str) -> Response:
    """Pick recipients for one decided draft; the copies made so far."""
    require(request, "clerk")
    draft = decided(request, draft_id)
    conn = request.app.state.accounts
    listed = address_book.book(conn, tuple(u.name for u in users.list_users(conn)))
    return page(request, "issue.html", draft=draft, book=listed)


async def chosen_recipients(request: Request, draft: Draft, chosen: list[str], actor: str) -> list[Recipient]:
    """The recipients of the people and units chosen from the address book (a unit gives its
    members; 400 for none or an unknown id). The choice, with the members each unit gave, is
    recorded in the signed log before the run; the copies are recorded by the run itself."""
    conn = request.app.state.accounts
    accounts = tuple(u.name for u in users.list_users(conn))
    try:
        people, units = address_book.expand(conn, chosen, accounts)
    except MijianError as exc:
        raise HTTPException(400, str(exc)) from None
    await asyncio.to_thread(record_event, "web.issue", {"draft": draft.id, "chosen": list(dict.fromkeys(chosen)),
                                                        "units": units, "recipients": [p.id for p in people]},
                            settings=config(request).settings(actor))
    return people


@router.post("/issue/{draft_id}")
async def issue_start(request: Request, draft_id: str) -> Response:
    """Start issuing to the chosen recipients; goes to the progress page."""
    found, form = await form_of(request, ("clerk",))
    draft = decided(request, draft_id)
    people = await chosen_recipients(request, draft, [str(v) for v in form.getlist("recipient")], found.user.name)
    job_id = issuing.start(config(request), request.app.state.jobs, draft, people, found.user.name)
    if job_id is None:
        raise HTTPException(409, BUSY)
    return RedirectResponse(f"/issue/jobs/{job_id}", status_code=303)


def own_job(request: Request, job_id: str) -> issuing.Job:
    """The job when the user started it (404 otherwise); old runs are tidied first, so a
    page read after :data:`issuing.PASSWORD_SECONDS` no longer shows the passwords."""
    found = require(request, "clerk")
    issuing.tidy(request.app.state.jobs)
    job = request.app.state.jobs.get(job_id)
    if job is None or job.owner != found.user.name:
        raise HTTPException(404, "no such run")
    return job


@router.get("/issue/jobs/{job_id}")
async def issue_progress(request: Request, job_id: str) -> Response:
    """The run's progress (polled by htmx); once finished, the copies and their passwords,
    shown this once."""
    job = own_job(request, job_id)
    fragment = request.headers.get("hx-request") == "true"
    passwords: list[dict] = []
    finished = job.finished  # read once: the run's thread may end while this page is made
    if finished:
        passwords, job.passwords = job.passwords, []
    draft = store.get(request.app.state.accounts, job.draft_id)
    # drawn as it was when read: a run that ended since is drawn as running and polled again,
    # never as done without the passwords it has just left
    shown = dataclasses.replace(job, finished=finished)
    return page(request, "progress.html" if fragment else "job.html", job=shown, job_id=job_id,
                passwords=passwords, draft=draft)


async def may_download(request: Request, draft: Draft, copy: dict) -> None:
    """Clerks fetch every copy; a recipient only their own, and only while the register says
    they hold it (issued or signed for): a copy returned, destroyed, lost or voided is not
    handed out again (403 otherwise). The register row is checked against its signed events
    on the way (an edited row is refused, never believed)."""
    found = require(request)
    if found.user.role == "clerk":
        return
    if found.user.name != copy["recipient"]:
        raise HTTPException(403, "not your copy")
    details = await asyncio.to_thread(service.show_copy, copy["copy_id"],
                                      settings=config(request).settings(found.user.name))
    if details.copy.status not in (CopyStatus.ISSUED, CopyStatus.SIGNED):
        raise HTTPException(403, f"the register says this copy is {details.copy.status}; it is not "
                                 "handed out again (该份件已清退、销毁或作废)")


@router.get("/issue/{draft_id}/copies/{serial}")
async def download_copy(request: Request, draft_id: str, serial: str) -> Response:
    """One copy's file, by its serial; the download is recorded in the signed log, on the copy."""
    user = require(request).user
    draft = decided(request, draft_id)
    found = issuing.copy_path(config(request), draft, serial)
    if found is None:
        raise HTTPException(404, "no such copy")
    copy, path = found
    await may_download(request, draft, copy)
    await asyncio.to_thread(record_event, "web.download", {"draft": draft.id, "serial": serial},
                            copy_id=copy["copy_id"], settings=config(request).settings(user.name))
    return FileResponse(path, filename=path.name, headers={"Cache-Control": "no-store"})


@router.get("/issue/{draft_id}/copies.zip")
async def download_all(request: Request, draft_id: str) -> Response:
    """Every copy of the draft in one ZIP (clerks); recorded in the signed log with its serials."""
    found = require(request, "clerk")
    draft = decided(request, draft_id)
    buffer = io.BytesIO()
    serials = []
    settings = config(request).settings(found.user.name)
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for c in draft.copies:
            located = issuing.copy_path(config(request), draft, c["serial"])
            if located is not None:
                archive.write(located[1], arcname=located[1].name)
                serials.append(c["serial"])
                # on each copy's own history too: whoever traces a leak of this copy sees
                # that the file also went out in this ZIP, not only to its recipient
                await asyncio.to_thread(record_event, "web.download_all", {"draft": draft.id, "serial": c["serial"]},
                                        copy_id=c["copy_id"], settings=settings)
    await asyncio.to_thread(record_event, "web.download_all", {"draft": draft.id, "serials": serials},
                            settings=settings)
    return Response(buffer.getvalue(), media_type="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{draft.id}.zip"',
                             "Cache-Control": "no-store"})
