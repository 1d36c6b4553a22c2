"""The probability model of moved marks and the regions the page fingerprint is read in."""

from __future__ import annotations

import pytest
from PIL import Image

from mijian.watermark.codes import FILE, MOVED_BY, SIGHT, SIGNAL, false_match_probability, moved_probability


def test_sight_marks_count_as_moved_and_never_reach_the_threshold():
    """A printed code, QR symbol or visible serial is moved with certainty, whatever its tag."""
    assert moved_probability(SIGHT) == 1.0
    assert false_match_probability(2.0 ** -40, SIGHT) == 1.0
    assert false_match_probability(0.0, SIGHT) > 1e-6


@pytest.mark.parametrize("moved_by", [FILE, SIGNAL])
def test_file_and_signal_marks_leave_the_chance_of_a_guess(moved_by):
    assert moved_probability(moved_by) == 0.0
    assert false_match_probability(2.0 ** -40, moved_by) == 2.0 ** -40
    assert false_match_probability(3.0, moved_by) == 1.0


def test_every_class_says_what_moving_needs_and_unknown_classes_are_refused():
    assert set(MOVED_BY) == {SIGHT, FILE, SIGNAL} and all(MOVED_BY.values())
    with pytest.raises(ValueError):
        moved_probability("telepathy")


def test_a_page_is_read_in_bands_and_a_crop_whole():
    """An A4 page at 150 dpi is cut into 4 bands across its height, a landscape page across its
    width, a quarter-page crop stays whole, a 300 dpi scan is shrunk first."""
    from mijian.pipeline.trace_images import MAX_SIDE, bands

    page = Image.new("RGB", (1241, 1754), "white")
    regions = bands(page)
    assert [name for name, _ in regions] == ["band 1/4", "band 2/4", "band 3/4", "band 4/4"]
    assert sum(r.height for _, r in regions) == 1754 and {r.width for _, r in regions} == {1241}
    wide = bands(Image.new("RGB", (1754, 1241), "white"))
    assert len(wide) == 4 and {r.height for _, r in wide} == {1241}
    assert [name for name, _ in bands(page.crop((0, 0, 620, 877)))] == ["whole"]
    scan = bands(Image.new("RGB", (2480, 3508), "white"))
    assert len(scan) == 4 and max(max(r.size) for _, r in scan) <= MAX_SIDE
