"""Shared fixtures: a private MIJIAN_HOME per test, sample paths."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
CORPUS = ROOT.parent / "shared" / "corpus"


@pytest.fixture()
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh office home, also exported as MIJIAN_HOME for CLI runs."""
    path = tmp_path / "home"
    monkeypatch.setenv("MIJIAN_HOME", str(path))
    return path
