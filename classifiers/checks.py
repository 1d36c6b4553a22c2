"""Check-digit and plausibility rules for the numbers the pattern detector looks for.

Each function is pure and takes the characters of a candidate as found in the normalised
(lower-case, half-width) text with separators removed. They answer one question each:

- :func:`id_check_char`: GB 11643 check character of a resident ID (ISO 7064 MOD 11-2);
- :func:`luhn_valid`: the Luhn (mod 10) check of bank cards;
- :func:`uscc_check_char`: GB 32100 check character of a unified social credit code (mod 31);
- :func:`iban_valid`: ISO 13616 IBAN length for the country and mod-97 check digits;
- :func:`nino_valid`: UK National Insurance number prefix and suffix rules (no checksum exists);
- :func:`ssn_valid`: US Social Security number area, group and serial rules (no checksum).
"""

from __future__ import annotations

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
"""The 31 characters a unified social credit code may use (no I, O, S, V, Z)."""
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22,
    "DK": 18, "EE": 20, "ES": 24, "FI": 18, "FR": 27, "GB": 22, "GI": 23, "GR": 27, "HR": 21,
    "HU": 28, "IE": 22, "IS": 26, "IT": 27, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27,
    "MT": 31, "NL": 18, "NO": 15, "PL": 28, "PT": 25, "RO": 24, "SA": 24, "SE": 24, "SI": 19,
    "SK": 24, "SM": 27, "TR": 26,
}
"""IBAN length per country (ISO 13616 registry), for the countries most drafts will show."""
_NINO_BAD_FIRST = frozenset("DFIQUV")
_NINO_BAD_SECOND = frozenset("DFIOQUV")
_NINO_BAD_PREFIX = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})


def id_check_char(first17: str) -> str:
    """Return the GB 11643 check character (``0``-``9`` or ``X``) for 17 leading digits."""
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def luhn_valid(digits: str) -> bool:
    """Return True when a digit string passes the Luhn (mod 10) check."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def uscc_check_char(first17: str) -> str:
    """Return the GB 32100 check character for the first 17 characters of a credit code.

    Raises ``ValueError`` when a character is outside :data:`USCC_CHARS`.
    """
    total = sum(USCC_CHARS.index(ch) * w for ch, w in zip(first17.upper(), _USCC_WEIGHTS, strict=True))
    return USCC_CHARS[(31 - total % 31) % 31]


def iban_valid(iban: str) -> bool:
    """Return True for a known country's IBAN of the right length whose check digits hold."""
    iban = iban.upper()
    if len(iban) < 15 or IBAN_LENGTHS.get(iban[:2]) != len(iban) or not iban[2:4].isdigit():
        return False
    if not iban.isalnum() or not iban.isascii():
        return False
    moved = iban[4:] + iban[:4]
    return int("".join(str(int(ch, 36)) for ch in moved)) % 97 == 1


def nino_valid(nino: str) -> bool:
    """Return True when ``nino`` (9 characters, no spaces) follows the UK allocation rules."""
    nino = nino.upper()
    if len(nino) != 9 or not (nino[:2].isalpha() and nino[2:8].isdigit() and nino[8] in "ABCD"):
        return False
    return nino[0] not in _NINO_BAD_FIRST and nino[1] not in _NINO_BAD_SECOND and nino[:2] not in _NINO_BAD_PREFIX


def ssn_valid(digits: str) -> bool:
    """Return True for 9 digits that could be an issued US SSN (area, group, serial rules)."""
    if len(digits) != 9 or not digits.isdigit():
        return False
    area, group, serial = digits[:3], digits[3:5], digits[5:]
    if area in ("000", "666") or area[0] == "9" or group == "00" or serial == "0000":
        return False
    return digits not in ("078051120", "219099999", "123456789")  # advertised specimen numbers
