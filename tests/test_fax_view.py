"""A standard-resolution fax (204 x 98 dpi, 1-bit) is recognised and read upright by the page
fingerprint (watermark/fax_view.py, pipeline/trace_images.read_fingerprints)."""

from __future__ import annotations

import numpy as np
import pymupdf
import pytest
from PIL import Image

from mijian.watermark.fax_view import FAX_STRETCH, fax_views, looks_faxed, paper_like
from mijian.watermark.pattern import apply_to_image, decode, payload_from_copy_id

KEY = b"fax-view-test-key-0123456789abcd"
COPY_ID = "7K3M9Q2XFAXV"


def _bilevel(width: int, height: int) -> Image.Image:
    rng = np.random.default_rng(5)
    return Image.fromarray(np.where(rng.random((height, width)) < 0.03, 0, 255).astype(np.uint8), "L")


def _fax(page: Image.Image, dpi: int) -> Image.Image:
    """``page`` at ``dpi`` sent at 204 x 98 dpi, thresholded (no skew: deterministic)."""
    grey = page.convert("L").resize((round(page.width * 204 / dpi), round(page.height * 98 / dpi)),
                                    Image.Resampling.BOX)
    return grey.point(lambda v: 255 if v >= 128 else 0).convert("1", dither=Image.Dither.NONE)


def test_paper_proportions_either_way_up() -> None:
    assert paper_like(210, 297) and paper_like(297, 210) and paper_like(215.9, 279.4)
    assert not paper_like(210, 297 * 98 / 204) and not paper_like(100, 100)
    assert not paper_like(0, 10)


def test_a_squashed_two_level_page_looks_faxed_and_nothing_else_does() -> None:
    a4 = (840, 1188)
    faxed = _bilevel(a4[0], round(a4[1] * 98 / 204))
    assert looks_faxed(faxed)
    assert looks_faxed(_bilevel(a4[1], round(a4[0] * 98 / 204)))  # landscape A4 faxed
    assert not looks_faxed(_bilevel(*a4))  # a binarised scan of an upright page
    assert not looks_faxed(_bilevel(a4[1], a4[0]))  # ... of a landscape page
    assert not looks_faxed(Image.new("L", faxed.size, 200))  # grey, not two-level
    assert not looks_faxed(_bilevel(500, 500))  # a crop


def test_views_of_a_fax_and_of_anything_else() -> None:
    faxed = _bilevel(840, round(1188 * 98 / 204)).convert("1")
    views = fax_views(faxed)
    assert [label for label, _img in views] == ["fax upright ", "fax smoothed "]
    assert all(img.size == (840, round(faxed.height * FAX_STRETCH)) for _label, img in views)
    assert all(img.mode == "L" for _label, img in views)
    page = _bilevel(840, 1188)
    assert fax_views(page) == [("", page)]


@pytest.fixture(scope="module")
def faxed_page() -> Image.Image:
    """An A4 page with text and the page pattern at 200 dpi, faxed."""
    doc = pymupdf.open()
    p = doc.new_page(width=595.28, height=841.89)
    text = ("Memorandum. Copies are numbered and issued to named recipients only; do not "
            "photocopy, photograph or forward this document without written approval. ") * 3
    for i in range(4):
        p.insert_textbox(pymupdf.Rect(72, 90 + 170 * i, 523, 200 + 170 * i), text, fontsize=11)
    pix = p.get_pixmap(dpi=200, alpha=False)
    page = Image.frombytes("RGB", (pix.width, pix.height), pix.samples)
    return _fax(apply_to_image(page, payload_from_copy_id(COPY_ID), KEY, dpi=200), 200)


def test_the_page_pattern_reads_a_fax_upright_only(faxed_page: Image.Image) -> None:
    assert looks_faxed(faxed_page)
    assert decode(faxed_page, KEY).payload is None
    _label, upright = fax_views(faxed_page)[0]
    assert decode(upright, KEY).payload == payload_from_copy_id(COPY_ID)


class _Register:
    def count_copies(self) -> int:
        return 1


def test_the_smoothed_view_is_read_only_when_the_upright_one_names_nothing(monkeypatch) -> None:
    import mijian.pipeline.trace_images as ti

    faxed = _bilevel(840, round(1188 * 98 / 204))
    read: list[str] = []

    def fake_read(region, page, band, keys, register, copies, named=None):
        read.append(band)
        number = 7 if band.startswith(named or "-") else None
        return ti.Reading(page, band, number, "C1" if number else None, 1e-9, False)

    monkeypatch.setattr(ti, "_read", fake_read)
    readings, _several = ti.read_fingerprints([faxed], [b"k"], _Register())
    assert {b[:b.index(" ", 4)] for b in read} == {"fax upright", "fax smoothed"}
    # every region read is counted (the false-match bound multiplies by it)
    assert len(readings) == len(read)
    read.clear()
    monkeypatch.setattr(ti, "_read", lambda *a: fake_read(*a, named="fax upright"))
    readings, _several = ti.read_fingerprints([faxed], [b"k"], _Register())
    assert read and all(b.startswith("fax upright") for b in read)
    assert ti.fingerprint_layer(readings, 0, 1).verdict == "valid"
    read.clear()
    page = _bilevel(840, 1188)
    ti.read_fingerprints([page], [b"k"], _Register())
    assert read and not any(b.startswith("fax") for b in read)
