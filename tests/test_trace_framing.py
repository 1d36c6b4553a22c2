"""A recipient who leaks and wants a colleague blamed: every way of moving the colleague's marks
onto a leak made from one's own copy names no one; genuine leaks still name their recipient.

Copies of one real draft are issued through the command line to three recipients; A is the
leaker (000001), B the colleague to be framed (000002). Traces run in-process on real files.
"""

from __future__ import annotations

import io
import json
import re
import unicodedata
from pathlib import Path

import numpy as np
import pymupdf
import pytest
from PIL import Image

from tests.conftest import SAMPLES
from tests.test_cli_e2e import _passwords, run, run_json

DRAFT = "zh_notice_secret.pdf"


class Copy:
    """One issued copy, decrypted: its register fields, plain PDF bytes and page 1 image."""

    def __init__(self, entry: dict, plain: bytes) -> None:
        self.entry = entry
        self.serial = entry["serial"]
        self.recipient_id = entry["recipient_id"]
        self.plain = plain
        with pymupdf.open(stream=plain, filetype="pdf") as doc:
            self.text = doc[0].get_text()
            self.token = _info_token(doc)
            pix = doc[0].get_pixmap(dpi=150)
            self.size = (doc[0].rect.width, doc[0].rect.height)
        self.image = Image.frombytes("RGB", (pix.width, pix.height), pix.samples)


@pytest.fixture(scope="module")
def issued(tmp_path_factory) -> dict:
    """Three copies of the draft, issued once for every test of this module."""
    from mijian.pipeline.issuing import decrypt_copy

    root = tmp_path_factory.mktemp("framing")
    home, out, recipients = root / "home", root / "out", root / "three.csv"
    lines = (SAMPLES / "recipients.csv").read_text(encoding="utf-8").splitlines()
    recipients.write_text("\n".join(lines[:4]) + "\n", encoding="utf-8")
    manifest = run_json("issue", str(SAMPLES / DRAFT), "--recipients", str(recipients),
                        "--out", str(out), home=home)
    passwords = _passwords(out)
    copies = [Copy(c, decrypt_copy(out / c["file"], passwords[c["serial"]]))
              for c in manifest["copies"]]
    return {"home": home, "root": root, "a": copies[0], "b": copies[1], "out": out,
            "manifest": manifest}


def _trace(issued: dict, path: Path):
    from mijian.pipeline.office import Office
    from mijian.pipeline.tracing import trace

    with Office.open(issued["home"]) as office:
        return trace(office, path)


def _info_token(doc: pymupdf.Document) -> str | None:
    kind, value = doc.xref_get_key(-1, "Info")
    if kind != "xref":
        return None
    kind, token = doc.xref_get_key(int(value.split()[0]), "MijianToken")
    return token.strip("()") if kind == "string" else None


def _layer(result, name: str):
    return next(layer for layer in result.layers if layer.name == name)


def _qr_box(image: Image.Image) -> tuple[int, int, int, int]:
    """The bounding box of the QR symbol on a page image (with a small margin)."""
    import zxingcpp

    [found] = zxingcpp.read_barcodes(np.asarray(image.convert("L")),
                                     formats=zxingcpp.BarcodeFormat.QRCode)
    p = found.position
    xs = [p.top_left.x, p.top_right.x, p.bottom_left.x, p.bottom_right.x]
    ys = [p.top_left.y, p.top_right.y, p.bottom_left.y, p.bottom_right.y]
    return min(xs) - 6, min(ys) - 6, max(xs) + 7, max(ys) + 7


def _image_pdf(image: Image.Image, size: tuple[float, float]) -> pymupdf.Document:
    """A one-page image-only PDF of ``image`` (a page printed to PDF as a picture)."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    doc = pymupdf.open()
    page = doc.new_page(width=size[0], height=size[1])
    page.insert_image(page.rect, stream=buffer.getvalue())
    doc.set_metadata({"title": "scan"})
    return doc


def _set_token(doc: pymupdf.Document, token: str) -> None:
    kind, value = doc.xref_get_key(-1, "Info")
    assert kind == "xref"
    doc.xref_set_key(int(value.split()[0]), "MijianToken", pymupdf.get_pdf_str(token))


def _names_no_one(result, innocent) -> None:
    assert result.verdict in {"conflict", "inconclusive"}, result
    assert result.recipient_id is None and result.serial is None
    assert result.false_match_probability is None
    assert innocent.recipient_id not in {result.recipient_id}


def test_genuine_leaks_of_a_are_identified(issued, tmp_path):
    """A's decrypted file, page image and pasted page text name A; every layer is read."""
    a = issued["a"]
    (tmp_path / "a.pdf").write_bytes(a.plain)
    a.image.save(tmp_path / "a.png")
    (tmp_path / "a.txt").write_text(a.text, encoding="utf-8")
    for name in ("a.pdf", "a.png", "a.txt"):
        result = _trace(issued, tmp_path / name)
        assert result.verdict == "identified" and result.recipient_id == a.recipient_id, (name, result)
        assert result.false_match_probability <= 1e-6
        assert [p.serial for p in result.points_to] == [a.serial]
    pdf = _trace(issued, tmp_path / "a.pdf")
    # the QR symbol and the page fingerprint are read although the metadata verified
    for name, moved_by in (("metadata", "file"), ("qr-code", "sight"), ("page-fingerprint", "signal"),
                           ("visible-text", "sight"), ("text-code", "file")):
        layer = _layer(pdf, name)
        assert layer.verdict in {"valid", "consistent"} and layer.moved_by == moved_by, layer


