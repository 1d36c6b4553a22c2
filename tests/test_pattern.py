"""Page pattern: round trips through the usual leak forms, and no payload where none is."""

from __future__ import annotations

import io
import time

import numpy as np
import pymupdf
import pytest
from PIL import Image

from mijian.watermark.pattern import (
    OVERLAP_SEVERAL,
    Z_ACCEPT,
    page_dots,
    NUMBER_PARAMS,
    Detection,
    PatternKey,
    PatternParams,
    apply_to_image,
    copy_id_from_payload,
    make_overlay,
    number_from_payload,
    payload_from_copy_id,
    payload_from_number,
)
from mijian.watermark.pattern import decode as decode_pattern
from mijian.watermark.pattern_image import ssim

KEY = b"pattern-test-key-0123456789abcdef"
OTHER = b"another-office-key-0123456789abcd"
COPY_ID = "7K3M9Q2XABCD"

ZH = ("关于加强内部文件管理的通知。各部门：为进一步规范涉密文件的分发、传阅和回收，"
      "现就有关事项通知如下。一、严格执行文件登记制度，每份文件须编号并登记接收人。"
      "二、未经批准不得复印、拍照或转发。三、发现文件遗失应立即报告。")
EN = ("Memorandum. The committee reviewed the draft budget and the procurement schedule. "
      "Copies are numbered and issued to named recipients only; do not photocopy, "
      "photograph or forward this document without written approval from the office.")


@pytest.fixture(scope="module")
def page() -> Image.Image:
    """An A4 page of Chinese and English paragraphs rendered at 150 dpi."""
    doc = pymupdf.open()
    p = doc.new_page(width=595.28, height=841.89)
    y = 72.0
    for i in range(6):
        text = ZH if i % 2 == 0 else EN
        rect = pymupdf.Rect(72, y, 523, y + 95)
        p.insert_textbox(rect, text, fontsize=11, fontname="china-s")
        y += 110
    pix = p.get_pixmap(dpi=150, alpha=False)
    return Image.frombytes("RGB", (pix.width, pix.height), pix.samples)


@pytest.fixture(scope="module")
def payload() -> bytes:
    return payload_from_copy_id(COPY_ID)


@pytest.fixture(scope="module")
def marked(page: Image.Image, payload: bytes) -> Image.Image:
    return apply_to_image(page, payload, KEY)


def _jpeg(image: Image.Image, quality: int) -> Image.Image:
    buf = io.BytesIO()
    image.convert("RGB").save(buf, "JPEG", quality=quality, subsampling=2)
    return Image.open(io.BytesIO(buf.getvalue()))


@pytest.fixture(scope="module")
def number_key() -> PatternKey:
    return PatternKey(KEY, NUMBER_PARAMS)


@pytest.fixture(scope="module")
def number_payload() -> bytes:
    return payload_from_number(3_000_000_123)


@pytest.fixture(scope="module")
def number_marked(page: Image.Image, number_payload: bytes, number_key: PatternKey) -> Image.Image:
    return apply_to_image(page, number_payload, number_key)


DECODE_CPU = 15.0
"""CPU seconds one decode may take in these tests (about 0.5-1 s on an idle core): CPU time
of this process, not wall-clock time, so a busy machine does not decide the result."""


def decode(image: Image.Image, key: bytes | PatternKey, perspective: bool = False) -> Detection:
    """:func:`watermark.pattern.decode`, checked to stay within :data:`DECODE_CPU`."""
    start = time.process_time()
    det = decode_pattern(image, key, perspective=perspective)
    assert time.process_time() - start < DECODE_CPU, det.notes
    return det


def _check(det: Detection, payload: bytes) -> None:
    assert det.payload == payload, det.notes
    assert det.false_match_probability <= 16 * 2.0 ** -52  # at most 16 attempts


def test_payload_copy_id_round_trip(payload: bytes) -> None:
    assert copy_id_from_payload(payload) == COPY_ID
    with pytest.raises(ValueError):
        payload_from_copy_id("not an id")


def test_page_image(marked: Image.Image, payload: bytes) -> None:
    _check(decode(marked, KEY), payload)


def test_jpeg_50(marked: Image.Image, payload: bytes) -> None:
    _check(decode(_jpeg(marked, 50), KEY), payload)


