"""Keyword lexicons for detecting sensitive content, kept as validated TOML data.

Use :func:`load_lexicon` to get a :class:`Lexicon`; nothing is read at import, and the
loader module itself is imported when one of its names is first asked for.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["CATEGORIES", "Category", "Lexicon", "LexiconError", "Term", "default_paths", "load_lexicon"]


def __getattr__(name: str) -> Any:
    """Import :mod:`keywords.loader` for ``name`` on first use (PEP 562)."""
    if name not in __all__:
        raise AttributeError(f"module 'keywords' has no attribute {name!r}")
    value = getattr(importlib.import_module("keywords.loader"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
