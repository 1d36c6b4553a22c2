"""The office: its home folder, keys and register, opened together."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline.crypto import KeyRing, OfficeKey, derived_password
from pipeline.register import Register

PDF_OWNER_PURPOSE = "pdf-owner"


@dataclass
class Office:
    """``MIJIAN_HOME``: the register and the keys. Close it when done (context manager)."""

    home: Path
    register: Register
    keyring: KeyRing

    @classmethod
    def open(cls, home: str | Path) -> "Office":
        """Open the office at ``home``, creating the folder, key and register on first use."""
        home = Path(home)
        home.mkdir(parents=True, exist_ok=True)
        home.chmod(0o700)
        keyring = KeyRing(home)
        keyring.current()  # creates the first key, checks permissions of existing ones
        return cls(home=home, register=Register.open(home), keyring=keyring)

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

    def __enter__(self) -> "Office":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
