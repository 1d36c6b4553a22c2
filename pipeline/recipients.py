"""Read and validate a recipients file (CSV: ``id,name[,unit][,email][,public_key]``)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from pipeline.errors import InputError
from pipeline.model import Recipient

MAX_RECIPIENTS = 10_000
_KNOWN = {"id", "name", "unit", "email", "public_key"}


def load_recipients(path: str | Path, max_rows: int = MAX_RECIPIENTS) -> tuple[Recipient, ...]:
    """Every recipient in the file, in order; one-line :class:`InputError` on any problem."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError:
        raise InputError(f"{path}: the recipients file cannot be read; check the path") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{path}: the recipients file is not UTF-8; re-save it as UTF-8 CSV") from None
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    if "id" not in header or "name" not in header:
        raise InputError(f"{path}: header is '{','.join(header)}'; expected id,name[,unit][,email]"
                         "[,public_key] on the first line; add the header")
    unknown = [h for h in header if h not in _KNOWN]
    if unknown:
        raise InputError(f"{path}: unknown column(s) {', '.join(unknown)}; expected only "
                         "id,name,unit,email,public_key; rename or remove them")
    reader.fieldnames = header
    out: list[Recipient] = []
    seen: set[str] = set()
    for number, row in enumerate(reader, start=2):
        if None in row:
            raise InputError(f"{path}: line {number} has more fields than the header; "
                             "quote values that contain commas")
        values = {k: (v or "").strip() for k, v in row.items()}
        if not any(values.values()):
            continue
        rid, name = values.get("id", ""), values.get("name", "")
        if not rid or not name:
            raise InputError(f"{path}: line {number} has no {'id' if not rid else 'name'}; "
                             "every recipient needs an id and a name")
        if any(ch in rid for ch in "/\\\0") or len(rid) > 64:
            raise InputError(f"{path}: line {number}: id '{rid[:20]}' must be at most 64 "
                             "characters without slashes; shorten it")
        if rid in seen:
            raise InputError(f"{path}: line {number}: id '{rid}' appears twice; ids must be unique")
        seen.add(rid)
        public_key = _certificate(path, number, values.get("public_key", ""))
        out.append(Recipient(id=rid, name=name, unit=values.get("unit", ""),
                             email=values.get("email", ""), public_key=public_key))
        if len(out) > max_rows:
            raise InputError(f"{path}: more than {max_rows} recipients; split the list")
    if not out:
        raise InputError(f"{path}: no recipients below the header; add at least one row")
    return tuple(out)


def _certificate(path: Path, number: int, value: str) -> str:
    """The PEM text of a recipient's certificate: inline PEM, or a file relative to the CSV."""
    if not value:
        return ""
    if "-----BEGIN" in value:
        pem = value.replace("\\n", "\n").encode()
    else:
        cert_path = (path.parent / value) if not Path(value).is_absolute() else Path(value)
        try:
            pem = cert_path.read_bytes()[:65536]
        except OSError:
            raise InputError(f"{path}: line {number}: public_key file '{value}' cannot be read; "
                             "give a path relative to the recipients file") from None
    from pipeline.crypto import certificate_subject

    certificate_subject(pem, f"{path}: line {number}")
    return pem.decode("ascii", errors="replace")
