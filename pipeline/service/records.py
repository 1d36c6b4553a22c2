"""The verbs on the register and the keys: list and show copies, record each step of a copy's
life (sign, return, destroy, lost, void), history, holders, verify, backup, restore, keys.

Each verb opens the office named by the settings, does one thing and closes it. Results are
frozen values (register records, :mod:`~mijian.pipeline.service.values`); refusals are the
library's :class:`~mijian.pipeline.errors.RegisterError` and
:class:`~mijian.pipeline.errors.UsageError`, raised unchanged.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from mijian.pipeline.errors import RegisterError
from mijian.pipeline.register_records import CopyStatus
from mijian.pipeline.service.values import (Backup, CopyDetails, CopyPage, KeyInfo, KeyRotation,
                                            Settings)

T = TypeVar("T")


@contextmanager
def _office(settings: Settings | None) -> Iterator[tuple[Any, Settings]]:
    """The office of ``settings`` (else of the environment), closed after use."""
    from mijian.pipeline.office import Office

    settings = settings if settings is not None else Settings.from_environment(os.environ)
    with Office.open(settings.home) as office:
        yield office, settings


def _change(verb: Callable[..., T], copy_id: str, settings: Settings | None, **detail: Any) -> T:
    """Run one lifecycle verb on a copy as the settings' actor."""
    with _office(settings) as (office, chosen):
        return verb(office, copy_id, actor=chosen.actor, **detail)


def list_copies(document: str | None = None, outstanding: bool = False, *,
                settings: Settings | None = None) -> tuple[Any, ...]:
    """The registered copies (of one document), by document and serial; ``outstanding``
    keeps those neither returned nor destroyed (voided copies were never made: left out)."""
    with _office(settings) as (office, _):
        copies = office.register.list_copies(document, outstanding)
    return tuple(c for c in copies if not (outstanding and c.status == CopyStatus.VOIDED))


def page_copies(query: str = "", outstanding: bool = False, number: int = 1, size: int = 25, *,
                settings: Settings | None = None, documents: bool = True) -> CopyPage:
    """Page ``number`` (from 1) of ``size`` copies matching ``query`` (serial, recipient or
    document), as :func:`list_copies` orders them, with the match count and, when
    ``documents``, the per-document counts (else none); read from the store a page at a time
    (the register may hold 100,000 copies), all of it from one state of the register.

    The per-document counts and the plain listing's count come from one walk of the listing
    index; a caller that shows no per-document counts (a search, the API) spares that walk."""
    offset = (max(number, 1) - 1) * size
    with _office(settings) as (office, _):
        register = office.register
        with register.read_snapshot():
            listed, counts = register.copy_counts() if documents else (None, [])
            plain = not query.strip() and not outstanding
            shown, total = register.page_copies(query, outstanding, offset, size, total=listed if plain else None)
    return CopyPage(copies=tuple(shown), total=total, documents=tuple(counts))


def show_copy(copy_id: str, *, settings: Settings | None = None) -> CopyDetails:
    """One copy, its document's decision and its events; RegisterError for an unknown id."""
    with _office(settings) as (office, _):
        record = office.register.get_copy(copy_id)
        if record is None:
            raise RegisterError(f"copy '{copy_id}' is not in the register at {office.home}; check "
                                "the id in manifest.json (登记簿中没有此副本)")
        document = office.register.get_document(record.document_id)
        events = [event.public() for event in office.register.events(copy_id)]
    return CopyDetails(copy=record, document=document, events=tuple(events))


def sign_for(copy_id: str, by: str, *, unit: str | None = None,
             settings: Settings | None = None) -> Any:
    """签收: ``by`` signed for the copy; returns the changed copy record. An unassigned
    print-run copy is handed out to ``by`` (of ``unit``), who then holds it."""
    from mijian.pipeline import lifecycle

    return _change(lifecycle.sign_for, copy_id, settings, by=by, unit=unit)


