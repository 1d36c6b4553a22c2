"""Tracing benchmark: every leak scenario of TRACING.md through ``pipeline.tracing.trace``.

Usage::

    /work/venv/bin/python bench/trace_bench.py            # full run, 8-15 min on 2 cores
    /work/venv/bin/python bench/trace_bench.py --quick    # 2-4 min
    /work/venv/bin/python bench/trace_bench.py --verbose  # also list every failed leak
    /work/venv/bin/python bench/trace_bench.py --help     # sizes, seeds, --no-peer/--no-costs/--keep

Exit status 1 if any control named someone (a false accusation) or any framing named the
colleague it was meant to blame, else 0.

The peer table needs blind_watermark, which is a benchmark-only dependency (never a runtime
one)::

    /work/venv/bin/pip install blind-watermark

Without it the peer table is skipped with a note. DOCX image scenarios need LibreOffice
(``soffice``) to render pages; without it they are skipped with a note.

What it does
------------
In a temporary ``MIJIAN_HOME`` (office A) it issues copies of every sample draft
(``samples/*.pdf``, ``*.docx``, ``*.txt``; Chinese and English) to the recipients of a
generated CSV (12, or 10 with ``--quick``; Chinese and Latin names), each draft's recipients
in a different shuffled order so that a serial never means the same person twice. For a
sample of copies (``--copies-per-doc``, 3 of every draft, one page each, pages rotating) it
makes each leak of TRACING.md and traces it in-process with ``pipeline.tracing.trace``
(``--crops-per-copy`` crops and ``--excerpts-per-copy`` excerpts of that page; one of
everything else):

- ``file``: the encrypted copy as issued; ``decrypted``: opened with its password and saved
  without encryption; ``scrubbed``: decrypted, then the Info dictionary (with every custom
  key) and the XMP removed and the file re-saved with garbage collection (DOCX: the custom
  properties part removed, core properties cleared, re-saved by python-docx);
- ``print_pdf``: every page rasterised at 200 dpi into an image-only PDF;
- ``page_png``: the page at 150 dpi; ``jpeg50`` / ``jpeg30``: that page as JPEG quality 50 /
  30 with 4:2:0 chroma; ``screenshot``: the page at half scale;
- ``crop``: one paragraph region of about a quarter of the page: the width of the text
  column, a height giving a quarter of the page area, its top at a random body line, kept
  inside the body (so it holds neither the marks nor the QR symbol in the margin);
- ``phone``: :func:`pattern_bench.phone_photo` of a 200 dpi printout; ``photocopy``:
  :func:`pattern_bench.photocopy` of a 300 dpi render (parameters in pattern_bench);
- ``pasted``: the page's text (PyMuPDF ``get_text(sort=True)``; DOCX: python-docx paragraph
  text); ``excerpt``: 150-200 visible non-space characters from the middle of it;
- collusion, with a second copy of the same draft: ``avg_images`` (the two page images
  averaged), ``mixed_pages`` (pages alternately from the two decrypted copies in one PDF;
  a one-page draft gives both copies' page), ``mixed_text`` (first half of one pasted page,
  second half of the other's). Correct = names one of the two colluders or is inconclusive;
  wrong = names anyone else. How often the verdict reported several copies is printed.

- framing, with the same second copy: A (the traced copy's holder) leaks a page of their copy
  carrying B's marks (:mod:`framing_bench`: B's QR pasted over A's, A's text without format
  characters and with B's printed code, A's page rasterised with B's metadata token, B's
  printed code as white text or a run of B's text code added, A's top half with B's bottom
  half). Printed: how often B was named (must be 0; exit status 1 otherwise), A was named,
  and each verdict.

DOCX pages are rendered by ``soffice --headless --convert-to pdf`` (own profile per process)
from the decrypted copy; every image leak of a DOCX copy starts from that PDF.

Controls (``--controls``, at least 1,000 in the full run): the unmarked drafts as files and,
page by page, as PNG, JPEG 50/30, screenshot, phone photo, photocopy, print-to-PDF, pasted
text, body crops and random crops (200 px to a quarter page, PNG and JPEG 50) and excerpts;
one copy of every draft issued by another office (office B, its own key, the same recipient
ids) in every leak form, traced against office A; two copies of each other document (the
``samples/src/*.txt`` sources that differ from the drafts, issued by office A to six of the
same recipients in another order) in every leak form, which must name their own copy's
recipient or be inconclusive. A false accusation is any control that names someone (another
recipient, for other documents). Printed: the count (must be 0) and the largest
``false_match_probability`` of any identified result of the whole run.

Peer (blind_watermark 0.4.4, DWT-DCT-SVD): a 48-bit random payload per recipient is embedded
into the unmarked 150 dpi render of the same page of the same draft, then the same attacks
(same random parameters) are applied and decoded. For ``crop`` and ``screenshot`` the tracer
is given the original page and undoes the attack with blind_watermark's own template
matching (``estimate_crop_parameters`` / ``recover_crop``); phone photos, photocopies and
print-to-PDF are scaled back to the page size (the tracer knows it). A decode counts as
correct if its bits are within ``PEER_TOLERANCE`` bits of the recipient's payload and of no
other one, wrong if they are that close to another recipient's, and inconclusive otherwise
(blind_watermark always returns bits). Peer controls: its decoder on every unmarked page
(PNG, JPEG 50, JPEG 30); printed is how often the bits match some registered payload.

``--quick``: 10 recipients, one traced copy per draft (2 crops, 3 excerpts), the peer on one
page per draft format, another office's copies of one draft per format, one other document,
the first page of each unmarked draft, about 300 controls, 10 copies for the issuing cost.

Costs: issuing ``--cost-copies`` (100) copies of a 20-page PDF made by repeating sample pages,
with every layer and encryption (library ``issue``, default workers); trace time per leak
form of that 20-page copy; trace time of the same leaks against that register (100 copies)
and against a copy of it with ``--big-register`` (100,000) synthetic issued copies inserted
by SQL (random valid-looking copy ids; the event log is not extended, so ``register verify``
would refuse that copy, which is never used for anything else).

Visual (``bench/out/``): the first page of ``zh_notice_secret.pdf`` at 150 dpi without marks,
with only the invisible layers (text code: it draws nothing; page fingerprint composited with
``watermark.pattern.apply_to_image``), and with every layer (a copy as issued); SSIM (numpy,
7x7 Gaussian window, sigma 1.5, grey) between the first two, both box-downsampled to 75 dpi;
and the mean luminance of a blank page issued with every layer.

Times: wall and CPU seconds of each ``trace`` call, measured in the worker that made it (two
workers on two cores). The importable source (pipeline, watermark, classifiers, keywords and
pattern_bench) is copied to a temporary folder at start and every process of the run uses
that copy, so a file edited while the benchmark runs cannot mix two versions; the header
names the commit it was taken from.
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import multiprocessing
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
import unicodedata
import zipfile
from collections import Counter, defaultdict
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from pathlib import Path

import numpy as np
import pymupdf
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
SOURCE_ENV = "MIJIAN_BENCH_SOURCE"
SOURCE_PARTS = ("pipeline", "watermark", "classifiers", "keywords", "bench/pattern_bench.py",
                "bench/framing_bench.py")


def source_state() -> str:
    """The commit the source snapshot was taken from, and which of its files were modified."""
    if os.environ.get(SOURCE_ENV + "_STATE"):
        return os.environ[SOURCE_ENV + "_STATE"]
    try:
        head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--", "pipeline", "watermark",
                                "classifiers", "keywords", "bench/pattern_bench.py",
                                "bench/framing_bench.py"], capture_output=True,
                               text=True, timeout=10).stdout.splitlines()
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    names = [line[3:] for line in dirty]
    return head + (f" with uncommitted changes in {', '.join(names)}" if names else " (clean)")


def _snapshot() -> str:
    """Copy the importable source to a temporary folder, so that the whole run (this process,
    the issuing workers and the tracing workers) uses one version even if files change
    while it runs."""
    os.environ[SOURCE_ENV + "_STATE"] = source_state()
    target = Path(tempfile.mkdtemp(prefix="mijian-bench-src-"))
    for part in SOURCE_PARTS:
        src = ROOT / part
        if src.is_dir():
            shutil.copytree(src, target / part, ignore=shutil.ignore_patterns("__pycache__"))
        elif src.exists():
            (target / part).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target / part)
    return str(target)


if __name__ == "__main__" and not os.environ.get(SOURCE_ENV):
    os.environ[SOURCE_ENV] = _snapshot()
SOURCE = Path(os.environ.get(SOURCE_ENV) or ROOT)
sys.path.insert(0, str(SOURCE))
sys.path.insert(0, str(SOURCE / "bench"))

import framing_bench as fb  # noqa: E402  (the framing leaks)
import pattern_bench as pb  # noqa: E402  (the attack simulations)

SAMPLES = ROOT / "samples"
OUT = ROOT / "bench" / "out"
PEER_BITS = 48
PEER_TOLERANCE = 2
"""Bits a blind_watermark decode may differ from a payload and still count as that payload.
A random 48-bit word lands that close to one of 12 payloads with probability about 5e-11."""
PRINT_DPI = 200
PAGE_DPI = 150
NAMES = ["周立衡", "何振邦", "陈思远", "林若岚", "王立诚", "赵敏华",
         "Alistair Whitcombe", "Helen Marsh", "Daniel Okafor", "Priya Anand", "欧阳静", "Mark O'Neill"]
SCENARIOS = ("file", "decrypted", "scrubbed", "print_pdf", "page_png", "jpeg50", "jpeg30",
             "screenshot", "crop", "phone", "photocopy", "pasted", "excerpt")
IMAGE_SCENARIOS = ("print_pdf", "page_png", "jpeg50", "jpeg30", "screenshot", "crop", "phone",
                   "photocopy")
COLLUSION = ("avg_images", "mixed_pages", "mixed_text")
PEER_SCENARIOS = ("page_png", "jpeg50", "jpeg30", "screenshot", "crop", "phone", "photocopy",
                  "print_pdf", "avg_images")


def log(message: str) -> None:
    """Progress on stderr (stdout keeps the tables)."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- leak forms

