"""Step 6 of the grade policy: the rules' suggestion weighed together with the second reader.

The rules (steps 1–5 of :mod:`classifiers.policy`) are sure of what the catalogue names and
blind to the rest; the second reader (:mod:`classifiers.learned`) has seen many drafts and
knows no rule. Neither is right alone on drafts written by other hands. A small combiner,
fitted on drafts the rules were never tuned on, turns the rules' level and the reader's four
step probabilities (their log-odds, weighed apart for drafts shorter than
:data:`~classifiers.learned.SHORT` features: a short message gives the reader little to go on)
into combined step probabilities; the level is the highest step whose
probability passes its threshold (lower for 机密, whose misses cost most).

The combined level is never below a minimum the rules take as settled: an item of the office's
own catalogue or a lexicon term that carries a floor, personal data in quantity (validated
identifiers, bulk records), and one step
below the draft's own marking (a banner line, or a header field such as ``密级：机密``: a
marking is evidence, not the answer, but a reader that has never seen the matter may not wipe
it out; a banner over a draft in which the rules read no subject matter at all holds 内部 only:
over-marking, :data:`BARE_MARK`). A reader fooled by padding (harmless paragraphs added to a secret draft) is held by the parts: the reader lowers
the rules' level only as far as every part of a long draft reads low (:func:`held`), and never
more than :data:`LOWER_MAX` steps. It never reaches 绝密 on the reader's word alone: only
where the rules already stand there, or one step above the rules' 机密 when both the combined
reading and the reader's own ≥ 绝密 step say so, or where the draft's own 绝密 banner stands and
the combined reading reaches 机密 (:func:`top_secret`).
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass
from importlib import resources

from mijian.classifiers.floors import Floors, Steps
from mijian.classifiers.learned_read import SHORT, STEPS, ModelReading

COMBINER_FILE = "second_reading.json"


@dataclass(frozen=True)
class Combiner:
    """Per step: weights on the rules' level (one-hot, 公开 … 绝密) and on the reader's log-odds.

    The reader's log-odds come in twice, split by the draft's length (``reader`` weighs the
    full-length share, ``short`` the rest: see :meth:`ModelReading.weight`), so that the
    combiner learns how far to trust the reader on a short message apart from a full draft.
    """

    rules: tuple[tuple[float, ...], ...]
    reader: tuple[tuple[float, ...], ...]
    short: tuple[tuple[float, ...], ...]
    bias: tuple[float, ...]
    thresholds: tuple[float, ...]
    drafts: int

    def probabilities(self, level: int, reading: ModelReading) -> tuple[float, ...]:
        """Combined P(level ≥ k), k = 1..4, made non-increasing."""
        full = reading.weight()
        odds = [_logit(p) for p in reading.probabilities]
        out: list[float] = []
        for k in range(STEPS):
            z = (self.bias[k] + self.rules[k][level] + sum(w * x * full for w, x in zip(self.reader[k], odds))
                 + sum(w * x * (1 - full) for w, x in zip(self.short[k], odds)))
            p = 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))
            out.append(min(p, out[-1]) if out else p)
        return tuple(out)

    def level(self, probabilities: tuple[float, ...]) -> int:
        """The highest step whose probability, and every one below it, passes its threshold."""
        level = 0
        while level < STEPS and probabilities[level] > self.thresholds[level]:
            level += 1
        return level

    def to_json(self) -> str:
        """The combiner as the JSON the package ships."""
        return json.dumps({"rules": self.rules, "reader": self.reader, "short": self.short, "bias": self.bias,
                           "thresholds": self.thresholds, "drafts": self.drafts}, indent=1)


def _logit(p: float) -> float:
    p = min(max(p, 1e-4), 1 - 1e-4)
    return math.log(p / (1 - p))


@functools.lru_cache(maxsize=1)
def load_combiner() -> Combiner:
    """The packaged combiner (read once)."""
    raw = json.loads(resources.files("mijian.classifiers").joinpath("data", COMBINER_FILE).read_text("utf-8"))
    return Combiner(tuple(tuple(r) for r in raw["rules"]), tuple(tuple(r) for r in raw["reader"]),
                    tuple(tuple(r) for r in raw["short"]), tuple(raw["bias"]), tuple(raw["thresholds"]),
                    int(raw["drafts"]))


READER_MAX = 3
"""The highest level the second reading sets above the rules on its own: 机密 (but see :func:`top_secret`)."""
TOP_FROM = 3
"""The rules' level from which the second reading may take a draft one step further, to 绝密."""
TOP_READER = 0.2
"""The reader's own P(≥ 绝密) a draft needs besides the combined one for :func:`top_secret`.
The combined ≥ 绝密 step leans on the reader's ≥ 机密 odds, so a plain 机密 matter read with
assurance passes it alone (a troop exercise's deployment); the reader's own ≥ 绝密 step, trained
only on drafts that must be 绝密, tells them apart. Out of fold on the 2,172 blind drafts, without
this condition 19 drafts were raised to 绝密, 14 of them in a band that allows it; with it 7, all 7."""


SCOPE_SLACK = 1
"""How far below a 绝密 secrecy-scope item that fired with its full evidence (four distinct
subject and condition words where they meet) the reader may take a draft: one step. Lower
items it may take further: on the blind drafts, holding every item cost four more public drafts
suggested 秘密 or above."""


