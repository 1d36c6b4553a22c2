"""Run every file of the malformed corpus through ``mijian classify`` and measure it.

Each file runs in its own ``python -m pipeline.cli classify`` process (or ``trace`` with
``--command trace``) under an address-space
limit (default 1 GiB) and a wall-clock limit (default 10 s). One line per file gives the
outcome, exit code, seconds and peak resident memory; a summary follows.

Outcomes: ``ok`` (exit 0), ``rejected`` (exit 3 with a one-line message), and the failures
``timeout``, ``traceback``, ``multiline`` (exit 3 but more than one stderr line), ``exit<N>``
(any other exit code) and ``signal<N>`` (killed by a signal).

    /work/venv/bin/python bench/hostile_bench.py                # the whole corpus
    /work/venv/bin/python bench/hostile_bench.py --jobs 2 FILE…  # some files, two at a time
    /work/venv/bin/python bench/hostile_bench.py --command trace  # as leaked copies

Exit status 0 when every file ended ok or rejected, 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "malformed"
GOOD = ("ok", "rejected")


@dataclass(frozen=True)
class Run:
    """What one CLI run did."""

    name: str
    outcome: str
    code: int | None
    seconds: float
    peak_rss_mib: float
    stderr: str


def _limit_memory(limit_bytes: int):
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))
        os.setsid()  # its own process group, so a timeout kills any helper it started

    return apply


def run_cli(args: list[str], *, home: Path, timeout: float, memory: int,
            cwd: Path = ROOT) -> tuple[int | None, float, float, str, str, bool]:
    """Run ``python -m pipeline.cli ARGS``; return code, seconds, peak RSS MiB, stdout, stderr, timed out.

    ``code`` is negative for a signal. Peak RSS comes from ``wait4`` on the child itself.
    """
    env = dict(os.environ, MIJIAN_HOME=str(home), PYTHONDONTWRITEBYTECODE="1")
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.monotonic()
        proc = subprocess.Popen([sys.executable, "-m", "mijian", *args], cwd=cwd, env=env,
                                stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                preexec_fn=_limit_memory(memory))
        timed_out = False
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() - start > timeout:
                timed_out = True
                os.killpg(proc.pid, signal.SIGKILL)
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.01)
        seconds = time.monotonic() - start
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here; keep Popen quiet
        out.seek(0)
        err.seek(0)
        return (proc.returncode, seconds, usage.ru_maxrss / 1024,
                out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace"),
                timed_out)


def classify_outcome(code: int | None, stderr: str, timed_out: bool) -> str:
    """Name the outcome of one run (see the module docstring)."""
    if timed_out:
        return "timeout"
    if "Traceback" in stderr:
        return "traceback"
    if code is not None and code < 0:
        return f"signal{-code}"
    if code == 0:
        return "ok"
    if code == 3:
        return "rejected" if len(stderr.strip().splitlines()) == 1 else "multiline"
    return f"exit{code}"


def bench_file(path: Path, *, timeout: float, memory: int, command: str = "classify") -> Run:
    """Classify (or trace) one file in a fresh process and a throw-away MIJIAN_HOME."""
    with tempfile.TemporaryDirectory(prefix="mijian-bench-") as tmp:
        code, seconds, rss, _, stderr, timed_out = run_cli(
            [command, str(path)], home=Path(tmp) / "home", timeout=timeout, memory=memory)
    return Run(path.name, classify_outcome(code, stderr, timed_out), code, seconds, rss,
               stderr.strip())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, help="files (default: the whole corpus)")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per file")
    parser.add_argument("--memory-mib", type=int, default=1024, help="address-space limit")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--command", choices=("classify", "trace"), default="classify")
    parser.add_argument("--show-errors", action="store_true", help="print each stderr line")
    args = parser.parse_args(argv)
    files = args.files or sorted(p for p in CORPUS.glob("*") if p.name != "SOURCES.tsv")
    if not files:
        print(f"no files: the corpus is not at {CORPUS}", file=sys.stderr)
        return 2
    memory = args.memory_mib * 1024 * 1024
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        runs = list(pool.map(lambda p: bench_file(p, timeout=args.timeout, memory=memory,
                                                  command=args.command), files))
    width = max(len(r.name) for r in runs)
    print(f"{'file':<{width}}  {'outcome':<9} {'exit':>4} {'seconds':>8} {'peak MiB':>9}")
    for r in runs:
        code = "-" if r.code is None else str(r.code)
        print(f"{r.name:<{width}}  {r.outcome:<9} {code:>4} {r.seconds:8.2f} {r.peak_rss_mib:9.1f}")
        if args.show_errors or r.outcome not in GOOD:
            for line in r.stderr.splitlines()[-6:]:
                print(f"    {line}")
    counts: dict[str, int] = {}
    for r in runs:
        counts[r.outcome] = counts.get(r.outcome, 0) + 1
    slowest = max(runs, key=lambda r: r.seconds)
    biggest = max(runs, key=lambda r: r.peak_rss_mib)
    print()
    print(f"files: {len(runs)}  " + "  ".join(f"{k}: {v}" for k, v in sorted(counts.items())))
    print(f"max time: {slowest.seconds:.2f} s ({slowest.name})")
    print(f"max peak RSS: {biggest.peak_rss_mib:.1f} MiB ({biggest.name})")
    print(f"command: mijian {args.command}; limits: {args.timeout:g} s, "
          f"{args.memory_mib} MiB address space per file")
    return 0 if all(r.outcome in GOOD for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
