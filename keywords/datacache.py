"""A cache on disk of the packaged data that is slow to build on every run.

Reading the lexicons and the catalogue of secrecy scopes means parsing and validating about
sixty TOML files in pure Python; the classifier then builds two Aho-Corasick automata over
them, the folding tables of :mod:`classifiers.normalise`, the grade model's weights and some
two hundred regular expressions. Each command paid for all of it again. :func:`cached` keeps
the built value in a file and reads it back on the next run while its inputs are unchanged.

- **Where**: the folder named by ``MIJIAN_CACHE``, else the user's cache folder
  (``~/.cache/mijian`` on Linux, from platformdirs). ``MIJIAN_CACHE=off`` turns the cache off:
  nothing is read or written. The folder is created with mode 0700; a folder that is not the
  user's own, or that others may write to, is not used; nor is any folder where files have no
  POSIX owner and mode (Windows): there the data is parsed on every run, as before.
- **Key**: a SHA-256 of the value's name, the contents of its source files (the data files and
  the modules that build the value from them), the interpreter and Unicode versions, and the
  installed distributions of mijian, pyahocorasick and numpy (their names carry their versions).
  Any change gives another key, and the file of the old key is no longer read.
- **Trust**: every file starts with its key and a MAC (HMAC-SHA256 with a random secret kept in
  the folder, mode 0600, made on first use): a file is unpickled only if it is a regular file of
  the user's own that no one else may read or write, and its MAC proves this program wrote it
  for this key. Unpickling then admits only the classes of the cached values.
- **Writing**: to a temporary file in the folder (mode 0600), then ``os.replace``, so a reader
  sees the old file or the new one, never a part; at most :data:`KEEP` files are kept per name.
- **Regular expressions**: a compiled pattern in a cached value is kept as the code CPython's
  regular-expression engine runs, and made again from it with the engine's own constructor
  (``_sre.compile``, which :func:`re.compile` ends with, and which checks the code it is given),
  skipping the parser and code generator that cost about 0.35 ms a pattern. These are CPython's
  private interfaces: a pattern is kept this way only when the code made from it gives back a
  pattern equal to it (same pattern, flags and code), else as its source, compiled again on load.
- **Failures**: any error reading the cache is a miss (the value is built as without a cache);
  any error writing it is ignored. Errors of the build itself (a bad lexicon file) are raised
  as before.

:func:`derived` caches a value built from another cached value (an automaton built from the
lexicon): its key is the other value's key plus its own sources, and a value that did not come
from :func:`cached` (a lexicon read from the user's own files) is built every time.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import importlib
import io
import os
import pickle
import re
import stat
import sys
import time
import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

ENV = "MIJIAN_CACHE"
"""The environment variable naming the cache folder, or ``off``."""
FORMAT = 1
"""The layout of the cache files; part of every key."""
KEEP = 4
"""Files kept per name (several versions of mijian may share one cache folder)."""
SECRET_FILE = "cache.key"
"""The file in the cache folder holding the MAC secret."""

_MAGIC = b"mijian-cache\n"
_MAC_SIZE = 32
_SECRET_SIZE = 32
_STALE_TEMP = 3600.0
"""Seconds after which a temporary file left by a killed writer is removed."""
_ORIGINS: dict[int, tuple[object, str]] = {}
"""id of a value :func:`cached` returned -> (the value, kept alive so the id stays its own; its key)."""
_MISS = object()


def cached(name: str, sources: Iterable[str | Path], build: Callable[[], T], kind: type[T], *, extra: str = "") -> T:
    """``build()``'s value, read from the cache when it holds one for the same inputs.

    ``name`` names the value (one file per key); ``sources`` are the files it is built from
    (their contents go into the key); ``kind`` is its type (a file holding anything else is a
    miss); ``extra`` is more text for the key.
    """
    folder = cache_dir()
    key = _key(name, sources, extra) if folder is not None else None
    secret = _secret(folder) if folder is not None and key is not None else None
    value: Any = _MISS
    if folder is not None and key is not None and secret is not None:
        value = _load(folder / _file_name(name, key), key, secret, kind)
    if value is _MISS:
        value = build()
        if folder is not None and key is not None and secret is not None:
            _store(folder, name, key, secret, value)
    if key is not None:
        _ORIGINS[id(value)] = (value, key)
    result: T = value
    return result


def derived(name: str, base: object, sources: Iterable[str | Path], build: Callable[[], T], kind: type[T]) -> T:
    """Like :func:`cached` for a value built from ``base``, a value :func:`cached` returned.

    When ``base`` did not come from :func:`cached` (or the cache is off), the value is built.
    """
    origin = _ORIGINS.get(id(base))
    if origin is None or origin[0] is not base:
        return build()
    return cached(name, sources, build, kind, extra=origin[1])


def kept_patterns(name: str, module_file: str | Path, sources: Iterable[str], flags: int = 0) -> dict[str, re.Pattern[str]]:
    """The patterns ``sources`` of the module at ``module_file`` compiled with ``flags``, by
    source, kept between runs under ``name``; empty when the cache is off, so that a module
    that compiles a pattern when it first uses it compiles only those it uses, as before."""
    if cache_dir() is None:
        return {}
    wanted = tuple(sources)
    return cached(name, (module_file,), lambda: {s: re.compile(s, flags) for s in wanted}, dict, extra=str(flags))


def cache_dir() -> Path | None:
    """The cache folder (not created here), or None when ``MIJIAN_CACHE`` is ``off``."""
    value = os.environ.get(ENV, "").strip()
    if value.lower() == "off":
        return None
    if value:
        return Path(value).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("mijian", appauthor=False))


def _file_name(name: str, key: str) -> str:
    return f"{name}-{key[:32]}.pickle"


def _key(name: str, sources: Iterable[str | Path], extra: str) -> str | None:
    """The key of a value, or None when a source cannot be read (the build then says why)."""
    digest = hashlib.sha256()
    for part in (_MAGIC.decode(), str(FORMAT), name, extra, _runtime()):
        digest.update(part.encode("utf-8") + b"\0")
    try:
        for path in sources:
            data = Path(path).read_bytes()
            digest.update(f"{Path(path).parent.name}/{Path(path).name}\0{len(data)}\0".encode())
            digest.update(data)
    except OSError:
        return None
    return digest.hexdigest()


@functools.lru_cache(maxsize=1)
def _runtime() -> str:
    """The interpreter, its Unicode tables, and the installed mijian, pyahocorasick and numpy.

    The versions are read from the names of their ``*.dist-info`` folders on ``sys.path``
    (``importlib.metadata`` would cost more than the cache saves).
    """
    wanted = ("mijian-", "pyahocorasick-", "numpy-")
    found: set[str] = set()
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        found.update(n for n in names if n.endswith(".dist-info") and n.startswith(wanted))
    return "|".join([sys.version, unicodedata.unidata_version, str(pickle.HIGHEST_PROTOCOL), *sorted(found)])


def _mine(st: os.stat_result) -> bool:
    """Owned by the user running this program (always true where there are no user ids)."""
    return not hasattr(os, "getuid") or st.st_uid == os.getuid()


def _usable_folder(folder: Path) -> bool:
    """Create the folder (mode 0700) if it is missing; True if it is the user's own and no one
    else may write to it."""
    if os.name != "posix":
        return False
    try:
        if not folder.is_dir():
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.chmod(folder, 0o700)
        st = folder.stat()
    except OSError:
        return False
    return stat.S_ISDIR(st.st_mode) and _mine(st) and not st.st_mode & 0o022


def _read_private(path: Path) -> bytes:
    """The bytes of a regular file of the user's own that no one else may read or write.

    Raises OSError (FileNotFoundError when it is missing) or ValueError otherwise.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0))
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fh.fileno())
        if not stat.S_ISREG(st.st_mode) or not _mine(st) or st.st_mode & 0o077:
            raise ValueError(f"{path}: not a private file of this user")
        return fh.read()


