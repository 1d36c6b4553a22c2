"""The SQLite register: serials, documents, copies and the signed event chain."""

from __future__ import annotations

import sqlite3

import pytest

from mijian.pipeline.crypto import KeyRing
from mijian.pipeline.errors import RegisterError
from mijian.pipeline.register import GENESIS, CopyRecord, DocumentRecord, Register, event_hash


def _doc(doc_id="DOC-1"):
    return DocumentRecord(id=doc_id, title="t", source_sha256="ab" * 32, kind="pdf", language="zh",
                          scheme="cn-state", grade="机密", level=3, period="20年",
                          suggested_grade="机密", suggested_level=3, justification=None, basis=None,
                          rationale=("r1", "r2"), decided_by="clerk", decided_at="2026-01-01T00:00:00+00:00")


def _copy(copy_id, serial, doc_id="DOC-1", rid="R1"):
    return CopyRecord(copy_id=copy_id, document_id=doc_id, serial=serial, recipient_id=rid,
                      recipient_name="张三", recipient_unit="办公室", file=f"{serial}.pdf",
                      file_sha256=copy_id * 4, key_id="k", issued_at="now", status="issued",
                      status_at="now", sealed_password=b"x")


def test_serials_per_document_never_reused(tmp_path):
    key = KeyRing(tmp_path).current()
    with Register.open(tmp_path) as reg:
        with reg.transaction():
            reg.add_document(_doc(), key, "clerk")
            reg.add_document(_doc("DOC-2"), key, "clerk")
        with reg.transaction():
            assert reg.next_serial("DOC-1") == "000001"
            assert reg.next_serial("DOC-1") == "000002"
            assert reg.next_serial("DOC-2") == "000001"
        with pytest.raises(ZeroDivisionError):
            with reg.transaction():
                assert reg.next_serial("DOC-1") == "000003"
                raise ZeroDivisionError  # rolled back: 000003 is free again
    with Register.open(tmp_path) as reg:  # across runs
        with reg.transaction():
            assert reg.next_serial("DOC-1") == "000003"
        with pytest.raises(RegisterError, match="not in the register"):
            with reg.transaction():
                reg.next_serial("DOC-X")


def test_copies_and_lookups(tmp_path):
    key = KeyRing(tmp_path).current()
    with Register.open(tmp_path) as reg:
        with reg.transaction():
            reg.add_document(_doc(), key, "clerk")
            reg.add_copy(_copy("AAAA", "000001"), key, "clerk")
            reg.add_copy(_copy("BBBB", "000002", rid="R2"), key, "clerk")
        assert reg.get_copy("AAAA").recipient_name == "张三"
        assert reg.copies_by_sha256("BBBB" * 4)[0].copy_id == "BBBB"
        assert reg.copy_for_recipient("DOC-1", "R2").serial == "000002"
        assert [c.serial for c in reg.list_copies("DOC-1")] == ["000001", "000002"]
        assert "sealed_password" not in reg.get_copy("AAAA").public()
        with pytest.raises(sqlite3.IntegrityError):
            with reg.transaction():
                reg.add_copy(_copy("CCCC", "000001"), key, "clerk")  # duplicate serial


def test_events_chained_signed_and_append_only(tmp_path):
    key = KeyRing(tmp_path).current()
    with Register.open(tmp_path) as reg:
        with reg.transaction():
            reg.add_document(_doc(), key, "clerk")
            reg.add_copy(_copy("AAAA", "000001"), key, "clerk")
        events = list(reg.events())
        assert [e.action for e in events] == ["decided", "issued"]
        prev = GENESIS
        for e in events:
            assert e.prev_hash == prev
            digest = event_hash(prev, e.seq, e.at, e.actor, e.action, e.document_id,
                                e.copy_id, e.detail)
            assert digest == e.hash
            assert key.verify_signature(bytes.fromhex(digest), e.signature)
            prev = digest
    conn = sqlite3.connect(tmp_path / "register.db")  # someone with the file and no mijian
    try:
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute("UPDATE events SET actor = 'x' WHERE seq = 1")
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute("DELETE FROM events")
    finally:
        conn.close()


def test_corrupt_register_is_a_register_error(tmp_path):
    (tmp_path / "register.db").write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(RegisterError, match="cannot be opened"):
        Register.open(tmp_path)
