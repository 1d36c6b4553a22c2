"""The web benchmark's logic at a tiny scale: the real server on loopback over a seeded
register, clerks issuing copies of one document at the same time, then the checks the
benchmark prints (serials unique and gap-free, ``register verify`` intact). Timings are
measured but not judged here."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the web extra (pip install 'mijian[web]') is not installed")

BENCH = Path(__file__).resolve().parent.parent / "bench"
sys.path.insert(0, str(BENCH))

import web_bench  # noqa: E402
from web_bench_parts import check_serials, verify  # noqa: E402


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    work = tmp_path_factory.mktemp("web-bench")
    options = web_bench.Options(copies=120, users=2, seconds=2.0, requests=2, pages=2, uploads=1,
                                minimum=2)
    return work, web_bench.run(options, work)


def test_concurrent_clerks_get_unique_gap_free_serials_and_the_register_verifies(run):
    _work, results = run
    assert results.errors == []
    assert len(results.issued) >= 2 and len(set(results.issued)) == len(results.issued)
    assert results.serial_problem is None
    assert results.verify_ok and "intact" in results.verify_output


def test_every_register_page_was_measured_and_the_upload_reached_its_findings(run):
    _work, results = run
    assert len(results.pages) == 6 and all(len(times) == 2 for times in results.pages.values())
    assert len(results.uploads) == 1


def test_the_checks_fail_on_a_repeated_serial_and_a_damaged_register(run):
    work, results = run
    home = work / "home"
    from mijian.pipeline import service

    document = service.list_copies(settings=service.Settings(home=home))[-1].document_id
    assert "twice" in (check_serials(home, document, [*results.issued, results.issued[0]]) or "")
    import sqlite3

    with sqlite3.connect(home / "register.db") as conn:  # someone edits a seeded row by hand
        conn.execute("UPDATE copies SET recipient_name = 'someone else' WHERE serial = '000001'")
    ok, said = verify(home)
    assert not ok and said
