"""Sentences and paragraphs of a draft, as offsets into the original text.

A secrecy-scope item fires when its subject and one of its conditions occur in the same
window: a sentence, a paragraph or the whole document. This module finds the windows once per
draft and answers "which sentence / paragraph holds offset i" by bisection.

- A **sentence** ends after 。！？；!? (and their half-width forms), after ``.`` followed by
  whitespace, and at every paragraph break.
- A **paragraph** ends at a blank line, or at a line break that follows sentence-final
  punctuation or a colon, or that ends a short line (a heading, a table row, a list entry of
  at most :data:`SHORT_LINE` characters). A line break in the middle of running text, as PDF
  extraction leaves at every printed line end, does not end the paragraph.
- A **heading** is a short line without sentence-final punctuation. The draft's first line,
  when it is one, is its **title**: a subject named in the title is what the whole draft is
  about, and a subject named in another heading is what its section is about (see
  :meth:`Segments.heading_reach`).
"""

from __future__ import annotations

import functools
import re
from bisect import bisect_right
from dataclasses import dataclass

SHORT_LINE = 40
"""A line at most this long that ends in a line break is a paragraph of its own."""
_SENTENCE_END = r"[。！？；!?;]+|\.(?=\s)"
_FINAL = "。！？；!?;.:：)）"


@dataclass(frozen=True)
class Segments:
    """The start offsets of every sentence and paragraph (sorted, first is 0) of one text."""

    length: int
    sentence_starts: tuple[int, ...]
    paragraph_starts: tuple[int, ...]
    headings: tuple[tuple[int, int], ...] = ()
    """Heading lines (start, end): short lines with no sentence-final punctuation; the first
    is the draft's title when it is the first non-empty line."""
    title: tuple[int, int] | None = None

    def heading_reach(self, pos: int) -> tuple[int, int] | None:
        """The part of the draft a heading at ``pos`` governs, or None when ``pos`` is not in one.

        The title governs the whole draft; another heading governs its section, up to the next
        heading.
        """
        if self.title and self.title[0] <= pos < self.title[1]:
            return 0, self.length
        k = bisect_right(self.headings, (pos, self.length + 1)) - 1
        if k < 0 or not self.headings[k][0] <= pos < self.headings[k][1]:
            return None
        return self.headings[k][0], self.headings[k + 1][0] if k + 1 < len(self.headings) else self.length

    def sentence(self, pos: int) -> int:
        """The number of the sentence holding offset ``pos``."""
        return bisect_right(self.sentence_starts, pos) - 1

    def paragraph(self, pos: int) -> int:
        """The number of the paragraph holding offset ``pos``."""
        return bisect_right(self.paragraph_starts, pos) - 1

    def unit(self, window: str, pos: int) -> int:
        """The number of the window of kind ``window`` (sentence, paragraph, document) holding ``pos``."""
        if window == "sentence":
            return self.sentence(pos)
        if window == "paragraph":
            return self.paragraph(pos)
        return 0

    def span(self, window: str, pos: int) -> tuple[int, int]:
        """The offsets ``start, end`` of the window of kind ``window`` holding ``pos``."""
        if window == "document":
            return 0, self.length
        starts = self.sentence_starts if window == "sentence" else self.paragraph_starts
        k = bisect_right(starts, pos) - 1
        return starts[k], starts[k + 1] if k + 1 < len(starts) else self.length


@functools.lru_cache(maxsize=1)
def _sentence_end() -> re.Pattern[str]:
    """Sentence-final punctuation, compiled once."""
    return re.compile(_SENTENCE_END)


def segment(text: str) -> Segments:
    """Find the sentences, paragraphs and headings of ``text`` (see the module notes)."""
    paragraphs = [0]
    headings: list[tuple[int, int]] = []
    title = None
    pos = 0
    for line in text.splitlines(keepends=True):
        start, pos = pos, pos + len(line)
        body = line.rstrip()
        short = 0 < len(body.strip()) <= SHORT_LINE and not body.endswith(tuple(_FINAL[:-2]))
        if short:
            headings.append((start, start + len(body)))
            if title is None and not text[:start].strip():
                title = headings[-1]
        nxt = text[pos:pos + 1]
        if pos >= len(text):
            break
        ends = not body or not nxt.strip() or len(body.strip()) <= SHORT_LINE or body.endswith(tuple(_FINAL))
        if ends and paragraphs[-1] != pos:
            paragraphs.append(pos)
    sentences = set(paragraphs)
    for m in _sentence_end().finditer(text):
        end = m.end()
        if end < len(text):
            sentences.add(end)
    return Segments(len(text), tuple(sorted(sentences)), tuple(paragraphs), tuple(headings), title)
