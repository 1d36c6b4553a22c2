"""Fax probe: issue copies with the real CLI, fax their masked pages and say which page
fingerprint reads.

Usage::

    PYTHONPATH=$PWD /work/venv/bin/python bench/fax_probe.py --work /tmp/faxprobe --seeds 0-5

The copies are issued once into ``WORK`` (a temporary ``MIJIAN_HOME`` there) and reused on
later runs. For each copy and seed the page (QR symbol and printed code painted white, as
``leak_bench.py`` masks them) goes through ``leak_sims.fax``; the camera-robust fingerprint
is read under every office key (``watermark.screenprint.read_keys``) and the page pattern
decoded (``watermark.pattern.decode``); ``--trace`` also runs the whole ``trace``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import leak_bench  # noqa: E402
import leak_sims  # noqa: E402

DRAFTS = ("en_report_confidential.pdf", "zh_notice_secret.pdf")


def copies(work: Path, names: tuple[str, ...]) -> list[dict]:
    """The first copy of each draft of ``samples`` named, issued once into ``work``."""
    done = work / "copies.txt"
    if not done.exists():
        work.mkdir(parents=True, exist_ok=True)
        drafts = [ROOT / "samples" / d for d in names]
        rows = []
        for c in leak_bench.issue_all(drafts, work / "home", work):
            if any(r["draft"] == c["draft"] for r in rows):
                continue
            pdf = leak_bench.page_pdf(c["plain"], c["kind"], work, f"{c['draft']}-{c['serial']}")
            rows.append({"draft": c["draft"], "serial": c["serial"], "recipient": c["recipient"],
                         "pdf": str(pdf)})
        done.write_text("\n".join("\t".join(r.values()) for r in rows), encoding="utf-8")
    keys = ("draft", "serial", "recipient", "pdf")
    return [dict(zip(keys, line.split("\t"))) for line in done.read_text(encoding="utf-8").splitlines()]


def seeds(text: str) -> list[int]:
    """``0-5`` or ``1,4,9``."""
    if "-" in text:
        a, b = text.split("-")
        return list(range(int(a), int(b) + 1))
    return [int(s) for s in text.split(",")]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--work", default="/tmp/faxprobe")
    ap.add_argument("--seeds", default="0-3")
    ap.add_argument("--drafts", default=",".join(DRAFTS), help="sample drafts (first run in WORK)")
    ap.add_argument("--pattern", action="store_true", help="also decode the page pattern (as the tracer does)")
    ap.add_argument("--trace", action="store_true", help="also run the whole trace")
    ap.add_argument("--notes", action="store_true", help="print the reader's notes")
    ap.add_argument("--save", action="store_true", help="keep the fax images in WORK")
    args = ap.parse_args()
    work = Path(args.work)
    os.environ["MIJIAN_HOME"] = str(work / "home")
    from mijian.pipeline.issuing import pattern_key
    from mijian.pipeline.office import Office
    from mijian.pipeline.screenprint_layer import layer_key
    from mijian.watermark.screenprint import read_keys

    todo = copies(work, tuple(args.drafts.split(",")))
    office = Office.open(str(work / "home"))
    keys = list(office.keys())
    sp_keys = [layer_key(pattern_key(k)) for k in keys]
    total = {"screen": 0, "pattern": 0, "trace": 0, "n": 0}
    for c in todo:
        page = leak_bench.master(Path(c["pdf"]).read_bytes(), 0, masked=True)
        for seed in seeds(args.seeds):
            image, how = leak_sims.fax(page, np.random.default_rng(seed))
            if args.save:
                image.save(work / f"fax-{c['draft'][:2]}-{c['serial']}-{seed}.png")
            t0 = time.process_time()
            got = [r for r in read_keys(image, sp_keys)]
            hit = [r for r in got if r.number is not None]
            record = office.register.copy_by_fingerprint(hit[0].number) if hit else None
            ok = record is not None and record.recipient_id == c["recipient"]
            line = (f"{c['draft'][:12]:<12} seed {seed:>3} {how:<24} screen "
                    f"{'READ' if ok else ('WRONG' if hit else '-'):<5} "
                    f"z {max(r.statistic for r in got):4.1f} {time.process_time() - t0:4.1f}s")
            total["screen"] += ok
            total["n"] += 1
            if args.pattern:
                line += " pattern " + pattern_read(image, keys, office, c["recipient"], total)
            if args.trace:
                line += " trace " + trace_read(image, office, work, c["recipient"], total)
            print(line, flush=True)
            if args.notes:
                for r in got:
                    print("    " + "\n    ".join(r.notes))
    print(f"screen {total['screen']}/{total['n']}"
          + (f", pattern {total['pattern']}/{total['n']}" if args.pattern else "")
          + (f", trace {total['trace']}/{total['n']}" if args.trace else ""))
    return 0


def pattern_read(image, keys, office, recipient: str, total: dict) -> str:
    """The page pattern's reading of ``image`` as the tracer reads it (bands, every key)."""
    from mijian.pipeline.trace_images import read_fingerprints

    readings, _several = read_fingerprints([image], keys, office.register)
    named = {r.copy_id for r in readings if r.copy_id}
    best = max((r.statistic for r in readings), default=0.0)
    if not named:
        return f"- z {best:.1f}"
    records = [office.register.get_copy(cid) for cid in named]
    good = len(named) == 1 and records[0] is not None and records[0].recipient_id == recipient
    total["pattern"] += good
    return ("READ" if good else "WRONG") + f" z {best:.1f}"


def trace_read(image, office, work: Path, recipient: str, total: dict) -> str:
    """The whole trace's verdict on ``image`` saved as a PNG."""
    from mijian.pipeline.tracing import trace

    path = work / "leak.png"
    image.save(path)
    res = trace(office, path)
    good = res.verdict == "identified" and res.recipient_id == recipient
    total["trace"] += good
    layers = ",".join(l.name for l in res.layers if l.verdict in ("valid", "match"))
    return f"{res.verdict} {layers}"


if __name__ == "__main__":
    sys.exit(main())
