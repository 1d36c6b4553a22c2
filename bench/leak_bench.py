"""Leak benchmark: every leak row of the camera-and-crop table, traced with ``mijian trace``.

Usage::

    /work/venv/bin/python bench/leak_bench.py --quick     # one copy per draft, 60 controls
    /work/venv/bin/python bench/leak_bench.py             # 3 copies per draft, 1,000 controls
    /work/venv/bin/python bench/leak_bench.py --help      # seeds, sizes, workers

What it does: in a temporary ``MIJIAN_HOME`` it issues copies of every sample draft
(``samples/*.pdf``, ``*.docx``, ``*.txt``: Chinese and English, both formats) to the sample
recipients with ``mijian issue``; for each traced copy it renders one page (page number
rotating with the copy; DOCX pages through LibreOffice) at 300 dpi and makes every leak of
:mod:`leak_sims` from it with seeded random parameters (print and scan, fax, paper photo,
screen photo, chat forward, partial crop of 15-30 % of the page from a paper photo or a chat
forward, header and footer painted out then forwarded). Every leak is traced in-process by
``pipeline.tracing.trace`` twice: as made, and made from the page with the QR symbol and the
printed code line painted white ("masked"), so that the page fingerprints' own share shows.

Printed per row: n, right, wrong, inconclusive, the layers that verified in the right
verdicts, median and largest trace seconds. Controls: unmarked drafts' pages (PDF and DOCX
drafts, every page) in the same leak forms with other seeds, read by the camera-robust
fingerprint's reader under the office key; a number that passes the keyed check and is
registered would be a false accusation (printed, must be 0); how many passed the check at
all is printed too. ``--trace-controls`` of them also go through the whole ``trace``.

Exit status 1 if any control named anyone or any leak named the wrong recipient.

Latest figures (``--quick --workers 1``, seed 1, 2026-12-06, 2 shared cores, 575 s; one copy
of each of the 7 sample drafts, so each row is n = 7), the QR symbol (raster or vector) and the
printed code masked out; in brackets, how many the screen fingerprint confirmed:

=============  =====  =====================================================
leak           right  note
=============  =====  =====================================================
print_scan     7/7    (6); the page fingerprint also confirmed all 7
fax            7/7    (0); the page fingerprint, read stretched upright (was 0/7)
paper_photo    4/7    (4); the page fingerprint confirmed 1
screen_photo   6/7    (5); the page fingerprint confirmed 5
chat_forward   6/7    (6)
partial_crop   5/7    (4); the page fingerprint confirmed 2
header_footer  6/7    (6)
=============  =====  =====================================================

No wrong recipient; 60 unmarked controls read under every key: none passed the keyed check,
none named anyone (20 also traced whole: none identified); the reader alone took 0.47 s median
and 0.83 s at most on a control. A masked fax traces in 5.1 s median, 7.5 s at most. Only the
fax row's gain comes from a change (the page fingerprint's fax view); the screen fingerprint is
as in the run before, whose other rows were 3 to 7 of 7. Earlier runs counted the QR symbol of
PDF copies as masked when it was drawn as vector paths (only a raster symbol was masked then);
their rows are not comparable. Rows of 7 move by one or two between runs of the same code (each run issues new
keys and numbers): ``bench/reader_compare.py`` compares two readers leak for leak.

Not re-measured since: the tilt passes (``watermark/pattern_tilt.py``: a photo's perspective
undone on images read whole, and on a page image whose bands find no readable pattern). A
quick run of this tree and of the tree before them, side by side at a load of 12-16, had not
finished its traces after 50 minutes and was stopped; the photos of crops in
``bench/crop_probe.py`` (its ``trace`` figures) are the measure of that change so far.

The same leaks read by two trees: ``--save DIR`` keeps every leak image (the very pixels
traced), an index and the office, so that ``crop_probe.py read DIR`` (or a reader alone) can
be run with ``PYTHONPATH`` at each tree on them. ``--forms`` draws a seed for every row,
run or not, so a run of a few rows makes the leaks a run of all would (rows of earlier
runs given ``--forms`` were made with other seeds). Camera-robust reader alone on the 21
masked leaks of ``--quick --masked-only --forms partial_crop,header_footer,screen_photo
--save DIR`` (seed 1, 2026-12-07), before / after the lattice predicted from the dot
pattern's (``watermark/screenprint/lattice.py: with_companion``): screen_photo 4/7 / 5/7,
partial_crop 2/7 / 2/7, header_footer 6/7 / 6/7; no wrong number; reader CPU on the leaks it
does not read +0.1 to +1.2 s, on 16 unmarked controls (4 forms of the first page of
the 4 PDF and DOCX drafts) +0.0 to +1.8 s, 32.6 s before and 38.2 s after in all (+17 %),
none read (load 14-26).
"""

