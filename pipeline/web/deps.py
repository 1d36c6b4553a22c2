"""What every route needs: the app's configuration, the logged-in user, role checks, the
CSRF check of form posts, bounded uploads and page rendering."""

from __future__ import annotations

import hmac
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import HTTPException, Request
from starlette.datastructures import UploadFile
from fastapi.responses import HTMLResponse

from mijian.pipeline.limits import DEFAULT_LIMITS, Limits
from mijian.pipeline.service import Settings
from mijian.pipeline.web.messages import negotiate, translator
from mijian.pipeline.web.terms import namer
from mijian.pipeline.web.users import Session, find_session

COOKIE = "mijian_session"
READER_ROLES = ("security", "clerk")
"""Who may read the register and trace leaks (保密员, 机要员)."""


@dataclass(frozen=True)
class WebConfig:
    """Where the office is (``home``), where drafts and copies are kept (``data``, outside the
    home), whether cookies are marked Secure (TLS), and the limits on uploads."""

    home: Path
    data: Path
    secure: bool = False
    limits: Limits = DEFAULT_LIMITS
    extra: dict = field(default_factory=dict)

    def settings(self, actor: str) -> Settings:
        """The service settings for one action by ``actor``."""
        return Settings(home=self.home, limits=self.limits, actor=actor)


def whole_number(raw: str | None) -> int | None:
    """``raw`` as a whole number when it is written with the digits 0-9 only, else None.
    ``str.isdigit`` alone is not enough: it accepts '²' and other digits int() refuses,
    which would crash the request instead of falling back to the default."""
    return int(raw) if raw and raw.isascii() and raw.isdigit() else None


def text_of(fields: Any, names: tuple[str, ...]) -> dict[str, str]:
    """The fields ``names`` as stripped text ("" when absent or null); 400 when one is
    anything else (a JSON object or list, a file): it would be written into the signed
    log as its Python spelling."""
    out = {}
    for name in names:
        value = fields.get(name)
        if value is not None and not isinstance(value, str):
            raise HTTPException(400, f'send "{name}" as text')
        out[name] = (value or "").strip()
    return out


def config(request: Request) -> WebConfig:
    """The app's configuration."""
    return request.app.state.config


def session(request: Request) -> Session | None:
    """The session of the request's cookie or bearer token, or None."""
    token = request.cookies.get(COOKIE)
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        token = header[7:].strip()
    return find_session(request.app.state.accounts, token)


def require(request: Request, *roles: str, temporary: bool = False) -> Session:
    """The session when its user has one of ``roles`` (any role when none given); 401 when
    nobody is logged in, 403 otherwise. An account still on its temporary password gets 403
    everywhere but where ``temporary`` allows it (changing the password, logging out): see
    :mod:`mijian.pipeline.web.accounts`."""
    found = session(request)
    if found is None:
        raise HTTPException(401, "login required")
    if found.must_change and not temporary:
        raise HTTPException(403, "change your temporary password first at /password (请先在 /password 修改临时口令)")
    if roles and found.user.role not in roles:
        raise HTTPException(403, "forbidden")
    return found


async def form_of(request: Request, roles: tuple[str, ...] = (), temporary: bool = False) -> tuple[Session, Any]:
    """The session and form of a page's POST after the role and CSRF checks (403 on a missing
    or wrong token; ``temporary`` as for :func:`require`). API calls authenticated by a bearer
    token carry no cookie and need none."""
    found = require(request, *roles, temporary=temporary)
    form = await request.form()
    sent = str(form.get("csrf") or request.headers.get("x-csrf-token") or "")
    if not hmac.compare_digest(sent.encode(), found.csrf.encode()):
        await form.close()
        raise HTTPException(403, "bad csrf token")
    return found, form


async def save_upload(request: Request, upload: UploadFile, ext: str) -> Path:
    """The upload written to a private temporary folder under a fixed name (413 when larger
    than the limit on untrusted files); the caller removes the folder."""
    limit = config(request).limits.max_file_bytes
    folder = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX))
    path = folder / f"upload{ext}"
    size = 0
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    with os.fdopen(fd, "wb") as f:
        while chunk := await upload.read(1 << 20):
            size += len(chunk)
            if size > limit:
                remove_tree(folder)
                raise HTTPException(413, "file too large")
            f.write(chunk)
    return path


TEMP_PREFIX = "mijian-web-"
"""How the private temporary folders of uploads and recipients files are named."""
_TEMP_PATH = re.compile(r"(?:[^\s'\"]*[/\\])?" + TEMP_PREFIX + r"\w+(?:[/\\][\w.-]+)*")


def hide_paths(text: str) -> str:
    """``text`` with every path into the app's temporary folders replaced by words: an error
    about an upload speaks of the file the user sent, never of where the server kept it."""
    return _TEMP_PATH.sub("the uploaded file (上传的文件)", text)


def remove_tree(folder: Path) -> None:
    """Remove a temporary folder and what it holds."""
    import shutil

    shutil.rmtree(folder, ignore_errors=True)


def lang_of(request: Request) -> str:
    """The page language of the request."""
    return negotiate(request.headers.get("accept-language"), request.cookies.get("lang"))


def page(request: Request, template: str, status: int = 200, **values: Any) -> HTMLResponse:
    """A rendered page in the request's language, with the user and CSRF token at hand."""
    lang = lang_of(request)
    found = session(request)
    context = {"request": request, "lang": lang, "t": translator(lang), "term": namer(lang),
               "me": found.user if found else None, "csrf": found.csrf if found else "", **values}
    return request.app.state.templates.TemplateResponse(request, template, context, status_code=status)
