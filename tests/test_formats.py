"""File formats as plug-ins: the registry finds the right format, every format satisfies the
one interface, copies go through it end to end, and nothing outside ``pipeline/formats/``
branches on the format."""

from __future__ import annotations

import ast
import inspect
import io
import re
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image

from mijian.pipeline.errors import InputError, RegisterError
from mijian.pipeline.formats import registry
from mijian.pipeline.formats.common import make_document
from mijian.pipeline.formats.interface import Format, LeakKeys
from mijian.pipeline.formats.text.decoding import decode_text
from mijian.pipeline.formats.text.format import TextFormat
from mijian.pipeline.limits import DEFAULT_LIMITS, Limits
from mijian.pipeline.model import CopyStamp, Document, Marking
from mijian.pipeline.readers import read_document

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
FORMATS_DIR = ROOT / "pipeline" / "formats"

EXPECTED_BY_EXTENSION = {".pdf": "pdf", ".docx": "docx", ".txt": "txt", ".csv": "txt",
                         ".toml": "txt", ".md": "txt", ".py": "txt"}


def _samples() -> list[Path]:
    return sorted(p for p in SAMPLES.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


# --- the registry ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", _samples(), ids=lambda p: str(p.relative_to(SAMPLES)))
def test_every_sample_is_sniffed_to_its_format(path: Path) -> None:
    expected = EXPECTED_BY_EXTENSION[path.suffix.lower()]
    assert registry.sniff(path.read_bytes(), path.name).name == expected


def _image_bytes(kind: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 10, 10)).save(buffer, kind)
    return buffer.getvalue()


@pytest.mark.parametrize("kind", ["PNG", "JPEG", "TIFF"])
def test_page_images_are_sniffed_as_images(kind: str) -> None:
    assert registry.sniff(_image_bytes(kind)).name == "image"


@pytest.mark.parametrize("data", [
    b"\x00\x01\x02\x03 binary \xff\xfe\x00",       # NUL bytes: not text
    b"\xc3\x28 not utf-8 \xa0\xa1",                 # invalid UTF-8
    b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00",     # an executable
    b"",                                            # nothing at all
])
def test_unknown_bytes_give_a_one_line_input_error(data: bytes) -> None:
    with pytest.raises(InputError) as caught:
        registry.sniff(data, "leak.bin")
    message = str(caught.value)
    assert "\n" not in message and message.startswith("leak.bin: ")
    assert "expected" in message


def test_draft_and_leak_extensions() -> None:
    assert registry.draft_extensions() == (".pdf", ".ofd", ".docx", ".txt")
    assert set(registry.leak_extensions()) == {".pdf", ".ofd", ".docx", ".txt", ".png", ".jpg",
                                               ".jpeg", ".tif", ".tiff"}
    assert registry.for_draft(Path("x/Report.PDF")).name == "pdf"
    assert registry.by_extension("photo.JPG").name == "image"  # type: ignore[union-attr]
    assert registry.by_extension("photo.jpg", drafts_only=True) is None
    for name in ("draft.png", "draft.odt", "draft"):
        with pytest.raises(InputError) as caught:
            registry.for_draft(Path(name))
        assert "\n" not in str(caught.value) and "expected .pdf, .ofd, .docx or .txt" in str(caught.value)


def test_a_draft_whose_content_is_another_format_is_refused(tmp_path: Path) -> None:
    pdf = (SAMPLES / "zh_notice_secret.pdf").read_bytes()
    named_docx = tmp_path / "draft.docx"
    named_docx.write_bytes(pdf)
    with pytest.raises(InputError, match=re.escape("named .docx but the content is a PDF")):
        read_document(named_docx)
    named_txt = tmp_path / "draft.txt"
    named_txt.write_bytes(pdf)
    with pytest.raises(InputError, match=re.escape("named .txt but the content is a PDF")):
        read_document(named_txt)
    named_pdf = tmp_path / "draft.pdf"
    named_pdf.write_bytes((SAMPLES / "en_memo_secret.docx").read_bytes())
    with pytest.raises(InputError, match=re.escape("named .pdf but the content is a ZIP/DOCX file")):
        read_document(named_pdf)


# --- the interface --------------------------------------------------------------------------


COPY_METHODS = ("write_copy", "self_check", "decrypt")


