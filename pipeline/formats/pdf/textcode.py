"""Place the invisible text code of a PDF copy inside the page's own text, line by line.

Each body line gets one run of the code (:mod:`watermark.textcode`) drawn right after the
last operator that shows the line's text, in the same text object, at the line's font size,
where the line's text stops: the run continues the line's baseline. So every extractor puts
the run next to the line it ends: those that follow the content stream (MuPDF's plain order,
poppler's raw mode, a browser viewer's text layer) because the run is drawn right after the
line, and those that sort by position (MuPDF sorted, poppler's default and layout modes)
because the run sits on the line's baseline at its end. An excerpt of a few lines taken
from any of these orders therefore holds whole runs. (A code drawn in a stream of its own
comes out of stream-order extractors as one block after all the page's text.)

The run is drawn in render mode 3 (nothing is painted) with a tiny Type 3 font of two or
so empty, zero-width glyphs, each standing for a piece of the run (up to 32 characters) in
the font's ToUnicode map. The glyphs sit :data:`SPACING` apart, ending where the line
ends, so the run adds nothing to the line's box and no extractor takes two glyphs for
one printed twice. The font, render mode and character spacing are set back after the
run, so the page draws exactly as before.
"""

from __future__ import annotations

import functools
import zlib
from dataclasses import dataclass

import pymupdf

from mijian.pipeline.formats.pdf.content import ContentError, ShowOp, line_ends, show_ops

MAX_PIECE = 32
"""Most characters one glyph stands for (MuPDF ignores longer one-to-many ToUnicode entries)."""
FONT_NAME = "MJtc"
"""Resource name of the code font on the pages (a suffix is added if the page uses it)."""
SPACING = 0.11
"""Character spacing (``Tc``) between a run's glyphs, in ems of the line's font size: poppler
takes glyphs closer than 0.1 em for text printed twice and splits them into words apart."""


def _number(value: float) -> bytes:
    """A PDF number without needless digits."""
    text = f"{value:.5f}".rstrip("0").rstrip(".")
    return (text if text not in ("", "-0") else "0").encode()