from __future__ import annotations

import argparse
import csv
import multiprocessing as mp
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pymupdf
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import leak_sims  # noqa: E402

_W: dict = {}


def soffice_pdf(docx: bytes, work: Path) -> bytes | None:
    """A DOCX rendered to PDF by LibreOffice (own profile per process), or None."""
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if not exe:
        return None
    work.mkdir(parents=True, exist_ok=True)
    src = work / "page.docx"
    src.write_bytes(docx)
    profile = work / f"lo-profile-{os.getpid()}"
    subprocess.run([exe, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to",
                    "pdf", "--outdir", str(work), str(src)], capture_output=True, timeout=240)
    out = work / "page.pdf"
    return out.read_bytes() if out.exists() else None


def mask_rects(page: pymupdf.Page) -> list[tuple[float, float, float, float]]:
    """Rects (points) of the QR symbol and of every printed code line on the page."""
    from mijian.watermark.codes import find_codes

    rects = []
    for info in page.get_image_info():
        x0, y0, x1, y1 = info["bbox"]
        if 20 < x1 - x0 < 100 and abs((x1 - x0) - (y1 - y0)) < 3:
            rects.append((x0 - 2, y0 - 2, x1 + 2, y1 + 2))
    # a PDF copy draws its QR symbol as vector paths in a form (no image to find): its
    # white square and its modules are the only square paths 30-100 pt wide (the watermark
    # text's glyphs are smaller and not square to a point)
    for kind, (x0, y0, x1, y1) in page.get_bboxlog():
        if kind == "fill-path" and 30 < x1 - x0 < 100 and abs((x1 - x0) - (y1 - y0)) < 1:
            rects.append((x0 - 2, y0 - 2, x1 + 2, y1 + 2))
    for block in page.get_text("dict")["blocks"]:
        for line in block.get("lines", []):
            text = "".join(span["text"] for span in line["spans"])
            if find_codes("".join(text.split())):
                x0, y0, x1, y1 = line["bbox"]
                rects.append((x0 - 2, y0 - 2, x1 + 2, y1 + 2))
    return rects


def master(pdf: bytes, number: int, masked: bool) -> Image.Image:
    """Page ``number`` at 300 dpi, the QR and code lines painted white when ``masked``."""
    with pymupdf.open(stream=pdf, filetype="pdf") as doc:
        page = doc[number % doc.page_count]
        pix = page.get_pixmap(dpi=leak_sims.MASTER_DPI, alpha=False)
        image = Image.frombytes("RGB", (pix.width, pix.height), pix.samples)
        if masked:
            a = np.asarray(image).copy()
            f = leak_sims.MASTER_DPI / 72
            for x0, y0, x1, y1 in mask_rects(page):
                a[max(0, int(y0 * f)):int(y1 * f) + 1, max(0, int(x0 * f)):int(x1 * f) + 1] = 255
            image = Image.fromarray(a)
    return image


def _init(home: str, work: str) -> None:
    os.environ["MIJIAN_HOME"] = home
    from mijian.pipeline.office import Office

    _W["office"] = Office.open(home)
    _W["work"] = Path(work)
    _W["pages"] = {}


def _page(spec: dict, masked: bool) -> Image.Image:
    key = (spec["pdf"], spec["page"], masked)
    if key not in _W["pages"]:
        _W["pages"].clear()
        _W["pages"][key] = master(Path(spec["pdf"]).read_bytes(), spec["page"], masked)
    return _W["pages"][key]


