"""Put the pages of a copy's overlay document on the copy's pages, cheaply.

The marks of a copy are drawn on a separate overlay document (so the draft's own fonts
and resources are left alone), then each overlay page is shown on its copy page as Form
XObjects. PyMuPDF's ``show_pdf_page`` does that in general, but for every call it scans
the target page's resources and content for names and balance, which for a long draft
costs more than drawing the marks. Here the overlay's content streams are grafted as they
are (compressed bytes copied, nothing re-encoded), each made a Form XObject with the
overlay page's resources, and the copy page shows them after its own content, which
:func:`wrap` has closed in ``q``/``Q`` once per draft.

Fonts of the overlay are subset once per copy from a scratch page that draws every piece
of text the overlay draws (see :func:`subset_fonts`), not by scanning every overlay page.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pymupdf
from pymupdf import mupdf

from mijian.pipeline.formats.pdf.fonts import append_line


def plain_geometry(page: pymupdf.Page) -> bool:
    """Whether an overlay page of the page's size lands on it with no transformation:
    upright, and the crop box is the media box with its origin at (0, 0)."""
    media = page.mediabox
    return (not page.rotation and media.x0 == 0 and media.y0 == 0
            and page.cropbox == media)


def wrap(doc: pymupdf.Document) -> None:
    """Close every page's content in ``q``/``Q`` so that what is drawn after it starts from
    the default graphics state (done once per draft, before any copy)."""
    for page in doc:
        if not page.is_wrapped:
            page.wrap_contents()


class Grafter:
    """Shows overlay pages on the pages of one copy; objects shared by several overlay pages
    (fonts, the watermark sheet, the QR form) are copied once."""

    def __init__(self, doc: pymupdf.Document, overlay: pymupdf.Document) -> None:
        self._doc = doc
        self._overlay = overlay
        self._target = mupdf.pdf_document_from_fz_document(doc)
        self._source = mupdf.pdf_document_from_fz_document(overlay)
        self._map = mupdf.pdf_new_graft_map(self._target)
        self._forms: dict[int, list[int]] = {}

    def _forms_of(self, number: int) -> list[int]:
        """Xrefs (in the copy) of the forms made of overlay page ``number``'s streams."""
        found = self._forms.get(number)
        if found is not None:
            return found
        page = mupdf.pdf_lookup_page_obj(self._source, number)
        resources = mupdf.pdf_graft_mapped_object(
            self._map, mupdf.pdf_dict_get_inheritable(page, mupdf.pdf_new_name("Resources")))
        box = mupdf.pdf_dict_get_inheritable(page, mupdf.pdf_new_name("MediaBox"))
        contents = mupdf.pdf_dict_get(page, mupdf.pdf_new_name("Contents"))
        streams = ([mupdf.pdf_array_get(contents, i) for i in range(mupdf.pdf_array_len(contents))]
                   if mupdf.pdf_is_array(contents) else [contents])
        found = []
        for stream in streams:
            if not mupdf.pdf_is_stream(stream):
                continue
            form = mupdf.pdf_graft_mapped_object(self._map, stream)
            mupdf.pdf_dict_put(form, mupdf.pdf_new_name("Type"), mupdf.pdf_new_name("XObject"))
            mupdf.pdf_dict_put(form, mupdf.pdf_new_name("Subtype"), mupdf.pdf_new_name("Form"))
            mupdf.pdf_dict_put(form, mupdf.pdf_new_name("BBox"),
                               mupdf.pdf_graft_mapped_object(self._map, box))
            mupdf.pdf_dict_put(form, mupdf.pdf_new_name("Resources"), resources)
            found.append(mupdf.pdf_to_num(form))
        self._forms[number] = found
        return found

    def show(self, page: pymupdf.Page, numbers: Sequence[int]) -> None:
        """Draw overlay pages ``numbers`` over ``page`` (same size, plain geometry), in order."""
        forms = [xref for number in numbers for xref in self._forms_of(number)]
        if not forms:
            return
        names = [f"MJo{page.number}x{index}" for index in range(len(forms))]
        # the page object and its XObject dictionary are looked up once for all the forms
        target = mupdf.pdf_lookup_page_obj(self._target, page.number)
        objects = _xobjects(self._target, target)
        for name, xref in zip(names, forms):
            mupdf.pdf_dict_put(objects, _name(name), mupdf.pdf_new_indirect(self._target, xref, 0))
        _add_content(self._target, target,
                     ("q " + " ".join(f"/{name} Do" for name in names) + " Q").encode())


