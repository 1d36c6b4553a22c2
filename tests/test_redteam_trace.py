"""Tracing tried by a recipient who leaks and wants a colleague blamed, beyond the framings of
tests/test_trace_framing.py, and by a careless security officer who traces the wrong file.

The promise: never name an innocent recipient. A is the leaker (000001), B the colleague
(000002); copies are issued through the command line once for the module.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import io
import os
import unicodedata
from pathlib import Path

import numpy as np
import pymupdf
import pytest
from PIL import Image, ImageFilter

from tests.conftest import SAMPLES
from tests.test_trace_framing import _layer, _names_no_one, _qr_box, _trace, issued  # noqa: F401
from tests.test_redteam_issuing import _cli, _one_line


def _arrays(issued) -> tuple[np.ndarray, np.ndarray]:
    return (np.asarray(issued["a"].image).astype(np.float64),
            np.asarray(issued["b"].image).astype(np.float64))


def _save(array: np.ndarray, path: Path) -> Path:
    Image.fromarray(np.clip(array, 0, 255).astype(np.uint8)).save(path)
    return path


def test_average_of_a_and_b_names_no_one(issued, tmp_path):
    """Two copies' page images averaged (collusion, or A blending in B's page)."""
    a, b = _arrays(issued)
    result = _trace(issued, _save((a + b) / 2, tmp_path / "avg.png"))
    _names_no_one(result, issued["b"])  # conflict or inconclusive: the mix reads either way


def _left_a_right_b(issued, tmp_path):
    a, b = _arrays(issued)
    half = a.shape[1] // 2
    a[:, half:] = b[:, half:]
    return _trace(issued, _save(a, tmp_path / "lr.png"))


def test_left_half_of_a_and_right_half_of_b_names_no_one(issued, tmp_path):
    """Split across the page (every band of the fingerprint holds both copies): no recipient
    is ever named."""
    result = _left_a_right_b(issued, tmp_path)
    assert result.verdict != "identified" and result.recipient_id is None, result
    assert result.false_match_probability in (None, 1.0)


def _no_band_reads(monkeypatch) -> None:
    """Make every band and the whole page read as no copy, and the camera-robust fingerprint
    read nothing: what a page of two copies side by side gives under many keys (both copies'
    data in every band cancel), here under every key."""
    from mijian.pipeline import screenprint_layer, trace_images
    from mijian.pipeline.trace_model import Layer

    real = trace_images._read

    def read(region, page, band, *args):
        reading = real(region, page, band, *args)
        if "band" in band or band.endswith("whole"):
            return dataclasses.replace(reading, number=None, copy_id=None, probability=1.0)
        return reading

    monkeypatch.setattr(trace_images, "_read", read)
    monkeypatch.setattr(screenprint_layer, "trace_layer",
                        lambda *_args: Layer("screen-fingerprint", "absent", "not read", "signal"))


@pytest.mark.parametrize("bands_read", [True, False])
def test_left_half_of_a_and_right_half_of_b_is_a_conflict(issued, tmp_path, monkeypatch, bands_read):
    """A page whose QR symbol says B and whose left half is A's is a conflict, never
    'indicated' on B's QR: the halves are read when the pattern is found and no band reads a
    copy (before, B's QR alone was left, B listed), and A's half names A."""
    if not bands_read:
        _no_band_reads(monkeypatch)
    result = _left_a_right_b(issued, tmp_path)
    _names_no_one(result, issued["b"])
    assert result.verdict == "conflict"
    assert _layer(result, "qr-code").copies == (issued["b"].entry["copy_id"],)
    assert issued["a"].entry["copy_id"] in _layer(result, "page-fingerprint").copies


@pytest.mark.parametrize("scrub", ["threshold", "median"])
def test_a_page_scrubbed_then_b_qr_pasted_names_no_one(issued, tmp_path, scrub):
    """A tries to wash the page fingerprint off A's page (hard threshold to black and white,
    or a median filter) and pastes B's QR symbol: A's signal marks survive the washing."""
    a_img, b_img = issued["a"].image, issued["b"].image
    if scrub == "threshold":
        page = a_img.convert("L").point(lambda v: 255 if v > 128 else 0).convert("RGB")
    else:
        page = a_img.filter(ImageFilter.MedianFilter(5))
    box = _qr_box(b_img)
    page.paste(b_img.crop(box), box[:2])
    page.save(tmp_path / "washed.png")
    result = _trace(issued, tmp_path / "washed.png")
    _names_no_one(result, issued["b"])
    assert result.verdict == "conflict"
    assert issued["a"].entry["copy_id"] in {p.copy_id for p in result.points_to}


def test_pasted_text_of_a_and_b_names_no_one(issued, tmp_path):
    """The first half of A's page text followed by the second half of B's."""
    a_lines, b_lines = issued["a"].text.splitlines(), issued["b"].text.splitlines()
    text = "\n".join(a_lines[:len(a_lines) // 2] + b_lines[len(b_lines) // 2:])
    (tmp_path / "ab.txt").write_text(text, encoding="utf-8")
    result = _trace(issued, tmp_path / "ab.txt")
    _names_no_one(result, issued["b"])
    assert result.verdict == "conflict"


class _Forger:
    """A key that is not the office's: what someone without MIJIAN_HOME can sign with."""

    key_id = "forger"

    def __init__(self) -> None:
        self.secret = os.urandom(32)

    def mac(self, purpose: str, data: bytes) -> bytes:
        return hmac.new(self.secret, purpose.encode() + data, hashlib.sha256).digest()


