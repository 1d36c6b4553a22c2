"""Files an issue run writes into ``--out``: private staging, exclusive temporaries, one lock.

The output folder may be shared with, or prepared by, someone else. Three rules keep a run's
bytes (copies, passwords) where they belong:

- every temporary file is created with ``O_CREAT | O_EXCL | O_NOFOLLOW`` inside a staging
  folder private to the run (``OUT/.mijian-staging/run-…``, mode 0700, made by ``mkdtemp``),
  so a planted name or symbolic link is never opened for writing;
- a finished file reaches its place by ``rename`` (which replaces a link, never follows it);
- the shared pieces (``passwords.csv``, ``manifest.json``, the staging parent) are changed
  only under an exclusive ``flock`` of ``OUT/.mijian.lock``, so concurrent runs into one
  folder take turns; the last run out removes both the staging parent and the lock file.

What this does not protect against: another process running as the same user (it can read
and replace anything of ours), or an output folder on a file system without ``flock``.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import secrets
import stat
from pathlib import Path
from collections.abc import Iterator

from mijian.pipeline.errors import OutputError, UsageError

STAGING = ".mijian-staging"
"""The folder in ``--out`` that holds each run's private staging folder."""

LOCK = ".mijian.lock"
"""The lock file in ``--out`` that serialises changes to its shared files."""

_RUN_PREFIX = "run-"


def _refuse(path: Path, found: str) -> UsageError:
    return UsageError(f"{path}: {found}; expected a folder of your own that only you can write; "
                      "remove it or choose another --out (输出目录中的文件不可信)")


def _check_private_dir(path: Path) -> None:
    """``path`` is a real folder (not a link), owned by this user, writable by no one else."""
    st = os.lstat(path)
    if stat.S_ISLNK(st.st_mode) or not stat.S_ISDIR(st.st_mode):
        raise _refuse(path, "is a link or not a folder")
    if st.st_uid != os.geteuid() or st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise _refuse(path, "belongs to another user or others can write it")


def check_out_dir(out_dir: Path) -> None:
    """Refuse an output folder anyone may write without the sticky bit.

    There, anyone could rename this run's staging folder away and put a link in its place
    between two writes, and the next file (a copy, the passwords) would land in their
    folder. With the sticky bit (as in /tmp) only the owner of an entry may rename it.
    """
    st = os.stat(out_dir)
    if st.st_mode & stat.S_IWOTH and not st.st_mode & stat.S_ISVTX:
        raise UsageError(f"{out_dir}: anyone can write this folder (mode "
                         f"{stat.S_IMODE(st.st_mode):o}); expected a folder others cannot change; "
                         "choose a private --out (输出目录任何人可写)")


@contextlib.contextmanager
def out_lock(out_dir: Path) -> Iterator[int]:
    """Hold the exclusive lock of ``out_dir`` (blocking) for the ``with`` block.

    The last run to leave a folder removes the lock file (while holding it), so a waiter may
    wake up holding the lock of a file that is gone: the lock counts only when the name still
    leads to the locked file, otherwise it is taken again on the current one.
    """
    path = Path(out_dir) / LOCK
    while True:
        fd = _open_lock(path)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            current = os.stat(path, follow_symlinks=False)
        except FileNotFoundError:
            os.close(fd)
            continue
        except BaseException:
            os.close(fd)
            raise
        mine = os.fstat(fd)
        if (current.st_dev, current.st_ino) == (mine.st_dev, mine.st_ino):
            break
        os.close(fd)
    try:
        yield fd
    finally:
        os.close(fd)  # closing releases the lock


def _open_lock(path: Path) -> int:
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise _refuse(path, "is a symbolic link") from None
        raise
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise _refuse(path, "is not a plain file")
    return fd


def open_run_staging(out_dir: Path) -> Path:
    """Make this run's private staging folder under ``OUT/.mijian-staging`` (mode 0700).

    The parent is created (0700) or checked under the folder's lock, so a concurrent run's
    clean-up cannot remove it in between; folders of runs that are gone are removed.
    """
    check_out_dir(Path(out_dir))
    parent = Path(out_dir) / STAGING
    with out_lock(out_dir):
        try:
            os.mkdir(parent, 0o700)
        except FileExistsError:
            pass
        _check_private_dir(parent)
        _remove_dead_runs(parent)
        import socket
        import tempfile

        prefix = f"{_RUN_PREFIX}{socket.gethostname()}-{os.getpid()}-"
        return Path(tempfile.mkdtemp(prefix=prefix, dir=parent))


def close_run_staging(out_dir: Path, run_dir: Path) -> None:
    """Remove this run's staging folder, and the staging parent when no other run uses it."""
    import shutil

    parent = Path(out_dir) / STAGING
    with out_lock(out_dir):
        shutil.rmtree(run_dir, ignore_errors=True)
        try:
            os.rmdir(parent)
        except OSError:
            return  # another run still stages here: it will tidy up
        # the last run out leaves no lock file behind (waiters re-check, see out_lock)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(Path(out_dir) / LOCK)


def _remove_dead_runs(parent: Path) -> None:
    """Remove the staging folders of runs on this host whose process is gone (and the
    ``<name>.<pid>.partial`` files earlier versions staged directly in the parent)."""
    import shutil
    import socket

    host = socket.gethostname()
    for entry in parent.iterdir():
        name = entry.name
        if name.endswith(".partial") and entry.is_file():  # left by an earlier version
            pid = name.rsplit(".", 2)[-2] if name.count(".") >= 2 else ""
            if pid.isdigit() and not _pid_alive(int(pid)):
                entry.unlink()
            continue
        if not name.startswith(f"{_RUN_PREFIX}{host}-"):
            continue
        pid = name[len(_RUN_PREFIX) + len(host) + 1:].split("-", 1)[0]
        if pid.isdigit() and not _pid_alive(int(pid)):
            shutil.rmtree(entry, ignore_errors=True)


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def writing_to(folder: Path) -> Iterator[None]:
    """Report an ``OSError`` raised in the ``with`` block as :class:`OutputError` (exit 1).

    Used around the writes into an output folder: a folder that cannot be made or written,
    or a full disk, is a problem of the machine, not of the draft (which would be exit 3).
    """
    try:
        yield
    except OSError as exc:
        where = exc.filename or folder
        raise OutputError(f"{where}: could not be written ({exc.strerror or exc}) (无法写入输出); "
                          "expected a folder you can write, with free space; check the path, "
                          "its permissions and the disk, then run again") from None


def create_exclusive(path: Path, mode: int = 0o600) -> int:
    """Create ``path`` for writing, failing if any file or link already has that name."""
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, mode)


def write_atomic(final: Path, data: bytes, staging: Path, mode: int = 0o644) -> None:
    """Write ``data`` to ``final`` whole or not at all.

    The bytes go to a new file created exclusively in the private ``staging`` folder (same
    file system as ``final``), are flushed to disk, then renamed over ``final``; a link at
    ``final`` is replaced, not followed.
    """
    fd, temp = -1, None
    try:
        temp = Path(staging) / f".{final.name}.{secrets.token_hex(8)}.tmp"
        fd = create_exclusive(temp, mode)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fchmod(fd, mode)  # the umask may have narrowed the mode asked for
        os.fsync(fd)
        os.close(fd)
        fd = -1
        os.replace(temp, final)
        temp = None
    finally:
        if fd >= 0:
            os.close(fd)
        if temp is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
