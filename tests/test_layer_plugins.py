"""Fingerprint layers as plug-ins: the stamping side (:mod:`pipeline.layers`) and the tracing
side (:data:`pipeline.trace_readers.READERS`) list the same layers, every format a layer
stamps exists, and a layer added to the registry alone is stamped by the format writers on
every copy without any change to their code."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from mijian.pipeline.formats import registry as formats
from mijian.pipeline.layers import registry
from mijian.pipeline.layers.base import StampLayer, Stamper
from mijian.pipeline.limits import DEFAULT_LIMITS
from mijian.pipeline.model import CopyStamp, Marking
from mijian.pipeline.trace_readers import READERS, TRACED_APART

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
OFD_DRAFT = Path(__file__).resolve().parent / "data" / "ofd" / "helloworld.ofd"

FILE_ONLY = {"file"}
"""Trace layers of what no layer stamps: the hash of the file itself."""


SURFACES = {"pdf": ("draft", "overlay", "page", "sheet", "file"),
            "docx": ("body", "header", "footer", "document", "picture", "package"),
            "ofd": ("bands", "under", "over", "file")}
"""The surfaces each copy-writing format offers (its stamping module's ``SURFACES``)."""


def _surfaces(format_name: str) -> tuple[str, ...]:
    import importlib

    module = importlib.import_module(f"mijian.pipeline.formats.{format_name}.stamping")
    return tuple(module.SURFACES)


def test_the_stamping_layers_and_the_trace_readers_agree() -> None:
    """Every stamped layer is read back by a reader (or by a layer the tracer reads itself),
    and every reader reads a stamped layer, the file hash aside."""
    readers = {reader.name for reader in READERS}
    traced = readers | set(TRACED_APART)
    named = [layer.reader for layer in registry.LAYERS]
    assert set(named) <= traced, f"layers name no reader that exists: {set(named) - traced}"
    assert len(named) == len(set(named)), "two layers name the same reader"
    assert traced - set(named) == FILE_ONLY
    names = [layer.name for layer in registry.LAYERS]
    assert len(names) == len(set(names))


def test_every_format_and_surface_a_layer_stamps_exists() -> None:
    copy_formats = {fmt.name for fmt in formats.all_formats() if fmt.copies}
    for layer in registry.LAYERS:
        assert layer.stampers, f"layer {layer.name} stamps nothing"
        for stamper in layer.stampers:
            assert stamper.format in copy_formats, (layer.name, stamper.format)
            assert stamper.surface in _surfaces(stamper.format), (layer.name, stamper)
    for name, surfaces in SURFACES.items():
        assert _surfaces(name) == surfaces


def _stamp(language: str = "zh") -> CopyStamp:
    marking = Marking(scheme="cn-state", grade="机密", level=3, period="20年", serial="000004",
                      first_page_lines=("000004", "机密★20年"), banner="机密")
    return CopyStamp(marking=marking, watermark_text="王五 份号 000004",
                     visible_code="MJ1-4W3K2QPF7HRA4D", token="mjt1.eyJjb3B5IjoiMDAwMDA0In0.c2ln",
                     user_password="user-Pw-4420", owner_password="owner-Pw-9913",
                     language=language)  # type: ignore[arg-type]


def _toy_layer(calls: list[tuple[str, str, str]]) -> StampLayer:
    """A layer that records each call: (format, surface, the copy's serial)."""

    def recorder(format_name: str, surface: str) -> Stamper:
        def stamp(context: Any) -> None:
            copy = getattr(context, "copy", None)
            stamp = getattr(context, "stamp", None) or getattr(copy, "stamp", None)
            assert isinstance(stamp, CopyStamp)
            calls.append((format_name, surface, stamp.marking.serial))
        return Stamper(format_name, surface, stamp)

    stampers = tuple(recorder(name, surface) for name, surfaces in SURFACES.items()
                     for surface in surfaces)
    return StampLayer("toy", "metadata", stampers)


def _write(sample: str, serial: str, tmp_path: Path) -> tuple[str, Path]:
    path = OFD_DRAFT if sample == OFD_DRAFT.name else SAMPLES / sample
    draft = formats.for_draft(path)
    data = path.read_bytes()
    base, kind = draft.copy_base(draft.read(data, str(path), DEFAULT_LIMITS), data)
    copy_format = formats.named(kind)
    stamp = _stamp()
    stamp = replace(stamp, marking=replace(stamp.marking, serial=serial))
    if not copy_format.separate_owner_password:
        stamp = replace(stamp, owner_password=stamp.user_password)
    out = tmp_path / f"{serial}{copy_format.extension}"
    copy_format.write_copy(base, stamp, out, limits=DEFAULT_LIMITS, cache={})
    return kind, out


@pytest.mark.parametrize("sample", ["zh_notice_secret.pdf", "en_memo_secret.docx",
                                    OFD_DRAFT.name, "zh_training_public.txt"])
def test_a_layer_added_to_the_registry_is_stamped_on_every_copy(
        sample: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, str, str]] = []
    monkeypatch.setattr(registry, "LAYERS", (*registry.LAYERS, _toy_layer(calls)))
    kinds = set()
    for serial in ("000007", "000008"):
        kind, out = _write(sample, serial, tmp_path)
        kinds.add(kind)
        assert out.stat().st_size > 0
        surfaces = {surface for fmt, surface, copy in calls if copy == serial and fmt == kind}
        assert surfaces == set(SURFACES[kind]), (serial, surfaces)
    assert {serial for _fmt, _surface, serial in calls} == {"000007", "000008"}


