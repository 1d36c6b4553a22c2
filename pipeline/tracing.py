"""Trace a leaked copy back to its recipient, or say it cannot.

Each layer reads its own evidence and reports what it found:

1. ``file``: the leak's SHA-256 equals a registered copy's file (the copy as issued).
2. ``metadata``: the signed token in the document properties (128-bit tag).
3. ``visible-code``: the short signed code printed on every page (40-bit tag), also found in
   pasted text.
4. ``text-code``: the signed code in invisible characters at line and paragraph ends (40-bit tag).
5. ``qr-code``: the QR symbol of the visible code, read from page images (rendered PDF pages,
   scans, photos, screenshots).
6. ``page-fingerprint``: the keyed dot lattice, decoded blind from page images; it carries a
   random fingerprint number under a keyed check, looked up in the register.
7. ``visible-text``: the recipient's name and 份号 from the watermark and marking; it can be
   forged by hand, so it only corroborates.

A recipient is named only when at least one signed layer verified under an office key, every
signed layer that verified points to the same copy, and the chance that an unmarked or forged
leak verifies (:data:`MAX_FALSE_MATCH`) is at most one in a million. Anything else is
``inconclusive``.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.errors import InputError
from pipeline.issuing import PASSWORD_PURPOSE
from pipeline.limits import DEFAULT_LIMITS, Limits
from pipeline.model import Evidence
from pipeline.office import Office
from pipeline.readers import decode_text, read_bytes, sniff
from pipeline.register import CopyRecord, Register
from pipeline.screenprint_layer import trace_layer as screenprint_layer
from watermark import textcode
from watermark.codes import check_code, find_codes, forgery_probability

MAX_FALSE_MATCH = 1e-6
IMAGE_TYPES = (".png", ".jpg", ".jpeg", ".tif", ".tiff")
LEAK_TYPES = (".pdf", ".docx", ".png", ".jpg", ".jpeg", ".tif", ".tiff", ".txt", ".p7m")
MAX_PASSWORD_TRIES = 200


@dataclass(frozen=True)
class Layer:
    """What one layer found: its name, a short verdict and a readable detail."""

    name: str
    verdict: str
    detail: str


@dataclass(frozen=True)
class TraceResult:
    """The verdict on a leak (see the CLI contract)."""

    verdict: str
    document_id: str | None = None
    serial: str | None = None
    recipient_id: str | None = None
    recipient_name: str | None = None
    copy_id: str | None = None
    false_match_probability: float | None = None
    layers: tuple[Layer, ...] = field(default=())

    def to_json(self) -> dict:
        """The object ``mijian trace --json`` prints."""
        return {"verdict": self.verdict, "document_id": self.document_id, "serial": self.serial,
                "recipient_id": self.recipient_id, "recipient_name": self.recipient_name,
                "false_match_probability": self.false_match_probability,
                "layers": [{"name": l.name, "verdict": l.verdict, "detail": l.detail} for l in self.layers]}


def _evidence(office: Office, path: Path, data: bytes, ext: str, known: list[CopyRecord],
              limits: Limits) -> Evidence:
    passwords = _known_passwords(office, known)
    if ext == ".pdf":
        if sniff(data) != "pdf":
            raise InputError(f"{path}: named .pdf but is not a PDF; give the file its right extension")
        from pipeline.pdf_io import read_pdf_evidence

        return read_pdf_evidence(path, passwords + office.owner_passwords(), limits)
    if ext == ".docx":
        from pipeline.docx_io import read_docx_evidence

        evidence = read_docx_evidence(path, passwords, limits)
        if evidence.encrypted and not evidence.opened:
            evidence = read_docx_evidence(path, _docx_passwords(office), limits)
        return evidence
    text = decode_text(data, str(path))
    return Evidence(kind="txt", encrypted=False, opened=True, token=None, text=text)


def _docx_passwords(office: Office) -> list[str]:
    """Passwords of the most recent DOCX copies, for an encrypted leak whose bytes changed."""
    rows = office.register.conn.execute(
        "SELECT * FROM copies WHERE file LIKE '%.docx' ORDER BY issued_at DESC LIMIT ?",
        (MAX_PASSWORD_TRIES,)).fetchall()
    out = []
    keys = {k.key_id: k for k in office.keys()}
    for row in rows:
        key = keys.get(row["key_id"])
        if key and row["sealed_password"]:
            out.append(key.unseal(PASSWORD_PURPOSE, row["sealed_password"], row["copy_id"].encode()).decode())
    return out


def _normalise(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


def trace(office: Office, path: str | Path, limits: Limits = DEFAULT_LIMITS) -> TraceResult:
    """Trace the leak at ``path`` against the office's register and keys."""
    path = Path(path)
    ext = path.suffix.lower()
    if ext not in LEAK_TYPES:
        raise InputError(f"{path}: unsupported leak type '{ext or 'none'}'; expected one of "
                         f"{' '.join(LEAK_TYPES)}; convert it to one of these")
    data = read_bytes(path, limits)
    layers: list[Layer] = []
    by_hash = office.register.copies_by_sha256(hashlib.sha256(data).hexdigest())
    if by_hash:
        layers.append(Layer("file", "match", f"the file is byte for byte copy {by_hash[0].serial} "
                            f"of {by_hash[0].document_id} as issued"))
    else:
        layers.append(Layer("file", "no match", "the file's SHA-256 is not that of any issued copy"))
    if ext in IMAGE_TYPES:
        from pipeline.images import load_images

        images = load_images(data, str(path), limits)
        evidence = Evidence(kind="image", encrypted=False, opened=True, token=None, text="")
        return _decide(office, evidence, by_hash, layers, images=images)
    if ext == ".p7m":
        opened = _open_envelope(office, data)
        if opened is None:
            layers.append(Layer("envelope", "not opened", "a CMS envelope the office identity cannot open"))
            return TraceResult(verdict="inconclusive", layers=tuple(layers))
        layers.append(Layer("envelope", "opened", "CMS envelope opened with the office identity"))
        return _trace_inner(office, opened, layers, limits)
    evidence = _evidence(office, path, data, ext, by_hash, limits)
    pages = None
    if ext == ".pdf":
        passwords = _known_passwords(office, by_hash) + office.owner_passwords()
        pages = lambda: _render(data, str(path), passwords, limits)  # noqa: E731
    return _decide(office, evidence, by_hash, layers, render=pages)


