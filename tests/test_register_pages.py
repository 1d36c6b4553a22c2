"""The register read a page at a time: the same copies, order and prefix search as the whole
list filtered in Python, the per-document counts, and every row shown checked against its events."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import pytest

from mijian.pipeline.lifecycle import return_copy
from mijian.pipeline.office import Office
from mijian.pipeline.register_check import RowRefused
from mijian.pipeline.register_records import CopyStatus

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

from register_seed import seed

GONE = {CopyStatus.RETURNED, CopyStatus.DESTROYED, CopyStatus.VOIDED}


@pytest.fixture()
def office(tmp_path):
    home = tmp_path / "home"
    seed(home, 90, documents=3, recipients=7)
    with Office.open(home) as opened:
        for copy in opened.register.list_copies()[::10]:
            return_copy(opened, copy.copy_id, "机要员甲", "机要员")
        yield opened


def _expected(office, query, outstanding):
    """The copies whose serial, recipient or document begins with the query, by Python."""
    q = query.strip()
    needles = {q, q.upper(), q.lower()} | ({q.zfill(6)} if q.isdigit() else set())
    return [c.copy_id for c in office.register.list_copies()
            if (not q or any(v.startswith(n) for n in needles
                             for v in (c.serial, c.recipient_id, c.recipient_name, c.document_id)))
            and not (outstanding and c.status in GONE)]


@pytest.mark.parametrize("query", ["", "000007", "7", "00001", "p00003", "P0000", "bench-002", "王", "nobody"])
@pytest.mark.parametrize("outstanding", [False, True])
def test_pages_match_the_whole_list_filtered(office, query, outstanding):
    expected = _expected(office, query, outstanding)
    pages = []
    for offset in range(0, 100, 25):
        shown, total = office.register.page_copies(query, outstanding, offset, 25)
        assert total == len(expected)
        pages += [c.copy_id for c in shown]
    assert pages == expected
    assert query in ("", "nobody") or expected  # each search finds something here


def test_document_counts(office):
    copies = office.register.list_copies()
    for doc, made, out in office.register.document_counts():
        mine = [c for c in copies if c.document_id == doc]
        assert (made, out) == (len(mine), sum(c.status not in GONE for c in mine))
    assert sum(made for _d, made, _o in office.register.document_counts()) == 90


def test_an_edited_row_on_the_page_is_refused(office):
    with sqlite3.connect(office.register.path) as conn:
        conn.execute("UPDATE copies SET recipient_name = '别人' WHERE serial = '000002' AND document_id = 'BENCH-001'")
    with pytest.raises(RowRefused):
        office.register.page_copies("", False, 0, 25)
    assert len(office.register.page_copies("", False, 50, 25)[0]) == 25  # other pages still read
