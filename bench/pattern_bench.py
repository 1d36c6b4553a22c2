"""Benchmark of the page pattern (watermark.pattern) on rendered office pages.

Usage::

    python bench/pattern_bench.py [--pages 24] [--controls 1200] [--workers 2] [--seed 1]
                                  [--payload-bits 32|60] [--overlay-dpi 300]

``--payload-bits 32`` (default) marks each copy with a random 32-bit fingerprint number
(:data:`watermark.pattern.NUMBER_PARAMS`); ``--payload-bits 60`` with a random 60-bit copy
number (the default params), for comparison.

For each page (first pages, and a few more, of samples/*.pdf and ../shared/corpus/real/*.pdf)
a copy is made the way the PDF writer does it: the overlay is generated at 300 dpi and
inserted over the page as an RGBA image; the copy is then rendered and attacked. The attack
simulations below are deliberately plain so other benchmarks can reuse them:

- ``page``: the copy rendered at 150 dpi (PNG).
- ``jpeg50`` / ``jpeg30``: that render saved as JPEG quality 50 / 30, 4:2:0 chroma.
- ``screenshot``: the render shrunk to half size (bilinear with antialiasing), PNG.
- ``crop``: a 50 % x 50 % window (a quarter of the page) of the 150 dpi render, its top-left
  corner uniform in [5 %, 45 %] of the page in each direction (mostly body text).
- ``phone``: :func:`phone_photo`: printout as a 200 dpi render; perspective (each corner
  moved up to 2.5 % of the page size), rotation uniform in +-3 deg, the page filling ~85 %
  of a frame on a grey table at 130-170 dpi, Gaussian blur sigma 0.8-1.3 px, vignette
  (brightness down to 70 % in the corners) times a linear light gradient (85-100 %), paper
  at 88-95 % of full scale with a warm colour cast, Gaussian noise sigma 3, JPEG 70 4:2:0.
- ``photocopy``: :func:`photocopy`: 300 dpi render, grey, skew uniform +-0.5 deg, Gaussian
  blur sigma 1.2 px (0.10 mm), noise sigma 6, global threshold 128 to pure black/white
  (1-bit image at 300 dpi).
- ``print_pdf``: the copy re-rendered at 200 dpi (pages become images in a printed PDF).

Controls (false decodes): unmarked pages and pages marked under another key, in random
crops (200 x 200 px to a quarter page) and JPEG/screenshot forms. A control counts as a
false accusation if decode returns any payload at all (stricter than a register match).
Also reported: SSIM between the renders with and without the pattern (both 150 dpi, then
box-downsampled to 75 dpi), the mean luminance of a blank page with the pattern, and the
decode time per image, wall clock and CPU (the CPU time is what one idle core would take
when other jobs share the machine).
"""

from __future__ import annotations

import argparse
import glob
import io
import math
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pymupdf
from PIL import Image, ImageFilter

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mijian.watermark.pattern import (  # noqa: E402
    NUMBER_PARAMS,
    PatternKey,
    PatternParams,
    decode,
    make_overlay,
    payload_from_number,
)
from mijian.watermark.pattern_image import ssim  # noqa: E402

KEY = bytes(range(32))
OTHER_KEY = bytes(range(100, 132))
BITS = 32
OVERLAY_DPI = 300


def keyed(key: bytes, bits: int) -> PatternKey:
    """The pattern key for the payload size under test."""
    return PatternKey(key, NUMBER_PARAMS if bits == 32 else PatternParams())


def random_payload(rng: np.random.Generator, bits: int) -> bytes:
    """A random payload of the size under test."""
    if bits == 32:
        return payload_from_number(int(rng.integers(0, 2 ** 32)))
    return int(rng.integers(0, 2 ** 60)).to_bytes(8, "big")


ATTACKS = ("page", "jpeg50", "jpeg30", "screenshot", "crop", "phone", "photocopy", "print_pdf")


# ---------------------------------------------------------------- attack simulations

def jpeg(image: Image.Image, quality: int) -> Image.Image:
    """JPEG round trip with 4:2:0 chroma subsampling."""
    buf = io.BytesIO()
    image.convert("RGB").save(buf, "JPEG", quality=quality, subsampling=2)
    return Image.open(io.BytesIO(buf.getvalue())).convert("RGB")


