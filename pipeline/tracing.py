"""Trace a leaked copy back to its recipient, or say why it cannot.

Every layer is examined, whatever the others found, each with its own reader
(:data:`pipeline.trace_readers.READERS`, in this order after the file itself):

1. ``file``: the leak's SHA-256 equals a registered copy's file (the copy as issued).
2. ``metadata``: the signed token in the document properties (128-bit tag).
3. ``text-code``: the signed code in invisible characters at line and paragraph ends (40-bit tag).
4. ``visible-code``: the short signed code printed on every page (40-bit tag), found in the text.
5. ``qr-code``: the QR symbol of the visible code, read on every page image (the leak's images,
   or the rendered pages of a PDF, which are rendered always).
6. ``page-fingerprint``: the keyed dot lattice, decoded blind in bands of every page image; it
   carries a random fingerprint number under a keyed check, looked up in the register.
7. ``visible-text``: the 份号 and the recipient's name in the marking and watermark text.

Each layer says what an attacker needs to move it to another copy (``sight``, ``file`` or
``signal``, :data:`watermark.codes.MOVED_BY`) and which copies it points to;
:mod:`pipeline.trace_verdict` weighs them (``identified``, ``indicated``, ``conflict`` or
``inconclusive``, see :mod:`pipeline.trace_model`).
"""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

from mijian.pipeline import print_assign
from mijian.pipeline.errors import InputError
from mijian.pipeline.formats import registry
from mijian.pipeline.formats.interface import LeakKeys
from mijian.pipeline.limits import DEFAULT_LIMITS, Limits
from mijian.pipeline.model import Evidence
from mijian.pipeline.office import PASSWORD_PURPOSE, Office
from mijian.pipeline.readers import read_bytes
from mijian.pipeline.register import CopyRecord
from mijian.pipeline.register_store import RegisterStore
from mijian.pipeline.trace_layers import Signers, file_layer, visible_text_layer
from mijian.pipeline.trace_model import (INCONCLUSIVE, INDICATED, MAX_FALSE_MATCH, MAX_PATTERN_PAGES, Layer,
                                         Pointer, TraceResult)
from mijian.pipeline.trace_readers import Leak, read_marks
from mijian.pipeline.trace_verdict import decide

__all__ = ["trace", "TraceResult", "Layer", "Pointer", "MAX_FALSE_MATCH", "LEAK_TYPES",
           "MAX_RENDERED_PAGES", "MAX_PATTERN_PAGES"]

ENVELOPE = ".p7m"
"""A copy sealed in a CMS envelope for its recipient: opened with the office identity, then
traced as the copy inside (an envelope is a wrapper of a copy, not a document format)."""
LEAK_TYPES = (*registry.leak_extensions(), ENVELOPE)
MAX_PASSWORD_TRIES = 200
MAX_RENDERED_PAGES = 4
"""Most pages of a PDF leak rendered to read the QR symbol and the page fingerprint (every
page of a copy carries both, so the first few suffice, and the cost stays bounded)."""
MAX_SUSPECT_PAGES = 64
"""Most pages read when the first pages leave only sight-copyable marks pointing to a copy
(``indicated``): a leaker may have put a colleague's QR symbol up front and their own pages
further on, where a few pages would not look."""


def trace(office: Office, path: str | Path, limits: Limits = DEFAULT_LIMITS) -> TraceResult:
    """Trace the leak at ``path`` against the office's register and keys."""
    path = Path(path)
    ext = path.suffix.lower()
    fmt = registry.by_extension(path)
    if fmt is None and ext != ENVELOPE:
        raise InputError(f"{path}: unsupported leak type '{ext or 'none'}'; expected one of "
                         f"{' '.join(LEAK_TYPES)}; convert it to one of these")
    if path.is_file() and path.stat().st_size == 0:
        raise InputError(f"{path}: the leak is empty (0 bytes, 空文件); expected the leaked copy "
                         "itself; check that the right file was given")
    data = read_bytes(path, limits)
    by_hash = office.register.copies_by_sha256(hashlib.sha256(data).hexdigest())
    layers = [file_layer(by_hash, office.register)]
    if fmt is None:  # the envelope
        opened = _open_envelope(office, data)
        if opened is None:
            layers.append(Layer("envelope", "not opened", "a CMS envelope the office identity cannot open"))
            return TraceResult(verdict=INCONCLUSIVE, layers=tuple(layers))
        layers.append(Layer("envelope", "opened", "CMS envelope opened with the office identity"))
        return _trace_inner(office, opened, layers, limits)
    keys = _leak_keys(office, by_hash)
    evidence = fmt.read_evidence(path, data, keys, limits)
    images = fmt.page_images(data, str(path), keys, limits, MAX_RENDERED_PAGES) if evidence.opened else None
    result = _decide(office, evidence, list(layers), images, fmt.no_page_images)
    if result.verdict == INDICATED and images and len(images) >= MAX_PATTERN_PAGES:
        # only sight-copyable marks point to a copy: a leaker's own page further on would make
        # it a conflict, so every page or frame (up to a bound) is read before it is pointed to
        more = fmt.page_images(data, str(path), keys, limits, MAX_SUSPECT_PAGES)
        if more and len(more) > MAX_PATTERN_PAGES:
            result = _decide(office, evidence, list(layers), more, fmt.no_page_images, len(more))
    return result


def _leak_keys(office: Office, known: list[CopyRecord]) -> LeakKeys:
    """The passwords a leak's format may try: those of the copies with its SHA-256, the
    office's own, and (on demand) those of the most recent copies of one kind."""
    return LeakKeys(known=tuple(_known_passwords(office, known)),
                    office=tuple(office.owner_passwords()),
                    recent=lambda ext: _recent_passwords(office, ext))


