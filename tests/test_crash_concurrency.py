"""Issuing survives being killed at any instant, and parallel issuers share serials safely.

Invariants checked after every kill (before any recovery):
- no visible copy file without a register row, and every issued row has its file with the
  recorded SHA-256;
- serials of a document are unique and gap-free (pending reservations included);
- the signed event log verifies.
After running the same command again: every recipient holds exactly one issued copy, no row
is pending, the staging folder is gone, the manifest lists every copy, the log verifies.

The kill instants are fractions of how long a whole run takes on the machine at that moment
(measured before the first kill, and again whenever a batch's first run finishes unkilled),
not fixed seconds: on a busy machine a run is slower, and fixed instants would all fall into
its start-up.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path


from tests.conftest import ROOT, SAMPLES

KILLS = 24
KILL_AT = (0.15, 1.2)
"""Kill instants, as fractions of the latest measured whole run (drawn uniformly)."""
BACKSTOP = 300
"""Wall-clock seconds a step may take before the test gives up on it (a hang, not slowness)."""


def _cmd(draft: Path, recipients: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "mijian", "issue", str(draft), "--recipients", str(recipients),
            "--out", str(out), "--json"]


def _recipients(tmp: Path, count: int, prefix: str = "R") -> Path:
    path = tmp / f"recipients-{prefix}.csv"
    rows = ["id,name,unit"] + [f"{prefix}{i:03d},收件人{prefix}{i:03d},办公室" for i in range(1, count + 1)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def _rows(home: Path) -> list[sqlite3.Row]:
    if not (home / "register.db").exists():
        return []
    conn = sqlite3.connect(home / "register.db")
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute("SELECT * FROM copies").fetchall()
    finally:
        conn.close()


def _verify(home: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, MIJIAN_HOME=str(home))
    return subprocess.run([sys.executable, "-m", "mijian", "register", "verify"], env=env,
                          cwd=ROOT, capture_output=True, text=True, timeout=BACKSTOP)


def _check_invariants(home: Path, out: Path) -> None:
    rows = _rows(home)
    by_file = {r["file"]: r for r in rows}
    visible = [p for p in out.iterdir() if p.is_file() and not p.name.startswith(".")
               and p.name not in ("manifest.json", "passwords.csv")] if out.exists() else []
    for path in visible:
        assert str(path.absolute()) in by_file, f"orphan file {path.name}"
        row = by_file[str(path.absolute())]
        if row["status"] == "issued":
            assert hashlib.sha256(path.read_bytes()).hexdigest() == row["file_sha256"]
        else:
            assert row["status"] == "pending"
    documents: dict[str, list[int]] = {}
    for row in rows:
        if row["status"] == "issued":
            assert Path(row["file"]).exists(), f"issued row {row['serial']} has no file"
        documents.setdefault(row["document_id"], []).append(int(row["serial"]))
    for document_id, serials in documents.items():
        assert sorted(serials) == list(range(1, len(serials) + 1)), \
            f"serials of {document_id} not unique and gap-free: {sorted(serials)}"
    if rows:
        done = _verify(home)
        assert done.returncode == 0, done.stderr


def _processes_of(home: Path) -> list[int]:
    """Live processes (other than zombies) whose environment names ``home`` (Linux only)."""
    marker = f"MIJIAN_HOME={home}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if "State:\tZ" in (entry / "status").read_text():
                continue
            if marker in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def _whole_run(draft: Path, recipients: Path, out: Path, home: Path) -> float:
    """Wall-clock seconds of one uninterrupted run issuing ``draft`` in a fresh ``home``."""
    env = dict(os.environ, MIJIAN_HOME=str(home))
    start = time.monotonic()
    done = subprocess.run(_cmd(draft, recipients, out), env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=BACKSTOP)
    assert done.returncode == 0, done.stderr
    return time.monotonic() - start


def test_random_kills_never_orphan_or_duplicate(tmp_path):
    home = tmp_path / "home"
    out = tmp_path / "out"
    recipients = _recipients(tmp_path, 6)
    env = dict(os.environ, MIJIAN_HOME=str(home))
    draft = SAMPLES / "en_press_release.txt"
    rng = random.Random(20261127)
    # a whole run (keys created, every copy made) in a home of its own: the time scale of the
    # kills, until a run below finishes and measures it again
    whole = _whole_run(draft, recipients, tmp_path / "measured", tmp_path / "measured-home")
    kills = mid_issue = 0
    fresh = True  # this run starts its batch: nothing of it was made before
    for attempt in range(KILLS * 3):
        start = time.monotonic()
        proc = subprocess.Popen(_cmd(draft, recipients, out), env=env, cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            proc.wait(timeout=rng.uniform(*KILL_AT) * whole)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            kills += 1
            mid_issue += any(r["status"] == "pending" for r in _rows(home))
        else:
            assert proc.returncode == 0, proc.stderr.read().decode()
            if fresh:  # a rerun after a kill makes only what is left: not a whole run
                whole = time.monotonic() - start
        fresh = False
        proc.stderr.close()
        _check_invariants(home, out)
        if kills >= KILLS:
            break
        if proc.returncode == 0:
            # the batch completed; start a new document's batch to keep killing mid-run
            recipients = _recipients(tmp_path, 6, prefix=f"K{attempt}")
            out = tmp_path / f"out{attempt}"
            draft = tmp_path / f"draft{attempt}.txt"
            draft.write_text(f"Notice {attempt}: the committee meets on Tuesday.\n", encoding="utf-8")
            fresh = True
    assert kills >= 20, f"only {kills} kills landed"
    assert mid_issue >= 5, f"only {mid_issue} kills landed while a copy was being issued"
    # Finish the last batch and check the completed state.
    done = subprocess.run(_cmd(draft, recipients, out), env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=BACKSTOP)
    assert done.returncode == 0, done.stderr
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    ids = [c["recipient_id"] for c in manifest["copies"]]
    assert sorted(ids) == sorted(set(ids)) and len(ids) == 6
    assert not any(r["status"] == "pending" for r in _rows(home))
    assert not (out / ".mijian-staging").exists()
    _check_invariants(home, out)
    # no worker of a killed run lives on (one killed while starting cannot set its death signal)
    if Path("/proc/self/environ").exists():
        deadline = time.monotonic() + BACKSTOP
        while _processes_of(home) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert _processes_of(home) == [], "worker processes outlived their killed parent"


def test_four_processes_get_unique_gap_free_serials(tmp_path):
    home = tmp_path / "home"
    env = dict(os.environ, MIJIAN_HOME=str(home))
    draft = SAMPLES / "en_press_release.txt"
    everyone = _recipients(tmp_path, 12)
    lines = everyone.read_text(encoding="utf-8").splitlines()
    procs = []
    for n in range(4):
        part = tmp_path / f"part{n}.csv"
        # overlapping lists: each process sees its own 3 recipients and one of the next process's
        mine = lines[1 + 3 * n: 4 + 3 * n] + [lines[1 + (3 * n + 3) % 12]]
        part.write_text("\n".join([lines[0]] + mine) + "\n", encoding="utf-8")
        out = tmp_path / f"out{n}"
        procs.append(subprocess.Popen(_cmd(draft, part, out), env=env, cwd=ROOT,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    for proc in procs:
        _stdout, stderr = proc.communicate(timeout=BACKSTOP)
        assert proc.returncode == 0, stderr
    rows = _rows(home)
    serials = sorted(int(r["serial"]) for r in rows)
    assert serials == list(range(1, 13)), serials
    assert sorted(r["recipient_id"] for r in rows) == [f"R{i:03d}" for i in range(1, 13)]
    assert all(r["status"] == "issued" for r in rows)
    assert _verify(home).returncode == 0
