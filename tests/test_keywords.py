"""Tests for the keyword lexicons and their validating loader."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mijian.keywords import CATEGORIES, Lexicon, LexiconError, Term, default_paths, load_lexicon

ROOT = Path(__file__).resolve().parent.parent


def write(tmp_path: Path, body: str, name: str = "lex.toml") -> Path:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return path


# --- the packaged lexicon -------------------------------------------------------------


def test_packaged_lexicon_loads_and_is_cached() -> None:
    lex = load_lexicon()
    assert isinstance(lex, Lexicon)
    assert load_lexicon() is lex
    assert 300 <= len(lex.terms) <= 1500
    assert all(isinstance(t, Term) for t in lex.terms)


def test_every_category_has_chinese_and_english_terms() -> None:
    lex = load_lexicon()
    for cat in CATEGORIES:
        langs = {t.lang for t in lex.terms_in(cat.id)}
        assert langs == {"zh", "en"}, cat.id


def test_category_table_covers_the_required_areas() -> None:
    ids = [c.id for c in CATEGORIES]
    assert ids[:7] == [
        "state_affairs",
        "defence",
        "foreign_affairs",
        "economy",
        "science_technology",
        "security_investigation",
        "other_state_secret",
    ]
    assert {"commercial_secret", "work_secret", "personal_information"} <= set(ids)
    kinds = {c.id: c.kind for c in CATEGORIES}
    assert (kinds["handling"], kinds["public_context"], kinds["marking"]) == ("raise", "lower", "marking")
    assert load_lexicon().category("defence").zh == "国防建设和武装力量"
    with pytest.raises(KeyError):
        load_lexicon().category("nope")


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("不得扩大范围", "handling"),
        ("阅后收回", "handling"),
        ("严禁外传", "handling"),
        ("绝密文件", "handling"),
        ("must not be revealed", "handling"),
        ("distribution limited", "handling"),
        ("已公开发布", "public_context"),
        ("欢迎社会各界", "public_context"),
        ("学习材料", "public_context"),
        ("保密知识培训", "public_context"),
        ("新闻发布会", "public_context"),
        ("may be shared freely", "public_context"),
        ("press release", "public_context"),
        ("机密★", "marking"),
        ("TOP SECRET", "marking"),
        ("作战方案", "defence"),
    ],
)
def test_required_entries_are_present(text: str, category: str) -> None:
    by_text = {t.text: t for t in load_lexicon().terms}
    assert by_text[text].category == category


def test_packaged_values_are_in_range() -> None:
    lex = load_lexicon()
    for t in lex.terms:
        assert 0 < t.weight <= 1, t
        assert t.floor is None or 0 <= t.floor <= 4, t
        assert t.lang in ("zh", "en"), t
        if t.category == "marking":
            assert t.floor is not None, t
    grades = {t.text: t.floor for t in lex.terms_in("marking")}
    assert (grades["绝密★"], grades["机密★"], grades["秘密★"]) == (4, 3, 2)
    assert (grades["TOP SECRET"], grades["SECRET"], grades["CONFIDENTIAL"]) == (4, 3, 2)


def test_default_paths_are_the_data_files() -> None:
    names = [p.name for p in default_paths()]
    assert names == sorted(names)
    assert "zh_defence.toml" in names and "en_markings.toml" in names


def test_nothing_is_loaded_at_import() -> None:
    code = (
        "import keywords, classifiers\n"
        "from keywords.loader import _packaged_lexicon\n"
        "from classifiers.normalise import _tables\n"
        "assert _packaged_lexicon.cache_info().currsize == 0\n"
        "assert _tables.cache_info().currsize == 0\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


# --- a good custom file ---------------------------------------------------------------


def test_custom_file_defaults_and_overrides(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        'category = "defence"\n'
        "terms = [\n"
        '  { text = "作战方案", weight = 0.9, floor = 3 },\n'
        '  { text = "battle plan", weight = 1 },\n'
        '  { text = "客户名单", weight = 0.5, category = "commercial_secret", lang = "zh" },\n'
        "]\n",
    )
    lex = load_lexicon([path])
    assert [(t.text, t.category, t.weight, t.floor, t.lang) for t in lex.terms] == [
        ("作战方案", "defence", 0.9, 3, "zh"),
        ("battle plan", "defence", 1.0, None, "en"),
        ("客户名单", "commercial_secret", 0.5, None, "zh"),
    ]
    assert lex.terms[0].origin == f"{path}: term #1"
    assert load_lexicon([path]) is not lex  # explicit paths are read again each time


# --- malformed files: exact one-line messages -------------------------------------------

BAD_TERMS = [
    ('{ text = "作战方案", weight = 1.5 }', "term #2 '作战方案': weight 1.5 is outside 0..1; fix the entry"),
    ('{ text = "作战方案", weight = 0 }', "term #2 '作战方案': weight 0 is outside 0..1; fix the entry"),
    ('{ text = "作战方案", weight = -0.2 }', "term #2 '作战方案': weight -0.2 is outside 0..1; fix the entry"),
    ('{ text = "作战方案", weight = "high" }', "term #2 '作战方案': weight 'high' is not a number; fix the entry"),
    (
        '{ text = "作战方案" }',
        "term #2 '作战方案': missing 'weight' (a number above 0, at most 1); fix the entry",
    ),
    ("{ weight = 0.5 }", "term #2: missing 'text'; fix the entry"),
    ('{ text = "", weight = 0.5 }', "term #2: text must be a non-empty string; fix the entry"),
    ('{ text = " 作战方案", weight = 0.5 }', "term #2 ' 作战方案': text has leading, trailing or control whitespace; fix the entry"),
    (
        '{ text = "作战方案", wieght = 0.5 }',
        "term #2 '作战方案': unknown key 'wieght' (allowed: text, category, weight, floor, lang); fix the entry",
    ),
    ('{ text = "作战方案", weight = 0.5, floor = 5 }', "term #2 '作战方案': floor 5 is not a ladder level 0..4; fix the entry"),
    ('{ text = "作战方案", weight = 0.5, floor = -1 }', "term #2 '作战方案': floor -1 is not a ladder level 0..4; fix the entry"),
    ('{ text = "作战方案", weight = 0.5, floor = 2.5 }', "term #2 '作战方案': floor 2.5 is not a ladder level 0..4; fix the entry"),
    ('{ text = "作战方案", weight = 0.5, floor = true }', "term #2 '作战方案': floor True is not a ladder level 0..4; fix the entry"),
    ('{ text = "作战方案", weight = 0.5, lang = "fr" }', "term #2 '作战方案': lang 'fr' is not 'zh' or 'en'; fix the entry"),
    ('{ text = "演习计划", weight = 0.5 }', "term #2 '演习计划': duplicate of term #1 in {path}; fix the entry"),
    ('{ text = "演习计划", weight = 0.5, category = "defence" }', "term #2 '演习计划': duplicate of term #1 in {path}; fix the entry"),
]


@pytest.mark.parametrize(("entry", "message"), BAD_TERMS)
def test_bad_term_messages(tmp_path: Path, entry: str, message: str) -> None:
    path = write(tmp_path, f'category = "defence"\nterms = [\n  {{ text = "演习计划", weight = 0.5 }},\n  {entry},\n]\n')
    with pytest.raises(LexiconError) as info:
        load_lexicon([path])
    assert str(info.value) == f"{path}: " + message.format(path=path)
    assert "\n" not in str(info.value)


def test_unknown_category_names_the_known_ones(tmp_path: Path) -> None:
    path = write(tmp_path, 'terms = [ { text = "missile", weight = 0.5, category = "defense" } ]\n')
    with pytest.raises(LexiconError) as info:
        load_lexicon([path])
    message = str(info.value)
    assert message.startswith(f"{path}: term #1 'missile': unknown category 'defense' (known: state_affairs, defence,")
    assert message.endswith("marking); fix the entry")


def test_missing_category(tmp_path: Path) -> None:
    path = write(tmp_path, 'terms = [ { text = "missile", weight = 0.5 } ]\n')
    with pytest.raises(LexiconError, match="term #1 'missile': no category"):
        load_lexicon([path])


def test_duplicate_across_files_after_folding(tmp_path: Path) -> None:
    first = write(tmp_path, 'category = "marking"\nterms = [ { text = "TOP SECRET", weight = 1, floor = 4 } ]\n', "a.toml")
    second = write(tmp_path, 'category = "handling"\nterms = [ { text = "ｔｏｐ  secret", weight = 0.4 } ]\n', "b.toml")
    with pytest.raises(LexiconError) as info:
        load_lexicon([first, second])
    assert str(info.value) == f"{second}: term #1 'ｔｏｐ  secret': duplicate of term #1 in {first}; fix the entry"


def test_packaged_files_are_named_relative_to_the_project() -> None:
    path = ROOT / "keywords" / "data" / "zh_defence.toml"
    with pytest.raises(LexiconError) as info:
        load_lexicon([path, path])
    assert str(info.value) == (
        "keywords/data/zh_defence.toml: term #1 '作战方案': duplicate of term #1 in "
        "keywords/data/zh_defence.toml; fix the entry"
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('terms = [ { text = "x", weight = 0.5, category = "defence" } ]\nversion = 2\n',
         "unknown top-level key 'version' (allowed: lang, category, terms, description); fix the file"),
        ('category = "defense"\nterms = []\n', "unknown category 'defense' (known: "),
        ('lang = "de"\nterms = []\n', "lang 'de' is not 'zh' or 'en'; fix the file"),
        ('category = "defence"\n', "no 'terms' list; add terms = [ { text = ..., weight = ... }, ... ]"),
        ('category = "defence"\nterms = []\n', "no 'terms' list"),
        ('terms = [ "作战方案" ]\n', "term #1: is not a table { text = ..., weight = ... }; fix the entry"),
        ('terms = [ { text = "x", weight = 0.5 \n', "not valid TOML ("),
    ],
)
def test_bad_file_messages(tmp_path: Path, body: str, message: str) -> None:
    path = write(tmp_path, body)
    with pytest.raises(LexiconError) as info:
        load_lexicon([path])
    assert str(info.value).startswith(f"{path}: {message}")
    assert "\n" not in str(info.value)


def test_missing_and_non_utf8_files(tmp_path: Path) -> None:
    missing = tmp_path / "absent.toml"
    with pytest.raises(LexiconError) as info:
        load_lexicon([missing])
    assert str(info.value) == f"{missing}: cannot read the lexicon (No such file or directory); check the path"
    latin = tmp_path / "latin.toml"
    latin.write_bytes('terms = [ { text = "caf\u00e9", weight = 0.5, category = "defence" } ]\n'.encode("latin-1"))
    with pytest.raises(LexiconError, match=r"not UTF-8 text|not valid TOML"):
        load_lexicon([latin])
