"""Marking schemes as data (``pipeline/data/schemes.toml``), loaded and validated on demand.

A scheme maps the common ladder (0 公开/public, 1 内部/internal, 2 秘密/CONFIDENTIAL,
3 机密/SECRET, 4 绝密/TOP SECRET) to its own labels, default periods and placement.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from mijian.pipeline.errors import ConfigError, UsageError

LADDER_NAMES = ("公开/public", "内部/internal", "秘密/confidential", "机密/secret", "绝密/top secret")
_PLACEMENTS = {"top-left", "top-right", "banner"}


@dataclass(frozen=True)
class Scheme:
    """One marking scheme."""

    name: str
    title: str
    language: str
    labels: tuple[str, ...]
    aliases: tuple[tuple[str, int], ...]
    periods: tuple[str, ...]
    max_years: tuple[int, ...]
    star: bool
    placement: str
    prefix: str = ""
    numbered_from: int = 5

    def label(self, level: int) -> str:
        """The scheme's label for a ladder level."""
        return self.labels[level]

    def level_of(self, grade: str) -> int:
        """The ladder level of a label or alias (case-insensitive for Latin letters).

        Where two levels share a label (uk OFFICIAL) the higher one is taken.
        """
        wanted = " ".join(grade.strip().upper().split())
        for level in range(len(self.labels) - 1, -1, -1):
            if self.labels[level].upper() == wanted:
                return level
        for alias, level in self.aliases:
            if alias.upper() == wanted:
                return level
        known = ", ".join(dict.fromkeys(self.labels))
        raise UsageError(f"grade '{grade}' is not in scheme {self.name}; expected one of: {known}")

    def default_period(self, level: int) -> str | None:
        """The default period for a level (None for levels without one)."""
        return self.periods[level] or None


def _parse(name: str, table: dict, origin: str) -> Scheme:
    def fail(what: str) -> ConfigError:
        return ConfigError(f"{origin}: scheme [{name}]: {what}; fix the entry")

    labels = table.get("labels")
    if not isinstance(labels, list) or len(labels) != 5 or not all(isinstance(x, str) for x in labels):
        raise fail("labels must be a list of 5 strings (ladder levels 0..4)")
    periods = table.get("periods", [""] * 5)
    max_years = table.get("max_years", [0] * 5)
    if len(periods) != 5 or len(max_years) != 5:
        raise fail("periods and max_years need 5 entries")
    placement = table.get("placement", "")
    if placement not in _PLACEMENTS:
        raise fail(f"placement '{placement}' is not one of {sorted(_PLACEMENTS)}")
    star = bool(table.get("star", False))
    if star and name != "cn-state":
        raise fail("only cn-state may use the ★ mark")
    aliases = table.get("aliases", {})
    for alias, level in aliases.items():
        if not isinstance(level, int) or not 0 <= level <= 4:
            raise fail(f"alias '{alias}' must map to a level 0..4")
    return Scheme(
        name=name, title=str(table.get("title", name)), language=str(table.get("language", "en")),
        labels=tuple(labels), aliases=tuple(aliases.items()), periods=tuple(periods),
        max_years=tuple(int(x) for x in max_years), star=star, placement=placement,
        prefix=str(table.get("prefix", "")), numbered_from=int(table.get("numbered_from", 5)),
    )


@lru_cache(maxsize=1)
def all_schemes() -> dict[str, Scheme]:
    """Every scheme shipped with mijian, by name."""
    data = resources.files("mijian.pipeline").joinpath("data/schemes.toml").read_text(encoding="utf-8")
    try:
        raw = tomllib.loads(data)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"pipeline/data/schemes.toml: not valid TOML ({exc}); fix the file") from exc
    return {name: _parse(name, table, "pipeline/data/schemes.toml") for name, table in raw.items()}


def get_scheme(name: str | None, language: str) -> Scheme:
    """The named scheme, or the default for the draft's language (zh → cn-state, en → us)."""
    schemes = all_schemes()
    if name is None:
        name = "cn-state" if language == "zh" else "us"
    if name not in schemes:
        raise UsageError(f"unknown scheme '{name}'; expected one of: {', '.join(schemes)}")
    return schemes[name]


_ZH_PERIOD = re.compile(r"^(?:(\d{1,2})年|(\d{1,3})个月|(\d{4})年(\d{1,2})月(\d{1,2})日)$")
_EN_PERIOD = re.compile(r"^(?:(\d{1,2}) ?(?:years?|yrs?|y)|(\d{8})|(\d{4}-\d{2}-\d{2}))$", re.I)


def check_period(scheme: Scheme, level: int, period: str | None) -> str | None:
    """Validate an officer's period for a level; return it normalised.

    cn-state: ``N年``, ``N个月``, a date ``YYYY年M月D日`` or a condition (free text); a number of
    years above the grade's maximum (30/20/10) is refused. Levels without a period (公开, 内部)
    refuse one. us/uk: ``N years``, ``YYYYMMDD`` or ``YYYY-MM-DD``.
    """
    if period is None or not period.strip():
        return scheme.default_period(level)
    period = period.strip()
    if scheme.max_years[level] == 0 and not scheme.default_period(level):
        raise UsageError(f"grade {scheme.label(level)} takes no period in scheme {scheme.name}, "
                         f"but --period '{period}' was given; leave --period out")
    if "★" in period or (" " in period and scheme.language == "zh"):
        raise UsageError(f"period '{period}' contains spaces or ★; give it like 20年, 6个月 or 2030年12月31日")
    if scheme.language == "zh":
        match = _ZH_PERIOD.match(period)
        if match and match.group(1):
            years = int(match.group(1))
            if years < 1 or years > scheme.max_years[level]:
                raise UsageError(
                    f"period {period} is outside 1..{scheme.max_years[level]} years allowed for "
                    f"{scheme.label(level)}; give a shorter period")
        elif match and match.group(2):
            months = int(match.group(2))
            if months < 1 or months > 12 * scheme.max_years[level]:
                raise UsageError(f"period {period} is longer than {scheme.max_years[level]} years "
                                 f"allowed for {scheme.label(level)}; give a shorter period")
        return period
    match = _EN_PERIOD.match(period)
    if not match:
        raise UsageError(f"period '{period}' is not understood; give '10 years', 'YYYYMMDD' or 'YYYY-MM-DD'")
    if match.group(1):
        years = int(match.group(1))
        if years < 1 or years > max(scheme.max_years[level], 1):
            raise UsageError(f"period {period} is outside 1..{scheme.max_years[level]} years for "
                             f"{scheme.label(level)}; give a shorter period")
        return f"{years} years"
    return period
