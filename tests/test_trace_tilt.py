"""The page fingerprint's reads of a photo in perspective inside a trace: which regions are
read with the tilt undone, and when the halves and strips that look for another copy's pieces
are read in the untilted view as well (:mod:`pipeline.trace_images`)."""

from __future__ import annotations

from PIL import Image

import mijian.pipeline.trace_images as ti


class _Key:
    def mac(self, label: str, data: bytes) -> bytes:
        return b"k" * 32


class _Register:
    def count_copies(self) -> int:
        return 1

    def copy_by_fingerprint(self, number: int) -> None:
        return None


def test_only_a_whole_image_is_read_with_its_perspective_undone(monkeypatch) -> None:
    import mijian.watermark.pattern as pattern

    asked: list[bool] = []

    def fake_decode(region, key, dpi_hint=None, perspective=False):
        asked.append(perspective)
        return pattern.Detection(None, 0.0, 0.0, 0, 0, 0.0, 0.0, 0, 0.0, ())

    monkeypatch.setattr(pattern, "decode", fake_decode)
    region = Image.new("L", (64, 64), 255)
    for band in ("band 1/4", "left half", "strip 2/4", "untilted left half", "fax upright band 2/3"):
        ti._read(region, 1, band, [_Key()], _Register(), 1)
    assert asked == [False] * 5
    for band in ("whole", "fax upright whole"):
        ti._read(region, 1, band, [_Key()], _Register(), 1)
    assert asked[5:] == [True, True]


def _fake_reads(monkeypatch, named: str | None) -> list[str]:
    read: list[str] = []

    def fake_read(region, page, band, keys, register, copies):
        read.append(band)
        number = 7 if band == named else None
        return ti.Reading(page, band, number, "C1" if number else None, 1e-9, False)

    monkeypatch.setattr(ti, "_read", fake_read)
    return read


def test_a_tilted_page_is_read_whole_then_halved_in_both_views(monkeypatch) -> None:
    page = Image.new("L", (1240, 1754), 255)
    monkeypatch.setattr(ti, "untilted_view", lambda image: Image.new("L", (1230, 1760), 255))
    read = _fake_reads(monkeypatch, named="whole")
    ti.read_fingerprints([page], [b"k"], _Register())
    bands = [b for b in read if b.startswith("band")]
    # no band named a copy, but the page shows a tilt: it is read whole, and once the whole
    # names a copy its halves and strips are read as taken and untilted
    assert len(bands) >= 2 and "whole" in read
    halves = [b for b in read if "half" in b or "strip" in b]
    assert {"left half", "untilted left half", "untilted right half"} <= set(halves)
    assert len([b for b in halves if b.startswith("untilted ")]) == len(halves) // 2


def test_a_flat_page_reads_as_before(monkeypatch) -> None:
    page = Image.new("L", (1240, 1754), 255)
    monkeypatch.setattr(ti, "untilted_view", lambda image: None)
    read = _fake_reads(monkeypatch, named="band 1/4")
    ti.read_fingerprints([page], [b"k"], _Register())
    assert "whole" not in read and not any(b.startswith("untilted") for b in read)
    assert "left half" in read
    read.clear()
    _fake_reads(monkeypatch, named=None)
    ti.read_fingerprints([page], [b"k"], _Register())
    assert "whole" not in read
