"""Load and validate the built-in catalogue of secrecy scopes kept in ``keywords/scopes``.

The catalogue says, item by item, what the rules make secret (保密事项范围): one TOML file per
sector under ``keywords/scopes/<scheme>/<sector>.toml`` with ``<scheme>`` one of ``cn``, ``us``
and ``uk``. Each item names its subject as a concept (many words, Chinese and English), the
conditions that make the subject secret (timing, specificity, scope, status), the window in
which subject and condition must meet (sentence, paragraph or document), its grade on the
common ladder, its period (years or an event) and its provenance (the public rule it follows).

Every problem raises :class:`ScopeError` (a :class:`keywords.LexiconError`, so the pipeline maps
it to its configuration error) with a one-line message naming the file and the item. Nothing
is read at import; :func:`load_scopes` reads on call and caches the packaged catalogue.
"""

from __future__ import annotations

import functools
import hashlib
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any, Literal, overload

from mijian.keywords.loader import CATEGORIES, LexiconError

SCOPES_DIR = Path(__file__).parent / "scopes"
"""Where the packaged catalogue lives."""
SCHEMA = 1
"""The schema version this loader reads."""
SCHEMES = ("cn", "us", "uk")
WINDOWS = ("sentence", "paragraph", "document")
CONDITION_KINDS = ("timing", "specificity", "scope", "status", "restriction")
_TOP_KEYS = {"schema", "sector", "name_zh", "name_en", "provenance", "items"}
_ITEM_KEYS = {"id", "description_zh", "description_en", "level", "period_years", "period_event_zh",
              "period_event_en", "category", "window", "provenance", "subject", "conditions",
              "raise_if_specific", "bare_level", "details", "provenance_en", "requires"}
_CONDITION_KEYS = {"kind", "zh", "en", "regex"}
_SOURCE_KEYS = {"title", "issuer", "year", "note", "url"}
_CATEGORY_IDS = frozenset(c.id for c in CATEGORIES)
_MAX_WORD = 40


class ScopeError(LexiconError):
    """A scope file is missing, malformed or holds an invalid item; the message names both."""


@dataclass(frozen=True)
class Source:
    """A public rule or guide a sector follows: cited, never copied."""

    title: str
    issuer: str = ""
    year: int | None = None
    note: str = ""

    def cite(self) -> str:
        """The source in one line: title, issuer, year."""
        return ", ".join(x for x in (self.title, self.issuer, str(self.year) if self.year else "") if x)


@dataclass(frozen=True)
class Condition:
    """What makes a subject secret: words in both languages and optional regexes, of one kind."""

    kind: str
    words: tuple[str, ...]
    regex: tuple[str, ...] = ()


@dataclass(frozen=True)
class ScopeItem:
    """One matter the rules make secret, with its grade, period, window and provenance."""

    id: str
    sector: str
    scheme: str
    description_zh: str
    description_en: str
    level: int
    period_years: int | None
    period_event_zh: str
    period_event_en: str
    category: str
    window: str
    provenance: str
    subject: tuple[str, ...]
    conditions: tuple[Condition, ...]
    raise_if_specific: bool = False
    bare_level: int = 0
    sector_zh: str = ""
    sector_en: str = ""
    details: bool = True
    """Whether generic details (quantities, coordinates, designators) count as specificity; false
    for items whose subject is made specific only by what its conditions name (a person's true
    name or address, not a code designator such as CW-1)."""
    provenance_en: str = ""
    """The provenance in English, for English rationales (the Chinese ``provenance`` otherwise)."""
    requires: tuple[str, ...] = ()
    """Condition kinds of which one must be present for the item to fire (empty: any kind); the
    other kinds then only raise it (an exam paper is secret before the exam, not after it)."""

    def description(self, zh: bool) -> str:
        """The description in Chinese or English (the other language when one is missing)."""
        return (self.description_zh or self.description_en) if zh else (self.description_en or self.description_zh)

    def source(self, zh: bool) -> str:
        """The provenance in Chinese or English (the other language when one is missing)."""
        return self.provenance if zh or not self.provenance_en else self.provenance_en

    def period_event(self, zh: bool) -> str:
        """The event that ends the period, in Chinese or English, or an empty string."""
        return (self.period_event_zh or self.period_event_en) if zh else (self.period_event_en or self.period_event_zh)


