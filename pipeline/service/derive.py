"""The verbs on derived documents: reproduce a copy (复制), extract from (摘录) or compile
(汇编) registered documents into a new one, and list what was derived from what.

Like the other register verbs, each reads its input first (the draft, with the limits on
untrusted files), then opens the office of the settings, does one thing and closes it;
refusals are the library's errors, raised unchanged, and leave the register as it was.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from mijian.pipeline.service.changes import _office
from mijian.pipeline.service.values import Settings


def _settings(settings: Settings | None) -> Settings:
    return settings if settings is not None else Settings.from_environment(os.environ)


def reproduce(copy_id: str, *, draft: str | os.PathLike[str], holder: str, unit: str = "",
              holder_id: str | None = None, approver: str | None, approver_role: str | None,
              reason: str | None, office_name: str | None = None,
              out: str | os.PathLike[str] | None = None,
              settings: Settings | None = None) -> Any:
    """复制: a new numbered copy of the document of ``copy_id`` for ``holder`` (id
    ``holder_id``, default the name), built from ``draft`` (checked against the registered
    source) and stamped as a reproduction of that copy; ``approver`` in ``approver_role``
    (authority for 绝密, leader below) approved it for ``reason``. Returns a
    :class:`~mijian.pipeline.derive_copy.Reproduction`."""
    from mijian.pipeline.derive_copy import reproduce as reproduce_copy
    from mijian.pipeline.errors import UsageError
    from mijian.pipeline.model import Recipient
    from mijian.pipeline.readers import read_document

    name = " ".join((holder or "").split())
    if not name:
        raise UsageError("the new holder is required; give --for NAME (须填写复制件接收人)")
    recipient = Recipient(id=(holder_id or name).strip(), name=name, unit=unit.strip())
    settings = _settings(settings)
    document = read_document(Path(draft), settings.limits)
    out_dir = Path(out) if out is not None else Path("mijian-out") / "reproductions"
    with _office(settings) as (office, chosen):
        return reproduce_copy(office, copy_id, document, recipient, approver=approver,
                              role=approver_role, reason=reason,
                              office_name=(office_name or "").strip() or "本机关",
                              out_dir=out_dir, actor=chosen.actor, limits=chosen.limits)


def derive_document(kind: str, sources: list[str], *, draft: str | os.PathLike[str], title: str,
                    approver: str | None, approver_role: str | None, reason: str | None,
                    scheme: str | None = None, catalogue: str | os.PathLike[str] | None = None,
                    settings: Settings | None = None) -> Any:
    """摘录 (``kind`` extract) or 汇编 (compile): register ``draft`` as a new document made
    from the registered ``sources``, at the highest grade and longest period of its sources
    (or the classifier's higher suggestion for the draft), citing them. Returns a
    :class:`~mijian.pipeline.derive_docs.Derivation`; issue it with ``mijian issue``."""
    from mijian.pipeline.analysis import classify_document
    from mijian.pipeline.derive_docs import derive
    from mijian.pipeline.readers import read_document
    from mijian.pipeline.service.drafts import _catalogue

    settings = _settings(settings)
    document = read_document(Path(draft), settings.limits)
    found = _catalogue(Path(catalogue) if catalogue is not None else None, settings.home)
    with _office(settings) as (office, chosen):
        scheme_name = scheme or _source_scheme(office, sources)
        classification = classify_document(document, scheme_name, catalogue=found)
        return derive(office, kind, sources, classification, title=title, approver=approver,
                      role=approver_role, reason=reason, actor=chosen.actor)


def _source_scheme(office: Any, sources: list[str]) -> str | None:
    """The scheme of the first registered source (the draft is classified on it), else None
    (the library then names the missing source)."""
    for document_id in sources:
        record = office.register.get_document(document_id.strip())
        if record is not None:
            return str(record.scheme)
    return None


def derivations(document: str | None = None, *, settings: Settings | None = None) -> list[dict]:
    """The ``derivations`` rows (all, or those of ``document`` as derived document or source),
    after checking the whole register: a row is shown only from a register that verifies."""
    from mijian.pipeline.audit import verify_register
    from mijian.pipeline.errors import RegisterError

    with _office(settings) as (office, _):
        report = verify_register(office)
        if not report.ok:
            raise RegisterError(f"{report.problem}; run 'mijian register verify'")
        return office.register.derivation_rows(document)