def _open_envelope(office: Office, data: bytes) -> bytes | None:
    from pipeline.crypto import office_cms_identity, open_envelope
    from pipeline.errors import CryptoError

    keys_dir = office.home / "keys"
    if not (keys_dir / "cms-identity.key").exists():
        return None
    cert, key = office_cms_identity(office.home)
    try:
        return open_envelope(data, cert, key)
    except CryptoError:
        return None


def _trace_inner(office: Office, plain: bytes, layers: list[Layer], limits: Limits) -> TraceResult:
    """Trace the plain copy found inside an envelope."""
    import tempfile

    ext = ".pdf" if sniff(plain) == "pdf" else ".docx"
    with tempfile.TemporaryDirectory(prefix="mijian-trace-") as tmp:
        inner = Path(tmp) / f"inner{ext}"
        inner.write_bytes(plain)
        evidence = _evidence(office, inner, plain, ext, [], limits)
    return _decide(office, evidence, [], layers)


def _render(data: bytes, source: str, passwords: list[str], limits: Limits) -> list:
    from pipeline.images import render_pdf

    return render_pdf(data, source, passwords, limits, max_pages=MAX_RENDERED_PAGES)


class _Signers:
    """The keys a code of one copy is checked under: the document key of the copy (derived
    from each office master key, see :meth:`OfficeKey.for_document`) when the register knows
    the copy, then the master keys themselves (codes made before document keys existed)."""

    def __init__(self, keys: list, register: Register) -> None:
        self.keys = list(keys)
        self.register = register
        self._made: dict[str, list] = {}

    def __call__(self, copy_id: str) -> list:
        if copy_id not in self._made:
            record = self.register.get_copy(copy_id)
            derived = [] if record is None else [k.for_document(record.document_id)
                                                 for k in self.keys]
            self._made[copy_id] = derived + self.keys
        return self._made[copy_id]


def _known_passwords(office: Office, known: list[CopyRecord]) -> list[str]:
    out = []
    keys = {k.key_id: k for k in office.keys()}
    for copy in known:
        key = keys.get(copy.key_id)
        if key is not None and copy.sealed_password:
            out.append(key.unseal(PASSWORD_PURPOSE, copy.sealed_password, copy.copy_id.encode()).decode())
    return out


MAX_RENDERED_PAGES = 4
"""Most pages of a PDF leak rendered to search for image marks (a print-to-PDF carries them on
every page, so the first few suffice)."""
MAX_PATTERN_PAGES = 4
"""Most page images searched for the page fingerprint (each takes about a second)."""


