"""Copies a killed print run or reproduction left pending, voided by the next run of its kind.

A print run or a reproduction that is stopped cleanly (an error, Ctrl-C) voids its own pending
copies. One that is killed outright (SIGKILL, out of memory, power cut) cannot: its copies stay
``pending`` under a claim that died with it (:mod:`pipeline.claims`). ``mijian issue`` finishes
the abandoned copies of its own runs, but not these (a print copy would become an ordinary copy
held by nobody, a reproduction would lose its stamp: see ``pending_copies``). So the next run
of the same kind on the same document voids them, with a signed ``voided`` event saying why:
their serials stay accounted for and are never handed out, and nobody is left holding a copy
that was never made. A claim that may still be alive (its process runs, or another host's) is
left alone.
"""

from __future__ import annotations

from mijian.pipeline.claims import claim_alive
from mijian.pipeline.office import Office
from mijian.pipeline.register import CopyStatus


def void_abandoned(office: Office, document_id: str, kind: str, actor: str) -> int:
    """Void the pending copies of ``document_id`` that a dead run of ``kind`` (``print`` or
    ``reproduce``) left; how many."""
    register = office.register
    voided = 0
    with register.transaction():
        for pending in register.pending_copies(document_id, kind):
            if pending.status != CopyStatus.PENDING or claim_alive(office.home, pending.claim):
                continue
            register.void_copy(pending.copy_id, office.key(), actor,
                               {"reason": f"the {kind} run that reserved it was stopped before it "
                                          f"finished (claim {pending.claim}) (中断未完成，作废)"})
            voided += 1
    return voided
