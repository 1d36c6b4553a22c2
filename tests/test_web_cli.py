"""The command line of the web app: ``users add`` / ``users list``, and ``serve`` refusing
what it cannot do (no web extra, a certificate without its key) in one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("argon2", reason="the web extra (pip install 'mijian[web]') is not installed")


def run(*args: str, home: Path, stdin: str = "") -> subprocess.CompletedProcess:
    env = {**os.environ, "MIJIAN_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "mijian", *args], input=stdin, capture_output=True,
                          text=True, env=env, timeout=300)


def test_users_add_and_list(home):
    r = run("users", "add", "王五", "--role", "security", "--password-stdin", home=home, stdin="a long password 1\n")
    assert r.returncode == 0, r.stderr
    assert run("users", "add", "x", "--role", "king", "--password-stdin", home=home,
               stdin="a long password 1\n").returncode == 2
    assert run("users", "add", "y", "--role", "clerk", "--password-stdin", home=home, stdin="short\n").returncode == 2
    assert run("users", "add", "z", "--role", "clerk", home=home).returncode == 2  # no password on the line
    listed = json.loads(run("users", "list", "--json", home=home).stdout)
    assert listed == {"users": [{"name": "王五", "role": "security"}]}
    assert (home / "web.sqlite").stat().st_mode & 0o777 == 0o600
    from mijian.pipeline.web import users

    conn = users.connect(home)
    stored = conn.execute("SELECT hash FROM users").fetchone()[0]
    assert stored.startswith("$argon2id$") and "a long password" not in stored
    assert users.authenticate(conn, "王五", "a long password 1") is not None
    from mijian.pipeline import service

    events = service.verify_register(settings=service.Settings(home=home))
    assert events.ok


def test_serve_without_the_web_extra_says_what_to_install(home, monkeypatch, capsys):
    import importlib.util

    from mijian.pipeline.cli import main

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "fastapi" else real(name, *a))
    with pytest.raises(SystemExit) as ended:
        main(["serve"])
    assert ended.value.code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "mijian[web]" in err[0]


def test_serve_wants_cert_and_key_together(home):
    r = run("serve", "--cert", "c.pem", home=home)
    assert r.returncode == 2 and "--key" in r.stderr


def test_the_core_command_line_imports_no_web_stack(home):
    code = ("import sys; from mijian.pipeline.cli import app; "
            "print(sorted(m for m in ('fastapi', 'uvicorn', 'jinja2', 'argon2') if m in sys.modules))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert r.stdout.strip() == "[]", r.stderr
