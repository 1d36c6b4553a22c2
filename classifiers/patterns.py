"""Validated number and code patterns, each with a base score, context words and a check.

Every pattern is data (name, label, category, regex, base score, context words) plus a small
validator (see :mod:`classifiers.checks`); the validator returns ``(score, what it found)`` or
None to drop the hit. As in presidio, a context word shortly before (or just after) a hit
raises its score by :data:`CONTEXT_BOOST`. Patterns run on the normalised text (lower case,
half-width), so full-width digits are found; offsets are mapped back to the original.

Personal identifiers (``kind`` "id"): Chinese resident ID (GB 11643 check character; a wrong
check character keeps a low score, an impossible region or date drops the hit), bank cards
(Luhn), Chinese passports, UK National Insurance numbers, US SSNs, IBANs (mod 97).
Contact numbers ("contact"): Chinese mobiles and landlines, UK and US phone numbers.
Organisations ("org"): unified social credit codes (GB 32100 check character); printed on every
business licence, so they weigh little. Military ("military"): unit designators such as
``61398部队``. Places ("location"): coordinates in degrees and grid references (MGRS, British
National Grid).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from mijian.classifiers.checks import (
    USCC_CHARS,
    iban_valid,
    id_check_char,
    luhn_valid,
    nino_valid,
    ssn_valid,
    uscc_check_char,
)
from mijian.classifiers.findings import Finding
from mijian.classifiers.normalise import NormalisedText

__all__ = ["CONTEXT_BOOST", "PATTERN_KINDS", "find_patterns", "id_check_char", "luhn_valid"]

CATEGORY = "personal_information"
"""The category of personal identifiers and contact numbers."""
CONTEXT_BOOST = 0.35
"""Added to a hit's score when a context word stands nearby (capped at 1)."""
_BEFORE = 24
_AFTER = 8
_REGIONS = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 "
    "61 62 63 64 65 71 81 82 83".split()
)
_CARD_PREFIXES = ("4", "51", "52", "53", "54", "55", "22", "23", "24", "25", "26", "27", "6", "35")

Verdict = tuple[float, str] | None


@dataclass(frozen=True)
class _Pattern:
    name: str
    label: str
    category: str
    kind: str
    regex: str
    context: tuple[str, ...]
    validate: Callable[[str, date], Verdict]
    """Cleaned characters and today's date in, (base score, what the check found) out."""
    keep: str = r"[0-9x]"
    """Characters of a match the validator sees (others are separators)."""


def _validate_id(digits: str, today: date) -> Verdict:
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


def _validate_card(digits: str, today: date) -> Verdict:
    if not 16 <= len(digits) <= 19 or "x" in digits or not luhn_valid(digits):
        return None
    if digits.startswith(_CARD_PREFIXES):
        return 0.6, "Luhn check passed, known issuer prefix"
    return 0.35, "Luhn check passed, unknown issuer prefix"


def _validate_mobile(digits: str, today: date) -> Verdict:
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    elif len(digits) == 15 and digits.startswith("0086"):
        digits = digits[4:]
    if len(digits) != 11:
        return None
    return 0.4, "mainland mobile number format (no checksum exists)"


def _validate_landline(digits: str, today: date) -> Verdict:
    if not 10 <= len(digits) <= 12 or digits[1] == "0":
        return None
    return 0.3, "area code and local number format (no checksum exists)"


def _validate_uscc(code: str, today: date) -> Verdict:
    code = code.upper()
    if len(code) != 18 or any(ch not in USCC_CHARS for ch in code) or not code[2:8].isdigit():
        return None
    if code[:2].isdigit() and code[2:].isdigit():
        return None  # all digits: a resident ID or an account number is likelier
    expected = uscc_check_char(code[:17])
    if code[17] != expected:
        return None
    return 0.3, "check character valid; identifies an organisation (public on its licence)"


def _validate_passport(code: str, today: date) -> Verdict:
    return 0.4, "passport number format (letter E or G and 8 characters; no public checksum)"


def _validate_nino(code: str, today: date) -> Verdict:
    if not nino_valid(code):
        return None
    return 0.6, "prefix and suffix follow the allocation rules"


def _validate_ssn(digits: str, today: date) -> Verdict:
    if not ssn_valid(digits):
        return None
    return 0.55, "area, group and serial are in issued ranges"


def _validate_iban(code: str, today: date) -> Verdict:
    if not iban_valid(code):
        return None
    return 0.75, f"length for {code[:2].upper()} and mod-97 check digits valid"


def _validate_phone(digits: str, today: date) -> Verdict:
    return 0.3, "UK or North American telephone number format (no checksum exists)"


