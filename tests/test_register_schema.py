"""Schema creation that a kill at any instant cannot break: whole or absent, half-made files recover."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mijian.pipeline import register_schema
from mijian.pipeline.errors import RegisterError
from mijian.pipeline.office import Office
from mijian.pipeline.register import Register
from mijian.pipeline.register_schema import SCHEMA_VERSION
from tests.conftest import ROOT
from tests.test_register_facts import _decision, _reserve_and_issue

TABLES = {"meta", "documents", "copies", "events", "serial_floors", "derivations",
          "print_runs"}


def _tables(path: Path) -> tuple[set[str], int]:
    conn = sqlite3.connect(path)
    try:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        return names, conn.execute("PRAGMA user_version").fetchone()[0]
    finally:
        conn.close()


def _works(home: Path) -> None:
    with Office.open(home) as office:
        with office.register.transaction():
            office.register.add_document(_decision(), office.key(), "定密责任人甲")
        assert _reserve_and_issue(office, "R1", "张三").serial == "000001"


def test_new_register_is_whole_private_and_versioned(tmp_path):
    with Register.open(tmp_path):
        pass
    assert _tables(tmp_path / "register.db") == (TABLES, SCHEMA_VERSION)
    assert os.stat(tmp_path / "register.db").st_mode & 0o077 == 0
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


@pytest.mark.parametrize("made", [
    [],                                                       # an empty file
    ["CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"],
    ["CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
     "CREATE TABLE documents (id TEXT PRIMARY KEY, title TEXT NOT NULL, source_sha256 TEXT NOT NULL, "
     "kind TEXT NOT NULL, language TEXT NOT NULL, scheme TEXT NOT NULL, grade TEXT NOT NULL, "
     "level INTEGER NOT NULL, period TEXT, suggested_grade TEXT NOT NULL, suggested_level INTEGER "
     "NOT NULL, justification TEXT, basis TEXT, rationale TEXT NOT NULL, decided_by TEXT, "
     "decided_at TEXT NOT NULL, last_serial INTEGER NOT NULL DEFAULT 0)"],
])
def test_half_made_register_with_version_0_recovers(tmp_path, made):
    home = tmp_path / "home"
    home.mkdir()
    conn = sqlite3.connect(home / "register.db")
    for statement in made:
        conn.execute(statement)
    conn.commit()
    conn.close()
    (home / "register.db").touch()
    _works(home)
    assert _tables(home / "register.db") == (TABLES, SCHEMA_VERSION)


def test_failure_inside_schema_creation_leaves_nothing_half_made(tmp_path, monkeypatch):
    """Every statement of the schema is in one transaction: a failure at the last one rolls
    back the tables made before it; the next open makes them all."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "register.db").touch()  # an in-place upgrade of an empty file
    monkeypatch.setattr(register_schema, "_INDEXES", register_schema._INDEXES + ("NOT SQL",))
    with pytest.raises(RegisterError, match="cannot be opened"):
        Register.open(home)
    assert _tables(home / "register.db") == (set(), 0)
    monkeypatch.undo()
    _works(home)


def test_register_from_a_newer_version_is_refused(tmp_path):
    conn = sqlite3.connect(tmp_path / "register.db")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(RegisterError, match="schema version"):
        Register.open(tmp_path)


CHILD = ("import sys; from pipeline.register import Register; "
         "Register.open(sys.argv[1]).close(); print('done', flush=True)")


def test_killed_while_creating_the_register_never_leaves_it_half_made(tmp_path):
    """A child creating a new register is killed at spread-out instants; whatever the instant,
    register.db is then absent or whole, and the next open works."""
    rng = random.Random(20261205)
    for attempt in range(10):
        home = tmp_path / f"home{attempt}"
        child = subprocess.Popen([sys.executable, "-c", CHILD, str(home)], cwd=ROOT,
                                 stdout=subprocess.PIPE, env=dict(os.environ, PYTHONPATH=str(ROOT)))
        time.sleep(rng.uniform(0.0, 0.4))
        child.send_signal(signal.SIGKILL)
        child.communicate(timeout=300)
        path = home / "register.db"
        if path.exists():
            assert _tables(path) == (TABLES, SCHEMA_VERSION), attempt
        _works(home)
        assert _tables(path) == (TABLES, SCHEMA_VERSION)


def test_files_of_a_creator_killed_long_ago_are_removed(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    old = [home / ".register.db.0123456789ab.new", home / ".register.db.0123456789ab.new-wal"]
    recent = home / ".register.db.ba9876543210.new"
    for path in old + [recent]:
        path.write_bytes(b"")
    for path in old:
        os.utime(path, (time.time() - 2 * register_schema.STALE_SECONDS,) * 2)
    with Register.open(home):
        pass
    assert not any(p.exists() for p in old) and recent.exists()  # another creator may be at work
