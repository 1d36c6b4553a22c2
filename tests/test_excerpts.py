"""Excerpts of a few lines trace in every extraction order; the runs leave the text and layout
as they were; photos of a paragraph crop trace like the crop."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pymupdf
import pytest

from mijian.pipeline.formats.pdf import textcode as pdf_textcode
from mijian.pipeline.office import Office
from mijian.pipeline.formats.pdf.content import line_ends, show_ops, tokens
from mijian.pipeline.tracing import trace
from tests.conftest import ROOT, SAMPLES
from tests.test_cli_e2e import run_json
from mijian.watermark import textcode

sys.path.insert(0, str(ROOT))
from bench.excerpt_bench import ORDERS, excerpt, order_text

PDFTOTEXT = shutil.which("pdftotext")
CODE = textcode.START + "".join(textcode.SYMBOLS[i % 5] for i in range(54)) + textcode.END


def _issue(draft: Path, tmp: Path, home: Path, count: int = 2) -> list[tuple[str, Path]]:
    """Issue ``draft`` to the first ``count`` sample recipients; (recipient id, plain copy)."""
    lines = (SAMPLES / "recipients.csv").read_text(encoding="utf-8").splitlines()
    recipients = tmp / "recipients.csv"
    recipients.write_text("\n".join(lines[:count + 1]) + "\n", encoding="utf-8")
    out = tmp / f"out-{draft.stem}"
    manifest = run_json("issue", str(draft), "--recipients", str(recipients), "--out", str(out),
                        home=home)
    with open(out / "passwords.csv", encoding="utf-8") as stream:
        passwords = {row["serial"]: row["password"] for row in csv.DictReader(stream)}
    copies = []
    for copy in manifest["copies"]:
        plain = tmp / f"{draft.stem}-{copy['serial']}.pdf"
        with pymupdf.open(out / copy["file"]) as doc:
            assert doc.authenticate(passwords[copy["serial"]])
            doc.save(plain)
        copies.append((copy["recipient_id"], plain))
    return copies


def _orders() -> list[str]:
    return [o for o in ORDERS if PDFTOTEXT or not o.startswith("poppler")]


@pytest.mark.parametrize("draft", ["zh_notice_secret.pdf", "zh_training_public.txt",
                                   "en_report_confidential.pdf"])
def test_excerpts_trace_in_every_extraction_order(draft, tmp_path, home):
    copies = _issue(SAMPLES / draft, tmp_path, home)
    rng = np.random.default_rng(11)
    missed = []
    with Office.open(home) as office:
        for recipient, plain in copies:
            with pymupdf.open(plain) as doc:
                for page in list(doc)[:2]:
                    for order in _orders():
                        text = order_text(plain, page, order)
                        for i in range(4):
                            leak = tmp_path / f"{plain.stem}-{page.number}-{order}-{i}.txt"
                            leak.write_text(excerpt(text, rng, 150, 170), encoding="utf-8")
                            result = trace(office, leak)
                            assert result.recipient_id in (None, recipient), "never a wrong name"
                            if result.recipient_id != recipient:
                                missed.append(f"{order} page {page.number + 1}: {leak.read_text()!r}")
    assert not missed, "\n".join(missed[:3])


def test_pasted_excerpt_traces_through_the_cli(tmp_path, home):
    (recipient, plain), = _issue(SAMPLES / "zh_notice_secret.pdf", tmp_path, home, count=1)
    with pymupdf.open(plain) as doc:
        text = doc[1].get_text()
    leak = tmp_path / "excerpt.txt"
    start = len(text) // 3
    leak.write_text(excerpt(text[start:], np.random.default_rng(3), 160, 160), encoding="utf-8")
    result = run_json("trace", str(leak), home=home)
    assert result["recipient_id"] == recipient
    assert any(l["name"] == "text-code" and l["verdict"] == "valid" for l in result["layers"])


def _prepared(draft: str) -> bytes:
    from mijian.pipeline.limits import DEFAULT_LIMITS
    from mijian.pipeline.formats.pdf.copy import prepare

    if draft.endswith(".txt"):
        from mijian.pipeline.formats.pdf.typeset import text_to_pdf
        from mijian.pipeline.readers import read_document

        document = read_document(SAMPLES / draft)
        return prepare(text_to_pdf(document.text, document.title, document.language),
                        DEFAULT_LIMITS)
    return prepare((SAMPLES / draft).read_bytes(), DEFAULT_LIMITS)


def _with_runs(source: bytes, path: Path) -> int:
    placed = 0
    with pymupdf.open(stream=source, filetype="pdf") as doc:
        xref, run_bytes = pdf_textcode.code_font(doc, CODE)
        for page in doc:
            ends = pdf_textcode.measure(page)
            placed += pdf_textcode.place(doc, page.number, run_bytes, ends or (), xref, 80)
        doc.save(path, garbage=4, deflate=True)
    return placed


def _lines(text: str) -> list[str]:
    """The text's lines without the code and without white space (the runs may change how
    much white space a layout-keeping extractor puts before a line), empty lines dropped."""
    return [squeezed for line in textcode.strip(text).splitlines()
            if (squeezed := "".join(line.split()))]


@pytest.mark.parametrize("draft", ["zh_notice_secret.pdf", "zh_training_public.txt",
                                   "en_report_confidential.pdf"])
def test_runs_leave_text_and_layout_unchanged(draft, tmp_path):
    source = _prepared(draft)
    before, after = tmp_path / "before.pdf", tmp_path / "after.pdf"
    before.write_bytes(source)
    assert _with_runs(source, after) > 0
    with pymupdf.open(before) as old, pymupdf.open(after) as new:
        for a, b in zip(old, new):
            for order in _orders():
                lines_a = _lines(order_text(before, a, order))
                lines_b = _lines(order_text(after, b, order))
                if order == "poppler-default":  # may place a lone number a line earlier
                    lines_a, lines_b = sorted(lines_a), sorted(lines_b)
                assert lines_b == lines_a, order
            assert a.get_pixmap(dpi=50).samples == b.get_pixmap(dpi=50).samples, "nothing drawn"
            assert [blk[:4] for blk in a.get_text("blocks")] == \
                   [blk[:4] for blk in b.get_text("blocks")], "the text boxes stay where they were"
            assert b.get_text().count(textcode.START) >= 3


def test_every_line_of_a_text_draft_ends_with_a_run(tmp_path):
    path = tmp_path / "coded.pdf"
    _with_runs(_prepared("zh_training_public.txt"), path)
    with pymupdf.open(path) as doc:
        for line in doc[0].get_text().splitlines():
            if textcode.strip(line).strip():
                assert line.endswith(textcode.END) and line.count(textcode.START) == 1, line


def test_content_scanner_follows_state_and_strings():
    stream = (b"q 1 0 0 1 10 20 cm BT /F1 12 Tf 14 TL 50 700 Td (a \\) (b) c) Tj "
              b"[(x) -250 (y)] TJ T* <414243> Tj ET Q BI /W 1 /H 1 /BPC 8 /CS /G ID \xff(\n"
              b"EI BT /F2 9 Tf 2 0 0 2 100 100 Tm (z) ' ET % Tj in a comment\n")
    kinds = [t.kind for t in tokens(stream)]
    assert "inline" in kinds and kinds.count("str") == 5
    ops = show_ops(stream)
    assert [op.font for op in ops] == [b"/F1", b"/F1", b"/F1", b"/F2"]
    assert (ops[0].x, ops[0].y) == (60.0, 720.0) and ops[1].x is None and ops[1].y == 720.0
    assert ops[2].y == 706.0 and ops[3].size == 18.0
    ends = line_ends(ops)
    assert [stream[:e.end].rsplit(b" ", 1)[-1] for e in ends] == [b"TJ", b"Tj", b"'"]


def test_unreadable_stream_is_left_to_the_separate_run():
    assert pdf_textcode.measure_stream(b"BT /F1 12 Tf (never closed Tj ET") is None


@pytest.mark.skipif(PDFTOTEXT is None, reason="pdftotext (poppler-utils) is not installed")
def test_poppler_keeps_every_symbol_of_a_run(tmp_path):
    path = tmp_path / "coded.pdf"
    _with_runs(_prepared("en_report_confidential.pdf"), path)
    for option in ("-raw", "-layout", None):
        args = [PDFTOTEXT, *([option] if option else []), "-l", "1", str(path), "-"]
        text = subprocess.run(args, capture_output=True, timeout=300).stdout.decode()
        runs = [r for r in text.split(textcode.START)[1:] if textcode.END in r]
        assert runs, option
        for r in runs:
            symbols = "".join(ch for ch in r.split(textcode.END)[0] if not ch.isspace())
            assert symbols == CODE[1:-1], option


def test_photo_of_a_paragraph_crop_traces_like_the_crop(tmp_path, home):
    """A crop photographed askew (perspective 3-10 %, turned, on a dark table, JPEG) names
    the same recipient as the crop; nothing ever names another."""
    from PIL import Image

    from bench.excerpt_bench import body_crop, photo_of

    (recipient, plain), = _issue(SAMPLES / "zh_training_public.txt", tmp_path, home, count=1)
    rng = np.random.default_rng(4)
    named = 0
    with Office.open(home) as office, pymupdf.open(plain) as doc:
        for i in range(3):
            pixmap = doc[i % 2].get_pixmap(dpi=200)
            render = Image.frombytes("RGB", (pixmap.width, pixmap.height), pixmap.samples)
            crop = body_crop(doc[i % 2], render, rng)
            photo = photo_of(crop, rng, blur=(0.0, 0.0), light=False, noise=1.0,
                             quality=(88, 92), scale=(1.0, 1.0))
            leak = tmp_path / f"photo{i}.jpg"
            photo.save(leak, quality=95)
            result = trace(office, leak)
            assert result.recipient_id in (None, recipient)
            named += result.recipient_id == recipient
    assert named >= 2
