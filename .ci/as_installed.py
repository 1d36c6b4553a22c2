"""Run a checker (mypy, lint-imports) on the package laid out as it installs.

In the repository the parts of mijian are folders beside ``mijian/`` (``pipeline/``,
``classifiers/`` ...) that setuptools maps to ``mijian.pipeline`` ...; ``mijian/__init__.py``
finds them only when it runs. The checkers read files without running them: mypy would see
``mijian.pipeline`` as missing, and grimp (import-linter's graph builder) accepts only a
top-level package, so both would see ``mijian`` alone. This script copies the Python files
to where the installer puts them, under ``build/as-installed/`` (the mapping is read from
``[tool.setuptools.package-dir]``, so new subfolders come along by themselves; modification
times are kept, so mypy's cache stays valid), runs the checker there with the repository's
configuration, and prints its report with the repository's paths.

Usage, from anywhere::

    python .ci/as_installed.py mypy
    python .ci/as_installed.py lint-imports

The exit status is the checker's.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYOUT = ROOT / "build" / "as-installed"
CONFIG = ROOT / "pyproject.toml"

# how each checker is told where the configuration is (it runs in LAYOUT, not in ROOT)
_ARGS = {
    "mypy": ["--config-file", str(CONFIG), "--cache-dir", str(ROOT / ".mypy_cache"), "-p", "mijian"],
    "lint-imports": [str(CONFIG), "--no-cache"],
}


def _python_files_only(folder: str, names: list[str]) -> set[str]:
    """``copytree`` filter: keep folders, ``.py`` files and ``py.typed``; drop caches and data."""
    keep = (".py", ".pyi", "py.typed")
    return {n for n in names
            if n == "__pycache__" or (not n.endswith(keep) and not os.path.isdir(os.path.join(folder, n)))}


def folders() -> dict[str, Path]:
    """Repository folder of each part, by its place in the installed tree (``mijian/pipeline``)."""
    config = tomllib.loads(CONFIG.read_text(encoding="utf-8"))
    mapping: dict[str, str] = config["tool"]["setuptools"].get("package-dir", {})
    out = {"mijian": ROOT / "mijian"}
    for package, folder in mapping.items():
        if package.split(".")[0] == "mijian":  # only the parts of mijian are laid out
            out[package.replace(".", "/")] = ROOT / folder
    return out


def lay_out(target: Path) -> None:
    """Replace ``target`` by a copy of the Python files, placed as the installer places them."""
    shutil.rmtree(target, ignore_errors=True)
    # parents first, so that a part mapped inside another (mijian/pipeline/x) lands in place
    for place, source in sorted(folders().items()):
        shutil.copytree(source, target / place, ignore=_python_files_only, dirs_exist_ok=True)


def _to_repository_paths(text: str) -> str:
    """Rewrite ``mijian/pipeline/x.py`` in a report to the repository's ``pipeline/x.py``."""
    for place, source in sorted(folders().items(), key=lambda item: -len(item[0])):
        text = text.replace(place + "/", os.path.relpath(source, ROOT) + "/")
    return text


def main(argv: list[str]) -> int:
    """Lay the package out and run the checker named in ``argv`` (with extra arguments) on it."""
    if not argv or argv[0] not in _ARGS:
        print(f"usage: as_installed.py {{{','.join(_ARGS)}}} [ARGS...]", file=sys.stderr)
        return 2
    tool = Path(sys.executable).parent / argv[0]
    lay_out(LAYOUT)
    # lint-imports puts its working folder first on sys.path: run the checkers in the layout
    done = subprocess.run([str(tool), *_ARGS[argv[0]], *argv[1:]], cwd=LAYOUT, check=False,
                          env=dict(os.environ, PYTHONPATH=str(LAYOUT), MYPYPATH=str(LAYOUT)),
                          capture_output=True, text=True)
    sys.stdout.write(_to_repository_paths(done.stdout))
    sys.stderr.write(_to_repository_paths(done.stderr))
    return done.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
