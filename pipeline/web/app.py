"""The app factory: :func:`create_app` builds the FastAPI app over one office."""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from mijian.pipeline.errors import MijianError
from mijian.pipeline.web import users
from mijian.pipeline.web.deps import WebConfig, hide_paths, page, whole_number

HERE = Path(__file__).parent
FORM_ALLOWANCE = 1024 * 1024
"""Bytes of a request beyond the file limit: the other fields and the multipart framing."""
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


def _headers(response: Response, secure: bool) -> None:
    """The security headers of every response; pages are never cached (they may show
    passwords, findings or the register)."""
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "no-referrer"
    if not response.headers.get("cache-control"):
        response.headers["Cache-Control"] = "no-store"
    if secure:
        response.headers["Strict-Transport-Security"] = "max-age=31536000"


def _too_large(request: Request, config: WebConfig) -> bool:
    """Whether the request says it is larger than one untrusted file and its form around it:
    refused before a byte of the body is read or spooled."""
    declared = whole_number(request.headers.get("content-length"))
    return declared is not None and declared > config.limits.max_file_bytes + FORM_ALLOWANCE


def _unsized(request: Request) -> bool:
    """Whether the request sends a body without saying its length (chunked): the form parser
    would spool all of it to disk before any limit is checked, so it is refused; browsers and
    ordinary API clients always send Content-Length with a form or a file."""
    return "transfer-encoding" in request.headers and "content-length" not in request.headers


def _errors(app: FastAPI) -> None:
    """HTTP errors as a page for browsers and as JSON under /api; library errors as 400."""

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": exc.detail}, status_code=exc.status_code)
        if exc.status_code == 401:
            return RedirectResponse("/login", status_code=303)
        keys = {403: "forbidden", 404: "not_found", 413: "too_large", 415: "bad_type"}
        return page(request, "error.html", exc.status_code, key=keys.get(exc.status_code, "error"),
                    detail=hide_paths(str(exc.detail)))

    @app.exception_handler(MijianError)
    async def library_error(request: Request, exc: MijianError) -> Response:
        status = 413 if "limit" in type(exc).__name__.lower() else 400
        said = hide_paths(str(exc))  # the library names the file it read: here a temporary one
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": said, "exit": exc.exit_code}, status_code=status)
        return page(request, "error.html", status, key="error", detail=said)


def create_app(config: WebConfig) -> FastAPI:
    """The web app over the office at ``config.home``: pages, static files and /api/v1."""
    from mijian.pipeline.web import address_book, alarm, destructions, issuing
    from mijian.pipeline.web.routes import (admin, api, auth, book, changes, destruction, drafts, issue, password,
                                             register, trace)
    from mijian.pipeline.web.store import private_dir

    private_dir(config.data)
    app = FastAPI(title="mijian", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.config = config
    app.state.accounts = users.connect(config.home)
    app.state.templates = Jinja2Templates(directory=str(HERE / "templates"))
    app.state.jobs = issuing.Runs()  # issuing runs; their passwords are dropped in time
    app.state.traces = {}  # kept traces for their report (routes.trace)
    app.state.classified = {}
    address_book.ensure(app.state.accounts)
    destructions.ensure(app.state.accounts)
    alarm.guard(app)  # inside the security headers: its refusals carry them too

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        if _too_large(request, config):
            response: Response = JSONResponse({"error": "request too large"}, status_code=413)
        elif _unsized(request):
            response = JSONResponse({"error": "send the request with a Content-Length"}, status_code=411)
        else:
            try:
                response = await call_next(request)
            except Exception:  # a fault of the app: the trace goes to the log, not to the browser
                logging.getLogger("mijian.web").exception("%s %s failed", request.method, request.url.path)
                response = PlainTextResponse("internal error; the server's log says more (内部错误)",
                                             status_code=500)
        _headers(response, config.secure)
        return response

    _errors(app)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    for module in (auth, password, drafts, issue, register, trace, admin, api, book, destruction, changes):
        app.include_router(module.router)
    return app
