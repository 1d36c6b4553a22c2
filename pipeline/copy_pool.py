"""Build reserved copies in this process or in worker processes, batch after batch.

One :class:`Builder` serves a whole run: with enough copies it uses worker processes
(``spawn``) and hands them one batch at a time, so the run reserves the next batch only when
the last one is committed or voided.

A worker process costs most of its start-up importing PyMuPDF, pypdf, numpy and the writers.
:func:`start_workers` starts them before the run knows its document, so that this happens
while the issuing process reads, classifies and trial-stamps the draft; each task then
carries the run's job description, and a worker opens the office and reads the draft (staged
in the run's private folder, its digest checked) at its first task of the run.
"""

from __future__ import annotations

import hashlib
import os
from concurrent.futures import ProcessPoolExecutor
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from mijian.pipeline.copy_build import IssuedCopy, Job, VoidedCopy, build_copy
from mijian.pipeline.errors import RegisterError
from mijian.pipeline.office import Office
from mijian.pipeline.register import CopyRecord
from mijian.pipeline.schemes import all_schemes

Progress = Callable[[int, int, str], None]
"""Told ``(done, total, message)`` after each copy of a run is made or voided."""

Pool = ProcessPoolExecutor
"""Worker processes that build copies (see :func:`start_workers`)."""

PARALLEL_FROM = 4
"""Fewest copies worth starting worker processes for."""


def worker_count(workers: int | None, expected: int) -> int:
    """How many worker processes a run of ``expected`` copies uses (``workers``: as asked,
    default one per core, at most four); 0 when it builds its copies in this process."""
    count = workers if workers is not None else min(os.cpu_count() or 1, 4)
    count = max(1, min(count, expected))
    return count if count > 1 and expected >= PARALLEL_FROM else 0


def start_workers(count: int, draft: str) -> Pool | None:
    """Start ``count`` worker processes now (None for 0), each importing what building a copy
    of the draft named ``draft`` needs (by its format); hand the pool to :class:`Builder`,
    and shut it down after."""
    if count < 1:
        return None
    import multiprocessing

    return ProcessPoolExecutor(max_workers=count, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_worker_start, initargs=(os.getpid(), draft))


DRAFT_FILE = "draft.source"
"""The draft's bytes as the workers read them, in the run's private staging folder."""


class Builder:
    """Builds batches of reserved copies; a context manager that stops the workers it started
    (a pool given to it is left to its owner)."""

    def __init__(self, job: Job, expected: int, workers: int | None,
                 pool: Pool | None = None) -> None:
        count = worker_count(workers, expected)
        self.job = job
        self.owned = pool is None
        self.pool = (start_workers(count, f"copy{job.ext}") if pool is None else pool) if count else None
        self.spec: dict = {}
        if self.pool is not None:
            staged = job.run_dir / DRAFT_FILE
            fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as stream:
                stream.write(job.source)
            self.spec = dict(home=job.office.home, document_id=job.document_id,
                             decision=job.decision, source=str(staged),
                             source_sha256=hashlib.sha256(job.source).hexdigest(), ext=job.ext,
                             out_dir=job.out_dir, run_dir=job.run_dir, actor=job.actor,
                             limits=job.limits, running=job.running, claim=job.claim,
                             approver=job.approver, total=job.total,
                             reproduction=job.reproduction)

    def build(self, records: Iterable[CopyRecord],
              done: Callable[[IssuedCopy | VoidedCopy], None] | None = None) -> list[IssuedCopy | VoidedCopy]:
        """Build, check and commit (or void) every copy of one batch, in serial order;
        ``done`` is told of each copy as soon as it is ready."""
        records = list(records)
        made: Iterator[IssuedCopy | VoidedCopy]
        if self.pool is None or len(records) < 2:
            made = (build_copy(self.job, record) for record in records)
        else:
            made = self.pool.map(_worker_build, [(self.spec, r.copy_id) for r in records])
        out = []
        for copy in made:
            out.append(copy)
            if done is not None:
                done(copy)
        return out

    def __enter__(self) -> Builder:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None and self.owned:
            self.pool.shutdown(wait=True, cancel_futures=True)


def counting(progress: Progress | None, total: int) -> Callable[[IssuedCopy | VoidedCopy], None] | None:
    """A per-copy callback for :meth:`Builder.build` that counts the copies and tells ``progress``."""
    if progress is None:
        return None
    done = [0]

    def tell(copy: IssuedCopy | VoidedCopy) -> None:
        done[0] += 1
        what = "voided" if isinstance(copy, VoidedCopy) else "issued"
        progress(done[0], max(total, done[0]), f"{copy.serial} {copy.recipient.id} {what}")

    return tell


_WORKER: dict = {}
"""The worker process's offices (by home) and jobs (by run claim and document)."""


def _die_with_parent(parent: int) -> None:
    """Ask Linux to kill this worker when the issuing process dies, so a killed run leaves
    no worker finishing copies behind its back (elsewhere this is a no-op); a worker whose
    parent died before this point (the request only covers a later death) leaves at once."""
    try:
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:
        os._exit(1)


def _worker_start(parent: int, draft: str) -> None:
    """Tie the worker to the issuing process and import the writers of the ``draft``'s format."""
    _die_with_parent(parent)
    # Ctrl-C reaches every process of the terminal's group: the issuing process stops the
    # run and says how to finish it; a worker finishes its copy quietly instead of printing
    # its own traceback
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from mijian.pipeline.formats import registry

    fmt = registry.by_extension(draft, drafts_only=True)
    if fmt is not None:
        fmt.warm_up()


def _job(spec: dict) -> Job:
    """The job a task's description names, made at the worker's first task of the run: the
    office opened once per process, the staged draft read and checked against its digest."""
    key = (spec["claim"], spec["document_id"])
    job = _WORKER.get(key)
    if job is not None:
        return job
    spec = dict(spec)
    home = spec.pop("home")
    office = _WORKER.get(home) or _WORKER.setdefault(home, Office.open(home))
    source = Path(spec.pop("source")).read_bytes()
    if hashlib.sha256(source).hexdigest() != spec.pop("source_sha256"):
        raise RegisterError("the draft staged for the worker processes changed during the run; "
                            "run the command again")
    job = Job(office=office, scheme=all_schemes()[spec["decision"].scheme], cache={},
              source=source, **spec)
    _WORKER[key] = job
    return job


def _worker_build(task: tuple[dict, str]) -> IssuedCopy | VoidedCopy:
    """Build and commit (or void) one reserved copy in a worker process."""
    spec, copy_id = task
    job = _job(spec)
    record = job.office.register.get_copy(copy_id)
    if record is None:
        raise RegisterError(f"copy {copy_id} disappeared from the register; run the command again")
    return build_copy(job, record)
