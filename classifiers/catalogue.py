"""The office's own catalogue of secret matters (保密事项范围 / 一览表) and matching drafts to it.

A catalogue is a TOML (or CSV) file the office keeps; each item has an id, a description, a
grade, an optional period and the words by which a draft shows it concerns that matter::

    title = "江澜省人民政府办公厅国家秘密事项一览表（示例）"
    [[items]]
    id = "JL-03"
    description = "军事演训地方保障中的参演兵力、开进路线和时间、临时驻地"
    grade = "机密"            # a label (秘密 机密 绝密 内部 / CONFIDENTIAL SECRET TOP SECRET) or 1..4
    period_years = 20         # optional; at most 30
    category = "defence"      # optional lexicon category, for reports
    keywords = ["演训", "参演兵力", "开进路线", "临时驻地"]
    required = ["演训"]       # optional: all of these must appear
    min_matches = 2           # optional: distinct keywords needed (default 2, or 1 for one keyword)

CSV files have the header ``id,description,grade,period_years,category,keywords,required,
min_matches`` with words separated by ``;`` or ``、``. An item applies to a draft when every
``required`` word and at least ``min_matches`` distinct ``keywords`` occur in its normalised text.
Errors raise :class:`pipeline.errors.ConfigError` naming the file and the item.
"""

from __future__ import annotations

import csv
import functools
import io
import tomllib
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any

import ahocorasick

from mijian.classifiers.normalise import NormalisedText, normalise_term
from mijian.keywords import CATEGORIES
from mijian.pipeline.errors import ConfigError

CATALOGUE_NAMES = ("catalogue.toml", "catalogue.csv")
"""File names :func:`find_catalogue` looks for in an office home folder."""
_GRADES = {
    "内部": 1, "工作秘密": 1, "秘密": 2, "机密": 3, "绝密": 4, "普通商密": 2, "核心商密": 4,
    "internal": 1, "official-sensitive": 2, "confidential": 2, "secret": 3, "top secret": 4,
}
_ITEM_KEYS = ("id", "description", "grade", "period_years", "category", "keywords", "required", "min_matches")
_TOP_KEYS = ("title", "office", "items")
_CATEGORY_IDS = frozenset(c.id for c in CATEGORIES)
_MAX_ITEMS = 5000


@dataclass(frozen=True)
class CatalogueItem:
    """One matter of the catalogue: what it covers, its grade (ladder level) and period."""

    id: str
    description: str
    level: int
    period_years: int | None
    category: str
    keywords: tuple[str, ...]
    required: tuple[str, ...]
    min_matches: int


@dataclass(frozen=True)
class Catalogue:
    """A validated catalogue: its title, the file it came from, and its items in file order."""

    title: str
    source: str
    items: tuple[CatalogueItem, ...]


@dataclass(frozen=True)
class CatalogueMatch:
    """An item that applies to a draft, with the words that showed it (original offsets)."""

    item: CatalogueItem
    catalogue: str
    hits: tuple[tuple[int, int, str], ...]
    """(start, end, keyword) for the first occurrence of each distinct word found."""


def load_catalogue(path: str | PathLike[str]) -> Catalogue:
    """Read and validate a catalogue from a ``.toml`` or ``.csv`` file."""
    path = Path(path)
    name = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{name}: cannot read the catalogue ({exc.strerror or exc}); check the path") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError(f"{name}: not UTF-8 text; save the catalogue as UTF-8") from None
    if path.suffix.lower() == ".csv":
        title, rows = path.stem, _csv_rows(name, text)
    elif path.suffix.lower() == ".toml":
        title, rows = _toml_rows(name, text)
    else:
        raise ConfigError(f"{name}: unknown catalogue format {path.suffix or '(none)'!r}; use .toml or .csv")
    if not rows:
        raise ConfigError(f"{name}: the catalogue has no items; add at least one [[items]] entry")
    if len(rows) > _MAX_ITEMS:
        raise ConfigError(f"{name}: more than {_MAX_ITEMS} items; split the catalogue")
    items = tuple(_item(name, i, row) for i, row in enumerate(rows, 1))
    seen: set[str] = set()
    for number, item in enumerate(items, 1):
        if item.id in seen:
            raise ConfigError(f"{name}: item #{number} {item.id!r}: duplicate id; give each item its own id")
        seen.add(item.id)
    return Catalogue(title=title, source=name, items=items)


