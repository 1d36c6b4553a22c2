"""Evaluate the classifier on a labelled split and print its figures.

Usage::

    python eval/evaluate.py                 # the dev split (eval/dev.jsonl)
    python eval/evaluate.py --split heldout # the held-out split: look, do not tune on it
    python eval/evaluate.py --file other.jsonl --engine spacy --quiet

Each line of a split is ``{"id", "language", "level", "text", "note"}``. The script prints
exact-level accuracy, within-one-level accuracy, the confusion matrix, and every over- or
under-classification with the classifier's rationale. It exits 1 when the figures miss the
targets (exact ≥ 90%, within one 100%, no public draft at level 2 or above, no level-4 draft
below level 3), 0 otherwise.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

TARGET_EXACT = 0.90
TARGET_WITHIN_ONE = 1.0


@dataclass(frozen=True)
class Case:
    """One labelled draft."""

    id: str
    language: str
    level: int
    text: str
    note: str


@dataclass(frozen=True)
class Outcome:
    """A labelled draft and what the classifier made of it."""

    case: Case
    level: int
    rationale: tuple[str, ...]


@dataclass(frozen=True)
class Report:
    """The figures for one split."""

    outcomes: tuple[Outcome, ...]

    @property
    def exact(self) -> float:
        return sum(o.level == o.case.level for o in self.outcomes) / max(1, len(self.outcomes))

    @property
    def within_one(self) -> float:
        return sum(abs(o.level - o.case.level) <= 1 for o in self.outcomes) / max(1, len(self.outcomes))

    @property
    def public_high(self) -> tuple[Outcome, ...]:
        return tuple(o for o in self.outcomes if o.case.level == 0 and o.level >= 2)

    @property
    def top_low(self) -> tuple[Outcome, ...]:
        return tuple(o for o in self.outcomes if o.case.level == 4 and o.level < 3)

    def confusion(self) -> list[list[int]]:
        matrix = [[0] * 5 for _ in range(5)]
        for o in self.outcomes:
            matrix[o.case.level][o.level] += 1
        return matrix

    def meets_targets(self) -> bool:
        return (self.exact >= TARGET_EXACT and self.within_one >= TARGET_WITHIN_ONE
                and not self.public_high and not self.top_low)


def load_cases(path: Path) -> tuple[Case, ...]:
    """Read a JSONL split; every line must have id, language, level (0..4) and text."""
    cases = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        row = json.loads(line)
        if row.get("language") not in ("zh", "en") or row.get("level") not in range(5) or not row.get("text"):
            raise ValueError(f"{path}:{number}: needs id, language zh|en, level 0..4 and text")
        cases.append(Case(str(row["id"]), row["language"], int(row["level"]), row["text"], row.get("note", "")))
    return tuple(cases)


def evaluate(cases: tuple[Case, ...], engine: str = "rules", catalogue: Path | None = None) -> Report:
    """Classify every case and collect the outcomes."""
    from classifiers import classify
    from classifiers.catalogue import load_catalogue
    from classifiers.nlp import RuleNlp, SpacyNlp
    from pipeline.model import Document

    nlp = SpacyNlp() if engine == "spacy" else RuleNlp()
    cat = load_catalogue(catalogue) if catalogue else None
    outcomes = []
    for case in cases:
        doc = Document(source=case.id, sha256="0" * 64, kind="txt", language=case.language,  # type: ignore[arg-type]
                       text=case.text)
        s = classify(doc, catalogue=cat, nlp=nlp)
        outcomes.append(Outcome(case, s.level, s.rationale))
    return Report(tuple(outcomes))


def render(report: Report, name: str, quiet: bool = False) -> str:
    """The printed report: figures, confusion matrix, and the misses with their rationale."""
    n = len(report.outcomes)
    lines = [
        f"split: {name}  drafts: {n}",
        f"exact level:      {report.exact:.1%}  (target {TARGET_EXACT:.0%})",
        f"within one level: {report.within_one:.1%}  (target {TARGET_WITHIN_ONE:.0%})",
        f"public drafts at level >= 2: {len(report.public_high)}  (target 0)",
        f"level-4 drafts below 3:      {len(report.top_low)}  (target 0)",
        "",
        "confusion (rows: labelled level, columns: suggested level)",
        "        " + "".join(f"{j:>5}" for j in range(5)),
    ]
    for i, row in enumerate(report.confusion()):
        lines.append(f"  {i:>4}  " + "".join(f"{v:>5}" for v in row))
    misses = [o for o in report.outcomes if o.level != o.case.level]
    if misses:
        lines.append("")
        lines.append(f"misclassified: {len(misses)}")
    for o in misses:
        kind = "OVER" if o.level > o.case.level else "UNDER"
        lines.append(f"- {kind} {o.case.id} ({o.case.language}, {o.case.note}): labelled {o.case.level}, suggested {o.level}")
        if not quiet:
            lines += [f"    {r}" for r in o.rationale]
    lines.append("")
    lines.append("targets met" if report.meets_targets() else "TARGETS MISSED")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: print the figures; exit 1 if the targets are missed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", default="dev", choices=("dev", "heldout"))
    parser.add_argument("--file", type=Path, help="a JSONL file instead of a packaged split")
    parser.add_argument("--engine", default="rules", choices=("rules", "spacy"), help="NLP engine")
    parser.add_argument("--catalogue", type=Path, help="classify against this catalogue too")
    parser.add_argument("--quiet", action="store_true", help="do not print the rationale of misses")
    args = parser.parse_args(argv)
    path = args.file or HERE / f"{args.split}.jsonl"
    report = evaluate(load_cases(path), args.engine, args.catalogue)
    print(render(report, path.name, args.quiet))
    return 0 if report.meets_targets() else 1


if __name__ == "__main__":
    sys.exit(main())
