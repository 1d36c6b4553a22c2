"""Shared fixtures: a private MIJIAN_HOME per test, sample paths; the data cache of the run (and of
the commands it starts) in a temporary folder, never the user's own."""

from __future__ import annotations

import csv
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from mijian.pipeline.register import DocumentRecord

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
CORPUS = ROOT.parent / "shared" / "corpus"


def pytest_configure(config: pytest.Config) -> None:
    """Point MIJIAN_CACHE at a fresh temporary folder for the whole run (inherited by the CLI runs)."""
    folder = tempfile.mkdtemp(prefix="mijian-test-cache-")
    config.stash[_CACHE] = folder
    os.environ["MIJIAN_CACHE"] = folder


def pytest_unconfigure(config: pytest.Config) -> None:
    """Remove the run's cache folder."""
    folder = config.stash.get(_CACHE, None)
    if folder:
        shutil.rmtree(folder, ignore_errors=True)


_CACHE = pytest.StashKey[str]()


@pytest.fixture()
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh office home, also exported as MIJIAN_HOME for CLI runs."""
    path = tmp_path / "home"
    monkeypatch.setenv("MIJIAN_HOME", str(path))
    return path


def secret_document_record(doc_id: str) -> DocumentRecord:
    """A registered 机密 document decision for register tests that need no real draft."""
    return DocumentRecord(id=doc_id, title="会议纪要", source_sha256=hashlib.sha256(doc_id.encode()).hexdigest(),
                          kind="pdf", language="zh", scheme="cn-state", grade="机密", level=3,
                          period="20年", suggested_grade="机密", suggested_level=3,
                          justification=None, basis="目录第3项", rationale=("r1",),
                          decided_by="定密责任人", decided_at="2026-01-01T00:00:00+00:00")


def run_cli(*args: str, home: Path, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    """``python -m mijian ARGS`` in ``cwd`` with MIJIAN_HOME set to ``home`` (and ``env`` added)."""
    full = {**os.environ, "MIJIAN_HOME": str(home), **env}
    return subprocess.run([sys.executable, "-m", "mijian", *args], capture_output=True, text=True,
                          env=full, cwd=cwd, timeout=300)


def issue_sample_copies(folder: Path, draft: Path, count: int,
                        *extra: str) -> tuple[Path, Path, dict[str, str]]:
    """Issue 秘密★10年 copies of ``draft`` to the first ``count`` sample recipients in ``folder``:
    (home, out folder, passwords by serial). ``extra`` options are passed to ``issue``."""
    lines = (SAMPLES / "recipients.csv").read_text(encoding="utf-8").splitlines()
    recipients = folder / "recipients.csv"
    recipients.write_text("\n".join(lines[:count + 1]) + "\n", encoding="utf-8")
    home, out = folder / "home", folder / "out"
    done = run_cli("issue", str(draft), "--recipients", str(recipients), "--grade", "秘密",
                   "--period", "10年", "--out", str(out), "--jobs", "1", *extra,
                   home=home, cwd=folder)
    assert done.returncode == 0, done.stderr
    with (out / "passwords.csv").open(encoding="utf-8") as stream:
        passwords = {row["serial"]: row["password"] for row in csv.DictReader(stream)}
    return home, out, passwords
