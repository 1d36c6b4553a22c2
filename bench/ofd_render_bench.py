"""The image layers of OFD copies read back from mijian's own render of them.

Usage::

    python bench/ofd_render_bench.py [--copies 200] [--start 0] [--draft tests/data/ofd/keyword2.ofd]
                                     [--pages 1] [--workers 1] [--fails] [--tree DIR]

For each seed a copy stamp is made as the issuing pipeline would (a random 32-byte pattern key,
a random 32-bit fingerprint number, a random copy id with its printed code, 份号 from the seed,
grade 秘密 10年), the draft is stamped (:func:`pipeline.formats.ofd.copy.stamped_ofd`: every
layer of a copy, no encryption), its first ``--pages`` pages are drawn by
:mod:`pipeline.formats.ofd.render` at the trace's resolution, and on the first page the QR
symbol (:func:`watermark.qr.read_codes`) and the camera-robust fingerprint
(:func:`watermark.screenprint.read`) are read back. A copy counts as read for a layer when its
first page gives the printed code / the fingerprint number (the trace always reads the first
page). A draft whose content reaches the bottom-right corner gives copies without the QR
symbol; they are left out of its count. Reported: copies whose QR or fingerprint failed, with
their seeds (``--fails``), and the render time per page (process CPU seconds, median and
maximum). ``--tree`` measures the mijian of another source tree (a checkout of an older
commit) with the same seeds.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mijian.pipeline.model import CopyStamp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


@dataclass(frozen=True)
class Outcome:
    """What one seeded copy gave back."""

    seed: int
    qr: bool | None
    fingerprint: bool
    render_cpu: float


def seeded_stamp(seed: int) -> CopyStamp:
    """The stamp of the copy of ``seed`` (see the module notes)."""
    from mijian.pipeline.model import CopyStamp, Marking
    from mijian.watermark.codes import b32, new_copy_id

    rng = random.Random(seed)
    serial = f"{seed % 999_999 + 1:06d}"
    copy_id = new_copy_id(rng.randbytes(8))
    marking = Marking(scheme="cn-state", grade="秘密", level=2, period="10年", serial=serial,
                      first_page_lines=(serial, "秘密★10年"),
                      running=f"秘密 {serial} 第{{page}}页/共{{pages}}页")
    return CopyStamp(marking=marking, watermark_text=f"收件人{seed} 份号 {serial}",
                     visible_code=f"MJ1-{copy_id}-{b32(rng.randbytes(5), 8)}",
                     token=f"mjt1.{copy_id}.sig", user_password="Pw-bench-1", owner_password="",
                     language="zh", pattern_key=rng.randbytes(32),
                     pattern_payload=rng.getrandbits(32).to_bytes(4, "big"))


def carries_qr(plain: bytes, code: str) -> bool:
    """Whether the first page of the copy ``plain`` carries the QR symbol of ``code`` (it is
    left out where the page's content reaches the bottom-right corner)."""
    from mijian.pipeline.formats.ofd.draw import MM_PER_POINT, _square, qr_boxes
    from mijian.pipeline.formats.ofd.marks import QR_MM
    from mijian.pipeline.formats.ofd.reading import open_ofd
    from mijian.pipeline.formats.ofd.structure import page_size
    from mijian.pipeline.formats.pdf.marks import EDGE
    from mijian.pipeline.limits import DEFAULT_LIMITS

    document = open_ofd(plain, "bench", DEFAULT_LIMITS)
    page = document.pages[0]
    width, height = page_size(page, document.package.xml(page.part))
    edge = EDGE * MM_PER_POINT
    first = next(qr_boxes(code, width - edge - QR_MM, height - edge - QR_MM, QR_MM))
    return _square(first).encode() in document.package.read(page.part)


def run_seed(args: tuple[int, str, int]) -> Outcome:
    """Stamp, render and read back the copy of one seed."""
    from mijian.pipeline.formats.ofd.copy import stamped_ofd
    from mijian.pipeline.formats.ofd.reading import open_ofd
    from mijian.pipeline.formats.ofd.render import render_pages
    from mijian.pipeline.limits import DEFAULT_LIMITS
    from mijian.pipeline.screenprint_layer import layer_key
    from mijian.watermark.qr import read_codes
    from mijian.watermark.screenprint import read

    seed, draft, pages = args
    stamp = seeded_stamp(seed)
    plain = stamped_ofd(Path(draft).read_bytes(), stamp, DEFAULT_LIMITS)
    start = time.process_time()
    images = render_pages(open_ofd(plain, "bench", DEFAULT_LIMITS), DEFAULT_LIMITS, pages)
    cpu = (time.process_time() - start) / max(1, len(images))
    first = images[0]
    number = int.from_bytes(stamp.pattern_payload, "big")
    qr = stamp.visible_code in read_codes(first) if carries_qr(plain, stamp.visible_code) else None
    return Outcome(seed, qr, read(first, layer_key(stamp.pattern_key)).number == number, cpu)


def main() -> None:
    """Run the seeds and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=200)
    parser.add_argument("--start", type=int, default=0)
    parser.add_argument("--draft", default=str(ROOT / "tests" / "data" / "ofd" / "keyword2.ofd"))
    parser.add_argument("--pages", type=int, default=1)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--fails", action="store_true", help="list the seeds that failed")
    parser.add_argument("--tree", help="source tree whose mijian to measure (default: this one)")
    options = parser.parse_args()
    if options.tree:
        sys.path.insert(0, str(Path(options.tree).resolve()))
    jobs = [(seed, options.draft, options.pages)
            for seed in range(options.start, options.start + options.copies)]
    with ProcessPoolExecutor(options.workers) as pool:
        outcomes = list(pool.map(run_seed, jobs))
    times = [o.render_cpu for o in outcomes]
    qr_fail = [o.seed for o in outcomes if o.qr is False]
    with_qr = sum(o.qr is not None for o in outcomes)
    fp_fail = [o.seed for o in outcomes if not o.fingerprint]
    total = len(outcomes)
    print(f"draft {Path(options.draft).name}, seeds {options.start}-{options.start + total - 1}")
    print("| layer | failed / copies |")
    print("| --- | --- |")
    print(f"| qr-code | {len(qr_fail)}/{with_qr} (copies with the symbol) |")
    print(f"| screen-fingerprint | {len(fp_fail)}/{total} |")
    print(f"| either | {len(set(qr_fail) | set(fp_fail))}/{total} |")
    print(f"render CPU s per page: median {statistics.median(times):.3f}, max {max(times):.3f}")
    if options.fails:
        print(f"qr failed: {qr_fail}")
        print(f"fingerprint failed: {fp_fail}")


if __name__ == "__main__":
    main()
