"""Who may use which route: every route of the app × every role and anonymous. A route
added without a row here fails the coverage test, so the matrix stays complete.

Allowed calls are made so that they change nothing (a missing field, an empty form): they
must not be refused for who is asking (401/403/404), and forbidden calls must be (403, or
404 where the app does not confirm that a draft exists)."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from test_web_helpers import PEOPLE, csrf, issued_office, password

ROLES = ["anonymous", *PEOPLE]
ALL = set(PEOPLE)
READERS = {"cle", "sec"}
BOOK = {"cle", "adm"}
APPROVERS = {"aut", "sec", "adm"}
VIEWERS = READERS | APPROVERS


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    office, draft_id, page = issued_office(tmp_path_factory.mktemp("web-roles"))
    clients = {name: office.client(name) for name in PEOPLE}
    clients["anonymous"] = office.client()
    tokens = {name: csrf(clients[name], "/drafts") for name in PEOPLE}
    tokens["anonymous"] = ""
    bearers = {}
    for name in PEOPLE:
        r = clients["anonymous"].post("/api/v1/login", json={"name": name, "password": password(name)})
        bearers[name] = {"authorization": "Bearer " + r.json()["token"]}
    bearers["anonymous"] = {}
    serial = re.findall(r"/copies/(\d+)\"", page)[0]  # the copy of dra
    from mijian.pipeline import service

    listed = service.list_copies(settings=service.Settings(home=office.home))
    copy_id = listed[0].copy_id
    document = listed[0].document_id
    # a copy already returned: a second return is refused, so the allowed call changes nothing
    returned = next(c.copy_id for c in listed if c.recipient_id == "sec")
    service.return_copy(returned, "cle", settings=service.Settings(home=office.home, actor="cle"))
    # the clerk's issuing run is the only job: its id, from a second small run
    job = clients["cle"].post(f"/issue/{draft_id}", data={"csrf": tokens["cle"], "recipient": ["adm"]},
                              follow_redirects=False).headers["location"].rsplit("/", 1)[1]
    # a page image traced by sec: its report and picture are sec's alone (another reader gets 404)
    blank = io.BytesIO()
    Image.new("RGB", (240, 320), "white").save(blank, format="PNG")
    shown = clients["sec"].post("/trace", data={"csrf": tokens["sec"]}, files={"file": ("page.png", blank.getvalue())})
    trace = re.search(r"/trace/reports/([^/\"]+)/", shown.text).group(1)
    # a unit with a member (removing it is refused, so the allowed call changes nothing) and a
    # destruction request already refused (deciding it again is refused: nothing is destroyed)
    from mijian.pipeline.web import address_book, destructions

    conn = office.app.state.accounts
    address_book.save(conn, address_book.Entry("U1", "unit", "Unit one"))
    address_book.save(conn, address_book.Entry("p1", "person", "Person one", unit="U1"))
    record = service.show_copy(copy_id, settings=service.Settings(home=office.home)).copy
    asked = destructions.create(conn, record, "cle", "dra2", None)
    destructions.decide(conn, asked.id, destructions.REFUSED, "sec")
    return dict(office=office, clients=clients, tokens=tokens, bearers=bearers, draft=draft_id,
                serial=serial, copy=copy_id, document=document, returned=returned, job=job, trace=trace, asked=asked.id)


# (method, route, path with placeholders, allowed names, json body or form fields)
MATRIX = [
    ("GET", "/", "/", ALL, None),
    ("GET", "/drafts", "/drafts", ALL, None),
    ("POST", "/drafts", "/drafts", {"dra", "dra2"}, {}),
    ("GET", "/drafts/{draft_id}", "/drafts/{draft}", {"dra", "aut", "sec", "adm"}, None),
    ("POST", "/drafts/{draft_id}/decide", "/drafts/{draft}/decide", {"aut"}, {}),
    ("GET", "/issue", "/issue", {"cle"}, None),
    ("GET", "/issue/{draft_id}", "/issue/{draft}", {"cle"}, None),
    ("POST", "/issue/{draft_id}", "/issue/{draft}", {"cle"}, {}),
    ("GET", "/issue/jobs/{job_id}", "/issue/jobs/{job}", {"cle"}, None),
    ("GET", "/issue/{draft_id}/copies/{serial}", "/issue/{draft}/copies/{serial}", {"cle", "dra"}, None),
    ("GET", "/issue/{draft_id}/copies.zip", "/issue/{draft}/copies.zip", {"cle"}, None),
    ("GET", "/register", "/register", READERS, None),
    ("GET", "/register/events", "/register/events", READERS, None),
    ("GET", "/register/copies/{copy_id}", "/register/copies/{copy}", READERS, None),
    ("POST", "/register/copies/{copy_id}/{action}", "/register/copies/{copy}/sign", READERS, {"by": ""}),
    ("POST", "/register/copies/{copy_id}/{action}", "/register/copies/{returned}/return", READERS, {}),
    ("POST", "/register/copies/{copy_id}/{action}", "/register/copies/{copy}/destroy", READERS, {}),
    ("POST", "/register/copies/{copy_id}/{action}", "/register/copies/{copy}/lost", READERS, {"note": ""}),
    ("GET", "/register/documents/{document_id}", "/register/documents/{document}", READERS, None),
    ("POST", "/register/documents/{document_id}/{verb}", "/register/documents/{document}/change", READERS, {}),
    ("POST", "/register/documents/{document_id}/{verb}", "/register/documents/{document}/declassify", READERS, {}),
    ("POST", "/api/v1/documents/{document_id}/{verb}", "/api/v1/documents/{document}/change", READERS, {}),
    ("POST", "/api/v1/documents/{document_id}/{verb}", "/api/v1/documents/{document}/declassify", READERS, {}),
    ("GET", "/trace", "/trace", READERS, None),
    ("POST", "/trace", "/trace", READERS, {}),
    ("GET", "/trace/reports/{token}/report.pdf", "/trace/reports/{trace}/report.pdf", {"sec"}, None),
    ("GET", "/trace/reports/{token}/where.png", "/trace/reports/{trace}/where.png", {"sec"}, None),
    ("GET", "/admin/users", "/admin/users", {"adm"}, None),
    ("POST", "/admin/users", "/admin/users", {"adm"}, {"name": "x", "role": "nobody", "password": "p"}),
    ("GET", "/admin/register", "/admin/register", {"adm"}, None),
    ("POST", "/admin/register/verify", "/admin/register/verify", {"adm"}, {}),
    ("POST", "/admin/register/backup", "/admin/register/backup", {"adm"}, {}),
    ("POST", "/api/v1/classify", "/api/v1/classify", {"dra", "dra2"}, {}),
    ("POST", "/api/v1/drafts/{draft_id}/decide", "/api/v1/drafts/{draft}/decide", {"aut"}, {}),
    ("POST", "/api/v1/drafts/{draft_id}/issue", "/api/v1/drafts/{draft}/issue", {"cle"}, {"recipients": []}),
    ("GET", "/api/v1/copies", "/api/v1/copies", READERS, None),
    ("POST", "/api/v1/copies/{copy_id}/{action}", "/api/v1/copies/{copy}/sign", READERS, {"by": ""}),
    ("POST", "/api/v1/copies/{copy_id}/{action}", "/api/v1/copies/{returned}/return", READERS, {"to": "x"}),
    ("POST", "/api/v1/copies/{copy_id}/{action}", "/api/v1/copies/{copy}/destroy", READERS, {}),
    ("POST", "/api/v1/copies/{copy_id}/{action}", "/api/v1/copies/{copy}/lost", READERS, {"note": ""}),
    ("POST", "/api/v1/register/verify", "/api/v1/register/verify", {"adm"}, {}),
    ("POST", "/api/v1/register/backup", "/api/v1/register/backup", {"adm"}, {}),
    ("GET", "/api/v1/events", "/api/v1/events", READERS, None),
    ("POST", "/api/v1/trace", "/api/v1/trace", READERS, {}),
    ("GET", "/book", "/book", BOOK, None),
    ("POST", "/book", "/book", BOOK, {}),
    ("GET", "/book/{entry_id}", "/book/U1", BOOK, None),
    ("POST", "/book/{entry_id}/remove", "/book/U1/remove", BOOK, {}),
    ("GET", "/register/destructions", "/register/destructions", VIEWERS, None),
    ("POST", "/register/destructions/{request_id}/approve", "/register/destructions/{asked}/approve", APPROVERS, {}),
    ("POST", "/register/destructions/{request_id}/refuse", "/register/destructions/{asked}/refuse", APPROVERS, {}),
    ("GET", "/api/v1/destructions", "/api/v1/destructions", VIEWERS, None),
    ("POST", "/api/v1/destructions/{request_id}/approve", "/api/v1/destructions/{asked}/approve", APPROVERS, {}),
    ("POST", "/api/v1/destructions/{request_id}/refuse", "/api/v1/destructions/{asked}/refuse", APPROVERS, {}),
]
OPEN = {("GET", "/login"), ("POST", "/login"), ("GET", "/lang/{code}"), ("POST", "/api/v1/login"),
        ("POST", "/logout"), ("POST", "/api/v1/logout")}
"""Routes anyone may call (logout needs a session and its CSRF token: tested elsewhere)."""


def test_the_matrix_covers_every_route():
    from mijian.pipeline.web.routes import (admin, api, auth, book, changes, destruction, drafts, issue, register,
                                             trace)

    modules = (admin, api, auth, book, changes, destruction, drafts, issue, register, trace)
    routes = {(m, r.path) for module in modules for r in module.router.routes for m in r.methods}
    assert routes == {(m, r) for m, r, *_ in MATRIX} | OPEN


def _call(world, who, method, path, body):
    path = path.format(**world)
    client = world["clients"][who]
    if path.startswith("/api/"):
        headers = world["bearers"][who]
        if method == "GET":
            return client.get(path, headers=headers)
        if path.endswith(("/classify", "/trace")):
            return client.post(path, headers=headers, data=body)
        return client.post(path, headers=headers, json=body)
    if method == "GET":
        return client.get(path, follow_redirects=False)
    return client.post(path, data={"csrf": world["tokens"][who], **body}, follow_redirects=False)


@pytest.mark.parametrize("who", ROLES)
@pytest.mark.parametrize(("method", "route", "path", "allowed", "body"), MATRIX,
                         ids=[f"{m} {p}" for m, _r, p, *_ in MATRIX])
def test_role_matrix(world, who, method, route, path, allowed, body):
    r = _call(world, who, method, path, body)
    if who == "anonymous":
        if path.startswith("/api/"):
            assert r.status_code == 401
        elif route != "/":
            assert r.status_code == 303 and r.headers["location"] == "/login"
    elif who in allowed:
        assert r.status_code not in (401, 403, 404), (r.status_code, r.text[-300:])
    else:
        assert r.status_code in (403, 404), (r.status_code, r.text[-300:])
