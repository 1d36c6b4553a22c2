"""A trace kept for its report: the printable PDF (verdict, each layer's evidence, the
false-match probability, the leak's SHA-256, when and who asked) and, when the leak is a page
image, a picture of where on the page the marks were read.

What the picture can show depends on what the readers tell: the QR symbol's corners come
from the decoder (read again on the picture's page); the page fingerprint is decoded in named
regions of the page (bands, halves or the whole page, see :mod:`pipeline.trace_images`), and
the regions its layer names are drawn; the screen fingerprint is read over the whole image.
The printed code, the text code and the file's metadata have no position on a page image:
they are listed as such. Only the first page image is drawn.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mijian.pipeline.errors import InputError
from mijian.pipeline.limits import Limits
from mijian.pipeline.trace_model import TraceResult

PICTURE_SIDE = 900
"""Longer side of the picture, in pixels (a page image is scaled down to it)."""
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff")
NO_POSITION = ("metadata", "text-code", "visible-code")
"""Layers whose readers give no position on a page image."""
COLOURS = {"qr-code": (220, 30, 30), "page-fingerprint": (30, 90, 220), "screen-fingerprint": (20, 150, 60)}


@dataclass(frozen=True)
class TraceRecord:
    """One trace as its report needs it: who asked and when, the leak's name and SHA-256, the
    result, and the picture (PNG bytes, or None) with the layers drawn on it and those that
    have no position."""

    asked_by: str
    at: str
    leak_name: str
    sha256: str
    result: TraceResult
    picture: bytes | None
    drawn: tuple[str, ...]
    not_drawn: tuple[str, ...]


def _fingerprint_boxes(result: TraceResult, width: int, height: int) -> list[tuple[int, int, int, int]]:
    """The boxes (in the shrunk page's pixels) of the regions where the page fingerprint
    named a copy on page 1, as its layer states them."""
    from mijian.pipeline.trace_images import band_boxes, half_boxes

    layer = next((x for x in result.layers if x.name == "page-fingerprint"), None)
    if layer is None or not layer.support:
        return []
    named = set()
    for part in layer.detail.split("; "):
        found = re.search(r"on page 1 (.*)$", part)
        if found:
            named |= {r.strip() for r in found.group(1).split(",")}
    boxes = {label: box for label, box in band_boxes(width, height) + half_boxes(width, height)}
    boxes["whole page"] = (0, 0, width, height)
    return [boxes[label] for label in sorted(named) if label in boxes]


def _layer_found(result: TraceResult, name: str) -> bool:
    """Whether the layer ``name`` read a mark that points anywhere."""
    return any(x.name == name and x.support for x in result.layers)


def draw_picture(page: Any, result: TraceResult) -> tuple[bytes, tuple[str, ...]]:
    """The page image scaled down with a box over each region a mark was read in; returns
    the PNG and the layers drawn."""
    import io

    from PIL import ImageDraw

    from mijian.pipeline.trace_images import shrunk
    from mijian.watermark.qr import code_positions

    page = page.convert("RGB")
    scale = min(1.0, PICTURE_SIDE / max(page.size))
    picture = page.resize((max(1, round(page.width * scale)), max(1, round(page.height * scale))))
    draw = ImageDraw.Draw(picture)
    drawn = []
    fitted = shrunk(page)  # the fingerprint's regions are boxes of the page shrunk as it was read
    ratio = picture.width / fitted.width
    boxes = _fingerprint_boxes(result, fitted.width, fitted.height)
    for box in boxes:
        draw.rectangle([round(v * ratio) for v in box], outline=COLOURS["page-fingerprint"], width=4)
    if boxes:
        drawn.append("page-fingerprint")
    if _layer_found(result, "qr-code"):
        for _text, corners in code_positions(page):
            draw.polygon([(round(x * scale), round(y * scale)) for x, y in corners],
                         outline=COLOURS["qr-code"], width=4)
            if "qr-code" not in drawn:
                drawn.append("qr-code")
    if _layer_found(result, "screen-fingerprint"):
        draw.rectangle([2, 2, picture.width - 3, picture.height - 3], outline=COLOURS["screen-fingerprint"],
                       width=3)
        drawn.append("screen-fingerprint")
    out = io.BytesIO()
    picture.save(out, format="PNG")
    return out.getvalue(), tuple(drawn)


def make_record(path: Path, result: TraceResult, asked_by: str, at: str, limits: Limits) -> TraceRecord:
    """The record of a trace of the leak at ``path`` (read again here for its SHA-256 and,
    for a page image, its first page)."""
    import hashlib

    data = path.read_bytes()
    picture: bytes | None = None
    drawn: tuple[str, ...] = ()
    if path.suffix.lower() in IMAGE_SUFFIXES:
        from mijian.pipeline.formats.images.loading import load_images

        try:
            pages = load_images(data, path.name, limits)
        except InputError:  # the trace said what it could of an unreadable image; no picture
            pages = []
        if pages:
            picture, drawn = draw_picture(pages[0], result)
    found = [x.name for x in result.layers if x.support]
    not_drawn = tuple(name for name in found if name not in drawn)
    return TraceRecord(asked_by=asked_by, at=at, leak_name=path.name, sha256=hashlib.sha256(data).hexdigest(),
                       result=result, picture=picture, drawn=drawn, not_drawn=not_drawn)


def _lines(record: TraceRecord) -> list[str]:
    """The report's text, line by line."""
    r = record.result
    lines = [f"Verdict 结论: {r.verdict}"]
    if r.recipient_id:
        lines.append(f"Recipient 接收人: {r.recipient_name} ({r.recipient_id}) · serial 份号 {r.serial} · "
                     f"{r.document_id}")
    if r.false_match_probability is not None:
        lines.append(f"False-match probability 误配概率: {r.false_match_probability:.3g}")
    lines += [f"Leak 泄露文件: {record.leak_name}", f"SHA-256: {record.sha256}",
              f"Traced at 追查时间: {record.at}", f"Asked by 追查人: {record.asked_by}", ""]
    for p in r.points_to:
        lines.append(f"Points to 指向: {p.serial or p.copy_id} {p.recipient_name or ''} ({p.recipient_id or '?'}) "
                     f"by {', '.join(p.layers)}, p = {p.false_match_probability:.3g}")
    lines += ["", "Layers 各层证据:"]
    for layer in r.layers:
        lines.append(f"- {layer.name}: {layer.verdict}. {layer.detail}")
    if record.picture is not None:
        lines += ["", "Where the marks were read 标记位置: " + (", ".join(record.drawn) or "none drawn"),
                  "No position on the page 无位置信息: " + (", ".join(record.not_drawn) or "none")]
    return lines


LINE_WIDTH = 495.0
"""Width of a report line in points (an A4 page less its margins)."""
PAGE_LINES = 58
FONT_SIZE = 9.0


def wrapped(line: str, font: Any) -> list[str]:
    """``line`` cut into pieces no wider than :data:`LINE_WIDTH` in ``font``."""
    out, piece = [], ""
    for char in line:
        if piece and font.text_length(piece + char, fontsize=FONT_SIZE) > LINE_WIDTH:
            out.append(piece)
            piece = ""
        piece += char
    return [*out, piece]


def report_pdf(record: TraceRecord) -> bytes:
    """The printable report as PDF bytes (A4, :data:`PAGE_LINES` lines a page; the picture
    on a page of its own). The text is set in PyMuPDF's built-in CJK font, whose Latin
    letters are proportional, and only the glyphs used are embedded."""
    import pymupdf

    font = pymupdf.Font("cjk")
    lines = [piece for line in _lines(record) for piece in wrapped(line, font)]
    doc = pymupdf.open()
    for start in range(0, len(lines), PAGE_LINES):
        page = doc.new_page(width=595, height=842)
        writer = pymupdf.TextWriter(page.rect)
        if start == 0:
            writer.append((50, 60), "mijian trace report 追查报告", font=font, fontsize=16)
        for n, line in enumerate(lines[start:start + PAGE_LINES]):
            writer.append((50, 95 + n * FONT_SIZE * 1.35), line, font=font, fontsize=FONT_SIZE)
        writer.write_text(page)
    if record.picture is not None:
        page = doc.new_page(width=595, height=842)
        writer = pymupdf.TextWriter(page.rect)
        writer.append((50, 60), "Where the marks were read 标记位置", font=font, fontsize=14)
        writer.write_text(page)
        page.insert_image(pymupdf.Rect(50, 80, 545, 800), stream=record.picture)
    doc.subset_fonts()
    data = doc.tobytes(garbage=3, deflate=True)
    doc.close()
    return bytes(data)
