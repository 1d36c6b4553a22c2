"""Office keys never reach outputs, logs or the register: every byte written is searched."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT, SAMPLES


def _run(*args: str, home: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, MIJIAN_HOME=str(home))
    return subprocess.run([sys.executable, "-m", "mijian", *args], capture_output=True,
                          env=env, cwd=ROOT, timeout=300)


def _forms(secret: bytes) -> list[bytes]:
    """The ways a key could leak: raw, hex (both cases), base64 (standard and URL-safe)."""
    forms = [secret, secret.hex().encode(), secret.hex().upper().encode(),
             base64.b64encode(secret).rstrip(b"="), base64.urlsafe_b64encode(secret).rstrip(b"=")]
    return [f for f in forms if len(f) >= 16]


def test_no_key_bytes_in_any_output(tmp_path):
    from mijian.pipeline.issuing import decrypt_copy

    home = tmp_path / "home"
    outputs: list[bytes] = []
    csv = SAMPLES / "recipients.csv"
    for draft in ("zh_notice_secret.pdf", "en_memo_secret.docx", "zh_roster_personal.txt"):
        out = tmp_path / draft.replace(".", "_")
        done = _run("issue", str(SAMPLES / draft), "--recipients", str(csv), "--out", str(out), "--json", home=home)
        assert done.returncode == 0, done.stderr
        outputs += [done.stdout, done.stderr]
        manifest = json.loads(done.stdout)
        passwords = {r.split(",")[0]: r.split(",")[2]
                     for r in (out / "passwords.csv").read_text(encoding="utf-8").splitlines()[1:]}
        for copy in manifest["copies"][:3]:
            path = out / copy["file"]
            plain = decrypt_copy(path, passwords[copy["serial"]])
            outputs.append(plain)
            leak = tmp_path / f"leak{path.suffix}"
            leak.write_bytes(plain)
            traced = _run("trace", str(leak), "--json", home=home)
            outputs += [traced.stdout, traced.stderr]
        for path in out.rglob("*"):
            if path.is_file():
                outputs.append(path.read_bytes())
    for args in (("register", "list", "--json"), ("register", "verify"), ("keys", "list")):
        done = _run(*args, home=home)
        outputs += [done.stdout, done.stderr]
    backup = tmp_path / "backup.db"
    assert _run("register", "backup", str(backup), home=home).returncode == 0
    outputs.append(backup.read_bytes())
    for path in home.glob("register.db*"):
        outputs.append(path.read_bytes())
    secrets = [p.read_bytes() for p in (home / "keys").glob("office-*.key")]
    assert secrets and all(len(s) == 32 for s in secrets)
    blob = b"\0".join(outputs)
    assert len(blob) > 100_000
    for secret in secrets:
        for form in _forms(secret):
            assert form not in blob, "office key material found in an output"
