"""Check one register row against its own signed events before anyone relies on it.

The register's lookups (a copy by id, by fingerprint number, by file hash, a document by id)
pass every row they return through :func:`check_copy_row` or :func:`check_document_row`.
These read the row's events, check that each is authentic on its own (its hash recomputes
from its content and its Ed25519 signature verifies under an office key) and that the row
holds what the events state (:mod:`pipeline.register_facts`). A row that fails is refused
with :class:`RowRefused`, so a verdict never names a recipient from an edited row: someone
who swaps two copies' fingerprint numbers with sqlite3 gets a refusal, not a false name.

This is a per-row check; the chain of the whole log, gaps and the lifecycle rules are
checked by :func:`pipeline.audit.verify_register`.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any, Protocol
from collections.abc import Mapping, Sequence

from mijian.pipeline.errors import RegisterError
from mijian.pipeline.register_records import event_hash
from mijian.pipeline.register_facts import (LoggedEvent, copy_problem, document_problem, expected_copy,
                                     expected_document)


class Verifier(Protocol):
    """An office key as the check needs it."""

    key_id: str

    def verify_signature(self, data: bytes, signature: bytes) -> bool:
        """True when ``signature`` is valid for ``data``."""
        ...


class RowRefused(RegisterError):
    """A register row disagrees with its signed events; it is not used (exit 4)."""


_ADVICE = ("nothing is taken from this row and no one is named from it; run 'mijian register "
           "verify' and restore the register from a backup (登记记录与签名日志不符，拒绝使用)")


def authentic_events(conn: sqlite3.Connection, keys: Sequence[Verifier], sql: str,
                     args: tuple) -> list[LoggedEvent]:
    """The events ``sql`` selects (ordered by seq), each checked on its own; refuses on the first
    that was altered or not signed by an office key."""
    by_id = {k.key_id: k for k in keys}
    out = []
    for row in conn.execute(sql, args):
        seq = row["seq"]
        digest = event_hash(row["prev_hash"], seq, row["at"], row["actor"], row["action"],
                            row["document_id"], row["copy_id"], row["detail"])
        key = by_id.get(row["key_id"])
        signature = row["signature"]
        if digest != row["hash"] or key is None or not isinstance(signature, bytes) \
                or not key.verify_signature(bytes.fromhex(digest), signature):
            raise RowRefused(f"event {seq} ({row['action']}) was altered or is not signed by an "
                             f"office key; {_ADVICE}")
        try:
            detail = json.loads(row["detail"])
        except ValueError:
            detail = None
        if not isinstance(detail, dict):
            raise RowRefused(f"event {seq} has a detail that is not a JSON object; {_ADVICE}")
        out.append(LoggedEvent(seq, row["action"], row["document_id"], detail))
    return out


def check_copy_row(conn: sqlite3.Connection, keys: Sequence[Verifier],
                   row: Mapping[str, Any]) -> None:
    """Refuse (:class:`RowRefused`) a copy row its signed events do not bear out."""
    events = authentic_events(conn, keys, "SELECT * FROM events WHERE copy_id = ? ORDER BY seq",
                              (row["copy_id"],))
    problem = copy_problem(row, expected_copy(events))
    if problem:
        raise RowRefused(f"{problem}; {_ADVICE}")


def check_document_row(conn: sqlite3.Connection, keys: Sequence[Verifier],
                       row: Mapping[str, Any]) -> None:
    """Refuse (:class:`RowRefused`) a document row its signed decision events do not bear out."""
    events = authentic_events(conn, keys, "SELECT * FROM events WHERE document_id = ? AND "
                              "copy_id IS NULL ORDER BY seq", (row["id"],))
    problem = document_problem(row, expected_document(events))
    if problem:
        raise RowRefused(f"{problem}; {_ADVICE}")
