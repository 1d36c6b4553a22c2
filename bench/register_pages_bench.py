"""The queries behind the register pages, measured without a web server: for each page the
web benchmark asks for (first, deep, searches), the time of :func:`service.page_copies` (the
whole read a request makes: open the office, read the page, count, close) and, independent
of how busy the machine is, the SQLite virtual-machine instructions the register's reads take
and their query plans.

The instruction count comes from a progress handler called every instruction on the
register's connection; it is the work SQLite did, which does not change with the load of
the machine (a full scan of 100,000 index entries is some millions of instructions, a page
read through an index some thousands).

    /work/venv/bin/python bench/register_pages_bench.py --copies 100000      # seeds first (minutes)
    /work/venv/bin/python bench/register_pages_bench.py --home SEEDED_HOME   # a home seeded before
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


STEPS = [0]
"""VM instructions run on every SQLite connection of this process since the last reset."""
COUNTING = [False]
"""Whether connections opened now count (a handler called every instruction slows SQLite
down many times over, so the timed calls run without it)."""


def count_everywhere() -> None:
    """Make every SQLite connection opened from now on count its VM instructions in
    :data:`STEPS`: the service opens its own connection per call, as the web app does."""
    import sqlite3

    opened = sqlite3.connect

    def tick() -> int:
        STEPS[0] += 1
        return 0

    def connect(*args, **kwargs):  # type: ignore[no-untyped-def]
        conn = opened(*args, **kwargs)
        if COUNTING[0]:
            conn.set_progress_handler(tick, 1)
        return conn

    sqlite3.connect = connect  # type: ignore[assignment]


class Recorded:
    """A connection that keeps each statement with its arguments: plans are asked with the
    arguments bound, as the store runs them (the planner chooses otherwise for literals)."""

    def __init__(self, conn) -> None:  # type: ignore[no-untyped-def]
        self.conn, self.ran = conn, []

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        return getattr(self.conn, name)

    def execute(self, sql: str, args=()):  # type: ignore[no-untyped-def]
        self.ran.append((sql, tuple(args)))
        return self.conn.execute(sql, args)


def plan(home: Path, query: str, number: int) -> None:
    """The plans of the SELECTs on copies a page runs (as the service runs them)."""
    from mijian.pipeline.office import Office

    with Office.open(home) as office:
        register = office.register
        recorded = Recorded(register._conn)  # the bench looks inside the store to show its plans
        register._conn = recorded  # type: ignore[assignment]
        with register.read_snapshot():
            listed, _ = register.copy_counts() if not query else (None, [])
            register.page_copies(query, False, (number - 1) * 25, 25, total=listed)
        register._conn = recorded.conn
        for sql, args in recorded.ran:
            if sql.lstrip().upper().startswith("SELECT") and "copies" in sql and " events " not in sql:
                print(f"    {sql[:120]}")
                for row in recorded.conn.execute("EXPLAIN QUERY PLAN " + sql, args).fetchall():
                    print(f"        {row[-1]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=100_000)
    parser.add_argument("--home", type=Path, default=None, help="an office home seeded before")
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--plans", action="store_true", help="print the query plan of each page's reads")
    parser.add_argument("--old", action="store_true",
                        help="call page_copies as a tree before copy_counts did (no documents= argument)")
    options = parser.parse_args()
    from mijian.pipeline import service
    from mijian.pipeline.office import Office

    work = None
    home = options.home
    if home is None:
        from register_seed import seed

        work = tempfile.TemporaryDirectory(prefix="mijian-pages-")
        home = Path(work.name) / "home"
        home.mkdir()
        start = time.perf_counter()
        seed(home, options.copies)
        print(f"seeded {options.copies:,} copies in {time.perf_counter() - start:.1f} s")
    settings = service.Settings(home=home, actor="bench")
    from web_bench import page_queries

    with Office.open(home) as office:
        copies = office.register.count_copies()
    print(f"register: {copies:,} copies")
    print(f"{'page':34} {'p50 ms':>8} {'max ms':>8} {'VM instructions':>16}")
    count_everywhere()
    for label, params in page_queries(copies).items():
        query, number = params.get("q", ""), int(params.get("page", "1"))
        # as the Register page asks: the per-document counts with the plain listing only
        extra = {} if options.old else {"documents": not query}
        times = []
        for _ in range(options.repeat):
            start = time.perf_counter()
            service.page_copies(query, False, number, 25, settings=settings, **extra)
            times.append((time.perf_counter() - start) * 1000)
        COUNTING[0], STEPS[0] = True, 0
        service.page_copies(query, False, number, 25, settings=settings, **extra)
        COUNTING[0] = False
        steps = [STEPS[0]]
        if options.plans and not options.old:
            plan(home, query, number)
        print(f"{label:34} {statistics.median(times):8.1f} {max(times):8.1f} {int(statistics.median(steps)):16,}")
    if work is not None:
        work.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
