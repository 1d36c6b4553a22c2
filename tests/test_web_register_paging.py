"""The register pages' reads (:func:`service.page_copies`) give every page of the listing as
:func:`service.list_copies` orders it, whether the page is reached from the start or, in the
second half, from the end (a deep page of 100,000 copies skips a few index entries instead of
nearly all of them); with search, the outstanding filter and the last, partial page."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from mijian.pipeline import service
from mijian.pipeline.register_reads import _walk

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
