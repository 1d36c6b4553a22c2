"""The office: its home folder, keys and register, opened together."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from mijian.pipeline.crypto import KeyRing, OfficeKey, derived_password
from mijian.pipeline.errors import RegisterError
from mijian.pipeline.register_store import RegisterStore, register_opener

PDF_OWNER_PURPOSE = "pdf-owner"

PASSWORD_PURPOSE = "copy-password"
"""The purpose a copy's password is sealed under with the office key in the register."""


def check_home(home: Path) -> None:
    """Create ``home`` (mode 0700) on first use, or refuse one that others could change.

    An existing folder is never re-moded: a home that group or others can write (a shared
    folder, mode 1777 or 775) could have had its keys or register swapped by them, and
    silently narrowing its mode would hide that from the officer and break whoever shares it.
    """
    if not home.exists() and not home.is_symlink():
        home.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.mkdir(home, 0o700)
        except FileExistsError:
            pass
        else:
            os.chmod(home, 0o700)  # mkdir's mode is narrowed by the umask, never widened
    st = home.stat()
    if not stat.S_ISDIR(st.st_mode):
        raise RegisterError(f"MIJIAN_HOME {home} is not a folder; expected the office's own "
                            "folder; point MIJIAN_HOME at another path (办公目录不是文件夹)")
    if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise RegisterError(
            f"MIJIAN_HOME {home} can be written by group or others (mode "
            f"{stat.S_IMODE(st.st_mode):o}); expected a private folder (mode 700); check who "
            f"could have changed its keys or register, then run 'chmod 700 {home}' or choose "
            "another MIJIAN_HOME (办公目录他人可写，拒绝使用)")


@dataclass
class Office:
    """``MIJIAN_HOME``: the register and the keys. Close it when done (context manager)."""

    home: Path
    register: RegisterStore
    keyring: KeyRing

    @classmethod
    def open(cls, home: str | Path) -> Office:
        """Open the office at ``home``, creating the folder, key and register on first use."""
        open_register = register_opener()  # a store this mijian lacks is refused before any write
        home = Path(home)
        check_home(home)
        keyring = KeyRing(home)
        keyring.current()  # creates the first key, checks permissions of existing ones
        return cls(home=home, register=open_register(home), keyring=keyring)

    def key(self) -> OfficeKey:
        """The current office key."""
        return self.keyring.current()

    def keys(self) -> list[OfficeKey]:
        """Every office key, newest first."""
        return self.keyring.keys()

    def owner_passwords(self) -> list[str]:
        """The owner password of PDF copies under each office key (newest first)."""
        return [derived_password(k, PDF_OWNER_PURPOSE) for k in self.keys()]

    def close(self) -> None:
        """Close the register."""
        self.register.close()

    def __enter__(self) -> Office:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
