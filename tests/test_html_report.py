"""Tests for the self-contained HTML report of a classification."""

from __future__ import annotations

from pathlib import Path

import pytest

from mijian.pipeline.analysis import classify_document
from mijian.pipeline.errors import UsageError
from mijian.pipeline.html_report import render_html, write_html_report
from mijian.pipeline.model import Document

TEXT = "<script>alert(1)</script>\n本通知按机密级管理。参演部队约3200人于4月14日开进，阅后收回。\"quoted\" & more"


def result(source: str = "draft.txt"):  # type: ignore[no-untyped-def]
    d = Document(source=source, sha256="ab" * 32, kind="txt", language="zh", text=TEXT)
    return classify_document(d, "cn-state")


def test_page_is_escaped_and_self_contained() -> None:
    page = render_html(result())
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "http://" not in page and "https://" not in page and "src=" not in page
    assert page.startswith("<!DOCTYPE html>") and 'charset="utf-8"' in page
    assert "机密" in page and "定密依据 Basis" in page


def test_findings_are_highlighted_with_explanations() -> None:
    r = result()
    page = render_html(r)
    assert page.count("<mark") >= 3
    assert "本通知按机密级" in page
    for f in r.suggestion.findings:
        assert f.explanation.replace("'", "&#x27;").replace('"', "&quot;") in page or f.explanation in page
    for line in r.suggestion.rationale:
        assert line in page


def test_write_is_atomic_and_refuses_the_draft(tmp_path: Path) -> None:
    out = write_html_report(result(), tmp_path / "sub" / "report.html")
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in out.parent.iterdir()] == ["report.html"]
    draft = tmp_path / "draft.txt"
    draft.write_text(TEXT, encoding="utf-8")
    with pytest.raises(UsageError, match="is the draft itself"):
        write_html_report(result(str(draft)), draft)
    assert draft.read_text(encoding="utf-8") == TEXT