def job_leak(spec: dict) -> dict:
    """Make one leak of one copy's page and trace it."""
    from mijian.pipeline.tracing import trace

    rng = np.random.default_rng(spec["seed"])
    image, how = leak_sims.FORMS[spec["form"]](_page(spec, spec["masked"]), rng)
    path = _W["work"] / f"leak-{os.getpid()}.{'png' if spec['form'] == 'fax' else 'jpg'}"
    if path.suffix == ".png":
        image.save(path)
    else:
        image.convert("RGB").save(path, "JPEG", quality=95)
    if spec.get("save"):
        Path(spec["save"]).parent.mkdir(parents=True, exist_ok=True)
        Image.open(path).save(spec["save"])  # the very pixels traced, losslessly
    t0 = time.perf_counter()
    result = trace(_W["office"], path)
    seconds = time.perf_counter() - t0
    layers = [l.name for l in result.layers if l.verdict in ("valid", "match")]
    reader_seconds = _reader_seconds(image)
    if result.verdict != "identified":
        outcome = "inconclusive"
    else:
        outcome = "right" if result.recipient_id == spec["recipient"] else "wrong"
    return {**spec, "outcome": outcome, "layers": layers, "seconds": seconds, "how": how,
            "reader": reader_seconds}


def _reader_seconds(image: Image.Image) -> float:
    """Seconds the camera-robust fingerprint's reader alone takes on ``image`` under every
    office key (the tracer's share for this layer on one page image)."""
    from mijian.pipeline.issuing import pattern_key
    from mijian.pipeline.screenprint_layer import layer_key
    from mijian.watermark.screenprint import read_keys

    keys = [layer_key(pattern_key(key)) for key in _W["office"].keys()]
    t0 = time.perf_counter()
    read_keys(image, keys)
    return time.perf_counter() - t0


def job_control(spec: dict) -> dict:
    """Make one leak of an unmarked page and read it under every office key."""
    from mijian.pipeline.issuing import pattern_key
    from mijian.pipeline.screenprint_layer import layer_key
    from mijian.watermark.screenprint import read_keys

    rng = np.random.default_rng(spec["seed"])
    image, _how = leak_sims.FORMS[spec["form"]](_page(spec, False), rng)
    office = _W["office"]
    passed, named = 0, 0
    t0 = time.perf_counter()
    for reading in read_keys(image, [layer_key(pattern_key(key)) for key in office.keys()]):
        if reading.number is not None:
            passed += 1
            named += office.register.copy_by_fingerprint(reading.number) is not None
    row = {**spec, "passed": passed, "named": named, "seconds": time.perf_counter() - t0}
    if spec.get("trace"):
        from mijian.pipeline.tracing import trace

        path = _W["work"] / f"control-{os.getpid()}.png"
        image.save(path)
        row["traced"] = trace(office, path).verdict
    return row


def issue_all(drafts: list[Path], home: Path, work: Path) -> list[dict]:
    """Issue every draft to the sample recipients; one entry per copy with its page PDF."""
    env = {**os.environ, "MIJIAN_HOME": str(home), "PYTHONPATH": str(ROOT)}
    copies = []
    for draft in drafts:
        out = work / "copies" / draft.stem
        subprocess.run([sys.executable, "-m", "mijian", "issue", str(draft), "--recipients",
                        str(ROOT / "samples" / "recipients.csv"), "--out", str(out), "--json"],
                       env=env, check=True, capture_output=True, cwd=ROOT)
        from mijian.pipeline.issuing import decrypt_copy

        for row in csv.DictReader((out / "passwords.csv").read_text(encoding="utf-8").splitlines()):
            path = next(out.glob(f"{row['serial']}_*"))
            plain = decrypt_copy(path, row["password"])
            copies.append({"draft": draft.name, "serial": row["serial"], "recipient": row["recipient_id"],
                           "plain": plain, "kind": "docx" if path.suffix == ".docx" else "pdf"})
    return copies


def page_pdf(plain: bytes, kind: str, work: Path, name: str) -> Path | None:
    """The copy (or draft) as a PDF file to render pages from."""
    data = plain if kind == "pdf" else soffice_pdf(plain, work / f"lo-{name}")
    if data is None:
        return None
    path = work / f"{name}.pdf"
    path.write_bytes(data)
    return path


