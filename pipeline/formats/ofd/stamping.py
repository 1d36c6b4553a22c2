"""The surfaces of an OFD copy that fingerprint layers are drawn on, and what each stamper is
given there (see :mod:`pipeline.layers`).

Every page gets one new foreground layer; its objects are drawn in this order:

- ``bands``: once per copy, before any page: a layer may add a row to the bottom band
  (outermost first), which the page's content is moved out of like the marking rows;
- ``under``: each page, objects drawn under the marking rows;
- ``over``: each page, objects drawn over the marking rows;
- ``file``: the package's ``OFD.xml`` root, once per copy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mijian.pipeline.model import CopyStamp

if TYPE_CHECKING:
    from lxml import etree

    from mijian.pipeline.formats.ofd.draw import Painter
    from mijian.pipeline.formats.pdf.marks import Row

SURFACES = ("bands", "under", "over", "file")
"""The surfaces the OFD writer offers, in the order it stamps them."""


@dataclass(frozen=True)
class OfdBands:
    """Surface ``bands``: the rows of the bottom band, outermost first (in points, laid out
    by :func:`pipeline.formats.pdf.marks.place_marks` as on PDF copies)."""

    stamp: CopyStamp
    bottom: list[Row]


@dataclass(frozen=True)
class OfdPage:
    """Surfaces ``under`` and ``over``: one page's painter, its size and where its content
    lies (mm; None for an empty page), the ends of its body lines (x, baseline in mm), and
    the objects drawn so far on the page's mark layer (a layer appends its own)."""

    painter: Painter
    stamp: CopyStamp
    page: tuple[float, float]
    body: tuple[float, float, float, float] | None
    ends: list[tuple[float, float]]
    drawn: list[etree._Element] = field(default_factory=list)


@dataclass(frozen=True)
class OfdFile:
    """Surface ``file``: the root element of the package's ``OFD.xml``."""

    ofd_root: etree._Element
    stamp: CopyStamp
