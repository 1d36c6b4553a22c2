"""Excerpts in every extraction order, and phone photos of a paragraph crop: how often they trace.

Usage::

    PYTHONPATH=. python bench/excerpt_bench.py [--recipients 3] [--excerpts 6] [--pages 2]
                                               [--photos 4] [--seed 7] [--quick]
                                               [--drafts NAME ...] [--orders ORDER ...]
                                               [--verbose]

The sample drafts (``samples/*.pdf``, and every text draft of ``samples/`` and
``samples/src/`` issued as PDF; ``--drafts`` picks some of them by file name or stem, or
names other files) are issued with ``mijian issue`` to a few recipients in a fresh
``MIJIAN_HOME``. For every copy, every page (up to ``--pages``) is opened with its
password and its text taken in each extraction order of :data:`ORDERS` (``--orders`` picks
some of them):

- ``mupdf-plain``: PyMuPDF ``page.get_text()`` (MuPDF's order, no sorting);
- ``mupdf-sorted``: ``page.get_text(sort=True)``;
- ``poppler-raw`` / ``poppler-layout`` / ``poppler-default``: ``pdftotext -raw`` /
  ``-layout`` / no option (skipped when ``pdftotext`` is not installed);
- ``viewer``: a browser PDF viewer's selection, approximated as the text items of the page in
  content-stream order (MuPDF's text trace, one item per span), joined by a newline where the
  baseline changes and a space where a gap is left on the line.

From each text, ``--excerpts`` excerpts of 150-200 visible characters start at seeded random
places anywhere in the page text (invisible characters between the first and last come
along, as a selection copies them); each is written as ``.txt`` and traced in-process.
A result is ``right`` when the copy's recipient is named, ``wrong`` when someone else is,
``inconclusive`` otherwise. For photos, ``--photos`` paragraph crops per copy (page render at
200 dpi, a body crop of about a quarter page) are traced as PNG, and each again after
:func:`photo_of` (perspective 3-10 %, uneven light, defocus blur, noise, JPEG).

The tables print per order and language, then crops and photos of crops. The target is
95 % right and no wrong in every row. ``--verbose`` also prints every leak that did not name
its recipient (form, verdict, file name and, for an excerpt, its text).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections import defaultdict
from pathlib import Path

import numpy as np
import pymupdf
from PIL import Image, ImageFilter

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
ORDERS = ("mupdf-plain", "mupdf-sorted", "poppler-raw", "poppler-layout", "poppler-default",
          "viewer")
PDFTOTEXT = shutil.which("pdftotext")
NAMES = ("周立衡", "何振邦", "陈思远", "Helen Marsh", "Daniel Okafor", "欧阳静")


def viewer_text(page: pymupdf.Page) -> str:
    """The page text as a browser viewer's selection gives it: the text items in drawing
    order (one per span of MuPDF's text trace), a newline where the baseline changes and a
    space where a gap of a quarter em or more is left on the line."""
    out: list[str] = []
    last = None  # (x where the previous character ends, its baseline, its size)
    for span in page.get_texttrace():
        size = max(span["size"], 1.0)
        for code, _glyph, origin, bbox in span["chars"]:
            if code <= 0:
                continue
            if last is not None:
                if abs(origin[1] - last[1]) > 0.5 * max(size, last[2]):
                    out.append("\n")
                elif origin[0] - last[0] > 0.25 * size:
                    out.append(" ")
            out.append(chr(code))
            last = (max(bbox[2], origin[0]), origin[1], size)
    return "".join(out)


def order_text(pdf: Path, page: pymupdf.Page, order: str) -> str:
    """The text of ``page`` (of the unencrypted file ``pdf``) in extraction order ``order``."""
    if order == "mupdf-plain":
        return page.get_text()
    if order == "mupdf-sorted":
        return page.get_text(sort=True)
    if order == "viewer":
        return viewer_text(page)
    option = {"poppler-raw": ["-raw"], "poppler-layout": ["-layout"], "poppler-default": []}[order]
    number = str(page.number + 1)
    done = subprocess.run([PDFTOTEXT or "pdftotext", *option, "-enc", "UTF-8", "-f", number,
                           "-l", number, str(pdf), "-"], capture_output=True, timeout=60)
    return done.stdout.decode("utf-8", "replace")


def _visible(ch: str) -> bool:
    return not ch.isspace() and unicodedata.category(ch) != "Cf"


def excerpt(text: str, rng: np.random.Generator, low: int = 150, high: int = 200) -> str:
    """``low``-``high`` visible characters starting at a random visible character of ``text``
    (the whole text when it has fewer)."""
    positions = [i for i, ch in enumerate(text) if _visible(ch)]
    if not positions:
        return text
    want = int(rng.integers(low, high + 1))
    if len(positions) <= want:
        return text[positions[0]:positions[-1] + 1]
    start = int(rng.integers(0, len(positions) - want + 1))
    return text[positions[start]:positions[start + want - 1] + 1]


def photo_of(crop: Image.Image, rng: np.random.Generator, blur: tuple[float, float] = (0.6, 1.4),
             light: bool = True, noise: float = 3.0, quality: tuple[int, int] = (70, 86),
             scale: tuple[float, float] = (0.8, 1.1)) -> Image.Image:
    """A phone photo of a crop: perspective 3-10 %, turn +-4 deg, on a dark table, uneven
    light, defocus blur (Gaussian sigma in ``blur``, px), noise, rescaling, JPEG."""
    grey = crop.convert("L")
    w, h = grey.size
    pad = int(0.12 * max(w, h))
    fw, fh = w + 2 * pad, h + 2 * pad
    skew = rng.uniform(0.03, 0.10)
    corners = np.array([[pad, pad], [pad + w, pad], [pad + w, pad + h], [pad, pad + h]], float)
    corners += rng.uniform(-0.5, 0.5, (4, 2)) * skew * np.array([w, h])
    angle = math.radians(rng.uniform(-4, 4))
    centre = np.array([fw / 2, fh / 2])
    turn = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    corners = (corners - centre) @ turn.T + centre
    source = np.array([[0, 0], [w, 0], [w, h], [0, h]], float)
    rows, rhs = [], []
    for (x, y), (u, v) in zip(corners, source):
        rows += [[x, y, 1, 0, 0, 0, -u * x, -u * y], [0, 0, 0, x, y, 1, -v * x, -v * y]]
        rhs += [u, v]
    coeffs = list(np.linalg.solve(np.array(rows), np.array(rhs)))
    warped = grey.transform((fw, fh), Image.Transform.PERSPECTIVE, coeffs,
                            Image.Resampling.BICUBIC, fillcolor=90)
    sigma = rng.uniform(*blur)
    blurred = warped.filter(ImageFilter.GaussianBlur(sigma)) if sigma > 0 else warped
    a = np.asarray(blurred, np.float32)
    yy, xx = np.mgrid[0:fh, 0:fw].astype(np.float32)
    direction = rng.uniform(0, 2 * math.pi)
    ramp = np.cos(direction) * (xx / fw - 0.5) + np.sin(direction) * (yy / fh - 0.5)
    shade = rng.uniform(0.82, 0.95) * (1.0 + rng.uniform(0.10, 0.25) * ramp)
    shade *= 1.0 - 0.25 * np.clip(((xx / fw - 0.5) ** 2 + (yy / fh - 0.5) ** 2) * 2, 0, 1)
    a = a * (shade if light else 1.0) + rng.normal(0, noise, a.shape).astype(np.float32)
    image = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8)).convert("RGB")
    factor = rng.uniform(*scale)
    image = image.resize((int(fw * factor), int(fh * factor)), Image.Resampling.BILINEAR)
    out = Path(tempfile.mkstemp(suffix=".jpg")[1])
    try:
        image.save(out, "JPEG", quality=int(rng.integers(*quality)), subsampling=2)
        return Image.open(out).convert("RGB")
    finally:
        out.unlink()


def body_crop(page: pymupdf.Page, image: Image.Image, rng: np.random.Generator) -> Image.Image:
    """A paragraph of the body: the page's full text width (at least half the page), about a
    quarter of the page's area, starting at a random body line."""
    lines = [l["bbox"] for b in page.get_text("dict")["blocks"] for l in b.get("lines", [])
             if l["dir"] == (1.0, 0.0) and "".join(s["text"] for s in l["spans"]).strip()
             and 0.09 * page.rect.height < l["bbox"][1] < 0.85 * page.rect.height]
    width, height = page.rect.width, page.rect.height
    x0 = min((l[0] for l in lines), default=0.1 * width) - 6
    x1 = max((l[2] for l in lines), default=0.9 * width) + 6
    w = min(width, max(x1 - x0, 0.5 * width))
    h = min(0.25 * width * height / w, 0.8 * height)
    x0 = min(max(0.0, (x0 + x1 - w) / 2), width - w)
    tops = sorted({round(l[1], 1) for l in lines if l[1] + h <= 0.95 * height}) or [0.1 * height]
    y0 = max(0.0, float(rng.choice(tops)) - 4)
    s = image.width / width
    return image.crop((int(x0 * s), int(y0 * s), int((x0 + w) * s), int(min(y0 + h, height) * s)))


def drafts() -> list[Path]:
    """The sample drafts issued as PDF: the PDFs, and the text drafts of samples/ and src/."""
    found, seen = [], set()
    for path in [*sorted(SAMPLES.glob("*.pdf")), *sorted(SAMPLES.glob("*.txt")),
                 *sorted((SAMPLES / "src").glob("*.txt"))]:
        data = path.read_bytes()
        if data not in seen:
            seen.add(data)
            found.append(path)
    return found


def issue(draft: Path, home: Path, out: Path, recipients: Path) -> list[dict]:
    """Issue ``draft`` with the CLI; every copy with its file, password and recipient."""
    env = dict(os.environ, MIJIAN_HOME=str(home), PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-m", "mijian", "issue", str(draft),
                           "--recipients", str(recipients), "--out", str(out), "--json"],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=600)
    if done.returncode != 0:
        raise SystemExit(f"issuing {draft.name} failed: {done.stderr.strip()}")
    manifest = json.loads(done.stdout)
    with open(out / "passwords.csv", encoding="utf-8") as stream:
        passwords = {row["serial"]: row["password"] for row in csv.DictReader(stream)}
    return [dict(copy, path=out / copy["file"], password=passwords[copy["serial"]])
            for copy in manifest["copies"]]


