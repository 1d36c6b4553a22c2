"""Keyword lexicons and the catalogue of secrecy scopes, kept as validated TOML data.

Use :func:`load_lexicon` to get a :class:`Lexicon` and :func:`load_scopes` to get the
:class:`ScopeCatalogue`; nothing is read at import, and the loader modules themselves are
imported when one of their names is first asked for.
"""

from __future__ import annotations

import importlib
from typing import Any

_HOMES = {
    "mijian.keywords.loader": ("CATEGORIES", "Category", "Lexicon", "LexiconError", "Term",
                        "default_paths", "load_lexicon"),
    "mijian.keywords.scope_catalogue": ("Condition", "ScopeCatalogue", "ScopeError", "ScopeItem",
                                 "ScopeSector", "Source", "default_scope_paths", "load_scopes"),
}
_WHERE = {name: module for module, names in _HOMES.items() for name in names}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    """Import the module that defines ``name`` on first use (PEP 562)."""
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'keywords' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