def find_catalogue(home: str | PathLike[str]) -> Path | None:
    """Return the catalogue kept in an office home folder (``catalogue.toml`` or ``.csv``), if any."""
    for file_name in CATALOGUE_NAMES:
        candidate = Path(home) / file_name
        if candidate.is_file():
            return candidate
    return None


def match_catalogue(norm: NormalisedText, catalogue: Catalogue) -> tuple[CatalogueMatch, ...]:
    """Return the items that apply to the normalised draft, highest level first."""
    automaton, words = _compile(catalogue)
    if automaton is None or not norm.text:
        return ()
    text = norm.text
    first: dict[str, tuple[int, int]] = {}
    for last, index in automaton.iter(text):
        key = words[index]
        start, end = last + 1 - len(key), last + 1
        if key in first:
            continue
        if _is_word(key[0]) and start > 0 and _is_word(text[start - 1]):
            continue  # a Latin word inside a longer word ("port" in "support")
        if _is_word(key[-1]) and end < len(text) and _is_word(text[end]):
            continue
        first[key] = (start, end)
    matches = []
    for item in catalogue.items:
        if not all(normalise_term(w) in first for w in item.required):
            continue
        found = [w for w in item.keywords if normalise_term(w) in first]
        if len(found) < item.min_matches:
            continue
        hits = []
        for word in dict.fromkeys(item.required + tuple(found)):
            start, end = first[normalise_term(word)]
            o_start, o_end = norm.to_original(start, end)
            hits.append((o_start, o_end, word))
        matches.append(CatalogueMatch(item=item, catalogue=catalogue.title, hits=tuple(sorted(hits))))
    return tuple(sorted(matches, key=lambda m: -m.item.level))


def _is_word(ch: str) -> bool:
    return (ch.isalnum() and ch < "\u2e80") or ch == "_"


@functools.lru_cache(maxsize=4)
def _compile(catalogue: Catalogue) -> tuple[Any, tuple[str, ...]]:
    automaton = ahocorasick.Automaton()
    words: list[str] = []
    for item in catalogue.items:
        for word in item.keywords + item.required:
            key = normalise_term(word)
            if key and key not in words:
                automaton.add_word(key, len(words))
                words.append(key)
    if not words:
        return None, ()
    automaton.make_automaton()
    return automaton, tuple(words)


def _toml_rows(name: str, text: str) -> tuple[str, list[Any]]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{name}: not valid TOML ({exc}); fix the file") from None
    unknown = sorted(set(data) - set(_TOP_KEYS))
    if unknown:
        raise ConfigError(f"{name}: unknown top-level key {unknown[0]!r} (allowed: {', '.join(_TOP_KEYS)}); fix the file")
    items = data.get("items", [])
    if not isinstance(items, list):
        raise ConfigError(f"{name}: 'items' must be a list of [[items]] tables; fix the file")
    title = data.get("title", Path(name).stem)
    if not isinstance(title, str) or not title.strip():
        raise ConfigError(f"{name}: title must be a non-empty string; fix the file")
    return title.strip(), items