def test_b_qr_pasted_over_a_page_image(issued, tmp_path):
    """Framing 1: B's QR symbol cut from B's page and pasted over A's on A's page image."""
    a, b = issued["a"], issued["b"]
    box = _qr_box(b.image)
    leak = a.image.copy()
    leak.paste(b.image.crop(box), box[:2])
    leak.save(tmp_path / "framed.png")
    result = _trace(issued, tmp_path / "framed.png")
    _names_no_one(result, b)
    assert result.verdict == "conflict"
    assert _layer(result, "qr-code").copies == (b.entry["copy_id"],)
    assert a.entry["copy_id"] in _layer(result, "page-fingerprint").copies
    assert {p.serial for p in result.points_to} == {a.serial, b.serial}
    assert "framing" in _layer_verdict(result, "conflict").detail


def _layer_verdict(result, verdict: str):
    return next(layer for layer in result.layers if layer.verdict == verdict)


def test_b_printed_code_in_a_pasted_text_without_format_characters(issued, tmp_path):
    """Framing 2: A's page text, every Unicode Cf character removed, A's printed code replaced
    by B's; the text still says A's 份号."""
    a, b = issued["a"], issued["b"]
    text = "".join(ch for ch in a.text if unicodedata.category(ch) != "Cf")
    code_a, code_b = (re.search(r"MJ1-\S+", c.text).group(0) for c in (a, b))
    assert code_a in text and f"份号{a.serial}" in text
    (tmp_path / "framed.txt").write_text(text.replace(code_a, code_b), encoding="utf-8")
    result = _trace(issued, tmp_path / "framed.txt")
    _names_no_one(result, b)
    assert result.verdict == "conflict"
    assert _layer(result, "visible-code").copies == (b.entry["copy_id"],)
    assert _layer(result, "visible-text").copies == (a.entry["copy_id"],)
    # without the 份号 either, only a sight-copyable code is left: B is not identified
    bare = text.replace(code_a, code_b).replace(f"份号{a.serial}", "")
    (tmp_path / "bare.txt").write_text(bare, encoding="utf-8")
    weak = _trace(issued, tmp_path / "bare.txt")
    assert weak.verdict == "indicated" and weak.recipient_id is None
    assert [p.serial for p in weak.points_to] == [b.serial] and weak.false_match_probability == 1.0


def test_a_pages_rasterised_with_b_metadata_token(issued, tmp_path):
    """Framing 3: A's page rasterised into an image-only PDF whose Info holds B's token."""
    a, b = issued["a"], issued["b"]
    doc = _image_pdf(a.image, a.size)
    _set_token(doc, b.token)
    doc.save(tmp_path / "framed.pdf")
    result = _trace(issued, tmp_path / "framed.pdf")
    _names_no_one(result, b)
    assert result.verdict == "conflict"
    assert _layer(result, "metadata").copies == (b.entry["copy_id"],)
    assert _layer(result, "qr-code").copies == (a.entry["copy_id"],)
    assert _layer(result, "page-fingerprint").copies == (a.entry["copy_id"],)


@pytest.mark.parametrize("planted", ["printed code", "text code"])
def test_a_pages_rasterised_with_b_hidden_text(issued, tmp_path, planted):
    """Framing 4: the same image-only PDF with B's printed code as tiny white text, or with
    one run of B's invisible text code."""
    a, b = issued["a"], issued["b"]
    if planted == "printed code":
        text = re.search(r"MJ1-\S+", b.text).group(0)
    else:
        text = re.search("\u2062[^\u2063]+\u2063", b.text).group(0)
    doc = _image_pdf(a.image, a.size)
    writer = pymupdf.TextWriter(doc[0].rect)
    writer.append((40, 820), text, font=pymupdf.Font("cjk"), fontsize=1)
    writer.write_text(doc[0], color=(1, 1, 1))
    doc.save(tmp_path / "framed.pdf")
    result = _trace(issued, tmp_path / "framed.pdf")
    _names_no_one(result, b)
    assert result.verdict == "conflict"
    layer = "visible-code" if planted == "printed code" else "text-code"
    assert _layer(result, layer).copies == (b.entry["copy_id"],)
    assert a.entry["copy_id"] in {p.copy_id for p in result.points_to}


