"""Write one issued copy of an OFD draft: marked with OFD content, tokened, and delivered
encrypted (see :mod:`.wrap`).

The draft's parts are copied as they are, except: every page's Content.xml gets one new
foreground layer holding the marks (:mod:`.marks`), its content scaled down first when it
reaches into the mark bands (:mod:`.shrink`); Document.xml gets a document resource
part declaring the marks' font and a raised MaxUnitID; OFD.xml gets the signed token as a
CustomData entry of its DocInfo. Signatures and seals of the draft are kept, and a reader
will report them broken: the pages they signed have changed (a copy is a new document).

What this does not protect against: anyone with the password can extract the plain OFD and
delete the mark layer and the token; the marks deter and trace, they do not prevent.
"""

from __future__ import annotations

import io
import os
import posixpath
import re
import tempfile
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

from lxml import etree

from mijian.pipeline.errors import InputError
from mijian.pipeline.formats.ofd import marks
from mijian.pipeline.formats.ofd.draw import Ids, Painter
from mijian.pipeline.formats.ofd.package import child, children
from mijian.pipeline.formats.ofd.reading import open_ofd
from mijian.pipeline.formats.ofd.shrink import fit_page
from mijian.pipeline.formats.ofd.stamping import OfdBands, OfdFile, OfdPage
from mijian.pipeline.formats.ofd.structure import TOKEN_NAME, OfdDocument, page_objects, page_size
from mijian.pipeline.formats.ofd.text import line_ends, page_glyphs
from mijian.pipeline.formats.ofd.wrap import wrap
from mijian.pipeline.layers.registry import stamp as stamp_layers
from mijian.pipeline.limits import DEFAULT_LIMITS, Limits
from mijian.pipeline.model import CopyStamp

if TYPE_CHECKING:
    from mijian.pipeline.formats.pdf.marks import Row

MARK_FONT = "宋体"
"""Font name of the marks (readers substitute their song-style CJK face)."""

_ID = re.compile(rb'\bID="(\d{1,12})"')


def _xml(root: etree._Element) -> bytes:
    """A part serialised as UTF-8 XML with its declaration."""
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _name(root: etree._Element, local_name: str) -> str:
    """The tag ``local_name`` in the namespace of ``root`` (none when it has none)."""
    namespace = etree.QName(root).namespace
    return f"{{{namespace}}}{local_name}" if namespace else local_name


def _mark_page(painter: Painter, stamp: CopyStamp, document: OfdDocument,
               content: etree._Element, page: tuple[float, float], number: int,
               bottom: list[Row]) -> None:
    """Append the marks of page ``number`` to ``content`` as a new foreground layer, after
    moving the content out of the mark bands (``bottom``: the bottom band's rows) if it
    reaches into them: the fingerprint layers the registry lists for OFD copies under and
    over the marking rows (see :mod:`pipeline.formats.ofd.stamping`)."""
    pages = len(document.pages)
    body = fit_page(document, content, stamp, number, pages, page, bottom)
    ends = line_ends(page_glyphs(page_objects(content)))
    holder = child(content, "Content")
    if holder is None:
        holder = etree.SubElement(content, _name(content, "Content"))
    layer = etree.SubElement(holder, _name(content, "Layer"), ID=painter.ids.next(),
                             Type="Foreground")
    context = OfdPage(painter, stamp, page, body, ends)
    stamp_layers("ofd", "under", context)
    context.drawn.extend(marks.row_marks(painter, stamp, number, pages, page, body, bottom))
    stamp_layers("ofd", "over", context)
    for element in context.drawn:
        if element is not None:
            layer.append(element)


def _add_font(document: etree._Element, root_part: str, parts: dict[str, bytes],
              ids: Ids) -> str:
    """Declare the marks' font in a new document resource part; returns its ID."""
    folder = posixpath.dirname(root_part)
    name, index = "MijianRes.xml", 0
    while posixpath.join(folder, name) in parts:
        index += 1
        name = f"MijianRes{index}.xml"
    font_id = ids.next()
    res = etree.Element(_name(document, "Res"), nsmap=document.nsmap)
    fonts = etree.SubElement(res, _name(document, "Fonts"))
    etree.SubElement(fonts, _name(document, "Font"), ID=font_id, FontName=MARK_FONT,
                     FamilyName=MARK_FONT)
    parts[posixpath.join(folder, name)] = _xml(res)
    common = child(document, "CommonData")
    if common is None:
        common = etree.Element(_name(document, "CommonData"))
        document.insert(0, common)
    after = [*children(common, "PageArea"), *children(common, "PublicRes"),
             *children(common, "DocumentRes")]
    entry = etree.Element(_name(document, "DocumentRes"))
    entry.text = name
    common.insert(common.index(after[-1]) + 1 if after else len(common), entry)
    return font_id


