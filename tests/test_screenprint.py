"""Camera-robust page fingerprint: channel code, marks, reading through leak forms, no
number where none is, invisibility, and the PDF writer's vector marks."""

from __future__ import annotations

import io

import numpy as np
import pymupdf
import pytest
from PIL import Image

from mijian.pipeline.model import CopyStamp, Marking
from mijian.pipeline.screenprint_layer import draw_pdf, layer_key
from mijian.watermark.pattern_image import ssim
from mijian.watermark.screenprint import DEFAULT, apply, page_marks, read
from mijian.watermark.screenprint.code import check_tag, decode, encode, layout
from tests.test_pattern import _keystone

KEY = b"screenprint-test-key-0123456789ab"
OTHER = b"another-office-key-0123456789abcd"
NUMBER = 3_141_592_653

TEXT = ("关于加强内部文件管理的通知。各部门：为进一步规范涉密文件的分发、传阅和回收，现就有关事项"
        "通知如下。一、严格执行文件登记制度，每份文件须编号并登记接收人。二、未经批准不得复印、"
        "拍照或转发。Copies are numbered and issued to named recipients only; do not photocopy, "
        "photograph or forward this document without written approval from the office.")


def _text_page(doc: pymupdf.Document) -> pymupdf.Page:
    page = doc.new_page(width=595.28, height=841.89)
    y = 72.0
    for _ in range(6):
        page.insert_textbox(pymupdf.Rect(72, y, 523, y + 95), TEXT, fontsize=11, fontname="china-s")
        y += 115
    return page


def _render(page: pymupdf.Page, dpi: int) -> Image.Image:
    pix = page.get_pixmap(dpi=dpi, alpha=False)
    return Image.frombytes("RGB", (pix.width, pix.height), pix.samples)


def _jpeg(image: Image.Image, quality: int) -> Image.Image:
    buf = io.BytesIO()
    image.convert("RGB").save(buf, "JPEG", quality=quality, subsampling=2)
    return Image.open(io.BytesIO(buf.getvalue())).convert("RGB")


def _long(image: Image.Image, side: int) -> Image.Image:
    f = side / max(image.size)
    return image.resize((round(image.width * f), round(image.height * f)), Image.Resampling.LANCZOS)


@pytest.fixture(scope="module")
def clean() -> Image.Image:
    """A page of Chinese and English paragraphs at 200 dpi, without marks."""
    with pymupdf.open() as doc:
        return _render(_text_page(doc), 200)


@pytest.fixture(scope="module")
def marked(clean: Image.Image) -> Image.Image:
    return apply(clean, 200, KEY, NUMBER)


@pytest.fixture(scope="module")
def forwarded(marked: Image.Image) -> Image.Image:
    """The marked page forwarded by a chat app: 1,280 px JPEG 70, then 1,080 px JPEG 65."""
    return _jpeg(_long(_jpeg(_long(marked, 1280), 70), 1080), 65)


def _ideal_llrs(symbols: np.ndarray) -> np.ndarray:
    p = DEFAULT
    data = symbols[p.pilots:]
    bits = ((data[:, None] >> np.arange(p.symbol_bits - 1, -1, -1)) & 1).ravel()
    return np.where(bits == 0, 4.0, -4.0)


def test_code_round_trip_and_noise() -> None:
    llr = _ideal_llrs(encode(KEY, NUMBER))
    assert decode(KEY, llr).number == NUMBER
    rng = np.random.default_rng(7)
    noisy = llr + rng.normal(0, 3.0, llr.shape)  # about 9 % of hard decisions wrong
    result = decode(KEY, noisy)
    assert result.number == NUMBER and result.corrected > 0


def test_code_needs_the_key() -> None:
    llr = _ideal_llrs(encode(KEY, NUMBER))
    assert decode(OTHER, llr).number is None
    assert check_tag(KEY, NUMBER, 16) != check_tag(OTHER, NUMBER, 16)
    with pytest.raises(ValueError, match="fingerprint number"):
        encode(KEY, 1 << 32)


