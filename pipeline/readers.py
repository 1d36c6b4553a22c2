"""Read an untrusted draft into one frozen :class:`~pipeline.model.Document`.

The format is the one its extension names (see :mod:`pipeline.formats.registry`); its
reader checks that the content agrees before it parses anything. Every failure is one
:class:`InputError` line.
"""

from __future__ import annotations

from pathlib import Path

from mijian.pipeline.errors import InputError, LimitExceeded
from mijian.pipeline.formats.common import detect_language
from mijian.pipeline.limits import DEFAULT_LIMITS, Limits
from mijian.pipeline.model import Document

__all__ = ["detect_language", "read_bytes", "read_document"]


def read_bytes(path: Path, limits: Limits) -> bytes:
    """The file's bytes, refusing missing, non-regular and over-large files."""
    try:
        st = path.stat()
    except OSError:
        raise InputError(f"{path}: no such file (文件不存在); check the path") from None
    if not path.is_file():
        raise InputError(f"{path}: not a regular file; give the path of a draft file")
    if st.st_size > limits.max_file_bytes:
        raise LimitExceeded(f"{path}: {st.st_size} bytes is more than the limit of "
                            f"{limits.max_file_bytes}; split the draft or raise MIJIAN_MAX_FILE_BYTES")
    if st.st_size == 0:
        raise InputError(f"{path}: the file is empty (0 bytes, 空文件); give the draft itself")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror}); check its permissions") from None


def read_document(path: str | Path, limits: Limits = DEFAULT_LIMITS) -> Document:
    """Read a draft (.pdf, .docx, .txt) into a :class:`Document`, or raise :class:`InputError`."""
    from mijian.pipeline.formats import registry

    path = Path(path)
    data = read_bytes(path, limits)
    return registry.for_draft(path).read(data, str(path), limits)
