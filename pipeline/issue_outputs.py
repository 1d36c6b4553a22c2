"""``manifest.json`` and ``passwords.csv`` of an output folder, rebuilt from the register.

Both files list every issued copy of the document whose file is in the folder, so runs that
share a folder (one after the other, or at once) leave files that agree with the register.
They are rewritten under the folder's lock (:func:`pipeline.safe_files.out_lock`) through
the one atomic-write helper; ``passwords.csv`` has mode 0600.

Spreadsheet programs run a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and some read
a leading tab or carriage return the same way) as a formula, so a recipient id such as
``=HYPERLINK(…)`` would become a live link in the officer's spreadsheet. Such cells are
written with a leading apostrophe, which the spreadsheet shows as text. JSON is not
interpreted, so ``manifest.json`` keeps the values as they are.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from mijian.pipeline.copy_build import PASSWORD_PURPOSE
from mijian.pipeline.decision import Decision
from mijian.pipeline.office import Office
from mijian.pipeline.register_records import CopyStatus
from mijian.pipeline.safe_files import out_lock, write_atomic

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a cell as a formula."""

ENVELOPE_NOTE = "(cms-envelope: open with the recipient's private key)"


def spreadsheet_cell(value: str) -> str:
    """``value`` made safe for a spreadsheet cell: a formula-like start gets an apostrophe."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def write_outputs(office: Office, out_dir: Path, run_dir: Path, document_id: str,
                  decision: Decision) -> tuple[Path, Path]:
    """Rebuild manifest.json and passwords.csv of ``out_dir`` under its lock."""
    with out_lock(out_dir):
        copies = [c for c in office.register.list_copies(document_id)
                  if Path(c.file).parent == out_dir and c.status not in (CopyStatus.PENDING, CopyStatus.VOIDED)]
        manifest_path = out_dir / "manifest.json"
        write_atomic(manifest_path, _manifest(copies, document_id, decision), run_dir)
        passwords_path = out_dir / "passwords.csv"
        write_atomic(passwords_path, _passwords(office, copies), run_dir, mode=0o600)
    return manifest_path, passwords_path


def _manifest(copies: list, document_id: str, decision: Decision) -> bytes:
    manifest = {"document_id": document_id, "grade": decision.grade, "level": decision.level,
                "period": decision.period,
                "copies": [{"serial": c.serial, "copy_id": c.copy_id, "recipient_id": c.recipient_id,
                            "recipient_name": c.recipient_name, "file": Path(c.file).name,
                            "sha256": c.file_sha256} for c in copies]}
    return json.dumps(manifest, ensure_ascii=False, indent=2).encode() + b"\n"


def _passwords(office: Office, copies: list) -> bytes:
    keys = {k.key_id: k for k in office.keys()}
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["serial", "recipient_id", "password"])
    for c in copies:
        key = keys.get(c.key_id)
        if key is None or not c.sealed_password:
            continue
        if c.envelope_cert:
            password = ENVELOPE_NOTE
        else:
            password = key.unseal(PASSWORD_PURPOSE, c.sealed_password, c.copy_id.encode()).decode()
        writer.writerow([c.serial, spreadsheet_cell(c.recipient_id), spreadsheet_cell(password)])
    return buf.getvalue().encode()