def test_page_marks_fill_the_page_once_per_group() -> None:
    marks = page_marks(210.0, 297.0, KEY, NUMBER)
    p = DEFAULT
    tiles = (210.0 / p.tile_mm) * (297.0 / p.tile_mm)
    assert 0.8 * tiles * p.groups < len(marks.x) <= np.ceil(210 / p.tile_mm) * np.ceil(297 / p.tile_mm) * p.groups
    assert marks.x.min() >= p.mark_mm / 2 and marks.x.max() <= 210.0 - p.mark_mm / 2
    share = marks.black.mean()
    assert abs(share - p.black_per_tile / p.groups) < 0.03
    lay = layout(KEY)
    assert sorted(np.concatenate(lay.sites.tolist())) == list(range(p.tile * p.tile))


def test_reads_the_page_image(marked: Image.Image) -> None:
    reading = read(marked, KEY)
    assert reading.number == NUMBER
    assert reading.statistic > 8 and 0 < reading.false_match_probability < 1e-12


def test_reads_a_chat_forward(forwarded: Image.Image) -> None:
    assert read(forwarded, KEY).number == NUMBER


def test_reads_a_strip_of_a_chat_forward(forwarded: Image.Image) -> None:
    w, h = forwarded.size
    strip = forwarded.crop((0, int(0.35 * h), w, int(0.60 * h)))  # a quarter of the page
    assert read(strip, KEY).number == NUMBER


