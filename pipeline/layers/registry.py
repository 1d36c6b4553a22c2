"""The fingerprint layers in drawing order, and the loop every format writer runs.

A new layer is one module beside this one declaring its ``LAYER`` (stampers for the formats
that carry it) plus one line in :data:`LAYERS`, and one reader in
:data:`pipeline.trace_readers.READERS` under the name the layer gives as its ``reader``.
The formats need no change unless the layer needs a helper of theirs (kept in the format's
folder).

The order of :data:`LAYERS` is the drawing order on every surface. The invisible text code
comes first: on a PDF overlay page it is written by a text writer that needs the page empty.
"""

from __future__ import annotations

from typing import Any

from mijian.pipeline.layers import (
    metadata,
    pattern,
    qr,
    screen,
    text_code,
    visible_code,
    watermark,
)
from mijian.pipeline.layers.base import StampLayer, Stamper

LAYERS: tuple[StampLayer, ...] = (
    text_code.LAYER,
    watermark.LAYER,
    visible_code.LAYER,
    qr.LAYER,
    pattern.LAYER,
    screen.LAYER,
    metadata.LAYER,
)
"""Every stamped fingerprint layer, in drawing order."""


def stampers(format_name: str, surface: str) -> list[Stamper]:
    """The stampers of every layer for ``surface`` of ``format_name``'s copies, in order
    (read from :data:`LAYERS` at each call, so a layer added to it is stamped at once)."""
    return [stamper for layer in LAYERS for stamper in layer.stampers
            if stamper.format == format_name and stamper.surface == surface]


def stamp(format_name: str, surface: str, context: Any) -> None:
    """Run every layer's stamper for ``surface`` of ``format_name`` on ``context``."""
    for stamper in stampers(format_name, surface):
        stamper.stamp(context)