def pick_drafts(wanted: list[str] | None) -> list[Path]:
    """The drafts of :func:`drafts` named in ``wanted`` (file name or stem), or files given
    by path; every sample draft when ``wanted`` is empty."""
    known = drafts()
    if not wanted:
        return known
    picked = []
    for name in wanted:
        found = [d for d in known if name in (d.name, d.stem)]
        if not found and Path(name).is_file():
            found = [Path(name).resolve()]
        if not found:
            raise SystemExit(f"--drafts: no sample draft {name!r}; "
                             f"known: {', '.join(d.name for d in known)}")
        picked += [d for d in found if d not in picked]
    return picked


def verdict(office, path: Path, expected: str) -> str:
    """right, wrong or inconclusive for one traced leak."""
    from mijian.pipeline.tracing import trace

    result = trace(office, path)
    named = result.recipient_id if result.verdict not in ("inconclusive", "conflict") else None
    if named is None:
        return "inconclusive"
    return "right" if named == expected else "wrong"


def _language(draft: Path, text: str) -> str:
    if draft.name[:3] in ("zh_", "en_"):
        return draft.name[:2]
    return "zh" if any("\u4e00" <= ch <= "\u9fff" for ch in text) else "en"


def _plain(copy: dict, work: Path) -> Path:
    """The copy opened with its password and saved unencrypted (what a reader's tools see)."""
    target = work / (copy["path"].stem + ".plain.pdf")
    with pymupdf.open(copy["path"]) as doc:
        if not doc.authenticate(copy["password"]):
            raise SystemExit(f"{copy['path'].name}: the password from passwords.csv does not open it")
        doc.save(target)
    return target


