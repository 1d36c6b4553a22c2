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
