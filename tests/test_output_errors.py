"""An output that cannot be written is a problem of the machine (exit 1), not bad input (exit 3)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mijian.pipeline.analysis import classify_document
from mijian.pipeline.errors import InputError, MijianError, OutputError
from mijian.pipeline.html_report import write_html_report
from mijian.pipeline.model import Document
from mijian.pipeline.safe_files import writing_to
from tests.conftest import ROOT, SAMPLES


def test_output_error_is_exit_1_and_not_bad_input() -> None:
    assert OutputError.exit_code == 1
    assert issubclass(OutputError, MijianError) and not issubclass(OutputError, InputError)


def test_writing_to_names_the_file_and_what_to_do(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    with pytest.raises(OutputError) as caught, writing_to(blocker / "out"):
        (blocker / "out").mkdir()
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{blocker / 'out'}: could not be written (Not a directory)")
    assert "check the path, its permissions and the disk" in message


def test_writing_to_lets_other_errors_through(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not an OSError"), writing_to(tmp_path):
        raise ValueError("not an OSError")


def test_html_report_into_a_file_is_an_output_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    document = Document(source=str(tmp_path / "draft.txt"), sha256="ab" * 32, kind="txt",
                        language="zh", text="本通知按机密级管理，阅后收回。")
    with pytest.raises(OutputError, match="could not be written"):
        write_html_report(classify_document(document, "cn-state"), blocker / "report.html")
    assert blocker.read_text(encoding="utf-8") == "not a folder"


def test_issue_into_an_unwritable_place_exits_1_with_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    home = tmp_path / "home"
    env = dict(os.environ, MIJIAN_HOME=str(home))
    done = subprocess.run([sys.executable, "-m", "mijian", "issue", str(SAMPLES / "zh_notice_secret.pdf"),
                           "--recipients", str(SAMPLES / "recipients.csv"), "--out", str(blocker / "out")],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"mijian: {blocker / 'out'}: could not be written"), done.stderr
    assert "internal error" not in done.stderr
    assert blocker.read_text(encoding="utf-8") == "not a folder"