def _pieces(code: str) -> list[str]:
    """``code`` cut into the fewest nearly equal pieces of at most :data:`MAX_PIECE` characters."""
    count = -(-len(code) // MAX_PIECE)
    size = -(-len(code) // count)
    return [code[i:i + size] for i in range(0, len(code), size)]


def _to_unicode(pieces: list[str]) -> bytes:
    """A ToUnicode CMap sending the one-byte code ``i + 1`` to ``pieces[i]``."""
    pairs = b"".join(b"<%02X> <%s>\n" % (i + 1, piece.encode("utf-16-be").hex().upper().encode())
                     for i, piece in enumerate(pieces))
    return (b"/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
            b"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
            b"/CMapName /MJtc-UCS def\n/CMapType 2 def\n"
            b"1 begincodespacerange\n<00> <FF>\nendcodespacerange\n"
            + b"%d beginbfchar\n" % len(pieces) + pairs
            + b"endbfchar\nendcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n")


def _new_object(doc: pymupdf.Document, source: str, stream: bytes | None = None) -> int:
    """Add an object (with a stream, when given) to ``doc``; returns its xref."""
    xref = doc.get_new_xref()
    doc.update_object(xref, source)
    if stream is not None:
        doc.update_stream(xref, stream)
    return xref


def code_font(doc: pymupdf.Document, code: str) -> tuple[int, bytes]:
    """Add the code font of one copy to ``doc``; return its xref and the operator that shows
    the whole run (see :func:`_run_operators` for the state around it).

    It is a Type 3 font of a few empty glyphs of zero width, each of which stands for a
    piece of the run in the font's ToUnicode map: no font file, a few hundred bytes. The
    glyphs are drawn :data:`SPACING` apart, the first that far before the line's end, so
    that the run adds nothing to the line's extent; text extractors give each glyph's
    piece in full, in order, as part of the line's last word."""
    pieces = _pieces(code)
    glyph = _new_object(doc, "<<>>", b"0 0 d0")
    unicode_map = _new_object(doc, "<<>>", _to_unicode(pieces))
    count = len(pieces)
    names = " ".join(f"/g{i + 1}" for i in range(count))
    procs = " ".join(f"/g{i + 1} {glyph} 0 R" for i in range(count))
    font = _new_object(
        doc,
        f"<</Type/Font/Subtype/Type3/FontBBox[0 -200 1000 800]/FontMatrix[0.001 0 0 0.001 0 0]"
        f"/CharProcs<<{procs}>>/Encoding<</Type/Encoding/Differences[1 {names}]>>"
        f"/FirstChar 1/LastChar {count}/Widths[{' '.join('0' * count)}]"
        f"/ToUnicode {unicode_map} 0 R/Resources<<>>>>")
    back = round(SPACING * 1000 * (count - 1))
    glyphs = "".join(f"{i + 1:02X}" for i in range(count))
    return font, f"[{back} <{glyphs}>]TJ".encode()


def measure(page: pymupdf.Page) -> tuple[ShowOp, ...] | None:
    """The line ends of a page's content stream (the same for every copy of one draft), or
    None when the stream cannot be read; an empty tuple when it shows no text."""
    return measure_stream(page.read_contents())


def measure_stream(data: bytes) -> tuple[ShowOp, ...] | None:
    """The line ends of the content stream ``data`` (see :func:`measure`)."""
    try:
        ends = line_ends(show_ops(data))
    except (ContentError, IndexError, ValueError, OverflowError):
        return None
    return tuple(e for e in ends if e.font and e.font_size)


def _run_operators(run: bytes, end: ShowOp, name: bytes) -> bytes:
    """The operators drawing one run after ``end`` and restoring the state it changed."""
    before, after = _around(end.font_size, end.font, end.render, end.spacing, name)
    return before + run + after


@functools.lru_cache(maxsize=4096)
def _around(font_size: float, font: bytes, render: int, spacing: float,
            name: bytes) -> tuple[bytes, bytes]:
    """The operators before and after a run drawn where a line in this state ends. The
    states of a draft's line ends are few and the same for every copy, and formatting
    their numbers was most of the cost of placing the code (25 runs a page, every page of
    every copy), so they are formatted once per process."""
    before = b" /" + name + b" " + _number(font_size) + b" Tf 3 Tr "
    before += _number(SPACING * font_size) + b" Tc "
    after = b" " + font + b" " + _number(font_size) + b" Tf " + _number(render) + b" Tr "
    return before, after + _number(spacing) + b" Tc\n"


def with_runs(data: bytes, run: bytes, name: bytes, ends: tuple[ShowOp, ...],
              limit: int) -> bytes:
    """The content stream ``data`` with a run after each of ``ends`` (at most ``limit``,
    spread evenly over the page)."""
    if len(ends) > limit:
        step = len(ends) / limit
        ends = tuple(ends[int(i * step)] for i in range(limit))
    pieces, start = [], 0
    for end in ends:
        pieces += [data[start:end.end], _run_operators(run, end, name)]
        start = end.end
    pieces.append(data[start:])
    return b"".join(pieces)


def _font_dict_owner(doc: pymupdf.Document, page: pymupdf.Page) -> tuple[int, str]:
    """The object and key path under which the page's font resources live."""
    kind, value = doc.xref_get_key(page.xref, "Resources")
    holder, prefix = page.xref, "Resources/"
    if kind == "xref":
        holder, prefix = int(value.split()[0]), ""
    kind, value = doc.xref_get_key(holder, prefix + "Font")
    if kind == "xref":
        return int(value.split()[0]), ""
    if kind != "dict":
        doc.xref_set_key(holder, prefix + "Font", "<<>>")
    return holder, prefix + "Font/"


def place(doc: pymupdf.Document, number: int, run: bytes, ends: tuple[ShowOp, ...],
          font_xref: int, limit: int, known: dict | None = None) -> bool:
    """Draw ``run`` (made by :func:`code_font`) after the line ends of page ``number``, measured
    by :func:`measure` on the same page; False (and nothing changed) when there are none.

    The page's content goes into a new stream of its own; the streams it showed before are
    left as they were, for other pages that may show them too.

    ``known`` keeps, for the copies of one draft (each opened from the same prepared bytes),
    what the first copy worked out for the page: the font's resource name, the page's new
    content deflated once, and the stream it replaced. The run is the same for every copy
    whose code has as many pieces, so that content is too: a later copy only adds the
    stream and names its own code font (see :func:`_place_known`)."""
    key = (number, run, limit)
    found = known.get(key) if known is not None else None
    if found is not None and _place_known(doc, number, font_xref, found):
        return True
    page = doc[number]
    streams = page.get_contents()
    if not streams or not ends:
        return False
    holder, path = _font_dict_owner(doc, page)
    name = FONT_NAME
    while True:  # a name the page does not use for another font
        kind, value = doc.xref_get_key(holder, path + name)
        if kind == "null" or value == f"{font_xref} 0 R":
            break
        name += "x"
    data = with_runs(page.read_contents(), run, name.encode(), ends, limit)
    if known is not None:
        known[key] = _Placed(name, _contents_key(doc, page.xref), zlib.compress(data, 6))
    doc.xref_set_key(holder, path + name, f"{font_xref} 0 R")
    # A stream of the page's own: its old streams may be shown by other pages too (a PDF
    # may give several pages one stream, or one first stream of an array), which must keep
    # their content; streams no page shows any more go when the copy is saved.
    doc.xref_set_key(page.xref, "Contents", f"{_new_object(doc, '<<>>', data)} 0 R")
    return True


@dataclass(frozen=True)
class _Placed:
    """What the first copy of a draft found for one page (see :func:`place`): the code font's
    resource name, the page's ``/Contents`` entry it replaced, and the new content, deflated."""

    name: str
    contents: str
    deflated: bytes


def _contents_key(doc: pymupdf.Document, xref: int) -> str:
    """The page's ``/Contents`` entry as PyMuPDF writes it (``12 0 R``, ``[12 0 R 13 0 R]``)."""
    return " ".join(doc.xref_get_key(xref, "Contents"))


def _place_known(doc: pymupdf.Document, number: int, font_xref: int, placed: _Placed) -> bool:
    """Put a page's code as an earlier copy of the same draft worked it out: False (nothing
    changed) when the page does not look as it did then (its content entry differs, or its
    fonts already use the name), and the full way is taken instead."""
    from pymupdf import mupdf

    pdf = mupdf.pdf_document_from_fz_document(doc)
    page = mupdf.pdf_lookup_page_obj(pdf, number)
    if _contents_key(doc, mupdf.pdf_to_num(page)) != placed.contents:
        return False
    resources = mupdf.pdf_dict_get(page, mupdf.pdf_new_name("Resources"))
    if not mupdf.pdf_is_dict(resources):
        mupdf.pdf_dict_put(page, mupdf.pdf_new_name("Resources"), mupdf.pdf_new_dict(pdf, 1))
        resources = mupdf.pdf_dict_get(page, mupdf.pdf_new_name("Resources"))
    fonts = mupdf.pdf_dict_get(resources, mupdf.pdf_new_name("Font"))
    if not mupdf.pdf_is_dict(fonts):
        mupdf.pdf_dict_put(resources, mupdf.pdf_new_name("Font"), mupdf.pdf_new_dict(pdf, 1))
        fonts = mupdf.pdf_dict_get(resources, mupdf.pdf_new_name("Font"))
    name = mupdf.pdf_new_name(placed.name)
    if not mupdf.pdf_is_null(mupdf.pdf_dict_get(fonts, name)):
        return False
    mupdf.pdf_dict_put(fonts, name, mupdf.pdf_new_indirect(pdf, font_xref, 0))
    head = mupdf.pdf_new_dict(pdf, 1)
    mupdf.pdf_dict_put(head, mupdf.pdf_new_name("Filter"), mupdf.pdf_new_name("FlateDecode"))
    stream = mupdf.pdf_add_stream(pdf, mupdf.fz_new_buffer_from_copied_data(placed.deflated),
                                  head, 1)
    mupdf.pdf_dict_put(page, mupdf.pdf_new_name("Contents"), stream)
    return True
