"""Take the draft's thumbnail out of a .docx package before it becomes a copy.

Word can save a small picture of the first page (``docProps/thumbnail.jpeg``, ``.wmf``,
``.emf`` …) that file managers and mail clients show without opening the file. In a copy it
would be the draft's unmarked first page, byte for byte: no marking, no recipient, no code.
The part is dropped together with every relationship that points at it and its
content-type override; other parts are copied unchanged.
"""

from __future__ import annotations

import io
import posixpath
import zipfile

from lxml import etree

THUMBNAIL_RELTYPE = "http://schemas.openxmlformats.org/package/2006/relationships/metadata/thumbnail"
_RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"


def without_thumbnail(package: bytes) -> bytes:
    """The .docx ``package`` with no thumbnail part; returned unchanged when it has none."""
    with zipfile.ZipFile(io.BytesIO(package)) as source:
        parts = {info.filename: source.read(info) for info in source.infolist()}
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    doomed = {name for name in parts if _is_thumbnail_name(name)}
    rels_name, dropped = "_rels/.rels", False
    if rels_name in parts:
        rels = etree.fromstring(parts[rels_name], parser)
        for rel in list(rels):
            if rel.get("Type") == THUMBNAIL_RELTYPE and rel.get("TargetMode") != "External":
                target = posixpath.normpath(str(rel.get("Target", "")).lstrip("/"))
                if not _shared(parts, rels_name, target):  # a picture the body uses stays
                    doomed.add(target)
                rels.remove(rel)
                dropped = True
        if dropped:
            parts[rels_name] = _serialise(rels)
    doomed &= set(parts)
    if not doomed and not dropped:
        return package
    for name in doomed:
        del parts[name]
    types = etree.fromstring(parts["[Content_Types].xml"], parser)
    for override in list(types.iter(f"{{{_CT_NS}}}Override")):
        if override.get("PartName", "").lstrip("/").lower() in {d.lower() for d in doomed}:
            types.remove(override)
    parts["[Content_Types].xml"] = _serialise(types)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", parts.pop("[Content_Types].xml"))
        for name, content in parts.items():
            archive.writestr(name, content)
    return out.getvalue()


def _shared(parts: dict[str, bytes], rels_name: str, target: str) -> bool:
    """Whether a part other than the package relationships also points at ``target``."""
    leaf = posixpath.basename(target).encode()
    return any(leaf in data for name, data in parts.items()
               if name.endswith(".rels") and name != rels_name)


def _is_thumbnail_name(name: str) -> bool:
    return name.lower().startswith("docprops/thumbnail.")


def _serialise(root: etree._Element) -> bytes:
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True))