def test_half_scale(marked: Image.Image, payload: bytes) -> None:
    half = marked.resize((marked.width // 2, marked.height // 2), Image.Resampling.BILINEAR)
    _check(decode(half, KEY), payload)


def test_quarter_crop(marked: Image.Image, payload: bytes) -> None:
    w, h = marked.size
    _check(decode(marked.crop((w // 5, h // 5, w // 5 + w // 2, h // 5 + h // 2)), KEY), payload)


def test_small_rotation(marked: Image.Image, payload: bytes) -> None:
    rotated = marked.rotate(2.0, Image.Resampling.BICUBIC, fillcolor=(255, 255, 255))
    _check(decode(rotated, KEY), payload)


def test_binarised(page: Image.Image, payload: bytes) -> None:
    # printed at 300 dpi, blurred a little and thresholded to pure black and white
    from PIL import ImageFilter

    big = page.resize((page.width * 2, page.height * 2), Image.Resampling.NEAREST)
    marked = apply_to_image(big, payload, KEY, dpi=300).convert("L")
    a = np.asarray(marked.filter(ImageFilter.GaussianBlur(1.2)), np.float32)
    binary = Image.fromarray(np.where(a < 128, 0, 255).astype(np.uint8)).convert("1")
    _check(decode(binary, KEY), payload)


def test_unmarked_page_gives_nothing(page: Image.Image) -> None:
    det = decode(page, KEY)
    assert det.payload is None
    assert det.false_match_probability == 0.0


def test_other_key_gives_nothing(page: Image.Image, payload: bytes) -> None:
    foreign = apply_to_image(page, payload, OTHER)
    assert decode(foreign, KEY).payload is None
    assert decode(_jpeg(foreign, 50), KEY).payload is None


def test_ssim_at_75_dpi(page: Image.Image, marked: Image.Image) -> None:
    a = np.asarray(page.convert("L").reduce(2))
    b = np.asarray(marked.convert("L").reduce(2))
    assert ssim(a, b) >= 0.97


def test_blank_page_luminance(payload: bytes) -> None:
    blank = Image.new("L", (1240, 1754), 255)
    marked = apply_to_image(blank, payload, KEY)
    assert float(np.asarray(marked, np.float64).mean()) >= 235


def test_overlay_is_transparent_black(payload: bytes) -> None:
    ov = make_overlay(620, 877, payload, KEY, dpi=75)
    a = np.asarray(ov)
    assert ov.mode == "RGBA"
    assert (a[..., :3] == 0).all()
    assert 0 < (a[..., 3] > 0).mean() < 0.02


def test_number_payload_round_trip() -> None:
    for n in (0, 1, 424242, 2 ** 32 - 1):
        assert number_from_payload(payload_from_number(n)) == n
        assert len(payload_from_number(n)) == 4
    for bad in (-1, 2 ** 32, 1.5, True):
        with pytest.raises(ValueError):
            payload_from_number(bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        PatternParams(payload_bits=48)
    assert NUMBER_PARAMS.check_bits >= 16


def test_number_page_and_jpeg(number_marked: Image.Image, number_payload: bytes,
                              number_key: PatternKey) -> None:
    det = decode(number_marked, number_key)
    _check(det, number_payload)
    assert det.false_match_probability <= 4 * 2.0 ** -52
    _check(decode(_jpeg(number_marked, 30), number_key), number_payload)


def test_number_small_crop(number_marked: Image.Image, number_payload: bytes,
                           number_key: PatternKey) -> None:
    # a sixth of the page, through the text
    w, h = number_marked.size
    crop = number_marked.crop((w // 6, h // 4, w // 6 + int(w * 0.45), h // 4 + int(h * 0.37)))
    _check(decode(crop, number_key), number_payload)


def test_number_half_scale(number_marked: Image.Image, number_payload: bytes,
                           number_key: PatternKey) -> None:
    half = number_marked.resize((number_marked.width // 2, number_marked.height // 2),
                                Image.Resampling.BILINEAR)
    _check(decode(half, number_key), number_payload)


def test_number_binarised(page: Image.Image, number_payload: bytes, number_key: PatternKey) -> None:
    from PIL import ImageFilter

    big = page.resize((page.width * 2, page.height * 2), Image.Resampling.NEAREST)
    marked = apply_to_image(big, number_payload, number_key, dpi=300).convert("L")
    a = np.asarray(marked.filter(ImageFilter.GaussianBlur(1.2)), np.float32)
    binary = Image.fromarray(np.where(a < 128, 0, 255).astype(np.uint8)).convert("1")
    _check(decode(binary, number_key), number_payload)


def test_number_and_copy_id_settings_do_not_cross(page: Image.Image, marked: Image.Image,
                                                   number_marked: Image.Image,
                                                   number_key: PatternKey) -> None:
    assert decode(number_marked, KEY).payload is None
    assert decode(marked, number_key).payload is None
    assert decode(page, number_key).payload is None
    foreign = apply_to_image(page, payload_from_number(7), PatternKey(OTHER, NUMBER_PARAMS))
    assert decode(foreign, number_key).payload is None


def test_rejects_bad_payload(number_key: PatternKey) -> None:
    with pytest.raises(ValueError):
        make_overlay(100, 100, payload_from_number(5), KEY)
    with pytest.raises(ValueError):
        make_overlay(100, 100, b"\x00" * 8, number_key)
    with pytest.raises(ValueError):
        make_overlay(100, 100, b"\xff" * 8, KEY)
    with pytest.raises(ValueError):
        make_overlay(100, 100, b"\x00" * 4, KEY)


def test_averaged_copies_show_overlap(number_marked: Image.Image, page: Image.Image,
                                      number_key: PatternKey, number_payload: bytes) -> None:
    """Two copies' images averaged: synchronised, no payload, most groups hold two dots; one
    copy's image holds one dot per group."""
    other = apply_to_image(page, payload_from_number(12_345), number_key)
    mean = (np.asarray(number_marked, np.float32) + np.asarray(other, np.float32)) / 2
    det = decode(Image.fromarray(mean.round().astype(np.uint8)), number_key)
    # one of the two copies may still decode (then it is a colluder), never a third number
    assert det.payload in (None, number_payload, payload_from_number(12_345))
    assert det.statistic >= Z_ACCEPT and det.overlap >= OVERLAP_SEVERAL
    assert decode(number_marked, number_key).overlap < 0.3


def test_page_dots_match_the_raster(number_payload: bytes, number_key: PatternKey) -> None:
    """The squares for a vector drawing are the overlay's dots: same places, size, darkness."""
    xs, ys, side, values = page_dots(595.28, 841.89, number_payload, number_key)
    assert side == pytest.approx(2 * 72 / 150)
    overlay = np.asarray(make_overlay(1240, 1754, number_payload, number_key, dpi=150))[..., 3]
    cols = np.floor(xs / 72 * 150).astype(int)
    rows = np.floor(ys / 72 * 150).astype(int)
    assert np.array_equal(overlay[rows, cols], values.astype(np.uint8))
    assert (overlay > 0).sum() == 4 * len(xs)


@pytest.mark.parametrize("turn", [Image.Transpose.ROTATE_90, Image.Transpose.ROTATE_180,
                                  Image.Transpose.ROTATE_270])
def test_page_turned_in_the_image(number_marked: Image.Image, number_payload: bytes,
                                  number_key: PatternKey, turn: Image.Transpose) -> None:
    """A sideways or upside-down page image (a scan, a phone held the other way) decodes."""
    w, h = number_marked.size
    crop = number_marked.crop((w // 6, h // 4, w // 6 + w // 2, h // 4 + h // 2))
    _check(decode(crop.transpose(turn), number_key), number_payload)


def test_binarised_crop_of_a_300_dpi_scan(page: Image.Image, number_payload: bytes,
                                          number_key: PatternKey) -> None:
    """A paragraph cut from a 300 dpi black-and-white scan (large dots, grey ones gone)."""
    from PIL import ImageFilter

    big = page.resize((page.width * 2, page.height * 2), Image.Resampling.NEAREST)
    marked = apply_to_image(big, number_payload, number_key, dpi=300).convert("L")
    a = np.asarray(marked.filter(ImageFilter.GaussianBlur(1.2)), np.float32)
    binary = Image.fromarray(np.where(a < 128, 0, 255).astype(np.uint8))
    w, h = binary.size
    crop = binary.crop((w // 8, h // 5, w // 8 + w // 2, h // 5 + h // 2))
    det = decode(crop, number_key)
    _check(det, number_payload)
    assert det.false_match_probability <= 16 * 2.0 ** -52


def _keystone(image: Image.Image, corners: list[tuple[float, float]]) -> Image.Image:
    """``image`` seen in perspective: its corners (top left, top right, bottom right, bottom
    left) moved by the given fractions of its width and height, on a grey table."""
    w, h = image.size
    pad = w // 8
    source = np.array([[0, 0], [w, 0], [w, h], [0, h]], float)
    moved = source + pad + np.array(corners) * np.array([w, h])
    rows, rhs = [], []
    for (x, y), (u, v) in zip(moved, source):
        rows += [[x, y, 1, 0, 0, 0, -u * x, -u * y], [0, 0, 0, x, y, 1, -v * x, -v * y]]
        rhs += [u, v]
    coeffs = list(np.linalg.solve(np.array(rows), np.array(rhs)))
    return image.convert("L").transform((w + 2 * pad, h + 2 * pad), Image.Transform.PERSPECTIVE, coeffs,
                                        Image.Resampling.BICUBIC, fillcolor=90)


def test_number_photo_of_a_crop_in_perspective(number_marked: Image.Image, number_payload: bytes,
                                               number_key: PatternKey) -> None:
    # a quarter of the page at 200 dpi, photographed with a keystone of about 10 %: the lattice
    # frequency changes across the crop as much, and only the tilt found from the lattice's
    # local spectra, undone, lets it read
    w, h = number_marked.size
    crop = number_marked.crop((w // 8, h // 3, w - w // 8, h // 3 + h // 3))
    crop = crop.resize((crop.width * 4 // 3, crop.height * 4 // 3), Image.Resampling.BICUBIC)
    photo = _keystone(crop, [(0.05, 0.04), (-0.05, -0.03), (-0.02, 0.05), (0.04, -0.04)])
    det = decode(photo, number_key, perspective=True)
    assert det.payload == number_payload, det.notes
    assert any(note.startswith("tilt") for note in det.notes), det.notes


def test_perspective_is_undone_only_when_asked(number_marked: Image.Image, number_key: PatternKey) -> None:
    # the tracer reads bands, halves and strips of a page without the tilt pass (they look for
    # another copy's pieces exactly as before), and asks for it on whole images only
    w, h = number_marked.size
    crop = number_marked.crop((w // 8, h // 3, w - w // 8, h // 3 + h // 3))
    crop = crop.resize((crop.width * 4 // 3, crop.height * 4 // 3), Image.Resampling.BICUBIC)
    photo = _keystone(crop, [(0.05, 0.04), (-0.05, -0.03), (-0.02, 0.05), (0.04, -0.04)])
    det = decode(photo, number_key)
    assert not any(note.startswith("tilt") for note in det.notes), det.notes


def test_a_tilt_is_found_once_per_image(number_marked: Image.Image, monkeypatch) -> None:
    # the tilt depends on the pixels alone: asked again for the same pixels (another office
    # key, the other reader) it is not searched again, and its view may not be changed
    from mijian.watermark import pattern_tilt

    w, h = number_marked.size
    crop = number_marked.crop((w // 8, h // 3, w - w // 8, h // 3 + h // 3))
    photo = _keystone(crop, [(0.05, 0.04), (-0.05, -0.03), (-0.02, 0.05), (0.04, -0.04)])
    grey = np.asarray(photo, np.float32)
    searched = []
    real = pattern_tilt.find_tilt
    monkeypatch.setattr(pattern_tilt, "find_tilt", lambda *a: searched.append(1) or real(*a))
    first = pattern_tilt.untilted(grey, (2.8, 14.0))
    again = pattern_tilt.untilted(grey.copy(), (2.8, 14.0))
    assert len(searched) == 1 and first[0] is again[0] and first[1] is not None
    with pytest.raises(ValueError):
        first[1][0, 0] = 0
    other = grey.copy()
    other[0, 0] += 1  # one pixel differs: searched afresh
    pattern_tilt.untilted(other, (2.8, 14.0))
    assert len(searched) == 2
