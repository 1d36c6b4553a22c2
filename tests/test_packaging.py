"""Every package folder of the repository is installed: a folder missing from the package
list works from a source checkout and fails only once installed."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PARTS = ("pipeline", "classifiers", "watermark", "keywords")


def test_every_folder_with_an_init_is_listed_in_pyproject():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = set()
    for part in PARTS:
        for init in (ROOT / part).rglob("__init__.py"):
            relative = init.parent.relative_to(ROOT)
            found.add(".".join(("mijian", *relative.parts)))
    assert found - listed == set(), f"not installed: {sorted(found - listed)}"
