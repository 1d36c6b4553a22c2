"""Join the plain PDF copies of a print run into one PDF, copy after copy.

Only the pages move: each copy's marks live in its pages (content, images, text), so they
travel with them. The document properties are left empty on purpose: a copy's signed token
there would speak for the whole printout, which holds many copies.
"""

from __future__ import annotations

import pymupdf


def merge_pdfs(copies: list[bytes]) -> tuple[bytes, list[tuple[int, int]]]:
    """One PDF of ``copies`` in order, and each copy's first and last page in it (1-based)."""
    out = pymupdf.open()
    ranges = []
    try:
        for data in copies:
            first = out.page_count + 1
            with pymupdf.open(stream=data, filetype="pdf") as doc:
                out.insert_pdf(doc)
            ranges.append((first, out.page_count))
        out.set_metadata({})
        out.del_xml_metadata()
        return out.tobytes(garbage=3, deflate=True), ranges
    finally:
        out.close()