def pages_of(path: Path) -> int:
    with pymupdf.open(path) as doc:
        return doc.page_count


def save_index(out: Path, specs: list[dict], home: Path) -> None:
    """The saved leaks' index in ``crop_probe.py``'s form (file, form, expected recipient,
    with the leak's draft, page and seed) and a copy of the office that issued them."""
    import json

    index = [{"file": Path(s["save"]).name, "form": s["form"] + (".masked" if s["masked"] else ""),
              "expected": s["recipient"], "draft": s["draft"], "page": s["page"], "seed": s["seed"]}
             for s in specs]
    (out / "index.json").write_text(json.dumps(index, indent=1), encoding="utf-8")
    shutil.copytree(home, out / "home", dirs_exist_ok=True)


def print_table(title: str, rows: list[dict], forms: list[str]) -> None:
    print(f"\n{title}")
    print(f"{'leak':<14} {'n':>3} {'right':>5} {'wrong':>5} {'incon':>5} {'rate':>6}  "
          f"{'median s':>8} {'max s':>6} {'reader':>6}  carried by (right verdicts)")
    for form in forms:
        part = [r for r in rows if r["form"] == form]
        if not part:
            continue
        count = Counter(r["outcome"] for r in part)
        carried = Counter(l for r in part if r["outcome"] == "right" for l in r["layers"])
        secs = [r["seconds"] for r in part]
        reader = statistics.median(r["reader"] for r in part)
        print(f"{form:<14} {len(part):>3} {count['right']:>5} {count['wrong']:>5} "
              f"{count['inconclusive']:>5} {count['right'] / len(part):>6.0%}  "
              f"{statistics.median(secs):>8.2f} {max(secs):>6.2f} {reader:>6.2f}  "
              + ", ".join(f"{k} {v}" for k, v in carried.most_common()))


def leak_specs(drafts: list[Path], copies: list[dict], copies_per: int, forms: list[str],
               passes: tuple[bool, ...], rng: np.random.Generator, work: Path) -> list[dict]:
    """One job per traced copy, leak row and pass (as leaked: False, masked: True), seeded."""
    specs = []
    for draft in drafts:
        mine = [c for c in copies if c["draft"] == draft.name][:copies_per]
        for i, c in enumerate(mine):
            pdf = page_pdf(c["plain"], c["kind"], work, f"{draft.stem}-{c['serial']}")
            if pdf is None:
                print(f"note: {draft.name}: no LibreOffice, DOCX copies skipped")
                break
            page = i % pages_of(pdf)
            # a seed is drawn for every row, run or not, so that a run of some rows makes the
            # same leaks of them as a run of all
            for form, seed in [(f, int(rng.integers(1 << 31))) for f in leak_sims.FORMS]:
                if form not in forms:
                    continue
                for masked in passes:
                    specs.append({"draft": draft.name, "serial": c["serial"], "recipient": c["recipient"],
                                  "pdf": str(pdf), "page": page, "form": form, "masked": masked,
                                  "seed": seed})
    return specs


