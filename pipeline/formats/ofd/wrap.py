"""The encrypted delivery of an OFD copy: a ZIP holding the OFD file as its one member,
AES-256 encrypted with the recipient's password (WinZip AES, AE-2).

OFD's own encryption (GM/T 0099, SM4 under a certificate or password envelope) is not
implemented here, so a copy is delivered the way a password-protected
attachment is: 7-Zip, WinZip, Bandizip or ``7z x -p<password> copy.ofd`` open it and give the
plain ``.ofd`` inside, which any OFD reader opens. The AES recipe lives in
:mod:`pipeline.crypto` (the only module that touches the cipher); this module only lays out
the zip records around it.

Protects against: reading the copy without the password (AES-256, key from the password by
PBKDF2-HMAC-SHA1 as the format fixes it; the password is random and long). Does not protect
against: a recipient who extracts the plain file and passes it on (the marks trace it).
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

from mijian.pipeline.errors import InputError, LimitExceeded
from mijian.pipeline.formats.ofd.package import damaged, problem
from mijian.pipeline.limits import Limits

_AES_METHOD = 99
_EXTRA = struct.pack("<HHH2sBH", 0x9901, 7, 2, b"AE", 3, zipfile.ZIP_DEFLATED)
_FLAGS = 0x1 | 0x800  # encrypted, UTF-8 name
_DOS_DATE = (2026 - 1980) << 9 | 1 << 5 | 1


def wrap(plain: bytes, member: str, password: str) -> bytes:
    """A ZIP whose one member ``member`` is ``plain``, deflated and AES-256 encrypted."""
    from mijian.pipeline.crypto import zip_aes_encrypt

    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    payload = zip_aes_encrypt(compressor.compress(plain) + compressor.flush(), password)
    name = member.encode("utf-8")
    common = struct.pack("<HHHHHIII", 51, _FLAGS, _AES_METHOD, 0, _DOS_DATE, 0,
                         len(payload), len(plain))
    local = b"PK\x03\x04" + common + struct.pack("<HH", len(name), len(_EXTRA)) + name + _EXTRA
    central = (b"PK\x01\x02" + struct.pack("<H", 51) + common
               + struct.pack("<HHHHHII", len(name), len(_EXTRA), 0, 0, 0, 0, 0) + name + _EXTRA)
    offset = len(local) + len(payload)
    end = b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, 1, 1, len(central), offset, 0)
    return local + payload + central + end


def is_wrapped(data: bytes) -> bool:
    """Whether ``data`` starts like a wrapped copy: an encrypted first member named *.ofd."""
    if not data.startswith(b"PK\x03\x04") or len(data) < 30:
        return False
    flags, method = struct.unpack_from("<HH", data, 6)
    (length,) = struct.unpack_from("<H", data, 26)
    name = data[30:30 + length].lower()
    return bool(flags & 0x1) and method == _AES_METHOD and name.endswith(b".ofd")


def unwrap(data: bytes, password: str, source: str, limits: Limits) -> bytes:
    """The plain OFD inside a wrapped copy; :class:`CryptoError` for a wrong password, a
    one-line :class:`InputError` for a damaged or oversized file."""
    from mijian.pipeline.crypto import zip_aes_decrypt

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
        if len(infos) != 1 or infos[0].compress_type != _AES_METHOD:
            raise InputError(problem(source, "the encrypted OFD copy holds other members",
                                     "one encrypted .ofd member", "obtain the copy as issued"))
        info = infos[0]
        if info.file_size > limits.max_file_bytes or info.compress_size > len(data):
            raise LimitExceeded(problem(source, "the encrypted OFD copy is too large (文件过大)",
                                        f"at most {limits.max_file_bytes} bytes", "do not open it"))
        start = info.header_offset
        name_len, extra_len = struct.unpack_from("<HH", data, start + 26)
        begin = start + 30 + name_len + extra_len
        payload = data[begin:begin + info.compress_size]
    except (zipfile.BadZipFile, struct.error, OSError, ValueError) as exc:
        raise damaged(source, exc) from None
    compressed = zip_aes_decrypt(payload, password)
    try:
        inflater = zlib.decompressobj(-15)
        plain = inflater.decompress(compressed, limits.max_file_bytes + 1)
    except zlib.error as exc:
        raise damaged(source, exc) from None
    if len(plain) > limits.max_file_bytes:
        raise LimitExceeded(problem(source, "the encrypted OFD copy inflates too far (疑似压缩炸弹)",
                                    f"at most {limits.max_file_bytes} bytes", "do not open it"))
    return plain
