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


def counted(conn, call):  # type: ignore[no-untyped-def]
    """``call()``'s result and the VM instructions it took on ``conn``."""
    steps = [0]

    def tick() -> int:
        steps[0] += 1
        return 0

    conn.set_progress_handler(tick, 1)
    try:
        result = call()
    finally:
        conn.set_progress_handler(None, 1)
    return result, steps[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=100_000)
    parser.add_argument("--home", type=Path, default=None, help="an office home seeded before")
    parser.add_argument("--repeat", type=int, default=9)
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
    for label, params in page_queries(copies).items():
        query, number = params.get("q", ""), int(params.get("page", "1"))
        times = []
        for _ in range(options.repeat):
            start = time.perf_counter()
            service.page_copies(query, False, number, 25, settings=settings)
            times.append((time.perf_counter() - start) * 1000)
        with Office.open(home) as office:
            register = office.register
            conn = register._conn  # the bench looks inside: the instructions are the store's own
            statements: list[str] = []
            conn.set_trace_callback(statements.append)
            _, steps = counted(conn, lambda: (register.page_copies(query, False, (number - 1) * 25, 25),
                                              register.document_counts()))
            conn.set_trace_callback(None)
            if label in ("first page",) or label.startswith("deep"):
                for sql in statements:
                    if sql.lstrip().upper().startswith("SELECT") and " events " not in sql:
                        plan = conn.execute("EXPLAIN QUERY PLAN " + sql).fetchall()
                        print(f"    {sql[:110]}")
                        for row in plan:
                            print(f"        {row[-1]}")
        print(f"{label:34} {statistics.median(times):8.1f} {max(times):8.1f} {steps:16,}")
    if work is not None:
        work.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