def _count(office, leak: Path, expected: str, key: tuple[str, str], counts, verbose: bool) -> None:
    """Trace ``leak``, add its verdict to ``counts[key]``; print it when missed and verbose."""
    result = verdict(office, leak, expected)
    counts[key][result] += 1
    if verbose and result != "right":
        text = f" {leak.read_text(encoding='utf-8')!r}" if leak.suffix == ".txt" else ""
        print(f"  {result:<12} {key[0]:<16} {leak.name}{text}", flush=True)


def run_copy(office, copy: dict, draft: Path, work: Path, args, rng, counts) -> None:
    """Trace the excerpts and photos of one copy; add the results to ``counts``."""
    plain = _plain(copy, work)
    expected = copy["recipient_id"]
    with pymupdf.open(plain) as doc:
        language = _language(draft, doc[0].get_text())
        for page in list(doc)[:args.pages]:
            for order in args.orders:
                if order.startswith("poppler") and not PDFTOTEXT:
                    continue
                text = order_text(plain, page, order)
                for i in range(args.excerpts):
                    leak = work / f"{plain.stem}.p{page.number}.{order}.{i}.txt"
                    leak.write_text(excerpt(text, rng), encoding="utf-8")
                    _count(office, leak, expected, (order, language), counts, args.verbose)
        for i in range(args.photos):
            page = doc[i % min(args.pages, doc.page_count)]
            image = page.get_pixmap(dpi=200)
            render = Image.frombytes("RGB", (image.width, image.height), image.samples)
            crop = body_crop(page, render, rng)
            for form, picture in (("crop", crop), ("photo of crop", photo_of(crop, rng))):
                leak = work / f"{plain.stem}.{form.replace(' ', '_')}{i}.png"
                picture.save(leak)
                _count(office, leak, expected, (form, language), counts, args.verbose)


