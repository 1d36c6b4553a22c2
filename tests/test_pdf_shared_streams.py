"""Pages that show one content stream (the same stream, or the same first stream of an array)
keep their own text and their own text code when the code is drawn into them."""

from __future__ import annotations

import pymupdf
import pytest

from mijian.pipeline.crypto import OfficeKey
from mijian.pipeline.formats.pdf import textcode as pdf_textcode
from mijian.pipeline.formats.pdf.copy import prepare
from mijian.pipeline.limits import DEFAULT_LIMITS
from mijian.watermark import textcode
from mijian.watermark.codes import new_copy_id

KEY = OfficeKey("k1", b"k" * 32)
TEXTS = ("Alpha opens the first page\nand alpha ends it",
         "Beta fills the second page\nbeta closes it",
         "Gamma writes the third page\ngamma signs it")


def _stream(doc: pymupdf.Document, data: bytes) -> int:
    xref = doc.get_new_xref()
    doc.update_object(xref, "<<>>")
    doc.update_stream(xref, data)
    return xref


def _shared(kind: str) -> bytes:
    """Three pages of text; ``same``: page 2 shows page 1's stream; ``array``: every page
    shows [one shared stream, its own stream, another shared stream]; ``twin``: page 2 is
    drawn like page 1 in a stream of its own (saving with ``garbage=4``, as :func:`prepare`
    does, makes the two one stream)."""
    doc = pymupdf.open()
    for text in TEXTS if kind != "twin" else (TEXTS[0], *TEXTS[:2]):
        doc.new_page().insert_text((72, 100), text, fontsize=12)
    if kind == "twin":
        return doc.tobytes()
    if kind == "same":
        doc.xref_set_key(doc[1].xref, "Contents", f"{doc[0].get_contents()[0]} 0 R")
    else:
        head, tail = _stream(doc, b"q\n"), _stream(doc, b"\nQ")
        for page in doc:
            own = page.get_contents()[0]
            doc.xref_set_key(page.xref, "Contents", f"[{head} 0 R {own} 0 R {tail} 0 R]")
    return doc.tobytes()


@pytest.mark.parametrize(("kind", "prepared"), [("same", False), ("array", False),
                                                 ("same", True), ("twin", True)])
def test_pages_sharing_a_stream_keep_their_text_and_code(kind, prepared):
    source = _shared(kind)
    if prepared:
        source = prepare(source, DEFAULT_LIMITS)
    copy_id = new_copy_id(b"\x01" * 8)
    with pymupdf.open(stream=source, filetype="pdf") as doc:
        assert len({page.get_contents()[0] for page in doc}) < len(doc), "a stream is shared"
        own = [page.get_text() for page in doc]
        ends = [pdf_textcode.measure(page) for page in doc]  # measured before any is drawn
        xref, run = pdf_textcode.code_font(doc, textcode.encode(KEY, copy_id))
        for page in doc:
            assert pdf_textcode.place(doc, page.number, run, ends[page.number] or (), xref, 80)
        coded = doc.tobytes(garbage=4, deflate=True)
    with pymupdf.open(stream=coded, filetype="pdf") as doc:
        for page, text in zip(doc, own):
            after = page.get_text()
            assert textcode.strip(after) == text, page.number
            runs = textcode.find(after)
            assert len(runs) == len(text.splitlines()), "one run a line, no more"
            assert all(found == copy_id and textcode.verify([KEY], found, tag) == "k1"
                       for found, tag in runs)


def test_issued_copy_of_twin_pages_traces_from_every_page(tmp_path, home):
    from mijian.pipeline.office import Office
    from mijian.pipeline.tracing import trace
    from tests.test_excerpts import _issue

    draft = tmp_path / "twins.pdf"
    draft.write_bytes(_shared("twin"))
    (recipient, plain), = _issue(draft, tmp_path, home, count=1)
    with Office.open(home) as office, pymupdf.open(plain) as doc:
        for page, text in zip(doc, (TEXTS[0], *TEXTS[:2])):
            after = page.get_text()
            assert textcode.strip(after).startswith(text + "\n"), page.number
            assert len(textcode.find(after)) == len(text.splitlines()), page.number
            leak = tmp_path / f"page{page.number}.txt"
            leak.write_text(after, encoding="utf-8")
            assert trace(office, leak).recipient_id == recipient, page.number


@pytest.mark.parametrize("kind", ["same", "array"])
def test_later_copies_of_a_draft_reuse_the_pages_and_carry_their_own_code(kind):
    """The copies of one draft share what the first worked out for each page (``known``):
    a later copy draws its own code, never the first one's, on every line, and a page whose
    content differs from the first copy's is worked out again."""
    source = prepare(_shared(kind), DEFAULT_LIMITS)
    with pymupdf.open(stream=source, filetype="pdf") as doc:
        own = [page.get_text() for page in doc]
        ends = [pdf_textcode.measure(page) or () for page in doc]
    known: dict = {}
    for copy in (1, 2, 3):
        copy_id = new_copy_id(bytes([copy]) * 8)
        with pymupdf.open(stream=source, filetype="pdf") as doc:
            if copy == 3:  # the last page now shows a stream of its own: the full way again
                doc.xref_set_key(doc[2].xref, "Contents", f"{_stream(doc, doc[2].read_contents())} 0 R")
            xref, run = pdf_textcode.code_font(doc, textcode.encode(KEY, copy_id))
            assert all(pdf_textcode.place(doc, page.number, run, ends[page.number], xref, 80, known)
                       for page in doc)
            coded = doc.tobytes(garbage=4, deflate=True)
        assert len(known) == len(own), "one entry a page, kept from the first copy"
        with pymupdf.open(stream=coded, filetype="pdf") as doc:
            for page, text in zip(doc, own):
                after = page.get_text()
                assert textcode.strip(after) == text, (copy, page.number)
                runs = textcode.find(after)
                assert len(runs) == len(text.splitlines()), (copy, page.number)
                assert {found for found, _tag in runs} == {copy_id}, (copy, page.number)
