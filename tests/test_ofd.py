"""OFD (GB/T 33190) as a format plug-in: real OFD files written by others are read in reading
order, copies carry their marks as OFD content and open in an independent reader (ofdkit)
once decrypted, and leaks give their evidence back."""

from __future__ import annotations

import io
import re
from pathlib import Path

import ofdkit
import pytest

from mijian.pipeline.errors import CryptoError, InputError, RegisterError
from mijian.pipeline.formats import registry
from mijian.pipeline.formats.interface import LeakKeys
from mijian.pipeline.formats.ofd.copy import stamped_ofd
from mijian.pipeline.formats.ofd.structure import TOKEN_NAME
from mijian.pipeline.formats.ofd.text import deltas
from mijian.pipeline.limits import DEFAULT_LIMITS
from mijian.pipeline.model import CopyStamp, Marking

DATA = Path(__file__).resolve().parent / "data" / "ofd"
SAMPLES = sorted(DATA.glob("*.ofd"))


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _stamp(password: str = "Pw-ofd-4420") -> CopyStamp:
    marking = Marking(scheme="cn-state", grade="机密", level=3, period="20年", serial="000004",
                      first_page_lines=("000004", "机密★20年"),
                      running="机密 000004 第{page}页/共{pages}页")
    return CopyStamp(marking=marking, watermark_text="王五 份号 000004",
                     visible_code="MJ1-4W3K2QPF7HRA-4DXQ2B7Z", token="mjt1.eyJjb3B5IjoiMDAwMDA0In0.c2ln",
                     user_password=password, owner_password="", language="zh",
                     pattern_key=b"k" * 32, pattern_payload=(123456789).to_bytes(4, "big"))


def test_the_samples_and_their_sources_are_listed() -> None:
    rows = (DATA / "SOURCES.tsv").read_text(encoding="utf-8").splitlines()[1:]
    listed = {row.split("\t")[0] for row in rows}
    assert listed == {path.name for path in SAMPLES}
    assert all(len(row.split("\t")) == 5 and row.endswith("Apache-2.0") for row in rows)


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_real_ofd_files_are_sniffed_read_and_agree_with_ofdkit(path: Path) -> None:
    data = path.read_bytes()
    fmt = registry.sniff(data, path.name)
    assert fmt.name == "ofd" and registry.for_draft(path) is fmt
    document = fmt.read(data, path.name, DEFAULT_LIMITS)
    assert document.kind == "ofd" and document.pages
    # the same characters as the independent reader, whatever the line breaks
    assert sorted(_squash(document.text)) == sorted(_squash(ofdkit.extract_text(data)))


def test_reading_order_joins_the_runs_of_a_line() -> None:
    text = registry.named("ofd").read((DATA / "keyword2.ofd").read_bytes(), "k",
                                               DEFAULT_LIMITS).text
    assert text.splitlines()[:2] == ["你好呀，OFD Reader&Writer！", "重庆市马上融资担保有限公司"]


def test_delta_lists_expand_their_repeats() -> None:
    assert deltas("g 3 1.5 2 g 2 0.5") == [1.5, 1.5, 1.5, 2.0, 0.5, 0.5]


def test_signed_draft_lists_its_signatures() -> None:
    from mijian.pipeline.formats.ofd.reading import read_ofd

    found = read_ofd((DATA / "SESV4SignDoc.ofd").read_bytes(), "s", DEFAULT_LIMITS)
    assert found.signatures and "Signatures.xml" in found.signatures