@pytest.mark.parametrize("fmt", registry.all_formats(), ids=lambda f: f.name)
def test_each_format_satisfies_the_interface(fmt: Format) -> None:
    assert isinstance(fmt, Format)
    assert fmt.name and fmt.extensions
    assert all(ext.startswith(".") and ext == ext.lower() for ext in fmt.extensions)
    assert registry.named(fmt.name) is fmt
    for name, base in inspect.getmembers(Format, inspect.isfunction):
        if name.startswith("_"):
            continue
        mine = getattr(type(fmt), name)
        assert inspect.signature(mine) == inspect.signature(base), name
    overridden = {name for name in COPY_METHODS if getattr(type(fmt), name) is not getattr(Format, name)}
    assert overridden == (set(COPY_METHODS) if fmt.copies else set())
    assert isinstance(fmt.no_page_images, str) and fmt.no_page_images


def test_names_and_extensions_are_unique() -> None:
    formats = registry.all_formats()
    names = [f.name for f in formats]
    extensions = [ext for f in formats for ext in f.extensions]
    assert len(names) == len(set(names)) and len(extensions) == len(set(extensions))
    assert formats[-1].name == "txt"  # text claims any UTF-8 bytes: it is tried last


def test_the_copy_writers_take_the_same_arguments() -> None:
    from mijian.pipeline.formats.docx.copy import write_docx_copy
    from mijian.pipeline.formats.pdf.copy import write_pdf_copy

    assert inspect.signature(write_pdf_copy) == inspect.signature(write_docx_copy)


def test_a_format_without_copies_refuses_to_write_one(tmp_path: Path) -> None:
    image = registry.named("image")
    with pytest.raises(Exception, match="writes no copies of its own"):
        image.write_copy(b"", _stamp(), tmp_path / "x.png", limits=DEFAULT_LIMITS)
    with pytest.raises(InputError, match="a page image is not a draft"):
        image.read(_image_bytes("PNG"), "page.png", DEFAULT_LIMITS)


def _stamp(language: str = "zh") -> CopyStamp:
    marking = Marking(scheme="cn-state", grade="机密", level=3, period="20年", serial="000004",
                      first_page_lines=("000004", "机密★20年"))
    return CopyStamp(marking=marking, watermark_text="王五 份号 000004",
                     visible_code="MJ1-4W3K2QPF7HRA4D", token="mjt1.eyJjb3B5IjoiMDAwMDA0In0.c2ln",
                     user_password="user-Pw-4420", owner_password="owner-Pw-9913",
                     language=language)  # type: ignore[arg-type]


@pytest.mark.parametrize("sample", ["en_memo_secret.docx", "zh_training_public.txt"])
def test_a_copy_round_trips_through_the_interface(sample: str, tmp_path: Path) -> None:
    """Read the draft, write a copy in the copy format, self-check it, decrypt it, and read
    the token back as a leak would be read: only through the format objects."""
    path = SAMPLES / sample
    draft_format = registry.for_draft(path)
    data = path.read_bytes()
    document = draft_format.read(data, str(path), DEFAULT_LIMITS)
    assert document.kind == draft_format.name
    base, kind = draft_format.copy_base(document, data)
    copy_format = registry.named(kind)
    assert copy_format.copies and registry.sniff(base).name == kind
    stamp = _stamp(document.language)
    if not copy_format.separate_owner_password:
        stamp = replace(stamp, owner_password=stamp.user_password)
    out = tmp_path / f"000004{copy_format.extension}"
    copy_format.write_copy(base, stamp, out, limits=DEFAULT_LIMITS, cache={})
    office = stamp.owner_password if copy_format.separate_owner_password else None
    copy_format.self_check(out, stamp, office, DEFAULT_LIMITS)
    encrypted = out.read_bytes()
    assert registry.sniff(encrypted) is copy_format
    plain = copy_format.decrypt(encrypted, stamp.user_password, out.name)
    with pytest.raises(RegisterError):
        copy_format.self_check(out, replace(stamp, token="mjt1.other"),
                               office, DEFAULT_LIMITS)
    locked = copy_format.read_evidence(out, encrypted, LeakKeys(), DEFAULT_LIMITS)
    assert locked.encrypted and not locked.opened
    opened = copy_format.read_evidence(out, encrypted, LeakKeys(known=(stamp.user_password,)),
                                       DEFAULT_LIMITS)
    assert opened.opened and opened.token == stamp.token
    inner = tmp_path / f"plain{copy_format.extension}"
    inner.write_bytes(plain)
    assert copy_format.read_evidence(inner, plain, LeakKeys(), DEFAULT_LIMITS).token == stamp.token