def _write_private(folder: Path, data: bytes) -> str:
    """Write ``data`` to a new temporary file of mode 0600 in ``folder``; returns its path."""
    import tempfile  # only when writing: a run that finds its values imports none of it

    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o600)
    except BaseException:
        _unlink(tmp)
        raise
    return tmp


def _secret(folder: Path) -> bytes | None:
    """The folder's MAC secret, made on first use; None when the folder or secret is unusable."""
    if not _usable_folder(folder):
        return None
    path = folder / SECRET_FILE
    try:
        try:
            secret = _read_private(path)
        except FileNotFoundError:
            tmp = _write_private(folder, os.urandom(_SECRET_SIZE))
            try:
                os.link(tmp, path)  # never replaces a secret another process made first
            except FileExistsError:
                pass
            finally:
                _unlink(tmp)
            secret = _read_private(path)
    except (OSError, ValueError):
        return None
    return secret if len(secret) == _SECRET_SIZE else None


def _mac(secret: bytes, key: str, payload: bytes | memoryview) -> bytes:
    mac = hmac.new(secret, key.encode("ascii") + b"\0", hashlib.sha256)
    mac.update(payload)
    return mac.digest()


def _header(key: str) -> bytes:
    return _MAGIC + key.encode("ascii") + b"\n"


