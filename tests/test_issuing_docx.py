"""DOCX copies never carry the draft's thumbnail (its unmarked first page)."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import zipfile

from PIL import Image

from mijian.pipeline.formats.docx.thumbnail import THUMBNAIL_RELTYPE, without_thumbnail
from tests.conftest import ROOT, SAMPLES

_OVERRIDE = ('<Override PartName="/docProps/thumbnail.jpeg" ContentType="image/jpeg"/>')
_REL = f'<Relationship Id="rIdThumb" Type="{THUMBNAIL_RELTYPE}" Target="docProps/thumbnail.jpeg"/>'


def _thumbnail() -> bytes:
    picture = Image.new("RGB", (64, 90), (250, 250, 250))
    for x in range(8, 56):
        picture.putpixel((x, 12), (0, 0, 0))
    sink = io.BytesIO()
    picture.save(sink, "JPEG", quality=90, comment=b"draft-first-page-thumbnail")
    return sink.getvalue()


def _with_thumbnail(package: bytes, picture: bytes | None) -> bytes:
    """``package`` with ``picture`` as its thumbnail (part, package relationship and content
    type added when missing), or with no thumbnail at all when ``picture`` is None."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(package)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        had = "docProps/thumbnail.jpeg" in source.namelist()
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "docProps/thumbnail.jpeg":
                if picture is None:
                    continue
                data = picture
            elif info.filename == "_rels/.rels" and picture is None:
                data = re.sub(rb'<Relationship [^>]*metadata/thumbnail"[^>]*/>', b"", data)
            elif info.filename == "_rels/.rels" and not had:
                data = data.replace(b"</Relationships>", _REL.encode() + b"</Relationships>")
            elif info.filename == "[Content_Types].xml" and not had and picture is not None:
                data = data.replace(b"</Types>", _OVERRIDE.encode() + b"</Types>")
            target.writestr(info, data)
        if not had and picture is not None:
            target.writestr("docProps/thumbnail.jpeg", picture)
    return out.getvalue()


def test_without_thumbnail_drops_part_relationship_and_type():
    picture = _thumbnail()
    package = _with_thumbnail((SAMPLES / "en_memo_secret.docx").read_bytes(), picture)
    cleaned = without_thumbnail(package)
    with zipfile.ZipFile(io.BytesIO(cleaned)) as archive:
        names = archive.namelist()
        assert not [n for n in names if n.lower().startswith("docprops/thumbnail")]
        assert names[0] == "[Content_Types].xml"
        assert THUMBNAIL_RELTYPE.encode() not in archive.read("_rels/.rels")
        assert b"thumbnail" not in archive.read("[Content_Types].xml")
        assert "word/document.xml" in names
    with zipfile.ZipFile(io.BytesIO(package)) as before, \
            zipfile.ZipFile(io.BytesIO(cleaned)) as after:
        kept = [n for n in before.namelist() if not n.startswith("docProps/thumbnail")
                and n not in ("_rels/.rels", "[Content_Types].xml")]
        assert all(before.read(n) == after.read(n) for n in kept)


def test_package_without_thumbnail_is_returned_unchanged():
    package = _with_thumbnail((SAMPLES / "en_memo_secret.docx").read_bytes(), None)
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        assert THUMBNAIL_RELTYPE.encode() not in archive.read("_rels/.rels")
    assert without_thumbnail(package) is package


def test_picture_the_body_also_uses_is_kept():
    package = _with_thumbnail((SAMPLES / "en_memo_secret.docx").read_bytes(), None)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(package)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "_rels/.rels":  # the thumbnail relationship names a body picture
                data = data.replace(b"</Relationships>", _REL.replace(
                    "docProps/thumbnail.jpeg", "word/media/image1.jpeg").encode() + b"</Relationships>")
            elif info.filename == "word/_rels/document.xml.rels":
                data = data.replace(b"</Relationships>", b'<Relationship Id="rIdPic" Type="http://'
                                    b'schemas.openxmlformats.org/officeDocument/2006/relationships'
                                    b'/image" Target="media/image1.jpeg"/></Relationships>')
            target.writestr(info, data)
        target.writestr("word/media/image1.jpeg", _thumbnail())
    cleaned = without_thumbnail(out.getvalue())
    with zipfile.ZipFile(io.BytesIO(cleaned)) as archive:
        assert "word/media/image1.jpeg" in archive.namelist()
        assert THUMBNAIL_RELTYPE.encode() not in archive.read("_rels/.rels")


def test_issued_docx_copy_has_no_thumbnail(tmp_path):
    from mijian.pipeline.issuing import decrypt_copy

    picture = _thumbnail()
    draft = tmp_path / "memo.docx"
    draft.write_bytes(_with_thumbnail((SAMPLES / "en_memo_secret.docx").read_bytes(), picture))
    people = tmp_path / "people.csv"
    people.write_text("id,name\nA1,Alice\n", encoding="utf-8")
    home, out = tmp_path / "home", tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "mijian", "issue", str(draft),
                           "--recipients", str(people), "--out", str(out), "--json"],
                          env=dict(os.environ, MIJIAN_HOME=str(home)), cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    password = (out / "passwords.csv").read_text(encoding="utf-8").splitlines()[1].split(",")[2]
    [copy] = [p for p in out.iterdir() if p.suffix == ".docx"]
    plain = decrypt_copy(copy, password)
    assert picture not in plain
    with zipfile.ZipFile(io.BytesIO(plain)) as archive:
        assert not [n for n in archive.namelist() if "thumbnail" in n.lower()]
        assert THUMBNAIL_RELTYPE.encode() not in archive.read("_rels/.rels")
        assert b"thumbnail" not in archive.read("[Content_Types].xml")
        assert all(picture not in archive.read(n) for n in archive.namelist())