def print_table(counts: dict) -> None:
    """One row per form and language: right / wrong / inconclusive and the rate right."""
    print(f"{'form':<18}{'lang':<6}{'n':>5}{'right':>7}{'wrong':>7}{'incon.':>8}{'rate':>9}")
    for (form, language), tally in sorted(counts.items(), key=lambda kv: (
            (ORDERS + ("crop", "photo of crop")).index(kv[0][0]), kv[0][1])):
        n = sum(tally.values())
        rate = 100.0 * tally["right"] / n if n else 0.0
        print(f"{form:<18}{language:<6}{n:>5}{tally['right']:>7}{tally['wrong']:>7}"
              f"{tally['inconclusive']:>8}{rate:>8.1f}%")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--recipients", type=int, default=3)
    parser.add_argument("--excerpts", type=int, default=6, help="per page and order")
    parser.add_argument("--pages", type=int, default=2)
    parser.add_argument("--photos", type=int, default=4, help="paragraph crops per copy")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="2 recipients, 3 excerpts, 2 photos")
    parser.add_argument("--drafts", nargs="+", metavar="NAME",
                        help="sample drafts by file name or stem, or paths (default: all)")
    parser.add_argument("--orders", nargs="+", choices=ORDERS, default=list(ORDERS),
                        metavar="ORDER", help=f"extraction orders (default: all of {', '.join(ORDERS)})")
    parser.add_argument("--verbose", action="store_true",
                        help="print every leak that did not name its recipient")
    args = parser.parse_args()
    if args.quick:
        args.recipients, args.excerpts, args.photos = 2, 3, 2
    sys.path.insert(0, str(ROOT))
    from mijian.pipeline.office import Office

    rng = np.random.default_rng(args.seed)
    counts: dict = defaultdict(lambda: defaultdict(int))
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="mijian-excerpts-") as tmp:
        work = Path(tmp)
        home = work / "home"
        recipients = work / "recipients.csv"
        recipients.write_text("id,name\n" + "".join(
            f"X{i + 1:03d},{NAMES[i % len(NAMES)]}\n" for i in range(args.recipients)),
            encoding="utf-8")
        for number, draft in enumerate(pick_drafts(args.drafts)):
            copies = issue(draft, home, work / f"out{number}", recipients)
            office = Office.open(home)
            try:
                for copy in copies:
                    run_copy(office, copy, draft, work, args, rng, counts)
            finally:
                office.close()
            print(f"[{time.perf_counter() - started:6.0f}s] {draft.name}: {len(copies)} copies",
                  file=sys.stderr, flush=True)
    if not PDFTOTEXT and any(o.startswith("poppler") for o in args.orders):
        print("pdftotext not found: the poppler orders were skipped")
    print(f"seed {args.seed}, {args.recipients} recipients, {args.excerpts} excerpts per page "
          f"and order, {args.pages} pages, {args.photos} photos per copy; drafts: "
          f"{', '.join(d.name for d in pick_drafts(args.drafts))}; orders: {', '.join(args.orders)}")
    print_table(counts)


if __name__ == "__main__":
    main()