def _load(path: Path, key: str, secret: bytes, kind: type) -> Any:
    """The value in the cache file at ``path``, or ``_MISS`` for a missing, foreign, stale or
    damaged file (whatever went wrong)."""
    try:
        blob = _read_private(path)
        head = _header(key)
        if not blob.startswith(head):
            return _MISS
        mac = blob[len(head):len(head) + _MAC_SIZE]
        payload = memoryview(blob)[len(head) + _MAC_SIZE:]
        if not hmac.compare_digest(mac, _mac(secret, key, payload)):
            return _MISS
        value = _Unpickler(io.BytesIO(payload)).load()
    except Exception:
        return _MISS
    return value if isinstance(value, kind) else _MISS


def _store(folder: Path, name: str, key: str, secret: bytes, value: object) -> None:
    """Write the value's file atomically and prune old files; errors are ignored."""
    try:
        buffer = io.BytesIO()
        _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(value)
        payload = buffer.getvalue()
        tmp = _write_private(folder, _header(key) + _mac(secret, key, payload) + payload)
        try:
            os.replace(tmp, folder / _file_name(name, key))
        except BaseException:
            _unlink(tmp)
            raise
        _prune(folder, name)
    except Exception:
        pass


def _prune(folder: Path, name: str) -> None:
    """Keep the :data:`KEEP` newest files of ``name``; remove temporary files left long ago."""
    def age(path: Path) -> float:
        try:
            return time.time() - path.stat().st_mtime
        except OSError:
            return 0.0

    for old in sorted(folder.glob(f"{name}-{'[0-9a-f]' * 32}.pickle"), key=age)[KEEP:]:
        _unlink(old)
    for tmp in folder.glob(".tmp-*.part"):
        if age(tmp) > _STALE_TEMP:
            _unlink(tmp)


def _unlink(path: str | Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _engine_code(pattern: re.Pattern[str]) -> tuple[Any, ...] | None:
    """The arguments with which ``_sre.compile`` makes ``pattern`` again, or None when the
    interpreter's internals do not give back an equal pattern."""
    try:
        _sre = importlib.import_module("_sre")
        from re import _compiler, _parser  # type: ignore[attr-defined]

        flags = pattern.flags
        parsed = _parser.parse(pattern.pattern, flags)
        code = [int(c) for c in _compiler._code(parsed, flags)]
        groupindex = dict(parsed.state.groupdict)
        indexgroup: list[str | None] = [None] * parsed.state.groups
        for name, index in groupindex.items():
            indexgroup[index] = name
        spec = (pattern.pattern, int(flags | parsed.state.flags), code, parsed.state.groups - 1, groupindex,
                tuple(indexgroup))
        return spec if _sre.compile(*spec) == pattern else None
    except Exception:
        return None


def _made_again(*spec: Any) -> re.Pattern[str]:
    """A compiled pattern made from its engine code (see :func:`_engine_code`)."""
    made: re.Pattern[str] = importlib.import_module("_sre").compile(*spec)
    return made


class _Pickler(pickle.Pickler):
    """Keeps compiled patterns as their engine code (see the module notes)."""

    def reducer_override(self, obj: Any) -> Any:
        """Compiled text patterns as engine code; everything else as pickle does."""
        if type(obj) is re.Pattern and isinstance(obj.pattern, str):
            spec = _engine_code(obj)
            if spec is not None:
                return _made_again, spec
        return NotImplemented


_GLOBALS = frozenset({
    ("ahocorasick", "Automaton"), ("re", "_compile"), ("mijian.keywords.datacache", "_made_again"),
    ("numpy", "dtype"), ("numpy", "ndarray"),
    ("numpy._core.numeric", "_frombuffer"), ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.multiarray", "_reconstruct"), ("numpy.core.multiarray", "_reconstruct"),
    ("builtins", "frozenset"), ("builtins", "set"), ("builtins", "slice"), ("builtins", "complex"),
})
"""What a cached value may be rebuilt from besides the classes of mijian's data modules."""


class _Unpickler(pickle.Unpickler):
    """Admits only the classes and functions the cached values are made of."""

    def find_class(self, module: str, name: str) -> Any:
        """The global ``module.name`` if it is one a cached value needs; refuse anything else."""
        if (module, name) in _GLOBALS:
            return super().find_class(module, name)
        if module.startswith(("mijian.keywords.", "mijian.classifiers.")):
            found = super().find_class(module, name)
            if isinstance(found, type):
                return found
        raise pickle.UnpicklingError(f"{module}.{name} has no place in mijian's cache")