def _name(text: str) -> mupdf.PdfObj:
    return mupdf.pdf_new_name(text)


def put_xobject(pdf: mupdf.PdfDocument, number: int, name: str, xref: int) -> None:
    """Add ``/name xref 0 R`` to the XObject resources of page ``number`` (made if missing;
    a resource dictionary inherited from the page tree is given to the page first)."""
    objects = _xobjects(pdf, mupdf.pdf_lookup_page_obj(pdf, number))
    mupdf.pdf_dict_put(objects, _name(name), mupdf.pdf_new_indirect(pdf, xref, 0))


def _xobjects(pdf: mupdf.PdfDocument, page: mupdf.PdfObj) -> mupdf.PdfObj:
    """The XObject resource dictionary of the page object ``page`` (see :func:`put_xobject`)."""
    resources = mupdf.pdf_dict_get(page, _name("Resources"))
    if not mupdf.pdf_is_dict(resources):
        inherited = mupdf.pdf_dict_get_inheritable(page, _name("Resources"))
        resources = (mupdf.pdf_copy_dict(inherited) if mupdf.pdf_is_dict(inherited)
                     else mupdf.pdf_new_dict(pdf, 2))
        mupdf.pdf_dict_put(page, _name("Resources"), resources)
        resources = mupdf.pdf_dict_get(page, _name("Resources"))
    objects = mupdf.pdf_dict_get(resources, _name("XObject"))
    if not mupdf.pdf_is_dict(objects):
        mupdf.pdf_dict_put(resources, _name("XObject"), mupdf.pdf_new_dict(pdf, 4))
        objects = mupdf.pdf_dict_get(resources, _name("XObject"))
    return objects


def add_content(pdf: mupdf.PdfDocument, number: int, content: bytes) -> None:
    """Add ``content`` as a new, uncompressed content stream drawn after page ``number``'s
    own (the copy is deflated when it is saved)."""
    _add_content(pdf, mupdf.pdf_lookup_page_obj(pdf, number), content)


def _add_content(pdf: mupdf.PdfDocument, page: mupdf.PdfObj, content: bytes) -> None:
    """:func:`add_content` on the page object ``page``."""
    stream = mupdf.pdf_add_stream(pdf, mupdf.fz_new_buffer_from_copied_data(content),
                                  mupdf.PdfObj(), 0)
    contents = mupdf.pdf_dict_get(page, _name("Contents"))
    if mupdf.pdf_is_array(contents):
        mupdf.pdf_array_push(contents, stream)
        return
    array = mupdf.pdf_new_array(pdf, 2)
    if mupdf.pdf_is_stream(contents):
        mupdf.pdf_array_push(array, contents)
    mupdf.pdf_array_push(array, stream)
    mupdf.pdf_dict_put(page, _name("Contents"), array)


SPARE = "0123456789ABCDEFGHJKMNPQRSTVWXYZ-/ "
"""Characters every copy of a document may add to its marks beyond those of the first copy
(serials, page numbers, the printed code): kept in the per-document subsets as well."""


def _glyph_sets(texts: Iterable[tuple[Sequence[pymupdf.Font], str]]) -> dict:
    """{face ids: (faces, characters)} of ``texts``, each character once per set of faces."""
    merged: dict[tuple[int, ...], tuple[Sequence[pymupdf.Font], set[str]]] = {}
    for faces, text in texts:
        merged.setdefault(tuple(id(face) for face in faces), (faces, set()))[1].update(text)
    return merged


def _glyph_page(doc: pymupdf.Document, sets: dict) -> pymupdf.Page:
    """A scratch page drawing every character of ``sets`` in its faces, each followed by a
    space (so the space of every face in use is kept too)."""
    page = doc.new_page()
    writer = pymupdf.TextWriter(page.rect)
    for row, (faces, chars) in enumerate(sets.values()):
        text = " ".join(sorted(chars)) + " "
        if len(faces) == 1:  # one face, no fallback: as the text code is written
            writer.append((10.0, 20.0 + row), text, font=faces[0], fontsize=8.0)
        else:
            append_line(writer, (10.0, 20.0 + row), text, tuple(faces), 8.0)
    writer.write_text(page)
    return page


