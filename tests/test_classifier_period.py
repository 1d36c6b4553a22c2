"""`mijian issue` marks the period the classifier's rationale states (a scope item's ending event)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from mijian.classifiers import classify
from mijian.pipeline.model import Document

from tests.conftest import ROOT, SAMPLES

DRAFT = """关于调整存款准备金率的请示

一、经测算，拟将金融机构存款准备金率下调0.5个百分点，释放长期资金约一万亿元。
二、降准方案拟于本月第三个周五收市后宣布，宣布前严格控制知悉范围。
三、同步调整公开市场操作安排，稳定市场预期。
"""


def _document(text: str) -> Document:
    return Document(source="t.txt", kind="txt", text=text, language="zh", sha256="0" * 64)


def test_the_suggestion_states_an_event_bound_period() -> None:
    s = classify(_document(DRAFT))
    assert s.level == 3 and s.scope_item == "cn-finance-01"
    assert s.period_source == "scope" and s.period_event
    assert s.period_text() == s.period_event and s.period_text() in s.rationale[-1]


def test_issue_marks_the_period_the_rationale_states(tmp_path: Path, home: Path) -> None:
    draft = tmp_path / "draft.txt"
    draft.write_text(DRAFT, encoding="utf-8")
    lines = (SAMPLES / "recipients.csv").read_text(encoding="utf-8").splitlines()
    people = tmp_path / "people.csv"
    people.write_text("\n".join(lines[:2]) + "\n", encoding="utf-8")
    env = dict(os.environ, MIJIAN_HOME=str(home))
    done = subprocess.run([sys.executable, "-m", "mijian", "issue", str(draft), "--recipients", str(people),
                           "--out", str(tmp_path / "out"), "--json"],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    manifest = json.loads(done.stdout)
    stated = classify(_document(DRAFT)).period_text()
    assert stated and manifest["grade"] == "机密" and manifest["period"] == stated, manifest
