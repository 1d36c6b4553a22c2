"""The throw-away trial copy made before a run records anything (see
:func:`mijian.pipeline.issuing.preflight`).

It depends on the draft's bytes and the marking alone (scheme, level, period, running
header), not on the register, so it can be made in a worker process while the issuing
process still classifies the draft, when the officer named the grade and the period: the
run then uses it only if the decision marks the copies the same way (:class:`TrialMarking`).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from mijian.pipeline.errors import InputError, RegisterError
from mijian.pipeline.limits import Limits


@dataclass(frozen=True)
class TrialMarking:
    """What the trial copy's marks depend on besides the draft."""

    scheme: str
    level: int
    period: str | None
    running: bool


def make_trial(source: bytes, ext: str, marking: TrialMarking, limits: Limits, name: str) -> None:
    """Write and self-check one copy of ``source`` (copies end in ``ext``) under a random
    key for a made-up recipient, then delete it; :class:`InputError` naming the draft
    ``name`` when the copy does not keep its marks."""
    from mijian.pipeline.copy_build import owner_password_for, pattern_key, pattern_payload_for, watermark_text
    from mijian.pipeline.copy_checks import office_password_of, self_check
    from mijian.pipeline.crypto import OfficeKey, random_password, random_token
    from mijian.pipeline.formats import registry
    from mijian.pipeline.marking import build_marking
    from mijian.pipeline.model import CopyStamp, Language, Recipient
    from mijian.pipeline.schemes import all_schemes
    from mijian.watermark import textcode
    from mijian.watermark.codes import make_token, make_visible_code, new_copy_id

    trial = OfficeKey("trial", random_token(32)).for_document("trial")
    copy_id = new_copy_id(random_token(8))
    scheme = all_schemes()[marking.scheme]
    language: Language = "zh" if scheme.language == "zh" else "en"
    password = random_password()
    stamp = CopyStamp(
        marking=build_marking(scheme, marking.level, marking.period, "000001", 1, marking.running),
        watermark_text=watermark_text(Recipient(id="trial", name="Trial 试印"), "000001", language),
        visible_code=make_visible_code(trial, copy_id), token=make_token(trial, copy_id),
        user_password=password, owner_password=owner_password_for(ext, random_password(), password),
        language=language, text_code=textcode.encode(trial, copy_id),
        pattern_key=pattern_key(trial), pattern_payload=pattern_payload_for(1))
    with tempfile.TemporaryDirectory(prefix="mijian-preflight-") as folder:
        path = Path(folder) / f"trial{ext}"
        registry.for_copy(ext).write_copy(source, stamp, path, limits=limits)
        try:
            self_check(path, ext, stamp, office_password_of(ext, stamp), limits)
        except RegisterError:
            raise InputError(f"{name}: a trial copy of this draft does not keep its marks "
                             "(副本标记无法读回); expected a draft whose pages can carry marks; "
                             "re-save or print the draft to a new PDF and issue again") from None
