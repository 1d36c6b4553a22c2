"""Read and validate a recipients file (CSV: ``id,name[,unit][,email][,public_key]``)."""

from __future__ import annotations

import csv
import io
import unicodedata
from pathlib import Path

from mijian.pipeline.errors import InputError
from mijian.pipeline.model import Recipient

MAX_RECIPIENTS = 10_000
_KNOWN = {"id", "name", "unit", "email", "public_key"}

MAX_FIELD = {"id": 64, "name": 100, "unit": 100, "email": 254}
"""Longest accepted value of each text column, in characters (a name must fit its watermark)."""

_REFUSED_CATEGORIES = {"Cc", "Cf", "Cs", "Zl", "Zp"}
"""Unicode categories refused in every text column: control characters (newlines and tabs
included), format characters (bidirectional overrides and isolates such as U+202E and
U+2066-2069, the marks U+200E/U+200F/U+061C, zero-width characters) and line or paragraph
separators. They change how a name is shown without showing themselves, would break a CSV
or manifest line, or could pass for the invisible text code a copy carries."""


def load_recipients(path: str | Path, max_rows: int = MAX_RECIPIENTS) -> tuple[Recipient, ...]:
    """Every recipient in the file (CSV in UTF-8, GBK or GB18030, or XLSX), in order;
    one-line :class:`InputError` on any problem (see :mod:`pipeline.recipient_files`)."""
    from mijian.pipeline.recipient_files import read_recipient_list

    return read_recipient_list(path, max_rows).recipients


def parse_recipients(text: str, path: Path, max_rows: int = MAX_RECIPIENTS) -> tuple[Recipient, ...]:
    """Every recipient in ``text``, the decoded CSV of the file at ``path`` (named in errors)."""
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
    line_end = reader.line_num  # the header's last line
    for row in reader:
        number, line_end = line_end + 1, reader.line_num
        if None in row:
            raise InputError(f"{path}: line {number} has more fields than the header; "
                             "quote values that contain commas")
        values = {k: (v or "").strip() for k, v in row.items()}
        if not any(values.values()):
            continue
        _check_text(path, number, values)
        rid, name = values.get("id", ""), values.get("name", "")
        if not rid or not name:
            raise InputError(f"{path}: line {number} has no {'id' if not rid else 'name'}; "
                             "every recipient needs an id and a name")
        if any(ch in rid for ch in "/\\\0") or len(rid) > 64:
            raise InputError(f"{path}: line {number}: id '{rid[:20]}' must be at most 64 "
                             "characters without slashes; shorten it")
        same = unicodedata.normalize("NFKC", rid).casefold()  # Ｒ１, R1 and r1 are one id to a reader
        if same in seen:
            raise InputError(f"{path}: line {number}: id '{rid}' appears twice (ids differing only "
                             "in case or full-width letters are one id); ids must be unique")
        seen.add(same)
        public_key = _certificate(path, number, values.get("public_key", ""))
        out.append(Recipient(id=rid, name=name, unit=values.get("unit", ""),
                             email=values.get("email", ""), public_key=public_key))
        if len(out) > max_rows:
            raise InputError(f"{path}: more than {max_rows} recipients; split the list")
    if not out:
        raise InputError(f"{path}: no recipients below the header; add at least one row")
    return tuple(out)


_NAMES = {"\n": "line break", "\r": "carriage return", "\t": "tab"}


def _check_text(path: Path, number: int, values: dict[str, str]) -> None:
    """Refuse hidden characters and over-long values in the text columns of one row."""
    for column, limit in MAX_FIELD.items():
        value = values.get(column, "")
        for ch in value:
            if unicodedata.category(ch) in _REFUSED_CATEGORIES:
                what = _NAMES.get(ch) or unicodedata.name(ch, "control character")
                raise InputError(
                    f"{path}: line {number}: {column} holds the hidden character U+{ord(ch):04X} "
                    f"({what}); expected visible text on one line; delete it from the "
                    f"recipients file and issue again (收件人信息含不可见字符，请删除)")
        if len(value) > limit:
            raise InputError(
                f"{path}: line {number}: {column} is {len(value)} characters long; expected at "
                f"most {limit}; shorten it and issue again (收件人信息过长，请缩短)")


def _certificate(path: Path, number: int, value: str) -> str:
    """The PEM text of a recipient's certificate: inline PEM, or a file relative to the CSV."""
    if not value:
        return ""
    if "-----BEGIN" in value:
        pem = value.replace("\\n", "\n").encode()
    else:
        cert_path = (path.parent / value) if not Path(value).is_absolute() else Path(value)
        read = _read_regular(cert_path, 65536)
        if read is None:
            raise InputError(f"{path}: line {number}: public_key file '{value}' cannot be read or "
                             "is not a regular file; give the path of the certificate file, "
                             "relative to the recipients file")
        pem = read
    from mijian.pipeline.crypto import certificate_subject

    certificate_subject(pem, f"{path}: line {number}")
    return pem.decode("ascii", errors="replace")


def _read_regular(path: Path, limit: int) -> bytes | None:
    """The first ``limit`` bytes of a regular file, or None. Opened without blocking and checked
    after opening: a recipients file naming a pipe or a device as a certificate would
    otherwise hang the run or read without end."""
    import os
    import stat

    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        with os.fdopen(fd, "rb", closefd=False) as handle:
            return handle.read(limit)
    except OSError:
        return None
    finally:
        os.close(fd)
