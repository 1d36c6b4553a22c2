"""OFD page images: filled paths of axis-aligned rectangles get each pixel's exact area
coverage, so the QR symbol and the fingerprint squares of a copy come out as drawn, and copies
whose own render once lost the QR symbol or the camera-robust fingerprint read back."""

from __future__ import annotations

import io
import random
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from lxml import etree
from PIL import Image

from bench.ofd_render_bench import seeded_stamp
from mijian.pipeline.formats.ofd.copy import stamped_ofd
from mijian.pipeline.formats.ofd.draw import _square
from mijian.pipeline.formats.ofd.reading import open_ofd
from mijian.pipeline.formats.ofd.rects import coverage, fill_rectangles, rectangles
from mijian.pipeline.formats.ofd.render import RENDER_DPI, render_pages
from mijian.pipeline.limits import DEFAULT_LIMITS

DATA = Path(__file__).resolve().parent / "data" / "ofd"


def _edited(plain: bytes, drop: Callable[[etree._Element], bool]) -> bytes:
    """The package ``plain`` without the page objects ``drop(element)`` picks."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(plain)) as source, zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            data = source.read(name)
            if name.endswith("Content.xml"):
                root = etree.fromstring(data)
                for element in [element for element in root.iter() if drop(element)]:
                    element.getparent().remove(element)
                data = etree.tostring(root)
            target.writestr(name, data)
    return out.getvalue()


def _first_page(plain: bytes) -> Image.Image:
    [image] = render_pages(open_ofd(plain, "p", DEFAULT_LIMITS), DEFAULT_LIMITS, 1)
    return image


def _is_text(element: etree._Element) -> bool:
    return etree.QName(element).localname == "TextObject"


def test_only_paths_of_axis_aligned_rectangles_are_taken_as_rectangles() -> None:
    double = lambda x, y: (2 * x, 2 * y)  # noqa: E731
    assert rectangles("M 1 1 L 3 1 L 3 2 L 1 2 C M 5 5 L 5 6 L 6 6 L 6 5 L 5 5 C", double) == [
        (2.0, 2.0, 6.0, 4.0), (10.0, 10.0, 12.0, 12.0)]
    assert rectangles("M 1 1 L 3 1 L 3 2 L 1 2", double) == [(2.0, 2.0, 6.0, 4.0)]  # closed by the fill
    assert rectangles("M 1 1 C M 0 0 L 1 0 L 1 1 L 0 1 C", double) == [(0.0, 0.0, 2.0, 2.0)]
    for other in ("M 1 1 L 3 1 L 3 2 C", "M 1 1 L 3 1 L 3 2 L 1 3 C", "M 1 1 B 3 1 3 2 1 2 C",
                  "M 1 1 L 3 1 L 3 2 L 1 2 A 1 1 0 0 1 2 2 C", "M 1 1 L inf 1 L 3 2 L 1 2 C",
                  "M 0 0 L 1 1 L 2 0 L 1 -1 C", "L 1 1 L 2 1 L 2 2 L 1 2 C", "M 1 1 X 2 2"):
        assert rectangles(other, double) is None, other
    turned = lambda x, y: (y, -x)  # noqa: E731  a quarter turn keeps edges upright
    assert rectangles("M 1 1 L 3 1 L 3 2 L 1 2 C", turned) == [(1.0, -3.0, 2.0, -1.0)]


def test_each_pixel_gets_the_area_the_rectangles_cover() -> None:
    image = Image.new("RGB", (12, 8), (255, 255, 255))
    fill_rectangles(image, [(2.5, 2.5, 8.5, 5.0)], (0, 0, 0), 255)
    grey = np.asarray(image.convert("L"), np.int32)
    across = np.array([0, 0, .5, 1, 1, 1, 1, 1, .5, 0, 0, 0])
    down = np.array([0, 0, .5, 1, 1, 0, 0, 0])
    # the opacity is the covered area in 255ths, to the nearest: 255 - 127.5 -> 255 - 128
    assert np.array_equal(grey, 255 - np.rint(255 * np.outer(down, across)).astype(np.int32))
    faint = Image.new("RGB", (12, 8), (255, 255, 255))
    fill_rectangles(faint, [(2.5, 2.5, 8.5, 5.0)], (0, 0, 0), 14)
    assert np.array_equal(np.asarray(faint.convert("L"), np.int32),
                          255 - np.rint(14 * np.outer(down, across)).astype(np.int32))
    # two rows of modules meeting inside a pixel row fill it once: no seam, no darker line
    rows, _cols, area = coverage([(1.0, 1.0, 6.0, 2.4), (1.0, 2.4, 6.0, 4.0)], (8, 6)) or ((), (), ())
    assert np.allclose(area, 1.0) and len(area) == 5 * 3 and set(rows.tolist()) == {1, 2, 3}


@pytest.mark.parametrize("count", [3, 400])
def test_coverage_is_the_area_summed_over_the_rectangles_and_held_at_one(count: int) -> None:
    """A few rectangles are worked out box by box, many overlapping ones through running sums
    over the image: both give each pixel's covered area, as counted here pixel by pixel."""
    rng = random.Random(count)
    size = (23, 17)
    boxes = []
    for _ in range(count):
        x0, y0 = rng.uniform(-4, 25), rng.uniform(-4, 19)
        boxes.append((x0, y0, x0 + rng.uniform(0, 9), y0 + rng.uniform(0, 6)))
    want = np.zeros((size[1], size[0]))
    for x0, y0, x1, y1 in boxes:
        across = np.clip(np.minimum(np.arange(size[0]) + 1, x1) - np.maximum(np.arange(size[0]), x0), 0, 1)
        down = np.clip(np.minimum(np.arange(size[1]) + 1, y1) - np.maximum(np.arange(size[1]), y0), 0, 1)
        want += np.outer(down, across)
    rows, cols, area = coverage(boxes, size) or ((), (), ())
    got = np.zeros_like(want)
    got[rows, cols] = area
    assert len(set(zip(rows.tolist(), cols.tolist()))) == len(area)  # each pixel once
    assert np.abs(got - np.minimum(want, 1)).max() < 1e-9


