"""Set a string custom document property of a .docx package (where a copy keeps its signed
token), creating the part, its relationship and its content type when absent.
"""

from __future__ import annotations

import io
import zipfile
from typing import Any

from lxml import etree
from mijian.pipeline.formats.docx.archive import (
    CUSTOM_PROPERTIES_NS,
    CUSTOM_PROPERTIES_RELTYPE,
    VT_NS,
)

_CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"


_RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"


_CUSTOM_CT = "application/vnd.openxmlformats-officedocument.custom-properties+xml"


_CUSTOM_PART = "docProps/custom.xml"


_PROPERTY_FMTID = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"


def set_custom_property(package: bytes, name: str, value: str) -> bytes:
    """Return the .docx ``package`` with string custom property ``name`` set to ``value``.

    Creates ``docProps/custom.xml``, its content-type override and its package relationship
    when absent; keeps the other custom properties.
    """
    with zipfile.ZipFile(io.BytesIO(package)) as source:
        parts = {info.filename: source.read(info) for info in source.infolist()}
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    rels = etree.fromstring(parts["_rels/.rels"], parser)
    target = _custom_target(rels)
    if target is None:
        target = _CUSTOM_PART
        ids = {rel.get("Id") for rel in rels}
        rid = next(f"rId{n}" for n in range(1, len(ids) + 2) if f"rId{n}" not in ids)
        etree.SubElement(rels, f"{{{_RELS_NS}}}Relationship", {
            "Id": rid, "Type": CUSTOM_PROPERTIES_RELTYPE, "Target": target})
        parts["_rels/.rels"] = _serialise(rels)
    existing = parts.get(target)
    root = (etree.fromstring(existing, parser) if existing
            else etree.Element(f"{{{CUSTOM_PROPERTIES_NS}}}Properties",
                               nsmap={None: CUSTOM_PROPERTIES_NS, "vt": VT_NS}))
    parts[target] = _serialise(_with_property(root, name, value))
    types = etree.fromstring(parts["[Content_Types].xml"], parser)
    _ensure_override(types, "/" + target)
    parts["[Content_Types].xml"] = _serialise(types)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", parts.pop("[Content_Types].xml"))
        for part_name, content in parts.items():
            archive.writestr(part_name, content)
    return out.getvalue()


def _custom_target(rels: Any) -> str | None:
    for rel in rels:
        if rel.get("Type") == CUSTOM_PROPERTIES_RELTYPE and rel.get("TargetMode") != "External":
            return str(rel.get("Target", "")).lstrip("/") or None
    return None


def _with_property(root: Any, name: str, value: str) -> Any:
    tag = f"{{{CUSTOM_PROPERTIES_NS}}}property"
    pids = [2]
    for prop in list(root.iter(tag)):
        if prop.get("name") == name:
            root.remove(prop)
        elif (prop.get("pid") or "").isdigit():
            pids.append(int(prop.get("pid")) + 1)
    prop = etree.SubElement(root, tag, {"fmtid": _PROPERTY_FMTID, "pid": str(max(pids)),
                                        "name": name})
    etree.SubElement(prop, f"{{{VT_NS}}}lpwstr").text = value
    return root


def _ensure_override(types: Any, part_name: str) -> None:
    tag = f"{{{_CT_NS}}}Override"
    for override in types.iter(tag):
        if override.get("PartName", "").lower() == part_name.lower():
            override.set("ContentType", _CUSTOM_CT)
            return
    etree.SubElement(types, tag, {"PartName": part_name, "ContentType": _CUSTOM_CT})


def _serialise(root: Any) -> bytes:
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True))
