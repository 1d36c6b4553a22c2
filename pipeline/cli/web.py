"""Commands of the web app: ``serve`` (the office's web front end) and ``users`` (its
accounts). The web stack is imported inside the commands: without the ``web`` extra the
rest of the command line works and these commands say what to install."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer

from mijian.pipeline.cli.output import emit
from mijian.pipeline.errors import ConfigError, UsageError

users_app = typer.Typer(no_args_is_help=True, help="accounts of the web app (用户)")
MISSING = ("the web extra is not installed (未安装 web 组件); run: pip install 'mijian[web]'")


def _home() -> Path:
    from mijian.pipeline.service import Settings

    return Settings.from_environment(os.environ).home


def _need_web() -> None:
    """ConfigError naming the extra when a part of the web stack is missing."""
    import importlib.util

    for name in ("fastapi", "uvicorn", "jinja2", "multipart", "argon2"):
        if importlib.util.find_spec(name) is None:
            raise ConfigError(MISSING)


def plain_http_warning(host: str, tls: bool) -> str | None:
    """The warning printed when the app listens beyond this machine without TLS: passwords,
    session cookies and copies would cross the network in clear text (the cookies are not
    marked Secure either). Served anyway: an office may put a TLS proxy in front."""
    import ipaddress

    name = host.strip().strip("[]")
    try:
        loopback = ipaddress.ip_address(name).is_loopback
    except ValueError:
        loopback = name.lower() == "localhost"
    if tls or loopback:
        return None
    return (f"mijian: warning: serving on {host} without TLS: passwords, sessions and copies cross "
            "the network unencrypted; give --cert and --key, or put an HTTPS proxy in front "
            "(未启用TLS，口令和文件将明文传输)")


def serve(host: str = typer.Option("127.0.0.1", help="address to listen on (default: this machine only)"),
          port: int = typer.Option(8765, help="port to listen on"),
          cert: Path | None = typer.Option(None, help="TLS certificate (PEM); with --key, serve HTTPS"),
          key: Path | None = typer.Option(None, help="TLS private key (PEM)"),
          data: Path | None = typer.Option(None, help="folder for drafts and issued copies "
                                           "(default: <MIJIAN_HOME>-web beside the office home)")) -> None:
    """Serve the office's web app (drafts, issue, register, trace; JSON API under /api/v1)."""
    _need_web()
    if (cert is None) != (key is None):
        raise UsageError("--cert and --key go together; give both for TLS or neither")
    import uvicorn

    from mijian.pipeline.service import Settings
    from mijian.pipeline.web.app import create_app
    from mijian.pipeline.web.deps import WebConfig

    settings = Settings.from_environment(os.environ)
    home = settings.home
    folder = data if data is not None else home.parent / f"{home.name}-web"
    app = create_app(WebConfig(home=home, data=folder, secure=cert is not None, limits=settings.limits))
    warning = plain_http_warning(host, cert is not None)
    if warning:
        print(warning, file=sys.stderr)
    print(f"mijian: serving on {'https' if cert else 'http'}://{host}:{port}/ (Ctrl-C to stop)", file=sys.stderr)
    uvicorn.run(app, host=host, port=port, ssl_certfile=str(cert) if cert else None,
                ssl_keyfile=str(key) if key else None, log_level="warning", server_header=False)


@users_app.command("add")
def users_add(name: str = typer.Argument(..., help="the user name"),
              role: str = typer.Option(..., help="drafter, authority, clerk, security or admin"),
              password_stdin: bool = typer.Option(False, "--password-stdin",
                                                  help="read the password from the first line of stdin")) -> None:
    """Add a user (or reset one's role and password)."""
    _need_web()
    if not password_stdin:
        raise UsageError("give the password on stdin with --password-stdin (口令须经标准输入提供)")
    from mijian.pipeline.service.events import record_event
    from mijian.pipeline.service import Settings
    from mijian.pipeline.web import users

    password = sys.stdin.readline().rstrip("\r\n")
    home = _home()
    conn = users.connect(home)
    try:
        made = users.add_user(conn, name, role, password)
    finally:
        conn.close()
    record_event("web.user", {"name": made.name, "role": made.role},
                 settings=Settings.from_environment(os.environ))
    print(f"mijian: user {made.name} ({made.role}) saved in {home / users.FILE}", file=sys.stderr)


@users_app.command("list")
def users_list(as_json: bool = typer.Option(False, "--json", help="print one JSON object")) -> None:
    """List the users and their roles."""
    _need_web()
    from mijian.pipeline.web import users

    conn = users.connect(_home())
    try:
        listed = users.list_users(conn)
    finally:
        conn.close()
    if as_json:
        emit({"users": [{"name": u.name, "role": u.role} for u in listed]})
        return
    for u in listed:
        print(f"{u.name}\t{u.role}")