def test_reads_a_skewed_scan(marked: Image.Image) -> None:
    scan = marked.convert("L").rotate(1.2, Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    scan = scan.resize((scan.width * 3 // 4, scan.height * 3 // 4), Image.Resampling.BOX)
    assert read(_jpeg(scan.convert("RGB"), 80), KEY).number == NUMBER


def test_no_number_without_marks_or_with_another_key(clean: Image.Image, forwarded: Image.Image) -> None:
    assert read(clean, KEY).number is None
    assert read(_jpeg(_long(clean, 1080), 65), KEY).number is None
    assert read(forwarded, OTHER).number is None
    assert read(Image.new("RGB", (300, 200), "white"), KEY).number is None


def test_invisible_enough(clean: Image.Image, marked: Image.Image) -> None:
    def at75(image: Image.Image) -> np.ndarray:
        small = image.convert("L").resize((image.width * 75 // 200, image.height * 75 // 200),
                                          Image.Resampling.BOX)
        return np.asarray(small, np.float64)

    assert ssim(at75(clean), at75(marked)) >= 0.97
    blank = apply(Image.new("L", (1654, 2339), 255), 200, KEY, NUMBER)
    assert np.asarray(blank).mean() >= 250


def _stamp(pattern_key: bytes, number: int) -> CopyStamp:
    marking = Marking(scheme="cn-state", grade="机密", level=3, period="20年", serial="000001")
    return CopyStamp(marking=marking, watermark_text="", visible_code="", token="",
                     user_password="u", owner_password="o", pattern_key=pattern_key,
                     pattern_payload=number.to_bytes(4, "big"))


def test_pdf_vector_marks_read_back() -> None:
    with pymupdf.open() as doc:
        page = _text_page(doc)
        draw_pdf(page, _stamp(KEY, NUMBER))
        data = doc.tobytes()
    with pymupdf.open(stream=data, filetype="pdf") as doc:
        image = _render(doc[0], 150)
    assert read(image, layer_key(KEY)).number == NUMBER
    assert read(image, KEY).number is None


def test_sparse_demodulation_matches_the_dense_sum() -> None:
    from mijian.watermark.screenprint.sync import _box, _coarse, _points

    rng = np.random.default_rng(3)
    resp = np.where(rng.random((90, 130)) < 0.04, rng.random((90, 130)), 0.0).astype(np.float32)
    step, k = 7, np.array([0.13, -0.02])
    yy, xx = np.mgrid[0:90, 0:130].astype(np.float64)
    phase = 2 * np.pi * (k[0] * xx + k[1] * yy)
    hb, wb = 90 // step, 130 // step
    dense = (resp * np.exp(-1j * phase))[:hb * step, :wb * step]
    dense = dense.reshape(hb, step, wb, step).mean(axis=(1, 3))
    expected = _box(_box(dense, 2), 2)
    pts = _points(resp, step)
    got = _coarse(pts, 2 * np.pi * (k[0] * pts.x + k[1] * pts.y), 2)
    assert got.shape == expected.shape
    assert np.allclose(got, expected, atol=1e-6)


def test_page_map_fit_recovers_a_perspective() -> None:
    from mijian.watermark.screenprint.sync import _apply, _homography

    true = np.array([0.9, 0.05, 700.0, -0.04, 1.1, 500.0, 0.03, -0.02])
    u, v = np.meshgrid(np.linspace(-1, 1, 30), np.linspace(-1, 1, 40))
    u, v = u.ravel(), v.ravel()
    x, y = _apply(true, u, v)
    fitted = _homography(u, v, x, y, np.ones_like(u))
    px, py = _apply(fitted, u, v)
    assert np.abs(px - x).max() < 1e-6 and np.abs(py - y).max() < 1e-6


def test_lattice_derived_from_its_harmonics() -> None:
    from mijian.watermark.screenprint.lattice import Lattice, _derived

    size = 256
    norm = np.ones((size, size // 2 + 1))

    def peak(k: np.ndarray, value: float) -> None:
        kk = k if k[0] >= 0 else -k
        norm[round(kk[1] * size) + size // 2, round(kk[0] * size)] = value

    k1, k2 = np.array([1 / 8, 0.0]), np.array([0.0, 1 / 8])
    for k in (k1, k2):
        peak(k, 5.0)
    # from the second harmonic (half the pitch) and from the pair at 45 degrees, 1.414 pitches
    found_half = _derived(Lattice(2 * k1, 2 * k2, 20.0), norm, size)
    found_diag = _derived(Lattice((k1 + k2) / 2, (k2 - k1) / 2, 20.0), norm, size)
    for found in (found_half, found_diag):
        assert any(abs(d.pitch - 8.0) < 0.2 and abs(d.angle_deg) < 1 for d in found)
    # a lattice whose relatives show no peak gives nothing
    assert _derived(Lattice(np.array([1 / 5, 0.0]), np.array([0.0, 1 / 5]), 20.0), norm, size) == []


def test_responses_are_shared_between_close_pitches_only() -> None:
    from mijian.watermark.screenprint.reader import _Responses

    from mijian.watermark.screenprint.imaging import paper_darkness, shrink

    grey = (230 - 25 * np.random.default_rng(5).random((200, 240))).astype(np.float32)
    responses = _Responses(grey)
    assert responses.get(1, 6.0) is responses.get(1, 6.05)
    # a lattice 8 % off the probe's pitch gets its own response (a shared one cost crops
    # their tile sync)
    assert responses.get(1, 5.5) is not responses.get(1, 6.0)
    assert responses.get(1, 8.5) is not responses.get(1, 6.0)
    assert responses.get(2, 6.0)[0].shape == (100, 120)
    # each level finds its paper on its own shrunk image; half of a level is its block mean
    assert np.array_equal(responses.darkness(2), paper_darkness(shrink(grey, 2)))
    assert np.array_equal(responses.darkness(4), shrink(responses.darkness(2), 2))


def test_a_fax_is_read_stretched_first() -> None:
    from mijian.watermark.screenprint.reader import FAX_STRETCH, _views

    rng = np.random.default_rng(9)
    fax = Image.fromarray(np.where(rng.random((300, 440)) < 0.02, 0, 255).astype(np.uint8), "L")
    views = _views(fax)
    assert [how for _img, how in views] == ["fax-stretched ", ""]
    assert views[0][0].height == round(300 * FAX_STRETCH)
    upright = fax.transpose(Image.Transpose.ROTATE_90)
    assert [how for _img, how in _views(upright)] == ["", "fax-stretched "]
    assert [how for _img, how in _views(Image.new("L", (440, 300), 200))] == [""]


def test_several_keys_read_at_once(forwarded: Image.Image) -> None:
    from mijian.watermark.screenprint import read_keys

    both = read_keys(forwarded, [OTHER, KEY])
    assert [r.number for r in both] == [None, NUMBER]
    alone = read(forwarded, KEY)
    assert (both[1].attempts, both[1].statistic) == (alone.attempts, alone.statistic)
    assert read_keys(forwarded, []) == []


def test_a_degenerate_lattice_fit_is_refused_not_laid_out():
    """A near-singular fit on a noisy crop spans millions of lattice sites: it is dropped
    (no grid) instead of laying out an array of terabytes."""
    import numpy as np

    from mijian.watermark.screenprint.lattice import Lattice
    from mijian.watermark.screenprint.sync import _Map, _place

    lat = Lattice(np.array([0.1, 0.0]), np.array([0.0, 0.1]), 1.0)
    huge = _Map(np.eye(3).ravel()[:8], 0.0, 0.0, 1.0, 0.1, 4, (-5e5, 6e5), (-1e5, 2.3e5))
    assert _place(huge, lat, (400, 300)) is None
    sane = _Map(np.array([10.0, 0, 150, 0, 10.0, 200, 0, 0]), 0.0, 0.0, 1.0, 0.1, 4, (-10, 10), (-10, 10))
    grid = _place(sane, lat, (400, 300))
    assert grid is not None and len(grid.u) > 100


class _Register:
    """A register of three copies in which only ``number`` is carried (by copy ``C1``)."""

    def __init__(self, number: int | None = None) -> None:
        self.number = number

    def count_copies(self) -> int:
        return 3

    def copy_by_fingerprint(self, number: int):
        if number != self.number:
            raise AssertionError(f"decoded number {number}, which no copy carries")
        return type("Record", (), {"copy_id": "C1"})()


class _Key:
    """An office key whose MACs are fixed (the layer derives its own key from it)."""

    def mac(self, purpose: str, data: bytes) -> bytes:
        return (purpose.encode() + data).ljust(32, b"k")


def test_trace_layer_reads_the_first_image_whole_and_says_what_the_budget_left_unread(monkeypatch) -> None:
    """With no budget left after the first image, the layer reads that one, decodes nothing on
    blank paper and says how many images it did not read (a long file cannot hold a trace)."""
    from mijian.pipeline import screenprint_layer

    monkeypatch.setattr(screenprint_layer, "PIXEL_BUDGET", 0)
    blank = [Image.new("L", (600, 800), 255) for _ in range(3)]
    layer = screenprint_layer.trace_layer(blank, [_Key()], _Register())
    assert layer.verdict == "absent"
    assert "on 1 page image(s) (2 more not read: pixel budget)" in layer.detail


def test_trace_layer_budget_counts_pixels_not_seconds(monkeypatch, clean: Image.Image) -> None:
    """The images read depend on their sizes only: with clocks that say every call took an
    hour (a machine so busy that any time budget would run out on the first image), the marks
    on the second image are still read. A budget in seconds would leave them unread on a busy
    machine, and the trace would then miss the copy those marks point to."""
    import time

    from mijian.pipeline import screenprint_layer
    from mijian.pipeline.issuing import pattern_key

    ticks = iter(range(0, 10**9, 3600))
    for name in ("process_time", "perf_counter", "monotonic", "time"):
        monkeypatch.setattr(time, name, lambda: float(next(ticks)))
    page = _long(apply(clean, 200, layer_key(pattern_key(_Key())), NUMBER), 1400)
    blank = Image.new("RGB", (600, 800), "white")
    assert screenprint_layer.read_pixels(blank) + screenprint_layer.read_pixels(page) \
        > screenprint_layer.PIXEL_BUDGET >= screenprint_layer.read_pixels(blank)
    layer = screenprint_layer.trace_layer([blank, page, blank], [_Key()], _Register(NUMBER))
    assert layer.verdict == "valid" and layer.copies == ("C1",), layer
    # two blank A4 pages at 150 dpi use the budget up: the marks after them are not read, on
    # any machine (and the report says so)
    sheet = Image.new("RGB", (1240, 1754), "white")
    unread = screenprint_layer.trace_layer([sheet, sheet, page], [_Key()], _Register(NUMBER))
    assert unread.verdict == "absent" and "1 more not read: pixel budget" in unread.detail


def test_read_pixels_counts_the_size_an_image_is_read_at() -> None:
    from mijian.pipeline.screenprint_layer import read_pixels
    from mijian.watermark.screenprint.imaging import MAX_SIDE

    assert read_pixels(Image.new("L", (600, 800))) == 480_000
    assert read_pixels(Image.new("L", (2 * MAX_SIDE, MAX_SIDE))) == MAX_SIDE * MAX_SIDE // 2
    assert read_pixels(Image.new("L", (30_000, 30_000))) == MAX_SIDE * MAX_SIDE


CROP_KEY = bytes.fromhex("141cc3f3ec0c3c58c2308b3b2e0fafc3173c8cf606df4217569aad9feefaaf29")
"""Layer key of the office that issued the copy in ``data/screenprint/crop_of_chat_forward.jpg``."""


def test_a_crop_of_a_chat_forward_is_tracked_at_its_own_pitch() -> None:
    """A copy of ``samples/zh_notice_secret.pdf`` issued with every layer, forwarded by chat
    (1,280 px JPEG 70, then 1,080 px JPEG 65) and cropped to 30 % of the page (0.86 x 0.34),
    as ``bench/leak_sims.py`` makes it: its lattice (5.44 px) must be tracked on a response
    tuned to that pitch; one tuned to 5.0 px found the same lattice but lost the tile sync
    (pilot z 5.9 instead of 8.3) and decoded nothing."""
    from pathlib import Path

    image = Image.open(Path(__file__).parent / "data" / "screenprint" / "crop_of_chat_forward.jpg")
    reading = read(image, CROP_KEY)
    assert reading.number == 1_673_329_385
    assert abs(reading.pitch_px - 5.44) < 0.05 and reading.statistic > 7.5
    assert read(image, KEY).number is None


def test_a_form_of_thin_rules_is_not_read_as_paper() -> None:
    """A landscape form (210 x 140 mm at 150 dpi) ruled into a table of one-pixel lines, the
    marks laid on it exactly: the rules count as ink (``imaging.rules``), so neither their
    sites nor their maxima pass for marks and the number reads. Before, the rules were read as
    paper and no lattice of the marks was found; a mark is never taken for a rule."""
    from mijian.watermark.screenprint.imaging import paper_darkness, rules

    page = np.full((827, 1240), 255, np.uint8)
    page[150:760:38, 30:1210] = 110  # rows of a table, brown rules in grey
    page[150:760, 30:1210:70] = 110
    page[150:760, 700:702] = 110
    marked = apply(Image.fromarray(page, "L"), 150, KEY, NUMBER)
    assert read(marked, KEY).number == NUMBER
    blank = np.asarray(apply(Image.new("L", (600, 400), 255), 150, KEY, NUMBER), np.float32)
    assert not rules(paper_darkness(blank), 8.86).any()


def test_a_photo_in_perspective_gets_an_untilted_view(marked: Image.Image) -> None:
    # a copy's page carries the dot pattern beside these marks: the tilt of a photo of a
    # crop (keystone about 10 %) is found from the dot lattice and undone in one more view;
    # a flat crop gets none (no extra view, no extra attempts)
    from mijian.watermark.pattern import NUMBER_PARAMS, PatternKey, apply_to_image, payload_from_number
    from mijian.watermark.screenprint.reader import _untilted

    both = apply_to_image(marked, payload_from_number(12_345), PatternKey(OTHER, NUMBER_PARAMS), dpi=200)
    w, h = both.size
    crop = both.crop((w // 8, h // 3, w - w // 8, 2 * h // 3))
    photo = _keystone(crop, [(0.05, 0.04), (-0.05, -0.03), (-0.02, 0.05), (0.04, -0.04)])
    view = _untilted(photo)
    assert view is not None
    # the view is the photo resampled: about as large, not a blank
    assert 0.8 < view.width * view.height / (photo.width * photo.height) < 1.25
    assert _untilted(crop) is None
