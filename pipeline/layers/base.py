"""What a fingerprint layer declares: its name, its trace reader, and its stampers.

A *surface* is a place in one format's copy where layers are drawn, named by that format
(the PDF writer, for instance, offers ``draft``, ``overlay``, ``page``, ``sheet`` and
``file``; see the ``SURFACES`` of each writer's stamping module). A stamper is called with
the context that format gives for that surface: a frozen value holding the drawing objects
and the :class:`~pipeline.model.CopyStamp` of the copy being written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Stamper:
    """How one layer is stamped on one surface of one format's copies.

    ``format`` is a format name of :mod:`pipeline.formats.registry`; ``stamp`` is called
    with that format's context for ``surface`` (typed ``Any`` here: each format defines its
    own context values, and the layer modules import them only when they stamp).
    """

    format: str
    surface: str
    stamp: Callable[[Any], None]


@dataclass(frozen=True)
class StampLayer:
    """One fingerprint layer: ``name``, the name of the trace layer that reads it back
    (``reader``: a reader of :data:`pipeline.trace_readers.READERS`, or one of the layers the
    tracer reads itself, :data:`pipeline.trace_readers.TRACED_APART`), and its stampers, in
    the order they run on a surface."""

    name: str
    reader: str
    stampers: tuple[Stamper, ...]

    def formats(self) -> tuple[str, ...]:
        """The formats whose copies carry this layer, in declaration order, once each."""
        return tuple(dict.fromkeys(stamper.format for stamper in self.stampers))
