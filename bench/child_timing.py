"""Timing of one child process for the start-up benchmarks (``classify_bench.py`` and
``issue_bench.py``), kept in one place so that both measure start-up the same way.

A benchmark script imports it by name: Python puts the script's own folder, ``bench/``, first
on the path.
"""

from __future__ import annotations

import resource
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_child(args: list[str], env: dict[str, str], cwd: Path = ROOT) -> tuple[float, float, str]:
    """Run a command to its end; wall seconds, CPU seconds (user and system) of it and of
    its own children, and its stdout. CPU seconds are read from this process's children
    account (``RUSAGE_CHILDREN``) before and after, so other jobs on a busy machine do not
    count. A failing command stops the benchmark with its status and the start of its stderr.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        raise SystemExit(f"{' '.join(args[:4])}… in {cwd} failed ({done.returncode}): {done.stderr.strip()[:400]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), done.stdout


def bytecode_env(env: dict[str, str]) -> dict[str, str]:
    """``env`` with Python's compiled bytecode kept: with ``PYTHONDONTWRITEBYTECODE`` set and no
    ``__pycache__`` in the source tree (as in a fresh checkout), every run would compile every
    module of mijian again, about 0.1 s that an installed mijian (compiled by pip) never pays.
    The bytecode then goes to ``bench/out/pycache`` (``PYTHONPYCACHEPREFIX``), never into a tree."""
    if not env.get("PYTHONDONTWRITEBYTECODE") or env.get("PYTHONPYCACHEPREFIX"):
        return env
    env = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(ROOT / "bench" / "out" / "pycache")
    return env


def tree_label(tree: Path) -> str:
    """A source tree's folder and commit (``+`` when it has uncommitted changes)."""
    head = subprocess.run(["git", "-C", str(tree), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(["git", "-C", str(tree), "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True)
    return f"{tree.name} {head.stdout.strip() or '?'}{'+' if dirty.stdout.strip() else ''}"
