"""The layers of a leak that live in its bytes and text: the file itself, the signed token in
the document properties, the invisible text code, the printed code, and the visible name and
份号 of the marking and watermark.

Each reader returns one :class:`~pipeline.trace_model.Layer` saying what it found, the class
of the mark (what an attacker needs to move it to another copy, see
:data:`watermark.codes.MOVED_BY`) and the copies it points to. None of them decides anything:
:mod:`pipeline.trace_verdict` weighs them together.
"""

from __future__ import annotations

import re
import unicodedata

from mijian.pipeline.register import CopyRecord
from mijian.pipeline.register_store import RegisterStore
from mijian.pipeline.trace_model import Layer
from mijian.watermark import textcode
from mijian.watermark.codes import (
    FILE,
    SIGHT,
    check_code,
    false_match_probability,
    find_codes,
    forgery_probability,
)


class Signers:
    """The keys a code of one copy is checked under: the document key of the copy (derived
    from each office key, see :meth:`OfficeKey.for_document`) when the register knows the
    copy, then the master keys themselves (codes made before document keys existed)."""

    def __init__(self, keys: list, register: RegisterStore) -> None:
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


def normalise(text: str) -> str:
    """NFKC with every white space removed (how pasted text is compared with the marks)."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def file_layer(by_hash: list[CopyRecord], register: RegisterStore) -> Layer:
    """The leak's SHA-256 against the registered files: a match is the copy as issued, which
    only the holder of that file can hand on."""
    if not by_hash:
        return Layer("file", "no match", "the file's SHA-256 is not that of any issued copy", FILE)
    first = by_hash[0]
    # another file with the same SHA-256 as one of the registered copies: 2**-256 per copy
    guess = forgery_probability(256, max(register.count_copies(), 1))
    return Layer("file", "match", f"the file is byte for byte copy {first.serial} of "
                 f"{first.document_id} as issued", FILE,
                 tuple((r.copy_id, false_match_probability(guess, FILE)) for r in by_hash))


def metadata_layer(token: str | None, signers: Signers) -> Layer:
    """Every signed token in the document properties, checked under its copy's keys."""
    if not token:
        return Layer("metadata", "absent", "no signed token in the document properties", FILE)
    good: dict[str, tuple[int, float]] = {}
    bad = 0
    key_ids = []
    found = find_codes(token)
    for copy_id, tag in found:
        check = check_code(signers(copy_id), copy_id, tag)
        if check.valid:
            guess = forgery_probability(check.bits, len(signers(copy_id)))
            good[copy_id] = (good.get(copy_id, (0, 1.0))[0] + 1, guess)
            key_ids.append(check.key_id)
        else:
            bad += 1
    if not good:
        return Layer("metadata", "invalid", "a token is present but does not verify under any "
                     "office key (tampered or another office)", FILE)
    return verified_layer("metadata", "signed token", "in the document properties", good, bad,
                          FILE, f" (key {', '.join(sorted({k for k in key_ids if k is not None}))})",
                          len(set(found)))


def text_code_layer(text: str, signers: Signers) -> Layer:
    """The invisible text-layer codes, each verified under its copy's keys."""
    good: dict[str, tuple[int, float]] = {}
    bad = 0
    found = textcode.find(text)
    for copy_id, tag in found:
        if textcode.verify(signers(copy_id), copy_id, tag):
            good[copy_id] = (good.get(copy_id, (0, 1.0))[0] + 1,
                             forgery_probability(textcode.TAG_BITS, len(signers(copy_id))))
        else:
            bad += 1
    return verified_layer("text-code", "invisible text code", "in the text", good, bad, FILE,
                          tried=len(set(found)))


def visible_code_layer(text: str, signers: Signers) -> Layer:
    """The printed codes found in the text (invisible characters stripped first)."""
    good: dict[str, tuple[int, float]] = {}
    bad = 0
    found = find_codes(normalise(textcode.strip(text)))
    for copy_id, tag in found:
        check = check_code(signers(copy_id), copy_id, tag)
        if check.valid:
            count = good.get(copy_id, (0, 1.0))[0]
            good[copy_id] = (count + 1, forgery_probability(check.bits, len(signers(copy_id))))
        else:
            bad += 1
    return verified_layer("visible-code", "printed code", "in the text", good, bad, SIGHT,
                          tried=len(set(found)))