def test_the_fingerprint_and_qr_squares_of_a_copy_are_drawn_with_their_exact_ink() -> None:
    """The ink the squares add to the rendered page is their exact area coverage times their
    opacity (to the rounding of each path to whole grey levels), over whatever the page holds beneath them: the page drawn
    without those paths, darkened by the expected coverage, is the page drawn with them."""
    from mijian.pipeline.formats.ofd.draw import MM_PER_POINT, qr_boxes
    from mijian.pipeline.formats.ofd.marks import QR_MM
    from mijian.pipeline.formats.pdf.marks import EDGE
    from mijian.pipeline.screenprint_layer import layer_key
    from mijian.watermark.screenprint import page_marks
    from mijian.watermark.screenprint.marks import alpha_map

    stamp = seeded_stamp(5)
    plain = stamped_ofd((DATA / "keyword2.ofd").read_bytes(), stamp, DEFAULT_LIMITS)
    width, height = 210.0, 297.0
    marks = page_marks(width, height, layer_key(stamp.pattern_key),
                       int.from_bytes(stamp.pattern_payload, "big"))
    corner = (width - EDGE * MM_PER_POINT - QR_MM, height - EDGE * MM_PER_POINT - QR_MM)
    qr = list(qr_boxes(stamp.visible_code, *corner, QR_MM))
    ours = {" ".join(_square(box) for box in boxes) for boxes in (*marks.squares(1.0), qr)}
    dropped: list[str] = []

    def pick(element: etree._Element) -> bool:
        data = next((c.text for c in element if etree.QName(c).localname == "AbbreviatedData"), None)
        if data in ours:
            dropped.append(data)
        return data in ours
    with_marks = np.asarray(_first_page(plain), np.float64)
    without = np.asarray(_first_page(_edited(plain, pick)), np.float64)
    assert len(dropped) == 2 * 3 and with_marks.shape == (1754, 1240, 3)  # both pages
    screen = alpha_map(marks, 1240, 1754, RENDER_DPI).astype(np.float64)
    assert (screen > 0).sum() > 30_000  # every square, not a few
    scale = RENDER_DPI / 25.4
    rows, cols, area = coverage([tuple(v * scale for v in box) for box in qr], (1240, 1754)) or ((), (), ())
    symbol = np.zeros_like(screen)
    symbol[rows, cols] = area
    assert 0.3 < symbol.sum() / (QR_MM * scale) ** 2 < 0.7  # a QR symbol's share of dark modules
    ink = 1 - (1 - screen) * (1 - symbol)
    error = np.abs(with_marks - without * (1 - ink[..., None]))
    # each path painted over a pixel rounds it to a whole grey level once
    assert error.max() <= 2.0 and error[ink > 0].mean() < 0.5


@pytest.mark.parametrize("seed", [5, 65, 72, 3, 38, 41])
def test_copies_whose_own_render_lost_a_layer_read_back(seed: int) -> None:
    """Copies 5, 65 and 72 (QR symbol) and 3, 38 and 41 (camera-robust fingerprint) of
    ``bench/ofd_render_bench.py`` did not read back from the page drawn with snapped polygons,
    with or without their text; here without it, so the fonts of the machine do not matter."""
    from mijian.pipeline.screenprint_layer import layer_key
    from mijian.watermark.qr import read_codes
    from mijian.watermark.screenprint import read

    stamp = seeded_stamp(seed)
    plain = stamped_ofd((DATA / "keyword2.ofd").read_bytes(), stamp, DEFAULT_LIMITS)
    image = _first_page(_edited(plain, _is_text))
    assert stamp.visible_code in read_codes(image)
    assert read(image, layer_key(stamp.pattern_key)).number == int.from_bytes(stamp.pattern_payload, "big")


@pytest.mark.parametrize(("draft", "seed"), [("invoice-999.ofd", 0), ("invoice-999.ofd", 1),
                                             ("v4signed-invoice.ofd", 2)])
def test_the_fingerprint_reads_on_an_invoice_page(draft: str, seed: int) -> None:
    """The camera-robust fingerprint of a copy of a real invoice (210 x 140 mm, a table of thin
    rules) reads back from its own render. It never did (10/10 copies of either invoice lost
    it in ``bench/ofd_render_bench.py``): the one-pixel rules passed for paper, and the (2, 1)
    frequencies of the keyed dot pattern were taken for the marks' lattice. Text is left out,
    so the fonts of the machine do not matter."""
    from mijian.pipeline.screenprint_layer import layer_key
    from mijian.watermark.screenprint import read

    stamp = seeded_stamp(seed)
    plain = stamped_ofd((DATA / draft).read_bytes(), stamp, DEFAULT_LIMITS)
    image = _first_page(_edited(plain, _is_text))
    assert image.width > image.height  # the invoice's landscape page
    assert read(image, layer_key(stamp.pattern_key)).number == int.from_bytes(stamp.pattern_payload, "big")
