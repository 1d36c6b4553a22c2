"""Issuing cost against a floor, per-copy cost as copies grow, and start-up of each command.

The floor is the least any tool must do to hand out named, encrypted copies: open the
draft with PyMuPDF, write the recipient's name on every page, save the file with AES-256.
It runs in two worker processes, as ``mijian issue`` does on a two-core machine (one worker
per core, at most four), and both run back to back in one run on the same drafts, so their
ratio holds on a busy machine where the seconds do not.

Drafts of 1, 2, 20 and 100 pages are generated (plain Chinese text laid out by mijian's
own text-to-PDF, one page per form feed). Printed:

- per draft: seconds and CPU seconds (this process's children: the CLI and its workers) of
  the floor and of ``mijian issue``, and their ratios;
- per-copy cost of ``mijian issue`` on the 2-page draft at 10, 100 and 1,000 copies
  (seconds per copy, and the cost of each copy added beyond 10);
- start-up: ``mijian --version``, ``--help``, ``trace`` of pasted text (a page's text
  copied out of an issued copy) and ``classify`` of a 10-page PDF, median of five runs.

Run from the repository root with the project's interpreter::

    python bench/issue_bench.py            # full run (1,000 copies included): 5-10 minutes
    python bench/issue_bench.py --quick    # fewer copies, no 1,000-copy run: 1-2 minutes
    # the 2- and 20-page drafts only, 100 copies each, then 10/100/300 copies, no start-up
    python bench/issue_bench.py --pages 2 20 --copies 100 --sizes 10 100 300 --no-startup
    # start-up only, this tree and another checkout in turn, CPU seconds to compare; the last
    # row traces against a register where the document has 2,000 more copies: 3-6 minutes
    python bench/issue_bench.py --startup-only --repeat 7 --tree /work/main --extra-copies 2000

Start-up figures are medians of ``--repeat`` fresh processes after one uncounted round; each
tree runs in its own folder, and compiled bytecode is kept (in ``bench/out/pycache`` when
``PYTHONDONTWRITEBYTECODE`` is set) as an installed mijian has it. Issue 15 asks for ``trace``
of pasted text within 0.15 s and ``classify`` of a 10-page PDF within 0.3 s, start-up included.

Files go to ``bench/out/issue`` (``--keep`` leaves them there).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import statistics
import sys
from pathlib import Path

from child_timing import bytecode_env, run_child, tree_label

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out" / "issue"
WORKERS = 2
PARAGRAPH = ("为做好本年度涉密文件管理工作，现将有关事项通知如下：各单位要严格执行文件登记、"
             "签收、清退和销毁制度，机密级文件不得擅自复制，确需复制的须经批准并逐份编号登记。")


def _env(home: Path | None = None) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    if home is not None:
        env["MIJIAN_HOME"] = str(home)
    return env


def make_draft(pages: int, path: Path) -> Path:
    """A Chinese notice of exactly ``pages`` pages (one form feed per page)."""
    from mijian.pipeline.formats.pdf.typeset import text_to_pdf

    page = "\n".join(f"{number}. {PARAGRAPH}" for number in range(1, 9))
    text = "\f".join(f"第{n}部分 机密事项的管理\n{page}" for n in range(1, pages + 1))
    path.write_bytes(text_to_pdf(text, "关于加强涉密文件管理的通知", "zh"))
    import pymupdf

    with pymupdf.open(path) as doc:
        if doc.page_count != pages:
            raise SystemExit(f"draft of {pages} pages came out with {doc.page_count}")
    return path


def make_recipients(count: int, path: Path) -> Path:
    """A recipients CSV of ``count`` generated people."""
    family, given = "王李张刘陈杨黄赵周吴徐孙马朱胡郭何林罗高", "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚"
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["id", "name", "unit"])
        for n in range(count):
            name = family[n % 20] + given[(n // 20) % 20] + given[(n // 400) % 20]
            writer.writerow([f"P{n:05d}", name, "办公室"])
    return path


# --- the floor -----------------------------------------------------------------------------

def _floor_copy(task: tuple[str, str, str, str]) -> None:
    """One floor copy: open the draft, write the name on every page, save with AES-256."""
    import secrets

    import pymupdf

    draft, name, serial, out = task
    with pymupdf.open(draft) as doc:
        for page in doc:
            page.insert_text((72, 40), f"{name} 份号 {serial}", fontname="china-s", fontsize=12)
        doc.save(out, encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw=secrets.token_urlsafe(12),
                 owner_pw="office-owner-password", permissions=pymupdf.PDF_PERM_PRINT)


def floor_main(draft: str, recipients: str, out: str) -> None:
    """The floor as its own process: two spawned workers share the copies."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with open(recipients, encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    Path(out).mkdir(parents=True, exist_ok=True)
    tasks = [(draft, row["name"], f"{n:06d}", str(Path(out) / f"{n:06d}.pdf"))
             for n, row in enumerate(rows, 1)]
    with ProcessPoolExecutor(WORKERS, mp_context=multiprocessing.get_context("spawn")) as pool:
        list(pool.map(_floor_copy, tasks, chunksize=4))