@dataclass(frozen=True)
class ScopeSector:
    """One sector file: its id, names, sources and items."""

    id: str
    scheme: str
    name_zh: str
    name_en: str
    sources: tuple[Source, ...]
    items: tuple[ScopeItem, ...]
    file: str


@dataclass(frozen=True)
class ScopeCatalogue:
    """The validated catalogue: sectors in file order and a version (schema and content digest)."""

    sectors: tuple[ScopeSector, ...]
    version: str

    @property
    def items(self) -> tuple[ScopeItem, ...]:
        """Every item of every sector, in file order."""
        return tuple(item for sector in self.sectors for item in sector.items)

    def sector(self, sector_id: str) -> ScopeSector:
        """Return the sector with this id, or raise ``KeyError``."""
        for sector in self.sectors:
            if sector.id == sector_id:
                return sector
        raise KeyError(sector_id)


def load_scopes(paths: Iterable[str | PathLike[str]] | None = None) -> ScopeCatalogue:
    """Read, validate and return the scope catalogue.

    With ``paths`` None, every ``keywords/scopes/*/*.toml`` is read once and cached (an empty
    catalogue when the folder holds none). Otherwise exactly the given files are read, each time.
    """
    if paths is None:
        return _packaged()
    return _load(tuple(Path(p) for p in paths))


def default_scope_paths() -> tuple[Path, ...]:
    """The packaged sector files, sorted by scheme and name."""
    return tuple(sorted(SCOPES_DIR.glob("*/*.toml")))


@functools.lru_cache(maxsize=1)
def _packaged() -> ScopeCatalogue:
    """The packaged catalogue, read once (from :mod:`keywords.datacache` while its files are
    unchanged); its version names the release in ``scopes/VERSION``."""
    from mijian.keywords.datacache import cached

    files = default_scope_paths()
    release = SCOPES_DIR / "VERSION"
    extra = (release,) if release.is_file() else ()
    sources = (*files, *extra, Path(__file__), Path(__file__).with_name("loader.py"))
    return cached("scopes", sources, lambda: _release(_load(files), release), ScopeCatalogue)


def _release(catalogue: ScopeCatalogue, release: Path) -> ScopeCatalogue:
    """The catalogue with its version naming the release in ``release``, if that file is there."""
    if release.is_file():
        name = release.read_text(encoding="utf-8").strip()
        return ScopeCatalogue(catalogue.sectors, f"{name} ({catalogue.version})")
    return catalogue


def _load(files: tuple[Path, ...]) -> ScopeCatalogue:
    """Read and validate ``files``; ids of sectors and items must be unique across them."""
    sectors: list[ScopeSector] = []
    items_seen: dict[str, str] = {}
    sectors_seen: dict[str, str] = {}
    digest = hashlib.sha256()
    for path in files:
        raw = _read_bytes(path)
        digest.update(raw)
        sector = _sector(path, raw)
        if sector.id in sectors_seen:
            raise ScopeError(f"{sector.file}: sector {sector.id!r} is also in {sectors_seen[sector.id]}; give each file its own sector")
        sectors_seen[sector.id] = sector.file
        for item in sector.items:
            if item.id in items_seen:
                raise ScopeError(f"{sector.file}: item {item.id!r} is also in {items_seen[item.id]}; give each item its own id")
            items_seen[item.id] = sector.file
        sectors.append(sector)
    return ScopeCatalogue(tuple(sectors), f"schema {SCHEMA}, {len(sectors)} sectors, {digest.hexdigest()[:12]}")


