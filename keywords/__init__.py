"""Keyword lexicons and the catalogue of secrecy scopes, kept as validated TOML data.

Use :func:`load_lexicon` to get a :class:`Lexicon` and :func:`load_scopes` to get the
:class:`ScopeCatalogue`; nothing is read at import.
"""

from keywords.loader import CATEGORIES, Category, Lexicon, LexiconError, Term, default_paths, load_lexicon
from keywords.scope_catalogue import (
    Condition,
    ScopeCatalogue,
    ScopeError,
    ScopeItem,
    ScopeSector,
    Source,
    default_scope_paths,
    load_scopes,
)

__all__ = [
    "CATEGORIES",
    "Category",
    "Condition",
    "Lexicon",
    "LexiconError",
    "ScopeCatalogue",
    "ScopeError",
    "ScopeItem",
    "ScopeSector",
    "Source",
    "Term",
    "default_paths",
    "default_scope_paths",
    "load_lexicon",
    "load_scopes",
]
