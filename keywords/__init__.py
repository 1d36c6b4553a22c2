"""Keyword lexicons for detecting sensitive content, kept as validated TOML data.

Use :func:`load_lexicon` to get a :class:`Lexicon`; nothing is read at import.
"""

from keywords.loader import CATEGORIES, Category, Lexicon, LexiconError, Term, default_paths, load_lexicon

__all__ = ["CATEGORIES", "Category", "Lexicon", "LexiconError", "Term", "default_paths", "load_lexicon"]