def _forged_runs(copy_id: str, count: int) -> str:
    from mijian.watermark import textcode

    return "".join(textcode.encode(_Forger(), copy_id) + "。\n" for _ in range(count))


def test_text_stuffed_with_forged_codes_for_b_names_no_one(issued, tmp_path):
    """A strips A's invisible code and stuffs the text with thousands of forged invisible codes
    for B's copy (B's copy id is printed on B's page): none verifies, and B is not named."""
    a, b = issued["a"], issued["b"]
    bare = "".join(ch for ch in a.text if unicodedata.category(ch) != "Cf")
    (tmp_path / "stuffed.txt").write_text(bare + _forged_runs(b.entry["copy_id"], 2000),
                                          encoding="utf-8")
    result = _trace(issued, tmp_path / "stuffed.txt")
    assert result.recipient_id is None and result.verdict != "identified"
    assert _layer(result, "text-code").verdict == "invalid"


def test_false_match_probability_counts_every_code_tried(issued, tmp_path):
    """Each forged code checked is one more chance for a forgery to verify: A's genuine text
    with 2,000 forged codes beside it still names A, with a probability that says so."""
    a, b = issued["a"], issued["b"]
    (tmp_path / "a.txt").write_text(a.text, encoding="utf-8")
    (tmp_path / "a-stuffed.txt").write_text(a.text + _forged_runs(b.entry["copy_id"], 2000),
                                            encoding="utf-8")
    plain, stuffed = _trace(issued, tmp_path / "a.txt"), _trace(issued, tmp_path / "a-stuffed.txt")
    assert plain.verdict == stuffed.verdict == "identified" and stuffed.recipient_id == a.recipient_id
    [(_cid, p_plain)] = _layer(plain, "text-code").support
    [(_cid, p_stuffed)] = _layer(stuffed, "text-code").support
    assert p_stuffed >= 2000 * p_plain


def test_fingerprint_probability_counts_every_region_read():
    """The page fingerprint is decoded in many regions; the figure covers all of them."""
    from mijian.pipeline.trace_images import Reading, fingerprint_layer

    one = fingerprint_layer([Reading(1, "whole", 7, "COPY", 1e-20, False)], 0, 1)
    four = fingerprint_layer([Reading(1, f"band {i}/4", 7, "COPY", 1e-20, False)
                              for i in range(1, 5)], 0, 1)
    assert one.support == (("COPY", 1e-20),)
    assert four.support[0][0] == "COPY" and four.support[0][1] == pytest.approx(4e-20)


