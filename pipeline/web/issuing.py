"""Issuing from the web: a run in a background thread whose progress a page polls.

Recipients come from the office's address book (see :mod:`mijian.pipeline.web.address_book`:
people with their unit and certificate, units expanded to their members); a person whose id
is an account's name can later be shown the draft and fetch their own copy. The recipients file the
service reads is written to a private temporary folder and removed after the run. The
copies' passwords are kept in memory until the page that shows them is first read, then
forgotten: they are shown once (the register keeps them sealed under the office key). A run
whose page is never read drops them :data:`PASSWORD_SECONDS` after it ends all the same, and
at most :data:`KEPT_RUNS` finished runs are remembered: nothing of a run stays in the server's
memory for good.
"""

from __future__ import annotations

import secrets
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mijian.pipeline import service
from mijian.pipeline.model import Recipient
from mijian.pipeline.web import store
from mijian.pipeline.web.address_book import recipients_csv
from mijian.pipeline.web.deps import TEMP_PREFIX, WebConfig, hide_paths, remove_tree
from mijian.pipeline.web.store import Draft
from mijian.pipeline.web.users import connect


@dataclass
class Job:
    """One issuing run: who started it, how far it is, and its outcome."""

    owner: str
    draft_id: str
    done: int = 0
    total: int = 0
    message: str = ""
    finished: bool = False
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    passwords: list[dict] = field(default_factory=list)
    ended_at: float | None = None
    """When the run was first seen finished, on its :class:`Runs`' clock."""
    expired: bool = False
    """The passwords were dropped unshown (see :data:`PASSWORD_SECONDS`)."""


PASSWORD_SECONDS = 15 * 60
"""How long a finished run keeps its copies' passwords for a page that was never read: long
enough to come back to a tab left open, short enough that they do not sit in memory for good."""
KEPT_RUNS = 100
"""Most finished runs remembered; the oldest beyond are forgotten when a new run starts."""


class Runs(dict[str, Job]):
    """The server's issuing runs by id, with the clock their ends are timed on (injectable:
    a test moves time on without sleeping). Added to and tidied on the server's event loop
    only; a run's own timer touches its run, never this dict."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.clock = clock


def expire(job: Job) -> None:
    """Drop a finished run's passwords not shown yet, and note that they were dropped."""
    if job.finished and job.passwords:
        job.passwords = []
        job.expired = True


def tidy(jobs: dict[str, Job]) -> None:
    """Drop the passwords of runs finished :data:`PASSWORD_SECONDS` ago or more, and forget
    the oldest finished runs beyond :data:`KEPT_RUNS` (those without passwords left first).
    A run's end is timed when first seen finished here (on the clock of ``jobs``, a
    :class:`Runs`; the monotonic clock for a plain dict)."""
    clock = getattr(jobs, "clock", time.monotonic)
    now = clock()
    ended = []
    for job_id, job in list(jobs.items()):
        if not job.finished:
            continue
        if job.ended_at is None:
            job.ended_at = now
        if now - job.ended_at >= PASSWORD_SECONDS:
            expire(job)
        ended.append((bool(job.passwords), job.ended_at, job_id))
    ended.sort()
    for _kept, _at, job_id in ended[:max(0, len(ended) - KEPT_RUNS)]:
        del jobs[job_id]


def choice_of(draft: Draft) -> service.GradeChoice:
    """The authority's decision, made before the first issue: the service applies it when the
    register does not hold the draft yet (recorded as decided by the authority, with its
    scope), and the registered decision (changed since or not) once it does."""
    d = draft.decision or {}
    return service.GradeChoice(grade=d.get("grade"), period=d.get("period"),
                               justification=d.get("justification"), approver=d.get("approver"),
                               scope=d.get("scope"), decided_by=d.get("by"))


def first_issue(draft: Draft) -> service.GradeChoice:
    """What the issue says of the grade: on a draft's first issue, its authority's grade and
    period, so that a register already holding the same file (another draft of it, uploaded
    twice or by someone else) under another grade refuses the run rather than marking these
    copies with that other grade; once the draft has copies, nothing (the registered decision,
    changed since or not, stands)."""
    if draft.copies or not draft.decision:
        return service.GradeChoice()
    return service.GradeChoice(grade=draft.decision.get("grade"), period=draft.decision.get("period"))