def test_recent_passwords_are_asked_for_by_copy_extension(tmp_path: Path) -> None:
    """An encrypted DOCX leak the known passwords do not open is retried with the passwords
    of the most recent copies of its own kind, asked for by its extension."""
    docx = registry.named("docx")
    stamp = replace(_stamp("en"), owner_password="user-Pw-4420")
    out = tmp_path / "000004.docx"
    docx.write_copy((SAMPLES / "en_memo_secret.docx").read_bytes(), stamp, out, limits=DEFAULT_LIMITS)
    asked: list[str] = []

    def recent(ext: str) -> list[str]:
        asked.append(ext)
        return [stamp.user_password]

    evidence = docx.read_evidence(out, out.read_bytes(), LeakKeys(known=("wrong",), recent=recent),
                                  DEFAULT_LIMITS)
    assert asked == [".docx"] and evidence.opened and evidence.token == stamp.token


# --- no format branches outside pipeline/formats/ -------------------------------------------


_EXT = r"\.?(?:pdf|docx?|txt|image|png|jpe?g|tiff?|ofd)"
FORMAT_BRANCHES = [
    re.compile(rf"(?:==|!=)\s*[\"']{_EXT}[\"']"),                      # ext == ".pdf", kind != "docx"
    re.compile(rf"[\"']{_EXT}[\"']\s*(?:==|!=)"),                      # ".pdf" == ext
    re.compile(r"\bin\s*[(\[{][^)\]}]*[\"']\.(?:pdf|docx|txt)[\"']"),  # ext in (".pdf", …)
    re.compile(r"%PDF|PK\\x03\\x04|\\xd0\\xcf\\x11\\xe0"),            # sniffing magic bytes
    re.compile(r"^\s*(?:import|from)\s+(?:pymupdf|fitz|msoffcrypto|docx|pypdf)\b", re.MULTILINE),
]
"""What a format branch looks like: a comparison with a format name or extension, a
membership test in a list of extensions, a file signature, or a format library used
directly."""

ALLOWED = {
    # The printable notice of a change of marking is always a PDF the project writes itself
    # (an output the officer names), not a draft or a copy in one of the formats.
    ("pipeline/change_notice.py", 'if path.suffix.lower() != ".pdf":'),
    # The camera-robust page fingerprint draws its marks on a PDF overlay sheet with PyMuPDF;
    # it is a fingerprint layer's own stamping for the PDF format, which moves with the
    # layer when fingerprint layers become plug-ins (each stamping the formats it supports).
    ("pipeline/screenprint_layer.py", "import pymupdf"),
    # Recipients lists (CSV or an Excel workbook) are not drafts or copies: their signatures
    # tell a workbook from a CSV, and a legacy .xls from both.
    # The reproduction stamp (复制机关戳记) is so far drawn on PDF copies only, and reproducing
    # a DOCX or OFD document is refused with a one-line error. Known debt: the stamp belongs in
    # each format plug-in as a marking surface, after which these two lines go.
    ("pipeline/derive_copy.py", "import pymupdf"),
    ("pipeline/derive_copy.py", 'if kind != "pdf":'),
    ("pipeline/recipient_files.py", '_ZIP = b"PK\\x03\\x04"'),
    ("pipeline/recipient_files.py", '_OLE = b"\\xd0\\xcf\\x11\\xe0"'),
}
"""(module, line) pairs that may stay, each with its reason above."""

LIBRARY = ("pipeline", "classifiers", "watermark", "keywords", "mijian")


