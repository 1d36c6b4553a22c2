"""Fingerprint readers alone on paragraph crops and phone photos of them, leak for leak.

Usage::

    PYTHONPATH=. python bench/crop_probe.py make OUT [--recipients 3] [--photos 4] [--seed 7]
                                                [--drafts NAME ...] [--controls 40]
    PYTHONPATH=. python bench/crop_probe.py read OUT [--only crop|photo|control]
    PYTHONPATH=. python bench/crop_probe.py trace OUT [--only ...] [--prefix d0.]

``make`` issues the drafts (as ``bench/excerpt_bench.py`` does, in ``OUT/home``), cuts
``--photos`` body crops of about a quarter page per copy from its page renders at 200 dpi,
makes a phone photo of each (:func:`excerpt_bench.photo_of`: perspective 3-10 %, turn up to 4
degrees, uneven light, blur, noise, JPEG) and saves them with the recipient each should name;
it also saves ``--controls`` crops and photos of the unmarked drafts' pages. ``read`` reads
every saved image with the two page fingerprints' readers alone (the dot pattern of
``watermark.pattern`` and the camera-robust marks of ``watermark.screenprint``) under every
office key, looks each number read up in the register, and prints per form right / wrong /
unread, which reader carried each, and the readers' CPU seconds (median, largest). A number
read from a control that the register knows is a false accusation (must be 0); a control
whose number passes a keyed check at all is counted too.

The images are saved once, so readers of two trees compare on the same leaks: run ``read``
with ``PYTHONPATH`` pointing at each tree (and the working directory inside it).

Figures (2026-12-06, ``make OUT --drafts en_report_confidential zh_notice_secret --seed 7
--controls 40``; the images of the first draft were then overwritten by the second's, whose
serials are the same, a fault since fixed by the ``d<N>.`` prefix, so the rows below are 12
crops and 12 photos of ``zh_notice_secret.pdf``, three copies). Right / unread, both readers,
every office key; no wrong recipient anywhere:

============  ==============  ============================================
form          main            with the tilt undone (pattern and screen)
============  ==============  ============================================
crop          12 / 0          12 / 0 (unchanged: the new passes run only
                              when nothing decoded)
photo         3 / 9           7 / 5
control (40)  0 named, 0      0 named, 0 keyed checks passed
              checks passed
============  ==============  ============================================

Readers' process CPU seconds on the 40 controls (median, max; 2 shared cores under a load
of about 20, so compare the columns with each other only): dot pattern 0.43, 1.84 before,
0.88, 2.95 after (the tilt search on every image that decodes nothing); camera-robust marks
1.23, 1.65 before, 1.48, 2.80 after.

``trace`` traces every saved image whole (``pipeline.tracing.trace``, every layer and the
verdict's rule) and prints per image its verdict and process CPU seconds: the figure a user
sees. Figures (2026-12-07, ``make /tmp/probe --drafts en_report_confidential
zh_notice_secret --seed 7 --controls 40``, which issues 4 drafts, ``samples/`` and
``samples/src/``, in the order d0-d3 ``en_report_confidential.pdf``, its ``.txt``,
``zh_notice_secret.pdf``, its ``.txt``, to 3 recipients: 48 crops, 48 photos; ``trace /tmp/probe --only photo``,
main's tree against this one, run side by side on 2 shared cores at a load of 9-16, so CPU
compares between the columns only). Main's run was stopped after 36 of the 48 photos (three
of the four drafts); this tree's runs cover the same 36:

=====================  ==============  ==============================================
photos of crops (36)   main            tilt pass on whole reads, shared tilt search
=====================  ==============  ==============================================
named right            14              19
named wrong            0               0
trace CPU s            5.7 median,     7.6 median, 17.3 largest
                       10.0 largest
=====================  ==============  ==============================================

Five photos went from unread to right, all of ``samples/src/en_report_confidential.txt``
issued as PDF (its 12 photos: 4 → 9 right); none went the other way. On the other drafts
the tilt search found a clear tilt on none of the photos checked (``pattern_tilt.untilted``
on 14 of them: too few windows agree), so the untilted reads never ran there and the extra
CPU is the search itself (about a second a photo, done once for both readers). Blur washing out the faint dots, not
geometry, is what the two unread photos inspected show: their lattices synchronise weakly
(z 4-5.5) and the keyed check fails with 61-72 of 210 bits wrong.
The framing tests ``python -m pytest tests/test_redteam_trace.py -k "quarter or half"``,
4 runs on this tree, each with fresh keys: the flat quarter strip never named B (4 of 4).
Photographed with a 3 % keystone it named B in 1 of the 4 runs, so that test is marked as an
expected failure; whether main's readers do the same is not yet measured (the bands, which
name B first, read the same on both trees). With a 6 % keystone B was named in 1 of 5
traces on this branch and in 1 of 1 on main's readers: A's strip at the page's edge reads
in no view.
Unmarked controls traced whole on this tree
(``trace /tmp/probe --only control --prefix control1``): 11, none named anyone (trace CPU
2.6 s median, 5.0 s largest).

The leaks of ``leak_bench.py`` read here: ``leak_bench.py --quick --masked-only --forms
partial_crop,header_footer,screen_photo --save OUT`` keeps the 21 masked leaks, an index and
the office, and ``read OUT --why`` prints, for every leak not named right, where each reader
gave up. On the run of 2026-12-07 (seed 1):

- partial crops cut from a paper photo (1,100 to 1,700 px strips of a 3,000 px frame): the dot
  pattern's lattice is found at its pitch (8-11 px) but fitted loosely (0.2-0.4 pitch) and the
  pilots synchronise at z 4-5.5, or sync at z 7 and the keyed check fails with 56-72 of 210
  bits wrong (about 1,100 sites on paper: less than one tile); the marks of the camera-robust
  layer read at the amplitude floor (blurred away). Given the right pitch range the dot
  decoder still finds no sync: not a search problem but too few, too blurred readings;
- chat forwards of ``en_memo_secret.docx`` (whole, or with header and footer painted out):
  both readers read the page at 1,080 px before JPEG, neither after the two JPEG passes. The
  camera-robust reader's lattice search put the dot pattern's lattice (4.92 px) first and a
  stray second; the marks' own lattice (5.45 px) had no spectral peak left, yet read when
  tried (pilot z 6.8, 50/210 bits corrected; with header and footer painted out, z 5.1 and
  no number: a quarter fewer tiles). Hence ``lattice.with_companion``, which also named the
  screen photo of ``zh_meeting_internal.docx`` that neither reader named before.
"""

