"""Names and short texts given on the command line of a derivation, a print run or a hand-out:
who approved, why, the new holder, the reproducing office, the print room, who signed.

They end up in signed events, on the copies (stamp, watermark) and in traces, so each must be
one visible line of bounded length, checked the way a recipients file is
(:mod:`pipeline.recipients`):

- hidden characters are refused, not removed: control characters (line breaks, tabs), format
  characters (bidirectional overrides such as U+202E, zero-width spaces and joiners),
  surrogates, private-use and unassigned code points, line and paragraph separators. They
  change how a name reads without showing themselves (``王五`` and ``王\u200b五`` look alike
  but are two names to the register), so removing them silently would record a name other
  than the one typed;
- runs of spaces (also the full-width space U+3000 some typists put inside a two-character
  name) are read as one space: they are visible, and the name stays the same to a reader;
- a name is at most :data:`MAX_NAME` characters (as in a recipients file: it must fit a
  watermark), a reason at most :data:`MAX_TEXT`.

And an approval must come from someone else: :func:`refuse_self_approval` refuses an approver
who is the person running the command (the register's actor) or the person the copy is for.
Names are compared as a reader would (NFKC, case and spaces ignored): ``李主任`` and
``李 主任`` are one person.
"""

from __future__ import annotations

import re
import unicodedata

from mijian.pipeline.errors import UsageError

MAX_NAME = 100
"""Longest name (approver, holder, office, unit, who signed), in characters."""
MAX_TEXT = 500
"""Longest reason, in characters."""
MAX_ID = 64
"""Longest holder id, as in a recipients file."""

MARKER_PREFIX = "print-run:"
"""Recipient id of an unassigned print-run copy is this prefix and the run's id: a marker, no
person; a holder named so would pass for a copy nobody holds in every listing."""

_SERIAL_LIKE = re.compile(r"\d{6}|copy\d{1,6}of\d{1,6}cop", re.I)
"""What the trace reads as the 份号 printed on the copy in hand (a six-digit number after a
label such as 份号 or Copy, and 'Copy N of M copies'), in text with its spaces removed."""

_HIDDEN = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
"""Unicode categories refused in a name (see the module's text)."""


def one_line(value: str | None, what: str, option: str, zh: str, limit: int = MAX_NAME,
             required: bool = True) -> str:
    """``value`` as one line with its spaces collapsed; refused (exit 2) when empty (unless not
    ``required``: then ""), holding a hidden character, or longer than ``limit``."""
    raw = value or ""
    for ch in raw:
        if unicodedata.category(ch) in _HIDDEN:
            raise UsageError(f"{what} holds the hidden character U+{ord(ch):04X} "
                             f"({unicodedata.name(ch, 'control character')}); expected visible "
                             f"text on one line; type {option} again without it "
                             f"({zh}含不可见字符)")
    text = " ".join(raw.split())
    if not text and required:
        raise UsageError(f"{what} is required and was empty; give {option} (须填写{zh})")
    if len(text) > limit:
        raise UsageError(f"{what} is {len(text)} characters long; expected at most {limit}; "
                         f"give a shorter {option} ({zh}过长)")
    return text


def holder_id(value: str, option: str = "--id") -> str:
    """A new holder's id: one line, at most :data:`MAX_ID` characters, no slash (it names the
    copy's file, as a recipients file's id does)."""
    text = one_line(value, "the new holder's id", option, "接收人标识", MAX_ID)
    refuse_marker(text, option)
    if any(ch in text for ch in "/\\"):
        raise UsageError(f"the new holder's id '{text}' holds a slash; expected an id without "
                         f"slashes; give another {option} (接收人标识不能含斜杠)")
    return text


def refuse_serial_like(text: str, what: str, option: str) -> None:
    """Refuse (exit 2) text printed on a copy that holds a six-digit number or 'Copy N of M
    copies': the trace reads those as the copy's 份号, so a stamp or name carrying another
    serial would make a leak of the copy point at that serial's holder as well."""
    flat = "".join(unicodedata.normalize("NFKC", text).split())
    if _SERIAL_LIKE.search(flat):
        raise UsageError(f"{what} '{text}' holds a six-digit number or a copy count, which the "
                         f"trace would read as the serial (份号) of the copy; give {option} "
                         "without it (不能含六位数字或份号)")


def refuse_marker(text: str, option: str) -> None:
    """Refuse (exit 2) a holder's id or name that is written like a print run's marker."""
    if text.casefold().startswith(MARKER_PREFIX):
        raise UsageError(f"'{text}' is written like the marker of an unassigned print-run copy "
                         f"({MARKER_PREFIX}…), not a person; give {option} the person's own name "
                         "(不能以打印批次标记作为人员)")


def same_person(a: str | None, b: str | None) -> bool:
    """Whether two names are one person to a reader (NFKC, case and spaces ignored)."""
    def key(name: str | None) -> str:
        return "".join(unicodedata.normalize("NFKC", name or "").casefold().split())

    return bool(key(a)) and key(a) == key(b)


def refuse_self_approval(approver: str, what: str, **others: str | None) -> None:
    """Refuse (exit 2) an ``approver`` who is one of ``others`` (``requester``: the person
    running the command; ``holder``: who the copy is for): an approval is someone else's."""
    for role, name in others.items():
        if same_person(approver, name):
            raise UsageError(f"the approver of the {what} is '{approver}', who is also its "
                             f"{role}; a request cannot approve itself; give --approver the "
                             f"name of who else approved it (审批人不能是申请人或接收人本人)")
