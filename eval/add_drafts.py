"""Add labelled drafts to a split, skipping ids it already holds.

Usage::

    python eval/add_drafts.py NEW.jsonl [NEW2.jsonl ...] [--split dev]

Each new line is checked as :func:`evaluate.load_cases` checks a split (band or level, language,
text) before anything is written; lines are appended unchanged, in file order. Prints how many
were added and how many were already present. A draft's text already in the other split is
refused, so the splits stay apart.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from evaluate import load_cases  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    """Append the new drafts; exit 3 when a file is malformed or would mix the splits."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--split", default="dev", choices=("dev", "heldout"))
    args = parser.parse_args(argv)
    target = HERE / f"{args.split}.jsonl"
    other = HERE / ("heldout.jsonl" if args.split == "dev" else "dev.jsonl")
    have = {c.id for c in load_cases(target)}
    other_texts = {c.text for c in load_cases(other)}
    lines: list[str] = []
    skipped = 0
    for path in args.files:
        try:
            cases = load_cases(path)
        except ValueError as exc:
            print(f"add_drafts: {exc}", file=sys.stderr)
            return 3
        raw = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
        for case, line in zip(cases, raw, strict=True):
            if case.text in other_texts:
                print(f"add_drafts: {path}: {case.id} is already in {other.name}; keep the splits apart",
                      file=sys.stderr)
                return 3
            if case.id in have:
                skipped += 1
                continue
            have.add(case.id)
            lines.append(json.dumps(json.loads(line), ensure_ascii=False))
    if lines:
        with target.open("a", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")
    print(f"added {len(lines)} drafts to {target.name}; {skipped} already present")
    return 0


if __name__ == "__main__":
    sys.exit(main())
