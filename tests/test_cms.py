"""Recipients with an X.509 certificate get a CMS envelope that openssl opens with their key."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from tests.conftest import ROOT, SAMPLES
from tests.identities import self_signed


def _identity(folder: Path, name: str, key=None) -> tuple[Path, Path]:
    cert, pem = self_signed(name, key)
    key_path, cert_path = folder / f"{name}.key", folder / f"{name}.crt"
    key_path.write_bytes(pem)
    cert_path.write_bytes(cert)
    return key_path, cert_path


def _run(*args: str, home: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, MIJIAN_HOME=str(home))
    return subprocess.run([sys.executable, "-m", "mijian", *args], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=300)


@pytest.mark.parametrize("draft", ["en_report_confidential.pdf", "zh_meeting_internal.docx"])
def test_envelope_opens_with_openssl_and_traces(tmp_path, draft):
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    home = tmp_path / "home"
    key_path, cert_path = _identity(tmp_path, "alice")
    other_key, other_cert = _identity(tmp_path, "mallory")
    csv = tmp_path / "r.csv"
    csv.write_text(f"id,name,public_key\nR1,Alice Chen,{cert_path.name}\nR2,Bob Li,\n", encoding="utf-8")
    out = tmp_path / "out"
    done = _run("issue", str(SAMPLES / draft), "--recipients", str(csv), "--out", str(out), "--json", home=home)
    assert done.returncode == 0, done.stderr
    manifest = json.loads(done.stdout)
    enveloped = out / manifest["copies"][0]["file"]
    assert enveloped.name.endswith(".p7m")
    assert "cms-envelope" in (out / "passwords.csv").read_text(encoding="utf-8")
    plain = tmp_path / ("plain" + Path(draft).suffix)
    opened = subprocess.run(["openssl", "cms", "-decrypt", "-binary", "-inform", "DER", "-in", str(enveloped),
                             "-inkey", str(key_path), "-recip", str(cert_path), "-out", str(plain)],
                            capture_output=True, text=True)
    assert opened.returncode == 0, opened.stderr
    refused = subprocess.run(["openssl", "cms", "-decrypt", "-binary", "-inform", "DER", "-in", str(enveloped),
                              "-inkey", str(other_key), "-recip", str(other_cert), "-out", str(tmp_path / "x")],
                             capture_output=True, text=True)
    assert refused.returncode != 0
    for leak in (enveloped, plain):
        verdict = _run("trace", str(leak), "--json", home=home)
        assert verdict.returncode == 0, verdict.stderr
        result = json.loads(verdict.stdout)
        assert result["verdict"] == "identified" and result["recipient_id"] == "R1", result


def test_non_rsa_or_bad_certificate_is_refused(tmp_path):
    home = tmp_path / "home"
    _key, ec_cert = _identity(tmp_path, "ecuser", key=ec.generate_private_key(ec.SECP256R1()))
    (tmp_path / "junk.crt").write_text("not a certificate", encoding="utf-8")
    for cert, message in ((ec_cert.name, "not RSA"), ("junk.crt", "not a PEM X.509"), ("missing.crt", "cannot be read")):
        csv = tmp_path / "r.csv"
        csv.write_text(f"id,name,public_key\nR1,Alice,{cert}\n", encoding="utf-8")
        done = _run("issue", str(SAMPLES / "en_press_release.txt"), "--recipients", str(csv), home=home)
        assert done.returncode == 3 and message in done.stderr, done.stderr
        assert not home.exists()
