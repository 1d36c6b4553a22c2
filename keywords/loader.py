"""Load and validate the keyword lexicons kept as TOML files in ``keywords/data``.

A lexicon file looks like this::

    lang = "zh"                 # optional default for every entry
    category = "defence"        # optional default for every entry
    terms = [
      { text = "作战预案", weight = 0.9, floor = 3 },
      { text = "演习计划", weight = 0.5 },
    ]

Each entry has ``text`` (required), ``weight`` (required, above 0 and at most 1),
``category`` (required unless the file gives one), ``floor`` (optional ladder level 0..4:
the suggestion never goes below it when the term is present) and ``lang`` ("zh" or "en";
when absent, the file default, else guessed from the text).

For the ``marking`` category ``floor`` is the level the marking denotes; the policy applies it
as a minimum only where a marking belongs (the head of the draft).

Every problem raises :class:`LexiconError` (a ``ValueError``) with a one-line message that
names the file and the entry; the pipeline maps it to its own configuration error, so this
package imports nothing else of mijian. Nothing is read at import; :func:`load_lexicon` reads on call and
caches the packaged lexicon.
"""

from __future__ import annotations

import functools
import tomllib
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any, Literal


class LexiconError(ValueError):
    """A lexicon file is missing, malformed or holds an invalid entry; the message names both."""


CategoryKind = Literal["content", "raise", "lower", "marking"]
"""The role a category plays in grading (see :class:`Category`)."""

_DATA_DIR = Path(__file__).parent / "data"
_TOP_KEYS = ("lang", "category", "terms", "description")
_TERM_KEYS = ("text", "category", "weight", "floor", "lang")
_LANGS = ("zh", "en")
_MAX_TEXT = 80


@dataclass(frozen=True)
class Category:
    """One lexicon category: its id, what role it plays, and labels in Chinese and English.

    ``kind`` is ``content`` for subject matter (the seven state-secret areas, commercial and
    work secrets, personal information), ``raise`` for handling language that makes a draft
    more sensitive, ``lower`` for context showing the draft is public or merely talks about
    secrecy, and ``marking`` for grade words written on the draft itself.
    """

    id: str
    kind: CategoryKind
    zh: str
    en: str


CATEGORIES: tuple[Category, ...] = (
    Category("state_affairs", "content", "国家事务重大决策", "major state decisions"),
    Category("defence", "content", "国防建设和武装力量", "national defence and armed forces"),
    Category("foreign_affairs", "content", "外交和外事", "diplomacy and foreign affairs"),
    Category("economy", "content", "国民经济和社会发展", "economic and social development"),
    Category("science_technology", "content", "科学技术", "science and technology"),
    Category(
        "security_investigation",
        "content",
        "国家安全和刑事侦查",
        "state security and criminal investigation",
    ),
    Category(
        "other_state_secret",
        "content",
        "保密行政管理部门确定的其他事项",
        "other matters fixed by the secrecy authority",
    ),
    Category("commercial_secret", "content", "商业秘密", "commercial secrets"),
    Category("work_secret", "content", "工作秘密", "work secrets"),
    Category("personal_information", "content", "个人信息", "personal information"),
    Category("handling", "raise", "限制知悉和传递的处理要求", "restrictive handling language"),
    Category("public_context", "lower", "公开或学习培训语境", "public, published or training context"),
    Category("marking", "marking", "密级标志", "explicit classification marking"),
)
"""Every category a lexicon entry may name, in a fixed order."""

_CATEGORY_IDS = frozenset(c.id for c in CATEGORIES)


@dataclass(frozen=True)
class Term:
    """One lexicon entry, validated.

    ``origin`` says where it came from (``file #n``) for explanations; it does not take part
    in equality.
    """

    text: str
    category: str
    weight: float
    floor: int | None = None
    lang: str = "zh"
    origin: str = field(default="", compare=False)


@dataclass(frozen=True)
class Lexicon:
    """A validated set of terms plus the categories they may belong to."""

    terms: tuple[Term, ...]
    categories: tuple[Category, ...] = CATEGORIES

    def category(self, category_id: str) -> Category:
        """Return the category with this id, or raise ``KeyError``."""
        for cat in self.categories:
            if cat.id == category_id:
                return cat
        raise KeyError(category_id)

    def terms_in(self, category_id: str) -> tuple[Term, ...]:
        """Return the terms of one category, in file order."""
        return tuple(t for t in self.terms if t.category == category_id)


def load_lexicon(paths: Iterable[str | PathLike[str]] | None = None) -> Lexicon:
    """Read, validate and return a lexicon.

    With ``paths`` None, every ``*.toml`` in the packaged ``keywords/data`` folder is read
    (once; later calls return the cached value, and later runs read it from
    :mod:`keywords.datacache` while the files are unchanged). Otherwise exactly the given files are read,
    in order, each time. Raises :class:`LexiconError` naming the file and entry on any problem.
    """
    if paths is None:
        return _packaged_lexicon()
    return _load(tuple(Path(p) for p in paths))


def default_paths() -> tuple[Path, ...]:
    """Return the packaged lexicon files, sorted by name."""
    return tuple(sorted(_DATA_DIR.glob("*.toml")))


