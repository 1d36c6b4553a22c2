"""Library modules stay at most 400 lines and functions at most 60 lines.

The modules and functions that were already longer when this check was added are listed in
``ALLOWED``; anything else over the limits fails, and so does an entry of ``ALLOWED`` that
is no longer over (or no longer exists), so the list only shrinks. Run as a script to list
every module and function over the limits::

    python tests/test_module_size.py
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIBRARY = ("mijian", "pipeline", "classifiers", "watermark", "keywords")
"""The folders that install as the mijian package (see [tool.setuptools] in pyproject.toml)."""

MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60

ALLOWED = frozenset({
    # the page-fingerprint decoder
    "watermark/pattern.py",
    "watermark/pattern.py::_site_llrs",
    "watermark/pattern.py::_decode_grey",
    "watermark/pattern_image.py",
    "watermark/pattern_image.py::_lattices_in",
    "watermark/pattern_image.py::locate_sites",
})
"""Known to be over the limits: a module's path, or ``path::qualified.function.name``."""


def _functions(tree: ast.Module) -> list[tuple[str, int]]:
    """Every function and method of a module, with its qualified name and length in lines."""
    out: list[tuple[str, int]] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                name = prefix + child.name
                out.append((name, (child.end_lineno or child.lineno) - child.lineno + 1))
                visit(child, name + ".")
            elif isinstance(child, ast.ClassDef):
                visit(child, prefix + child.name + ".")
            else:
                visit(child, prefix)

    visit(tree, "")
    return out


def over_limits() -> dict[str, int]:
    """Every library module and function over its limit, with its length in lines."""
    found: dict[str, int] = {}
    for folder in LIBRARY:
        for path in sorted((ROOT / folder).rglob("*.py")):
            name = path.relative_to(ROOT).as_posix()
            text = path.read_text(encoding="utf-8")
            lines = len(text.splitlines())
            if lines > MAX_MODULE_LINES:
                found[name] = lines
            for function, length in _functions(ast.parse(text, filename=name)):
                if length > MAX_FUNCTION_LINES:
                    found[f"{name}::{function}"] = length
    return found


def test_no_new_module_or_function_over_the_limits() -> None:
    new = {name: lines for name, lines in over_limits().items() if name not in ALLOWED}
    assert not new, (f"over {MAX_MODULE_LINES} lines per module or {MAX_FUNCTION_LINES} per function: "
                     + ", ".join(f"{name} ({lines})" for name, lines in sorted(new.items()))
                     + "; split them into smaller modules or functions")


def test_the_allowed_list_only_names_what_is_still_over() -> None:
    stale = sorted(ALLOWED - set(over_limits()))
    assert not stale, (f"no longer over the limits (or gone): {', '.join(stale)}; "
                       "remove them from ALLOWED in tests/test_module_size.py")


def test_function_lengths_are_counted_from_def_to_last_line() -> None:
    tree = ast.parse("class A:\n    def f(self):\n        def g():\n            pass\n        return 1\n")
    assert _functions(tree) == [("A.f", 4), ("A.f.g", 2)]


if __name__ == "__main__":
    for item, size in sorted(over_limits().items()):
        print(f"{size:5d}  {item}{'  (allowed)' if item in ALLOWED else ''}")
    sys.exit(0)