def test_a_layer_taken_out_of_the_registry_is_not_stamped(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the metadata layer the PDF copy carries no token: the writer draws only what
    the registry lists."""
    import pymupdf

    monkeypatch.setattr(registry, "LAYERS",
                        tuple(layer for layer in registry.LAYERS if layer.name != "metadata"))
    _kind, out = _write("zh_notice_secret.pdf", "000009", tmp_path)
    with pymupdf.open(out) as doc:
        assert doc.authenticate("owner-Pw-9913")
        assert "MijianToken" not in doc.xref_object(int(doc.xref_get_key(-1, "Info")[1].split()[0]))


def _layer_helpers() -> set[str]:
    """Every name a layer module imports from the formats or the fingerprint code to stamp
    (the surfaces' context types aside: the writers make those)."""
    import ast

    names: set[str] = set()
    for path in (Path(registry.__file__).parent).glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and not node.module.endswith(
                    ".stamping") and (".formats." in node.module or ".watermark." in node.module
                    or node.module.endswith("screenprint_layer")):
                names |= {alias.name for alias in node.names}
    return names - {"TOKEN_PROPERTY"}


WRITERS = {
    "mijian.pipeline.formats.pdf.copy": ("_stamp",),
    "mijian.pipeline.formats.pdf.sheets": ("build_overlay",),
    "mijian.pipeline.formats.docx.copy": ("write_docx_copy", "_mark"),
    "mijian.pipeline.formats.docx.pictures": ("add_page_pictures", "_painted"),
    "mijian.pipeline.formats.ofd.copy": ("stamped_ofd", "_mark_page"),
}
"""The functions of each format that write a copy's marks."""


def test_the_format_writers_name_no_layer() -> None:
    """The writers call the registry, never a layer's drawing helper by name."""
    import ast
    import importlib
    import inspect
    import textwrap

    helpers = _layer_helpers()
    assert {"draw_qr", "add_qr", "set_metadata", "append_text_code", "draw_pdf"} <= helpers
    for module_name, functions in WRITERS.items():
        module = importlib.import_module(module_name)
        for name in functions:
            tree = ast.parse(textwrap.dedent(inspect.getsource(getattr(module, name))))
            called = {node.func.id if isinstance(node.func, ast.Name) else
                      getattr(node.func, "attr", "") for node in ast.walk(tree)
                      if isinstance(node, ast.Call)}
            assert not called & helpers, f"{module_name}.{name} calls {called & helpers}"


def test_the_text_code_is_drawn_first() -> None:
    """On a PDF overlay page the text code is written by a text writer that needs the page
    empty, so it comes first in the drawing order."""
    assert registry.LAYERS[0].name == "text-code"


def test_a_docx_copy_without_the_metadata_layer_has_no_token(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import zipfile

    import msoffcrypto

    from mijian.pipeline.formats.docx.archive import TOKEN_PROPERTY

    def token_in(out: Path) -> bool:
        office = msoffcrypto.OfficeFile(io.BytesIO(out.read_bytes()))
        office.load_key(password="user-Pw-4420")
        plain = io.BytesIO()
        office.decrypt(plain)
        with zipfile.ZipFile(plain) as package:
            parts = [package.read(name) for name in package.namelist() if name.endswith(".xml")]
        return any(TOKEN_PROPERTY.encode() in part for part in parts)

    assert token_in(_write("en_memo_secret.docx", "000010", tmp_path)[1])
    monkeypatch.setattr(registry, "LAYERS",
                        tuple(layer for layer in registry.LAYERS if layer.name != "metadata"))
    assert not token_in(_write("en_memo_secret.docx", "000011", tmp_path)[1])