def test_a_copy_is_encrypted_and_opens_with_its_password_only(tmp_path: Path) -> None:
    fmt = registry.named("ofd")
    stamp = _stamp()
    out = tmp_path / "000004_R004.ofd"
    fmt.write_copy((DATA / "keyword2.ofd").read_bytes(), stamp, out, limits=DEFAULT_LIMITS)
    data = out.read_bytes()
    assert registry.sniff(data, out.name) is fmt
    fmt.self_check(out, stamp, None, DEFAULT_LIMITS)
    with pytest.raises(CryptoError):
        fmt.decrypt(data, "wrong-password", out.name)
    with pytest.raises(InputError, match="encrypted copy"):
        fmt.read(data, out.name, DEFAULT_LIMITS)
    shut = fmt.read_evidence(out, data, LeakKeys(), DEFAULT_LIMITS)
    assert shut.encrypted and not shut.opened and shut.token is None
    plain = fmt.decrypt(data, stamp.user_password, out.name)
    with ofdkit.open(plain) as opened:  # the independent reader opens the copy
        text = opened.text()
    for mark in ("000004", "机密★20年", stamp.visible_code, "王五 份号 000004", "第2页/共2页",
                 "重庆市马上融资担保有限公司"):
        assert mark in text
    evidence = fmt.read_evidence(out, data, LeakKeys(known=(stamp.user_password,)), DEFAULT_LIMITS)
    assert evidence.opened and evidence.encrypted and evidence.token == stamp.token


def test_self_check_refuses_a_copy_without_its_marks(tmp_path: Path) -> None:
    from mijian.pipeline.formats.ofd.wrap import wrap

    fmt = registry.named("ofd")
    out = tmp_path / "c.ofd"
    out.write_bytes(wrap((DATA / "keyword2.ofd").read_bytes(), "c.ofd", "Pw-ofd-4420"))
    with pytest.raises(RegisterError, match="marks do not read back"):
        fmt.self_check(out, _stamp(), None, DEFAULT_LIMITS)
    out.write_bytes((DATA / "keyword2.ofd").read_bytes())
    with pytest.raises(RegisterError, match="not encrypted"):
        fmt.self_check(out, _stamp(), None, DEFAULT_LIMITS)


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_every_sample_takes_the_marks_and_the_token(path: Path) -> None:
    stamp = _stamp()
    plain = stamped_ofd(path.read_bytes(), stamp, DEFAULT_LIMITS)
    with ofdkit.open(plain) as opened:
        text = opened.text()
    assert stamp.visible_code in text and "机密★20年" in text
    evidence = registry.named("ofd").read_evidence(Path("p.ofd"), plain, LeakKeys(), DEFAULT_LIMITS)
    assert evidence.token == stamp.token and not evidence.encrypted
    assert f'Name="{TOKEN_NAME}"'.encode() not in path.read_bytes()


def test_pages_render_with_the_qr_symbol_and_the_fingerprints() -> None:
    from mijian.pipeline.screenprint_layer import layer_key
    from mijian.watermark.pattern import NUMBER_PARAMS, PatternKey, decode
    from mijian.watermark.qr import read_codes
    from mijian.watermark.screenprint import read

    stamp = _stamp()
    plain = stamped_ofd((DATA / "helloworld.ofd").read_bytes(), stamp, DEFAULT_LIMITS)
    [image] = registry.named("ofd").page_images(plain, "p", LeakKeys(), DEFAULT_LIMITS, 4) or []
    assert stamp.visible_code in read_codes(image)
    assert read(image, layer_key(stamp.pattern_key)).number == 123456789
    found = decode(image, PatternKey(stamp.pattern_key, NUMBER_PARAMS))
    assert found.payload == stamp.pattern_payload


def test_an_altered_encrypted_copy_does_not_open(tmp_path: Path) -> None:
    from mijian.pipeline.formats.ofd.wrap import wrap

    sealed = bytearray(wrap((DATA / "keyword2.ofd").read_bytes(), "c.ofd", "Pw-ofd-4420"))
    sealed[200] ^= 0x01  # one bit of the ciphertext
    with pytest.raises(CryptoError):
        registry.named("ofd").decrypt(bytes(sealed), "Pw-ofd-4420", "c.ofd")


def test_a_member_larger_than_declared_is_refused() -> None:
    import struct

    data = bytearray((DATA / "keyword2.ofd").read_bytes())
    end = data.rfind(b"PK\x05\x06")
    (position,) = struct.unpack_from("<I", data, end + 16)
    while data[position:position + 4] == b"PK\x01\x02":
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", data, position + 28)
        if data[position + 46:position + 46 + name_len] == b"Doc_0/Document.xml":
            struct.pack_into("<I", data, position + 24, 40)  # declared size: 40 bytes
            break
        position += 46 + name_len + extra_len + comment_len
    else:
        pytest.fail("no directory entry for Doc_0/Document.xml")
    with pytest.raises(InputError, match=r"damaged|inflates past"):
        registry.named("ofd").read(bytes(data), "lying.ofd", DEFAULT_LIMITS)