def control_specs(drafts: list[Path], forms: list[str], count: int, traced: int,
                  rng: np.random.Generator, work: Path) -> list[dict]:
    """Unmarked pages of the PDF and DOCX drafts in the leak forms, seeded."""
    sources = []
    for draft in drafts:
        if draft.suffix == ".txt":
            continue
        kind = "pdf" if draft.suffix == ".pdf" else "docx"
        pdf = page_pdf(draft.read_bytes(), kind, work, f"clean-{draft.stem}")
        if pdf is not None:
            sources += [(draft.name, str(pdf), p) for p in range(pages_of(pdf))]
    controls = []
    for i in range(count if sources else 0):
        name, pdf, page = sources[i % len(sources)]
        controls.append({"draft": name, "pdf": pdf, "page": page,
                         "form": forms[(i // len(sources)) % len(forms)],
                         "seed": int(rng.integers(1 << 31)), "trace": i < traced})
    controls.sort(key=lambda s: (s["pdf"], s["page"]))
    return controls


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="one copy per draft, 60 controls")
    ap.add_argument("--copies", type=int, default=3, help="traced copies per draft (full run)")
    ap.add_argument("--controls", type=int, default=1000, help="unmarked controls (full run)")
    ap.add_argument("--trace-controls", type=int, default=20, help="controls also traced whole")
    ap.add_argument("--forms", default=",".join(leak_sims.FORMS), help="leak rows to run")
    ap.add_argument("--drafts", default=str(ROOT / "samples"), help="folder of drafts")
    ap.add_argument("--no-masked", action="store_true", help="skip the masked pass")
    ap.add_argument("--masked-only", action="store_true", help="skip the pass as leaked")
    ap.add_argument("--save", type=Path, metavar="DIR",
                    help="keep every leak image, an index and the office in DIR, for "
                         "crop_probe.py read / trace (the same leaks read by two trees)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--verbose", action="store_true", help="print every failed leak")
    args = ap.parse_args()
    copies_per = 1 if args.quick else args.copies
    n_controls = 60 if args.quick else args.controls
    forms = [f for f in args.forms.split(",") if f]
    drafts = sorted(p for p in Path(args.drafts).iterdir() if p.suffix in (".pdf", ".docx", ".txt"))
    work = Path(tempfile.mkdtemp(prefix="leak-bench-"))
    home = work / "home"
    t0 = time.time()
    print(f"leak benchmark, {time.strftime('%Y-%m-%d %H:%M')}, seed {args.seed}, "
          f"{'quick' if args.quick else 'full'} run, drafts: {', '.join(d.name for d in drafts)}")
    copies = issue_all(drafts, home, work)
    rng = np.random.default_rng(args.seed)
    passes = (True,) if args.masked_only else (False,) if args.no_masked else (False, True)
    specs = leak_specs(drafts, copies, copies_per, forms, passes, rng, work)
    if args.save:
        for i, spec in enumerate(specs):
            spec["save"] = str(args.save / f"{i:03d}.{spec['form']}{'.masked' if spec['masked'] else ''}.png")
    controls = control_specs(drafts, forms, n_controls, args.trace_controls, rng, work)
    print(f"{len(copies)} copies issued in {time.time() - t0:.0f} s; {len(specs)} leaks, "
          f"{len(controls)} controls, {args.workers} workers", flush=True)
    with mp.Pool(args.workers, initializer=_init, initargs=(str(home), str(work))) as pool:
        rows = pool.map(job_leak, specs, chunksize=1)
        crows = pool.map(job_control, controls, chunksize=4)
    print_table("As leaked (every layer)", [r for r in rows if not r["masked"]], forms)
    print_table("QR symbol and printed code masked out", [r for r in rows if r["masked"]], forms)
    for fmt in ("pdf", "docx", "txt"):
        part = [r for r in rows if r["masked"] and r["draft"].endswith(fmt)]
        if part:
            right = sum(r["outcome"] == "right" for r in part)
            print(f"masked, {fmt} drafts: {right}/{len(part)} right")
    named = sum(r["named"] for r in crows)
    passed = sum(r["passed"] for r in crows)
    traced = [r["traced"] for r in crows if "traced" in r]
    print(f"\ncontrols: {len(crows)} unmarked leaks ({', '.join(sorted({r['form'] for r in crows}))}); "
          f"camera-robust reader: {passed} passed the keyed check, {named} named a registered copy "
          f"(false accusations); whole trace on {len(traced)}: "
          f"{sum(v == 'identified' for v in traced)} identified")
    if crows:
        print(f"control read seconds: median {statistics.median(r['seconds'] for r in crows):.2f}, "
              f"max {max(r['seconds'] for r in crows):.2f}")
    wrong = sum(r["outcome"] == "wrong" for r in rows)
    if args.verbose:
        for r in rows:
            if r["outcome"] != "right":
                print(f"  {r['outcome']}: {r['draft']} {r['serial']} p{r['page']} {r['form']}"
                      f"{' masked' if r['masked'] else ''}: {r['how']}")
    print(f"\ntotal {time.time() - t0:.0f} s")
    if args.save:
        save_index(args.save, specs, home)
    shutil.rmtree(work, ignore_errors=True)
    return 1 if (named or wrong or any(v == "identified" for v in traced)) else 0


if __name__ == "__main__":
    sys.exit(main())
