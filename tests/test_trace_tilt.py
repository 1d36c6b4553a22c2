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

    def get_copy(self, copy_id: str) -> None:  # no copy known: no fellow copies to search
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


def _fake_reads(monkeypatch, named: str | None, pitches: dict[str, float] | None = None,
                z: float = 9.0) -> list[str]:
    """Replace the region reader: regions whose names start with ``named`` name copy C1
    (halves and strips are named otherwise), every region is synchronised at the
    pitch ``pitches`` gives it (8 px by default)."""
    read: list[str] = []

    def fake_read(region, page, band, keys, register, copies):
        read.append(band)
        number = 7 if named and band.startswith(named) else None
        pitch = (pitches or {}).get(band, 8.0)
        return ti.Reading(page, band, number, "C1" if number else None, 1e-9, False, z, 0.0, pitch)

    monkeypatch.setattr(ti, "_read", fake_read)
    return read


def _tilt_looked_for(monkeypatch) -> list[int]:
    looked: list[int] = []
    monkeypatch.setattr(ti, "untilted_view", lambda image: looked.append(1) or Image.new("L", (1230, 1760), 255))
    return looked


PAGE = (1240, 1754)


def test_a_page_whose_band_pitches_drift_is_halved_in_both_views(monkeypatch) -> None:
    looked = _tilt_looked_for(monkeypatch)
    read = _fake_reads(monkeypatch, named="band", pitches={"band 1/4": 6.57, "band 4/4": 6.85})
    ti.read_fingerprints([Image.new("L", PAGE, 255)], [b"k"], _Register())
    halves = [b for b in read if "half" in b or "strip" in b]
    assert looked and {"left half", "untilted left half", "untilted strip 1/4"} <= set(halves)
    assert len([b for b in halves if b.startswith("untilted ")]) == len(halves) // 2


def test_a_page_read_whole_is_halved_in_both_views(monkeypatch) -> None:
    # a band synchronised but unread: the whole page is read (with the tilt pass), names C1,
    # and its halves and strips are read as taken and untilted
    looked = _tilt_looked_for(monkeypatch)
    read = _fake_reads(monkeypatch, named="whole")
    ti.read_fingerprints([Image.new("L", PAGE, 255)], [b"k"], _Register())
    assert "whole" in read and looked and "untilted right half" in read


def test_a_flat_page_reads_as_before(monkeypatch) -> None:
    # bands at one pitch that name a copy: halves and strips as taken, and no tilt looked for
    looked = _tilt_looked_for(monkeypatch)
    read = _fake_reads(monkeypatch, named="band", pitches={"band 2/4": 8.02})
    ti.read_fingerprints([Image.new("L", PAGE, 255)], [b"k"], _Register())
    assert "whole" not in read and not any(b.startswith("untilted") for b in read)
    assert "left half" in read and not looked


def test_pitch_spread() -> None:
    def at(*pitches: float) -> list:
        return [ti.Reading(1, "band", None, None, 1.0, False, 9.0, 0.0, p) for p in pitches]

    assert ti.pitch_spread(at(8.0)) == 0.0 and ti.pitch_spread(at(8.0, 0.0)) == 0.0
    assert abs(ti.pitch_spread(at(8.0, 8.2, 8.1)) - 0.025) < 1e-9
    assert ti.pitch_spread(at(8.012, 8.005, 7.992, 8.004)) < ti.TILT_SPREAD


def test_a_page_whose_bands_find_nothing_is_read_whole_untilted(monkeypatch) -> None:
    # no band synchronised (a photo whose lattice drifts in every band): the page shows a tilt,
    # so its untilted view is read whole; once that names C1, halves and strips in both views
    looked = _tilt_looked_for(monkeypatch)
    read = _fake_reads(monkeypatch, named="whole untilted", z=0.0)
    readings, _several = ti.read_fingerprints([Image.new("L", PAGE, 255)], [b"k"], _Register())
    assert looked == [1] and "whole" not in read and "whole untilted" in read
    assert {"left half", "untilted left half"} <= set(read)
    assert ti.fingerprint_layer(readings, 0, 1).verdict == "valid"
    # without a tilt, nothing more is read than the bands
    monkeypatch.setattr(ti, "untilted_view", lambda image: None)
    read = _fake_reads(monkeypatch, named="whole untilted", z=0.0)
    ti.read_fingerprints([Image.new("L", PAGE, 255)], [b"k"], _Register())
    assert all(b.startswith("band") for b in read)


def test_the_pages_of_a_file_are_not_searched_for_a_tilt(monkeypatch) -> None:
    # a leak of several page images is a file's own renders, flat: no tilt search on any of
    # them (about a CPU second a page), and the reads are those of a page without a tilt
    looked = _tilt_looked_for(monkeypatch)
    read = _fake_reads(monkeypatch, named="whole untilted", z=0.0)
    pages = [Image.new("L", PAGE, 255), Image.new("L", PAGE, 255)]
    ti.read_fingerprints(pages, [b"k"], _Register())
    assert looked == [] and read and all(b.startswith("band") for b in read)
