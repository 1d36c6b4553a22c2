"""Word the markings of one copy for its scheme (the writers place them on the page).

cn-state (GB/T 9704-2012 §7.2): first page, top-left of the text block: line 1 the 6-digit
份号, line 2 ``{grade}★{period}`` for 秘密/机密/绝密; 内部 and 公开 never carry ★.
cn-enterprise: 份号 top-left, ``商密·{grade} {period}`` top-right, never ★.
us / uk: the label as a banner at top and bottom of every page; TOP SECRET copies are
numbered ``Copy n of N copies``.
Every scheme may add a running header with the grade, 份号 and page number, which lets a
single leaked page name its copy.
"""

from __future__ import annotations

import re

from mijian.pipeline.model import Marking
from mijian.pipeline.schemes import Scheme

STAR = "★"
_CN_MARK = re.compile(r"^(绝密|机密|秘密)★(\d{1,2}年|\d{1,2}个月|\d{4}年\d{1,2}月\d{1,2}日|.+)$")


def grade_mark(scheme: Scheme, level: int, period: str | None) -> str:
    """The grade as it is printed: ``机密★20年``, ``商密·机密 5年``, ``SECRET``, ``内部``."""
    label = scheme.label(level)
    if scheme.star and level >= 2:
        if not period:
            raise ValueError("a cn-state secret grade needs a period")  # guarded by decision
        mark = f"{label}{STAR}{period}"
        if not _CN_MARK.match(mark):
            raise ValueError(f"marking {mark!r} does not follow {{grade}}★{{period}}")
        return mark
    if scheme.prefix and level >= 2:
        return f"{scheme.prefix}{label}" + (f" {period}" if period else "")
    return label


def build_marking(scheme: Scheme, level: int, period: str | None, serial: str, total: int,
                  running: bool = True) -> Marking:
    """The :class:`Marking` for copy ``serial`` of ``total`` under ``scheme``."""
    mark = grade_mark(scheme, level, period)
    label = scheme.label(level)
    lines: tuple[str, ...] = ()
    right = banner = copy_line = run = ""
    if scheme.placement == "top-left":
        lines = (serial, mark) if level >= 1 else (serial,)
        if running:
            run = f"{label} 份号{serial} 第{{page}}页/共{{pages}}页"
    elif scheme.placement == "top-right":
        lines = (serial,)
        right = mark if level >= 1 else ""
        if running:
            run = f"{mark} 份号{serial} 第{{page}}页/共{{pages}}页"
    else:
        banner = label
        if level >= scheme.numbered_from:
            copy_line = f"Copy {int(serial)} of {max(total, int(serial))} copies"
        if running:
            run = f"{label}  Copy No. {serial}  Page {{page}} of {{pages}}"
    return Marking(scheme=scheme.name, grade=label, level=level, period=period, serial=serial,
                   first_page_lines=lines, first_page_right=right, banner=banner,
                   copy_line=copy_line, running=run)


def is_valid_cn_mark(text: str) -> bool:
    """Whether ``text`` is a well-formed cn-state mark such as ``机密★20年``."""
    return bool(_CN_MARK.match(text))
