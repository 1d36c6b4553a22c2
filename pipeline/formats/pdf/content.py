"""Find where each text line of a PDF content stream ends, in the order the stream draws it.

The invisible text code must come out of every text extractor beside the line it belongs to.
Extractors that follow the content stream (MuPDF's plain order, poppler's raw mode, the text
layer of a browser's PDF viewer) emit text in drawing order; extractors that sort by position
(MuPDF sorted, poppler's default and layout modes) emit it line by line. A code run drawn
right after the last text-showing operator of a line, continuing that line's baseline, is
in place for both. This module reads a content stream just far enough to say where those
points are: it tokenises the stream, follows the graphics and text state that moves text
(``q``/``Q``, ``cm``, ``BT``, ``Tm``, ``Td``, ``TD``, ``T*``, ``TL``, ``Tf``, ``Tr``, ``Tc``)
and reports every text-showing operator with the baseline it starts on.

It does not need glyph widths: a line's end is the last showing operator before the stream
moves to another baseline, and a run drawn right there starts where that operator's text
stopped. What it does not handle (text inside form XObjects, streams it cannot tokenise) is
reported as nothing found, and the caller places the code another way.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

_WHITE = b" \t\r\n\f\x00"
_DELIMS = b"()<>[]{}/%"
_REGULAR = re.compile(rb"[^ \t\r\n\f\x00()<>\[\]{}/%]+")
_NUMBER = re.compile(rb"[+-]?(?:\d+\.?\d*|\.\d+)$")
_SHOW = {b"Tj", b"TJ", b"'", b'"'}
_MOVE = {b"Td", b"TD", b"T*", b"Tm", b"'", b'"'}


class ContentError(ValueError):
    """The content stream could not be read with confidence."""


@dataclass(frozen=True)
class Token:
    """One lexical item: ``kind`` is num, name, str, op, open, close or inline; ``value`` holds
    the number for ``num`` and the raw bytes otherwise; ``end`` is the offset just after it."""

    kind: str
    value: object
    end: int


def _string_end(data: bytes, start: int) -> int:
    """Offset after the literal string opening at ``start`` (balanced parentheses, escapes)."""
    depth, i, n = 0, start, len(data)
    while i < n:
        ch = data[i]
        if ch == 0x5C:  # backslash: the next byte is escaped
            i += 2
            continue
        if ch == 0x28:
            depth += 1
        elif ch == 0x29:
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise ContentError("unterminated string")


def _inline_image_end(data: bytes, start: int) -> int:
    """Offset after the ``EI`` that closes an inline image whose ``ID`` ends at ``start``."""
    for match in re.finditer(rb"[ \t\r\n\f\x00]EI(?=[ \t\r\n\f\x00]|$)", data[start:]):
        return start + match.end()
    raise ContentError("inline image without EI")


def tokens(data: bytes) -> list[Token]:
    """Tokenise a content stream; raises :class:`ContentError` on what it cannot read."""
    out: list[Token] = []
    i, n = 0, len(data)
    while i < n:
        ch = data[i:i + 1]
        if ch in _WHITE:
            i += 1
        elif ch == b"%":
            newline = re.compile(rb"[\r\n]").search(data, i)
            i = n if newline is None else newline.end()
        elif ch == b"(":
            end = _string_end(data, i)
            out.append(Token("str", data[i:end], end))
            i = end
        elif data.startswith(b"<<", i) or data.startswith(b">>", i):
            out.append(Token("open" if ch == b"<" else "close", data[i:i + 2], i + 2))
            i += 2
        elif ch == b"<":
            end = data.find(b">", i)
            if end < 0:
                raise ContentError("unterminated hex string")
            out.append(Token("str", data[i:end + 1], end + 1))
            i = end + 1
        elif ch in (b"[", b"{"):
            out.append(Token("open", ch, i + 1))
            i += 1
        elif ch in (b"]", b"}"):
            out.append(Token("close", ch, i + 1))
            i += 1
        elif ch == b"/":
            match = _REGULAR.match(data, i + 1)
            end = match.end() if match else i + 1
            out.append(Token("name", data[i:end], end))
            i = end
        elif ch in (b")", b">"):
            raise ContentError("stray delimiter")
        else:
            match = _REGULAR.match(data, i)
            word = match.group()
            i = match.end()
            if _NUMBER.match(word):
                out.append(Token("num", float(word), i))
            elif word == b"ID":
                i = _inline_image_end(data, i)
                out.append(Token("inline", b"ID", i))
            else:
                out.append(Token("op", word, i))
    return out


Matrix = tuple[float, float, float, float, float, float]
_IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def _mul(m: Matrix, n: Matrix) -> Matrix:
    """``m`` then ``n`` (PDF row-vector convention)."""
    a, b, c, d, e, f = m
    p, q, r, s, t, u = n
    return (a * p + b * r, a * q + b * s, c * p + d * r, c * q + d * s,
            e * p + f * r + t, e * q + f * s + u)


@dataclass(frozen=True)
class ShowOp:
    """One text-showing operator: ``end`` is the stream offset just after it; ``x``, ``y`` the
    page-space point where its text starts (None when it continues the previous operator's
    text, whose width is not known); ``size`` the font size on the page; ``font`` the raw
    ``/Name`` and ``font_size`` the ``Tf`` operand in force; ``render`` the ``Tr`` mode,
    ``spacing`` the ``Tc`` value; ``horizontal`` tells whether the baseline runs left to right
    on the page."""

    end: int
    x: float | None
    y: float
    size: float
    font: bytes
    font_size: float
    render: int
    spacing: float
    horizontal: bool


@dataclass
class _State:
    """The graphics and text state the scanner follows (saved by ``q``, restored by ``Q``)."""

    ctm: Matrix = _IDENTITY
    font: bytes = b""
    font_size: float = 0.0
    leading: float = 0.0
    render: int = 0
    spacing: float = 0.0
    rise: float = 0.0
    scale: float = 1.0

    def copy(self) -> _State:
        return _State(self.ctm, self.font, self.font_size, self.leading, self.render,
                      self.spacing, self.rise, self.scale)


def show_ops(data: bytes) -> list[ShowOp]:
    """Every text-showing operator of the stream, in drawing order."""
    state, stack = _State(), []
    line: Matrix = _IDENTITY  # text line matrix; the text matrix equals it until text is shown
    placed = False  # the text matrix is known (set since the last showing operator)
    operands: list[Token] = []
    found: list[ShowOp] = []
    last_y = 0.0
    for token in tokens(data):
        if token.kind != "op":
            operands.append(token)
            continue
        op, nums = token.value, [t.value for t in operands if t.kind == "num"]
        operands_seen, operands = operands, []
        if op == b"q":
            stack.append(state.copy())
        elif op == b"Q":
            state = stack.pop() if stack else _State()
        elif op == b"cm" and len(nums) == 6:
            state.ctm = _mul(tuple(nums), state.ctm)
        elif op == b"BT":
            line, placed = _IDENTITY, True
        elif op == b"Tf" and nums and operands_seen and operands_seen[0].kind == "name":
            state.font, state.font_size = operands_seen[0].value, nums[-1]
        elif op == b'"' and len(nums) >= 2:
            state.spacing = nums[1]
        elif op in (b"TL", b"Tr", b"Tc", b"Ts", b"Tz") and nums:
            value = nums[-1]
            if op == b"TL":
                state.leading = value
            elif op == b"Tr":
                state.render = int(value)
            elif op == b"Tc":
                state.spacing = value
            elif op == b"Ts":
                state.rise = value
            else:
                state.scale = value / 100.0
        if op in _MOVE:
            line = _moved(op, nums, line, state)
            placed = True
        if op in _SHOW:
            here = _mul(line, state.ctm)
            y = here[5] + state.rise * here[3]
            x = here[4] + state.rise * here[2] if placed else None
            size = abs(state.font_size) * math.hypot(here[2], here[3])
            horizontal = abs(here[1]) < 1e-6 * max(abs(here[0]), 1e-9) and here[0] > 0
            found.append(ShowOp(token.end, x, y if placed else last_y, size, state.font,
                                state.font_size, state.render, state.spacing, horizontal))
            last_y = found[-1].y
            placed = False
    return found


def _moved(op: bytes, nums: list[float], line: Matrix, state: _State) -> Matrix:
    """The text line matrix after a positioning operator (``'`` and ``"`` move like ``T*``)."""
    if op == b"Tm" and len(nums) == 6:
        return tuple(nums)
    if op in (b"Td", b"TD") and len(nums) >= 2:
        tx, ty = nums[-2], nums[-1]
        if op == b"TD":
            state.leading = -ty
        return _mul((1.0, 0.0, 0.0, 1.0, tx, ty), line)
    if op in (b"T*", b"'", b'"'):
        return _mul((1.0, 0.0, 0.0, 1.0, 0.0, -state.leading), line)
    return line


def line_ends(ops: list[ShowOp]) -> list[ShowOp]:
    """The showing operators after which a line ends in drawing order: the next operator starts
    on another baseline (or to the left of where this one started), or none follows."""
    ends = []
    for here, after in zip(ops, [*ops[1:], None]):
        if not here.horizontal or not here.size:
            continue
        if after is None:
            ends.append(here)
        elif after.x is None:  # the next operator continues this text: same line
            continue
        elif (abs(after.y - here.y) > 0.4 * max(here.size, after.size)
              or (here.x is not None and after.x < here.x)):
            ends.append(here)
    return ends
