"""Leak simulations for ``leak_bench.py``: what a leaker's print, scan, fax, camera, screen
or chat app does to a page image. Every function takes the page as an RGB image at
``MASTER_DPI`` and a seeded ``numpy.random.Generator``, draws its parameters in the ranges
of the leak table, and returns the leaked image and a one-line description.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageFilter

MASTER_DPI = 300


def jpeg(image: Image.Image, quality: int) -> Image.Image:
    """A JPEG round trip, 4:2:0 chroma."""
    buf = io.BytesIO()
    image.convert("RGB").save(buf, "JPEG", quality=int(quality), subsampling=2)
    return Image.open(io.BytesIO(buf.getvalue())).convert("RGB")


def resize_long(image: Image.Image, side: int) -> Image.Image:
    """The image with its longer side ``side`` px (Lanczos), as chat apps do."""
    f = side / max(image.size)
    return image.resize((max(1, round(image.width * f)), max(1, round(image.height * f))),
                        Image.Resampling.LANCZOS)


def _homography(src: np.ndarray, dst: np.ndarray) -> tuple[float, ...]:
    """PIL PERSPECTIVE coefficients mapping output points ``dst`` to input points ``src``."""
    rows, rhs = [], []
    for (x, y), (u, v) in zip(dst, src):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs += [u, v]
    return tuple(np.linalg.solve(np.array(rows, float), np.array(rhs, float)))


def _warp(image: Image.Image, size: tuple[int, int], corners: np.ndarray,
          fill: tuple[int, int, int], resample=Image.Resampling.BICUBIC) -> Image.Image:
    """``image`` placed with its corners at ``corners`` (tl, tr, br, bl) in a new image."""
    w, h = image.size
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], float)
    coeffs = _homography(src, corners)
    return image.transform(size, Image.Transform.PERSPECTIVE, coeffs, resample, fillcolor=fill)


def _quad(rng: np.random.Generator, w: float, h: float, amount: float, margin: float,
          frame: tuple[int, int]) -> np.ndarray:
    """Corners of a page of w x h placed in ``frame`` with perspective ``amount`` (share of
    the page size each corner moves) and a margin."""
    fw, fh = frame
    scale = min((fw * (1 - 2 * margin)) / w, (fh * (1 - 2 * margin)) / h)
    pw, ph = w * scale, h * scale
    x0, y0 = (fw - pw) / 2, (fh - ph) / 2
    base = np.array([[x0, y0], [x0 + pw, y0], [x0 + pw, y0 + ph], [x0, y0 + ph]])
    jitter = rng.uniform(-1, 1, (4, 2)) * amount * np.array([pw, ph]) / 2
    return base + jitter


def _noise(a: np.ndarray, rng: np.random.Generator, sigma: float) -> np.ndarray:
    return a + rng.normal(0, sigma, a.shape)


def _to_image(a: np.ndarray) -> Image.Image:
    return Image.fromarray(np.clip(np.round(a), 0, 255).astype(np.uint8))


def print_scan(page: Image.Image, rng: np.random.Generator) -> tuple[Image.Image, str]:
    """Printed (blur, dot gain, speckle), scanned at 150-200 dpi with +-1.5 deg skew, JPEG
    75-90."""
    dpi = rng.uniform(150, 200)
    blur, gain, skew, q = rng.uniform(0.5, 1.3), rng.uniform(1.05, 1.4), rng.uniform(-1.5, 1.5), rng.integers(75, 91)
    grey = page.convert("L").filter(ImageFilter.GaussianBlur(blur))
    a = 255.0 * (np.asarray(grey, np.float32) / 255.0) ** gain
    speck = rng.random(a.shape) < 2e-4
    a[speck] *= 0.3
    img = _to_image(_noise(a, rng, 2.0)).rotate(skew, Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    img = img.resize((round(img.width * dpi / MASTER_DPI), round(img.height * dpi / MASTER_DPI)),
                     Image.Resampling.BOX)
    return jpeg(img.convert("RGB"), q), f"{dpi:.0f} dpi, blur {blur:.1f}, gain {gain:.2f}, skew {skew:+.1f}, q{q}"


def fax(page: Image.Image, rng: np.random.Generator) -> tuple[Image.Image, str]:
    """Faxed: 204 x 98 dpi, 1-bit, dithered or thresholded, +-1 deg skew."""
    skew, dither = rng.uniform(-1, 1), bool(rng.integers(0, 2))
    grey = page.convert("L").rotate(skew, Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    grey = grey.resize((round(grey.width * 204 / MASTER_DPI), round(grey.height * 98 / MASTER_DPI)),
                       Image.Resampling.BOX)
    if dither:
        bw = grey.convert("1")
    else:
        bw = grey.point(lambda v: 255 if v >= 128 else 0).convert("1", dither=Image.Dither.NONE)
    return bw.convert("L"), f"skew {skew:+.1f}, {'dithered' if dither else 'threshold'}"


def _lighting(a: np.ndarray, rng: np.random.Generator, shadow: bool) -> np.ndarray:
    """Uneven light (a tilted plane), vignetting and an optional soft shadow, as factors."""
    h, w = a.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    gx, gy = rng.uniform(-0.25, 0.25, 2)
    light = 1 + gx * (xx / w - 0.5) + gy * (yy / h - 0.5)
    r2 = ((xx / w - 0.5) ** 2 + (yy / h - 0.5) ** 2) / 0.5
    light *= 1 - rng.uniform(0.1, 0.35) * r2
    if shadow:
        nx, ny = rng.normal(size=2)
        d = (nx * (xx / w - rng.uniform(0.2, 0.8)) + ny * (yy / h - rng.uniform(0.2, 0.8)))
        light *= 1 - rng.uniform(0.15, 0.4) / (1 + np.exp(-d * 40))
    return a * light[..., None] if a.ndim == 3 else a * light


def paper_photo(page: Image.Image, rng: np.random.Generator) -> tuple[Image.Image, str]:
    """A printout photographed: perspective 3-10 %, uneven light, shadow, defocus, noise,
    vignetting, JPEG 80-92, the page filling 70-90 % of a 3,000 px frame."""
    printed = page.filter(ImageFilter.GaussianBlur(rng.uniform(0.4, 1.0)))
    amount, margin = rng.uniform(0.03, 0.10), rng.uniform(0.05, 0.15)
    frame = (2250, 3000)
    corners = _quad(rng, page.width, page.height, amount, margin, frame)
    table = tuple(int(v) for v in rng.integers(60, 160, 3))
    shot = _warp(printed, frame, corners, table)
    a = np.asarray(shot, np.float32) * rng.uniform(0.75, 0.95)
    a = _lighting(a, rng, shadow=bool(rng.random() < 0.6))
    img = _to_image(a).filter(ImageFilter.GaussianBlur(defocus := rng.uniform(0.5, 1.6)))
    a = _noise(np.asarray(img, np.float32), rng, noise := rng.uniform(2, 6))
    q = int(rng.integers(80, 93))
    return jpeg(_to_image(a), q), (f"perspective {amount:.2f}, defocus {defocus:.1f}, noise "
                                   f"{noise:.1f}, q{q}")


def screen_photo(page: Image.Image, rng: np.random.Generator) -> tuple[Image.Image, str]:
    """The page shown on a screen (90-140 px per inch of page) and photographed: RGB
    subpixel stripes, 1.1-2.0 camera px per screen px (moiré from the resampling),
    perspective 2-8 %, blur, noise, JPEG 85."""
    sdpi = rng.uniform(90, 140)
    shown = page.resize((round(page.width * sdpi / MASTER_DPI), round(page.height * sdpi / MASTER_DPI)),
                        Image.Resampling.LANCZOS)
    a = np.asarray(shown.convert("RGB"), np.float32)
    h, w = a.shape[:2]
    sub = np.zeros((h * 3, w * 3, 3), np.float32)
    for c in range(3):
        sub[:, c::3, c] = np.repeat(a[..., c], 3, axis=0)
    sub[2::3] *= 0.75  # the dark rows between pixel rows
    cam = rng.uniform(1.1, 2.0)
    # each camera pixel gathers light over its own area (3 / cam subpixels wide) through the
    # lens: a blur of about that size before the point sampling of the warp
    screen = _to_image(sub).filter(ImageFilter.GaussianBlur(0.45 * 3 / cam))
    amount = rng.uniform(0.02, 0.08)
    frame = (round(w * cam * 1.1), round(h * cam * 1.1))
    corners = _quad(rng, screen.width, screen.height, amount, 0.04, frame)
    shot = _warp(screen, frame, corners, (20, 20, 25), Image.Resampling.BILINEAR)
    shot = shot.filter(ImageFilter.GaussianBlur(blur := rng.uniform(0.4, 1.0)))
    # exposure: bright enough for the paper to read light grey, not so bright that a
    # subpixel column saturates
    b = np.asarray(shot, np.float32) * (gain := rng.uniform(1.3, 1.7))
    b = _lighting(b, rng, shadow=False)
    b = _noise(b, rng, noise := rng.uniform(1.5, 4))
    return jpeg(_to_image(b), 85), (f"screen {sdpi:.0f} ppi, {cam:.2f} camera px/screen px, "
                                    f"perspective {amount:.2f}, blur {blur:.1f}, gain {gain:.2f}, noise {noise:.1f}")


def chat_forward(page: Image.Image, rng: np.random.Generator) -> tuple[Image.Image, str]:
    """Forwarded by a chat app: 1,280 px JPEG 70, then 1,080 px JPEG 65."""
    del rng
    return jpeg(resize_long(jpeg(resize_long(page, 1280), 70), 1080), 65), "1280/q70 then 1080/q65"


def header_footer(page: Image.Image, rng: np.random.Generator) -> tuple[Image.Image, str]:
    """Top and bottom 12 % of the page painted white, then a chat forward."""
    a = np.asarray(page.convert("RGB")).copy()
    band = round(0.12 * a.shape[0])
    a[:band] = 255
    a[-band:] = 255
    out, how = chat_forward(Image.fromarray(a), rng)
    return out, "bands painted out, " + how


def partial_crop(page: Image.Image, rng: np.random.Generator) -> tuple[Image.Image, str]:
    """15-30 % of the page's area, cut out of a paper photo or of a chat forward."""
    area = rng.uniform(0.15, 0.30)
    wf = rng.uniform(max(area, 0.4), 1.0)
    hf = min(1.0, area / wf)
    x0 = rng.uniform(0.0, 1.0 - wf)
    y0 = rng.uniform(0.08, max(0.08, 0.92 - hf))
    if rng.random() < 0.5:
        shot, how = chat_forward(page, rng)
        box = (x0 * shot.width, y0 * shot.height, (x0 + wf) * shot.width, (y0 + hf) * shot.height)
    else:
        sub = np.random.default_rng(rng.integers(1 << 31))
        shot, how = paper_photo(page, sub)
        # the page's place in the frame, without the perspective (close enough for a crop)
        fw, fh = shot.size
        scale = min(fw * 0.8 / page.width, fh * 0.8 / page.height)
        pw, ph = page.width * scale, page.height * scale
        ox, oy = (fw - pw) / 2, (fh - ph) / 2
        box = (ox + x0 * pw, oy + y0 * ph, ox + (x0 + wf) * pw, oy + (y0 + hf) * ph)
    crop = shot.crop(tuple(round(v) for v in box))
    return crop, f"{area:.0%} of the page ({wf:.2f} x {hf:.2f}) from {how}"


FORMS = {
    "print_scan": print_scan,
    "fax": fax,
    "paper_photo": paper_photo,
    "screen_photo": screen_photo,
    "chat_forward": chat_forward,
    "partial_crop": partial_crop,
    "header_footer": header_footer,
}
"""Every leak row of the benchmark, in table order."""
