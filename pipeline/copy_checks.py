"""Self-checks of a freshly made copy, and opening a copy as its recipient would.

A copy is committed only after it opened with the recipient's password (and with the
office's own password, in a format that has one) and its token and printed code read back; a copy sealed in a
CMS envelope must open with the office identity and carry its token inside. A failure raises
:class:`~pipeline.errors.RegisterError`; the caller discards the file.
"""

from __future__ import annotations

import tempfile
import unicodedata
from pathlib import Path

from mijian.pipeline.errors import InputError, RegisterError
from mijian.pipeline.formats import registry
from mijian.pipeline.formats.interface import LeakKeys
from mijian.pipeline.limits import Limits
from mijian.pipeline.model import CopyStamp, Document

_NOT_OPEN = ("self-check failed: the copy is not encrypted or does not open; the file was "
             "discarded; report this as a bug")
_NO_MARKS = ("self-check failed: the copy's marks do not read back; the file was discarded; "
             "report this as a bug")


def self_check(path: Path, ext: str, stamp: CopyStamp, office_password: str | None,
               limits: Limits) -> None:
    """Open the new copy as a recipient and as the office would; the marks must be there
    (each copy format checks its own, see :meth:`pipeline.formats.interface.Format.self_check`)."""
    registry.for_copy(ext).self_check(path, stamp, office_password, limits)


def office_password_of(ext: str, stamp: CopyStamp) -> str | None:
    """The office's own password of a copy in the format ``ext`` names, or None when that
    format has only the recipient's."""
    return stamp.owner_password if registry.for_copy(ext).separate_owner_password else None


def decrypt_copy(path: Path, password: str) -> bytes:
    """The plain bytes of an encrypted copy, opened with ``password`` (its format is the
    one its content says)."""
    data = path.read_bytes()
    return registry.sniff(data, path.name).decrypt(data, password, path.name)


def check_envelope(home: Path, path: Path, ext: str, stamp: CopyStamp, limits: Limits) -> None:
    """The envelope opens with the office identity and the copy inside carries its token."""
    from mijian.pipeline.crypto import office_cms_identity, open_envelope

    office_cert, office_key = office_cms_identity(home)
    plain = open_envelope(path.read_bytes(), office_cert, office_key)
    with tempfile.TemporaryDirectory(prefix="mijian-check-") as tmp:
        inner = Path(tmp) / f"inner{ext}"
        inner.write_bytes(plain)
        evidence = registry.for_copy(ext).read_evidence(inner, plain, LeakKeys(), limits)
        if not evidence.opened or evidence.token != stamp.token:
            raise RegisterError(f"{path.name}: self-check failed: the enveloped copy's marks do "
                                "not read back; the file was discarded; report this as a bug")


def refuse_marked_draft(document: Document) -> None:
    """Refuse a draft that already carries the marks of an issued copy (its invisible text code
    or its printed code), before anything is recorded.

    A decrypted copy given as the draft would put the first recipient's marks on every new
    copy: a leak of any of them would then point to that recipient as well, and the new
    copies' own page fingerprint reads poorly under the old one. The codes are looked for
    unverified: a mark of any office, or of a copy this register no longer holds, is a copy
    all the same.
    """
    from mijian.watermark import textcode
    from mijian.watermark.codes import find_codes

    runs = textcode.find(document.text)
    flat = "".join(unicodedata.normalize("NFKC", textcode.strip(document.text)).split())
    found = [copy_id for copy_id, _tag in runs + find_codes(flat)]
    if found:
        raise InputError(f"{document.source}: carries the marks of issued copy {found[0]} "
                         "(已是发放副本，不是原稿); expected the original, unmarked draft; issue "
                         "from the draft the copies were made from")