def _csv_rows(name: str, text: str) -> list[Any]:
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [k for k in ("id", "description", "grade", "keywords") if k not in header]
    if missing:
        raise ConfigError(f"{name}: CSV header lacks {missing[0]!r} (need id,description,grade,keywords); fix the header")
    extra = [k for k in header if k not in _ITEM_KEYS]
    if extra:
        raise ConfigError(f"{name}: unknown CSV column {extra[0]!r} (allowed: {', '.join(_ITEM_KEYS)}); fix the header")
    rows: list[Any] = []
    for raw in reader:
        row: dict[str, Any] = {}
        for key, value in raw.items():
            if key is None or value is None:
                continue
            value = value.strip()
            key = key.strip()
            if not value:
                continue
            if key in ("keywords", "required"):
                row[key] = [w.strip() for w in value.replace("、", ";").split(";") if w.strip()]
            elif key in ("period_years", "min_matches") or (key == "grade" and value.isdigit()):
                row[key] = int(value) if value.isdigit() else value
            else:
                row[key] = value
        rows.append(row)
    return rows


def _item(name: str, number: int, row: Any) -> CatalogueItem:
    where = f"{name}: item #{number}"
    if not isinstance(row, dict):
        raise ConfigError(f"{where}: is not a table; write it as [[items]] with id, description, grade, keywords")
    ident = row.get("id")
    if not isinstance(ident, str) or not ident.strip():
        raise ConfigError(f"{where}: missing 'id' (a short string such as \"JL-03\"); fix the item")
    where = f"{where} {ident!r}"
    unknown = sorted(set(row) - set(_ITEM_KEYS))
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r} (allowed: {', '.join(_ITEM_KEYS)}); fix the item")
    description = row.get("description")
    if not isinstance(description, str) or not description.strip():
        raise ConfigError(f"{where}: missing 'description'; say what matter the item covers")
    level = _level(where, row.get("grade"))
    period = row.get("period_years")
    if period is not None and (isinstance(period, bool) or not isinstance(period, int) or not 1 <= period <= 30):
        raise ConfigError(f"{where}: period_years {period!r} is not a whole number of years 1..30; fix the item")
    if period is not None and level < 2:
        raise ConfigError(f"{where}: period_years given for a grade below 秘密/CONFIDENTIAL; remove it")
    category = row.get("category", "other_state_secret" if level >= 2 else "work_secret")
    if category not in _CATEGORY_IDS:
        raise ConfigError(f"{where}: unknown category {category!r} (known: {', '.join(sorted(_CATEGORY_IDS))}); fix the item")
    keywords = _words(where, "keywords", row.get("keywords"), needed=True)
    required = _words(where, "required", row.get("required", []), needed=False)
    default_min = 1 if len(keywords) == 1 else 2
    min_matches = row.get("min_matches", default_min)
    if isinstance(min_matches, bool) or not isinstance(min_matches, int) or not 1 <= min_matches <= len(keywords):
        raise ConfigError(f"{where}: min_matches {min_matches!r} must be 1..{len(keywords)} (the number of keywords); fix the item")
    return CatalogueItem(id=ident.strip(), description=description.strip(), level=level, period_years=period,
                         category=category, keywords=keywords, required=required, min_matches=min_matches)


def _level(where: str, grade: Any) -> int:
    if isinstance(grade, int) and not isinstance(grade, bool) and 1 <= grade <= 4:
        return grade
    if isinstance(grade, str) and grade.strip().casefold() in _GRADES:
        return _GRADES[grade.strip().casefold()]
    raise ConfigError(f"{where}: grade {grade!r} is not 1..4 or a grade name (秘密, 机密, 绝密, 内部, CONFIDENTIAL, SECRET, TOP SECRET); fix the item")


def _words(where: str, key: str, value: Any, needed: bool) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(w, str) for w in value):
        raise ConfigError(f"{where}: '{key}' must be a list of words; fix the item")
    words = tuple(dict.fromkeys(w.strip() for w in value if w.strip()))
    if needed and not words:
        raise ConfigError(f"{where}: no keywords; list the words by which a draft shows this matter")
    if any(not normalise_term(w) for w in words):
        raise ConfigError(f"{where}: a word in '{key}' is empty after normalisation; fix the item")
    return words