BARE_MARK = 1
"""What a banner holds where the rules read no subject matter at all: 内部 (someone marked the
paper; the reader decides whether more than that is in it). Out of fold on the blind drafts, the
seven such drafts under 机密 or 绝密 banners were all labelled 公开 or 内部 (a canteen notice, an
office move, a sports day, a sticky note about a printer), and one step below the banner kept
them at 秘密 or 机密."""


def settled(floors: Floors) -> int:
    """The minimum the second reading never goes below (see the module notes); markings in
    running text are often mentions: only the draft's own banner counts. A lexicon term that
    carries a floor (in the office's own lexicon or the packaged one) is a rule written for that
    word, as a catalogue item is: the reader does not take a draft below it (out of fold on the
    blind drafts, 24 drafts have such a floor above the rest; holding it cost 0.1 point in band
    and one more public draft suggested 秘密)."""
    mark = floors.mark - 1 if floors.subject else min(floors.mark, BARE_MARK)
    return max(floors.catalogue.item.level if floors.catalogue else 0, floors.pattern, mark, floors.term,
               floors.scope_level - SCOPE_SLACK if floors.scope_level >= 4 else 0)


LEGIBLE = 0.8
"""Share of readable characters (:func:`~classifiers.learned.legible`) below which the reader
stays out: text in another script, look-alike letters or bytes read as text would make it guess."""
LOWER_MAX = 2
"""The most steps the second reading takes the rules' level down: 机密 by the rules becomes 内部
at the lowest. On the blind drafts, out of fold, the bound costs 0.4 points in band and takes
away the reader's power to wipe a suggestion out."""


def bounded(level: int, rules: int, minimum: int, lower_max: int | None = None, reader_max: int | None = None) -> int:
    """``level`` kept within what the second reading may do to the rules' level ``rules``."""
    down = LOWER_MAX if lower_max is None else lower_max
    top = READER_MAX if reader_max is None else reader_max
    return max(min(level, max(top, rules)), minimum, rules - down)


HOLD_SLACK = 1
"""How far below its highest-reading part the reader may still take a long draft."""


def held(c: Combiner, reading: ModelReading, rules: int, level: int) -> int:
    """``level`` raised back towards ``rules`` as far as the draft's highest-reading part supports."""
    if level >= rules or reading.peak is None:
        return level
    part = ModelReading(reading.peak, reading.drafts, (), SHORT)
    return max(level, min(rules, c.level(c.probabilities(rules, part))) - HOLD_SLACK)


def top_secret(c: Combiner, q: tuple[float, ...], reading: ModelReading, level: int, rules: int, mark: int,
               declassified: bool) -> int:
    """``level``, or 绝密 where the second reading may set it above the rules' 机密.

    绝密 matter (a source's identity, key material, a national exam paper before the sitting,
    warhead stocks) is mostly named by scope items that stop at 机密 on the evidence a draft
    gives: out of fold on the blind drafts the rules alone gave 机密 to about half of the 67
    drafts that must be 绝密, and a reader barred from 绝密 left 58 of the 67 at 机密 (51 now). Where the rules stand at 机密
    (:data:`TOP_FROM`), the combined level is 机密 and both the combined P(≥ 绝密) (over its
    threshold) and the reader's own (over :data:`TOP_READER`) say 绝密, the draft is 绝密. Never
    for a declassified record, nor above a draft's own marking (a banner of 机密 or below).

    One more way to 绝密: the draft's own 绝密 banner holds where the combined reading reaches
    机密 by itself (one step below it was the usual minimum; out of fold, four drafts under a
    TOP SECRET banner that must be 绝密 were taken to 机密, and none that may not be 绝密 is raised).
    """
    if declassified or level != READER_MAX:
        return level
    if mark >= STEPS and c.level(q) >= READER_MAX:
        return STEPS
    if (rules >= TOP_FROM and not mark and q[STEPS - 1] > c.thresholds[STEPS - 1]
            and reading.at_least(STEPS) > TOP_READER):
        return STEPS
    return level


def ceiling(rules: int, declassified: bool) -> int | None:
    """The highest level the second reading may set (None: the usual :data:`READER_MAX`).

    A draft that carries a declassification note (and no note taking it back) is never raised
    above the rules' level: the reader reads the old matter, the note says that the matter is
    history. On the blind drafts, out of fold, this took the last declassified record suggested
    秘密 back to 公开.
    """
    return rules if declassified else None


def second_look(run: Steps, reading: ModelReading, floors: Floors, combiner: Combiner | None = None) -> float:
    """Weigh the rules' level with the reader; move the level when they agree on another. Returns P(chosen)."""
    if reading.legible < LEGIBLE:
        run.lines.append(run.say.second_abstains(reading.legible))
        return 1.0
    c = combiner if combiner is not None else load_combiner()
    q = c.probabilities(run.level, reading)
    top = ceiling(run.level, floors.declassified)
    level = held(c, reading, run.level, bounded(c.level(q), run.level, settled(floors), reader_max=top))
    level = top_secret(c, q, reading, level, run.level, floors.mark, floors.declassified)
    run.lines.append(run.say.second_reading(reading, q, run.level, level))
    if level != run.level:
        run.take(level, "second_reading", keep_cat=True)
    return q[level - 1] - (q[level] if level < STEPS else 0.0) if level else 1.0 - q[0]
