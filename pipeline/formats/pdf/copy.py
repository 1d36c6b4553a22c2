"""Write one issued copy of a PDF draft: marked, watermarked, tokened and AES-256 encrypted.

The marks (份号 and grade lines, banners, copy line, running header, the visible code) go
in bands at the top and bottom of each page; a page whose content reaches into those
bands is placed scaled down on a fresh page of the same size, so no mark covers the body.
All stamped text is real text in an embedded, subset font, drawn from a separate overlay
document so the draft's own fonts are left alone.

What this does not protect against: anyone holding the user password can print, copy
text or re-render the pages; the marks and metadata can be removed by editing the
decrypted file. They deter and trace; they do not prevent.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from contextlib import ExitStack
from pathlib import Path

import pymupdf
from mijian.pipeline.errors import InputError
from mijian.pipeline.formats.pdf.fonts import MissingGlyphs
from mijian.pipeline.formats.pdf.opening import (
    PYMUPDF_ERRORS,
    one_line,
    open_pdf,
    page_count,
    quiet_mupdf,
)
from mijian.pipeline.formats.pdf.overlay import Grafter, plain_geometry, wrap
from mijian.pipeline.formats.pdf.sheets import PageFacts, build_overlay, measure_pages
from mijian.pipeline.formats.pdf.stamping import PdfDraft, PdfFile
from mijian.pipeline.layers.registry import stamp as stamp_layers
from mijian.pipeline.limits import DEFAULT_LIMITS, Limits
from mijian.pipeline.model import CopyStamp

PERMISSIONS = (
    pymupdf.PDF_PERM_PRINT
    | pymupdf.PDF_PERM_PRINT_HQ
    | pymupdf.PDF_PERM_COPY
    | pymupdf.PDF_PERM_ACCESSIBILITY
)
"""What the user password allows: print and copy text (pasted text carries the marks)."""


def _shrink(
    doc: pymupdf.Document, original: pymupdf.Document, number: int, target: pymupdf.Rect
) -> None:
    """Replace page ``number`` by a page of the same size showing it in ``target``.

    ``original`` is an unmodified copy of ``doc``; links move with the content.
    """
    old = doc[number]
    links, size = old.get_links(), old.rect
    scale = target.width / size.width
    place = pymupdf.Matrix(scale, 0, 0, scale, target.x0, target.y0)
    fresh = doc.new_page(pno=number, width=size.width, height=size.height)
    fresh.show_pdf_page(target, original, number)
    for link in links:
        link["from"] = pymupdf.Rect(link["from"]) * place
        fresh.insert_link(link)
    doc.delete_page(number + 1)


def prepare(source: bytes, limits: Limits) -> bytes:
    """The draft made ready for marking, the same for every copy: annotations and form fields
    baked into the content (a copy is final, and the marks must not cover them), rotated
    pages turned upright, and every content stream rewritten so that a stream ending in the
    middle of an operator (an unterminated inline image) cannot swallow the marks after it."""
    doc = open_pdf(source, "the draft", limits)
    try:
        if doc.needs_pass:
            raise InputError(
                "the draft: the PDF is password-protected (文件已加密); expected an "
                "unencrypted draft; save it without a password and try again"
            )
        page_count(doc, "the draft", limits)
        doc.bake()
        for page in doc:
            if page.rotation:
                page.remove_rotation()
            page.clean_contents()
        wrap(doc)
        return doc.tobytes(garbage=4)
    finally:
        doc.close()


def prepared_draft(source: bytes, limits: Limits, cache: dict | None
                   ) -> tuple[bytes, tuple[PageFacts, ...], dict | None]:
    """The prepared draft, its page facts and the scratch dict its copies share (see
    :class:`~pipeline.formats.pdf.stamping.PdfDraft`), computed once per draft when a cache
    is given (no scratch dict without one)."""
    digest = hashlib.sha256(source).hexdigest()
    if cache is not None and digest in cache:
        return cache[digest]
    prepared = prepare(source, limits)
    known: dict | None = {} if cache is not None else None
    result = (prepared, measure_pages(prepared), known)
    if cache is not None:
        cache[digest] = result
    return result


def _stamp(source: bytes, stamp: CopyStamp, limits: Limits, cache: dict | None,
           destination: Path) -> None:
    """Build the encrypted copy and save it to ``destination`` (MuPDF writes the file itself:
    no round trip of the bytes through Python)."""
    prepared, facts, known = prepared_draft(source, limits, cache)
    doc = pymupdf.open(stream=prepared, filetype="pdf")
    try:
        draft = PdfDraft(doc, stamp, facts, known=known)
        stamp_layers("pdf", "draft", draft)  # layers written into the draft's own pages
        overlay, targets, shared = build_overlay(doc, stamp, facts, draft.apart, cache)
        with ExitStack() as stack:
            stack.callback(overlay.close)
            original = None
            if any(target is not None for target in targets):  # shrunk pages keep their runs
                original = pymupdf.open(stream=doc.tobytes(), filetype="pdf")
                stack.callback(original.close)
            grafter = Grafter(doc, overlay)
            for number, target in enumerate(targets):
                if target is not None and original is not None:
                    _shrink(doc, original, number, target)
                page = doc[number]
                sheet = shared[(facts[number].rect.width, facts[number].rect.height)]
                if _plain(page, target is not None, known):
                    grafter.show(page, (number, sheet))
                else:  # an offset or cropped page: PyMuPDF maps the overlay onto it
                    page.show_pdf_page(page.rect, overlay, number)
                    page.show_pdf_page(page.rect, overlay, sheet)
        stamp_layers("pdf", "file", PdfFile(doc, stamp))
        doc.save(
            str(destination),
            garbage=4,
            deflate=True,
            use_objstms=0,
            encryption=pymupdf.PDF_ENCRYPT_AES_256,
            user_pw=stamp.user_password,
            owner_pw=stamp.owner_password,
            permissions=PERMISSIONS,
        )
    finally:
        doc.close()


def _plain(page: pymupdf.Page, shrunk: bool, known: dict | None) -> bool:
    """:func:`~pipeline.formats.pdf.overlay.plain_geometry` of a copy's page, asked of MuPDF
    once per page of a draft (``known``): every copy starts from the same prepared pages,
    and a page shrunk onto a fresh one is shrunk in every copy."""
    if known is None:
        return plain_geometry(page)
    key = ("plain-geometry", page.number, shrunk)
    if key not in known:
        known[key] = plain_geometry(page)
    return known[key]


def _temporary(out_path: Path) -> Path:
    """A new empty file beside ``out_path`` for the copy to be written into; its name ends
    in ``.<pid>.partial`` like the staged files of :mod:`pipeline.issuing`, whose clean-up
    removes it if this process is killed while it builds the copy."""
    handle, temporary = tempfile.mkstemp(
        dir=out_path.parent, prefix=f".{out_path.name}.", suffix=f".{os.getpid()}.partial"
    )
    os.close(handle)
    return Path(temporary)


def _put_in_place(temporary: Path, out_path: Path) -> None:
    """Flush the written copy to disk and rename it to ``out_path`` (atomic)."""
    with temporary.open("rb+") as stream:
        os.fsync(stream.fileno())
    os.replace(temporary, out_path)


def _write_error(out_path: Path, exc: OSError) -> InputError:
    return InputError(
        f"{out_path.name}: the copy could not be written "
        f"({one_line(exc.strerror or exc, 60)}) (无法写入); "
        "expected a writable output folder; check the folder and free space"
    )


def write_pdf_copy(
    source: bytes, stamp: CopyStamp, out_path: Path, *, limits: Limits = DEFAULT_LIMITS,
    cache: dict | None = None,
) -> None:
    """Write one issued copy of the unencrypted PDF draft ``source`` to ``out_path``.

    The copy carries ``stamp.marking`` (first-page lines at the top-left of the text block,
    first-page right mark, banners top and bottom, copy line, running header), the tiled
    ``stamp.watermark_text``, the small ``stamp.visible_code`` at the foot of every page, and
    ``stamp.token`` in the Info dictionary (``/MijianToken``) and in XMP (``mijian:token``);
    Subject holds the marking. Pages whose content would sit under the marks are shrunk.
    The file is AES-256 encrypted with the user and owner passwords of ``stamp`` (printing
    and copying allowed, editing not). Only ``out_path`` is written, atomically; on any
    failure nothing is left behind and :class:`InputError` is raised.
    """
    if not stamp.user_password or not stamp.owner_password:
        raise InputError(
            f"{out_path.name}: the copy has no user or owner password (缺少密码); "
            "expected both; issue the copy again so that passwords are generated"
        )
    try:
        temporary = _temporary(out_path)
    except OSError as exc:
        raise _write_error(out_path, exc) from None
    try:
        _build(source, stamp, out_path, limits, cache, temporary)
        try:
            _put_in_place(temporary, out_path)
        except OSError as exc:
            raise _write_error(out_path, exc) from None
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _build(source: bytes, stamp: CopyStamp, out_path: Path, limits: Limits,
           cache: dict | None, temporary: Path) -> None:
    """Make the copy into ``temporary``, turning MuPDF's failures into :class:`InputError`."""
    try:
        with quiet_mupdf():
            _stamp(source, stamp, limits, cache, temporary)
    except MissingGlyphs as exc:
        raise InputError(
            f"{out_path.name}: the marks hold characters no built-in font can show: "
            f"{exc.chars!r} (无法显示的字符); expected printable names and markings; "
            "spell the recipient name or marking without them"
        ) from None
    except PYMUPDF_ERRORS as exc:
        raise InputError(
            f"{out_path.name}: the copy could not be made ({one_line(exc, 80)}) "
            "(无法生成副本); expected a PDF draft PyMuPDF can rewrite; "
            "export the draft again and retry"
        ) from None