@functools.lru_cache(maxsize=1)
def _packaged_lexicon() -> Lexicon:
    files = default_paths()
    if not files:
        raise LexiconError(f"{_display(_DATA_DIR)}: no lexicon files (*.toml) found; reinstall mijian")
    from mijian.keywords.datacache import cached

    return cached("lexicon", (*files, Path(__file__)), lambda: _load(files), Lexicon)


def _load(files: tuple[Path, ...]) -> Lexicon:
    terms: list[Term] = []
    seen: dict[str, str] = {}
    for path in files:
        name = _display(path)
        for number, term in enumerate(_read_file(path), 1):
            key = _dedup_key(term.text)
            if key in seen:
                raise LexiconError(f"{term.origin} {term.text!r}: duplicate of {seen[key]}; fix the entry")
            seen[key] = f"term #{number} in {name}"
            terms.append(term)
    return Lexicon(terms=tuple(terms))


def _read_file(path: Path) -> list[Term]:
    name = _display(path)
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        raise LexiconError(f"{name}: cannot read the lexicon ({exc.strerror or exc}); check the path") from None
    except tomllib.TOMLDecodeError as exc:
        raise LexiconError(f"{name}: not valid TOML ({exc}); fix the file") from None
    except UnicodeDecodeError:
        raise LexiconError(f"{name}: not UTF-8 text; save the file as UTF-8") from None

    unknown = sorted(set(data) - set(_TOP_KEYS))
    if unknown:
        raise LexiconError(
            f"{name}: unknown top-level key {unknown[0]!r} (allowed: {', '.join(_TOP_KEYS)}); fix the file"
        )
    default_lang = data.get("lang")
    if default_lang is not None and default_lang not in _LANGS:
        raise LexiconError(f"{name}: lang {default_lang!r} is not 'zh' or 'en'; fix the file")
    default_cat = data.get("category")
    if default_cat is not None and default_cat not in _CATEGORY_IDS:
        raise LexiconError(f"{name}: unknown category {default_cat!r} ({_known()}); fix the file")
    entries = data.get("terms")
    if not isinstance(entries, list) or not entries:
        raise LexiconError(f"{name}: no 'terms' list; add terms = [ {{ text = ..., weight = ... }}, ... ]")
    return [_term(name, i, entry, default_cat, default_lang) for i, entry in enumerate(entries, 1)]


def _term(name: str, number: int, entry: Any, default_cat: str | None, default_lang: str | None) -> Term:
    where = f"{name}: term #{number}"
    if not isinstance(entry, dict):
        raise LexiconError(f"{where}: is not a table {{ text = ..., weight = ... }}; fix the entry")
    text = entry.get("text")
    label = f"{where} {text!r}" if isinstance(text, str) else where
    unknown = sorted(set(entry) - set(_TERM_KEYS))
    if unknown:
        raise LexiconError(
            f"{label}: unknown key {unknown[0]!r} (allowed: {', '.join(_TERM_KEYS)}); fix the entry"
        )
    if text is None:
        raise LexiconError(f"{where}: missing 'text'; fix the entry")
    if not isinstance(text, str) or not text.strip():
        raise LexiconError(f"{where}: text must be a non-empty string; fix the entry")
    if text != text.strip() or any(ch in text for ch in "\r\n\t"):
        raise LexiconError(f"{label}: text has leading, trailing or control whitespace; fix the entry")
    if len(text) > _MAX_TEXT:
        raise LexiconError(f"{label}: text is longer than {_MAX_TEXT} characters; fix the entry")

    weight = entry.get("weight")
    if weight is None:
        raise LexiconError(f"{label}: missing 'weight' (a number above 0, at most 1); fix the entry")
    if isinstance(weight, bool) or not isinstance(weight, (int, float)):
        raise LexiconError(f"{label}: weight {weight!r} is not a number; fix the entry")
    if not 0 < weight <= 1:
        raise LexiconError(f"{label}: weight {weight} is outside 0..1; fix the entry")

    floor = entry.get("floor")
    if floor is not None and (isinstance(floor, bool) or not isinstance(floor, int) or not 0 <= floor <= 4):
        raise LexiconError(f"{label}: floor {floor!r} is not a ladder level 0..4; fix the entry")

    category = entry.get("category", default_cat)
    if category is None:
        raise LexiconError(f"{label}: no category (set one on the entry or at the top of the file); fix the entry")
    if category not in _CATEGORY_IDS:
        raise LexiconError(f"{label}: unknown category {category!r} ({_known()}); fix the entry")

    lang = entry.get("lang", default_lang)
    if lang is None:
        lang = "zh" if any(_is_han(ch) for ch in text) else "en"
    if lang not in _LANGS:
        raise LexiconError(f"{label}: lang {lang!r} is not 'zh' or 'en'; fix the entry")

    return Term(text=text, category=category, weight=float(weight), floor=floor, lang=lang, origin=where)


def _dedup_key(text: str) -> str:
    """Fold a term the way matching sees it, so look-alike entries count as duplicates."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def _is_han(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff"


def _known() -> str:
    return "known: " + ", ".join(c.id for c in CATEGORIES)


def _display(path: Path) -> str:
    """Name a file the way messages show it: relative to the project for packaged files."""
    root = _DATA_DIR.resolve().parent.parent
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return str(path)