def test_top_half_of_a_and_bottom_half_of_b(issued, tmp_path):
    """A page image made of A's top half and B's bottom half (B's QR included) names no one."""
    a, b = issued["a"], issued["b"]
    leak = np.asarray(a.image).copy()
    half = leak.shape[0] // 2
    leak[half:] = np.asarray(b.image)[half:]
    Image.fromarray(leak).save(tmp_path / "halves.png")
    result = _trace(issued, tmp_path / "halves.png")
    _names_no_one(result, b)
    assert result.verdict == "conflict"
    assert {p.serial for p in result.points_to} == {a.serial, b.serial}
    assert any(layer.name == "fusion" and layer.verdict == "several copies" for layer in result.layers)


def test_conflict_json_through_the_command_line(issued, tmp_path):
    """The CLI prints the new verdict and the copies pointed to, exits 0, and names no one."""
    a, b = issued["a"], issued["b"]
    box = _qr_box(b.image)
    leak = a.image.copy()
    leak.paste(b.image.crop(box), box[:2])
    leak.save(tmp_path / "framed.png")
    done = run("trace", str(tmp_path / "framed.png"), "--json", home=issued["home"])
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["verdict"] == "conflict" and out["recipient_id"] is None
    assert {p["serial"] for p in out["points_to"]} == {a.serial, b.serial}
    assert {l["moved_by"] for l in out["layers"] if l["name"] in ("qr-code", "page-fingerprint")} \
        == {"sight", "signal"}
    human = run("trace", str(tmp_path / "framed.png"), home=issued["home"])
    assert human.returncode == 0 and "Conflict" in human.stdout and b.serial in human.stdout


def test_watermark_name_of_b_beside_a_serial_is_a_conflict(issued, tmp_path):
    """The visible name is compared too: A's pasted text whose watermark line names B beside
    A's 份号 points to both copies."""
    a, b = issued["a"], issued["b"]
    text = a.text + f"\n{b.entry['recipient_name']} 份号 {a.serial}\n"
    (tmp_path / "named.txt").write_text(text, encoding="utf-8")
    result = _trace(issued, tmp_path / "named.txt")
    _names_no_one(result, b)
    assert result.verdict == "conflict"
    assert set(_layer(result, "visible-text").copies) == {a.entry["copy_id"], b.entry["copy_id"]}


def test_genuine_text_without_format_characters_is_only_indicated(issued, tmp_path):
    """A's own page text with the invisible code stripped: only sight-copyable marks remain
    (printed code and 份号), so A's copy is pointed to but its holder is not identified."""
    a = issued["a"]
    text = "".join(ch for ch in a.text if unicodedata.category(ch) != "Cf")
    (tmp_path / "plain.txt").write_text(text, encoding="utf-8")
    result = _trace(issued, tmp_path / "plain.txt")
    assert result.verdict == "indicated" and result.recipient_id is None
    assert [(p.serial, p.recipient_id) for p in result.points_to] == [(a.serial, a.recipient_id)]
    assert set(result.points_to[0].layers) == {"visible-code", "visible-text"}
    human = run("trace", str(tmp_path / "plain.txt"), home=issued["home"])
    assert human.returncode == 0 and "Indicated" in human.stdout and a.serial in human.stdout


def test_image_only_pdf_of_b_with_a_qr_left_is_a_conflict_whatever_the_page(issued, tmp_path):
    """A two-page image-only PDF: page 1 is A's (QR and fingerprint), page 2 is B's; the
    metadata is B's. Every rendered page is read, so A's page makes it a conflict."""
    a, b = issued["a"], issued["b"]
    doc = _image_pdf(b.image, b.size)
    buffer = io.BytesIO()
    a.image.save(buffer, format="PNG")
    page = doc.new_page(pno=0, width=a.size[0], height=a.size[1])
    page.insert_image(page.rect, stream=buffer.getvalue())
    _set_token(doc, b.token)
    doc.save(tmp_path / "two.pdf")
    result = _trace(issued, tmp_path / "two.pdf")
    _names_no_one(result, b)
    assert result.verdict == "conflict"
    assert set(_layer(result, "page-fingerprint").copies) == {a.entry["copy_id"], b.entry["copy_id"]}


