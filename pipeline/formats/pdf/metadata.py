"""The document properties of a PDF copy: Subject names the marking and the 份号, and the
signed token goes into the Info dictionary and the XMP packet.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

import pymupdf
from mijian.pipeline.formats.pdf.opening import INFO_TOKEN_KEY, XMP_NAMESPACE
from mijian.pipeline.model import CopyStamp


def _subject(stamp: CopyStamp) -> str:
    """The standard Subject: the grade marking and the 份号 (never a password)."""
    marking = stamp.marking
    grade = next((line for line in marking.first_page_lines if line != marking.serial), "")
    grade = grade or marking.first_page_right or marking.banner or marking.grade
    label = "份号" if stamp.language == "zh" else "copy "
    return f"{grade} {label}{marking.serial}".strip()


def _xmp(stamp: CopyStamp, subject: str) -> str:
    """An XMP packet holding the token, the 份号 and the marking under the mijian namespace."""
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
        ' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
        f'  <rdf:Description rdf:about="" xmlns:mijian="{XMP_NAMESPACE}">\n'
        f"   <mijian:token>{escape(stamp.token)}</mijian:token>\n"
        f"   <mijian:serial>{escape(stamp.marking.serial)}</mijian:serial>\n"
        f"   <mijian:marking>{escape(subject)}</mijian:marking>\n"
        "  </rdf:Description>\n"
        " </rdf:RDF>\n"
        "</x:xmpmeta>\n"
        '<?xpacket end="w"?>'
    )


def set_metadata(doc: pymupdf.Document, stamp: CopyStamp) -> None:
    """Set Subject to the marking and store the token in Info and XMP; keep the rest."""
    subject = _subject(stamp)
    doc.set_metadata({"subject": subject})
    kind, value = doc.xref_get_key(-1, "Info")
    if kind != "xref":
        raise ValueError("the document has no Info dictionary after setting metadata")
    doc.xref_set_key(int(value.split()[0]), INFO_TOKEN_KEY, pymupdf.get_pdf_str(stamp.token))
    doc.set_xml_metadata(_xmp(stamp, subject))
