"""The values a trace gives back: what each layer found, which copies the evidence points to,
and the verdict (see the trace section of the README for the JSON contract).

Verdicts:

- ``identified``: every layer that points anywhere points to one copy, at least one of them
  is a mark that cannot be moved by sight alone (``file`` or ``signal``), and the chance of a
  false match is at most :data:`MAX_FALSE_MATCH`. The recipient is named.
- ``indicated``: every layer that points anywhere points to one copy, but only marks anyone
  who saw that copy could reproduce (printed code, QR symbol, visible name and serial). The
  copy is listed in ``points_to``; no recipient is named.
- ``conflict``: layers point to different copies (mixed or colluding copies, or one copy's
  marks moved onto another's page, which is what framing looks like). No one is named; every
  copy the evidence points to is listed in ``points_to``.
- ``inconclusive``: nothing points to a registered copy strongly enough (or the marks of
  several copies lie on top of each other with at most one readable).
"""

from __future__ import annotations

from dataclasses import dataclass, field

IDENTIFIED = "identified"
INDICATED = "indicated"
CONFLICT = "conflict"
INCONCLUSIVE = "inconclusive"
MAX_FALSE_MATCH = 1e-6
"""Largest false-match probability with which a recipient is named."""

MAX_PATTERN_PAGES = 4
"""Most page images searched for the page fingerprint (a whole page takes about half a second)."""


@dataclass(frozen=True)
class Layer:
    """What one layer found.

    ``moved_by`` is the class of the mark (``sight``, ``file`` or ``signal``, see
    :data:`watermark.codes.MOVED_BY`), None for steps that are not marks (decryption, the
    register, the fusion of the evidence). ``support`` holds each copy id the layer points
    to with the layer's false-match probability for it (guessing and moving, see
    :func:`watermark.codes.false_match_probability`).
    """

    name: str
    verdict: str
    detail: str
    moved_by: str | None = None
    support: tuple[tuple[str, float], ...] = ()

    @property
    def copies(self) -> tuple[str, ...]:
        """The copy ids this layer points to, in the order found."""
        return tuple(copy_id for copy_id, _p in self.support)

    def to_json(self) -> dict:
        """The layer as ``mijian trace --json`` prints it."""
        return {"name": self.name, "verdict": self.verdict, "detail": self.detail,
                "moved_by": self.moved_by, "points_to": list(self.copies)}


@dataclass(frozen=True)
class Pointer:
    """One copy the evidence points to, with the layers that point to it (``document_id``
    and the recipient are None for a copy id that verifies but is not in the register)."""

    copy_id: str
    document_id: str | None
    serial: str | None
    recipient_id: str | None
    recipient_name: str | None
    layers: tuple[str, ...]
    false_match_probability: float

    def to_json(self) -> dict:
        """The pointer as ``mijian trace --json`` prints it."""
        return {"copy_id": self.copy_id, "document_id": self.document_id, "serial": self.serial,
                "recipient_id": self.recipient_id, "recipient_name": self.recipient_name,
                "layers": list(self.layers),
                "false_match_probability": self.false_match_probability}


@dataclass(frozen=True)
class TraceResult:
    """The verdict on a leak. The recipient fields are filled only when ``identified``;
    ``points_to`` lists every copy the evidence points to, whatever the verdict."""

    verdict: str
    document_id: str | None = None
    serial: str | None = None
    recipient_id: str | None = None
    recipient_name: str | None = None
    copy_id: str | None = None
    false_match_probability: float | None = None
    layers: tuple[Layer, ...] = field(default=())
    points_to: tuple[Pointer, ...] = field(default=())
    print_run: str | None = None
    """The print run the identified copy came from (打印室印制), or None for an issued copy."""
    handed_out: bool | None = None
    """For a print-run copy: whether it was handed out to the person named; False: nobody is."""

    def to_json(self) -> dict:
        """The object ``mijian trace --json`` prints (``print_run`` and ``handed_out`` only for
        a copy of a print run)."""
        out = {"verdict": self.verdict, "document_id": self.document_id, "serial": self.serial,
               "recipient_id": self.recipient_id, "recipient_name": self.recipient_name,
               "false_match_probability": self.false_match_probability,
               "points_to": [p.to_json() for p in self.points_to],
               "layers": [layer.to_json() for layer in self.layers]}
        if self.print_run is not None:
            out.update(print_run=self.print_run, handed_out=self.handed_out)
        return out
