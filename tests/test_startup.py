"""Start-up stays light: the commands people run most import only what they use.

These tests check which modules a fresh interpreter loads, not how long it takes, so they
hold on a busy machine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _modules_after(code: str) -> set[str]:
    """The modules a fresh interpreter has loaded after running ``code``."""
    script = f"{code}\nimport sys, json; print(json.dumps(sorted(sys.modules)))"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env=env, check=True)
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def test_version_is_answered_before_the_command_line_is_built():
    loaded = _modules_after(
        "import sys\nsys.argv = ['mijian', '--version']\n"
        "from mijian.pipeline.cli import main\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    assert exc.code == 0\n")
    assert not {"typer", "rich", "mijian.pipeline.cli.app"} & loaded


def test_the_service_package_imports_a_verb_module_only_when_the_verb_is_used():
    loaded = _modules_after("import mijian.pipeline.service as s\nassert s.trace")
    assert "mijian.pipeline.service.leaks" in loaded
    assert not {"mijian.pipeline.service.drafts", "mijian.pipeline.issuing",
                "mijian.pipeline.register_report"} & loaded


def test_every_exported_verb_resolves_and_the_list_is_complete():
    import mijian.pipeline.service as service

    assert sorted(service.__all__) == sorted(service._WHERE)
    for name in service.__all__:
        assert getattr(service, name) is not None, name


def test_tracing_pasted_text_loads_no_image_or_issuing_code():
    loaded = _modules_after("import mijian.pipeline.tracing")
    assert not {"PIL", "PIL.Image", "numpy", "pymupdf", "mijian.pipeline.issuing",
                "mijian.pipeline.trace_images"} & loaded, json.dumps(sorted(loaded))[:300]


def test_the_version_is_read_without_importlib_metadata_and_agrees_with_it():
    loaded = _modules_after("import mijian\nprint(mijian.__version__)")
    assert "importlib.metadata" not in loaded
    from importlib.metadata import PackageNotFoundError, version

    import mijian

    try:
        expected = version("mijian")
    except PackageNotFoundError:
        expected = "0+source"
    assert mijian.__version__ == expected


def test_a_command_builds_only_itself_and_anything_else_the_whole_app():
    from mijian.pipeline.cli.app import _narrowed, app

    def names(argv: list[str]) -> list[str]:
        narrow = _narrowed(argv)
        return [info.name or info.callback.__name__ for info in narrow.registered_commands] + \
            [info.name for info in narrow.registered_groups]

    assert names(["classify", "draft.pdf", "--json"]) == ["classify"]
    assert names(["print", "--help"]) == ["print"]
    assert names(["register", "list"]) == ["register"]
    for argv in ([], ["--help"], ["clasify"], ["--version", "classify"]):
        assert _narrowed(argv) is app, argv


HEAVY = {"typer", "click", "rich", "numpy", "pymupdf", "PIL", "mijian.pipeline.cli.app"}
"""What a trace of pasted text never needs: the argument parser, the renderer, arrays and PDFs."""


def _run_main(argv: list[str]) -> str:
    """Code running the command line's entry point on ``argv`` to its normal end."""
    return ("import sys, io, contextlib\n"
            f"sys.argv = ['mijian', *{argv!r}]\n"
            "from mijian.pipeline.cli import main\n"
            "try:\n    with contextlib.redirect_stdout(io.StringIO()):\n        main()\n"
            "except SystemExit as exc:\n    assert exc.code == 0, exc.code\n")


def test_trace_of_pasted_text_runs_without_the_parser_arrays_or_pdf(tmp_path, monkeypatch):
    monkeypatch.setenv("MIJIAN_HOME", str(tmp_path / "home"))
    leak = tmp_path / "pasted.txt"
    leak.write_text("关于加强涉密文件管理的通知\n各单位要严格执行文件登记制度。\n", encoding="utf-8")
    loaded = _modules_after(_run_main(["trace", str(leak), "--json"]))
    assert "mijian.pipeline.tracing" in loaded
    assert not HEAVY & loaded, sorted(HEAVY & loaded)


def test_classify_with_plain_words_runs_without_the_parser(tmp_path):
    draft = tmp_path / "draft.txt"
    draft.write_text("机密 会议纪要：关于某型装备的部署计划。\n", encoding="utf-8")
    loaded = _modules_after(_run_main(["classify", str(draft), "--json", "--scheme", "cn-state"]))
    assert "mijian.classifiers.engine" in loaded
    assert not {"typer", "click", "numpy", "pymupdf", "mijian.pipeline.cli.app"} & loaded, sorted(HEAVY & loaded)


def test_the_direct_commands_know_exactly_the_options_of_the_typer_commands():
    import typer.main

    from mijian.pipeline.cli.app import app
    from mijian.pipeline.cli.direct import SPECS

    group = typer.main.get_command(app)
    for name, spec in SPECS.items():
        command = group.commands[name]
        arguments = [p.name for p in command.params if p.param_type_name == "argument"]
        flags = {opt: p.name for p in command.params if p.param_type_name == "option" and p.is_flag
                 for opt in p.opts}
        values = {opt: p.name for p in command.params if p.param_type_name == "option" and not p.is_flag
                  for opt in p.opts}
        assert arguments == [spec.argument], name
        assert flags == spec.flags, name
        assert values == spec.values, name
        paths = {p.name for p in command.params if "path" in type(p.type).__name__.lower()}
        assert paths == set(spec.paths), name


def test_only_plain_words_are_read_without_typer(monkeypatch):
    from pathlib import Path

    from mijian.pipeline.cli.direct import parse

    assert parse(["classify", "a.pdf", "--json"]) == ("classify", {"draft": Path("a.pdf"), "as_json": True})
    assert parse(["classify", "--lang=en", "-v", "a.pdf", "--catalogue", "c.toml"]) == (
        "classify", {"lang": "en", "verbose": True, "draft": Path("a.pdf"), "catalogue": Path("c.toml")})
    assert parse(["trace", "leak.txt"]) == ("trace", {"leak": Path("leak.txt")})
    for argv in (["classify"], ["classify", "--help"], ["classify", "a.pdf", "b.pdf"],
                 ["classify", "a.pdf", "--scheme"], ["classify", "a.pdf", "--scheme", "--json"],
                 ["classify", "a.pdf", "--lang", "en", "--lang", "zh"], ["classify", "a.pdf", "--bogus"],
                 ["classify", "--", "a.pdf"], ["classify", "a.pdf", "--json=1"], ["trace", "a.txt", "-v"],
                 ["trace", ""], ["issue", "a.pdf"], [], ["--json", "trace", "a.txt"]):
        assert parse(argv) is None, argv
    monkeypatch.setenv("_MIJIAN_COMPLETE", "complete_bash")
    assert parse(["trace", "leak.txt"]) is None