from __future__ import annotations

import argparse
import inspect
import json
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import pymupdf
from PIL import Image

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import excerpt_bench as eb  # noqa: E402  (the bench folder is put on the path just above)


def make(out: Path, args: argparse.Namespace) -> None:
    """Issue the drafts, save the crops, their photos and the controls, and an index."""
    from mijian.pipeline.office import Office  # noqa: F401  (fails early on a wrong PYTHONPATH)

    rng = np.random.default_rng(args.seed)
    out.mkdir(parents=True, exist_ok=True)
    home = out / "home"
    recipients = out / "recipients.csv"
    recipients.write_text("id,name\n" + "".join(
        f"X{i + 1:03d},{eb.NAMES[i % len(eb.NAMES)]}\n" for i in range(args.recipients)), encoding="utf-8")
    index = []
    drafts = eb.pick_drafts(args.drafts)
    for number, draft in enumerate(drafts):
        for copy in eb.issue(draft, home, out / f"out{number}", recipients):
            plain = eb._plain(copy, out)
            with pymupdf.open(plain) as doc:
                for i in range(args.photos):
                    page = doc[i % min(2, doc.page_count)]
                    crop = eb.body_crop(page, _render(page), rng)
                    for form, picture in (("crop", crop), ("photo", eb.photo_of(crop, rng))):
                        name = f"d{number}.{plain.stem}.{form}{i}.png"
                        picture.save(out / name)
                        index.append({"file": name, "form": form, "expected": copy["recipient_id"]})
    for i in range(args.controls):
        draft = drafts[i % len(drafts)]
        with pymupdf.open(_unmarked_pdf(draft, out)) as doc:
            page = doc[i % doc.page_count]
            crop = eb.body_crop(page, _render(page), rng)
            picture = crop if i % 2 else eb.photo_of(crop, rng)
            name = f"control{i}.png"
            picture.save(out / name)
            index.append({"file": name, "form": "control", "expected": None})
    (out / "index.json").write_text(json.dumps(index, indent=1), encoding="utf-8")
    print(f"{len(index)} images in {out}")


def _render(page: pymupdf.Page) -> Image.Image:
    pix = page.get_pixmap(dpi=200)
    return Image.frombytes("RGB", (pix.width, pix.height), pix.samples)


def _unmarked_pdf(draft: Path, out: Path) -> Path:
    """The draft itself when it is a PDF, else the issued plain copy's neighbour: a PDF of the
    draft's text made by MuPDF (no marks of any kind)."""
    if draft.suffix.lower() == ".pdf":
        return draft
    target = out / f"{draft.stem}.unmarked.pdf"
    if not target.exists():
        doc = pymupdf.open()
        page = doc.new_page()
        page.insert_textbox(page.rect + (50, 50, -50, -50), draft.read_text(encoding="utf-8")[:3000],
                            fontname="china-s", fontsize=11)
        doc.save(target)
    return target


