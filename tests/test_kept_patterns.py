"""The patterns that the reading, shape and second-reader modules compile, kept between runs by
the data cache: what the cache gives back equals a fresh compile, is kept as engine code, and
covers every pattern the modules use; with the cache off each is compiled on first use."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

from mijian.keywords import datacache

reading = importlib.import_module("mijian.classifiers.reading")
shape = importlib.import_module("mijian.classifiers.shape")
learned_read = importlib.import_module("mijian.classifiers.learned_read")

KEPT = {
    "reading-rx": (lambda: reading._kept.__wrapped__(), reading._RX_SOURCES, re.IGNORECASE),
    "shape-rx": (lambda: shape._kept.__wrapped__(),
                 (shape._BARE, shape._DATELINE, shape._PUBLISHED, shape._PUBLIC_TITLE, shape._SHARE, shape._ADDRESSED,
                  shape._ARTICLE), re.MULTILINE),
    "learned-read-rx": (lambda: learned_read._rx.__wrapped__(),
                        (learned_read._WORD, learned_read._HAN, learned_read._LATIN, learned_read._READABLE,
                         learned_read._LATIN_CHAR), 0),
}


@pytest.fixture()
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cache"
    monkeypatch.setenv("MIJIAN_CACHE", str(path))
    return path


def test_kept_patterns_equal_fresh_compiles_and_are_kept_as_engine_code(folder: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    for name, (kept, sources, flags) in KEPT.items():
        fresh = {s: re.compile(s, flags) for s in sources}
        assert kept() == fresh, name  # a miss: compiled and written
        monkeypatch.setattr(re, "compile", lambda *_: pytest.fail("compiled although the cache holds it"))
        assert kept() == fresh, name  # a hit: made again from the file
        monkeypatch.undo()
        monkeypatch.setenv("MIJIAN_CACHE", str(folder))
        [path] = sorted(folder.glob(f"{name}-*.pickle"))
        assert b"_made_again" in path.read_bytes(), name


def test_every_pattern_the_reading_module_compiles_is_kept() -> None:
    text = Path(reading.__file__).read_text(encoding="utf-8")
    used = set(re.findall(r"_rx\((_[A-Z_]+)\)", text))
    assert used and {getattr(reading, name) for name in used} <= set(reading._RX_SOURCES)
    text = Path(shape.__file__).read_text(encoding="utf-8")
    used = set(re.findall(r"\b_([A-Z_]+)\b = r", text)) | set(re.findall(r"\b_([A-Z_]+)\b = \(r", text))
    assert {getattr(shape, f"_{name}") for name in used} == set(KEPT["shape-rx"][1])


def test_with_the_cache_off_nothing_is_kept_and_patterns_compile_on_first_use(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MIJIAN_CACHE", "off")
    assert datacache.kept_patterns("reading-rx", reading.__file__, reading._RX_SOURCES, re.IGNORECASE) == {}
    assert reading._kept.__wrapped__() == {} and shape._kept.__wrapped__() == {}
    assert reading._rx.__wrapped__(reading._NOTICE) == re.compile(reading._NOTICE, re.IGNORECASE)
    assert shape._rx.__wrapped__(shape._BARE) == re.compile(shape._BARE, re.MULTILINE)