def set_token(ofd_root: etree._Element, token: str) -> None:
    """Put ``token`` in the CustomData entry :data:`TOKEN_NAME` of the first DocInfo."""
    body = child(ofd_root, "DocBody")
    if body is None:
        raise InputError("the draft: OFD.xml has no DocBody (缺少 DocBody); expected an OFD "
                         "document; re-save the document")
    info = child(body, "DocInfo")
    if info is None:
        info = etree.Element(_name(ofd_root, "DocInfo"))
        body.insert(0, info)
    datas = child(info, "CustomDatas")
    if datas is None:
        datas = etree.SubElement(info, _name(ofd_root, "CustomDatas"))
    for item in children(datas, "CustomData"):
        if item.get("Name") == TOKEN_NAME:
            datas.remove(item)
    entry = etree.SubElement(datas, _name(ofd_root, "CustomData"), Name=TOKEN_NAME)
    entry.text = token


def stamped_ofd(source: bytes, stamp: CopyStamp, limits: Limits) -> bytes:
    """The plain OFD copy: the draft with the marks of ``stamp`` (see the module notes)."""
    document: OfdDocument = open_ofd(source, "the draft", limits)
    package = document.package
    parts = {name: package.read(name) for name in package.members}
    ids = Ids(max((int(m) for data in parts.values() for m in _ID.findall(data)), default=0))
    doc_root = package.xml(document.root_part)
    font_id = _add_font(doc_root, document.root_part, parts, ids)
    from mijian.pipeline.formats.pdf.marks import bottom_rows  # PyMuPDF: loaded when marking

    bands = OfdBands(stamp, bottom_rows(stamp.marking))
    stamp_layers("ofd", "bands", bands)
    for number, page in enumerate(document.pages):
        content = package.xml(page.part)
        painter = Painter(etree.QName(content).namespace or "", ids, font_id)
        _mark_page(painter, stamp, document, content, page_size(page, content), number,
                   bands.bottom)
        parts[page.part] = _xml(content)
    common = child(doc_root, "CommonData")
    unit = child(common, "MaxUnitID") if common is not None else None
    if unit is not None:
        unit.text = str(ids.last)
    parts[document.root_part] = _xml(doc_root)
    ofd_root = package.xml("OFD.xml")
    stamp_layers("ofd", "file", OfdFile(ofd_root, stamp))
    parts["OFD.xml"] = _xml(ofd_root)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in ["OFD.xml", *(n for n in parts if n != "OFD.xml")]:
            archive.writestr(name, parts[name])
    return out.getvalue()


def member_name(out_path: Path) -> str:
    """The name of the plain OFD inside the encrypted copy: the copy's own name, without the
    endings a staged file has after ``.ofd``."""
    name = out_path.name
    cut = name.lower().find(".ofd")
    return name[:cut + 4] if cut > 0 else f"{out_path.stem or 'copy'}.ofd"


def write_ofd_copy(source: bytes, stamp: CopyStamp, out_path: Path, *,
                   limits: Limits = DEFAULT_LIMITS) -> None:
    """Write the copy of the OFD draft ``source`` for ``stamp`` to ``out_path``, encrypted
    with the recipient's password; only ``out_path`` is written, atomically."""
    if not stamp.user_password:
        raise InputError(f"{out_path.name}: the copy has no password (缺少密码); expected one; "
                         "issue the copy again so that a password is generated")
    sealed = wrap(stamped_ofd(source, stamp, limits), member_name(out_path), stamp.user_password)
    try:
        handle, temporary = tempfile.mkstemp(dir=out_path.parent, prefix=f".{out_path.name}.",
                                             suffix=f".{os.getpid()}.partial")
    except OSError as exc:
        raise _write_error(out_path, exc) from None
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(sealed)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, out_path)
    except BaseException as exc:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise _write_error(out_path, exc) from None
        raise


def _write_error(out_path: Path, exc: OSError) -> InputError:
    """The one-line error for a copy the output folder would not take (full, read-only …)."""
    return InputError(f"{out_path.name}: the copy could not be written ({exc.strerror or exc}) "
                      "(无法写入); expected a writable output folder with free space; check the folder")
