"""The settings a verb runs with (home, limits, actor) and the progress callback, apart from
the other values of :mod:`.values` so that a verb needing only these (``trace``) makes no
more dataclasses than it uses."""

from __future__ import annotations

import dataclasses
import getpass
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from mijian.pipeline.errors import UsageError
from mijian.pipeline.limits import DEFAULT_LIMITS, Limits

Progress = Callable[[int, int, str], None]
"""A progress callback: told ``(done, total, message)`` as a long verb (issue, trace) goes on."""


def default_home() -> Path:
    """The user's data folder for mijian (e.g. ``~/.local/share/mijian``), used without MIJIAN_HOME."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("mijian"))


def _user() -> str:
    """The operating-system account running the command, found by its user id: the USER and
    LOGNAME variables (which getpass reads first) can be set by anyone for one command, which
    would put another person's name on a change or destruction in the signed log. getpass
    where there is no account database (Windows, a user id without an entry)."""
    try:
        import os
        import pwd

        return pwd.getpwuid(os.getuid()).pw_name
    except (ImportError, KeyError, AttributeError):
        pass
    try:
        return getpass.getuser()
    except Exception:  # no user name in some containers
        return "unknown"


@dataclass(frozen=True)
class Settings:
    """Where the office is and how a verb runs: the home folder (register and keys), the
    limits on untrusted input, and the actor named in the register's signed events."""

    home: Path = field(default_factory=default_home)
    limits: Limits = DEFAULT_LIMITS
    actor: str = field(default_factory=_user)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> Settings:
        """The settings the command line uses: ``MIJIAN_HOME`` and the ``MIJIAN_MAX_…`` limits
        read from ``environ`` (the caller passes ``os.environ`` or its own mapping)."""
        home = environ.get("MIJIAN_HOME")
        values = {}
        for f in dataclasses.fields(Limits):
            name = "MIJIAN_" + f.name.upper()
            raw = environ.get(name)
            if raw:
                try:
                    values[f.name] = int(raw)
                except ValueError:
                    raise UsageError(f"{name}={raw!r} is not a whole number; fix or unset it") from None
        return cls(home=Path(home).expanduser() if home else default_home(), limits=Limits(**values))