def _pattern_layer(images: list, keys: list, register: Register, verified: dict[str, list[tuple[str, float]]],
                   layers: list[Layer]) -> None:
    """Decode the blind page fingerprint (a short fingerprint number under a keyed check) and
    look the number up; the false-match figure counts every registered copy and key."""
    from pipeline.issuing import pattern_key
    from watermark.pattern import (
        NUMBER_PARAMS,
        OVERLAP_SEVERAL,
        Z_ACCEPT,
        PatternKey,
        decode,
        number_from_payload,
    )

    found: dict[str, float] = {}
    notes = []
    overlapping = 0
    copies = max(register.count_copies(), 1)
    for image in images[:MAX_PATTERN_PAGES]:
        for key in keys:
            detection = decode(image, PatternKey(pattern_key(key), NUMBER_PARAMS))
            if detection.statistic >= Z_ACCEPT and detection.overlap >= OVERLAP_SEVERAL:
                overlapping += 1
            if detection.payload is None:
                continue
            number = number_from_payload(detection.payload)
            record = register.copy_by_fingerprint(number)
            if record is None:
                notes.append(f"number {number} decoded but no copy carries it")
                continue
            probability = min(1.0, detection.false_match_probability * copies * len(keys))
            found[record.copy_id] = min(probability, found.get(record.copy_id, 1.0))
            notes.append(f"copy {record.copy_id} (number {number}, sync z={detection.statistic:.1f}, "
                         f"{detection.bits_corrected} bits corrected)")
            break
    for copy_id, probability in found.items():
        verified.setdefault(copy_id, []).append(("page-fingerprint", probability))
    if found:
        layers.append(Layer("page-fingerprint", "valid", "keyed dot pattern decoded: " + "; ".join(notes)))
    elif overlapping:
        layers.append(Layer("page-fingerprint", "several copies",
                            f"on {overlapping} page image(s) the keyed dot pattern holds two dots "
                            "in most groups: the marks of several copies lie on top of each other"))
    elif notes:
        layers.append(Layer("page-fingerprint", "unknown", "; ".join(notes)))
    else:
        layers.append(Layer("page-fingerprint", "absent",
                            f"no page fingerprint decoded on {min(len(images), MAX_PATTERN_PAGES)} page image(s)"))
    if overlapping:
        layers.append(Layer("fusion", "several copies", "marks of several copies are present (page "
                            "images averaged or merged): " + (
                                "the copy named is one of them" if found else
                                "no single recipient is named")))


def _image_layers(images: list, signers: _Signers,
                  verified: dict[str, list[tuple[str, float]]], layers: list[Layer],
                  register: Register) -> None:
    """Decode the marks that live in page images: the QR symbol of the visible code, then
    (where the QR did not verify) the blind page fingerprint."""
    from watermark.qr import read_codes

    good: dict[str, tuple[int, float]] = {}
    bad = 0
    for image in images:
        for text in read_codes(image):
            for copy_id, tag in find_codes(text):
                check = check_code(signers(copy_id), copy_id, tag)
                if check.valid:
                    good[copy_id] = (good.get(copy_id, (0, 1.0))[0] + 1,
                                     forgery_probability(check.bits, len(signers(copy_id))))
                else:
                    bad += 1
    _report("qr-code", "QR symbol of the visible code", f"on {len(images)} page image(s)", good, bad,
            verified, layers)
    if not good:
        _pattern_layer(images, signers.keys, register, verified, layers)
    screenprint_layer(images, signers.keys, register, verified, layers)