def _image_pages(pages: list[tuple[Image.Image, tuple[float, float]]]) -> pymupdf.Document:
    """An image-only PDF, one picture per page of the given size in points."""
    doc = pymupdf.open()
    for image, (width, height) in pages:
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        page = doc.new_page(width=width, height=height)
        page.insert_image(page.rect, stream=buffer.getvalue())
    return doc


def _b_qr_on_blank(issued) -> Image.Image:
    """A blank page with B's QR symbol where B's page has it (made from a photo of B's page)."""
    a_img, b_img = issued["a"].image, issued["b"].image
    cover = Image.new("RGB", a_img.size, "white")
    box = _qr_box(b_img)
    cover.paste(b_img.crop(box), box[:2])
    return cover


def test_b_qr_up_front_and_a_page_after_the_rendered_pages_names_no_one(issued, tmp_path):
    """B's QR on page 1, three blank pages, A's page as page 5: only the first four pages used
    to be read, so the trace pointed to B alone (``indicated``). Every page is read before a
    copy is pointed to on sight-copyable marks alone: A's page makes it a conflict."""
    a = issued["a"]
    blank = Image.new("RGB", a.image.size, "white")
    doc = _image_pages([(_b_qr_on_blank(issued), a.size)] + [(blank, a.size)] * 3
                       + [(a.image, a.size)])
    doc.save(tmp_path / "late.pdf")
    result = _trace(issued, tmp_path / "late.pdf")
    _names_no_one(result, issued["b"])
    assert result.verdict == "conflict"
    assert a.entry["copy_id"] in _layer(result, "page-fingerprint").copies


def test_b_qr_up_front_and_a_page_as_a_late_tiff_frame_names_no_one(issued, tmp_path):
    """The same with a multi-page TIFF whose fifth frame is A's page with A's QR whited out:
    the page fingerprint used to be read on the first four frames only."""
    a = issued["a"]
    box = _qr_box(a.image)
    own = a.image.copy()
    own.paste(Image.new("RGB", (box[2] - box[0], box[3] - box[1]), "white"), box[:2])
    blank = Image.new("RGB", a.image.size, "white")
    _b_qr_on_blank(issued).save(tmp_path / "late.tif", save_all=True,
                                append_images=[blank, blank, blank, own])
    result = _trace(issued, tmp_path / "late.tif")
    _names_no_one(result, issued["b"])
    assert result.verdict == "conflict"


def test_a_page_enlarged_past_the_pixel_limit_is_still_read(issued, tmp_path):
    """A's page put on a page ten times as large (too many pixels to render at the usual
    resolution) used to be skipped, leaving B's QR on page 1 alone: it is read at a lower
    resolution instead."""
    a = issued["a"]
    doc = _image_pages([(_b_qr_on_blank(issued), a.size),
                        (a.image, (a.size[0] * 10, a.size[1] * 10))])
    doc.save(tmp_path / "huge.pdf")
    result = _trace(issued, tmp_path / "huge.pdf")
    _names_no_one(result, issued["b"])
    assert result.verdict == "conflict"


def test_quarter_strip_of_a_on_b_page_names_no_one(issued, tmp_path):
    """B's page image with its left quarter replaced by A's (A's marks are on the page): the
    strip lies inside every horizontal band, but once a band names B the left half is read on
    its own, and A's quarter there stops B from being named."""
    a, b = _arrays(issued)
    strip = a.shape[1] // 4
    b[:, :strip] = a[:, :strip]
    result = _trace(issued, _save(b, tmp_path / "strip.png"))
    _names_no_one(result, issued["b"])


