"""Train the second reader and its combiner with the rules, and print what they are worth.

Usage::

    python eval/train_model.py            # train, print the cross-validated figures, write the files
    python eval/train_model.py --check    # train and compare with the packaged files; write nothing

The second reader (:mod:`classifiers.learned`) trains on ``dev.jsonl`` and ``blind.jsonl``.
The combiner (:mod:`classifiers.second_reading`) is fitted on ``blind.jsonl`` alone: drafts
written blind that the rules were never tuned on, so that the rules' level there is what it
would be on a stranger's draft. The reader's probabilities it learns from are out of fold
(each fold's reader never saw the fold), and the figures printed for the combined suggestion
are out of fold twice over: for each fold of ``blind.jsonl``, both the reader and the
combiner are fitted without it. Deterministic: the same data give the same files.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import re
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from evaluate import Case, Outcome, Report, load_cases  # noqa: E402

FOLDS = 5
THRESHOLDS = (0.5, 0.5, 0.3, 0.5)
"""Combined-probability thresholds per step; 机密's is lower because a missed 机密 costs most."""
PENALTY_READER = 1e-5
"""L2 penalty of the reader's logistic regressions. Out of fold on the blind drafts a lower
penalty puts more drafts in band (3e-4: 77.5%, 5e-5: 79.7%, 1e-5: 81.0%, 2e-6: 81.8%, 5e-7:
82.3%), but the reader grows sure of itself on a message of a few words (演习部队将进行调动 read
as 机密 on its own) and the informal drafts gain nothing; it stays at 1e-5."""
PENALTY = 1e-2
"""L2 penalty of the combiner's logistic regressions."""


def main(argv: list[str] | None = None) -> int:
    """Train both parts, print the out-of-fold figures, then write (or, with --check, compare)."""
    from mijian.classifiers.learned import MODEL_FILE, load_model
    from mijian.classifiers.learned_fit import fit
    from mijian.classifiers.second_reading import COMBINER_FILE, load_combiner

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare with the packaged files; write nothing")
    parser.add_argument("--penalty", type=float, default=PENALTY_READER, help="the reader's L2 penalty")
    parser.add_argument("--epochs", type=int, default=300, help="the reader's passes over the data")
    parser.add_argument("--reader-max", type=int, help="also print the figures with this ceiling on the reader")
    parser.add_argument("--lower-max", type=int, nargs="*", help="also print the figures with lowering bounded")
    parser.add_argument("--thresholds", nargs="*", metavar="T1,T2,T3,T4",
                        help="also print the out-of-fold figures with these step thresholds")
    args = parser.parse_args(argv)
    dev, blind = load_cases(HERE / "dev.jsonl"), load_cases(HERE / "blind.jsonl")
    rules, minimum, declassified, mark = (np.array(v) for v in zip(*(_rules_level(c) for c in blind)))
    folds = np.arange(len(blind)) % FOLDS
    readings: list = [None] * len(blind)
    for f in range(FOLDS):
        reader = fit(_examples((*dev, *(c for c, g in zip(blind, folds) if g != f))),
                     penalty=args.penalty, epochs=args.epochs)
        for i, r in zip(np.flatnonzero(folds == f), _readings(reader, [c for c, g in zip(blind, folds) if g == f])):
            readings[i] = r
    x = _inputs(rules, readings)
    oof = functools.partial(_out_of_fold, x, blind, rules, minimum, (declassified, mark), readings, folds)
    joint = oof(THRESHOLDS)
    print(f"blind drafts {len(blind)} (out of fold): rules {_figures(blind, rules)}")
    print(f"{'':>26}combined {_figures(blind, joint)}")
    _print_strata(blind, rules, joint)
    for alt in args.thresholds or ():
        levels = oof(tuple(float(v) for v in alt.split(",")))
        print(f"{'thresholds ' + alt:>34} {_figures(blind, levels)}")
    if args.reader_max is not None:
        levels = oof(THRESHOLDS, None, args.reader_max)
        print(f"{'reader up to ' + str(args.reader_max):>34} {_figures(blind, levels)}")
    for down in args.lower_max or ():
        levels = oof(THRESHOLDS, down)
        print(f"{'lowering at most ' + str(down):>34} {_figures(blind, levels)}")
    combiner = _fit_combiner(x, list(blind), len(blind))
    reader = fit(_examples((*dev, *blind)), penalty=args.penalty, epochs=args.epochs)
    data = HERE.parent / "classifiers" / "data"
    if args.check:
        same = load_model().data_sha256 == reader.data_sha256 and load_combiner() == combiner
        print("packaged files match the data" if same else "packaged files are stale: run eval/train_model.py")
        return 0 if same else 1
    data.mkdir(exist_ok=True)
    reader.to_file(str(data / MODEL_FILE))
    (data / COMBINER_FILE).write_text(combiner.to_json() + "\n", encoding="utf-8")
    print(f"wrote {data / MODEL_FILE} ({reader.drafts} drafts) and {data / COMBINER_FILE} ({combiner.drafts} drafts)")
    return 0