def _decide(office: Office, evidence: Evidence, by_hash: list[CopyRecord],
            layers: list[Layer], images: list | None = None, render=None) -> TraceResult:
    """Check the signed layers of the evidence and fuse them into a verdict.

    Page images (given, or rendered on demand when the text layers verify nothing) are
    searched for the image marks too.
    """
    register = office.register
    keys = office.keys()
    signers = _Signers(keys, register)
    if evidence.encrypted and not evidence.opened:
        layers.append(Layer("decrypt", "failed", "encrypted, and no office password opens it"))
        return TraceResult(verdict="inconclusive", layers=tuple(layers))
    if evidence.encrypted:
        layers.append(Layer("decrypt", "opened", "encrypted; opened with the office's means"))

    # Signed layers: every code found is checked against every office key.
    verified: dict[str, list[tuple[str, float]]] = {}
    if evidence.token:
        found = find_codes(evidence.token)
        checks = [check_code(signers(c), c, t) for c, t in found]
        good = [c for c in checks if c.valid]
        if good:
            p = forgery_probability(good[0].bits, len(signers(good[0].copy_id)))
            verified.setdefault(good[0].copy_id, []).append(("metadata", p))
            layers.append(Layer("metadata", "valid", f"signed token for copy {good[0].copy_id} "
                                f"verified ({good[0].bits}-bit tag, key {good[0].key_id})"))
        else:
            layers.append(Layer("metadata", "invalid", "a token is present but does not verify "
                                "under any office key (tampered or another office)"))
    else:
        layers.append(Layer("metadata", "absent", "no signed token in the document properties"))

    text = evidence.text
    _text_code_layer(text, signers, verified, layers)
    text = textcode.strip(text)
    good: dict[str, tuple[int, float]] = {}
    bad = 0
    for copy_id, tag in find_codes(_normalise(text)):
        check = check_code(signers(copy_id), copy_id, tag)
        if check.valid:
            count = good.get(copy_id, (0, 1.0))[0]
            good[copy_id] = (count + 1, forgery_probability(check.bits, len(signers(copy_id))))
        else:
            bad += 1
    _report("visible-code", "printed code", "in the text", good, bad, verified, layers)

    if images is None and render is not None and not verified:
        images = render()
    if images:
        _image_layers(images, signers, verified, layers, register)
    copies = {cid: register.get_copy(cid) for cid in verified}
    unknown = [cid for cid, rec in copies.items() if rec is None]
    for cid in unknown:
        layers.append(Layer("register", "unknown copy", f"copy {cid} verifies but is not in this register"))
    known = {cid: rec for cid, rec in copies.items() if rec is not None}
    corroboration = _visible_text_layer(text, list(known.values()))
    if corroboration:
        layers.append(corroboration)
    if len(known) != 1 or unknown:
        if len(known) > 1:
            names = "; ".join(f"{r.serial} {r.recipient_name}" for r in known.values())
            layers.append(Layer("fusion", "several copies", f"marks of several copies are present "
                                f"({names}): mixed or colluding copies; no single recipient is named"))
        return TraceResult(verdict="inconclusive", layers=tuple(layers))
    (copy_id, record), = known.items()
    probability = min(p for _, p in verified[copy_id])
    if by_hash and by_hash[0].copy_id != copy_id:
        layers.append(Layer("fusion", "conflict", "the file matches one copy but its marks name another"))
        return TraceResult(verdict="inconclusive", layers=tuple(layers))
    if probability > MAX_FALSE_MATCH:
        layers.append(Layer("fusion", "too weak", f"false-match probability {probability:.2e} is above "
                            f"{MAX_FALSE_MATCH:.0e}"))
        return TraceResult(verdict="inconclusive", layers=tuple(layers))
    return TraceResult(verdict="identified", document_id=record.document_id, serial=record.serial,
                       recipient_id=record.recipient_id, recipient_name=record.recipient_name,
                       copy_id=copy_id, false_match_probability=probability, layers=tuple(layers))


def _text_code_layer(text: str, signers: _Signers,
                     verified: dict[str, list[tuple[str, float]]], layers: list[Layer]) -> None:
    """Decode the invisible text-layer codes and verify each under its copy's keys."""
    good: dict[str, tuple[int, float]] = {}
    bad = 0
    for copy_id, tag in textcode.find(text):
        if textcode.verify(signers(copy_id), copy_id, tag):
            good[copy_id] = (good.get(copy_id, (0, 1.0))[0] + 1,
                             forgery_probability(textcode.TAG_BITS, len(signers(copy_id))))
        else:
            bad += 1
    _report("text-code", "invisible text code", "in the text", good, bad, verified, layers)


def _report(name: str, what: str, where: str, good: dict[str, tuple[int, float]], bad: int,
            verified: dict[str, list[tuple[str, float]]], layers: list[Layer]) -> None:
    """Record the copies a signed layer verified, and say what the layer found."""
    for copy_id, (_count, probability) in good.items():
        verified.setdefault(copy_id, []).append((name, probability))
    if good:
        detail = "; ".join(f"copy {cid} ({n} found)" for cid, (n, _p) in good.items())
        layers.append(Layer(name, "valid", f"{what} verified: {detail}"
                            + (f"; {bad} other(s) did not verify" if bad else "")))
    elif bad:
        layers.append(Layer(name, "invalid", f"{bad} {what}(s) found {where}, none verifies under "
                            "an office key (forged, damaged or another office)"))
    else:
        layers.append(Layer(name, "absent", f"no {what} {where}"))


def _visible_text_layer(text: str, candidates: list[CopyRecord]) -> Layer | None:
    """Corroborate with the watermark's recipient name and 份号 (never decisive alone)."""
    flat = _normalise(text)
    if not candidates:
        return None
    for record in candidates:
        name_ok = _normalise(record.recipient_name) in flat
        serial_ok = record.serial in flat
        if name_ok and serial_ok:
            return Layer("visible-text", "consistent",
                         f"watermark text names {record.recipient_name}, 份号 {record.serial}")
    return Layer("visible-text", "not found", "the watermark's name and 份号 are not in the text")