# --- runs ------------------------------------------------------------------------------------

def run_floor(draft: Path, recipients: Path, work: Path) -> tuple[float, float]:
    out = work / "floor"
    shutil.rmtree(out, ignore_errors=True)
    wall, cpu, _ = run_child([sys.executable, str(Path(__file__).resolve()), "--floor",
                           str(draft), str(recipients), str(out)], _env())
    return wall, cpu


def run_mijian(draft: Path, recipients: Path, work: Path) -> tuple[float, float]:
    home, out = work / "home", work / "copies"
    shutil.rmtree(home, ignore_errors=True)
    shutil.rmtree(out, ignore_errors=True)
    wall, cpu, stdout = run_child([sys.executable, "-m", "mijian", "issue", str(draft),
                                "--recipients", str(recipients), "--grade", "机密",
                                "--period", "20年", "--out", str(out), "--json"], _env(home))
    copies = len(json.loads(stdout)["copies"])
    expected = sum(1 for _ in recipients.open(encoding="utf-8")) - 1
    if copies != expected:
        raise SystemExit(f"mijian issued {copies} copies, expected {expected}")
    return wall, cpu


def ratios(drafts: dict[int, Path], counts: dict[int, int], work: Path) -> None:
    print(f"## Issuing against the floor ({WORKERS} workers each, back to back)\n")
    print("| draft | copies | floor s | floor CPU s | mijian s | mijian CPU s | ratio s | ratio CPU |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for pages, draft in drafts.items():
        people = make_recipients(counts[pages], work / f"people-{counts[pages]}.csv")
        floor = run_floor(draft, people, work)
        mine = run_mijian(draft, people, work)
        print(f"| {pages} p | {counts[pages]} | {floor[0]:.2f} | {floor[1]:.2f} | {mine[0]:.2f} | "
              f"{mine[1]:.2f} | **{mine[0] / floor[0]:.2f}×** | {mine[1] / floor[1]:.2f}× |",
              flush=True)
    print()


def per_copy(draft: Path, sizes: list[int], work: Path) -> None:
    print("## Per-copy cost of mijian issue (2-page draft)\n")
    print("| copies | seconds | CPU s | s per copy | CPU s per copy | s per copy beyond 10 |")
    print("| --- | --- | --- | --- | --- | --- |")
    first: tuple[int, float] | None = None
    for count in sizes:
        wall, cpu = run_mijian(draft, make_recipients(count, work / f"people-{count}.csv"), work)
        beyond = f"{(wall - first[1]) / (count - first[0]):.4f}" if first else "—"
        first = first or (count, wall)
        print(f"| {count} | {wall:.2f} | {cpu:.2f} | {wall / count:.4f} | {cpu / count:.4f} | "
              f"{beyond} |", flush=True)
    print()


def seed_copies(home: Path, count: int) -> None:
    """Add ``count`` issued copy rows of the traced document (each with its signed event, no
    file) through the register's own write path, as ``register_seed.py`` does."""
    sys.path.insert(0, str(ROOT / "bench"))
    import register_seed

    from mijian.pipeline.office import Office

    with Office.open(home) as office:
        register, signer = office.register, office.key()
        doc = register.list_copies()[0].document_id
        when = register.clock()
        for start in range(0, count, register_seed.BATCH):
            with register.transaction():
                for n in range(start, min(count, start + register_seed.BATCH)):
                    serial = register.next_serial(doc)
                    register.add_copy(register_seed.copy(doc, serial, n + 3, when, signer.key_id), signer, "bench")


def startup(work: Path, runs: int, trees: list[Path], extra_copies: int = 0) -> None:
    """Median wall and CPU seconds of the short commands, each a fresh process, for each
    source tree in turn (so that a busy machine slows them alike); with ``extra_copies``, a
    trace against a register where the document has that many more copies too."""
    import pymupdf

    home = work / "home"
    if not (work / "copies" / "passwords.csv").exists():
        run_mijian(make_draft(2, work / "draft-2.pdf"), make_recipients(3, work / "people-3.csv"), work)
    ten = make_draft(10, work / "draft-10.pdf")
    copy = sorted((work / "copies").glob("*.pdf"))[0]
    password = (work / "copies" / "passwords.csv").read_text(encoding="utf-8").splitlines()[1]
    with pymupdf.open(copy) as doc:
        doc.authenticate(password.split(",")[2])
        pasted = work / "pasted.txt"
        pasted.write_text(doc[0].get_text(sort=True), encoding="utf-8")
    commands = {
        "mijian --version": (["--version"], home),
        "mijian --help": (["--help"], home),
        "mijian trace pasted.txt --json": (["trace", str(pasted), "--json"], home),
        "mijian classify draft-10.pdf --json": (["classify", str(ten), "--json"], home),
    }
    if extra_copies:
        big = work / "home-big"
        shutil.copytree(home, big)
        seed_copies(big, extra_copies)
        label = f"mijian trace pasted.txt --json ({extra_copies + 3:,} copies)"
        commands[label] = (["trace", str(pasted), "--json"], big)
    times: dict[tuple[Path, str], list[tuple[float, float]]] = {(t, c): [] for t in trees for c in commands}
    for n in range(runs + 1):  # round 0 warms the bytecode and data caches and is not counted
        for (tree, label), rows in times.items():
            args, where = commands[label]
            env = bytecode_env(dict(_env(where), PYTHONPATH=str(tree)))
            # run in the tree, not ROOT: "-m" puts the working folder first on the path
            wall, cpu, _ = run_child([sys.executable, "-m", "mijian", *args], env, cwd=tree)
            if n:
                rows.append((wall, cpu))
    print(f"## Start-up (median of {runs} runs, including the command's work; load {os.getloadavg()[0]:.1f})\n")
    print("| source | command | seconds | CPU s |")
    print("| --- | --- | --- | --- |")
    for (tree, label), rows in times.items():
        print(f"| {tree_label(tree)} | `{label}` | {statistics.median(t[0] for t in rows):.3f} | "
              f"{statistics.median(t[1] for t in rows):.3f} |", flush=True)
    bare = [run_child([sys.executable, "-c", "pass"], _env()) for _ in range(runs)]
    print(f"| | `python -c pass` (interpreter alone) | {statistics.median(t[0] for t in bare):.3f} | "
          f"{statistics.median(t[1] for t in bare):.3f} |")
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer copies, no 1,000-copy run")
    parser.add_argument("--keep", action="store_true", help="keep bench/out/issue afterwards")
    parser.add_argument("--floor", nargs=3, metavar=("DRAFT", "CSV", "OUT"), help=argparse.SUPPRESS)
    parser.add_argument("--no-ratios", action="store_true", help="skip the floor comparison")
    parser.add_argument("--no-scaling", action="store_true", help="skip the per-copy table")
    parser.add_argument("--no-startup", action="store_true", help="skip the start-up table")
    parser.add_argument("--pages", type=int, nargs="+", default=None,
                        help="drafts of these page counts for the floor comparison (default 1 2 20 100)")
    parser.add_argument("--copies", type=int, default=None,
                        help="copies of each draft in the floor comparison (default 100, 20 for 100 pages; "
                             "40 and 8 with --quick)")
    parser.add_argument("--sizes", type=int, nargs="+", default=None,
                        help="copy counts of the per-copy table (default 10 100 1000; 10 100 with --quick)")
    parser.add_argument("--startup-only", action="store_true", help="only the start-up table")
    parser.add_argument("--repeat", type=int, default=None, help="runs per start-up figure (default 5, 3 with --quick)")
    parser.add_argument("--tree", action="append", type=Path, default=[],
                        help="another source tree to time the start-up of (e.g. the main branch's checkout)")
    parser.add_argument("--extra-copies", type=int, default=0,
                        help="also trace against a register where the document has this many more copies")
    args = parser.parse_args()
    if args.floor:
        floor_main(*args.floor)
        return
    sys.path.insert(0, str(ROOT))
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    print(f"# mijian issue benchmark ({os.cpu_count()} cores, load {os.getloadavg()[0]:.1f})\n")
    trees = [ROOT, *(t.resolve() for t in args.tree)]
    runs = args.repeat or (3 if args.quick else 5)
    if args.startup_only:
        startup(OUT, runs, trees, args.extra_copies)
        if not args.keep:
            shutil.rmtree(OUT, ignore_errors=True)
        return
    pages = args.pages or [1, 2, 20, 100]
    drafts = {n: make_draft(n, OUT / f"draft-{n}.pdf") for n in {*pages, 2}}
    # fewer copies of the 100-page draft: each takes about as long as ten of the others
    counts = {n: args.copies or ((40, 8) if args.quick else (100, 20))[n >= 100] for n in pages}
    if not args.no_ratios:
        ratios({n: drafts[n] for n in pages}, counts, OUT)
    if not args.no_scaling:
        per_copy(drafts[2], args.sizes or ([10, 100] if args.quick else [10, 100, 1000]), OUT)
    if not args.no_startup:
        startup(OUT, runs, trees, args.extra_copies)
    if not args.keep:
        shutil.rmtree(OUT, ignore_errors=True)


if __name__ == "__main__":
    main()