def _code_lines(path: Path) -> list[str]:
    """The source lines of ``path`` with comments and docstrings blanked out."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    for node in ast.walk(ast.parse(text)):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) \
                and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
            for number in range(body[0].lineno - 1, body[0].end_lineno or body[0].lineno):
                lines[number] = ""
    return [re.sub(r"(?<![\"'])#.*$", "", line) for line in lines]


def _branches(path: Path) -> list[str]:
    found = []
    for line in _code_lines(path):
        if any(pattern.search(line) for pattern in FORMAT_BRANCHES):
            found.append(line.strip())
    return found


def test_no_module_outside_formats_branches_on_the_format() -> None:
    offenders = []
    for folder in LIBRARY:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if FORMATS_DIR in path.parents:
                continue
            relative = path.relative_to(ROOT).as_posix()
            offenders += [f"{relative}: {line}" for line in _branches(path)
                          if (relative, line) not in ALLOWED]
    assert offenders == []


@pytest.mark.parametrize("line", [
    'if ext == ".pdf":', 'if document.kind == "docx":', 'why = "x" if evidence.kind == "docx" else "y"',
    'if ".docx" != suffix:', 'if ext in (".png", ".pdf"):', "if data.startswith(b\"%PDF\"):",
    "    import pymupdf", "from msoffcrypto.format.ooxml import OOXMLFile", "import docx",
])
def test_the_branch_detector_sees_format_branches(line: str) -> None:
    assert any(pattern.search(line) for pattern in FORMAT_BRANCHES)


def test_the_formats_folder_does_branch_on_formats() -> None:
    """The detector finds the branches where they belong (so an empty result elsewhere
    means something)."""
    assert _branches(FORMATS_DIR / "docx" / "format.py")
    assert _branches(FORMATS_DIR / "pdf" / "format.py")


def test_format_modules_keep_to_the_size_rule() -> None:
    """No module of a format over 400 lines, no function over 60."""
    for path in sorted(FORMATS_DIR.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        assert len(text.splitlines()) <= 400, path
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                assert (node.end_lineno or 0) - node.lineno + 1 <= 60, f"{path}: {node.name}"


# --- the next format: its own class and one registry line -----------------------------------


class MarkdownFormat(TextFormat):
    """A stand-in for the next format: Markdown drafts, read as text and copied as PDF."""

    name = "md"
    extensions = (".md",)

    def sniff(self, data: bytes) -> bool:
        return False  # Markdown is plain text by its bytes: found by its extension only

    def read(self, data: bytes, source: str, limits: Limits) -> Document:
        text = decode_text(data, source).replace("# ", "")
        return make_document(data, source, "md", text, limits)


def test_a_new_format_plugs_in_through_the_registry_alone(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """One registry line makes a new draft format readable and issuable: the readers and
    issuing (here its trial copy, written and self-checked) run unchanged."""
    from mijian.pipeline.decision import decide
    from mijian.pipeline.issuing import preflight
    from mijian.pipeline.schemes import all_schemes

    draft = tmp_path / "notice.md"
    draft.write_text("# 关于清退涉密文件的通知\n\n各单位要按期清退涉密文件。\n", encoding="utf-8")
    with pytest.raises(InputError, match=re.escape("unsupported file type '.md'")):
        read_document(draft)
    entries = (*registry._ENTRIES[:-1], (__name__, "MarkdownFormat"), registry._ENTRIES[-1])
    monkeypatch.setattr(registry, "_ENTRIES", entries)
    registry.all_formats.cache_clear()
    try:
        document = read_document(draft)
        assert document.kind == "md" and document.title == "关于清退涉密文件的通知"
        scheme = all_schemes()["cn-state"]
        preflight(document, decide(scheme, 2, "10年", ("test",), None), tmp_path / "out")
        assert registry.sniff(draft.read_bytes()).name == "txt"  # text still claims the bytes
    finally:
        monkeypatch.undo()
        registry.all_formats.cache_clear()
    assert registry.by_extension(draft) is None


FORBIDDEN = ("issuing", "copy_build", "copy_checks", "copy_pool", "register", "tracing", "trace_",
             "office", "lifecycle", "audit", "cli")


def test_formats_know_nothing_of_issuing_the_register_or_tracing() -> None:
    """A format reads and writes files; who gets a copy and how a leak is weighed is not its
    business (the layer table of the architecture notes)."""
    for path in sorted(FORMATS_DIR.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for name in names:
                if name.startswith("mijian.pipeline."):
                    part = name.split(".")[2]
                    assert not part.startswith(FORBIDDEN), f"{path}: imports {name}"