def test_a_package_with_a_long_directory_is_still_sniffed_as_ofd() -> None:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for index in range(1500):
            archive.writestr(f"Doc_0/Res/{index:05d}_{'x' * 40}.xml", b"<a/>")
        archive.writestr("OFD.xml", b"<a/>")
    assert registry.sniff(buffer.getvalue()).name == "ofd"


def test_a_template_named_in_another_case_is_read_and_kept_in_copies() -> None:
    """The invoice names its template ``TPLS/Tpl_0`` but stores ``Tpls/Tpl_0`` (written on a
    case-blind file system): it is the same part for readers, and for mijian."""
    data = (DATA / "v4signed-invoice.ofd").read_bytes()
    text = registry.named("ofd").read(data, "v4", DEFAULT_LIMITS).text
    assert "开票人" in text  # drawn by the template only
    plain = stamped_ofd(data, _stamp(), DEFAULT_LIMITS)
    assert "开票人" in ofdkit.extract_text(plain)


def test_content_in_the_mark_bands_is_scaled_down_between_them() -> None:
    import zipfile

    from lxml import etree

    from mijian.pipeline.formats.ofd.draw import MM_PER_POINT
    from mijian.pipeline.formats.pdf.marks import band_height, top_rows

    stamp = _stamp()
    plain = stamped_ofd((DATA / "keyword2.ofd").read_bytes(), stamp, DEFAULT_LIMITS)
    with zipfile.ZipFile(io.BytesIO(plain)) as archive:
        page = etree.fromstring(archive.read("Doc_0/Pages/Page_0/Content.xml"))
    [first] = page.xpath("//*[local-name()='TextObject'][@ID='4']")  # the draft's first line
    _x, y, _w, _h = map(float, first.get("Boundary").split())
    scale = float(first.get("CTM").split()[0])
    assert 0.5 < scale <= 1.0  # moved down, and scaled only when it would not fit
    band = band_height(top_rows(stamp.marking, 0, 2)) * MM_PER_POINT
    assert band > 25.4 and y >= band - 0.001  # it was at 25.4 mm, inside the band


@pytest.mark.parametrize("value", ["inf", "nan", "1e308", "g inf 1", "g 1e12 1", "-1e400 x"])
def test_hostile_numbers_are_read_copied_and_drawn_without_failing(value: str) -> None:
    import zipfile

    with zipfile.ZipFile(DATA / "keyword2.ofd") as archive:
        members = {name: archive.read(name) for name in archive.namelist() if not name.endswith("/")}
    page = "Doc_0/Pages/Page_0/Content.xml"
    members[page] = re.sub(rb'(Boundary|DeltaX|Size|Y)="[^"]*"', rb'\1="' + value.encode() + b'"',
                           members[page])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    fmt = registry.named("ofd")
    document = fmt.read(buffer.getvalue(), "n.ofd", DEFAULT_LIMITS)
    assert "你好呀" in document.text
    plain = stamped_ofd(buffer.getvalue(), _stamp(), DEFAULT_LIMITS)
    assert len(fmt.page_images(plain, "n", LeakKeys(), DEFAULT_LIMITS, 1) or []) == 1


@pytest.mark.parametrize("size", [0, 1, 16, 17, (1 << 20) + 5])
def test_the_encrypted_wrapper_round_trips_across_block_and_chunk_edges(size: int) -> None:
    import os

    from mijian.pipeline.formats.ofd.wrap import is_wrapped, unwrap, wrap

    plain = os.urandom(size)
    sealed = wrap(plain, "c.ofd", "Pw-ofd-4420")
    assert is_wrapped(sealed) and (size < 64 or plain[:64] not in sealed)
    assert unwrap(sealed, "Pw-ofd-4420", "c.ofd", DEFAULT_LIMITS) == plain
