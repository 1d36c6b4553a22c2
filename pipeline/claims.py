"""Who is issuing a pending copy: a run's claim, and whether that run is still alive.

A run that reserves copies writes its claim into each pending row:
``<host>:<pid>:<token>``. It also creates ``MIJIAN_HOME/runs/<token>.lock`` and holds an
exclusive ``flock`` on it for as long as it lives; the kernel releases the lock the moment
the process ends, however it ends. Another process on the same host then knows for sure:
the lock can be taken ⇒ the run is gone. A process id alone would not do (ids are reused).

Claims written by earlier versions (``<host>:<pid>``) fall back to asking whether that
process id exists. A claim from another host cannot be checked from here and counts as
alive: only a process on that host may void or take over its copies.

What this does not protect against: a run on another host sharing the register over a
network file system whose locks are not honoured (SQLite needs them too).
"""

from __future__ import annotations

import errno
import fcntl
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

from mijian.pipeline.errors import RegisterError

RUNS = "runs"
"""The folder in ``MIJIAN_HOME`` holding one lock file per live run."""


@dataclass(frozen=True)
class Claim:
    """A parsed claim: the host, process id and (for current claims) the run's lock token."""

    host: str
    pid: int
    token: str | None

    @classmethod
    def parse(cls, text: str | None) -> Claim | None:
        """The claim in ``text``, or None when it is empty or malformed."""
        parts = (text or "").rsplit(":", 2)
        if len(parts) == 3 and parts[1].isdigit() and parts[2].isalnum():
            return cls(parts[0], int(parts[1]), parts[2])
        host, _, pid = (text or "").rpartition(":")
        if host and pid.isdigit():
            return cls(host, int(pid), None)
        return None


class RunClaim:
    """This process's claim, backed by a held lock file; release it with :meth:`release`."""

    def __init__(self, home: Path) -> None:
        folder = Path(home) / RUNS
        try:
            os.mkdir(folder, 0o700)
        except FileExistsError:
            pass
        st = os.lstat(folder)
        if not stat.S_ISDIR(st.st_mode) or st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            raise RegisterError(f"{folder}: is not a private folder (a link, or others can write "
                                f"it); expected mode 700; remove it and run again (运行锁目录不安全)")
        _remove_stale(folder)
        self.token = secrets.token_hex(8)
        self.path = folder / f"{self.token}.lock"
        # made under a temporary name and locked before it gets its real name, so a lock file
        # under its real name is always held by its run from the moment it appears
        fresh = folder / f".{self.token}.new"
        self._fd = os.open(fresh, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
                           | os.O_CLOEXEC, 0o600)
        fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.rename(fresh, self.path)
        import socket  # here and in claim_alive only: tracing reads the register without it

        self.text = f"{socket.gethostname()}:{os.getpid()}:{self.token}"

    def release(self) -> None:
        """Remove the lock file and let go of the lock (the run is over)."""
        if self._fd >= 0:
            try:
                self.path.unlink()
            except FileNotFoundError:
                pass
            os.close(self._fd)
            self._fd = -1


def claim_alive(home: Path, text: str | None, own: str | None = None) -> bool:
    """Whether the run that wrote claim ``text`` may still be working on its copies.

    ``own`` is the caller's claim: a claim equal to it is the caller's own (alive). A claim
    of another host is counted alive (it cannot be checked from here).
    """
    if own is not None and text == own:
        return True
    claim = Claim.parse(text)
    if claim is None:
        return False
    import socket

    if claim.host != socket.gethostname():
        return True
    if claim.token is None:
        return _pid_exists(claim.pid)
    return _lock_held(Path(home) / RUNS / f"{claim.token}.lock")


def _remove_stale(folder: Path) -> None:
    """Remove the lock files of runs that are gone (their lock can be taken)."""
    for path in folder.glob("*.lock"):
        if not _lock_held(path):
            try:
                path.unlink()
            except FileNotFoundError:
                pass


def _lock_held(path: Path) -> bool:
    try:
        fd = os.open(path, os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:
        return False
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return False
        raise
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def _pid_exists(pid: int) -> bool:
    if pid == os.getpid():
        return False  # an old-style claim of this very process is left over from a former run
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