def verified_layer(name: str, what: str, where: str, good: dict[str, tuple[int, float]], bad: int,
                   moved_by: str, note: str = "", tried: int = 1) -> Layer:
    """Say what a signed layer found: the copies it verified (how many times each) and the
    codes that did not verify.

    ``tried`` is how many different codes were checked: each was one chance for a forgery to
    verify, so the guessing probability of a copy grows with it (a leak stuffed with many
    forged codes for one colleague must not report the odds of a single guess)."""
    support = tuple((cid, false_match_probability(min(1.0, p * max(1, tried)), moved_by))
                    for cid, (_n, p) in good.items())
    if good:
        detail = "; ".join(f"copy {cid} ({n} found)" for cid, (n, _p) in good.items())
        return Layer(name, "valid", f"{what} verified{note}: {detail}"
                     + (f"; {bad} other(s) did not verify" if bad else ""), moved_by, support)
    if bad:
        return Layer(name, "invalid", f"{bad} {what}(s) found {where}, none verifies under an "
                     "office key (forged, damaged or another office)", moved_by)
    return Layer(name, "absent", f"no {what} {where}", moved_by)


_SERIAL = re.compile(r"(份号|CopyNo\.?|Serial|Copy)(\d{6})(?!\d)")
_COPY_LINE = re.compile(r"Copy(\d{1,6})of\d{1,6}copies")


def visible_text_layer(text: str, register: RegisterStore, documents: list[str]) -> Layer | None:
    """The 份号 (or copy number) and recipient name the marking and watermark put in the text,
    compared with every copy of the documents the marks point to.

    A labelled serial (``份号000001``, ``Copy No. 000001``, ``Copy 1 of 3 copies``) points to
    the copy with that serial; a recipient name written just before a labelled serial (the
    watermark's ``name 份号 serial``) points to that recipient's copy. Anyone can type both,
    so the layer is sight-copyable: it corroborates, and when it names another copy than the
    codes it makes the evidence disagree. None when no document is known or there is no text.

    The serials and names are matched against the copies' labels as stored
    (:meth:`RegisterStore.copy_labels`, no signature checked per row), and only the copies
    the text names are read checked (:meth:`RegisterStore.get_copy`, which refuses a row its
    events do not bear out): checking every copy of the document first cost a signature
    verification per copy, seconds for a document of thousands of copies. All of it is one
    consistent read of the register.
    """
    flat = normalise(textcode.strip(text))
    if not documents or not flat:
        return None
    with register.read_snapshot():
        labels = [(doc, *label) for doc in documents for label in register.copy_labels(doc)]
        found = _named_copies(flat, documents, labels)
        records = {cid: register.get_copy(cid) for cid in found}
    if not found:
        return Layer("visible-text", "not found", "no 份号 or watermark name of a copy of "
                     "this document in the text", SIGHT)
    shown = {cid: record for cid, record in records.items() if record is not None}
    detail = "; ".join(f"{why} is copy {cid} ({shown[cid].serial} {shown[cid].recipient_name})"
                       for cid, why in found.items() if cid in shown)
    verdict = "consistent" if len(shown) == 1 else "several copies"
    return Layer("visible-text", verdict, f"text says: {detail}", SIGHT,
                 tuple((cid, false_match_probability(1.0, SIGHT)) for cid in found if cid in shown))


Label = tuple[str, str, str, str]
"""A copy's document id, copy id, serial and recipient name, as the register stores them."""


def _named_copies(flat: str, documents: list[str], labels: list[Label]) -> dict[str, str]:
    """Copy id -> what in ``flat`` names it (its 份号, or its recipient's name before a
    labelled serial), in the order the text names them."""
    by_serial: dict[tuple[str, int], list[Label]] = {}
    for label in labels:
        by_serial.setdefault((label[0], int(label[2])), []).append(label)
    found: dict[str, str] = {}
    for match in list(_SERIAL.finditer(flat)) + list(_COPY_LINE.finditer(flat)):
        serial = int(match.group(match.lastindex or 1))
        for doc in documents:
            for _doc, copy_id, copy_serial, _name in by_serial.get((doc, serial), []):
                found.setdefault(copy_id, f"份号 {copy_serial}")
        _names_before(flat, match.start(), labels, found)
    return found


def _names_before(flat: str, end: int, labels: list[Label], found: dict[str, str]) -> None:
    """Record the copies whose recipient name is written right before position ``end``."""
    for _doc, copy_id, _serial, recipient_name in labels:
        name = normalise(recipient_name)
        if name and flat.endswith(name, 0, end):
            found.setdefault(copy_id, f"the name {recipient_name}")