def _read_bytes(path: Path) -> bytes:
    """The raw bytes of a scope file (hashed into the version)."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ScopeError(f"{_display(path)}: cannot read the scope file ({exc.strerror or exc}); check the path") from None


def _sector(path: Path, raw: bytes) -> ScopeSector:
    """Validate one sector file and return it."""
    name = _display(path)
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ScopeError(f"{name}: not UTF-8 text; save the file as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise ScopeError(f"{name}: not valid TOML ({exc}); fix the file") from None
    _no_unknown(name, data, _TOP_KEYS, "top-level key")
    if data.get("schema") != SCHEMA:
        raise ScopeError(f"{name}: schema {data.get('schema')!r}, expected {SCHEMA}; update the file or mijian")
    sector = _text(name, data, "sector", required=True)
    scheme = sector.split("-", 1)[0]
    if scheme not in SCHEMES or not sector.startswith(scheme + "-"):
        raise ScopeError(f"{name}: sector {sector!r} must start with cn-, us- or uk-; fix the file")
    if path.parent.name in SCHEMES and path.parent.name != scheme:
        raise ScopeError(f"{name}: sector {sector!r} lies in the folder {path.parent.name!r}; move it to {scheme}/")
    sources = data.get("provenance")
    if not isinstance(sources, list) or not sources:
        raise ScopeError(f"{name}: no provenance list; cite the public rules the sector follows")
    rows = data.get("items")
    if not isinstance(rows, list) or not rows:
        raise ScopeError(f"{name}: no [[items]]; add at least one item")
    names = (_text(name, data, "name_zh", required=True), _text(name, data, "name_en", required=True))
    items = tuple(_item(name, i, row, sector, names) for i, row in enumerate(rows, 1))
    return ScopeSector(sector, scheme, names[0], names[1], tuple(_source(name, i, s) for i, s in enumerate(sources, 1)),
                       items, name)


def _source(name: str, number: int, row: Any) -> Source:
    """Validate one provenance entry of a sector."""
    where = f"{name}: provenance #{number}"
    if not isinstance(row, dict):
        raise ScopeError(f"{where}: is not a table {{ title = ..., issuer = ... }}; fix the entry")
    _no_unknown(where, row, _SOURCE_KEYS, "key")
    year = row.get("year")
    if year is not None and (isinstance(year, bool) or not isinstance(year, int)):
        raise ScopeError(f"{where}: year {year!r} is not a number; fix the entry")
    return Source(_text(where, row, "title", required=True), _text(where, row, "issuer"), year, _text(where, row, "note"))


def _item(name: str, number: int, row: Any, sector: str, names: tuple[str, str]) -> ScopeItem:
    """Validate one [[items]] entry."""
    if not isinstance(row, dict):
        raise ScopeError(f"{name}: item #{number} is not a table; fix the entry")
    where = f"{name}: item #{number}" + (f" {row['id']!r}" if isinstance(row.get("id"), str) else "")
    _no_unknown(where, row, _ITEM_KEYS, "key")
    level = _int(where, row, "level", 1, 4, required=True)
    years = _int(where, row, "period_years", 0, 30) or None
    category = row.get("category")
    if category not in _CATEGORY_IDS:
        raise ScopeError(f"{where}: category {category!r} is unknown (known: {', '.join(sorted(_CATEGORY_IDS))}); fix the item")
    window = row.get("window", "paragraph")
    if window not in WINDOWS:
        raise ScopeError(f"{where}: window {window!r} is not one of {', '.join(WINDOWS)}; fix the item")
    subject = row.get("subject")
    if not isinstance(subject, dict):
        raise ScopeError(f"{where}: no [items.subject] table with zh and en words; fix the item")
    _no_unknown(f"{where} subject", subject, {"zh", "en"}, "key")
    words = _words(f"{where} subject", subject)
    if not words:
        raise ScopeError(f"{where}: the subject has no words; list the subject's words in zh and en")
    conditions = row.get("conditions", [])
    if not isinstance(conditions, list):
        raise ScopeError(f"{where}: conditions is not a list of [[items.conditions]]; fix the item")
    bare = _int(where, row, "bare_level", 0, 4) or 0
    if not conditions and not bare:
        raise ScopeError(f"{where}: no conditions and no bare_level: the item could never fire; add a condition")
    raise_flag = row.get("raise_if_specific", False)
    details = row.get("details", True)
    for key, flag in (("raise_if_specific", raise_flag), ("details", details)):
        if not isinstance(flag, bool):
            raise ScopeError(f"{where}: {key} {flag!r} is not true or false; fix the item")
    requires = row.get("requires", [])
    if not isinstance(requires, list) or not set(requires) <= set(CONDITION_KINDS):
        raise ScopeError(f"{where}: requires {requires!r} is not a list of condition kinds "
                         f"({', '.join(CONDITION_KINDS)}); fix the item")
    return ScopeItem(
        id=_text(where, row, "id", required=True), sector=sector, scheme=sector.split("-", 1)[0],
        description_zh=_text(where, row, "description_zh"), description_en=_text(where, row, "description_en"),
        level=level, period_years=years, period_event_zh=_text(where, row, "period_event_zh"),
        period_event_en=_text(where, row, "period_event_en"), category=category, window=window,
        provenance=_text(where, row, "provenance", required=True), subject=words,
        conditions=tuple(_condition(f"{where} condition #{i}", c) for i, c in enumerate(conditions, 1)),
        raise_if_specific=raise_flag, bare_level=bare, sector_zh=names[0], sector_en=names[1],
        details=details, provenance_en=_text(where, row, "provenance_en"), requires=tuple(requires),
    )


def _condition(where: str, row: Any) -> Condition:
    """Validate one [[items.conditions]] entry; its regexes must compile."""
    if not isinstance(row, dict):
        raise ScopeError(f"{where}: is not a table {{ kind = ..., zh = [...], en = [...] }}; fix the entry")
    _no_unknown(where, row, _CONDITION_KEYS, "key")
    kind = row.get("kind")
    if kind not in CONDITION_KINDS:
        raise ScopeError(f"{where}: kind {kind!r} is not one of {', '.join(CONDITION_KINDS)}; fix the entry")
    regexes = row.get("regex", [])
    if not isinstance(regexes, list) or not all(isinstance(r, str) and r for r in regexes):
        raise ScopeError(f"{where}: regex must be a list of non-empty strings; fix the entry")
    for rx in regexes:
        try:
            re.compile(rx, re.IGNORECASE)  # as the matcher uses it: compiled once, from re's cache
        except re.error as exc:
            raise ScopeError(f"{where}: regex {rx!r} does not compile ({exc}); fix the pattern") from None
    words = _words(where, row)
    if not words and not regexes:
        raise ScopeError(f"{where}: no words and no regex; the condition could never hold")
    return Condition(kind, words, tuple(regexes))


def _words(where: str, row: dict[str, Any]) -> tuple[str, ...]:
    """The zh and en word lists of a table, validated, in order and without repeats."""
    out: list[str] = []
    for lang in ("zh", "en"):
        words = row.get(lang, [])
        if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
            raise ScopeError(f"{where}: {lang} must be a list of strings; fix the entry")
        for w in words:
            if not w.strip() or w != w.strip() or len(w) > _MAX_WORD or any(ch in w for ch in "\r\n\t"):
                raise ScopeError(f"{where}: word {w!r} is empty, padded, has control characters or is longer "
                                 f"than {_MAX_WORD} characters; fix the word")
            if w not in out:
                out.append(w)
    return tuple(out)


def _text(where: str, row: dict[str, Any], key: str, required: bool = False) -> str:
    """A string field, stripped; "" when absent and not required."""
    value = row.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value.strip():
        raise ScopeError(f"{where}: {key} {'is missing' if value is None else 'must be a non-empty string'}; fix the entry")
    return value.strip()


@overload
def _int(where: str, row: dict[str, Any], key: str, lo: int, hi: int, required: Literal[True]) -> int: ...
@overload
def _int(where: str, row: dict[str, Any], key: str, lo: int, hi: int, required: bool = False) -> int | None: ...
def _int(where: str, row: dict[str, Any], key: str, lo: int, hi: int, required: bool = False) -> int | None:
    """An integer field within ``lo..hi``; None when absent and not required."""
    value = row.get(key)
    if value is None:
        if required:
            raise ScopeError(f"{where}: {key} is missing (a number {lo}..{hi}); fix the item")
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ScopeError(f"{where}: {key} {value!r} is not a number {lo}..{hi}; fix the item")
    return value


def _no_unknown(where: str, row: dict[str, Any], allowed: set[str], what: str) -> None:
    """Refuse keys the schema does not know (a misspelt key would be silently ignored)."""
    unknown = sorted(set(row) - allowed)
    if unknown:
        raise ScopeError(f"{where}: unknown {what} {unknown[0]!r} (allowed: {', '.join(sorted(allowed))}); fix the entry")


def _display(path: Path) -> str:
    """Name a file the way messages show it: relative to the project for packaged files."""
    root = SCOPES_DIR.resolve().parent.parent
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return str(path)
