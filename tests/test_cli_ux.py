"""The command line as people and scripts meet it: ``--json`` on every command and on errors,
the ``classify`` summary, skip messages, recipients encodings, Ctrl-C, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mijian.pipeline.cli import main
from mijian.pipeline.cli.output import EXIT_BAD_INPUT, EXIT_INTERRUPTED, EXIT_REGISTER, EXIT_USAGE
from tests.conftest import ROOT, SAMPLES


def run(*args: str, home: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, MIJIAN_HOME=str(home))
    return subprocess.run([sys.executable, "-m", "mijian", *args], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=300)


def call(capsys, *args: str) -> tuple[int, str, str]:
    """Run the command line in this process; its exit code, stdout and stderr."""
    with pytest.raises(SystemExit) as ended:
        main(list(args))
    out, err = capsys.readouterr()
    return ended.value.code, out, err


@pytest.fixture()
def gbk(tmp_path: Path) -> Path:
    path = tmp_path / "excel-gbk.csv"
    path.write_bytes("id,name,unit\nR1,周立衡,办公室\nR2,何振邦,保密处\n".encode("gbk"))
    return path


@pytest.mark.parametrize("args,code", [
    (("classify", "no-such-draft.pdf"), EXIT_BAD_INPUT),
    (("issue", "samples/en_press_release.txt"), EXIT_USAGE),  # --recipients missing
    (("register", "show", "NOSUCHCOPY00"), EXIT_REGISTER),
    (("classify", "samples/en_press_release.txt", "--lang", "fr"), EXIT_USAGE),
])
def test_errors_with_json_print_one_object_and_one_line(capsys, home, args, code):
    got, out, err = call(capsys, *args, "--json")
    assert got == code
    shown = json.loads(out)
    assert set(shown) == {"error", "exit"} and shown["exit"] == code
    assert len(err.strip().splitlines()) == 1 and shown["error"] in err
    got, out, err = call(capsys, *args)
    assert got == code and out == "" and len(err.strip().splitlines()) == 1


def test_keys_and_backup_print_json(capsys, home, tmp_path):
    code, out, _ = call(capsys, "keys", "list", "--json")
    first = json.loads(out)["keys"]
    assert code == 0 and len(first) == 1 and first[0]["current"] is True
    assert set(first[0]) == {"key_id", "created", "current"}
    code, out, _ = call(capsys, "keys", "rotate", "--json")
    rotated = json.loads(out)
    assert code == 0 and rotated["kept"] == 2 and rotated["key_id"] != first[0]["key_id"]
    code, out, _ = call(capsys, "keys", "list", "--json")
    assert [k["key_id"] for k in json.loads(out)["keys"]] == [rotated["key_id"], first[0]["key_id"]]
    dest = tmp_path / "backup.db"
    code, out, _ = call(capsys, "register", "backup", str(dest), "--json")
    assert code == 0 and json.loads(out) == {"backup": str(dest)} and dest.stat().st_size > 0
    code, out, _ = call(capsys, "register", "backup", str(dest), "--json")
    assert code == EXIT_USAGE and "already exists" in json.loads(out)["error"]


def test_classify_summary_and_verbose(capsys, home):
    draft = str(SAMPLES / "zh_notice_secret.pdf")
    code, summary, _ = call(capsys, "classify", draft)
    assert code == 0
    findings = len(json.loads(call(capsys, "classify", draft, "--json")[1])["findings"])
    assert findings > 5
    assert f"{findings - 5} more findings" in summary and "Suggested grade" in summary
    assert "Period" in summary and "Basis" in summary and "Rationale" in summary
    code, verbose, _ = call(capsys, "classify", draft, "--verbose")
    assert code == 0 and "more findings" not in verbose
    assert len(verbose.splitlines()) > 2 * len(summary.splitlines())


def test_ctrl_c_during_issue_says_how_to_finish(capsys, monkeypatch, home, tmp_path):
    from mijian.pipeline import service

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(service, "issue", interrupted)
    args = ("issue", str(SAMPLES / "en_press_release.txt"), "--recipients",
            str(SAMPLES / "recipients.csv"), "--out", str(tmp_path / "out"))
    code, out, err = call(capsys, *args)
    assert code == EXIT_INTERRUPTED and out == ""
    assert len(err.strip().splitlines()) == 1 and "run the same command again" in err
    code, out, err = call(capsys, *args, "--json")
    assert code == EXIT_INTERRUPTED and json.loads(out)["exit"] == EXIT_INTERRUPTED


def test_xlsx_without_the_extra_is_one_line(capsys, monkeypatch, home, tmp_path):
    workbook = tmp_path / "list.xlsx"
    workbook.write_bytes(b"PK\x03\x04" + bytes(60))
    monkeypatch.setitem(sys.modules, "openpyxl", None)
    code, out, err = call(capsys, "issue", str(SAMPLES / "en_press_release.txt"), "--recipients",
                          str(workbook), "--out", str(tmp_path / "out"))
    assert code == 1 and out == "" and "mijian[xlsx]" in err
    assert len(err.strip().splitlines()) == 1 and not (tmp_path / "out").exists()


def test_gbk_recipients_are_said_and_skips_say_where_the_copy_is(home, tmp_path, gbk):
    out = tmp_path / "out"
    args = ("issue", str(SAMPLES / "en_press_release.txt"), "--recipients", str(gbk), "--out", str(out))
    first = run(*args, home=home)
    assert first.returncode == 0, first.stderr
    assert "GBK" in first.stdout and "周立衡" in first.stdout
    assert first.stderr == "", "no progress bar without a terminal"
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert [c["recipient_name"] for c in manifest["copies"]] == ["周立衡", "何振邦"]
    again = run(*args, "--jobs", "1", home=home)
    assert again.returncode == 0, again.stderr
    for copy in manifest["copies"]:
        line = next(text for text in again.stdout.splitlines()
                    if f"skipped 已有副本 {copy['recipient_id']}" in text)
        assert copy["serial"] in line and copy["copy_id"] in line and str(out / copy["file"]) in line


def test_jobs_below_one_is_a_usage_error(capsys, home, tmp_path):
    code, _, err = call(capsys, "issue", str(SAMPLES / "en_press_release.txt"), "--recipients",
                        str(SAMPLES / "recipients.csv"), "--jobs", "0", "--out", str(tmp_path / "o"))
    assert code == EXIT_USAGE and "--jobs" in err and not home.exists()


def test_version(capsys):
    code, out, _ = call(capsys, "--version")
    assert code == 0 and out.startswith("mijian ")