INFORMAL = re.compile(r"chat|群|聊|短信|\bsms\b|text|message|whatsapp|slack|signal|teams|微信|钉钉|语音|voice|便条|"
                      r"便签|sticky|手写|e-?mail|邮件|ticket|工单|handover|交接|oneline|^note$", re.IGNORECASE)
"""Kinds of draft in the informal register (chats, texts, e-mails, notes and handover slips), as
the writers named them; briefing notes, press notices, minutes and cables are formal."""
_FORMAL = re.compile(r"briefing|press|minutes|telegram|cable", re.IGNORECASE)


def informal(case: Case) -> bool:
    """Whether ``case`` is in the informal register (by the kind its writer gave it)."""
    return bool(INFORMAL.search(case.kind or "")) and not _FORMAL.search(case.kind or "")


def _print_strata(blind: tuple[Case, ...], rules: np.ndarray, joint: np.ndarray) -> None:
    """The figures by language, by register and by both, rules alone and combined."""
    strata = [(lang, lambda c, lang=lang: c.language == lang) for lang in ("zh", "en")]
    strata += [("formal", lambda c: not informal(c)), ("informal", informal)]
    strata += [(f"{lang} {reg}", lambda c, lang=lang, inf=inf: c.language == lang and informal(c) == inf)
               for lang in ("zh", "en") for reg, inf in (("formal", False), ("informal", True))]
    for name, test in strata:
        pick = np.array([test(c) for c in blind])
        sub = tuple(c for c, p in zip(blind, pick) if p)
        print(f"{name + ' (' + str(len(sub)) + ')':>18} rules    {_figures(sub, rules[pick])}")
        print(f"{'':>18} combined {_figures(sub, joint[pick])}")


def _out_of_fold(x: np.ndarray, blind: tuple[Case, ...], rules: np.ndarray, minimum: np.ndarray,
                 marks: tuple[np.ndarray, np.ndarray], readings: list,
                 folds: np.ndarray, thresholds: tuple[float, ...], lower_max: int | None = None,
                 reader_max: int | None = None) -> np.ndarray:
    """The combined level of each blind draft by a combiner fitted without its fold."""
    from mijian.classifiers.second_reading import bounded, ceiling, held, top_secret

    declassified, mark = marks
    levels = np.zeros(len(blind), dtype=int)
    for f in range(FOLDS):
        part = dataclasses.replace(_fit_combiner(x[folds != f], [c for c, g in zip(blind, folds) if g != f], 0),
                                   thresholds=thresholds)
        for i in np.flatnonzero(folds == f):
            r, reading = int(rules[i]), readings[i]
            top = ceiling(r, bool(declassified[i]))
            q = part.probabilities(r, reading)
            level = held(part, reading, r, bounded(part.level(q), r, int(minimum[i]), lower_max,
                                                   reader_max if top is None else top))
            levels[i] = level if reader_max is not None else top_secret(
                part, q, reading, level, r, int(mark[i]), bool(declassified[i]))
    return levels


