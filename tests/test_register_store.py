"""The register as a store: SQL only inside it, statuses as one enum, a versioned schema with
forward migrations, one protocol for callers and one place that chooses the store."""

from __future__ import annotations

import ast
import inspect
import json
import re
import shutil
import sqlite3
from pathlib import Path

import pytest

from mijian.pipeline import register_schema
from mijian.pipeline.audit import verify_register
from mijian.pipeline.errors import RegisterError
from mijian.pipeline.lifecycle import STATUS_ZH, sign_for
from mijian.pipeline.office import Office
from mijian.pipeline.register import Register
from mijian.pipeline.register_records import CopyStatus, event_hash
from mijian.pipeline.register_schema import MIGRATIONS, SCHEMA_VERSION
from mijian.pipeline.register_store import URL_VARIABLE, RegisterStore, open_register
from tests.conftest import ROOT
from tests.test_register_facts import _cli, _decision, _reserve_and_issue

LIBRARY = ("pipeline", "classifiers", "watermark", "keywords", "mijian")
STORE_FILES = {"pipeline/register.py", "pipeline/register_reads.py", "pipeline/register_schema.py",
               "pipeline/register_check.py", "pipeline/register_head.py"}
"""The only modules that may hold SQL or the database connection."""
WEB_ACCOUNTS = {"pipeline/web/users.py", "pipeline/web/store.py", "pipeline/web/address_book.py",
                "pipeline/web/destructions.py", "pipeline/web/alarm.py", "pipeline/web/accounts.py"}
"""The web app's own database of accounts, sessions, drafts, address book, destruction requests
and register alarm (``web.sqlite``), kept apart from the register so that password hashes never
enter the chain ``register verify`` replays."""

DATABASE_USE = [
    re.compile(r"\.execute(?:many|script)?\("),                          # conn.execute(...)
    re.compile(r"\.\s*_?conn\b"),                                        # register.conn, ._conn
    re.compile(r"\bsqlite3\b"),                                          # the driver itself
    re.compile(r"[\"'](?:SELECT|INSERT|UPDATE|DELETE|CREATE|PRAGMA|BEGIN)\b"),  # SQL text
]
"""What touching the database looks like."""

STATUS_LITERAL = re.compile(
    r"(?:==|!=|\bin\b\s*[(\[{]?|status\s*=)\s*[\"'](?:pending|issued|signed|returned|destroyed|lost|voided)[\"']")
"""A status compared or assigned as a bare string (``status == "voided"``, ``status="pending"``)."""


