"""Build reserved copies in this process or in worker processes, batch after batch.

One :class:`Builder` serves a whole run: with enough copies it starts worker processes once
(``spawn``, each opening the office itself) and hands them one batch at a time, so the run
reserves the next batch only when the last one is committed or voided.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from collections.abc import Callable, Iterable, Iterator

from mijian.pipeline.copy_build import IssuedCopy, Job, VoidedCopy, build_copy
from mijian.pipeline.errors import RegisterError
from mijian.pipeline.office import Office
from mijian.pipeline.register import CopyRecord
from mijian.pipeline.schemes import all_schemes

Progress = Callable[[int, int, str], None]
"""Told ``(done, total, message)`` after each copy of a run is made or voided."""

PARALLEL_FROM = 4
"""Fewest copies worth starting worker processes for."""


class Builder:
    """Builds batches of reserved copies; a context manager that stops its workers."""

    def __init__(self, job: Job, expected: int, workers: int | None) -> None:
        count = workers if workers is not None else min(os.cpu_count() or 1, 4)
        count = max(1, min(count, expected))
        self.job = job
        self.pool: ProcessPoolExecutor | None = None
        if count > 1 and expected >= PARALLEL_FROM:
            import multiprocessing

            spec = dict(home=job.office.home, document_id=job.document_id, decision=job.decision,
                        source=job.source, ext=job.ext, out_dir=job.out_dir, run_dir=job.run_dir,
                        actor=job.actor, limits=job.limits, running=job.running,
                        claim=job.claim, approver=job.approver, total=job.total,
                        parent=os.getpid())
            self.pool = ProcessPoolExecutor(
                max_workers=count, mp_context=multiprocessing.get_context("spawn"),
                initializer=_worker_start, initargs=(spec,))

    def build(self, records: Iterable[CopyRecord],
              done: Callable[[IssuedCopy | VoidedCopy], None] | None = None) -> list[IssuedCopy | VoidedCopy]:
        """Build, check and commit (or void) every copy of one batch, in serial order;
        ``done`` is told of each copy as soon as it is ready."""
        records = list(records)
        made: Iterator[IssuedCopy | VoidedCopy]
        if self.pool is None or len(records) < 2:
            made = (build_copy(self.job, record) for record in records)
        else:
            made = self.pool.map(_worker_build, [r.copy_id for r in records])
        out = []
        for copy in made:
            out.append(copy)
            if done is not None:
                done(copy)
        return out

    def __enter__(self) -> Builder:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
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
"""The worker process's own office and job (set by :func:`_worker_start`, one per process)."""


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


def _worker_start(spec: dict) -> None:
    """Open the office once in a worker process and keep the job description."""
    _die_with_parent(spec.pop("parent"))
    # Ctrl-C reaches every process of the terminal's group: the issuing process stops the
    # run and says how to finish it; a worker finishes its copy quietly instead of printing
    # its own traceback
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    office = Office.open(spec.pop("home"))
    decision = spec["decision"]
    _WORKER["job"] = Job(office=office, scheme=all_schemes()[decision.scheme], cache={}, **spec)


def _worker_build(copy_id: str) -> IssuedCopy | VoidedCopy:
    """Build and commit (or void) one reserved copy in a worker process."""
    job = _WORKER["job"]
    record = job.office.register.get_copy(copy_id)
    if record is None:
        raise RegisterError(f"copy {copy_id} disappeared from the register; run the command again")
    return build_copy(job, record)