def _validate_unit(code: str, today: date) -> Verdict:
    return 0.6, "five-digit military unit cover designator"


def _validate_coordinates(text: str, today: date) -> Verdict:
    numbers = [float(n) for n in re.findall(r"[0-9]+(?:\.[0-9]+)?", text)[:2]]
    if len(numbers) == 2 and (numbers[0] > 90 or numbers[1] > 180):
        return None
    return 0.35, "latitude and longitude within range"


def _validate_grid(text: str, today: date) -> Verdict:
    tail = re.search(r"[0-9 ]+$", text)
    digits = tail.group().replace(" ", "") if tail else ""
    if len(digits) % 2 or not 6 <= len(digits) <= 10:
        return None
    return 0.35, f"grid reference with {len(digits) // 2}-digit easting and northing"


_EDGE_L, _EDGE_R = r"(?<![0-9a-z])(?<![0-9][.,])", r"(?![0-9a-z])(?![.,][0-9])"
_USCC = "[0-9a-hj-npqrtuwxy]"
_DEG = r"[0-9]{1,3}(?:\.[0-9]+)?\s?°(?:\s?[0-9]{1,2}(?:\.[0-9]+)?\s?['′])?(?:\s?[0-9]{1,2}(?:\.[0-9]+)?\s?(?:\"|″|''|′′))?"

_PATTERNS = (
    _Pattern("cn_resident_id", "Chinese resident ID number", CATEGORY, "id",
             _EDGE_L + r"[1-9][0-9]{5} ?(?:19|20)[0-9]{6} ?[0-9]{3}[0-9x]" + _EDGE_R,
             ("身份证", "身份号码", "证件号", "公民身份", "id", "id no", "identity", "id card"), _validate_id),
    _Pattern("bank_card", "bank card number", CATEGORY, "id",
             _EDGE_L + r"(?:[0-9]{16,19}|[0-9]{4}(?:[ -][0-9]{4}){3}(?:[ -]?[0-9]{1,3})?)" + _EDGE_R,
             ("卡号", "银行卡", "账号", "帐号", "储蓄卡", "信用卡", "开户行", "card", "account", "acct"), _validate_card),
    _Pattern("cn_mobile", "Chinese mobile number", CATEGORY, "contact",
             _EDGE_L + r"(?<!\+)(?:(?:\+|00)?86[ -]?)?1[3-9][0-9][ -]?[0-9]{4}[ -]?[0-9]{4}" + _EDGE_R,
             ("手机", "电话", "联系方式", "手机号", "mobile", "phone", "tel", "cell"), _validate_mobile),
    _Pattern("cn_landline", "Chinese landline number", CATEGORY, "contact",
             _EDGE_L + r"(?:\(0[0-9]{2,3}\)|0[0-9]{2,3}-)[2-9][0-9]{6,7}" + _EDGE_R,
             ("电话", "座机", "联系电话", "传真", "办公电话", "tel", "phone", "fax"), _validate_landline),
    _Pattern("cn_passport", "Chinese passport number", CATEGORY, "id",
             _EDGE_L + r"[eg][0-9]{8}" + _EDGE_R,
             ("护照", "passport", "证件号"), _validate_passport, keep=r"[0-9a-z]"),
    _Pattern("uscc", "unified social credit code", "commercial_secret", "org",
             _EDGE_L + r"[1-9a-hj-npqrtuwxy][1-9][0-9]{6}" + _USCC + "{10}" + _EDGE_R,
             ("统一社会信用代码", "信用代码", "营业执照", "credit code"), _validate_uscc, keep=r"[0-9a-z]"),
    _Pattern("uk_nino", "UK National Insurance number", CATEGORY, "id",
             r"(?<![0-9a-z])[a-z]{2} ?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[a-d](?![0-9a-z])",
             ("national insurance", "ni number", "ni no", "nino"), _validate_nino, keep=r"[0-9a-z]"),
    _Pattern("us_ssn", "US Social Security number", CATEGORY, "id",
             _EDGE_L + r"[0-9]{3}-[0-9]{2}-[0-9]{4}" + _EDGE_R,
             ("ssn", "social security", "ss#"), _validate_ssn),
    _Pattern("iban", "international bank account number (IBAN)", CATEGORY, "id",
             r"(?<![0-9a-z])[a-z]{2}[0-9]{2}(?: ?[0-9a-z]{4}){2,7}(?: ?[0-9a-z]{1,3})?(?![0-9a-z])",
             ("iban", "account", "bank", "sort code", "账号"), _validate_iban, keep=r"[0-9a-z]"),
    _Pattern("phone", "UK or North American telephone number", CATEGORY, "contact",
             _EDGE_L + r"(?:\+44 ?7[0-9]{3} ?[0-9]{6}|07[0-9]{3} ?[0-9]{6}|\+44 ?[12][0-9]{2,3} ?[0-9]{3} ?[0-9]{4}"
             r"|(?:\+1[ -]?)?\([2-9][0-9]{2}\) ?[2-9][0-9]{2}-[0-9]{4}|[2-9][0-9]{2}-[2-9][0-9]{2}-[0-9]{4})" + _EDGE_R,
             ("tel", "phone", "mobile", "contact", "call"), _validate_phone, keep=r"[0-9]"),
    _Pattern("military_unit", "military unit designator", "defence", "military",
             r"(?<![0-9])(?:中国人民解放军|解放军|武警)?第?[1-9][0-9]{4}部(?:队|分队)",
             ("部队", "驻地", "番号", "调动", "营区"), _validate_unit, keep=r"[0-9]"),
    _Pattern("coordinates", "geographic coordinates", "defence", "location",
             r"(?:(?:北纬|南纬|n|s) ?" + _DEG + r"[,， ]*(?:东经|西经|e|w) ?" + _DEG
             + r"|" + _DEG + r" ?[ns][,， ]*" + _DEG + r" ?[ew]"
             + r"|(?<![0-9.])[0-9]{1,2}\.[0-9]{4,}, ?-?[0-9]{1,3}\.[0-9]{4,}(?![0-9]))",
             ("坐标", "位置", "阵地", "驻地", "经纬度", "coordinates", "grid", "location", "site", "position"),
             _validate_coordinates, keep=r".+"),
    _Pattern("grid_reference", "grid reference (MGRS or British National Grid)", "defence", "location",
             r"(?<![0-9a-z])(?:[0-9]{1,2}[c-hj-np-x] ?[a-hj-np-z]{2} ?[0-9]{3,5} ?[0-9]{3,5}"
             r"|(?:grid|gr|网格) ?(?:ref(?:erence)?\.? ?)?[hnost][a-hj-z] ?[0-9]{3,5} ?[0-9]{3,5})(?![0-9a-z])",
             ("grid", "gr", "网格", "坐标", "position", "location", "site"), _validate_grid, keep=r".+"),
)

