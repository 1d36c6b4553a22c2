"""Validated number patterns for personal data: resident ID numbers, bank cards, mobiles.

Each pattern is data (a regex, a base score, context words) plus a small validator:

- ``cn_resident_id``: 18 characters, a plausible region and birth date, and the GB 11643
  check character (ISO 7064 MOD 11-2). A wrong check character keeps the hit at a low score
  (it may be a typo), a bad date or region drops it.
- ``bank_card``: 16 to 19 digits passing the Luhn check, optionally grouped by four. A
  failed Luhn check drops the hit; a known issuer prefix raises the score a little.
- ``cn_mobile``: 11 digits ``1[3-9]xxxxxxxxx`` with an optional ``+86``; no checksum exists,
  so the base score is low.

As in presidio, a context word shortly before (or just after) a hit, such as ``身份证``,
``卡号``, ``手机``, ``ID`` or ``card``, raises its score. Patterns run on the normalised
text, so full-width digits are found, and offsets are mapped back to the original.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from classifiers.findings import Finding
from classifiers.normalise import NormalisedText

CATEGORY = "personal_information"
"""The lexicon category every pattern finding belongs to."""
CONTEXT_BOOST = 0.35
"""Added to a hit's score when a context word stands nearby (capped at 1)."""
_BEFORE = 24
_AFTER = 8
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10x98765432"
_REGIONS = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 "
    "61 62 63 64 65 71 81 82 83".split()
)
_CARD_PREFIXES = ("4", "51", "52", "53", "54", "55", "22", "23", "24", "25", "26", "27", "6", "35")


@dataclass(frozen=True)
class _Pattern:
    name: str
    label: str
    regex: str
    context: tuple[str, ...]
    validate: Callable[[str, date], tuple[float, str] | None]
    """Digits and today's date in, (base score, what the check found) out; None drops the hit."""


def id_check_char(first17: str) -> str:
    """Return the GB 11643 check character (``0``-``9`` or ``X``) for 17 leading digits."""
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11].upper()


def luhn_valid(digits: str) -> bool:
    """Return True when a digit string passes the Luhn (mod 10) check."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def find_patterns(norm: NormalisedText, today: date | None = None) -> tuple[Finding, ...]:
    """Return validated pattern findings in text order; overlaps keep the higher score.

    ``today`` bounds plausible birth dates in ID numbers (default: the current date).
    """
    text = norm.text
    if not _digit_run().search(text):
        return ()
    today = today or date.today()
    found: list[tuple[int, int, float, Finding]] = []
    for pattern, regex, context in _compiled():
        for match in regex.finditer(text):
            digits = re.sub(r"[^0-9x]", "", match.group())
            verdict = pattern.validate(digits, today)
            if verdict is None:
                continue
            base, check = verdict
            start, end = match.span()
            o_start, o_end = norm.to_original(start, end)
            if any(br in norm.original[o_start:o_end] for br in "\r\n"):
                continue  # groups of digits on different lines are not one number
            window = text[max(0, start - _BEFORE) : start] + " " + text[end : end + _AFTER]
            word = context.search(window)
            score = min(1.0, base + CONTEXT_BOOST) if word else base
            boost = f", context word {word.group(1)!r} +{CONTEXT_BOOST:.2f}" if word else ""
            found.append(
                (
                    start,
                    end,
                    score,
                    Finding(
                        start=o_start,
                        end=o_end,
                        text=norm.original[o_start:o_end],
                        category=CATEGORY,
                        source="pattern",
                        score=round(score, 2),
                        explanation=f"{pattern.label}: {check}; base {base:.2f}{boost}, score {score:.2f}",
                        rule=pattern.name,
                    ),
                )
            )
    return tuple(f for *_, f in _drop_overlaps(found))


def _drop_overlaps(found: list[tuple[int, int, float, Finding]]) -> list[tuple[int, int, float, Finding]]:
    kept: list[tuple[int, int, float, Finding]] = []
    for item in sorted(found, key=lambda f: (f[0], -f[2])):
        if kept and item[0] < kept[-1][1]:
            if item[2] > kept[-1][2]:
                kept[-1] = item
            continue
        kept.append(item)
    return kept


def _validate_id(digits: str, today: date) -> tuple[float, str] | None:
    if len(digits) != 18 or "x" in digits[:17] or digits[:2] not in _REGIONS:
        return None
    try:
        born = date(int(digits[6:10]), int(digits[10:12]), int(digits[12:14]))
    except ValueError:
        return None
    if not date(1900, 1, 1) <= born <= today:
        return None
    expected = id_check_char(digits[:17])
    if digits[17].upper() != expected:
        return 0.1, f"check character {digits[17].upper()} should be {expected}, likely a typo"
    return 0.85, "region, birth date and check character valid"


def _validate_card(digits: str, today: date) -> tuple[float, str] | None:
    if not 16 <= len(digits) <= 19 or "x" in digits or not luhn_valid(digits):
        return None
    if digits.startswith(_CARD_PREFIXES):
        return 0.6, "Luhn check passed, known issuer prefix"
    return 0.35, "Luhn check passed, unknown issuer prefix"


def _validate_mobile(digits: str, today: date) -> tuple[float, str] | None:
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    elif len(digits) == 15 and digits.startswith("0086"):
        digits = digits[4:]
    if len(digits) != 11:
        return None
    return 0.4, "mainland mobile number format (no checksum exists)"


@functools.lru_cache(maxsize=1)
def _digit_run() -> re.Pattern[str]:
    return re.compile(r"[0-9]{4}")


@functools.lru_cache(maxsize=1)
def _compiled() -> tuple[tuple[_Pattern, re.Pattern[str], re.Pattern[str]], ...]:
    """Compile the patterns and their context-word regexes once, on first use."""
    # Not inside a longer number or word, nor part of 2,192.5-style figures.
    edge_l, edge_r = r"(?<![0-9a-z])(?<![0-9][.,])", r"(?![0-9a-z])(?![.,][0-9])"
    patterns = (
        _Pattern(
            "cn_resident_id",
            "Chinese resident ID number",
            edge_l + r"[1-9][0-9]{5} ?(?:19|20)[0-9]{6} ?[0-9]{3}[0-9x]" + edge_r,
            ("身份证", "身份号码", "证件号", "公民身份", "id", "id no", "identity", "id card"),
            _validate_id,
        ),
        _Pattern(
            "bank_card",
            "bank card number",
            edge_l + r"(?:[0-9]{16,19}|[0-9]{4}(?:[ -][0-9]{4}){3}(?:[ -]?[0-9]{1,3})?)" + edge_r,
            ("卡号", "银行卡", "账号", "帐号", "储蓄卡", "信用卡", "开户行", "card", "account", "acct"),
            _validate_card,
        ),
        _Pattern(
            "cn_mobile",
            "Chinese mobile number",
            edge_l + r"(?<!\+)(?:(?:\+|00)?86[ -]?)?1[3-9][0-9][ -]?[0-9]{4}[ -]?[0-9]{4}" + edge_r,
            ("手机", "电话", "联系方式", "手机号", "mobile", "phone", "tel", "cell"),
            _validate_mobile,
        ),
    )
    out = []
    for p in patterns:
        words = "|".join(re.escape(w) for w in sorted(p.context, key=len, reverse=True))
        context = re.compile(r"(?<![a-z])(" + words + r")(?![a-z])")
        out.append((p, re.compile(p.regex), context))
    return tuple(out)
