"""The visible-text layer of a trace reads only the copies the text names, checked; its cost
does not grow with the copies of the document, and an edited row it names is still refused.

Copies are written through the register's own write path (each with its signed ``issued``
event); the checks are counted where every lookup makes them
(:func:`pipeline.register_check.check_copy_row`), so the figures are counts, not times.
"""

from __future__ import annotations

import hashlib
import sqlite3

import pytest

from mijian.pipeline import register_reads
from mijian.pipeline.errors import RegisterError
from mijian.pipeline.office import Office
from mijian.pipeline.register_records import CopyRecord, CopyStatus
from mijian.pipeline.trace_layers import visible_text_layer
from mijian.watermark.codes import new_copy_id
from tests.conftest import secret_document_record

DOC = "DOC-tracereads"
NAMES = "王李张刘陈杨黄赵周吴"


def _office(home, copies: int) -> list[str]:
    """An office whose document has ``copies`` issued copies; their copy ids by serial."""
    ids = []
    with Office.open(home) as office:
        register, signer = office.register, office.key()
        when = register.clock()
        with register.transaction():
            register.add_document(secret_document_record(DOC), signer, "test")
            for n in range(copies):
                serial = register.next_serial(DOC)
                copy_id = new_copy_id(hashlib.sha256(f"{n}".encode()).digest()[:8])
                name = NAMES[n % 10] + NAMES[(n // 10) % 10] + "明"
                register.add_copy(CopyRecord(
                    copy_id=copy_id, document_id=DOC, serial=serial, recipient_id=f"P{n:04d}",
                    recipient_name=name, recipient_unit="办公室", file=f"{serial}.pdf",
                    file_sha256=hashlib.sha256(serial.encode()).hexdigest(), key_id=signer.key_id,
                    issued_at=when, status=CopyStatus.ISSUED, status_at=when), signer, "test")
                ids.append(copy_id)
    return ids


def _counting(monkeypatch) -> list[str]:
    """Count the rows checked against their events (copy ids, in order)."""
    checked: list[str] = []
    real = register_reads.check_copy_row

    def counted(conn, keys, row):
        checked.append(row["copy_id"])
        return real(conn, keys, row)

    monkeypatch.setattr(register_reads, "check_copy_row", counted)
    return checked


@pytest.mark.parametrize("copies", [3, 60])
def test_visible_text_checks_only_the_copies_it_names(home, monkeypatch, copies):
    ids = _office(home, copies)
    checked = _counting(monkeypatch)
    with Office.open(home) as office:
        layer = visible_text_layer("通知正文\n李王明 份号 000002\n", office.register, [DOC])
    assert layer is not None and layer.verdict == "consistent"
    assert layer.copies == (ids[1],)
    assert "份号 000002 is copy" in layer.detail and "李王明" in layer.detail
    assert checked == [ids[1]]  # one checked read, however many copies the document has


def test_a_name_and_a_serial_of_two_copies_are_both_named(home, monkeypatch):
    ids = _office(home, 30)
    checked = _counting(monkeypatch)
    with Office.open(home) as office:
        # the watermark of copy 2 with the name of copy 3's recipient put before it
        layer = visible_text_layer("张王明 份号 000002", office.register, [DOC])
    assert layer is not None and layer.verdict == "several copies"
    assert set(layer.copies) == {ids[1], ids[2]}
    assert sorted(checked) == sorted([ids[1], ids[2]])


def test_no_serial_or_name_in_the_text_reads_no_copy(home, monkeypatch):
    _office(home, 20)
    checked = _counting(monkeypatch)
    with Office.open(home) as office:
        layer = visible_text_layer("一段没有份号的文字", office.register, [DOC])
    assert layer is not None and layer.verdict == "not found"
    assert checked == []


def test_an_edited_row_the_text_names_is_still_refused(home):
    ids = _office(home, 10)
    with sqlite3.connect(home / "register.db") as conn:  # an insider edits the row, not its events
        conn.execute("UPDATE copies SET recipient_name = '赵六' WHERE copy_id = ?", (ids[4],))
    with Office.open(home) as office, pytest.raises(RegisterError):
        visible_text_layer("赵六 份号 000005", office.register, [DOC])


def test_pending_copies_are_not_named(home):
    ids = _office(home, 4)
    with sqlite3.connect(home / "register.db") as conn:
        conn.execute("UPDATE copies SET status = ? WHERE copy_id = ?", (CopyStatus.PENDING.value, ids[0]))
    with Office.open(home) as office:
        labels = office.register.copy_labels(DOC)
    assert [label[0] for label in labels] == ids[1:]
