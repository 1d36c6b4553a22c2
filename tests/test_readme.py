"""Every command of the README runs, in order, as a new user would type it.

The README's ``bash`` blocks are run one after the other in a scratch folder holding the
samples, with ``mijian`` and ``python`` standing for this checkout (the Quick start's ``pip
install`` into ``.venv`` is left to CI's own install; its ``mijian`` commands are run). The leaked
files the trace section names (a pasted page, a photo of a page) are made from a copy the
section before issued, as a leaker would make them. The Python example runs as a script.
Long-running servers (``mijian serve``) are not started here, and the block that calls a running
server with ``curl`` is left to the web app's own tests.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

README = ROOT / "README.md"
BLOCK = re.compile(r"^```(bash|python)\n(.*?)^```", re.S | re.M)
SKIPPED = re.compile(r"^\s*mijian serve\b")


def blocks() -> list[tuple[str, str]]:
    """The README's bash and python blocks, in order."""
    return [(m.group(1), m.group(2)) for m in BLOCK.finditer(README.read_text(encoding="utf-8"))]


def quick_start(body: str) -> str:
    """The Quick start's mijian commands, without the install into ``.venv``."""
    steps = [part.strip() for line in body.splitlines() for part in line.split("&&")]
    return "\n".join(s.replace(".venv/bin/mijian", "mijian") for s in steps
                     if s.startswith(".venv/bin/mijian"))


def prelude() -> str:
    """``mijian``, ``python`` and ``python3`` as this checkout's interpreter."""
    py = sys.executable
    return (f'mijian() {{ "{py}" -m mijian "$@"; }}\npython() {{ "{py}" "$@"; }}\n'
            f'python3() {{ "{py}" "$@"; }}\nset -e\n')


def leaks_for_trace(folder: Path) -> None:
    """``pasted-page.txt`` and ``photo-of-page.jpg`` from copy 000002 of the report."""
    import pymupdf

    from mijian.pipeline.issuing import decrypt_copy

    lines = (folder / "out/report/passwords.csv").read_text(encoding="utf-8").splitlines()
    password = next(line.split(",")[2] for line in lines if line.startswith("000002,"))
    plain = decrypt_copy(folder / "out/report/000002_R002.pdf", password)
    with pymupdf.open(stream=plain, filetype="pdf") as doc:
        (folder / "pasted-page.txt").write_text(doc[0].get_text(), encoding="utf-8")
        doc[0].get_pixmap(dpi=150).pil_save(folder / "photo-of-page.jpg", quality=85)


@pytest.fixture()
def scratch(tmp_path: Path) -> Path:
    """A folder holding the samples and test data the README names."""
    shutil.copytree(ROOT / "samples", tmp_path / "samples")
    shutil.copytree(ROOT / "tests" / "data", tmp_path / "tests" / "data")
    return tmp_path


def test_readme_commands_run_in_order(scratch: Path) -> None:
    env = dict(os.environ, MIJIAN_HOME=str(scratch / "home"),
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    found = blocks()
    assert found and found[0][0] == "bash", "the README opens with a Quick start block"
    for index, (kind, body) in enumerate(found):
        if kind == "python":
            (scratch / f"example{index}.py").write_text(body, encoding="utf-8")
            args = [sys.executable, f"example{index}.py"]
        elif "curl " in body:
            continue
        else:
            body = quick_start(body) if index == 0 else body
            if "pasted-page.txt" in body:
                leaks_for_trace(scratch)
            script = "\n".join(line for line in body.replace("\\\n", "").splitlines()
                               if not SKIPPED.match(line))
            args = ["bash", "-c", prelude() + script]
        done = subprocess.run(args, cwd=scratch, env=env, capture_output=True, text=True,
                              timeout=600)
        assert done.returncode == 0, f"README block {index + 1} failed:\n{body}\n{done.stderr[-2000:]}"
