"""The register pages' reads (:func:`service.page_copies`) give every page of the listing as
:func:`service.list_copies` orders it, whether the page is reached from the start or, in the
second half, from the end (a deep page of 100,000 copies skips a few index entries instead of
nearly all of them); with search, the outstanding filter and the last, partial page."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from mijian.pipeline import service
from mijian.pipeline.register_paging import walk as _walk

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    from register_seed import seed

    made = tmp_path_factory.mktemp("paging") / "home"
    made.mkdir()
    seed(made, 130, documents=4, recipients=9)
    settings = service.Settings(home=made, actor="cle")
    for record in service.list_copies(settings=settings)[::7]:  # some returned: not outstanding
        service.return_copy(record.copy_id, "cle", settings=settings)
    return made


@pytest.mark.parametrize(("query", "outstanding"), [("", False), ("", True), ("BENCH-002", False),
                                                    ("P0000", True)])
@pytest.mark.parametrize("size", [7, 25])
def test_every_page_is_the_listings_slice(home, query, outstanding, size):
    settings = service.Settings(home=home)
    listed = [c for c in service.list_copies(settings=settings, outstanding=outstanding)
              if query == "" or any(str(v).upper().startswith(query.upper())
                                    for v in (c.serial, c.recipient_id, c.recipient_name, c.document_id))]
    assert listed, query
    pages = -(-len(listed) // size)
    for number in range(1, pages + 2):
        got = service.page_copies(query, outstanding, number, size, settings=settings)
        assert got.total == len(listed)
        assert [c.copy_id for c in got.copies] == [c.copy_id for c in listed[(number - 1) * size:number * size]]


def test_a_deep_page_is_walked_from_the_end():
    assert _walk(100_000, 0, 25) == ("document_id, serial", 0, 25)
    assert _walk(100_000, 99_750, 25) == ("document_id DESC, serial DESC", 225, 25)
    assert _walk(100_000, 99_990, 25) == ("document_id DESC, serial DESC", 0, 10)
    assert _walk(100_000, 100_000, 25)[2] == 0


def test_the_counts_follow_every_change_of_a_copy(home):
    """The per-document counts are kept under the log's last event: a return (a new event)
    shows at once, on the page and in a fresh count of the rows."""
    settings = service.Settings(home=home, actor="cle")
    before = service.page_copies(settings=settings)
    held = next(c for c in service.list_copies(settings=settings, outstanding=True))
    service.return_copy(held.copy_id, "cle", settings=settings)
    after = service.page_copies(settings=settings)
    was, now = dict((d, o) for d, _m, o in before.documents), dict((d, o) for d, _m, o in after.documents)
    assert now[held.document_id] == was[held.document_id] - 1 and after.total == before.total
    from mijian.pipeline.office import Office
    from mijian.pipeline.register_reads import _COUNTED

    _COUNTED.clear()
    with Office.open(home) as office:
        assert office.register.copy_counts() == (after.total, list(after.documents))


def test_a_search_reads_its_index_ranges_not_the_whole_listing(home, tmp_path):
    """Asked for a page of a search in listing order, SQLite walked the whole listing index
    testing each entry (1.25 million instructions with 100,000 copies for one recipient's 50).
    The planner weighs the table's size, so the plan is asked of a copy of the register grown
    to 100,000 rows (raw rows: only the plan is read, never the rows)."""
    import shutil
    import sqlite3

    from mijian.pipeline.office import Office

    class Recorded:
        """The store's connection, keeping each statement with its arguments (the planner
        chooses otherwise for bound arguments than for the same values written in the SQL)."""

        def __init__(self, conn):
            self.conn, self.ran = conn, []

        def __getattr__(self, name):
            return getattr(self.conn, name)

        def execute(self, sql, args=()):
            self.ran.append((sql, tuple(args)))
            return self.conn.execute(sql, args)

    with Office.open(home) as office:
        recorded = Recorded(office.register._conn)
        office.register._conn = recorded
        office.register.page_copies("P00004", False, 0, 25)
        office.register._conn = recorded.conn
        [page] = [ran for ran in recorded.ran if ran[0].startswith("SELECT * FROM copies WHERE rowid IN")]
        recorded.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copy(home / "register.db", tmp_path / "big.db")
    big = sqlite3.connect(tmp_path / "big.db")
    columns = [row[1] for row in big.execute("PRAGMA table_info(copies)")]
    made = {"copy_id": "'X' || n", "serial": "printf('Z%06d', n)", "fingerprint": "NULL",
            "recipient_id": "printf('Q%05d', n % 2000)", "document_id": "'BENCH-' || printf('%03d', n % 10)"}
    picked = ", ".join(made.get(c, c) for c in columns)
    with big:
        big.execute(f"INSERT INTO copies ({', '.join(columns)}) WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL "
                    f"SELECT n + 1 FROM k WHERE n < 100000) SELECT {picked} FROM k, "
                    "(SELECT * FROM copies LIMIT 1)")
    plan = [row[-1] for row in big.execute("EXPLAIN QUERY PLAN " + page[0], page[1])]
    big.close()
    assert not any(step.startswith("SCAN copies") for step in plan), plan