def return_copy(copy_id: str, to: str, *, settings: Settings | None = None) -> Any:
    """清退: the copy came back to ``to``."""
    from mijian.pipeline import lifecycle

    return _change(lifecycle.return_copy, copy_id, settings, to=to)


def destroy_copy(copy_id: str, approver: str, witness: str, method: str | None = None, *,
                 settings: Settings | None = None) -> Any:
    """销毁: destroyed with ``approver``'s approval before ``witness`` (two different people)."""
    from mijian.pipeline import lifecycle

    return _change(lifecycle.destroy, copy_id, settings, approver=approver, witness=witness,
                   method=method)


def mark_lost(copy_id: str, note: str, *, settings: Settings | None = None) -> Any:
    """遗失: the copy was lost; ``note`` says what is known."""
    from mijian.pipeline import lifecycle

    return _change(lifecycle.mark_lost, copy_id, settings, note=note)


def void_copy(copy_id: str, reason: str, other_host_gone: bool = False, *,
              settings: Settings | None = None) -> Any:
    """作废: void a pending copy whose issuing run is gone; its serial is never reused."""
    from mijian.pipeline import lifecycle

    return _change(lifecycle.void, copy_id, settings, reason=reason, other_host_gone=other_host_gone)


def copy_history(copy_id: str, *, settings: Settings | None = None) -> tuple[dict, ...]:
    """Every event of one copy, oldest first (detail decoded, signature left out)."""
    from mijian.pipeline.lifecycle import history

    with _office(settings) as (office, _):
        return tuple(history(office, copy_id))


def holders(document_id: str, *, settings: Settings | None = None) -> tuple[Any, ...]:
    """Who must be told of a change of grade, period or scope: holders of unreturned copies."""
    from mijian.pipeline.lifecycle import holders as find_holders

    with _office(settings) as (office, _):
        return tuple(find_holders(office, document_id))


def verify_register(*, settings: Settings | None = None) -> Any:
    """Check the signed, hash-chained log and the tables against it; returns the
    :class:`~mijian.pipeline.audit.VerifyReport` (a report, not an error: see :func:`verify_error`)."""
    from mijian.pipeline.audit import verify_register as verify

    with _office(settings) as (office, _):
        return verify(office)


def verify_error(report: Any) -> RegisterError | None:
    """The error a register that failed verification stands for (exit 4), or None when intact."""
    if report.ok:
        return None
    if report.stale:
        return RegisterError(str(report.problem))
    return RegisterError(f"register tampered (登记簿被篡改): {report.problem}; restore the latest "
                         "backup and investigate")


def backup_register(dest: str | os.PathLike[str], *, settings: Settings | None = None) -> Backup:
    """A consistent online copy of the register at ``dest`` (never overwritten, mode 0600)."""
    from mijian.pipeline.audit import backup_register as backup

    with _office(settings) as (office, _):
        # absolute, so that the path printed can be used from any folder
        return Backup(path=backup(office, Path(dest)).absolute())


def acknowledge_restore(by: str, reason: str, *, settings: Settings | None = None) -> Any:
    """Accept a restored register (signed event); serials continue above the highest given out."""
    from mijian.pipeline.register_restore import acknowledge_restore as acknowledge

    with _office(settings) as (office, chosen):
        return acknowledge(office, by, reason, chosen.actor)


def list_keys(*, settings: Settings | None = None) -> tuple[KeyInfo, ...]:
    """The office keys by id, newest (current) first; never their bytes."""
    with _office(settings) as (office, _):
        return tuple(KeyInfo(key_id=k.key_id, created=k.created, current=i == 0)
                     for i, k in enumerate(office.keys()))


def rotate_key(*, settings: Settings | None = None) -> KeyRotation:
    """Make a new current office key; copies and events under older keys still trace and verify."""
    with _office(settings) as (office, _):
        key = office.keyring.create()
        kept = len(office.keys())
    return KeyRotation(key=KeyInfo(key_id=key.key_id, created=key.created, current=True),
                       kept=kept, folder=office.home / "keys")
