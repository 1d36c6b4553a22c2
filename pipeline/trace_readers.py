"""The mark layers a trace reads, as one list of readers.

Each reader knows one mark layer of a copy: its name, what an attacker needs to move it to
another copy (``moved_by``), whether it is read from the leak's text and properties or from its
page images, and the function that reads it. The tracer walks :data:`READERS` in order and
gives every reader the same :class:`Leak`.

This is the tracing side of the fingerprint layers; the stamping side is
:data:`pipeline.layers.registry.LAYERS`, where each layer names the reader here that reads it
back. A new layer is added on both sides: on the stamping side, one module under
``pipeline/layers/`` declaring its stampers (one per format and surface it is drawn on, with
any format-specific drawing helper in that format's folder) and one line in ``LAYERS``; on
this side, a reader function and one line in :data:`READERS` under the name the layer gives.
The format writers run whatever the registry lists and need no change.

A reader that needs page images is reported ``not examined`` when the leak has none (a text
leak, a file that could not be opened), with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mijian.pipeline.model import Evidence
from mijian.pipeline.register_store import RegisterStore
from mijian.pipeline.trace_layers import Signers
from mijian.pipeline.trace_model import Layer
from mijian.watermark.codes import FILE, SIGHT, SIGNAL


@dataclass(frozen=True)
class Leak:
    """What every reader is given: the evidence read from the file, its page images (None
    when there are none), the office's signers and register, how many page images the page
    fingerprint is decoded on, and whether the leak's bytes are those of one issued copy (its
    pages then hold that copy's marks alone: no page can be pieced from two copies)."""

    evidence: Evidence
    images: list[Any] | None
    signers: Signers
    register: RegisterStore
    pattern_pages: int
    issued: bool = False


@dataclass(frozen=True)
class Reading:
    """A reader's result: its layer, and how many page images showed the marks of several
    copies lying on top of each other (a merge of copies; 0 for most layers)."""

    layer: Layer
    merged_pages: int = 0


@dataclass(frozen=True)
class MarkReader:
    """One mark layer as the tracer reads it."""

    name: str
    moved_by: str
    from_images: bool
    read: Callable[[Leak], Reading]

    def not_examined(self, why: str) -> Layer:
        """The layer when the leak offers no page image to read it from."""
        return Layer(self.name, "not examined", f"no page image to read: {why}", self.moved_by)


def _metadata(leak: Leak) -> Reading:
    from mijian.pipeline.trace_layers import metadata_layer

    return Reading(metadata_layer(leak.evidence.token, leak.signers))


def _text_code(leak: Leak) -> Reading:
    from mijian.pipeline.trace_layers import text_code_layer

    return Reading(text_code_layer(leak.evidence.text, leak.signers))


def _visible_code(leak: Leak) -> Reading:
    from mijian.pipeline.trace_layers import visible_code_layer

    return Reading(visible_code_layer(leak.evidence.text, leak.signers))


def _qr(leak: Leak) -> Reading:
    from mijian.pipeline.trace_images import qr_layer

    return Reading(qr_layer(leak.images or [], leak.signers))


def _page_fingerprint(leak: Leak) -> Reading:
    from mijian.pipeline.trace_images import fingerprint_layer, read_fingerprints

    images = leak.images or []
    readings, merged = read_fingerprints(images, leak.signers.keys, leak.register, leak.pattern_pages,
                                         halves=not leak.issued)
    return Reading(fingerprint_layer(readings, merged, min(len(images), leak.pattern_pages)), merged)


def _screen_fingerprint(leak: Leak) -> Reading:
    from mijian.pipeline.screenprint_layer import trace_layer

    return Reading(trace_layer(leak.images or [], leak.signers.keys, leak.register))


READERS: tuple[MarkReader, ...] = (
    MarkReader("metadata", FILE, False, _metadata),
    MarkReader("text-code", FILE, False, _text_code),
    MarkReader("visible-code", SIGHT, False, _visible_code),
    MarkReader("qr-code", SIGHT, True, _qr),
    MarkReader("page-fingerprint", SIGNAL, True, _page_fingerprint),
    MarkReader("screen-fingerprint", SIGNAL, True, _screen_fingerprint),
)
"""Every mark layer a trace reads, in the order the report lists them."""


TRACED_APART: dict[str, str] = {
    "file": "the SHA-256 of the leak against the copies' files: a fact of the file, stamped "
            "by no layer",
    "visible-text": "the 份号 and the recipient's name in the marking and watermark text, "
                    "compared with the copies of the document the other layers found",
}
"""The layers :mod:`pipeline.tracing` reads itself rather than through a reader here (they
need the register's copies, not the leak alone); a stamping layer may name one of them."""


def read_marks(leak: Leak, no_images: str) -> tuple[list[Layer], int]:
    """Every reader's layer for ``leak`` (``no_images``: why it has no page image, if so), and
    the number of page images that showed merged copies."""
    layers: list[Layer] = []
    merged = 0
    for reader in READERS:
        if reader.from_images and not leak.images:
            layers.append(reader.not_examined(no_images))
            continue
        found = reader.read(leak)
        layers.append(found.layer)
        merged += found.merged_pages
    return layers, merged
