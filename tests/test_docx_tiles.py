"""The tiled visible watermark of DOCX copies: the grid covers portrait and landscape pages
evenly, a landscape section with its own header gets a landscape tiling, a header shared by
portrait and landscape sections covers both, and LibreOffice draws tiles on the part of a
landscape page beyond a portrait page's width."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import docx
import pytest
from docx.enum.section import WD_ORIENT, WD_SECTION
from lxml import etree

from mijian.pipeline.formats.docx.copy import write_docx_copy
from mijian.pipeline.formats.docx.tiles import TILE_SLOTS, tiles
from tests.test_docx_io import PASSWORD, VML, decrypt, members, stamp_for

A4 = (595.3, 841.9)


def _boxes(header: bytes) -> list[tuple[float, float, float, float]]:
    """Left, top, width and height (points) of every watermark shape of a header part."""
    boxes = []
    for shape in etree.fromstring(header).iter(f"{{{VML}}}shape"):
        style = dict(item.split(":", 1) for item in shape.get("style").split(";"))
        boxes.append(tuple(float(style[key][:-2])
                           for key in ("margin-left", "margin-top", "width", "height")))
    return boxes


def _centres(boxes: list[tuple[float, float, float, float]]) -> tuple[set[float], set[float]]:
    return ({round(x + w / 2, 1) for x, _, w, _ in boxes},
            {round(y + h / 2, 1) for _, y, _, h in boxes})


def test_grid_covers_portrait_and_landscape_evenly() -> None:
    """2 x 3 cells on A4 portrait, 3 x 2 on landscape, every tile centred in its cell; a huge
    page keeps within the shape numbers kept for one header."""
    for (width, height), (columns, rows) in ((A4, (2, 3)), (A4[::-1], (3, 2))):
        found = tiles("张三 000003", width, height)
        xs, ys = _centres([(t.left, t.top, t.width, t.height) for t in found])
        assert len(found) == columns * rows and (len(xs), len(ys)) == (columns, rows)
        assert sorted(xs) == pytest.approx([(i + 0.5) * width / columns for i in range(columns)],
                                           abs=0.1)
        assert sorted(ys) == pytest.approx([(i + 0.5) * height / rows for i in range(rows)],
                                           abs=0.1)
        assert all(t.width <= min(width / columns, height / rows) * 1.42 for t in found)
    assert len(tiles("J 7", 5000.0, 5000.0)) <= TILE_SLOTS


def _mixed(linked: bool) -> bytes:
    """A portrait section then a landscape one, with its own header or sharing the first."""
    document = docx.Document()
    document.add_paragraph("Portrait text.")
    wide = document.add_section(WD_SECTION.NEW_PAGE)
    wide.orientation = WD_ORIENT.LANDSCAPE
    wide.page_width, wide.page_height = wide.page_height, wide.page_width
    if not linked:
        wide.header.is_linked_to_previous = False
        wide.header.paragraphs[0].text = "Landscape header"
    document.add_paragraph("Landscape text.")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_landscape_sections_are_tiled(tmp_path: Path) -> None:
    """Its own header: a landscape grid inside the landscape page. A shared header: tiles
    reach across the landscape page's width and down the portrait page's height."""
    out = tmp_path / "own.docx"
    write_docx_copy(_mixed(linked=False), stamp_for(), out)
    plain = decrypt(out, PASSWORD)
    parts = members(plain)
    sections = docx.Document(io.BytesIO(plain)).sections
    wide_part = sections[1].header.part.partname.lstrip("/")
    xs, ys = _centres(_boxes(parts[wide_part]))
    width, height = sections[1].page_width / 12700, sections[1].page_height / 12700
    assert len(xs) >= 3 and len(ys) >= 2 and max(xs) < width and max(ys) < height
    xs, ys = _centres(_boxes(parts[sections[0].header.part.partname.lstrip("/")]))
    assert len(xs) >= 2 and len(ys) >= 3 and max(xs) < height  # the portrait one

    shared = tmp_path / "shared.docx"
    write_docx_copy(_mixed(linked=True), stamp_for(), shared)
    plain = decrypt(shared, PASSWORD)
    [name] = [n for n in members(plain) if n.startswith("word/header")]
    xs, ys = _centres(_boxes(members(plain)[name]))
    assert max(xs) > height * 0.8 and max(ys) > height * 0.8  # beyond the portrait width
    binary = shutil.which("soffice") or shutil.which("libreoffice")
    if binary is None:
        pytest.skip("LibreOffice (soffice) is not installed; rendering not checked")
    pymupdf = pytest.importorskip("pymupdf")
    source = tmp_path / "plain.docx"
    source.write_bytes(plain)
    subprocess.run([binary, f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
                    "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(source)],
                   check=True, capture_output=True, timeout=300)
    with pymupdf.open(tmp_path / "plain.pdf") as pdf:
        page = next(p for p in pdf if p.rect.width > p.rect.height)
        grey = [d["rect"] for d in page.get_drawings()
                if d.get("fill") and max(d["fill"]) - min(d["fill"]) < 0.02
                and 0.6 < d["fill"][0] < 0.95]
        assert any(rect.x1 > page.rect.width * 0.8 for rect in grey), "right edge unmarked"
        assert any(rect.x0 < page.rect.width * 0.2 for rect in grey), "left edge unmarked"