def render(page: pymupdf.Page, dpi: int) -> Image.Image:
    """A page as an RGB image."""
    return pb.render(page, dpi)


def save_jpeg(image: Image.Image, path: Path, quality: int) -> None:
    """A real JPEG file, 4:2:0 chroma."""
    image.convert("RGB").save(path, "JPEG", quality=quality, subsampling=2)


def image_pdf(images: list[Image.Image], sizes: list[tuple[float, float]]) -> bytes:
    """An image-only PDF: each image fills a page of the given size in points."""
    out = pymupdf.open()
    for image, (w, h) in zip(images, sizes):
        page = out.new_page(width=w, height=h)
        buf = io.BytesIO()
        image.convert("RGB").save(buf, "PNG")
        page.insert_image(page.rect, stream=buf.getvalue(), keep_proportion=False)
    data = out.tobytes(garbage=3, deflate=True)
    out.close()
    return data


def print_to_pdf(doc: pymupdf.Document, max_pages: int = 20) -> bytes:
    """Every page rasterised at PRINT_DPI into an image-only PDF."""
    pages = range(min(doc.page_count, max_pages))
    return image_pdf([render(doc[i], PRINT_DPI) for i in pages],
                     [(doc[i].rect.width, doc[i].rect.height) for i in pages])


def scrub_pdf(plain: bytes) -> bytes:
    """Strip the Info dictionary (every key) and XMP, re-save with garbage collection."""
    doc = pymupdf.open(stream=plain, filetype="pdf")
    doc.set_metadata({})
    doc.xref_set_key(-1, "Info", "null")
    doc.del_xml_metadata()
    data = doc.tobytes(garbage=4, clean=True, deflate=True)
    doc.close()
    return data


def scrub_docx(plain: bytes) -> bytes:
    """Remove the custom properties part (and its relationship and content type), clear the
    core properties and re-save through python-docx."""
    import docx
    from lxml import etree

    zin = zipfile.ZipFile(io.BytesIO(plain))
    rels = etree.fromstring(zin.read("_rels/.rels"))
    custom = []
    for rel in list(rels):
        if rel.get("Type", "").endswith("/custom-properties"):
            custom.append(rel.get("Target", "").lstrip("/"))
            rels.remove(rel)
    types = etree.fromstring(zin.read("[Content_Types].xml"))
    for item in list(types):
        if item.get("PartName", "").lstrip("/") in custom:
            types.remove(item)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename in custom:
                continue
            data = zin.read(info.filename)
            if info.filename == "_rels/.rels":
                data = etree.tostring(rels, xml_declaration=True, encoding="UTF-8", standalone=True)
            elif info.filename == "[Content_Types].xml":
                data = etree.tostring(types, xml_declaration=True, encoding="UTF-8", standalone=True)
            zout.writestr(info.filename, data)
    document = docx.Document(io.BytesIO(buf.getvalue()))
    core = document.core_properties
    for name in ("author", "category", "comments", "content_status", "identifier", "keywords",
                 "last_modified_by", "subject", "title", "version"):
        setattr(core, name, "")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def docx_text(data: bytes) -> str:
    """The paragraph text python-docx gives (what a reader pastes out of Word)."""
    import docx

    return "\n".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs)


def _visible(ch: str) -> bool:
    return not ch.isspace() and unicodedata.category(ch) != "Cf"


