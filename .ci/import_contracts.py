"""Check the import contracts of pyproject.toml against the package as it installs.

In the repository the parts of mijian are folders beside ``mijian/`` (``pipeline/``,
``classifiers/`` ...) that setuptools maps to ``mijian.pipeline`` ...; ``mijian/__init__.py``
finds them only when it runs. The import graph builder (grimp, used by import-linter) reads
the files without running them and accepts only a top-level package, so it would see
``mijian`` alone. This script lays the Python files out as the installer does (the mapping
is read from ``[tool.setuptools.package-dir]``, so new subfolders come along by themselves),
in a temporary folder, and runs ``lint-imports`` there with the repository's configuration.

Usage: ``python .ci/import_contracts.py`` from anywhere; the exit status is lint-imports'.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _python_files_only(folder: str, names: list[str]) -> set[str]:
    """``copytree`` filter: keep folders and ``.py`` files, drop caches and data."""
    return {n for n in names
            if n == "__pycache__" or (not n.endswith(".py") and not os.path.isdir(os.path.join(folder, n)))}


def lay_out(target: Path) -> None:
    """Copy the Python files of every mapped folder to where the installer puts them."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    mapping: dict[str, str] = config["tool"]["setuptools"].get("package-dir", {})
    shutil.copytree(ROOT / "mijian", target / "mijian", ignore=_python_files_only)
    for package, folder in mapping.items():
        parts = package.split(".")
        if parts[0] != "mijian" or len(parts) < 2:
            continue  # only the parts of mijian are mapped; anything else is not ours to lay out
        shutil.copytree(ROOT / folder, target.joinpath(*parts), ignore=_python_files_only)


def main() -> int:
    """Lay the package out in a temporary folder and run lint-imports on it."""
    lint_imports = Path(sys.executable).parent / "lint-imports"
    with tempfile.TemporaryDirectory(prefix="mijian-contracts-") as temp:
        lay_out(Path(temp))
        env = dict(os.environ, PYTHONPATH=temp)
        # lint-imports puts its working folder first on sys.path: run it in the laid-out tree
        done = subprocess.run([str(lint_imports), str(ROOT / "pyproject.toml"), "--no-cache"],
                              cwd=temp, env=env, check=False)
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