def _recent_passwords(office: Office, ext: str) -> list[str]:
    """Passwords of the most recent copies whose file ends in ``ext``, for an encrypted leak
    whose bytes changed."""
    out = []
    keys = {k.key_id: k for k in office.keys()}
    for copy in office.register.latest_copies(ext, MAX_PASSWORD_TRIES):
        key = keys.get(copy.key_id)
        if key and copy.sealed_password:
            out.append(key.unseal(PASSWORD_PURPOSE, copy.sealed_password, copy.copy_id.encode()).decode())
    return out


def _open_envelope(office: Office, data: bytes) -> bytes | None:
    from mijian.pipeline.crypto import office_cms_identity, open_envelope
    from mijian.pipeline.errors import CryptoError

    keys_dir = office.home / "keys"
    if not (keys_dir / "cms-identity.key").exists():
        return None
    cert, key = office_cms_identity(office.home)
    try:
        return open_envelope(data, cert, key)
    except CryptoError:
        return None


def _known_passwords(office: Office, known: list[CopyRecord]) -> list[str]:
    out = []
    keys = {k.key_id: k for k in office.keys()}
    for copy in known:
        key = keys.get(copy.key_id)
        if key is not None and copy.sealed_password:
            out.append(key.unseal(PASSWORD_PURPOSE, copy.sealed_password, copy.copy_id.encode()).decode())
    return out




def _trace_inner(office: Office, plain: bytes, layers: list[Layer], limits: Limits) -> TraceResult:
    """Trace the plain copy found inside an envelope (its pages rendered too, when its
    format has pages to render)."""
    import tempfile

    fmt = registry.sniff(plain, "the enveloped copy")
    keys = LeakKeys(office=tuple(office.owner_passwords()),
                    recent=lambda ext: _recent_passwords(office, ext))
    with tempfile.TemporaryDirectory(prefix="mijian-trace-") as tmp:
        inner = Path(tmp) / f"inner{fmt.extension}"
        inner.write_bytes(plain)
        evidence = fmt.read_evidence(inner, plain, keys, limits)
    images = None
    if evidence.opened:
        images = fmt.page_images(plain, "the enveloped copy", keys, limits, MAX_RENDERED_PAGES)
    return _decide(office, evidence, layers, images, fmt.no_page_images)


def _decide(office: Office, evidence: Evidence, layers: list[Layer], images: list | None,
            no_images: str, pattern_pages: int = MAX_PATTERN_PAGES) -> TraceResult:
    """Read every mark layer of the evidence and of its page images (the page fingerprint on
    the first ``pattern_pages`` of them), then weigh them (``no_images``: why the leak's format
    offers no page image, for the report)."""
    register = office.register
    signers = Signers(office.keys(), register)
    if evidence.encrypted and not evidence.opened:
        layers.append(Layer("decrypt", "failed", "encrypted, and no office password opens it"))
        return TraceResult(verdict=INCONCLUSIVE, layers=tuple(layers))
    if evidence.encrypted:
        layers.append(Layer("decrypt", "opened", "encrypted; opened with the office's means"))
    why = "the file could not be opened" if not evidence.opened else no_images
    # a leak that is byte for byte an issued copy shows that copy's pages as they were made:
    # its pages are not read in halves for a second copy, and a page measured as doubled
    # there is the overlap measure's error, not a merge
    issued = _issued_bytes(layers)
    read, merged = read_marks(Leak(evidence, images or None, signers, register, pattern_pages,
                                   issued), why)
    layers += read
    several = merged > 0 and not issued
    documents = _documents(layers, register)
    corroboration = visible_text_layer(evidence.text, register, documents)
    if corroboration:
        layers.append(corroboration)
    result = print_assign.trace_view(register, decide(layers, register, several))
    warning = _register_warning(office, result)
    if warning is None:
        return result
    return dataclasses.replace(result, layers=result.layers + (warning,))


def _issued_bytes(layers: list[Layer]) -> bool:
    """Whether the leak's bytes are those of exactly one issued copy (the file layer)."""
    return any(layer.name == "file" and layer.verdict == "match" and len(layer.copies) == 1
               for layer in layers)


def _register_warning(office: Office, result: TraceResult) -> Layer | None:
    """A layer saying the register itself is in doubt, or None when it is not.

    The rows a verdict names are each checked against their own signed events; what that does
    not show is a copy whose row and events were removed (an insider hiding their own copy:
    its marks then point to a copy the register does not hold), a restored backup, or a
    planted schema object. The signed head is compared on every trace (cheap); the whole log
    is verified when a mark points to a copy the register does not hold."""
    unknown = any(p.document_id is None for p in result.points_to)
    state = office.register.freshness()
    problem = state.problem
    if unknown and problem is None:
        from mijian.pipeline.audit import verify_register  # the full check, only when needed

        problem = verify_register(office).problem
    if problem is None:
        return None
    return Layer("register", "in doubt", f"{problem}. A leak's marks may point to copies this "
                 "register no longer holds; run 'mijian register verify' before relying on "
                 "this verdict (登记簿存疑)")


def _documents(layers: list[Layer], register: RegisterStore) -> list[str]:
    """The documents of the registered copies the mark layers point to."""
    out: list[str] = []
    for layer in layers:
        for copy_id in layer.copies:
            record = register.get_copy(copy_id)
            if record is not None and record.document_id not in out:
                out.append(record.document_id)
    return out