def _code_lines(path: Path) -> list[str]:
    """The source lines of ``path`` with comments and docstrings blanked out."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    for node in ast.walk(ast.parse(text)):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) \
                and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
            for number in range(body[0].lineno - 1, body[0].end_lineno or body[0].lineno):
                lines[number] = ""
    return [re.sub(r"(?<![\"'])#.*$", "", line) for line in lines]


def _library_files() -> list[tuple[str, Path]]:
    return [(path.relative_to(ROOT).as_posix(), path)
            for folder in LIBRARY for path in sorted((ROOT / folder).rglob("*.py"))]


def _hits(path: Path, patterns: list[re.Pattern[str]]) -> list[str]:
    return [line.strip() for line in _code_lines(path) if any(p.search(line) for p in patterns)]


# --- 1. SQL and the connection stay inside the store -----------------------------------------


def test_no_module_outside_the_store_touches_the_database() -> None:
    offenders = [f"{name}: {line}" for name, path in _library_files()
                 if name not in STORE_FILES | WEB_ACCOUNTS for line in _hits(path, DATABASE_USE)]
    assert offenders == []


@pytest.mark.parametrize("line", [
    "rows = office.register.conn.execute(sql)", "register._conn.backup(target)",
    "import sqlite3", 'cur.executemany("x", rows)', 'sql = "SELECT * FROM copies"',
])
def test_the_database_detector_sees_database_use(line: str) -> None:
    assert any(pattern.search(line) for pattern in DATABASE_USE)


def test_the_store_files_do_use_the_database() -> None:
    """The detector finds what it looks for where it belongs, so an empty result elsewhere
    means something."""
    for name in STORE_FILES:
        assert _hits(ROOT / name, DATABASE_USE), name


def test_the_connection_is_private(tmp_path: Path) -> None:
    with Register.open(tmp_path) as register:
        assert not hasattr(register, "conn")
        assert isinstance(register._conn, sqlite3.Connection)


# --- 2. statuses: one enum, the same stored text ---------------------------------------------


def test_no_module_compares_or_sets_a_status_as_a_bare_string() -> None:
    offenders = [f"{name}: {line}" for name, path in _library_files()
                 if name != "pipeline/register_records.py" for line in _hits(path, [STATUS_LITERAL])]
    assert offenders == []


@pytest.mark.parametrize("line", ['if c.status == "voided":', 'status="pending", status_at=now',
                                  'if current.status not in ("pending", "voided"):'])
def test_the_status_detector_sees_bare_statuses(line: str) -> None:
    assert STATUS_LITERAL.search(line)


def test_statuses_are_their_stored_text_in_sqlite_json_and_hashes(tmp_path: Path) -> None:
    assert [s.value for s in CopyStatus] == ["pending", "issued", "signed", "returned",
                                             "destroyed", "lost", "voided", "unassigned"]
    assert set(STATUS_ZH) == set(CopyStatus)
    status = CopyStatus.ISSUED
    assert status == "issued" and hash(status) == hash("issued") and f"{status}" == "issued"
    assert repr(status) == repr("issued")
    assert json.dumps({"status": status, "from": CopyStatus.PENDING}) == \
        '{"status": "issued", "from": "pending"}'
    assert event_hash("0" * 64, 1, "t", "a", status, None, "C", "{}") == \
        event_hash("0" * 64, 1, "t", "a", "issued", None, "C", "{}")
    with Office.open(tmp_path / "home") as office:
        with office.register.transaction():
            office.register.add_document(_decision(), office.key(), "定密责任人甲")
        copy = _reserve_and_issue(office, "R1", "张三")
        signed = sign_for(office, copy.copy_id, "张三", "机要员")
        rows = {r["copy_id"]: r for r in office.register.copy_rows()}
        actions = [e.action for e in office.register.events(copy.copy_id)]
    assert signed.status == CopyStatus.SIGNED and type(rows[copy.copy_id]["status"]) is str
    assert rows[copy.copy_id]["status"] == "signed"
    assert actions == ["reserved", "issued", "signed"]
    assert json.loads(json.dumps(signed.public()))["status"] == "signed"


# --- 3. the schema: versioned, migrated forward, a newer one refused -------------------------


def _events(path: Path) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT * FROM events ORDER BY seq").fetchall()
    finally:
        conn.close()


def _schema_state(path: Path) -> tuple[int, set[str]]:
    conn = sqlite3.connect(path)
    try:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        return conn.execute("PRAGMA user_version").fetchone()[0], names
    finally:
        conn.close()


OLD_WAYS = {
    # the current tables, but the version was never written (user_version 0)
    "version-0 with current tables": ["PRAGMA user_version = 0"],
    # as the code before version 2 made it: no serial floors, no fingerprint or event indexes
    "version-1 layout": ["DROP TABLE serial_floors", "DROP INDEX copies_fingerprint",
                         "DROP INDEX events_copy", "DROP INDEX events_document",
                         "DELETE FROM meta WHERE key = 'schema_version'", "PRAGMA user_version = 0"],
}


@pytest.fixture(scope="module")
def issued_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A closed office: one document, copies for R1 and R2 issued, R1's signed for."""
    home = tmp_path_factory.mktemp("store") / "home"
    with Office.open(home) as office:
        with office.register.transaction():
            office.register.add_document(_decision(), office.key(), "定密责任人甲")
        first = _reserve_and_issue(office, "R1", "张三")
        _reserve_and_issue(office, "R2", "李四")
        sign_for(office, first.copy_id, "张三", "机要员")
    return home


def _built_the_old_way(issued_home: Path, tmp_path: Path, statements: list[str]) -> Path:
    home = tmp_path / "home"
    shutil.copytree(issued_home, home)
    conn = sqlite3.connect(home / "register.db", isolation_level=None)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        for statement in statements:
            conn.execute(statement)
    finally:
        conn.close()
    return home


def test_a_new_register_gets_the_current_version(tmp_path: Path) -> None:
    with Register.open(tmp_path):
        pass
    assert SCHEMA_VERSION == MIGRATIONS[-1].version == len(MIGRATIONS)
    assert [m.version for m in MIGRATIONS] == list(range(1, SCHEMA_VERSION + 1))
    assert _schema_state(tmp_path / "register.db")[0] == SCHEMA_VERSION


@pytest.mark.parametrize("way", sorted(OLD_WAYS))
def test_an_older_register_is_migrated_and_its_signed_log_is_untouched(issued_home: Path,
                                                                      tmp_path: Path, way: str) -> None:
    home = _built_the_old_way(issued_home, tmp_path, OLD_WAYS[way])
    before = _events(home / "register.db")
    assert _schema_state(home / "register.db")[0] == 0
    with Office.open(home) as office:
        assert office.register.schema_problem() is None
        assert verify_register(office).ok
        assert _reserve_and_issue(office, "R3", "王五").serial == "000003"
        assert verify_register(office).ok
    version, names = _schema_state(home / "register.db")
    assert version == SCHEMA_VERSION and {"serial_floors", "copies_fingerprint"} <= names
    assert _events(home / "register.db")[:len(before)] == before


