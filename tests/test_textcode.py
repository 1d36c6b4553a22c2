"""The invisible text-layer code: round trip, damage, other keys, no repeated symbols."""

from __future__ import annotations

import itertools
import os
import random

from mijian.pipeline.crypto import OfficeKey
from mijian.watermark import textcode
from mijian.watermark.codes import new_copy_id

KEY, OTHER = OfficeKey("k1", b"k" * 32), OfficeKey("k2", b"o" * 32)


def test_round_trip_inside_text():
    for _ in range(100):
        copy_id = new_copy_id(os.urandom(8))
        run = textcode.encode(KEY, copy_id)
        assert all(a != b for a, b in itertools.pairwise(run)), "no symbol may repeat"
        (found,) = textcode.find("前文" + run + "后文")
        assert found[0] == copy_id
        assert textcode.verify([OTHER, KEY], *found) == "k1"
        assert textcode.verify([OTHER], *found) is None
        assert textcode.strip("前" + run + "后") == "前后"


def test_damaged_runs_are_dropped():
    rng = random.Random(7)
    copy_id = new_copy_id(os.urandom(8))
    run = textcode.encode(KEY, copy_id)
    dropped = accepted_wrong = 0
    for _ in range(500):
        chars = list(run)
        i = rng.randrange(1, len(chars) - 1)
        chars[i] = rng.choice([c for c in textcode.SYMBOLS if c != chars[i]])
        found = textcode.find("".join(chars))
        if not found:
            dropped += 1
        elif textcode.verify([KEY], *found[0]):
            accepted_wrong += found[0][0] != copy_id
    assert accepted_wrong == 0
    assert dropped >= 450


def test_random_invisible_noise_never_verifies():
    rng = random.Random(11)
    alphabet = textcode.SYMBOLS + (textcode.START, textcode.END)
    noise = "".join(rng.choice(alphabet) for _ in range(200_000))
    for copy_id, tag in textcode.find(noise):
        assert textcode.verify([KEY], copy_id, tag) is None