def excerpt(text: str, rng: np.random.Generator) -> str:
    """150-200 visible non-space characters from the middle of ``text`` (what is selected
    on screen; invisible characters inside the selection come along)."""
    positions = [i for i, ch in enumerate(text) if _visible(ch)]
    if not positions:
        return text
    want = int(rng.integers(150, 201))
    if len(positions) <= want:
        return text[positions[0]:positions[-1] + 1]
    middle = (len(positions) - want) // 2
    jitter = max(1, (len(positions) - want) // 6)
    start = int(np.clip(middle + rng.integers(-jitter, jitter + 1), 0, len(positions) - want))
    return text[positions[start]:positions[start + want - 1] + 1]


def body_crop(page: pymupdf.Page, image: Image.Image, rng: np.random.Generator) -> Image.Image:
    """One paragraph region of about a quarter of the page, taken from the body text."""
    width_pt, height_pt = page.rect.width, page.rect.height
    lines = []
    for block in page.get_text("dict", flags=0)["blocks"]:
        for line in block.get("lines", []):
            if abs(line["dir"][0] - 1.0) > 1e-3 or abs(line["dir"][1]) > 1e-3:
                continue
            if not "".join(s["text"] for s in line["spans"]).strip():
                continue
            x0, y0, x1, y1 = line["bbox"]
            if y0 < 0.09 * height_pt or y1 > 0.88 * height_pt:
                continue
            lines.append((x0, y0, x1, y1))
    if len(lines) < 2:
        return pb.quarter_crop(image, rng)
    bx0 = max(0.0, min(l[0] for l in lines) - 6)
    bx1 = min(width_pt, max(l[2] for l in lines) + 6)
    by0 = min(l[1] for l in lines) - 4
    by1 = max(l[3] for l in lines) + 4
    w = min(width_pt, max(bx1 - bx0, 0.5 * width_pt))
    h = min(0.25 * width_pt * height_pt / w, 0.85 * height_pt)
    x0 = min(max(0.0, (bx0 + bx1) / 2 - w / 2), width_pt - w)
    lowest = max(by0, by1 - h)  # the window stays inside the body where it can
    tops = sorted({round(l[1], 1) for l in lines if l[1] - 4 <= lowest}) or [by0]
    y0 = min(max(float(rng.choice(tops)) - 4, 0.0), max(0.0, min(lowest, 0.9 * height_pt - h)))
    s = image.width / width_pt
    box = (int(x0 * s), int(y0 * s), int((x0 + w) * s), int((y0 + h) * s))
    return image.crop(box)


def random_crop(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    """A random window from 200 x 200 px up to half the width and half the height."""
    w = int(rng.uniform(200, image.width / 2))
    h = int(rng.uniform(200, image.height / 2))
    x0 = int(rng.uniform(0, image.width - w))
    y0 = int(rng.uniform(0, image.height - h))
    return image.crop((x0, y0, x0 + w, y0 + h))


def mix_text(a: str, b: str) -> str:
    """First half of ``a``'s lines, then the second half of ``b``'s."""
    la, lb = a.splitlines(), b.splitlines()
    return "\n".join(la[: len(la) // 2] + lb[len(lb) // 2:])


def soffice_pdf(docx_bytes: bytes, workdir: Path) -> bytes | None:
    """The DOCX rendered to PDF by LibreOffice (its own profile per process), or None."""
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if not exe:
        return None
    workdir.mkdir(parents=True, exist_ok=True)
    src = workdir / "render.docx"
    src.write_bytes(docx_bytes)
    profile = Path(_W.get("profiles") or tempfile.gettempdir()) / f"mijian-bench-lo-{os.getpid()}"
    try:
        subprocess.run([exe, f"-env:UserInstallation=file://{profile}", "--headless",
                        "--convert-to", "pdf", "--outdir", str(workdir), str(src)],
                       capture_output=True, timeout=180, check=False)
    except (subprocess.TimeoutExpired, OSError):
        return None
    out = workdir / "render.pdf"
    if not out.exists():
        return None
    data = out.read_bytes()
    out.unlink()
    src.unlink()
    return data


# ---------------------------------------------------------------- worker side

_W: dict = {}


def import_peer():
    """blind_watermark, or None. Its import calls ``multiprocessing.set_start_method('fork')``,
    which fails in a spawned worker; that call is skipped (the peer runs in one process)."""
    original = multiprocessing.set_start_method
    multiprocessing.set_start_method = lambda *a, **k: None  # type: ignore[assignment]
    try:
        import blind_watermark
        from blind_watermark import bw_notes

        bw_notes.close()
        return blind_watermark
    except ImportError:
        return None
    finally:
        multiprocessing.set_start_method = original  # type: ignore[assignment]


def _init_worker(config: dict) -> None:
    _W["config"] = config
    _W["offices"] = {}
    _W["profiles"] = config.get("profiles")
    if config.get("peer"):
        import_peer()


def _office(home: str):
    from mijian.pipeline.office import Office

    if home not in _W["offices"]:
        _W["offices"][home] = Office.open(home)
    return _W["offices"][home]


def trace_row(home: str, path: Path) -> dict:
    """Trace one leak in-process; the verdict, who is named, timings and layer notes."""
    from mijian.pipeline.tracing import trace

    office = _office(home)
    t0, c0 = time.perf_counter(), time.process_time()
    try:
        result = trace(office, path)
    except Exception as exc:  # a crash on a leak is itself a finding
        return {"verdict": "error", "named": None, "copy": None, "fmp": None,
                "secs": time.perf_counter() - t0, "cpu": time.process_time() - c0, "several": False,
                "layers": f"{type(exc).__name__}: {str(exc)[:160]}"}
    secs, cpu = time.perf_counter() - t0, time.process_time() - c0
    several = any(l.name == "fusion" and l.verdict == "several copies" for l in result.layers)
    points = [p.recipient_id for p in getattr(result, "points_to", ())]
    layers = "; ".join(f"{l.name}={l.verdict}" for l in result.layers)
    return {"verdict": result.verdict, "named": result.recipient_id if result.verdict == "identified" else None,
            "copy": result.copy_id, "fmp": result.false_match_probability, "secs": secs, "cpu": cpu,
            "several": several, "layers": layers, "points": points}


class Leaks:
    """The leak forms of one copy (or unmarked draft): plain bytes, page PDF, page renders."""

    def __init__(self, kind: str, plain: bytes, page_pdf: bytes | None, page: int):
        self.kind = kind  # "pdf" or "docx" (the copy's format)
        self.plain = plain
        self.pdf = pymupdf.open(stream=page_pdf, filetype="pdf") if page_pdf else None
        self.page = min(page, self.pdf.page_count - 1) if self.pdf else 0
        self._cache: dict = {}

    def render(self, dpi: int) -> Image.Image:
        if dpi not in self._cache:
            self._cache[dpi] = render(self.pdf[self.page], dpi)
        return self._cache[dpi]

    def pasted(self) -> str:
        if self.kind == "docx":
            return docx_text(self.plain)
        return self.pdf[self.page].get_text(sort=True)


def make_forms(leaks: Leaks, work: Path, rng: np.random.Generator, wanted: tuple[str, ...],
               issued: Path | None = None) -> dict[str, Path]:
    """Write the leak files of ``wanted`` scenarios; returns scenario -> path."""
    ext = ".docx" if leaks.kind == "docx" else ".pdf"
    out: dict[str, Path] = {}

    def put(name: str, data: bytes, suffix: str) -> None:
        path = work / f"{name}{suffix}"
        path.write_bytes(data)
        out[name] = path

    def img(name: str, image: Image.Image) -> None:
        path = work / f"{name}.png"
        image.save(path)
        out[name] = path

    for name in wanted:
        if name == "file" and issued is not None:
            out[name] = issued
        elif name == "decrypted":
            put(name, leaks.plain, ext)
        elif name == "scrubbed":
            put(name, scrub_docx(leaks.plain) if leaks.kind == "docx" else scrub_pdf(leaks.plain), ext)
        elif name in ("pasted", "excerpt"):
            text = leaks.pasted()
            put(name, (text if name == "pasted" else excerpt(text, rng)).encode("utf-8"), ".txt")
        elif leaks.pdf is None:
            continue  # image forms of a DOCX without LibreOffice
        elif name == "print_pdf":
            put(name, print_to_pdf(leaks.pdf), ".pdf")
        elif name == "page_png":
            img(name, leaks.render(PAGE_DPI))
        elif name in ("jpeg50", "jpeg30"):
            path = work / f"{name}.jpg"
            save_jpeg(leaks.render(PAGE_DPI), path, int(name[-2:]))
            out[name] = path
        elif name == "screenshot":
            img(name, pb.screenshot(leaks.render(PAGE_DPI)))
        elif name == "crop":
            img(name, body_crop(leaks.pdf[leaks.page], leaks.render(PAGE_DPI), rng))
        elif name == "phone":
            img(name, pb.phone_photo(leaks.render(PRINT_DPI), PRINT_DPI, rng))
        elif name == "photocopy":
            img(name, pb.photocopy(leaks.render(300), rng))
    return out


def _copy_leaks(spec: dict, work: Path) -> Leaks:
    """Decrypt a copy and, for DOCX, render it with LibreOffice."""
    from mijian.pipeline.issuing import decrypt_copy

    plain = decrypt_copy(Path(spec["file"]), spec["password"])
    if spec["kind"] == "docx":
        return Leaks("docx", plain, soffice_pdf(plain, work / "lo"), spec["page"])
    return Leaks("pdf", plain, plain, spec["page"])


def job_copy(spec: dict) -> list[dict]:
    """Every leak scenario of one copy, traced against office A."""
    work = Path(spec["work"])
    work.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(spec["seed"])
    leaks = _copy_leaks(spec, work)
    forms = make_forms(leaks, work, rng, spec["scenarios"], issued=Path(spec["file"]))
    base = {"group": spec["group"], "doc": spec["doc"], "kind": spec["draft_kind"],
            "expected": spec["recipient"], "expected_copy": spec["copy_id"]}
    extra: list[tuple[str, Path]] = []  # more crops and excerpts of the same page, same rng after the first
    for i in range(1, spec.get("crops", 1)):
        if leaks.pdf is not None:
            path = work / f"crop{i}.png"
            body_crop(leaks.pdf[leaks.page], leaks.render(PAGE_DPI), rng).save(path)
            extra.append(("crop", path))
    for i in range(1, spec.get("excerpts", 1)):
        path = work / f"excerpt{i}.txt"
        path.write_text(excerpt(leaks.pasted(), rng), encoding="utf-8")
        extra.append(("excerpt", path))
    out = []
    for scenario in spec["scenarios"]:
        if scenario not in forms:
            out.append(dict(base, scenario=scenario, skipped="no LibreOffice render"))
            continue
        out.append(dict(base, scenario=scenario, **trace_row(spec["home"], forms[scenario])))
    for scenario, path in extra:
        out.append(dict(base, scenario=scenario, **trace_row(spec["home"], path)))
    shutil.rmtree(work, ignore_errors=True)
    return out


def job_collusion(spec: dict) -> list[dict]:
    """Two copies of one draft combined: averaged images, mixed pages, mixed text."""
    work = Path(spec["work"])
    work.mkdir(parents=True, exist_ok=True)
    a = _copy_leaks(spec["a"], work / "a")
    b = _copy_leaks(spec["b"], work / "b")
    base = {"group": "collusion", "doc": spec["a"]["doc"], "kind": spec["a"]["draft_kind"],
            "expected": spec["a"]["recipient"], "partner": spec["b"]["recipient"],
            "expected_copy": spec["a"]["copy_id"]}
    out = []
    if a.pdf is not None and b.pdf is not None:
        ia, ib = a.render(PAGE_DPI), b.render(PAGE_DPI)
        if ia.size == ib.size:
            mean = (np.asarray(ia, np.float32) + np.asarray(ib, np.float32)) / 2
            path = work / "avg_images.png"
            Image.fromarray(np.clip(np.round(mean), 0, 255).astype(np.uint8)).save(path)
            out.append(dict(base, scenario="avg_images", **trace_row(spec["home"], path)))
        mixed = pymupdf.open()
        if a.pdf.page_count >= 2 and a.pdf.page_count == b.pdf.page_count:
            for number in range(a.pdf.page_count):
                mixed.insert_pdf(a.pdf if number % 2 == 0 else b.pdf, from_page=number, to_page=number)
        else:
            mixed.insert_pdf(a.pdf, from_page=a.page, to_page=a.page)
            mixed.insert_pdf(b.pdf, from_page=b.page, to_page=b.page)
        path = work / "mixed_pages.pdf"
        mixed.save(path)
        out.append(dict(base, scenario="mixed_pages", **trace_row(spec["home"], path)))
    else:
        out.append(dict(base, scenario="avg_images", skipped="no LibreOffice render"))
        out.append(dict(base, scenario="mixed_pages", skipped="no LibreOffice render"))
    path = work / "mixed_text.txt"
    path.write_text(mix_text(a.pasted(), b.pasted()), encoding="utf-8")
    out.append(dict(base, scenario="mixed_text", **trace_row(spec["home"], path)))
    shutil.rmtree(work, ignore_errors=True)
    return out


def job_framing(spec: dict) -> list[dict]:
    """A leaks a page of their copy carrying B's marks (:mod:`framing_bench`): B must never be
    named."""
    work = Path(spec["work"])
    work.mkdir(parents=True, exist_ok=True)
    leaks = {}
    for side in ("a", "b"):
        copy = _copy_leaks(spec[side], work / side)
        image = copy.render(PAGE_DPI) if copy.pdf is not None else None
        size = (copy.pdf[copy.page].rect.width, copy.pdf[copy.page].rect.height) if copy.pdf else (0, 0)
        leaks[side] = fb.material(spec[side]["kind"], copy.plain, image, size, copy.pasted(),
                                  work / side / "material")
    base = {"group": "framing", "doc": spec["a"]["doc"], "kind": spec["a"]["draft_kind"],
            "expected": spec["a"]["recipient"], "partner": spec["b"]["recipient"],
            "expected_copy": spec["a"]["copy_id"]}
    out = []
    for name in fb.FRAMINGS:
        path = fb.make(name, leaks["a"], leaks["b"], work / name)
        if path is None:
            out.append(dict(base, scenario=name, skipped="nothing of B's to move, or no page render"))
            continue
        out.append(dict(base, scenario=name, **trace_row(spec["home"], path)))
    shutil.rmtree(work, ignore_errors=True)
    return out


def job_unmarked(spec: dict) -> list[dict]:
    """One page of an unmarked draft in every form, plus crops and excerpts; and the peer's
    decoder on the same page."""
    work = Path(spec["work"])
    work.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(spec["seed"])
    clean = Path(spec["clean_pdf"]).read_bytes()
    plain = Path(spec["draft"]).read_bytes() if spec["kind"] == "docx" else clean
    leaks = Leaks(spec["kind"], plain, clean, spec["page"])
    if spec["kind"] == "txt":
        leaks.kind = "pdf"
    wanted = tuple(s for s in SCENARIOS if s not in ("file", "decrypted", "scrubbed"))
    forms = make_forms(leaks, work, rng, wanted)
    if spec["kind"] == "txt":  # pasted text of a text draft is the draft's own text
        forms["pasted"].write_text(Path(spec["draft"]).read_text(encoding="utf-8"), encoding="utf-8")
    items = list(forms.items())
    page = leaks.render(PAGE_DPI)
    text = leaks.pasted() if spec["kind"] != "txt" else Path(spec["draft"]).read_text(encoding="utf-8")
    for i in range(spec["crops"]):
        kind = i % 4
        image = body_crop(leaks.pdf[leaks.page], page, rng) if kind == 0 else random_crop(page, rng)
        if kind in (1, 3):
            path = work / f"crop{i}.jpg"
            save_jpeg(image, path, 50)
            items.append(("crop_jpeg", path))
        else:
            path = work / f"crop{i}.png"
            image.save(path)
            items.append(("crop", path))
    for i in range(spec["excerpts"]):
        path = work / f"excerpt{i}.txt"
        path.write_text(excerpt(text, rng), encoding="utf-8")
        items.append(("excerpt", path))
    base = {"group": "control-unmarked", "doc": spec["doc"], "kind": spec["kind"], "expected": None}
    out = [dict(base, scenario=name, **trace_row(spec["home"], path)) for name, path in items]
    if spec.get("peer"):
        out.extend(peer_controls(page, spec))
    shutil.rmtree(work, ignore_errors=True)
    return out


def job_file(spec: dict) -> list[dict]:
    """An unmarked draft file as it is."""
    return [{"group": "control-unmarked", "doc": spec["doc"], "kind": spec["kind"], "expected": None,
             "scenario": "file", **trace_row(spec["home"], Path(spec["draft"]))}]


# ---------------------------------------------------------------- peer (blind_watermark)

def _bgr(image: Image.Image) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(image.convert("RGB"))[..., ::-1])


def _rgb(array: np.ndarray) -> Image.Image:
    return Image.fromarray(np.clip(np.round(array), 0, 255).astype(np.uint8)[..., ::-1].copy(), "RGB")


def peer_embed(page: Image.Image, bits: np.ndarray) -> Image.Image:
    from blind_watermark import WaterMark

    wm = WaterMark(password_wm=1, password_img=1)
    wm.read_img(img=_bgr(page).astype(np.float32))
    wm.read_wm(bits.copy(), mode="bit")
    return _rgb(wm.embed())


def peer_extract(image: Image.Image | np.ndarray) -> np.ndarray:
    from blind_watermark import WaterMark

    array = _bgr(image) if isinstance(image, Image.Image) else image
    wm = WaterMark(password_wm=1, password_img=1)
    return np.asarray(wm.extract(embed_img=array, wm_shape=PEER_BITS, mode="bit"), bool)


def peer_undo(leak: Image.Image, original: Image.Image, scale: tuple[float, float]) -> np.ndarray:
    """Undo a crop or rescale with the original page (blind_watermark's template matching)."""
    from blind_watermark.recover import estimate_crop_parameters, recover_crop

    ori = np.asarray(original.convert("L"))
    tem = np.asarray(leak.convert("L"))
    loc, shape, _score, _scale = estimate_crop_parameters(ori_img=ori, tem_img=tem, scale=scale,
                                                           search_num=40)
    return recover_crop(tem_img=_bgr(leak), loc=loc, image_o_shape=shape).astype(np.float32)


def peer_match(bits: np.ndarray, payloads: dict[str, np.ndarray]) -> str | None:
    """The recipient whose payload the bits are within PEER_TOLERANCE of (uniquely), or None."""
    close = [rid for rid, p in payloads.items() if int(np.count_nonzero(p != bits)) <= PEER_TOLERANCE]
    return close[0] if len(close) == 1 else None


def _peer_payloads(config: dict) -> dict[str, np.ndarray]:
    return {rid: np.array(bits, bool) for rid, bits in config["peer_payloads"].items()}


def job_peer(spec: dict) -> list[dict]:
    """blind_watermark on the same page, the same attacks (same random parameters)."""
    rng = np.random.default_rng(spec["seed"])
    payloads = _peer_payloads(_W["config"])
    clean = pymupdf.open(spec["clean_pdf"])
    number = min(spec["page"], clean.page_count - 1)
    page = clean[number]
    original = render(page, PAGE_DPI)
    size = original.size
    t0 = time.perf_counter()
    marked = peer_embed(original, payloads[spec["recipient"]])
    embed_secs = time.perf_counter() - t0
    partner = peer_embed(original, payloads[spec["partner"]])

    def upscale(image: Image.Image, dpi: int) -> Image.Image:  # the marked raster, printed
        return image.resize((round(size[0] * dpi / PAGE_DPI), round(size[1] * dpi / PAGE_DPI)),
                            Image.Resampling.BICUBIC)

    def printed_pdf(image: Image.Image) -> Image.Image:
        data = image_pdf([image], [(page.rect.width, page.rect.height)])
        with pymupdf.open(stream=data, filetype="pdf") as doc:
            return render(doc[0], PRINT_DPI)

    # same order of random draws as make_forms: crop, then phone, then photocopy
    attacks = {
        "page_png": lambda: marked,
        "jpeg50": lambda: pb.jpeg(marked, 50),
        "jpeg30": lambda: pb.jpeg(marked, 30),
        "screenshot": lambda: ("undo", pb.screenshot(marked), (1.6, 2.4)),
        "crop": lambda: ("undo", body_crop(page, marked, rng), (1.0, 1.0)),
        "phone": lambda: pb.phone_photo(upscale(marked, PRINT_DPI), PRINT_DPI, rng).resize(size),
        "photocopy": lambda: pb.photocopy(upscale(marked, 300), rng).convert("RGB").resize(size),
        "print_pdf": lambda: printed_pdf(marked).resize(size),
        "avg_images": lambda: Image.fromarray(np.clip(np.round(
            (np.asarray(marked, np.float32) + np.asarray(partner, np.float32)) / 2), 0, 255).astype(np.uint8)),
    }
    out = []
    order = ["page_png", "jpeg50", "jpeg30", "screenshot", "crop", "phone", "photocopy", "print_pdf",
             "avg_images"]
    for name in order:
        leak = attacks[name]()
        t, c = time.perf_counter(), time.process_time()
        if isinstance(leak, tuple):
            _, image, scale = leak
            bits = peer_extract(peer_undo(image, original, scale))
        else:
            bits = peer_extract(leak)
        secs, cpu = time.perf_counter() - t, time.process_time() - c
        named = peer_match(bits, payloads)
        if name == "avg_images":
            good = {spec["recipient"], spec["partner"]}
            outcome = "inconclusive" if named is None else ("correct" if named in good else "wrong")
        else:
            outcome = "inconclusive" if named is None else (
                "correct" if named == spec["recipient"] else "wrong")
        out.append({"group": "peer", "scenario": name, "doc": spec["doc"], "kind": spec["draft_kind"],
                    "outcome": outcome, "secs": secs, "cpu": cpu, "embed_secs": embed_secs,
                    "exact": bool(np.array_equal(bits, payloads[spec["recipient"]]))})
    clean.close()
    return out


def peer_controls(page: Image.Image, spec: dict) -> list[dict]:
    """blind_watermark's decoder on an unmarked page (PNG, JPEG 50, JPEG 30)."""
    payloads = _peer_payloads(_W["config"])
    out = []
    forms = {"page_png": lambda: page, "jpeg50": lambda: pb.jpeg(page, 50), "jpeg30": lambda: pb.jpeg(page, 30)}
    for name in spec["peer"]:
        image = forms[name]()
        t = time.perf_counter()
        bits = peer_extract(image)
        secs = time.perf_counter() - t
        named = peer_match(bits, payloads)
        out.append({"group": "peer-control", "scenario": name, "doc": spec["doc"], "kind": spec["kind"],
                    "outcome": "match" if named else "none", "secs": secs,
                    "ones": int(bits.sum())})
    return out


JOBS = {"copy": job_copy, "collusion": job_collusion, "framing": job_framing, "unmarked": job_unmarked,
        "file": job_file, "peer": job_peer}


def run_job(kind: str, spec: dict) -> list[dict]:
    try:
        return JOBS[kind](spec)
    except Exception:
        return [{"group": "job-error", "scenario": kind, "doc": spec.get("doc"),
                 "error": traceback.format_exc(limit=6)}]


# ---------------------------------------------------------------- main side: issuing

def make_recipients(path: Path, count: int, prefix: str = "T") -> list[tuple[str, str]]:
    rows = []
    for i in range(count):
        name = NAMES[i % len(NAMES)] + ("" if i < len(NAMES) else f" {i // len(NAMES) + 1}")
        rows.append((f"{prefix}{i + 1:03d}", name))
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "name", "unit"])
        for rid, name in rows:
            writer.writerow([rid, name, "Benchmark Unit"])
    return rows


def read_recipients(source: Path, path: Path) -> list[tuple[str, str]]:
    """Copy a recipients CSV to ``path``; return its (id, name) pairs."""
    from mijian.pipeline.recipients import load_recipients

    people = list(load_recipients(source))
    path.write_bytes(source.read_bytes())
    return [(person.id, person.name) for person in people]


def issue_draft(office, draft: Path, recipients_csv: Path, out_dir: Path, order_seed: int | None,
                limit: int | None = None, workers: int | None = None):
    """Issue copies of ``draft`` the way ``mijian issue`` does (suggested grade)."""
    from mijian.pipeline.analysis import classify_document
    from mijian.pipeline.decision import decide
    from mijian.pipeline.issuing import issue
    from mijian.pipeline.readers import read_document
    from mijian.pipeline.recipients import load_recipients

    document = read_document(draft)
    people = list(load_recipients(recipients_csv))
    if order_seed is not None:
        random.Random(order_seed).shuffle(people)
    if limit:
        people = people[:limit]
    result = classify_document(document)
    decision = decide(result.scheme, result.level, result.period,
                      tuple(result.suggestion.rationale), result.basis)
    return issue(office, document, decision, tuple(people), out_dir, approver="Benchmark Approver",
                 workers=workers)


def copy_specs(result, draft: Path, home: Path, group: str) -> list[dict]:
    kind = "docx" if draft.suffix == ".docx" else "pdf"
    return [{"file": str(c.file), "password": c.password, "copy_id": c.copy_id,
             "recipient": c.recipient.id, "serial": c.serial, "doc": draft.name,
             "draft_kind": draft.suffix.lstrip("."), "kind": kind, "home": str(home), "group": group}
            for c in result.copies]


def clean_pdf_for(draft: Path, work: Path) -> Path | None:
    """The unmarked draft as a PDF: itself, its text laid out, or LibreOffice's render."""
    target = work / f"{draft.stem}.clean.pdf"
    if draft.suffix == ".pdf":
        shutil.copy(draft, target)
    elif draft.suffix == ".txt":
        from mijian.pipeline.formats.pdf.typeset import text_to_pdf
        from mijian.pipeline.readers import read_document

        doc = read_document(draft)
        target.write_bytes(text_to_pdf(doc.text, doc.title, doc.language))
    else:
        data = soffice_pdf(draft.read_bytes(), work / f"lo-{draft.stem}")
        if data is None:
            return None
        target.write_bytes(data)
    return target


# ---------------------------------------------------------------- main side: tables

def classify(row: dict) -> str:
    """correct / wrong / inconclusive for one of our traced leaks."""
    if row["verdict"] != "identified":
        return "inconclusive"
    if row["group"] == "collusion":
        return "correct" if row["named"] in (row["expected"], row["partner"]) else "wrong"
    return "correct" if row["named"] == row["expected"] else "wrong"


def fmt_rate(k: int, n: int) -> str:
    return f"{100 * k / n:5.1f}%" if n else "    -"


def _mean(rows: list[dict], key: str) -> float:
    values = [r[key] for r in rows if r.get(key) is not None]
    return statistics.mean(values) if values else float("nan")


def _verified(row: dict) -> list[str]:
    """The layers that verified in one trace (from its layer summary)."""
    return [part.split("=")[0] for part in row.get("layers", "").split("; ")
            if part.endswith("=valid") or part.endswith("=match")]


def print_tables(rows: list[dict], peer_ok: bool, args, notes: list[str]) -> dict:
    """The per-scenario table (ours beside the peer), collusion, per-format rates, controls."""
    ours = defaultdict(list)
    skipped = Counter()
    for r in rows:
        if r["group"] in ("scenario", "collusion"):
            if "skipped" in r:
                skipped[r["scenario"]] += 1
            else:
                ours[r["scenario"]].append(r)
    peer = defaultdict(list)
    for r in rows:
        if r["group"] == "peer":
            peer[r["scenario"]].append(r)
    summary = {}
    print()
    print("== Leak scenarios: mijian trace (left) and blind_watermark (right) on the same pages ==")
    cols = (f"{'n':>3s} {'right':>5s} {'wrong':>5s} {'inc':>3s} {'rate':>6s} {'wall s':>6s} "
            f"{'cpu s':>5s}")
    head = f"{'scenario':12s} {cols} | {cols}"
    print(head)
    print("-" * len(head))
    for name in SCENARIOS + COLLUSION:
        rs = ours.get(name, [])
        c = Counter(classify(r) for r in rs)
        n = len(rs)
        ok = c["correct"] + (c["inconclusive"] if name in COLLUSION else 0)
        left = (f"{name:12s} {n:3d} {c['correct']:5d} {c['wrong']:5d} {c['inconclusive']:3d} "
                f"{fmt_rate(ok, n):>6s} {_mean(rs, 'secs'):6.2f} {_mean(rs, 'cpu'):5.2f}")
        ps = peer.get(name, [])
        if peer_ok and ps:
            pc = Counter(r["outcome"] for r in ps)
            pn = len(ps)
            pok = pc["correct"] + (pc["inconclusive"] if name in COLLUSION else 0)
            right = (f" | {pn:3d} {pc['correct']:5d} {pc['wrong']:5d} {pc['inconclusive']:3d} "
                     f"{fmt_rate(pok, pn):>6s} {_mean(ps, 'secs'):6.2f} {_mean(ps, 'cpu'):5.2f}")
        else:
            right = " |   -" if peer_ok else " | (peer skipped)"
        print(left + right)
        summary[name] = {"n": n, "correct": c["correct"], "wrong": c["wrong"],
                         "inconclusive": c["inconclusive"]}
    print("right = named the copy's recipient; inc = inconclusive; rate = right / n, and for the "
          "three collusion rows (named a colluder + inconclusive) / n. wall s / cpu s: mean time "
          "of one trace (peer: one decode, with the undo for crop and screenshot).")
    print(f"peer: 48-bit payload per recipient in the unmarked page render; a decode within "
          f"{PEER_TOLERANCE} bits of exactly one payload names that recipient.")
    if skipped:
        print("skipped (no LibreOffice render of a DOCX copy): "
              + ", ".join(f"{k} {v}" for k, v in sorted(skipped.items())))
    coll = [r for n in COLLUSION for r in ours.get(n, [])]
    if coll:
        several = sum(r["several"] for r in coll)
        named = sum(r["verdict"] == "identified" and classify(r) == "correct" for r in coll)
        print(f"collusion: {len(coll)} leaks; named a colluder {named}; named someone else "
              f"{sum(classify(r) == 'wrong' for r in coll)}; reported several copies {several} "
              f"({fmt_rate(several, len(coll)).strip()}); by kind: "
              + ", ".join(f"{n} {sum(r['several'] for r in ours.get(n, []))}/{len(ours.get(n, []))}"
                          for n in COLLUSION))
    if peer_ok:
        exact = [r for n in PEER_SCENARIOS if n != "avg_images" for r in peer.get(n, [])]
        embed = [r["embed_secs"] for r in peer.get("page_png", [])]
        if exact:
            print(f"peer: exact 48-bit decodes {sum(r['exact'] for r in exact)}/{len(exact)}; "
                  f"embedding takes {statistics.mean(embed):.2f} s per page")

    print()
    print("== Which layers verified, in the leaks that were identified ==")
    for name in SCENARIOS + COLLUSION:
        found = Counter(layer for r in ours.get(name, []) if r["verdict"] == "identified"
                        for layer in _verified(r))
        ident = sum(r["verdict"] == "identified" for r in ours.get(name, []))
        print(f"{name:12s} {ident:3d} identified: " + (", ".join(f"{k} {v}" for k, v in found.most_common()) or "-"))

    print()
    print("== Success rate by draft format (right recipient / n) ==")
    kinds = ("pdf", "docx", "txt")
    print(f"{'scenario':12s} " + " ".join(f"{k:>13s}" for k in kinds))
    for name in SCENARIOS:
        cells = []
        for k in kinds:
            rs = [r for r in ours.get(name, []) if r["kind"] == k]
            ok = sum(classify(r) == "correct" for r in rs)
            cells.append(f"{ok:3d}/{len(rs):<3d}{fmt_rate(ok, len(rs)):>7s}" if rs else "-")
        print(f"{name:12s} " + " ".join(f"{c:>13s}" for c in cells))

    # controls
    print()
    print("== Controls (must never name anyone else) ==")
    groups = ("control-unmarked", "control-other-office", "control-other-document")
    ctrl = [r for r in rows if r["group"] in groups and "skipped" not in r]
    false = []
    for r in ctrl:
        if r["verdict"] != "identified":
            continue
        if r["group"] != "control-other-document" or r["named"] != r["expected"]:
            false.append(r)
    false_ids = {id(r) for r in false}
    print(f"{'control':16s} {'form':11s} {'n':>4s} {'named own':>9s} {'inconcl':>7s} {'false':>5s} "
          f"{'wall s':>6s} {'cpu s':>5s}")
    by = defaultdict(list)
    for r in ctrl:
        by[(r["group"], r["scenario"])].append(r)
    for (group, scenario), rs in sorted(by.items()):
        own = sum(r["verdict"] == "identified" and r["group"] == "control-other-document"
                  and r["named"] == r["expected"] for r in rs)
        fa = sum(id(r) in false_ids for r in rs)
        inc = sum(r["verdict"] != "identified" for r in rs)
        print(f"{group[8:]:16s} {scenario:11s} {len(rs):4d} {own:9d} {inc:7d} {fa:5d} "
              f"{_mean(rs, 'secs'):6.2f} {_mean(rs, 'cpu'):5.2f}")
    totals = Counter(r["group"] for r in ctrl)
    errors = [r for r in rows if r.get("verdict") == "error"]
    print(f"controls: {len(ctrl)} (unmarked drafts {totals['control-unmarked']}, another office's copies "
          f"{totals['control-other-office']}, copies of other documents {totals['control-other-document']})")
    print(f"FALSE ACCUSATIONS: {len(false)} (must be 0)")
    for r in false:
        print(f"  !! {r['group']} {r['doc']} {r['scenario']}: named {r['named']} (copy {r['copy']}), "
              f"expected {r['expected']}; fmp {r['fmp']}; {r['layers']}")
    fmps = [r["fmp"] for r in rows if r.get("verdict") == "identified" and r.get("fmp") is not None]
    largest = max(fmps) if fmps else None
    print(f"largest false_match_probability of any identified result ({len(fmps)} identified): "
          f"{largest:.3g}" if largest is not None else "no identified results")
    wrong_copy = [r for r in rows if r["group"] in ("scenario", "control-other-document")
                  and r.get("verdict") == "identified" and r.get("named") == r.get("expected")
                  and r.get("copy") != r.get("expected_copy")]
    if wrong_copy:
        print(f"right recipient but another copy named: {len(wrong_copy)}")
        for r in wrong_copy[:5]:
            print(f"  {r['doc']} {r['scenario']}: copy {r['copy']} instead of {r['expected_copy']}")
    if errors:
        print(f"trace raised an exception on {len(errors)} leak(s):")
        for r in errors[:10]:
            print(f"  {r['group']} {r['doc']} {r['scenario']}: {r['layers']}")
    if peer_ok:
        pc = [r for r in rows if r["group"] == "peer-control"]
        m = sum(r["outcome"] == "match" for r in pc)
        forms = sorted({r["scenario"] for r in pc})
        print(f"peer controls: blind_watermark's decoder on {len(pc)} unmarked page images "
              f"({', '.join(forms)}): bits matched a registered payload {m} times "
              f"(all-zero or all-one decodes: {sum(r['ones'] in (0, PEER_BITS) for r in pc)})")
    for r in [r for r in rows if r["group"] == "job-error"]:
        print(f"job error ({r['scenario']} {r['doc']}):\n{r['error']}")
    for note in notes:
        print(f"note: {note}")
    framed = print_framing(rows)
    print_verdicts(rows)
    if args.verbose:
        print()
        print("== Failed leaks ==")
        for r in rows:
            if r["group"] == "scenario" and "skipped" not in r and classify(r) != "correct":
                print(f"{r['scenario']:11s} {r['doc']:28s} -> {r['verdict']} {r['named'] or ''}: {r['layers']}")
    return {"false": len(false), "largest_fmp": largest, "controls": len(ctrl), "summary": summary,
            "framed": framed}


def print_framing(rows: list[dict]) -> int:
    """The framing table: A leaks with B's marks planted; returns how many named B."""
    frames = [r for r in rows if r["group"] == "framing" and "skipped" not in r]
    skipped = Counter(r["scenario"] for r in rows if r["group"] == "framing" and "skipped" in r)
    print()
    print("== Framing: A leaks carrying B's marks (B must never be named) ==")
    print(f"{'scenario':15s} {'n':>3s} {'named B':>7s} {'named A':>7s} {'conflict':>8s} "
          f"{'indicated':>9s} {'inconcl':>7s} {'B listed':>8s} {'wall s':>6s}")
    innocents = 0
    for name in fb.FRAMINGS:
        rs = [r for r in frames if r["scenario"] == name]
        named_b = sum(r["named"] == r["partner"] for r in rs)
        innocents += named_b
        verdicts = Counter(r["verdict"] for r in rs)
        listed = sum(r["partner"] in (r.get("points") or []) for r in rs)
        print(f"{name:15s} {len(rs):3d} {named_b:7d} {sum(r['named'] == r['expected'] for r in rs):7d} "
              f"{verdicts['conflict']:8d} {verdicts['indicated']:9d} {verdicts['inconclusive']:7d} "
              f"{listed:8d} {_mean(rs, 'secs'):6.2f}")
    print(f"INNOCENTS NAMED BY A FRAMING: {innocents} of {len(frames)} (must be 0); B listed = B "
          "among the copies the verdict says the evidence points to (named or not)")
    if skipped:
        print("framings skipped (nothing of B's to move, or no page render): "
              + ", ".join(f"{k} {v}" for k, v in sorted(skipped.items())))
    for r in frames:
        if r["named"] == r["partner"]:
            print(f"  !! {r['doc']} {r['scenario']}: named {r['named']}; {r['layers']}")
    return innocents


def print_verdicts(rows: list[dict]) -> None:
    """How many leaks of each scenario ended in each verdict (indicated: only marks anyone
    who saw the copy could reproduce pointed to it)."""
    kinds = ("identified", "indicated", "conflict", "inconclusive", "error")
    print()
    print("== Verdicts by scenario ==")
    print(f"{'scenario':15s} " + " ".join(f"{k:>12s}" for k in kinds))
    for name in SCENARIOS + COLLUSION:
        rs = [r for r in rows if r["group"] in ("scenario", "collusion") and r["scenario"] == name
              and "skipped" not in r]
        counts = Counter(r["verdict"] for r in rs)
        print(f"{name:15s} " + " ".join(f"{counts[k]:12d}" for k in kinds))


# ---------------------------------------------------------------- costs

def build_long_pdf(path: Path, pages: int) -> None:
    """A draft of ``pages`` pages made by repeating the pages of the sample PDFs."""
    sources = [pymupdf.open(p) for p in sorted(SAMPLES.glob("*.pdf"))]
    order = [(s, i) for s in sources for i in range(s.page_count)]
    out = pymupdf.open()
    for k in range(pages):
        src, number = order[k % len(order)]
        out.insert_pdf(src, from_page=number, to_page=number)
    out.save(path)
    out.close()
    for s in sources:
        s.close()


def timed_trace(office, path: Path, repeat: int = 3) -> tuple[float, str]:
    from mijian.pipeline.tracing import trace

    times, verdict = [], ""
    for _ in range(repeat):
        t = time.perf_counter()
        result = trace(office, path)
        times.append(time.perf_counter() - t)
        verdict = result.verdict + (f" {result.recipient_id}" if result.recipient_id else "")
    return statistics.median(times), verdict


def synthetic_rows(db: Path, count: int, seed: int) -> None:
    """Insert ``count`` issued copies with random valid-looking ids into a register copy."""
    from mijian.watermark.codes import CROCKFORD

    rng = random.Random(seed)
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    cols = [r[1] for r in conn.execute("PRAGMA table_info(copies)")]
    template = dict(conn.execute("SELECT * FROM copies LIMIT 1").fetchone())
    doc = dict(conn.execute("SELECT * FROM documents LIMIT 1").fetchone())
    doc_id = "DOC-" + "".join(rng.choice("0123456789abcdef") for _ in range(12))
    doc.update(id=doc_id, title="synthetic", source_sha256=f"{rng.getrandbits(256):064x}",
               last_serial=count)
    conn.execute(f"INSERT INTO documents ({','.join(doc)}) VALUES ({','.join('?' * len(doc))})",
                 list(doc.values()))
    top = conn.execute("SELECT MAX(fingerprint) FROM copies").fetchone()[0] if "fingerprint" in cols else None
    rows = []
    for i in range(count):
        row = dict(template)
        row.update(copy_id="".join(rng.choice(CROCKFORD) for _ in range(12)), document_id=doc_id,
                   serial=f"{i + 1:06d}", recipient_id=f"S{i + 1:06d}", recipient_name=f"Synthetic {i + 1}",
                   file=f"/nowhere/{i + 1:06d}.pdf", file_sha256=f"{rng.getrandbits(256):064x}",
                   status="issued")
        if "fingerprint" in cols:
            row["fingerprint"] = (top or 0) + 1 + i if top is not None else None
        if "claim" in cols:
            row["claim"] = None
        rows.append([row[c] for c in cols])
    with conn:
        conn.executemany(f"INSERT INTO copies ({','.join(cols)}) VALUES ({','.join('?' * len(cols))})", rows)
        if "fingerprint" in cols and top is not None:
            conn.execute("INSERT OR REPLACE INTO meta VALUES ('last_fingerprint', ?)", (str(top + count),))
    conn.close()


def run_costs(tmp: Path, args) -> None:
    from mijian.pipeline.issuing import decrypt_copy
    from mijian.pipeline.office import Office

    print()
    print("== Costs ==")
    draft = tmp / "long_draft.pdf"
    build_long_pdf(draft, args.cost_pages)
    csv_path = tmp / "recipients-cost.csv"
    make_recipients(csv_path, args.cost_copies, prefix="C")
    home = tmp / "office-c"
    with Office.open(home) as office:
        t = time.perf_counter()
        result = issue_draft(office, draft, csv_path, tmp / "out-cost", order_seed=None)
        secs = time.perf_counter() - t
    n = len(result.copies)
    print(f"issue {n} copies of a {args.cost_pages}-page PDF (every layer, AES-256, default workers): "
          f"{secs:.1f} s, {secs / n:.2f} s per copy, {secs / n / args.cost_pages * 1000:.0f} ms per page")
    copy = result.copies[n // 2]
    plain = decrypt_copy(copy.file, copy.password)
    leaks = tmp / "cost-leaks"
    leaks.mkdir()
    doc = pymupdf.open(stream=plain, filetype="pdf")
    rng = np.random.default_rng(args.seed)
    forms = {"file as issued (20 p)": copy.file}
    (leaks / "decrypted.pdf").write_bytes(plain)
    forms["decrypted PDF (20 p)"] = leaks / "decrypted.pdf"
    (leaks / "scrubbed.pdf").write_bytes(scrub_pdf(plain))
    forms["scrubbed PDF (20 p)"] = leaks / "scrubbed.pdf"
    (leaks / "print.pdf").write_bytes(print_to_pdf(doc))
    forms["image-only PDF (20 p)"] = leaks / "print.pdf"
    page = render(doc[1], PAGE_DPI)
    page.save(leaks / "page.png")
    forms["page image PNG"] = leaks / "page.png"
    save_jpeg(page, leaks / "page.jpg", 50)
    forms["page image JPEG 50"] = leaks / "page.jpg"
    body_crop(doc[1], page, rng).save(leaks / "crop.png")
    forms["quarter-page crop"] = leaks / "crop.png"
    text = doc[1].get_text(sort=True)
    (leaks / "pasted.txt").write_text(text, encoding="utf-8")
    forms["pasted page text"] = leaks / "pasted.txt"
    (leaks / "excerpt.txt").write_text(excerpt(text, rng), encoding="utf-8")
    forms["excerpt"] = leaks / "excerpt.txt"
    doc.close()
    big = tmp / "office-big"
    shutil.copytree(home, big)
    synthetic_rows(big / "register.db", args.big_register, args.seed)
    with Office.open(home) as small_office, Office.open(big) as big_office:
        small_n = small_office.register.count_copies()
        big_n = big_office.register.count_copies()
        print(f"trace time (median of 3) with {small_n:,} vs {big_n:,} copies in the register:")
        print(f"{'leak':24s} {'s':>7s} {'s (big)':>8s} {'ratio':>6s}  verdict (both)")
        for name, path in forms.items():
            a, va = timed_trace(small_office, path)
            b, vb = timed_trace(big_office, path)
            same = va if va == vb else f"{va} / {vb} (DIFFERENT)"
            print(f"{name:24s} {a:7.3f} {b:8.3f} {b / a:6.2f}  {same}")


# ---------------------------------------------------------------- visual

def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """Mean SSIM of two grey images: 7x7 Gaussian window (sigma 1.5), K1 0.01, K2 0.03."""
    from numpy.lib.stride_tricks import sliding_window_view

    g = np.exp(-((np.arange(7) - 3) ** 2) / (2 * 1.5 ** 2))
    g /= g.sum()

    def blur(v: np.ndarray) -> np.ndarray:
        v = sliding_window_view(v, 7, axis=0) @ g
        return sliding_window_view(v, 7, axis=1) @ g

    x, y = a.astype(np.float64), b.astype(np.float64)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    mx, my = blur(x), blur(y)
    sxx = blur(x * x) - mx * mx
    syy = blur(y * y) - my * my
    sxy = blur(x * y) - mx * my
    return float(np.mean((2 * mx * my + c1) * (2 * sxy + c2) / ((mx * mx + my * my + c1) * (sxx + syy + c2))))


def production_pattern(secret: bytes, number: int):
    """The pattern key and payload the PDF writer uses: a fingerprint number under
    ``NUMBER_PARAMS`` where the pattern module has them, else the default parameters."""
    import mijian.watermark.pattern as wp
    if hasattr(wp, "NUMBER_PARAMS") and hasattr(wp, "payload_from_number"):
        return wp.PatternKey(secret, wp.NUMBER_PARAMS), wp.payload_from_number(number)
    return secret, number.to_bytes(8, "big")


def run_visual(tmp: Path, copies_a: list[dict], args) -> None:
    from mijian.pipeline.issuing import decrypt_copy, pattern_key
    from mijian.pipeline.office import Office
    from mijian.watermark.pattern import apply_to_image

    print()
    print("== Visual (bench/out/) ==")
    OUT.mkdir(parents=True, exist_ok=True)
    draft = SAMPLES / "zh_notice_secret.pdf"
    with pymupdf.open(draft) as doc:
        clean = render(doc[0], PAGE_DPI)
    with Office.open(tmp / "office-a") as office:
        key, payload = production_pattern(pattern_key(office.key()), 12345)
    invisible = apply_to_image(clean, payload, key, dpi=PAGE_DPI)
    spec = next(c for c in copies_a if c["doc"] == draft.name)
    with pymupdf.open(stream=decrypt_copy(Path(spec["file"]), spec["password"]), filetype="pdf") as doc:
        full = render(doc[0], PAGE_DPI)
    clean.save(OUT / "page_clean_150dpi.png")
    invisible.save(OUT / "page_invisible_layers_150dpi.png")
    full.save(OUT / "page_every_layer_150dpi.png")
    s = ssim(np.asarray(clean.reduce(2).convert("L")), np.asarray(invisible.reduce(2).convert("L")))
    print(f"page: {draft.name} p.1; files page_clean_150dpi.png, page_invisible_layers_150dpi.png, "
          f"page_every_layer_150dpi.png")
    print(f"SSIM clean vs invisible layers (75 dpi, grey, 7x7 Gaussian): {s:.4f}")
    per_page = []
    for path in sorted(SAMPLES.glob("*.pdf")):
        with pymupdf.open(path) as doc:
            for page in doc:
                c = render(page, PAGE_DPI)
                i = apply_to_image(c, payload, key, dpi=PAGE_DPI)
                per_page.append(ssim(np.asarray(c.reduce(2).convert("L")), np.asarray(i.reduce(2).convert("L"))))
    print(f"SSIM over all {len(per_page)} sample PDF pages: mean {np.mean(per_page):.4f}, min {np.min(per_page):.4f}")
    # a blank page issued with every layer: a draft whose only text is white
    blank = tmp / "blank_draft.pdf"
    doc = pymupdf.open()
    page = doc.new_page(width=595.28, height=841.89)
    page.insert_text((72, 420), "Blank page for the luminance figure.", fontsize=11, color=(1, 1, 1))
    doc.save(blank)
    doc.close()
    csv_path = tmp / "recipients-visual.csv"
    make_recipients(csv_path, 1, prefix="V")
    with Office.open(tmp / "office-v") as office:
        result = issue_draft(office, blank, csv_path, tmp / "out-visual", order_seed=None)
        key_v, _ = production_pattern(pattern_key(office.key()), 1)
    copy = result.copies[0]
    with pymupdf.open(stream=decrypt_copy(copy.file, copy.password), filetype="pdf") as doc:
        image = render(doc[0], PAGE_DPI)
    image.save(OUT / "blank_every_layer_150dpi.png")
    white = Image.new("RGB", image.size, (255, 255, 255))
    only = apply_to_image(white, payload, key_v, dpi=PAGE_DPI)
    lum = float(np.asarray(image.convert("L"), np.float64).mean())
    print(f"blank A4 page with every layer (grade {result.decision.grade}), 150 dpi: mean luminance "
          f"{lum:.2f} / 255 (page fingerprint alone: "
          f"{float(np.asarray(only.convert('L'), np.float64).mean()):.2f}); blank_every_layer_150dpi.png")


# ---------------------------------------------------------------- main

def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="about 3 minutes: fewer copies, pages and controls")
    ap.add_argument("--copies-per-doc", type=int, default=None, help="copies traced per draft (3; quick 1)")
    ap.add_argument("--crops-per-copy", type=int, default=None, help="quarter-page crops per traced copy (3; quick 2)")
    ap.add_argument("--excerpts-per-copy", type=int, default=None, help="excerpts per traced copy (5; quick 3)")
    ap.add_argument("--recipients", type=int, default=None, help="recipients per draft, at least 10 (12; quick 10)")
    ap.add_argument("--recipients-file", type=Path, default=None,
                    help="a recipients CSV (id,name[,unit]) to issue to instead of generated names")
    ap.add_argument("--drafts", type=Path, default=None,
                    help="folder of drafts (*.pdf, *.docx, *.txt) to issue and leak instead of samples/")
    ap.add_argument("--controls", type=int, default=None, help="target number of controls (1100; quick 300)")
    ap.add_argument("--cost-copies", type=int, default=None, help="copies of the 20-page PDF (100; quick 10)")
    ap.add_argument("--cost-pages", type=int, default=20)
    ap.add_argument("--big-register", type=int, default=100_000)
    ap.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-peer", action="store_true", help="skip blind_watermark")
    ap.add_argument("--no-costs", action="store_true")
    ap.add_argument("--no-visual", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folders")
    ap.add_argument("--verbose", action="store_true", help="list every failed leak")
    args = ap.parse_args()
    q = args.quick
    args.copies_per_doc = args.copies_per_doc or (1 if q else 3)
    args.crops_per_copy = args.crops_per_copy or (2 if q else 3)
    args.excerpts_per_copy = args.excerpts_per_copy or (3 if q else 5)
    args.recipients = max(10, args.recipients or (10 if q else 12))
    args.controls = args.controls or (300 if q else 1100)
    args.cost_copies = args.cost_copies or (10 if q else 100)
    if args.recipients < 2 * args.copies_per_doc:
        ap.error("need at least two recipients per traced copy (collusion partners)")

    started = time.time()
    notes: list[str] = []
    peer_ok = not args.no_peer
    if peer_ok and import_peer() is None:
        peer_ok = False
        notes.append("blind_watermark is not importable: peer table skipped (pip install blind-watermark)")
    if not (shutil.which("soffice") or shutil.which("libreoffice")):
        notes.append("soffice not found: image scenarios of DOCX copies skipped")
    tmp = Path(tempfile.mkdtemp(prefix="mijian-trace-bench-"))
    _W["profiles"] = str(tmp / "lo-profiles")  # LibreOffice profiles, one per process
    log(f"work folder {tmp}; source {SOURCE} from {source_state()}")
    from mijian.pipeline.office import Office

    folder = args.drafts or SAMPLES
    drafts = sorted(p for ext in ("*.pdf", "*.docx", "*.txt") for p in folder.glob(ext))
    if not drafts:
        ap.error(f"{folder}: no *.pdf, *.docx or *.txt drafts")
    csv_path = tmp / "recipients.csv"
    if args.recipients_file:
        people = read_recipients(args.recipients_file, csv_path)
        args.recipients = len(people)
        if len(people) < max(10, 2 * args.copies_per_doc):
            ap.error(f"{args.recipients_file}: {len(people)} recipients; at least 10 are needed")
    else:
        people = make_recipients(csv_path, args.recipients)
    rng = np.random.default_rng(args.seed)
    peer_payloads = {rid: rng.integers(0, 2, PEER_BITS).astype(bool).tolist() for rid, _ in people}
    home_a, home_b = tmp / "office-a", tmp / "office-b"
    one_per_format = [next(d for d in drafts if d.suffix == ext) for ext in (".pdf", ".docx", ".txt")
                      if any(d.suffix == ext for d in drafts)]

    # office A: every sample draft, and other documents; office B: its own key
    log(f"issuing {len(drafts)} drafts to {args.recipients} recipients (office A)")
    copies_a: dict[str, list[dict]] = {}
    other_docs: list[dict] = []
    with Office.open(home_a) as office:
        for k, draft in enumerate(drafts):
            result = issue_draft(office, draft, csv_path, tmp / "out-a" / draft.stem, order_seed=args.seed + k)
            copies_a[draft.name] = copy_specs(result, draft, home_a, "scenario")
        sample_bytes = {p.read_bytes() for p in drafts}
        sources = [p for p in sorted((SAMPLES / "src").glob("*.txt")) if p.read_bytes() not in sample_bytes]
        sources = sources[:1] if q else sources
        log(f"issuing {len(sources)} other document(s) (office A)")
        for k, src in enumerate(sources):
            result = issue_draft(office, src, csv_path, tmp / "out-a-src" / src.stem,
                                 order_seed=args.seed + 100 + k, limit=6)
            specs = copy_specs(result, src, home_a, "control-other-document")
            for spec in specs:
                spec["doc"] = "src/" + src.name
            other_docs.extend(specs[:2])
    log("issuing copies under another office's key (office B)")
    copies_b: list[dict] = []
    with Office.open(home_b) as office:
        for k, draft in enumerate(one_per_format if q else drafts):
            result = issue_draft(office, draft, csv_path, tmp / "out-b" / draft.stem,
                                 order_seed=args.seed + 200 + k, limit=1)
            copies_b.extend(copy_specs(result, draft, home_a, "control-other-office"))
    log(f"issued in {time.time() - started:.0f} s")

    # the unmarked drafts as PDFs (text laid out, DOCX rendered by LibreOffice)
    clean_dir = tmp / "clean"
    clean_dir.mkdir()
    clean: dict[str, Path | None] = {d.name: clean_pdf_for(d, clean_dir) for d in drafts}
    for name, path in clean.items():
        if path is None:
            notes.append(f"{name}: no LibreOffice render; its unmarked page forms and peer pages are skipped")

    def page_count(name: str) -> int:
        if clean[name] is None:
            return 1
        with pymupdf.open(clean[name]) as doc:
            return doc.page_count

    jobs: list[tuple[str, dict]] = []

    def add(kind: str, spec: dict) -> None:
        spec = dict(spec, work=str(tmp / "jobs" / f"{len(jobs) + 1:04d}"))
        spec.setdefault("seed", args.seed * 100_003 + len(jobs))
        jobs.append((kind, spec))

    sampled = 0
    peer_done: set[str] = set()
    for draft in drafts:
        specs = copies_a[draft.name]
        pages = page_count(draft.name)
        step = max(1, len(specs) // args.copies_per_doc)
        for i in range(args.copies_per_doc):
            index = (i * step) % len(specs)
            copy, partner = specs[index], specs[(index + 1) % len(specs)]
            page = i % pages
            seed = args.seed * 7_919 + sampled  # the peer gets the same attack parameters
            add("copy", dict(copy, page=page, scenarios=SCENARIOS, seed=seed, crops=args.crops_per_copy,
                             excerpts=args.excerpts_per_copy))
            add("collusion", {"a": dict(copy, page=page), "b": dict(partner, page=page), "home": str(home_a),
                              "doc": draft.name})
            add("framing", {"a": dict(copy, page=page), "b": dict(partner, page=page), "home": str(home_a),
                            "doc": draft.name})
            peer_here = peer_ok and clean[draft.name] is not None and (
                not q or (draft in one_per_format and draft.suffix not in peer_done))
            if peer_here:
                peer_done.add(draft.suffix)
                add("peer", {"doc": draft.name, "draft_kind": draft.suffix.lstrip("."), "page": page,
                             "clean_pdf": str(clean[draft.name]), "recipient": copy["recipient"],
                             "partner": partner["recipient"], "seed": seed})
            sampled += 1

    # controls: unmarked drafts, another office's copies, copies of other documents
    unmarked_pages = [(d, p) for d in drafts if clean[d.name] is not None
                      for p in range(1 if q else page_count(d.name))]
    per_page_forms = len(SCENARIOS) - 3
    fixed = len(drafts) + (len(copies_b) + len(other_docs)) * len(SCENARIOS) + len(unmarked_pages) * per_page_forms
    per_page_extra = math.ceil(max(0, args.controls - fixed) / max(1, len(unmarked_pages)))
    crops = per_page_extra // 2
    excerpts = per_page_extra - crops
    for draft in drafts:
        add("file", {"doc": draft.name, "kind": draft.suffix.lstrip("."), "draft": str(draft),
                     "home": str(home_a)})
    peer_forms = (("page_png",) if q else ("page_png", "jpeg50", "jpeg30")) if peer_ok else ()
    for draft, page in unmarked_pages:
        add("unmarked", {"doc": draft.name, "kind": draft.suffix.lstrip("."), "draft": str(draft),
                         "clean_pdf": str(clean[draft.name]), "page": page, "home": str(home_a),
                         "crops": crops, "excerpts": excerpts, "peer": peer_forms})
    for k, copy in enumerate(copies_b + other_docs):
        add("copy", dict(copy, page=k % 2, scenarios=SCENARIOS))

    # run, longest jobs first
    weight = {"peer": 0, "copy": 1, "unmarked": 2, "framing": 3, "collusion": 3, "file": 4}
    jobs.sort(key=lambda j: weight[j[0]])
    log(f"{len(jobs)} jobs on {args.workers} worker(s)")
    config = {"peer_payloads": peer_payloads, "peer": peer_ok, "profiles": _W["profiles"]}
    rows: list[dict] = []
    t_jobs = time.time()
    with ProcessPoolExecutor(max_workers=args.workers, mp_context=multiprocessing.get_context("spawn"),
                             initializer=_init_worker, initargs=(config,)) as pool:
        pending = {pool.submit(run_job, kind, spec) for kind, spec in jobs}
        done_count = 0
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                rows.extend(fut.result())
                done_count += 1
                if done_count % 10 == 0 or not pending:
                    log(f"{done_count}/{len(jobs)} jobs done ({time.time() - t_jobs:.0f} s)")

    print(f"mijian trace benchmark, {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, "
          f"{'quick' if q else 'full'} run, seed {args.seed}, source {source_state()}")
    print(f"drafts: {len(drafts)} ({', '.join(d.name for d in drafts)}); {args.recipients} recipients; "
          f"{sampled} copies traced ({args.copies_per_doc} per draft, one page each, {args.crops_per_copy} "
          f"crops and {args.excerpts_per_copy} excerpts of it); peer pages: "
          f"{sum(k == 'peer' for k, _ in jobs)}; another office: {len(copies_b)} copies; other documents: "
          f"{len(other_docs)} copies of {len({s['doc'] for s in other_docs})} draft(s)")
    result = print_tables(rows, peer_ok, args, notes)

    if not args.no_costs:
        log("costs")
        run_costs(tmp, args)
    if not args.no_visual:
        log("visual")
        run_visual(tmp, [c for cs in copies_a.values() for c in cs], args)
    print()
    print(f"total time: {time.time() - started:.0f} s")
    if args.keep:
        print(f"kept: {tmp} (source snapshot {SOURCE})")
    else:
        shutil.rmtree(tmp, ignore_errors=True)
        if SOURCE != ROOT:
            shutil.rmtree(SOURCE, ignore_errors=True)
    if result["false"] or result["framed"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