PATTERN_KINDS = {p.name: p.kind for p in _PATTERNS}
"""What each pattern identifies: ``id``, ``contact``, ``org``, ``military`` or ``location``."""


def find_patterns(norm: NormalisedText, today: date | None = None) -> tuple[Finding, ...]:
    """Return validated pattern findings in text order; overlaps keep the higher score.

    ``today`` bounds plausible birth dates in ID numbers (default: the current date).
    """
    text = norm.text
    if not _digit_run().search(text):
        return ()
    today = today or date.today()
    found: list[tuple[int, int, float, Finding]] = []
    for pattern, regex, context, keep in _compiled():
        for match in regex.finditer(text):
            chars = "".join(keep.findall(match.group()))
            verdict = pattern.validate(chars, today)
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
            finding = Finding(
                start=o_start, end=o_end, text=norm.original[o_start:o_end], category=pattern.category,
                source="pattern", score=round(score, 2),
                explanation=f"{pattern.label}: {check}; base {base:.2f}{boost}, score {score:.2f}",
                rule=pattern.name,
            )
            found.append((start, end, score, finding))
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


@functools.lru_cache(maxsize=1)
def _digit_run() -> re.Pattern[str]:
    return re.compile(r"[0-9]{2}")


@functools.lru_cache(maxsize=1)
def _compiled() -> tuple[tuple[_Pattern, re.Pattern[str], re.Pattern[str], re.Pattern[str]], ...]:
    """The patterns with their regexes and context-word regexes, compiled once, on first use (kept
    between runs by :mod:`keywords.datacache`)."""
    from mijian.keywords.datacache import cached

    regexes = cached("pattern-regexes", (__file__,), _compile_all, tuple)
    return tuple((p, *rx) for p, rx in zip(_PATTERNS, regexes, strict=True))


def _compile_all() -> tuple[tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]], ...]:
    """Compile each pattern's regex, context-word regex and kept characters."""
    out = []
    for p in _PATTERNS:
        words = "|".join(re.escape(w) for w in sorted(p.context, key=len, reverse=True))
        context = re.compile(r"(?<![a-z])(" + words + r")(?![a-z])")
        out.append((re.compile(p.regex), context, re.compile(p.keep)))
    return tuple(out)