def screenshot(image: Image.Image) -> Image.Image:
    """The page at half scale (bilinear with antialiasing)."""
    return image.resize((image.width // 2, image.height // 2), Image.Resampling.BILINEAR)


def quarter_crop(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    """A window of half the width and half the height, top-left in [5 %, 45 %]."""
    w, h = image.size
    x0 = int(rng.uniform(0.05, 0.45) * w)
    y0 = int(rng.uniform(0.05, 0.45) * h)
    return image.crop((x0, y0, x0 + w // 2, y0 + h // 2))


def _perspective_coeffs(src: np.ndarray, dst: np.ndarray) -> list[float]:
    """PIL PERSPECTIVE coefficients mapping output (dst) points to input (src) points."""
    rows = []
    rhs = []
    for (x, y), (u, v) in zip(dst, src):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs += [u, v]
    return list(np.linalg.solve(np.array(rows, float), np.array(rhs, float)))


def phone_photo(printed: Image.Image, printed_dpi: float, rng: np.random.Generator) -> Image.Image:
    """A phone photo of a printout (parameters in the module docstring)."""
    target_dpi = rng.uniform(130, 170)
    s = target_dpi / printed_dpi
    pw, ph = printed.width * s, printed.height * s
    margin = 0.08
    fw, fh = int(pw * (1 + 2 * margin)), int(ph * (1 + 2 * margin))
    cx, cy = fw / 2, fh / 2
    ang = math.radians(rng.uniform(-3, 3))
    corners = np.array([[-pw / 2, -ph / 2], [pw / 2, -ph / 2], [pw / 2, ph / 2], [-pw / 2, ph / 2]])
    corners += rng.uniform(-0.025, 0.025, (4, 2)) * np.array([pw, ph])
    rot = np.array([[math.cos(ang), -math.sin(ang)], [math.sin(ang), math.cos(ang)]])
    dst = corners @ rot.T + np.array([cx, cy])
    src = np.array([[0, 0], [printed.width, 0], [printed.width, printed.height], [0, printed.height]], float)
    coeffs = _perspective_coeffs(src, dst)
    grey = printed.convert("L")
    warped = grey.transform((fw, fh), Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BICUBIC,
                            fillcolor=None)
    mask = Image.new("L", grey.size, 255).transform((fw, fh), Image.Transform.PERSPECTIVE, coeffs,
                                                     Image.Resampling.BILINEAR, fillcolor=0)
    a = np.asarray(warped, np.float32)
    m = np.asarray(mask, np.float32) / 255.0
    table = 95.0 + 10 * rng.standard_normal()
    a = a * m + table * (1 - m)
    a = np.asarray(Image.fromarray(np.clip(a, 0, 255).astype(np.uint8)).filter(
        ImageFilter.GaussianBlur(rng.uniform(0.8, 1.3))), np.float32)
    yy, xx = np.mgrid[0:fh, 0:fw].astype(np.float32)
    r2 = ((xx - cx) / (fw / 2)) ** 2 + ((yy - cy) / (fh / 2)) ** 2
    vignette = 1.0 - 0.30 * np.clip(r2 / 2.0, 0, 1)
    gdir = rng.uniform(0, 2 * math.pi)
    grad = (np.cos(gdir) * (xx / fw - 0.5) + np.sin(gdir) * (yy / fh - 0.5))
    gradient = 0.925 + 0.15 * grad
    paper = rng.uniform(0.88, 0.95)
    lum = a * vignette * gradient * paper
    cast = np.array([1.0, 0.97, 0.92], np.float32)
    rgb = lum[..., None] * cast[None, None, :] + rng.normal(0, 3.0, (fh, fw, 3)).astype(np.float32)
    img = Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8), "RGB")
    return jpeg(img, 70)


def photocopy(render300: Image.Image, rng: np.random.Generator) -> Image.Image:
    """A photocopy of a 300 dpi render (parameters in the module docstring)."""
    grey = render300.convert("L").rotate(rng.uniform(-0.5, 0.5), Image.Resampling.BILINEAR,
                                         fillcolor=255)
    a = np.asarray(grey.filter(ImageFilter.GaussianBlur(1.2)), np.float32)
    a = a + rng.normal(0, 6.0, a.shape).astype(np.float32)
    return Image.fromarray(np.where(a < 128, 0, 255).astype(np.uint8)).convert("1")


# ---------------------------------------------------------------- copies

def pages(limit: int) -> list[tuple[str, int]]:
    """(pdf path, page number) pairs: first pages of every PDF, then second pages."""
    files = sorted(glob.glob(str(ROOT / "samples" / "*.pdf"))) + \
        sorted(glob.glob(str(ROOT.parent / "shared" / "corpus" / "real" / "*.pdf")))
    out = [(f, 0) for f in files]
    for f in files:
        with pymupdf.open(f) as d:
            if d.page_count > 1:
                out.append((f, 1))
    return out[:limit]


def render(page: pymupdf.Page, dpi: int) -> Image.Image:
    """A page as an RGB image."""
    pix = page.get_pixmap(dpi=dpi, alpha=False)
    return Image.frombytes("RGB", (pix.width, pix.height), pix.samples)


def marked_copy(path: str, number: int, payload: bytes, key: bytes | PatternKey,
                dpi: int = OVERLAY_DPI) -> pymupdf.Document:
    """A one-page PDF: the page with the overlay (RGBA PNG at ``dpi``) inserted over it."""
    src = pymupdf.open(path)
    doc = pymupdf.open()
    doc.insert_pdf(src, from_page=number, to_page=number)
    page = doc[0]
    w = round(page.rect.width / 72 * dpi)
    h = round(page.rect.height / 72 * dpi)
    overlay = make_overlay(w, h, payload, key, dpi=dpi)
    # the overlay is made for the page as displayed; on a page with /Rotate it goes into
    # the unrotated page box, turned back by the page's rotation
    rotation = page.rotation
    turn = {90: Image.Transpose.ROTATE_90, 180: Image.Transpose.ROTATE_180,
            270: Image.Transpose.ROTATE_270}.get(rotation)
    if turn is not None:
        overlay = overlay.transpose(turn)
        page.set_rotation(0)
    buf = io.BytesIO()
    overlay.save(buf, "PNG", optimize=True)
    page.insert_image(page.rect, stream=buf.getvalue(), overlay=True, keep_proportion=False)
    if turn is not None:
        page.set_rotation(rotation)
    return doc


def plain_copy(path: str, number: int) -> pymupdf.Document:
    """The page without any pattern."""
    src = pymupdf.open(path)
    doc = pymupdf.open()
    doc.insert_pdf(src, from_page=number, to_page=number)
    return doc


# ---------------------------------------------------------------- jobs

def page_job(args: tuple[int, str, int, int, int, int]) -> dict:
    """All attacks on one page; returns per-attack success and timings."""
    index, path, number, seed, bits, dpi = args
    rng = np.random.default_rng(seed * 1000 + index)
    payload = random_payload(rng, bits)
    key = keyed(KEY, bits)
    doc = marked_copy(path, number, payload, key, dpi)
    plain = plain_copy(path, number)
    r150 = render(doc[0], 150)
    p150 = render(plain[0], 150)
    half = lambda im: im.reduce(2)  # noqa: E731
    s = ssim(np.asarray(half(p150).convert("L")), np.asarray(half(r150).convert("L")))
    imgs = {
        "page": lambda: r150,
        "jpeg50": lambda: jpeg(r150, 50),
        "jpeg30": lambda: jpeg(r150, 30),
        "screenshot": lambda: screenshot(r150),
        "crop": lambda: quarter_crop(r150, rng),
        "phone": lambda: phone_photo(render(doc[0], 200), 200, rng),
        "photocopy": lambda: photocopy(render(doc[0], 300), rng),
        "print_pdf": lambda: render(doc[0], 200),
    }
    out = {"name": f"{Path(path).name}#{number + 1}", "ssim": s, "ok": {}, "time": {}, "cpu": {}, "z": {}}
    for name in ATTACKS:
        img = imgs[name]()
        t = time.perf_counter()
        c = time.process_time()
        det = decode(img, key)
        out["cpu"][name] = time.process_time() - c
        out["time"][name] = time.perf_counter() - t
        out["ok"][name] = det.payload == payload
        out["z"][name] = det.statistic
        if det.payload is not None and det.payload != payload:
            out.setdefault("wrong", []).append(name)
    return out


def control_job(args: tuple[int, str, int, int, int, int, int]) -> dict:
    """``n`` control decodes on one unmarked page and the same page under another key."""
    index, path, number, seed, n, bits, dpi = args
    rng = np.random.default_rng(seed * 7919 + index)
    payload = random_payload(rng, bits)
    key = keyed(KEY, bits)
    bases = {
        "unmarked": render(plain_copy(path, number)[0], 150),
        "other-key": render(marked_copy(path, number, payload, keyed(OTHER_KEY, bits), dpi)[0], 150),
    }
    found = 0
    counts = {"unmarked": 0, "other-key": 0}
    times = []
    for i in range(n):
        kind = "unmarked" if i % 2 == 0 else "other-key"
        img = bases[kind]
        form = i % 6
        if form == 0 and i < 2:
            pass  # the full page once
        elif form == 1:
            img = jpeg(img, 50)
        elif form == 2:
            img = screenshot(img)
        if form in (0, 3, 4, 5) and i >= 2:
            w = int(rng.uniform(200, img.width / 2))
            h = int(rng.uniform(200, img.height / 2))
            x0 = int(rng.uniform(0, img.width - w))
            y0 = int(rng.uniform(0, img.height - h))
            img = img.crop((x0, y0, x0 + w, y0 + h))
        t = time.perf_counter()
        det = decode(img, key)
        times.append(time.perf_counter() - t)
        counts[kind] += 1
        if det.payload is not None:
            found += 1
    return {"found": found, "counts": counts, "time": times}


def blank_luminance(bits: int) -> float:
    """Mean luminance (0-255) of a blank A4 page with the pattern, rendered at 150 dpi."""
    doc = pymupdf.open()
    doc.new_page(width=595.28, height=841.89)
    buf = io.BytesIO()
    payload = payload_from_number(12345) if bits == 32 else (12345).to_bytes(8, "big")
    make_overlay(2480, 3508, payload, keyed(KEY, bits), dpi=300).save(buf, "PNG")
    doc[0].insert_image(doc[0].rect, stream=buf.getvalue(), overlay=True, keep_proportion=False)
    return float(np.asarray(render(doc[0], 150).convert("L"), np.float64).mean())


def main() -> None:
    """Run the benchmark and print the tables."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pages", type=int, default=24)
    ap.add_argument("--controls", type=int, default=1200)
    ap.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--payload-bits", type=int, choices=(32, 60), default=BITS)
    ap.add_argument("--overlay-dpi", type=int, default=OVERLAY_DPI)
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    plist = pages(args.pages)
    bits, dpi = args.payload_bits, args.overlay_dpi
    t0 = time.time()
    with ProcessPoolExecutor(args.workers) as ex:
        results = list(ex.map(page_job, [(i, f, n, args.seed, bits, dpi) for i, (f, n) in enumerate(plist)]))
        per = max(2, -(-args.controls // len(plist)))
        ctrl = list(ex.map(control_job, [(i, f, n, args.seed, per, bits, dpi)
                                         for i, (f, n) in enumerate(plist)]))
    if args.verbose:
        for r in results:
            bad = [a for a in ATTACKS if not r["ok"][a]]
            print(f"{r['name']:40s} ssim {r['ssim']:.4f} failed: {' '.join(bad) or '-'} "
                  f"z: {' '.join(format(r['z'][a], '.0f') for a in ATTACKS)}")
    print(f"pages: {len(results)}  (seed {args.seed}, {bits}-bit payload, overlay {dpi} dpi, "
          f"{time.time() - t0:.0f} s)")
    print(f"{'attack':12s} {'decoded':>9s} {'rate':>7s} {'wrong id':>9s} {'mean s':>7s} {'max s':>6s} "
          f"{'cpu mean':>8s} {'cpu max':>7s}")
    for a in ATTACKS:
        ok = sum(r["ok"][a] for r in results)
        wrong = sum(a in r.get("wrong", []) for r in results)
        ts = [r["time"][a] for r in results]
        cs = [r["cpu"][a] for r in results]
        print(f"{a:12s} {ok:4d}/{len(results):<4d} {100 * ok / len(results):6.1f}% {wrong:9d} "
              f"{np.mean(ts):7.2f} {np.max(ts):6.2f} {np.mean(cs):8.2f} {np.max(cs):7.2f}")
    n_ctrl = sum(sum(c["counts"].values()) for c in ctrl)
    found = sum(c["found"] for c in ctrl)
    cts = [t for c in ctrl for t in c["time"]]
    print(f"controls: {n_ctrl} decodes (unmarked {sum(c['counts']['unmarked'] for c in ctrl)}, "
          f"other key {sum(c['counts']['other-key'] for c in ctrl)}), payload returned: {found}, "
          f"mean {np.mean(cts):.2f} s")
    ss = [r["ssim"] for r in results]
    print(f"SSIM at 75 dpi (with vs without): mean {np.mean(ss):.4f}, min {np.min(ss):.4f}")
    print(f"blank page mean luminance with pattern: {blank_luminance(bits):.2f} / 255")


if __name__ == "__main__":
    main()
