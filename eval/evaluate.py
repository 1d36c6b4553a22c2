"""Evaluate the classifier on a labelled split and print its figures.

Usage::

    python eval/evaluate.py                 # the dev split (eval/dev.jsonl)
    python eval/evaluate.py --split heldout # the held-out split: look, do not tune on it
    python eval/evaluate.py --split heldout2 --quiet  # the second held-out split: figures only
    python eval/evaluate.py --split heldout3 --quiet  # the third held-out split (informal messages)
    python eval/evaluate.py --split heldout4 --quiet  # the fourth (blind, every sector, formal and informal)
    python eval/evaluate.py --split heldout5 --quiet  # the fifth (a quarter of a later blind batch of four writers)
    python eval/evaluate.py --split heldout7 --quiet  # the seventh (a whole blind batch, never trained on)
    python eval/evaluate.py --split heldout4 --quiet --rules-only  # the rules alone, without the second reader
    python eval/evaluate.py --file other.jsonl --engine spacy --quiet

Each line of a split is a JSON object with ``id``, ``language`` (zh|en), ``text`` and either
``band`` ``[lo, hi]`` (the acceptable ladder levels, 0 公开 … 4 绝密) or ``level`` (read as
the band ``[level, level]``); optional ``sector``, ``kind`` (the document type), ``scheme``
and ``note``. The script prints the share of drafts suggested inside their band, the share
within one level of it, the public drafts (band hi 0) suggested 2 or above, the drafts that
must be 3 or above (band lo ≥ 3) suggested below 3, a confusion matrix on the band's low end,
figures per sector, and every draft outside its band with the classifier's rationale. It
exits 1 when a target is missed (in band ≥ 90%, within one 100%, both counts 0), else 0.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

TARGET_IN_BAND = 0.90
TARGET_WITHIN_ONE = 1.0


@dataclass(frozen=True)
class Case:
    """One labelled draft: the band of acceptable levels and what kind of draft it is."""

    id: str
    language: str
    band: tuple[int, int]
    text: str
    note: str = ""
    sector: str = ""
    kind: str = ""
    scheme: str = ""

    @property
    def level(self) -> int:
        """The low end of the band (the row of the confusion matrix)."""
        return self.band[0]


@dataclass(frozen=True)
class Outcome:
    """A labelled draft and what the classifier made of it."""

    case: Case
    level: int
    rationale: tuple[str, ...]

    @property
    def distance(self) -> int:
        """Levels between the suggestion and the band (0 inside it)."""
        lo, hi = self.case.band
        return lo - self.level if self.level < lo else self.level - hi if self.level > hi else 0

    @property
    def in_band(self) -> bool:
        """The suggestion lies inside the band."""
        return self.distance == 0


@dataclass(frozen=True)
class Report:
    """The figures for one split (or one sector of it)."""

    outcomes: tuple[Outcome, ...]

    @property
    def in_band(self) -> float:
        """Share of drafts suggested inside their band."""
        return sum(o.in_band for o in self.outcomes) / max(1, len(self.outcomes))

    @property
    def within_one(self) -> float:
        """Share of drafts at most one level from their band."""
        return sum(o.distance <= 1 for o in self.outcomes) / max(1, len(self.outcomes))

    @property
    def public_high(self) -> tuple[Outcome, ...]:
        """Public drafts (band hi 0) suggested 秘密/CONFIDENTIAL or above."""
        return tuple(o for o in self.outcomes if o.case.band[1] == 0 and o.level >= 2)

    @property
    def high_low(self) -> tuple[Outcome, ...]:
        """Drafts that must be 机密/SECRET or above (band lo ≥ 3) suggested below 3."""
        return tuple(o for o in self.outcomes if o.case.band[0] >= 3 and o.level < 3)

    def confusion(self) -> list[list[int]]:

        """Counts by band low end (rows) and suggested level (columns)."""
        matrix = [[0] * 5 for _ in range(5)]
        for o in self.outcomes:
            matrix[o.case.level][o.level] += 1
        return matrix

    def sectors(self) -> dict[str, Report]:
        """One report per sector (drafts without a sector under ``-``), sorted by name."""
        groups: dict[str, list[Outcome]] = {}
        for o in self.outcomes:
            groups.setdefault(o.case.sector or "-", []).append(o)
        return {name: Report(tuple(groups[name])) for name in sorted(groups)}

    def meets_targets(self) -> bool:

        """All four targets met."""
        return (self.in_band >= TARGET_IN_BAND and self.within_one >= TARGET_WITHIN_ONE
                and not self.public_high and not self.high_low)


def load_cases(path: Path) -> tuple[Case, ...]:
    """Read a JSONL split; raises ValueError naming the file and line of a malformed draft."""
    cases = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}:{number}: not JSON ({exc.msg}); fix the line") from None
        cases.append(_case(path, number, row))
    return tuple(cases)


def _case(path: Path, number: int, row: dict) -> Case:


    """Validate one line of a split."""
    where = f"{path}:{number}"
    band = row.get("band")
    if band is None and row.get("level") in range(5):
        band = [row["level"], row["level"]]
    if (not isinstance(band, list) or len(band) != 2 or not all(isinstance(b, int) and 0 <= b <= 4 for b in band)
            or band[0] > band[1]):
        raise ValueError(f"{where}: band {band!r} is not [lo, hi] with 0 <= lo <= hi <= 4; fix the line")
    if row.get("language") not in ("zh", "en") or not row.get("text") or not row.get("id"):
        raise ValueError(f"{where}: needs id, language zh|en and text; fix the line")
    return Case(str(row["id"]), row["language"], (band[0], band[1]), row["text"], row.get("note", ""),
                row.get("sector", ""), row.get("kind", ""), row.get("scheme", ""))


def evaluate(cases: tuple[Case, ...], engine: str = "rules", catalogue: Path | None = None,
             second_reader: bool = True) -> Report:
    """Classify every case and collect the outcomes."""
    from mijian.classifiers import classify
    from mijian.classifiers.catalogue import load_catalogue
    from mijian.classifiers.nlp import RuleNlp, SpacyNlp
    from mijian.pipeline.model import Document

    nlp = SpacyNlp() if engine == "spacy" else RuleNlp()
    cat = load_catalogue(catalogue) if catalogue else None
    outcomes = []
    for case in cases:
        doc = Document(source=case.id, sha256="0" * 64, kind="txt", language=case.language,  # type: ignore[arg-type]
                       text=case.text)
        s = classify(doc, catalogue=cat, nlp=nlp, second_reader=second_reader)
        outcomes.append(Outcome(case, s.level, s.rationale))
    return Report(tuple(outcomes))


def _figures(report: Report) -> list[str]:


    """The four headline figures with their targets."""
    return [
        f"in band:              {report.in_band:.1%}  (target {TARGET_IN_BAND:.0%})",
        f"within one of band:   {report.within_one:.1%}  (target {TARGET_WITHIN_ONE:.0%})",
        f"public suggested >= 2:   {len(report.public_high)}  (target 0)",
        f"must be >= 3, below 3:   {len(report.high_low)}  (target 0)",
    ]


def _sector_lines(report: Report) -> list[str]:


    """One line of figures per sector."""
    lines = ["", "per sector: drafts, in band, within one, public>=2, must>=3 below 3",
             f"  {'sector':<36}{'n':>4}{'in band':>9}{'within 1':>10}{'pub':>5}{'low':>5}"]
    for name, sub in report.sectors().items():
        n = len(sub.outcomes)
        inside = sum(o.in_band for o in sub.outcomes)
        lines.append(f"  {name[:36]:<36}{n:>4}{inside:>6}/{n:<2}{sub.within_one:>10.0%}"
                     f"{len(sub.public_high):>5}{len(sub.high_low):>5}")
    return lines


def render(report: Report, name: str, quiet: bool = False) -> str:
    """The printed report: figures, confusion matrix, sectors, and the misses with their rationale
    (``quiet``: their count only, so a held-out split's drafts are never read one by one)."""
    lines = [f"split: {name}  drafts: {len(report.outcomes)}", *_figures(report), "",
             "confusion (rows: band low end, columns: suggested level)",
             "        " + "".join(f"{j:>5}" for j in range(5))]
    for i, row in enumerate(report.confusion()):
        lines.append(f"  {i:>4}  " + "".join(f"{v:>5}" for v in row))
    lines += _sector_lines(report)
    misses = [o for o in report.outcomes if not o.in_band]
    if misses:
        lines += ["", f"outside the band: {len(misses)}"]
    for o in [] if quiet else misses:  # quiet: figures only, not which drafts were missed
        kind = "OVER" if o.level > o.case.band[1] else "UNDER"
        c = o.case
        about = ", ".join(x for x in (c.language, c.sector, c.kind or c.note) if x)
        lines.append(f"- {kind} {c.id} ({about}): band {list(c.band)}, suggested {o.level}")
        lines += [f"    {r}" for r in o.rationale]
    lines += ["", "targets met" if report.meets_targets() else "TARGETS MISSED"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: print the figures; exit 1 if the targets are missed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    splits = ("dev", "blind", "heldout", "heldout2", "heldout3", "heldout4", "heldout5",
              "heldout7")
    parser.add_argument("--split", default="dev", choices=splits)
    parser.add_argument("--file", type=Path, help="a JSONL file instead of a packaged split")
    parser.add_argument("--engine", default="rules", choices=("rules", "spacy"), help="NLP engine")
    parser.add_argument("--rules-only", action="store_true", help="the rules alone, without the second reader")
    parser.add_argument("--catalogue", type=Path, help="classify against this catalogue too")
    parser.add_argument("--quiet", action="store_true",
                        help="figures only: do not name the drafts missed (for held-out splits)")
    args = parser.parse_args(argv)
    path = args.file or HERE / f"{args.split}.jsonl"
    report = evaluate(load_cases(path), args.engine, args.catalogue, not args.rules_only)
    print(render(report, path.name, args.quiet))
    return 0 if report.meets_targets() else 1


if __name__ == "__main__":
    sys.exit(main())