def _recipients_file(people: list[Recipient]) -> Path:
    """The recipients file of ``people`` (with unit and certificate), in a private folder."""
    folder = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX))
    path = folder / "recipients.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        f.write(recipients_csv(people))
    return path


def run_issue(cfg: WebConfig, conn: Any, draft: Draft, people: list[Recipient] | list[str], actor: str,
              job: Job) -> Any:
    """Issue copies of ``draft`` to ``people`` (one process: the machine is shared); records
    the copies on the draft and returns the service's report. A bare name stands for an
    account without an address book entry (the name as id and name)."""
    people = [p if isinstance(p, Recipient) else Recipient(p, p) for p in people]
    names = [p.id for p in people]
    listed = _recipients_file(people)

    def tell(done: int, total: int, message: str) -> None:
        job.done, job.total, job.message = done, total, message

    try:
        request = service.IssueRequest(draft=store.draft_file(cfg.data, draft), recipients=listed,
                                       choice=first_issue(draft), decided=choice_of(draft),
                                       out=store.out_dir(cfg.data, draft), jobs=1)
        report = service.issue(request, settings=cfg.settings(actor), progress=tell)
    finally:
        remove_tree(listed.parent)
    copies = [{"serial": c.serial, "copy_id": c.copy_id, "recipient": c.recipient.id, "file": c.file.name}
              for c in report.run.copies]
    now = store.get(conn, draft.id) or draft  # as stored now, not as when the run began
    known = {c["copy_id"]: c for c in now.copies}
    known.update({c["copy_id"]: c for c in copies})
    store.set_issued(conn, draft.id, sorted(set(now.recipients) | set(names)), list(known.values()))
    job.passwords = [{"serial": c.serial, "recipient": c.recipient.id, "password": c.password}
                     for c in report.run.copies]
    # the passwords are shown once on the page; the file the run wrote beside the copies goes
    report.run.passwords.unlink(missing_ok=True)
    # a name sent again (the form sent twice, a copy thought lost) is skipped by the service:
    # say so, or "done" reads as a new copy made (the reason it gives names a server path)
    job.warnings = list(report.warnings) + [
        f"{r.id} already holds a copy of this document; no second copy was made (已持有副本，未重复分发)"
        for r, _why in report.run.skipped]
    error = report.error()
    if error is not None:
        job.error = hide_paths(str(error))
    return report


def claim(jobs: dict, job: Job) -> str | None:
    """Register ``job`` and return its id, or None while another run of the same draft is
    unfinished: a form sent twice (a double click, the back button) must not start a second
    run beside the first. Called on the server's event loop, so the check and the insert
    cannot interleave with another request's. Old runs are tidied first (see :func:`tidy`)."""
    tidy(jobs)
    if any(other.draft_id == job.draft_id and not other.finished for other in jobs.values()):
        return None
    job_id = secrets.token_urlsafe(16)
    jobs[job_id] = job
    return job_id


def start(cfg: WebConfig, jobs: dict, draft: Draft, people: list[Recipient], actor: str) -> str | None:
    """Start an issuing run in a thread; returns the job id the progress page polls, or None
    while another run of the draft is unfinished (see :func:`claim`)."""
    job = Job(owner=actor, draft_id=draft.id, total=len(people))
    job_id = claim(jobs, job)
    if job_id is None:
        return None

    def work() -> None:
        own = connect(cfg.home)  # a connection of the thread's own, not the server's
        try:
            run_issue(cfg, own, draft, people, actor, job)
        except Exception as exc:  # shown on the progress page; the register says what was made
            job.error = hide_paths(str(exc)) or type(exc).__name__
        finally:
            own.close()
            job.ended_at = getattr(jobs, "clock", time.monotonic)()
            job.finished = True
            # the passwords go even if no page and no new run ever looks at this run again
            timer = threading.Timer(PASSWORD_SECONDS, expire, (job,))
            timer.daemon = True
            timer.start()

    threading.Thread(target=work, daemon=True, name=f"issue-{draft.id}").start()
    return job_id


def copy_path(cfg: WebConfig, draft: Draft, serial: str) -> tuple[dict, Path] | None:
    """The copy of ``draft`` with ``serial`` and its file, found by the serial in the draft's
    own list (never by a path from the request), or None."""
    for c in draft.copies:
        if c["serial"] == serial:
            folder = store.out_dir(cfg.data, draft).resolve()
            path = (folder / c["file"]).resolve()
            if path.parent == folder and path.is_file():
                return c, path
    return None