def test_a_strip_no_region_decodes_is_still_found_by_its_code(issued, tmp_path, monkeypatch):
    """B's page with A's quarter strip, where no region decodes A (as in a photo whose regions
    cut across the strip) and the camera-robust fingerprint reads nothing: the regions that
    synchronised but read no copy are searched for the code of B's fellow copies, A's code is
    found in them, and the verdict is a conflict pointing to both."""
    from mijian.pipeline import screenprint_layer, trace_images
    from mijian.pipeline.trace_model import Layer

    a_id = issued["a"].entry["copy_id"]
    real = trace_images._read

    def read(region, page, band, *args):
        reading = real(region, page, band, *args)
        if reading.copy_id == a_id:
            return dataclasses.replace(reading, number=None, copy_id=None, probability=1.0)
        return reading

    monkeypatch.setattr(trace_images, "_read", read)
    monkeypatch.setattr(screenprint_layer, "trace_layer",
                        lambda *_args: Layer("screen-fingerprint", "absent", "not read", "signal"))
    a, b = _arrays(issued)
    b[:, :a.shape[1] // 4] = a[:, :a.shape[1] // 4]
    result = _trace(issued, _save(b, tmp_path / "strip.png"))
    _names_no_one(result, issued["b"])
    assert result.verdict == "conflict", result
    assert a_id in _layer(result, "page-fingerprint").copies
    assert "matched" in _layer(result, "page-fingerprint").detail


def test_a_genuine_page_of_b_is_not_contradicted_by_its_fellow_copies(issued, tmp_path):
    """B's own page image, photographed: no region carries another copy's code, B is named."""
    from tests.test_pattern import _keystone

    b = issued["b"]
    photo = _keystone(b.image, [(0.03, 0.02), (-0.03, 0.01), (-0.01, -0.02), (0.02, -0.01)])
    result = _trace(issued, _save(np.asarray(photo.convert("RGB"), np.float64), tmp_path / "b.png"))
    assert result.verdict == "identified" and result.recipient_id == b.recipient_id, result


def _strip_photographed(issued, tmp_path, corners):
    from tests.test_pattern import _keystone

    a, b = _arrays(issued)
    b[:, :a.shape[1] // 4] = a[:, :a.shape[1] // 4]
    page = Image.fromarray(np.clip(b, 0, 255).astype(np.uint8))
    photo = _keystone(page, corners)
    return _trace(issued, _save(np.asarray(photo.convert("RGB"), np.float64), tmp_path / "photo.png"))


def test_quarter_strip_of_a_on_b_page_photographed_never_names_b(issued, tmp_path):
    """The same page photographed in perspective (a keystone of about 3 %): the page shows a
    tilt, so once a band or the whole page names B, its halves and strips are read untilted
    as well as taken; where A's quarter decodes in none of them, the regions that synchronised
    but read no copy carry A's code, which is looked for there (:mod:`pipeline.trace_rivals`),
    and A's quarter stops B from being named (the QR symbol may still point at B, which names
    no one)."""
    result = _strip_photographed(issued, tmp_path, [(0.03, 0.02), (-0.03, 0.01), (-0.01, -0.02), (0.02, -0.01)])
    assert result.recipient_id is None and result.verdict != "identified", result


def test_quarter_strip_of_a_on_b_page_in_a_steep_photo_never_names_b(issued, tmp_path):
    """The same with a keystone of about 6 %: the strip, at the page's edge, decodes in no
    region of either view in about half the runs, and is found by its code."""
    result = _strip_photographed(issued, tmp_path, [(0.06, 0.04), (-0.06, 0.02), (-0.02, -0.04), (0.04, -0.02)])
    assert result.recipient_id is None and result.verdict != "identified", result


def test_a_busy_machine_changes_no_verdict(issued, tmp_path, monkeypatch):
    """A two-page image leak: B's QR symbol alone on the first page, A's page with its QR
    whited out and its dot pattern washed off (a median filter) on the second, where only the
    camera-robust fingerprint reads A. With clocks that say every call took an hour (a machine
    so busy that any time budget runs out on the first page), the second page is still read:
    A's marks make it a conflict, where a budget in seconds left B's QR alone and B pointed to."""
    import time

    a, b = issued["a"], issued["b"]
    front = Image.new("RGB", b.image.size, "white")
    box = _qr_box(b.image)
    front.paste(b.image.crop(box), box[:2])
    back = a.image.copy()
    box = _qr_box(a.image)
    back.paste(Image.new("RGB", (box[2] - box[0], box[3] - box[1]), "white"), box[:2])
    back = back.filter(ImageFilter.MedianFilter(5))
    front.save(tmp_path / "two.tiff", save_all=True, append_images=[back])
    ticks = iter(range(0, 10**12, 3600))
    for name in ("process_time", "perf_counter", "monotonic"):
        monkeypatch.setattr(time, name, lambda: float(next(ticks)))
    result = _trace(issued, tmp_path / "two.tiff")
    _names_no_one(result, issued["b"])
    assert result.verdict == "conflict", result
    assert _layer(result, "screen-fingerprint").copies == (a.entry["copy_id"],)
    assert {p.serial for p in result.points_to} == {a.serial, b.serial}


# -- the careless officer ---------------------------------------------------------------

def test_tracing_the_draft_itself_names_no_one(issued):
    result = _trace(issued, SAMPLES / "zh_notice_secret.pdf")
    assert result.verdict == "inconclusive" and not result.points_to


def test_tracing_an_unrelated_pdf_names_no_one(issued):
    result = _trace(issued, SAMPLES / "en_report_confidential.pdf")
    assert result.verdict == "inconclusive" and not result.points_to


def test_tracing_another_office_copy_names_no_one(issued, tmp_path):
    """Another office issued the same draft (same document id): none of its marks verifies
    here, so no recipient of this office is named."""
    from mijian.pipeline.issuing import decrypt_copy
    from tests.test_cli_e2e import _passwords, run_json

    other_home, out = tmp_path / "other", tmp_path / "out"
    people = tmp_path / "p.csv"
    people.write_text("id,name\nR001,周立衡\nR002,何振邦\n", encoding="utf-8")
    manifest = run_json("issue", str(SAMPLES / "zh_notice_secret.pdf"), "--recipients",
                        str(people), "--out", str(out), home=other_home)
    entry = manifest["copies"][1]
    assert entry["serial"] == issued["b"].serial and manifest["document_id"] == \
        issued["manifest"]["document_id"]
    leak = tmp_path / "other.pdf"
    leak.write_bytes(decrypt_copy(out / entry["file"], _passwords(out)[entry["serial"]]))
    result = _trace(issued, leak)
    assert result.verdict == "inconclusive" and not result.points_to
    assert _layer(result, "metadata").verdict == "invalid"


@pytest.mark.parametrize("size", [(1, 1), (10, 10), (40, 40)])
def test_tiny_or_blank_images_name_no_one(issued, tmp_path, size):
    Image.new("RGB", size, "white").save(tmp_path / "blank.png")
    issued["a"].image.crop((100, 100, 100 + size[0], 100 + size[1])).save(tmp_path / "crop.png")
    for name in ("blank.png", "crop.png"):
        result = _trace(issued, tmp_path / name)
        assert result.verdict == "inconclusive" and not result.points_to


def test_empty_leak_is_refused_in_one_line_about_the_leak(issued, tmp_path):
    """An empty file: exit 3, one line that speaks of the leak (not of a draft)."""
    (tmp_path / "empty.png").write_bytes(b"")
    line = _one_line(_cli(issued["home"], "trace", str(tmp_path / "empty.png")), 3)
    assert "leak is empty" in line and "draft" not in line


@pytest.mark.parametrize("name,data", [("junk.png", b"not an image at all"),
                                       ("junk.pdf", b"%PDF-1.7\n garbage"),
                                       ("leak.odt", b"PK\x03\x04")])
def test_broken_or_unsupported_leaks_are_refused_in_one_line(issued, tmp_path, name, data):
    (tmp_path / name).write_bytes(data)
    done = _cli(issued["home"], "trace", str(tmp_path / name))
    assert done.returncode in (2, 3), done
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_encrypted_copy_re_encrypted_by_the_leaker_names_no_one(issued, tmp_path):
    """A re-encrypts A's copy with a password of A's own: the trace cannot open it and says so
    (it never guesses a name from the outside of the file)."""
    a = issued["a"]
    with pymupdf.open(stream=a.plain, filetype="pdf") as doc:
        doc.save(tmp_path / "re.pdf", encryption=pymupdf.PDF_ENCRYPT_AES_256,
                 user_pw="mine", owner_pw="mine-too")
    result = _trace(issued, tmp_path / "re.pdf")
    assert result.verdict == "inconclusive" and not result.points_to
    assert _layer(result, "decrypt").verdict == "failed"
