"""Framing leaks for ``trace_bench.py``: recipient A leaks and wants colleague B blamed.

Each function takes the leak material of A's copy and of B's copy of the same draft (their
plain files, page renders and text, see :class:`Material`) and writes one leak that carries
B's marks on A's material. ``trace`` must never name B on any of them; naming A or no one is
fine. Scenarios (``FRAMINGS``):

- ``frame_qr``: A's page image with B's QR symbol (cut from B's page image) pasted over A's;
- ``frame_text``: A's pasted page text with every Unicode Cf character removed and A's printed
  codes replaced by B's (B's code appended where A's text has none); the 份号 stays A's;
- ``frame_meta``: A's page rasterised into an image-only PDF whose Info holds B's token;
- ``frame_white``: the same image-only PDF with B's printed code as tiny white text;
- ``frame_textcode``: the same with one run of B's invisible text code as tiny text;
- ``frame_halves``: a page image of A's top half and B's bottom half (B's QR included).

Importable on its own (numpy, PIL, PyMuPDF); the material is built by ``trace_bench``.
"""

from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pymupdf
from PIL import Image

FRAMINGS = ("frame_qr", "frame_text", "frame_meta", "frame_white", "frame_textcode", "frame_halves")
_CODE = re.compile(r"MJ1-[0-9A-Z]{12}-[0-9A-Z]{8}")
_TEXT_RUN = re.compile("\u2062[^\u2063]{20,}\u2063")


@dataclass(frozen=True)
class Material:
    """What one copy gives a leaker: its page render (150 dpi, None for a DOCX without
    LibreOffice), the page size in points, its pasted page text, and the marks read out of
    its plain file (token, every text the readers see)."""

    image: Image.Image | None
    size: tuple[float, float]
    pasted: str
    token: str | None
    all_text: str


def material(kind: str, plain: bytes, page: Image.Image | None, size: tuple[float, float],
             pasted: str, work: Path) -> Material:
    """Read the token and every text of a plain copy with mijian's own readers."""
    from mijian.pipeline.limits import DEFAULT_LIMITS

    path = work / f"plain.{kind}"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(plain)
    if kind == "docx":
        from mijian.pipeline.formats.docx.evidence import read_docx_evidence

        evidence = read_docx_evidence(path, [], DEFAULT_LIMITS)
    else:
        from mijian.pipeline.formats.pdf.evidence import read_pdf_evidence

        evidence = read_pdf_evidence(path, [], DEFAULT_LIMITS)
    return Material(page, size, pasted, evidence.token, evidence.text)


def _qr_box(image: Image.Image) -> tuple[int, int, int, int] | None:
    import zxingcpp

    found = zxingcpp.read_barcodes(np.asarray(image.convert("L")), formats=zxingcpp.BarcodeFormat.QRCode)
    if not found:
        return None
    p = found[0].position
    xs = [p.top_left.x, p.top_right.x, p.bottom_left.x, p.bottom_right.x]
    ys = [p.top_left.y, p.top_right.y, p.bottom_left.y, p.bottom_right.y]
    return max(0, min(xs) - 6), max(0, min(ys) - 6), max(xs) + 7, max(ys) + 7


def _image_pdf(image: Image.Image, size: tuple[float, float]) -> pymupdf.Document:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    doc = pymupdf.open()
    page = doc.new_page(width=size[0], height=size[1])
    page.insert_image(page.rect, stream=buffer.getvalue())
    doc.set_metadata({"title": "scan"})
    return doc


def _tiny_white(doc: pymupdf.Document, text: str) -> None:
    writer = pymupdf.TextWriter(doc[0].rect)
    writer.append((36, doc[0].rect.height - 20), text, font=pymupdf.Font("cjk"), fontsize=1)
    writer.write_text(doc[0], color=(1, 1, 1))


def make(name: str, a: Material, b: Material, work: Path) -> Path | None:
    """Write framing ``name`` of A's material with B's marks; None when the material lacks
    what it needs (no page image, no code of B's to move)."""
    work.mkdir(parents=True, exist_ok=True)
    code_b = _CODE.search(b.all_text)
    if name == "frame_text":
        text = "".join(ch for ch in a.pasted if unicodedata.category(ch) != "Cf")
        if code_b is None:
            return None
        moved = _CODE.sub(code_b.group(0), text)
        if moved == text:
            moved = text + "\n" + code_b.group(0) + "\n"
        path = work / "frame_text.txt"
        path.write_text(moved, encoding="utf-8")
        return path
    if a.image is None or b.image is None:
        return None
    if name in ("frame_qr", "frame_halves"):
        return _image_framing(name, a, b, work)
    doc = _image_pdf(a.image, a.size)
    if name == "frame_meta":
        if not b.token:
            return None
        _kind, value = doc.xref_get_key(-1, "Info")
        doc.xref_set_key(int(value.split()[0]), "MijianToken", pymupdf.get_pdf_str(b.token))
    elif name == "frame_white":
        if code_b is None:
            return None
        _tiny_white(doc, code_b.group(0))
    elif name == "frame_textcode":
        run = _TEXT_RUN.search(b.all_text)
        if run is None:
            return None
        _tiny_white(doc, run.group(0))
    path = work / f"{name}.pdf"
    doc.save(path)
    return path


def _image_framing(name: str, a: Material, b: Material, work: Path) -> Path | None:
    if name == "frame_qr":
        box = _qr_box(b.image)
        if box is None:
            return None
        leak = a.image.copy()
        leak.paste(b.image.crop(box), box[:2])
    else:
        if a.image.size != b.image.size:
            return None
        pixels = np.asarray(a.image).copy()
        half = pixels.shape[0] // 2
        pixels[half:] = np.asarray(b.image)[half:]
        leak = Image.fromarray(pixels)
    path = work / f"{name}.png"
    leak.save(path)
    return path
