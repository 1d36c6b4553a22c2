"""An officer's acknowledgement that the register was restored, so issuing may go on safely.

When the register is older than its signed head (a backup was restored, events were cut off,
the head is missing or unreadable; see :mod:`pipeline.register_head`), issuing refuses: the
serials given out since the backup would be handed out again. :func:`acknowledge_restore`
records who accepted the restore and why, in one signed ``restore-acknowledged`` event that
also states, per document, the highest serial the head knew of (the *floor*). In the same
transaction each document's serial counter is raised to its floor, and floors of documents
the restored register no longer holds are kept in ``serial_floors``, so a document added
again later also continues above them. The head is then re-anchored at the new end of the
log. No 份号 is handed out twice.

What this does not protect against: when the head is missing or unreadable, nothing says how
far serials went; the officer must check the paper records before acknowledging.
"""

from __future__ import annotations

from dataclasses import dataclass

from mijian.pipeline.errors import UsageError
from mijian.pipeline.office import Office

RESTORE_ACKNOWLEDGED = "restore-acknowledged"


@dataclass(frozen=True)
class RestoreAcknowledged:
    """What :func:`acknowledge_restore` recorded.

    ``gaps``: per document, the serials the head knew were given out beyond what the restored
    register holds (first, last): copies that exist but that this register cannot name.
    """

    seq: int
    state: str
    head_seq: int | None
    floors: dict[str, int]
    gaps: tuple[tuple[str, int, int], ...]


def acknowledge_restore(office: Office, by: str, reason: str, actor: str) -> RestoreAcknowledged:
    """Record the acknowledgement of a restore (signed event), raise serial counters to the
    floors and re-anchor the head. :class:`UsageError` when there is nothing to acknowledge or
    ``by`` / ``reason`` is empty."""
    by, reason = (by or "").strip(), (reason or "").strip()
    if not by or not reason:
        raise UsageError("acknowledging a restore needs the officer's name (--by) and the reason "
                         "(--reason); give both (恢复确认须写明确认人和原因)")
    register = office.register
    key = office.key()
    with register.transaction():
        state = register.freshness()
        if state.ok:
            raise UsageError(f"the register is not older than its signed head (state {state.state}); "
                             "there is no restore to acknowledge; nothing was changed "
                             "(登记簿未落后于签名头，无需确认)")
        floors = dict(state.head.serials) if state.head else {}
        gaps = register.raise_serial_floors(floors)
        last = register.last_event()
        detail = {"by": by, "reason": reason, "state": state.state,
                  "head_seq": state.head.seq if state.head else None,
                  "head_hash": state.head.hash if state.head else None,
                  "register_seq": last[0] if last else 0, "floors": floors}
        # the head is re-anchored below, not moved forward
        seq = register.append_event(key, actor, RESTORE_ACKNOWLEDGED, None, None, detail,
                                    advance_head=False)
    register.reanchor_head(floors, key)
    return RestoreAcknowledged(seq=seq, state=state.state,
                               head_seq=state.head.seq if state.head else None,
                               floors=floors, gaps=tuple(gaps))
