"""The data cache: a hit gives what a fresh parse gives; damaged, foreign, stale or loose files
are ignored and rewritten; MIJIAN_CACHE=off writes nothing; files and folder are private."""

from __future__ import annotations

import importlib
import json
import os
import pickle
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mijian.keywords import datacache
from mijian.keywords.datacache import SECRET_FILE, cache_dir, cached, derived
from tests.conftest import ROOT, SAMPLES

loader = importlib.import_module("mijian.keywords.loader")
scope_catalogue = importlib.import_module("mijian.keywords.scope_catalogue")
normalise = importlib.import_module("mijian.classifiers.normalise")
lexicon_scan = importlib.import_module("mijian.classifiers.lexicon_scan")
scope_match = importlib.import_module("mijian.classifiers.scope_match")
learned = importlib.import_module("mijian.classifiers.learned")
details = importlib.import_module("mijian.classifiers.details")
personal = importlib.import_module("mijian.classifiers.personal")
nlp = importlib.import_module("mijian.classifiers.nlp")
reading = importlib.import_module("mijian.classifiers.reading")
patterns = importlib.import_module("mijian.classifiers.patterns")


@pytest.fixture()
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh cache folder (not yet made) named by MIJIAN_CACHE."""
    path = tmp_path / "cache"
    monkeypatch.setenv("MIJIAN_CACHE", str(path))
    return path


def _boom(*_: object) -> Any:
    raise AssertionError("built although the cache holds the value")


class _Counter:
    """A builder that counts its calls."""

    def __init__(self, value: object) -> None:
        self.value, self.calls = value, 0

    def __call__(self) -> object:
        self.calls += 1
        return self.value


def _source(tmp_path: Path, text: str = "alpha") -> Path:
    path = tmp_path / "source.txt"
    path.write_text(text, encoding="utf-8")
    return path


def _files(folder: Path, name: str) -> list[Path]:
    return sorted(p for p in folder.glob(f"{name}-*.pickle") if not p.name.startswith(f"{name}-automaton"))


# -- the packaged values: a hit equals a fresh parse ------------------------------------------

def test_lexicon_and_scopes_from_the_cache_equal_a_fresh_parse(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fresh_lexicon = loader._load(loader.default_paths())
    first = loader._packaged_lexicon.__wrapped__()  # a miss: parsed and written
    fresh_scopes = scope_catalogue._packaged.__wrapped__()
    monkeypatch.setattr(loader, "_load", _boom)
    monkeypatch.setattr(scope_catalogue, "_load", _boom)
    hit = loader._packaged_lexicon.__wrapped__()
    assert hit == first == fresh_lexicon
    assert [t.origin for t in hit.terms] == [t.origin for t in fresh_lexicon.terms]
    scopes = scope_catalogue._packaged.__wrapped__()
    assert scopes == fresh_scopes and scopes.version == fresh_scopes.version
    assert _files(folder, "lexicon") and _files(folder, "scopes")


def test_tables_automata_and_model_from_the_cache_equal_a_fresh_build(folder: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    lexicon = loader._packaged_lexicon.__wrapped__()
    catalogue = scope_catalogue._packaged.__wrapped__()
    fresh = (normalise._build_tables(), lexicon_scan._build(lexicon), scope_match._build(catalogue),
             learned._read_packed(learned.resources.files("mijian.classifiers").joinpath("data", learned.MODEL_FILE)).model())
    normalise._tables.__wrapped__()
    lexicon_scan._compile.__wrapped__(lexicon)
    scope_match._compile.__wrapped__(catalogue)
    learned.load_model.__wrapped__()
    for module, name in ((normalise, "_build_tables"), (lexicon_scan, "_build"), (scope_match, "_build"),
                         (learned, "_read_packed")):
        monkeypatch.setattr(module, name, _boom)
    tables, lex_auto, scope_auto, model = (normalise._tables.__wrapped__(), lexicon_scan._compile.__wrapped__(lexicon),
                                           scope_match._compile.__wrapped__(catalogue), learned.load_model.__wrapped__())
    assert tables == fresh[0]
    assert lex_auto.entries == fresh[1].entries
    assert sorted(lex_auto.automaton.items()) == sorted(fresh[1].automaton.items())
    assert (scope_auto.keys, scope_auto.roles, scope_auto.regexes, scope_auto.kinds) == \
        (fresh[2].keys, fresh[2].roles, fresh[2].regexes, fresh[2].kinds)
    assert sorted(scope_auto.automaton.items()) == sorted(fresh[2].automaton.items())
    assert np.array_equal(model.weights, fresh[3].weights) and model.weights.dtype == np.float32
    assert np.array_equal(model.bias, fresh[3].bias)
    with np.load(ROOT / "classifiers" / "data" / learned.MODEL_FILE, allow_pickle=False) as z:  # as it was restored before
        assert np.array_equal(model.weights, (z["q"].astype(np.float32) * z["scale"][:, None]).astype(np.float32))
    assert (model.drafts, model.data_sha256) == (fresh[3].drafts, fresh[3].data_sha256)


def test_compiled_patterns_from_the_cache_equal_fresh_compiles(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    wrappers = {"details-patterns": (details._compiled.__wrapped__, details._compile_all),
                "personal-patterns": (personal._patterns.__wrapped__, personal._compile_all),
                "nlp-rules-zh": (lambda: nlp._compiled.__wrapped__("zh"), lambda: nlp._compile_rules("zh")),
                "pattern-regexes": (patterns._compiled.__wrapped__,
                                    lambda: tuple((p, *rx) for p, rx in zip(patterns._PATTERNS, patterns._compile_all()))),
                "reading-patterns": (reading._patterns.__wrapped__, reading._patterns.__wrapped__)}
    fresh = {name: build() for name, (_, build) in wrappers.items()}
    for wrapper, _ in wrappers.values():
        wrapper()  # misses: compiled and written
    for module, name in ((details, "_compile_all"), (personal, "_compile_all"), (nlp, "_compile_rules"),
                         (patterns, "_compile_all")):
        monkeypatch.setattr(module, name, _boom)
    for name, (wrapper, _) in wrappers.items():
        assert wrapper() == fresh[name], name  # a pattern equals another of the same source, flags and code
        [path] = _files(folder, name)
        assert b"_made_again" in path.read_bytes(), name  # kept as engine code, not as source to compile


def test_a_pattern_is_made_again_from_its_engine_code() -> None:
    import re

    for rx in (re.compile(r"(?P<n>[0-9]+)\s*(?:吨|tons?)", re.IGNORECASE), re.compile(r"^[★☆]\s*$", re.MULTILINE),
               re.compile(r"(?i)(?<![a-z])top secret(?![a-z])"), re.compile("[\u4e00-\u9fff]{2,4}")):
        spec = datacache._engine_code(rx)
        assert spec is not None
        again = datacache._made_again(*spec)
        assert again == rx and again.groupindex == rx.groupindex and again.flags == rx.flags
        assert [m.span() for m in again.finditer("12 tons ★\nTOP SECRET 机密文件")] == \
            [m.span() for m in rx.finditer("12 tons ★\nTOP SECRET 机密文件")]


def test_a_lexicon_of_ones_own_files_is_never_cached(folder: Path, tmp_path: Path) -> None:
    own = tmp_path / "own.toml"
    own.write_text('category = "defence"\nterms = [ { text = "演习方案", weight = 0.5 } ]\n', encoding="utf-8")
    lexicon = loader.load_lexicon([own])
    counter = _Counter(lexicon_scan._build(lexicon))
    assert derived("lexicon-automaton", lexicon, (own,), counter, object) is counter.value
    assert derived("lexicon-automaton", lexicon, (own,), counter, object) is counter.value
    assert counter.calls == 2 and not list(folder.glob("lexicon-automaton-*"))


def test_the_command_gives_the_same_answer_cold_warm_and_without_a_cache(tmp_path: Path) -> None:
    draft = SAMPLES / "zh_notice_secret.pdf"
    outputs = []
    for setting in (str(tmp_path / "cache"), str(tmp_path / "cache"), "off"):
        env = {**os.environ, "PYTHONPATH": str(ROOT), "MIJIAN_HOME": str(tmp_path / "home"), "MIJIAN_CACHE": setting}
        done = subprocess.run([sys.executable, "-m", "mijian", "classify", str(draft), "--json"], env=env, cwd=ROOT,
                              capture_output=True, text=True, timeout=300, check=True)
        outputs.append(json.loads(done.stdout))
    assert outputs[0] == outputs[1] == outputs[2]
    assert {p.name.split("-")[0] for p in (tmp_path / "cache").glob("*.pickle")} >= {"lexicon", "scopes", "normalise",
                                                                                     "scope", "grade"}


# -- damaged, foreign and stale files ------------------------------------------------------------

def _damage(path: Path, how: str) -> None:
    blob = path.read_bytes()
    if how == "truncated":
        path.write_bytes(blob[: len(blob) // 2])
    elif how == "flipped":
        path.write_bytes(blob[:-5] + bytes([blob[-5] ^ 0xFF]) + blob[-4:])
    elif how == "garbage":
        path.write_bytes(b"\x80\x05not a cache file at all")
    elif how == "empty":
        path.write_bytes(b"")
    elif how == "loose":
        os.chmod(path, 0o644)


@pytest.mark.parametrize("how", ["truncated", "flipped", "garbage", "empty", "loose"])
def test_a_damaged_or_loose_file_is_ignored_and_rewritten(folder: Path, tmp_path: Path, how: str) -> None:
    source = _source(tmp_path)
    value = {"terms": ("甲", "乙"), "n": 3}
    assert cached("sample", (source,), _Counter(value), dict) == value
    [path] = _files(folder, "sample")
    _damage(path, how)
    counter = _Counter(value)
    assert cached("sample", (source,), counter, dict) == value
    assert counter.calls == 1
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert cached("sample", (source,), _boom, dict) == value  # the rewritten file is read again


class _Planted:
    """What a forged cache file might hold: a call to run while unpickling."""

    def __init__(self, victim: Path) -> None:
        self.victim = victim

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.remove, (str(self.victim),))


def test_a_forged_file_is_never_unpickled(folder: Path, tmp_path: Path) -> None:
    source, victim = _source(tmp_path), tmp_path / "victim.txt"
    victim.write_text("keep me", encoding="utf-8")
    cached("sample", (source,), _Counter([1, 2]), list)
    [path] = _files(folder, "sample")
    key = path.name.removeprefix("sample-").removesuffix(".pickle")
    head = path.read_bytes()[: len(datacache._header("x" * 64))]
    assert head.endswith(b"\n") and key in head.decode()
    payload = pickle.dumps(_Planted(victim))
    full_key = head[len(datacache._MAGIC):-1].decode()
    # without the secret: a wrong MAC
    path.write_bytes(head + b"\0" * 32 + payload)
    os.chmod(path, 0o600)
    assert cached("sample", (source,), _Counter([3]), list) == [3]
    # even with the right MAC, unpickling admits only the classes of cached values
    secret = (folder / SECRET_FILE).read_bytes()
    path.write_bytes(head + datacache._mac(secret, full_key, payload) + payload)
    assert cached("sample", (source,), _Counter([4]), list) == [4]
    assert victim.read_text(encoding="utf-8") == "keep me"


def test_a_value_of_another_type_is_a_miss(folder: Path, tmp_path: Path) -> None:
    source = _source(tmp_path)
    cached("sample", (source,), _Counter([1]), list)
    counter = _Counter((1,))
    assert cached("sample", (source,), counter, tuple) == (1,) and counter.calls == 1


def test_changed_source_data_invalidates(folder: Path, tmp_path: Path) -> None:
    source = _source(tmp_path, "alpha")
    assert cached("sample", (source,), _Counter("A"), str) == "A"
    source.write_text("beta", encoding="utf-8")
    counter = _Counter("B")
    assert cached("sample", (source,), counter, str) == "B" and counter.calls == 1
    assert cached("sample", (source,), _boom, str) == "B"
    source.write_text("alpha", encoding="utf-8")
    assert cached("sample", (source,), _boom, str) == "A"  # the older file is still there and still valid


def test_a_changed_base_invalidates_what_is_derived_from_it(folder: Path, tmp_path: Path) -> None:
    source = _source(tmp_path, "alpha")
    base = cached("base", (source,), _Counter(["alpha"]), list)
    assert derived("derived", base, (), _Counter("from alpha"), str) == "from alpha"
    source.write_text("beta", encoding="utf-8")
    other = cached("base", (source,), _Counter(["beta"]), list)
    counter = _Counter("from beta")
    assert derived("derived", other, (), counter, str) == "from beta" and counter.calls == 1
    assert derived("derived", base, (), _boom, str) == "from alpha"


def test_old_files_are_pruned_to_a_few(folder: Path, tmp_path: Path) -> None:
    source = _source(tmp_path)
    for n in range(datacache.KEEP + 3):
        source.write_text(f"version {n}", encoding="utf-8")
        cached("sample", (source,), _Counter(n), int)
    assert len(_files(folder, "sample")) == datacache.KEEP


def test_an_unreadable_source_builds_without_the_cache(folder: Path, tmp_path: Path) -> None:
    counter = _Counter(1)
    assert cached("sample", (tmp_path / "missing.toml",), counter, int) == 1
    assert not folder.exists() or not _files(folder, "sample")


# -- where, and with which modes ---------------------------------------------------------------

def test_folder_is_0700_and_files_are_0600(folder: Path, tmp_path: Path) -> None:
    cached("sample", (_source(tmp_path),), _Counter(1), int)
    loader._packaged_lexicon.__wrapped__()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    files = list(folder.iterdir())
    assert {p.name for p in files} >= {SECRET_FILE} and len(files) >= 3
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in files), [(p.name, oct(p.stat().st_mode)) for p in files]
    assert not list(folder.glob(".tmp-*"))


def test_a_folder_others_may_write_to_is_not_used(folder: Path, tmp_path: Path) -> None:
    folder.mkdir()
    os.chmod(folder, 0o777)
    counter = _Counter(1)
    for _ in range(2):
        assert cached("sample", (_source(tmp_path),), counter, int) == 1
    assert counter.calls == 2 and not list(folder.iterdir())


def test_a_cache_path_that_is_a_file_does_not_fail(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "not-a-folder"
    path.write_text("x", encoding="utf-8")
    monkeypatch.setenv("MIJIAN_CACHE", str(path))
    assert cached("sample", (_source(tmp_path),), _Counter(7), int) == 7
    assert loader._packaged_lexicon.__wrapped__() == loader._load(loader.default_paths())


def test_off_reads_and_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("MIJIAN_CACHE", "off")
    assert cache_dir() is None
    lexicon = loader._packaged_lexicon.__wrapped__()
    scope_catalogue._packaged.__wrapped__()
    normalise._tables.__wrapped__()
    learned.load_model.__wrapped__()
    counter = _Counter(lexicon_scan._build(lexicon))
    lexicon_scan_value = derived("lexicon-automaton", lexicon, (), counter, object)
    assert lexicon_scan_value is counter.value and counter.calls == 1
    assert not home.exists()


def test_without_the_variable_the_users_cache_folder_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MIJIAN_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    if sys.platform.startswith("linux"):
        assert cache_dir() == tmp_path / "xdg" / "mijian"
    assert cache_dir() is not None