def test_a_failed_migration_rolls_back_whole(issued_home: Path, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    home = _built_the_old_way(issued_home, tmp_path, OLD_WAYS["version-1 layout"])

    def half_then_fail(conn: sqlite3.Connection) -> None:
        register_schema._migrate_to_2(conn)  # the tables are made, then the step fails
        raise sqlite3.OperationalError("disk I/O error")

    broken = (*MIGRATIONS[:-1], register_schema.Migration(SCHEMA_VERSION, "broken", half_then_fail))
    monkeypatch.setattr(register_schema, "MIGRATIONS", broken)
    with pytest.raises(RegisterError, match="cannot be opened"):
        Register.open(home)
    version, names = _schema_state(home / "register.db")
    assert version == 0 and "serial_floors" not in names
    monkeypatch.undo()
    with Office.open(home) as office:
        assert verify_register(office).ok
    assert _schema_state(home / "register.db")[0] == SCHEMA_VERSION


def test_a_newer_register_is_refused_in_one_line_with_exit_4(issued_home: Path, tmp_path: Path) -> None:
    home = _built_the_old_way(issued_home, tmp_path, [f"PRAGMA user_version = {SCHEMA_VERSION + 1}"])
    before = (home / "register.db").read_bytes()
    done = _cli(home, "register", "verify")
    assert done.returncode == 4, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and f"schema version {SCHEMA_VERSION + 1}" in lines[0]
    assert "newer mijian" in lines[0]
    assert (home / "register.db").read_bytes() == before


# --- 4. one protocol for callers, one place that chooses the store ---------------------------


def _protocol_methods() -> dict[str, inspect.Signature]:
    return {name: inspect.signature(member) for name, member in vars(RegisterStore).items()
            if callable(member) and (not name.startswith("_") or name in ("__enter__", "__exit__"))}


def test_the_sqlite_register_implements_the_store_protocol() -> None:
    methods = _protocol_methods()
    assert len(methods) > 30
    for name, wanted in methods.items():
        have = inspect.signature(getattr(Register, name))
        assert list(have.parameters) == list(wanted.parameters), name
        assert [p.default for p in have.parameters.values()] == \
            [p.default for p in wanted.parameters.values()], name
    for attribute in ("path", "home", "clock"):
        assert attribute in RegisterStore.__annotations__


def test_the_store_is_chosen_from_the_url_in_one_place(tmp_path: Path) -> None:
    for url in ("", "sqlite", "sqlite:"):
        with open_register(tmp_path / "a", {URL_VARIABLE: url}) as register:
            assert isinstance(register, Register)
    with pytest.raises(RegisterError) as refused:
        open_register(tmp_path / "b", {URL_VARIABLE: "postgresql://clerk:s3cret@db/mijian"})
    message = str(refused.value)
    assert "'postgresql'" in message and "s3cret" not in message and "\n" not in message
    assert not (tmp_path / "b").exists()  # refused before anything was made


def test_the_cli_refuses_an_unknown_store_with_exit_4(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(URL_VARIABLE, "postgresql://clerk:s3cret@db/mijian")
    done = _cli(tmp_path / "home", "register", "verify")
    assert done.returncode == 4
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and URL_VARIABLE in lines[0] and "s3cret" not in done.stderr
    assert not (tmp_path / "home").exists()  # no folder, key or register was made


# --- the methods the callers moved to ----------------------------------------------------------


def test_the_events_read_the_same_with_a_column_someone_added(issued_home: Path, tmp_path: Path) -> None:
    home = _built_the_old_way(issued_home, tmp_path, ["ALTER TABLE events ADD COLUMN note TEXT"])
    with Office.open(home) as office:
        events = list(office.register.events())
        assert [e.seq for e in events] == list(range(1, len(events) + 1))
        assert office.register.last_event() == (events[-1].seq, events[-1].hash)
        assert verify_register(office).ok


def test_latest_copies_filter_by_suffix_newest_first_and_stop_at_the_limit(issued_home: Path,
                                                                           tmp_path: Path) -> None:
    home = _built_the_old_way(issued_home, tmp_path, [
        "UPDATE copies SET issued_at = '2030-01-01T00:00:00+00:00' WHERE recipient_id = 'R2'"])
    with Office.open(home) as office:
        assert [c.recipient_id for c in office.register.latest_copies(".pdf", 5)] == ["R2", "R1"]
        assert [c.recipient_id for c in office.register.latest_copies(".pdf", 1)] == ["R2"]
        assert office.register.latest_copies(".docx", 5) == []


def test_tracing_unseals_the_passwords_of_the_latest_copies_through_the_store(issued_home: Path,
                                                                              tmp_path: Path) -> None:
    """The passwords tried on an encrypted leak come from :meth:`latest_copies`, newest first,
    unsealed with the office key that sealed them (real keys, real sealing)."""
    from mijian.pipeline.tracing import _recent_passwords

    home = _built_the_old_way(issued_home, tmp_path, [
        "UPDATE copies SET issued_at = '2030-01-01T00:00:00+00:00' WHERE recipient_id = 'R1'"])
    with Office.open(home) as office:
        assert _recent_passwords(office, ".pdf") == ["pwR1", "pwR2"]
        assert _recent_passwords(office, ".ofd") == []
