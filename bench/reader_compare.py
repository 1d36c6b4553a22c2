"""Reader comparison: the camera-robust fingerprint's reader alone, from two source trees, on
the same seeded leaks of issued copies.

Usage (each step runs with the tree it reads through on ``PYTHONPATH``)::

    PYTHONPATH=$PWD python bench/reader_compare.py make OUT --seeds 1,2,3
    PYTHONPATH=/path/to/other/tree python bench/reader_compare.py read OUT other
    PYTHONPATH=$PWD python bench/reader_compare.py read OUT this
    PYTHONPATH=$PWD python bench/reader_compare.py report OUT other this

``make`` issues every sample draft to the sample recipients (as ``leak_bench.py`` does), makes
the leaks of ``--forms`` (partial crop and header/footer cut by default) with the seeds
``leak_bench.py`` would draw for each ``--seed``, both as leaked and with the QR symbol and
printed code masked, and saves them as the JPEG (or PNG) files the tracer would be given,
with every office key's layer key and the number the copy carries. ``read`` decodes every
leak under every key with the reader of the tree on ``PYTHONPATH`` (``read_keys`` when the
tree has it, else ``read`` per key) and stores what it found; ``report`` sets the runs side
by side and lists the leaks where they differ.

Why a separate step per tree: both trees import as ``mijian``, so one process can hold one.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))


def make(out: Path, seeds: list[int], forms: list[str]) -> None:
    """Issue the copies once and write the leaks of every seed with their keys and numbers."""
    import leak_bench
    import leak_sims

    out.mkdir(parents=True, exist_ok=True)
    home, work = out / "home", out / "work"
    drafts = sorted(p for p in (ROOT / "samples").iterdir() if p.suffix in (".pdf", ".docx", ".txt"))
    copies = leak_bench.issue_all(drafts, home, work)
    os.environ["MIJIAN_HOME"] = str(home)
    from mijian.pipeline.issuing import pattern_key
    from mijian.pipeline.office import Office
    from mijian.pipeline.screenprint_layer import layer_key

    office = Office.open(home)
    # serials count per document: a copy is its draft's folder (issue_all) and its serial
    numbers = {(Path(r.file).parent.name, r.serial): r.fingerprint for r in office.register.list_copies()}
    keys = [layer_key(pattern_key(k)).hex() for k in office.keys()]
    entries = []
    for seed in seeds:
        # the same draws as leak_bench.py --quick with this seed (every leak row, in order)
        rng = np.random.default_rng(seed)
        specs = leak_bench.leak_specs(drafts, copies, 1, list(leak_sims.FORMS), True, rng, work)
        for spec in specs:
            if spec["form"] not in forms:
                continue
            page = leak_bench.master(Path(spec["pdf"]).read_bytes(), spec["page"], spec["masked"])
            image, how = leak_sims.FORMS[spec["form"]](page, np.random.default_rng(spec["seed"]))
            name = f"{seed}-{len(entries):03d}-{spec['form']}{'-masked' if spec['masked'] else ''}"
            path = out / f"{name}.{'png' if spec['form'] == 'fax' else 'jpg'}"
            if path.suffix == ".png":
                image.save(path)
            else:
                image.convert("RGB").save(path, "JPEG", quality=95)
            entries.append({"file": path.name, "form": spec["form"], "masked": spec["masked"],
                            "draft": spec["draft"], "serial": spec["serial"], "seed": seed, "how": how,
                            "number": numbers[(Path(spec["draft"]).stem, spec["serial"])]})
            print(name, how, flush=True)
    (out / "leaks.json").write_text(json.dumps({"keys": keys, "leaks": entries}, indent=1))


def read(out: Path, label: str) -> None:
    """Decode every leak under every key with the reader on ``PYTHONPATH``."""
    from PIL import Image

    import mijian.watermark.screenprint as sp

    meta = json.loads((out / "leaks.json").read_text())
    keys = [bytes.fromhex(k) for k in meta["keys"]]
    rows = []
    for leak in meta["leaks"]:
        image = Image.open(out / leak["file"])
        image.load()
        t0 = time.process_time()
        # a tree without read_keys reads key by key
        many = getattr(sp, "read_keys", None)
        readings = many(image, keys) if many else [sp.read(image, k) for k in keys]
        seconds = time.process_time() - t0
        numbers = [r.number for r in readings if r.number is not None]
        best = max(readings, key=lambda r: r.statistic)
        rows.append({"file": leak["file"], "numbers": numbers, "seconds": seconds,
                     "z": best.statistic, "pitch": best.pitch_px, "notes": list(best.notes),
                     "attempts": sum(r.attempts for r in readings)})
        print(leak["file"], numbers, f"{seconds:.2f} s", flush=True)
    (out / f"read-{label}.json").write_text(json.dumps(rows, indent=1))


def report(out: Path, labels: list[str]) -> None:
    """Right / wrong / nothing per leak row for every run, then the leaks where runs differ."""
    meta = json.loads((out / "leaks.json").read_text())
    runs = {lab: {r["file"]: r for r in json.loads((out / f"read-{lab}.json").read_text())}
            for lab in labels}

    def outcome(lab: str, leak: dict) -> str:
        numbers = runs[lab][leak["file"]]["numbers"]
        if not numbers:
            return "-"
        return "right" if numbers == [leak["number"]] else "WRONG"

    rows = sorted({(leak["form"], leak["masked"]) for leak in meta["leaks"]})
    for form, masked in rows:
        part = [leak for leak in meta["leaks"] if (leak["form"], leak["masked"]) == (form, masked)]
        cells = []
        for lab in labels:
            got = [outcome(lab, leak) for leak in part]
            secs = sorted(runs[lab][leak["file"]]["seconds"] for leak in part)
            cells.append(f"{lab}: {got.count('right')}/{len(part)} right, {got.count('WRONG')} wrong, "
                         f"median {secs[len(secs) // 2]:.2f} s")
        print(f"{form}{' masked' if masked else ''}: " + "; ".join(cells))
    for leak in meta["leaks"]:
        got = [outcome(lab, leak) for lab in labels]
        if len(set(got)) > 1:
            detail = "  ".join(f"{lab}={g} z {runs[lab][leak['file']]['z']:.1f}" for lab, g in zip(labels, got))
            print(f"differs: {leak['file']} ({leak['how']}): {detail}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("step", choices=("make", "read", "report"))
    ap.add_argument("out", type=Path)
    ap.add_argument("labels", nargs="*", help="read: the run's label; report: the runs to compare")
    ap.add_argument("--seeds", default="1", help="leak_bench seeds, comma-separated (make)")
    ap.add_argument("--forms", default="partial_crop,header_footer", help="leak rows (make)")
    args = ap.parse_args()
    if args.step == "make":
        make(args.out, [int(s) for s in args.seeds.split(",")], args.forms.split(","))
    elif args.step == "read":
        read(args.out, args.labels[0])
    else:
        report(args.out, args.labels)
    return 0


if __name__ == "__main__":
    sys.exit(main())