def subset_fonts(overlay: pymupdf.Document,
                 texts: Iterable[tuple[Sequence[pymupdf.Font], str]],
                 cache: dict | None = None) -> None:
    """Subset the overlay's embedded fonts to the glyphs of ``texts`` (every piece of text
    drawn on the overlay, with its faces; a glyph left out would be dropped).

    With a per-document ``cache``, the subsets are made once, on a scratch document, for
    the characters of the first copy and :data:`SPARE`, and each later copy whose text
    stays within them gets the finished font files (compressed once) in place of the
    whole fonts it embedded: MuPDF's subsets keep glyph ids, so the copy's text, widths
    and ToUnicode maps stay valid. Otherwise only a scratch page drawing ``texts`` is
    scanned for used glyphs, not every overlay page.
    """
    sets = _glyph_sets(texts)
    if cache is None:
        page = _glyph_page(overlay, sets)
        mupdf.pdf_subset_fonts2(mupdf.pdf_document_from_fz_document(overlay), [page.number])
        overlay.delete_page(page.number)
        return
    made = cache.get("font-subsets")
    if made is None or any(not chars <= made[0].get(key, set()) for key, (_f, chars) in sets.items()):
        spare = {key: (faces, chars | set(SPARE) | (made[0].get(key, set()) if made else set()))
                 for key, (faces, chars) in sets.items()}
        made = ({key: chars for key, (_f, chars) in spare.items()}, _font_files(spare))
        cache["font-subsets"] = made
    _swap_font_files(overlay, made[1])


def _font_files(sets: dict) -> dict[str, tuple[str, bytes, int]]:
    """Font name -> (font file key, deflated subset, its length) for the fonts that draw
    ``sets``, subset on a scratch document."""
    import zlib

    files = {}
    with pymupdf.open() as scratch:
        page = _glyph_page(scratch, sets)
        mupdf.pdf_subset_fonts2(mupdf.pdf_document_from_fz_document(scratch), [page.number])
        for _xref, name, key, file in _descriptors(scratch):
            data = scratch.xref_stream(file) or b""
            files[name] = (key, zlib.compress(data, 6), len(data))
    return files


def _descriptors(doc: pymupdf.Document):
    """(xref, font name without subset tag, font file key, font file xref) of each font
    descriptor of ``doc`` with an embedded font file. Every object is looked at, through
    MuPDF's object calls (an overlay of many pages has a few hundred objects, and asking
    each for its keys through ``xref_get_key`` cost a millisecond per ten pages)."""
    pdf = mupdf.pdf_document_from_fz_document(doc)
    kind, font_name = _name("Type"), _name("FontName")
    for xref in range(1, doc.xref_length()):
        obj = mupdf.pdf_resolve_indirect(mupdf.pdf_new_indirect(pdf, xref, 0))
        if not mupdf.pdf_is_dict(obj):
            continue
        value = mupdf.pdf_dict_get(obj, kind)
        if not mupdf.pdf_is_name(value) or mupdf.pdf_to_name(value) != "FontDescriptor":
            continue
        name = mupdf.pdf_to_name(mupdf.pdf_dict_get(obj, font_name))
        name = name.split("+", 1)[1] if len(name) > 7 and name[6] == "+" else name
        for key in ("FontFile2", "FontFile3", "FontFile"):
            file = mupdf.pdf_dict_get(obj, _name(key))
            if mupdf.pdf_is_indirect(file):
                yield xref, name, key, mupdf.pdf_to_num(file)
                break


def _swap_font_files(overlay: pymupdf.Document, files: dict[str, tuple[str, bytes, int]]) -> None:
    """Put the prepared subset in place of each embedded whole font it stands for."""
    pdf = mupdf.pdf_document_from_fz_document(overlay)
    for _xref, name, key, file in list(_descriptors(overlay)):
        found = files.get(name)
        if found is None or found[0] != key:
            continue
        stream = mupdf.pdf_load_object(pdf, file)
        mupdf.pdf_dict_put(stream, _name("Filter"), _name("FlateDecode"))
        if key == "FontFile2":
            mupdf.pdf_dict_put_int(stream, _name("Length1"), found[2])
        mupdf.pdf_update_stream(pdf, stream, mupdf.fz_new_buffer_from_copied_data(found[1]), 1)