def _examples(cases: tuple[Case, ...]) -> list:
    """The cases as the reader's training examples."""
    from mijian.classifiers.learned_fit import Example

    return [Example(c.text, c.band[0], c.band[1]) for c in cases]


def _rules_level(case: Case) -> tuple[int, int, bool, int]:
    """The rules' level alone (no second reading), the minimum the second reading keeps,
    whether the draft carries a declassification note (the reader may not raise it), and the
    level of the draft's own marking (its banner; 0 without one or once declassified)."""
    from mijian.classifiers import classify
    from mijian.classifiers.floors import DECLASSIFIED
    from mijian.pipeline.model import Document

    doc = Document(source=case.id, sha256="0" * 64, kind="txt", language=case.language,  # type: ignore[arg-type]
                   text=case.text)
    s = classify(doc, second_reader=False)
    declassified = any(f.rule == DECLASSIFIED for f in s.findings)
    mark = max((f.floor or 0 for f in s.findings if f.category == "marking" and f.banner), default=0)
    return s.level, s.settled, declassified, 0 if declassified else mark


def _readings(reader: object, cases: list[Case]) -> list:
    """What ``reader`` makes of each case, as the classifier asks it (parts included)."""
    from mijian.classifiers.learned import read_model
    from mijian.classifiers.normalise import normalise

    return [read_model(normalise(c.text), model=reader, top=0) for c in cases]  # type: ignore[arg-type]


def _inputs(rules: np.ndarray, readings: list) -> np.ndarray:
    """The combiner's inputs: the rules' level one-hot, the reader's log-odds split by length."""
    p = np.clip(np.array([r.probabilities for r in readings]), 1e-4, 1 - 1e-4)
    odds = np.log(p / (1 - p))
    full = np.array([[r.weight()] for r in readings])
    return np.hstack([np.eye(5)[rules], odds * full, odds * (1 - full)])


def _fit_combiner(x: np.ndarray, cases: list[Case], drafts: int) -> object:
    """One logistic regression per step over the rules' one-hot level and the reader's log-odds."""
    from mijian.classifiers.second_reading import Combiner

    rules_w, reader_w, short_w, bias = [], [], [], []
    for k in range(1, 5):
        y = np.array([1.0 if c.band[0] >= k else 0.0 if c.band[1] < k else -1.0 for c in cases])
        w, b = _logistic(x, y)
        rules_w.append(tuple(round(float(v), 6) for v in w[:5]))
        reader_w.append(tuple(round(float(v), 6) for v in w[5:9]))
        short_w.append(tuple(round(float(v), 6) for v in w[9:]))
        bias.append(round(float(b), 6))
    return Combiner(tuple(rules_w), tuple(reader_w), tuple(short_w), tuple(bias), THRESHOLDS, drafts)


def _logistic(x: np.ndarray, y: np.ndarray, steps: int = 3000, rate: float = 0.1) -> tuple[np.ndarray, float]:
    known = y >= 0
    w = np.zeros(x.shape[1])
    b = 0.0
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(x @ w + b)))
        err = np.where(known, p - y, 0.0) / max(1, known.sum())
        w -= rate * (x.T @ err + PENALTY * w)
        b -= rate * float(err.sum())
    return w, b


def _figures(cases: tuple[Case, ...], levels: np.ndarray) -> str:
    """The four figures of :class:`evaluate.Report` in one line."""
    r = Report(tuple(Outcome(c, int(v), ()) for c, v in zip(cases, levels)))
    return (f"in band {r.in_band:.1%}, within one {r.within_one:.1%}, public >= 2: {len(r.public_high)}, "
            f"must >= 3 below 3: {len(r.high_low)}")


if __name__ == "__main__":
    sys.exit(main())