def read(out: Path, only: str | None, why: bool = False) -> None:
    """Read every saved image with both readers under every office key; print the table.
    ``why``: after each image not named right, the readers' own notes under the key of the
    office that issued it (where the sync, the tracking or the keyed check gave up)."""
    from mijian.pipeline.issuing import pattern_key
    from mijian.pipeline.office import Office
    from mijian.pipeline.screenprint_layer import layer_key
    from mijian.watermark.pattern import NUMBER_PARAMS, PatternKey, decode, number_from_payload
    from mijian.watermark.screenprint import read_keys

    office = Office.open(out / "home")
    keys = [pattern_key(k) for k in office.keys()]
    # an image read whole asks for the tilt pass, where the tree's decoder has that switch
    whole = {"perspective": True} if "perspective" in inspect.signature(decode).parameters else {}
    tally: dict = defaultdict(lambda: defaultdict(int))
    seconds: dict = defaultdict(list)
    for item in json.loads((out / "index.json").read_text(encoding="utf-8")):
        if only and item["form"] != only:
            continue
        image = Image.open(out / item["file"]).convert("RGB")
        named = set()
        told: dict[str, list[str]] = {}
        for reader in ("pattern", "screen"):
            t0 = time.process_time()
            numbers = []
            if reader == "pattern":
                for key in keys:
                    d = decode(image, PatternKey(key, NUMBER_PARAMS), **whole)
                    told.setdefault(reader, list(d.notes))
                    if d.payload is not None:
                        numbers.append(number_from_payload(d.payload))
            else:
                readings = read_keys(image, [layer_key(k) for k in keys])
                told[reader] = list(readings[0].notes) if readings else []
                numbers = [r.number for r in readings if r.found]
            seconds[reader].append(time.process_time() - t0)
            for n in numbers:
                tally[item["form"]]["check passed"] += 1
                record = office.register.copy_by_fingerprint(n)
                who = record.recipient_id if record else None
                if who is None:
                    continue
                named.add(who)
                tally[item["form"]][f"by {reader}"] += 1
        expected = item["expected"]
        verdict = ("wrong" if named - {expected} else "right" if expected in named else "unread")
        tally[item["form"]][verdict] += 1
        tally[item["form"]]["n"] += 1
        print(f"{item['file']:<48} {verdict}", flush=True)
        if why and verdict != "right" and expected is not None:
            for reader, lines in told.items():
                print(f"    {reader}: " + "\n      ".join(lines))
    office.close()
    for form, t in tally.items():
        print(f"{form:<8} n {t['n']:>3}  right {t['right']:>3}  wrong {t['wrong']:>2}  unread {t['unread']:>3}"
              f"  (pattern {t['by pattern']}, screen {t['by screen']}, check passed {t['check passed']})")
    for reader, s in seconds.items():
        print(f"{reader} reader CPU s: median {statistics.median(s):.2f}, max {max(s):.2f}")


def trace_all(out: Path, only: str | None, prefix: str = "") -> None:
    """Trace every saved image whole (``pipeline.tracing.trace``: every layer, the verdict's
    rule), one process CPU figure per image; print per form right / wrong / unread and the
    CPU seconds (median, largest)."""
    from mijian.pipeline.office import Office
    from mijian.pipeline.tracing import trace

    tally: dict = defaultdict(lambda: defaultdict(int))
    seconds: dict = defaultdict(list)
    with Office.open(out / "home") as office:
        for item in json.loads((out / "index.json").read_text(encoding="utf-8")):
            if (only and item["form"] != only) or not item["file"].startswith(prefix):
                continue
            t0 = time.process_time()
            result = trace(office, out / item["file"])
            seconds[item["form"]].append(time.process_time() - t0)
            who = result.recipient_id if result.verdict == "identified" else None
            verdict = ("wrong" if who and who != item["expected"] else "right" if who else "unread")
            tally[item["form"]][verdict] += 1
            tally[item["form"]]["n"] += 1
            print(f"{item['file']:<48} {verdict} {result.verdict} {seconds[item['form']][-1]:.1f}s", flush=True)
    for form, t in tally.items():
        s = seconds[form]
        print(f"{form:<8} n {t['n']:>3}  right {t['right']:>3}  wrong {t['wrong']:>2}  unread {t['unread']:>3}"
              f"  trace CPU s median {statistics.median(s):.2f}, max {max(s):.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("action", choices=("make", "read", "trace"))
    parser.add_argument("out", type=Path)
    parser.add_argument("--recipients", type=int, default=3)
    parser.add_argument("--photos", type=int, default=4)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--controls", type=int, default=40)
    parser.add_argument("--drafts", nargs="+", metavar="NAME")
    parser.add_argument("--only", help="one form of the index (crop, photo, control, or a leak "
                        "row of leak_bench.py --save, such as partial_crop.masked)")
    parser.add_argument("--why", action="store_true",
                        help="read: print the readers' notes on every image not named right")
    parser.add_argument("--prefix", default="", help="trace: only the images whose names start so (d0. ...)")
    args = parser.parse_args()
    if args.action == "make":
        make(args.out, args)
    elif args.action == "trace":
        trace_all(args.out, args.only, args.prefix)
    else:
        read(args.out, args.only, args.why)


if __name__ == "__main__":
    main()
