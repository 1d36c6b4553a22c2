"""Weigh the layers of a leak into one verdict (see :mod:`pipeline.trace_model` for the four).

The rule protects the innocent first. A recipient is named only when every layer that points
anywhere points to the same copy, at least one of them is a mark that sight alone cannot move
(``file`` or ``signal``), the content or the whole file carries a mark of that copy (a token in
the document properties alone can sit on any material), and the false-match probability is
at most :data:`~pipeline.trace_model.MAX_FALSE_MATCH`. Someone who wants a colleague blamed has to
move the colleague's marks onto a leak made from their own copy and remove every mark of
their own: any one left behind (a page fingerprint under a pasted QR symbol, the 份号 in the
text under a replaced printed code, the QR symbols of rasterised pages under a swapped
metadata token) points elsewhere, and the verdict becomes ``conflict``, naming no one.
"""

from __future__ import annotations

from mijian.pipeline.register import CopyRecord
from mijian.pipeline.register_store import RegisterStore
from mijian.pipeline.trace_model import (
    CONFLICT,
    IDENTIFIED,
    INCONCLUSIVE,
    INDICATED,
    MAX_FALSE_MATCH,
    Layer,
    Pointer,
    TraceResult,
)
from mijian.watermark.codes import SIGHT


def pointers(layers: list[Layer], register: RegisterStore) -> tuple[list[Pointer], dict[str, CopyRecord | None]]:
    """Every copy the mark layers point to (in the order first seen), with the layers that
    point to it and its best false-match probability; also the register row of each."""
    order: list[str] = []
    names: dict[str, list[str]] = {}
    best: dict[str, float] = {}
    for layer in layers:
        if layer.moved_by is None:
            continue
        for copy_id, probability in layer.support:
            if copy_id not in names:
                order.append(copy_id)
                names[copy_id] = []
            if layer.name not in names[copy_id]:
                names[copy_id].append(layer.name)
            best[copy_id] = min(probability, best.get(copy_id, 1.0))
    records = {cid: register.get_copy(cid) for cid in order}
    out = []
    for cid in order:
        record = records[cid]
        out.append(Pointer(cid, record.document_id if record else None,
                           record.serial if record else None,
                           record.recipient_id if record else None,
                           record.recipient_name if record else None,
                           tuple(names[cid]), best[cid]))
    return out, records


def decide(layers: list[Layer], register: RegisterStore, several: bool = False) -> TraceResult:
    """The verdict on the layers found (``several``: the page fingerprint showed the marks of
    several copies lying on top of each other)."""
    points, records = pointers(layers, register)
    layers = list(layers)
    if not points:
        if several:
            layers.append(_several_layer([], overlap=True))
        return TraceResult(verdict=INCONCLUSIVE, layers=tuple(layers))
    if len(points) > 1:
        layers.append(_several_layer(points, overlap=several))
        layers.append(_conflict_layer(layers, points))
        return TraceResult(verdict=CONFLICT, layers=tuple(layers), points_to=tuple(points))
    (point,) = points
    record = records[point.copy_id]
    if record is None:
        layers.append(Layer("register", "unknown copy", f"copy {point.copy_id} verifies but is "
                            "not in this register: no one is named"))
        return TraceResult(verdict=INCONCLUSIVE, layers=tuple(layers), points_to=(point,))
    if several:
        layers.append(_several_layer(points, overlap=True))
        return TraceResult(verdict=INCONCLUSIVE, layers=tuple(layers), points_to=(point,))
    strong = [p for layer in layers if layer.moved_by not in (None, SIGHT)
              for cid, p in layer.support if cid == point.copy_id]
    if not strong:
        layers.append(Layer("fusion", "sight only", f"only marks anyone who saw copy "
                            f"{record.serial} ({record.recipient_name}) could reproduce point to it "
                            f"({', '.join(point.layers)}): the leak points to that copy but does "
                            "not identify its holder"))
        return TraceResult(verdict=INDICATED, false_match_probability=1.0, layers=tuple(layers),
                           points_to=(point,))
    if not _in_content(layers, point.copy_id):
        layers.append(Layer("fusion", "properties only", f"only the document properties point to "
                            f"copy {record.serial} ({record.recipient_name}); the content (text, "
                            "page images) carries no mark of it, so the token may have been put on "
                            "other material: its holder is not identified"))
        return TraceResult(verdict=INDICATED, false_match_probability=1.0, layers=tuple(layers),
                           points_to=(point,))
    probability = min(strong)
    if probability > MAX_FALSE_MATCH:
        layers.append(Layer("fusion", "too weak", f"false-match probability {probability:.2e} is "
                            f"above {MAX_FALSE_MATCH:.0e}"))
        return TraceResult(verdict=INCONCLUSIVE, layers=tuple(layers), points_to=(point,))
    return TraceResult(verdict=IDENTIFIED, document_id=record.document_id, serial=record.serial,
                       recipient_id=record.recipient_id, recipient_name=record.recipient_name,
                       copy_id=record.copy_id, false_match_probability=probability,
                       layers=tuple(layers), points_to=(point,))


CONTAINER_LAYERS = ("metadata",)
"""Layers that speak for the file's properties, not its content: a token can be copied into
the properties of any file, so it names no one unless the content or the whole file agrees."""


def _in_content(layers: list[Layer], copy_id: str) -> bool:
    """Whether a mark of the content, or the whole file's hash, points to ``copy_id``."""
    return any(copy_id in layer.copies for layer in layers
               if layer.moved_by is not None and layer.name not in CONTAINER_LAYERS)


def _label(point: Pointer) -> str:
    if point.serial is None:
        return f"{point.copy_id} (not in this register)"
    return f"{point.serial} {point.recipient_name}"


def _several_layer(points: list[Pointer], overlap: bool) -> Layer:
    """The collusion report: the marks of several copies are present."""
    if not points or (overlap and len(points) < 2):
        named = "the copy read is one of them; " if points else ""
        return Layer("fusion", "several copies", "marks of several copies are present (page "
                     f"images averaged or merged): {named}no single recipient is named")
    names = "; ".join(_label(p) for p in points)
    return Layer("fusion", "several copies", f"marks of several copies are present ({names}): "
                 "mixed or colluding copies, or marks moved from one copy to another; no single "
                 "recipient is named")


def _conflict_layer(layers: list[Layer], points: list[Pointer]) -> Layer:
    """Which layers point where, and what that pattern means."""
    where = []
    for layer in layers:
        if layer.moved_by is None or not layer.support:
            continue
        targets = ", ".join(_label(p) for p in points if p.copy_id in layer.copies)
        where.append(f"{layer.name} ({layer.moved_by}) -> {targets}")
    return Layer("fusion", "conflict", "the layers disagree: " + "; ".join(where) + ". Marks of "
                 "one copy on a leak made from another is what framing looks like (a code, QR "
                 "symbol, serial or token moved onto another copy's page); no one is named")