def test_info_token_of_b_beside_xmp_token_of_a(issued, tmp_path):
    """A's file with B's token in the Info dictionary and its own left in the XMP: both tokens
    are weighed, so the metadata layer itself points to both copies."""
    a, b = issued["a"], issued["b"]
    doc = pymupdf.open(stream=a.plain, filetype="pdf")
    assert a.token in doc.get_xml_metadata()
    _set_token(doc, b.token)
    doc.save(tmp_path / "swapped.pdf")
    result = _trace(issued, tmp_path / "swapped.pdf")
    _names_no_one(result, b)
    assert set(_layer(result, "metadata").copies) == {a.entry["copy_id"], b.entry["copy_id"]}


def test_b_token_on_unmarked_material_is_only_indicated(issued, tmp_path):
    """B's token put in the properties of a page that carries no mark of any copy (the
    unmarked draft rasterised): the content does not come from B's copy, so B is not named."""
    b = issued["b"]
    with pymupdf.open(SAMPLES / DRAFT) as draft:
        pix = draft[0].get_pixmap(dpi=150)
        size = (draft[0].rect.width, draft[0].rect.height)
    doc = _image_pdf(Image.frombytes("RGB", (pix.width, pix.height), pix.samples), size)
    _set_token(doc, b.token)
    doc.save(tmp_path / "token-only.pdf")
    result = _trace(issued, tmp_path / "token-only.pdf")
    assert result.verdict == "indicated" and result.recipient_id is None, result
    assert [p.serial for p in result.points_to] == [b.serial]
    assert _layer(result, "metadata").copies == (b.entry["copy_id"],)


def test_a_doubled_page_measured_on_the_issued_file_itself_does_not_hide_its_holder(
        issued, tmp_path, monkeypatch):
    """The overlap measure can take a sparse page of one copy for the marks of two. On a leak
    that is byte for byte an issued copy it cannot be a merge, and the holder is named; on a
    page image the same measure still keeps anyone from being named."""
    from mijian.pipeline import trace_images

    real = trace_images.read_fingerprints
    monkeypatch.setattr(trace_images, "read_fingerprints",
                        lambda *args, **kwargs: (real(*args, **kwargs)[0], 1))
    a = issued["a"]
    result = _trace(issued, issued["out"] / a.entry["file"])
    assert result.verdict == "identified" and result.recipient_id == a.recipient_id, result
    a.image.save(tmp_path / "page.png")
    assert _trace(issued, tmp_path / "page.png").recipient_id is None


def test_halves_are_read_unless_the_leak_is_the_issued_file_itself(issued, tmp_path):
    """A page whose bands name a copy is read in halves too, for a second copy pieced in
    beside it; the issued file's own bytes cannot be pieced together, and are read in bands."""
    a = issued["a"]
    as_issued = _layer(_trace(issued, issued["out"] / a.entry["file"]), "page-fingerprint")
    (tmp_path / "a.pdf").write_bytes(a.plain)
    decrypted = _layer(_trace(issued, tmp_path / "a.pdf"), "page-fingerprint")
    assert as_issued.verdict == decrypted.verdict == "valid"
    assert "band" in as_issued.detail and "half" not in as_issued.detail, as_issued.detail
    assert "half" in decrypted.detail, decrypted.detail


def test_a_new_mark_layer_is_one_more_reader(issued, tmp_path, monkeypatch):
    """The tracer reads every layer through the list of readers: a reader added to it is read
    and reported with the others, and one that needs page images is 'not examined' on text."""
    from mijian.pipeline import trace_readers
    from mijian.pipeline.trace_model import Layer

    seen = []

    def read(leak):
        seen.append(len(leak.images or []))
        return trace_readers.Reading(Layer("test-layer", "absent", "nothing here", "signal"))

    extra = trace_readers.MarkReader("test-layer", "signal", True, read)
    monkeypatch.setattr(trace_readers, "READERS", (*trace_readers.READERS, extra))
    a = issued["a"]
    a.image.save(tmp_path / "page.png")
    on_image = _trace(issued, tmp_path / "page.png")
    (tmp_path / "page.txt").write_text(a.text, encoding="utf-8")
    on_text = _trace(issued, tmp_path / "page.txt")
    assert seen == [1]
    assert [layer.verdict for layer in on_image.layers if layer.name == "test-layer"] == ["absent"]
    assert [layer.verdict for layer in on_text.layers if layer.name == "test-layer"] == ["not examined"]
    assert on_image.recipient_id == a.recipient_id and on_text.recipient_id == a.recipient_id
