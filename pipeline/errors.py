"""One exception root for mijian, with a few branches the CLI maps to exit codes.

Every message says what was found, what was expected and what to do, on one line, in
Chinese and English where the user will read it.
"""

from __future__ import annotations


class MijianError(Exception):
    """Root of every error mijian raises on purpose."""

    exit_code = 1


class UsageError(MijianError):
    """The command was called with words or values it cannot use (exit 2)."""

    exit_code = 2


class InputError(MijianError):
    """A draft, recipients file or leaked copy cannot be read or is not acceptable (exit 3)."""

    exit_code = 3


class LimitExceeded(InputError):
    """An untrusted input went past a named limit (size, pages, expansion); see pipeline.limits."""


class OutputError(MijianError):
    """An output (a copy, the manifest, a report) could not be written: the folder or the disk
    failed, not the input (exit 1)."""

    exit_code = 1


class ConfigError(MijianError):
    """A lexicon, scheme or catalogue data file is malformed (exit 1)."""

    exit_code = 1


class RegisterError(MijianError):
    """The register or the office keys cannot be used as asked (exit 4)."""

    exit_code = 4


class CryptoError(RegisterError):
    """Decryption or verification failed. Deliberately opaque: it never says which part failed."""
