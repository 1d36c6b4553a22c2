"""The web app under attack: forged form posts, guessed passwords, oversized and strange
uploads, planted session ids, a drafter reaching for the register, a grade lowered without a
word, and the headers and pages a browser is given."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_web_helpers import SAMPLE_TXT, build_office, csrf, decide, issued_office, log_in, password, upload

from mijian.pipeline.limits import Limits
from mijian.pipeline.web import users
from mijian.pipeline.web.app import create_app
from mijian.pipeline.web.deps import COOKIE, WebConfig

WEB = Path(__file__).resolve().parent.parent / "pipeline" / "web"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    office, draft_id, _page = issued_office(tmp_path_factory.mktemp("web-sec"))
    from mijian.pipeline import service

    copy_id = service.list_copies(settings=service.Settings(home=office.home))[0].copy_id
    return office, draft_id, copy_id


def pending_and_unit(office, copy_id):
    """A pending destruction request of the copy (a forged approval would destroy it) and a
    unit of the address book (a forged removal would remove it); the request's id."""
    from mijian.pipeline import service
    from mijian.pipeline.web import address_book, destructions

    conn = office.app.state.accounts
    address_book.save(conn, address_book.Entry("U1", "unit", "Unit one"))
    record = service.show_copy(copy_id, settings=service.Settings(home=office.home)).copy
    found = destructions.pending_for(conn, copy_id)
    return (found or destructions.create(conn, record, "cle", "dra2", None)).id


def form_posts(draft_id, copy_id, asked="none", document_id="none"):
    """Every form post of the pages, with the role that may make it and valid-looking fields."""
    return [("dra", "/drafts", {"authority": "aut"}), ("aut", f"/drafts/{draft_id}/decide", {}),
            ("cle", f"/issue/{draft_id}", {"recipient": "dra2"}),
            ("sec", f"/register/copies/{copy_id}/sign", {"by": "x"}),
            ("sec", f"/register/copies/{copy_id}/return", {}),
            ("sec", f"/register/copies/{copy_id}/destroy", {"witness": "cle"}),
            ("aut", f"/register/destructions/{asked}/approve", {}),
            ("adm", f"/register/destructions/{asked}/refuse", {"note": "x"}),
            ("cle", "/book", {"kind": "person", "id": "mallory", "name": "Mallory"}),
            ("adm", "/book/U1/remove", {}),
            ("sec", f"/register/copies/{copy_id}/lost", {"note": "left on a train"}),
            ("cle", f"/register/documents/{document_id}/change", {"grade": "秘密", "approver": "aut",
                                                                  "justification": "lower"}),
            ("sec", f"/register/documents/{document_id}/declassify", {"approver": "aut", "justification": "x"}),
            ("sec", "/trace", {"text": "hello"}),
            ("adm", "/admin/users", {"name": "mallory", "role": "admin", "password": "0123456789ab"}),
            ("adm", "/admin/register/verify", {}), ("adm", "/admin/register/backup", {}),
            ("dra", "/logout", {})]


@pytest.mark.parametrize("token", ["missing", "wrong", "another user's"])
def test_csrf_is_refused_on_every_form_post(world, token):
    office, draft_id, copy_id = world
    from mijian.pipeline import service

    settings = service.Settings(home=office.home)
    before = service.show_copy(copy_id, settings=settings).copy.status
    other = csrf(office.client("dra2"), "/drafts")
    clients = {who: office.client(who) for who in ("dra", "aut", "cle", "sec", "adm")}
    asked = pending_and_unit(office, copy_id)
    document_id = service.show_copy(copy_id, settings=settings).copy.document_id
    marking = service.decisions(document_id, settings=settings).history.to_json()
    for who, path, fields in form_posts(draft_id, copy_id, asked, document_id):
        client = clients[who]
        sent = {"missing": {}, "wrong": {"csrf": "x" * 43}, "another user's": {"csrf": other}}[token]
        r = client.post(path, data={**fields, **sent}, follow_redirects=False)
        assert r.status_code == 403, (path, r.status_code)
    assert "mallory" not in office.client("adm").get("/admin/users").text
    assert "Mallory" not in office.client("adm").get("/book").text and "Unit one" in office.client("cle").get("/book").text
    assert not (office.data / "backups").exists() or not list((office.data / "backups").iterdir())
    # no forged post signed, returned, destroyed or reported the copy lost
    assert service.show_copy(copy_id, settings=settings).copy.status == before
    assert service.decisions(document_id, settings=settings).history.to_json() == marking  # not changed
    assert office.client("dra").get("/drafts").status_code == 200  # still logged in


def test_the_api_ignores_the_session_cookie(world):
    office, _draft_id, copy_id = world
    client = office.client("sec")  # a cookie, no bearer token: what a forged cross-site post carries
    assert client.post(f"/api/v1/copies/{copy_id}/return", json={"to": "sec"}).status_code == 401
    assert client.get("/api/v1/copies").status_code == 401


def test_lock_out_after_repeated_failures(tmp_path, monkeypatch):
    from mijian.pipeline.web.routes import auth

    monkeypatch.setattr(auth, "FAIL_DELAY", 0)
    office = build_office(tmp_path)
    c = office.client()
    for _ in range(users.MAX_FAILURES):
        r = log_in(c, "sec", "guess-guess-guess")
        assert r.status_code == 401
    r = log_in(c, "sec", password("sec"))
    assert r.status_code == 401 and "locked" in r.text
    # the lock ends after its time; then the right password works and resets the count
    conn = users.connect(office.home)
    assert users.authenticate(conn, "sec", password("sec"), now=10**12) is not None


def test_failed_login_waits(tmp_path):
    import time

    office = build_office(tmp_path)
    c = office.client()
    start = time.monotonic()
    assert log_in(c, "nobody", "whatever-123").status_code == 401
    assert time.monotonic() - start >= 0.9


def test_a_planted_session_id_is_never_adopted(world):
    office, _, _ = world
    c = office.client()
    c.cookies.set(COOKIE, "planted-by-attacker")
    r = log_in(c, "dra", password("dra"))
    given = r.cookies.get(COOKIE)
    assert given and given != "planted-by-attacker"
    assert users.find_session(office.app.state.accounts, "planted-by-attacker") is None


def test_session_cookie_flags(tmp_path):
    office = build_office(tmp_path)
    secure = create_app(WebConfig(home=office.home, data=office.data, secure=True))
    from fastapi.testclient import TestClient

    for app, tls in ((office.app, False), (secure, True)):
        r = log_in(TestClient(app, base_url="https://testserver"), "dra", password("dra"))
        cookie = r.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie
        assert ("secure" in cookie.split(";")[-1] or "; secure" in cookie) == tls


def test_upload_limits_and_types(tmp_path):
    office = build_office(tmp_path)
    small = create_app(WebConfig(home=office.home, data=office.data, limits=Limits(max_file_bytes=1000)))
    from fastapi.testclient import TestClient

    c = TestClient(small)
    log_in(c, "dra", password("dra"))
    token = csrf(c, "/drafts")
    r = c.post("/drafts", data={"csrf": token, "authority": "aut"}, files={"file": ("big.txt", b"x" * 5000)})
    assert r.status_code == 413
    r = c.post("/drafts", data={"csrf": token, "authority": "aut"}, files={"file": ("evil.html", b"<b>x</b>")})
    assert r.status_code == 415
    r = c.post("/drafts", data={"csrf": token, "authority": "dra"}, files={"file": ("a.txt", b"hello")})
    assert r.status_code == 400  # the authority must be one
    assert not list(office.data.rglob("*.txt"))


def test_a_path_in_an_upload_name_reaches_no_folder(tmp_path):
    office = build_office(tmp_path)
    c = office.client("dra")
    name = "../../../../tmp/../" + "x" * 300 + "\\..\\evil.txt"
    r = c.post("/drafts", data={"csrf": csrf(c, "/drafts"), "authority": "aut"},
               files={"file": (name, SAMPLE_TXT.read_bytes())}, follow_redirects=False)
    assert r.status_code == 303
    kept = list((office.data / "drafts").iterdir())
    assert len(kept) == 1 and re.fullmatch(r"[0-9a-f]{16}\.txt", kept[0].name)
    assert "evil" not in "".join(p.name for p in tmp_path.rglob("*"))


def test_draft_ids_and_serials_from_the_url_reach_no_file(world):
    office, draft_id, _ = world
    clerk = office.client("cle")
    for path in (f"/issue/{draft_id}/copies/..%2f..%2fweb.sqlite", f"/issue/{draft_id}/copies/manifest.json",
                 "/drafts/..%2f..%2fhome", "/issue/..%2fdata/copies.zip"):
        assert clerk.get(path).status_code == 404


def test_a_drafter_cannot_read_the_register_trace_or_issue(world):
    office, draft_id, copy_id = world
    c = office.client("dra")
    for path in ("/register", "/register/events", f"/register/copies/{copy_id}", "/trace", "/issue",
                 f"/issue/{draft_id}/copies.zip", "/admin/users"):
        assert c.get(path).status_code == 403, path


def test_lowering_a_grade_needs_a_justification(tmp_path):
    office = build_office(tmp_path)
    draft_id = upload(office)
    r = decide(office, draft_id, grade="内部")
    assert r.status_code == 400 and "justification" in r.text.lower()
    assert office.client("aut").get(f"/drafts/{draft_id}").text.count('id="decision"') == 0
    r = decide(office, draft_id, grade="内部", justification="已公开发布的部分", scope="办公室全体")
    assert r.status_code == 303
    assert decide(office, draft_id).status_code == 409  # decided once
    shown = office.client("aut").get(f"/drafts/{draft_id}").text
    assert shown.count("已公开发布的部分") == 1 and "办公室全体" in shown


def test_only_the_named_authority_decides(tmp_path):
    office = build_office(tmp_path)
    conn = users.connect(office.home)
    users.add_user(conn, "aut2", "authority", password("aut2"))
    draft_id = upload(office)
    c = office.client("aut2")
    r = c.post(f"/drafts/{draft_id}/decide", data={"csrf": csrf(c, "/drafts")})
    assert r.status_code == 404


def test_security_headers(world):
    office, draft_id, _ = world
    for who, path in ((None, "/login"), ("dra", f"/drafts/{draft_id}"), ("cle", "/issue")):
        r = office.client(who).get(path)
        csp = r.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["cache-control"] == "no-store"


def test_passwords_are_shown_once(tmp_path):
    import time

    office = build_office(tmp_path)
    draft_id = upload(office)
    decide(office, draft_id)
    clerk = office.client("cle")
    job = clerk.post(f"/issue/{draft_id}", data={"csrf": csrf(clerk, f"/issue/{draft_id}"), "recipient": "dra"},
                     follow_redirects=False).headers["location"]
    while 'id="finished"' not in (first := clerk.get(job).text):
        time.sleep(0.1)
    assert first.count('class="pw"') == 1
    again = clerk.get(job)
    assert 'id="finished"' in again.text and 'class="pw"' not in again.text
    assert again.headers["cache-control"] == "no-store"
    # another clerk cannot read someone else's run
    conn = users.connect(office.home)
    users.add_user(conn, "cle2", "clerk", password("cle2"))
    assert office.client("cle2").get(job).status_code == 404


def test_pages_carry_no_inline_script_and_htmx_is_vendored():
    for template in (WEB / "templates").glob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=\"/static/)", text), template.name
        assert not re.search(r"\son[a-z]+=", text) and "style=" not in text, template.name
        assert "http://" not in text and "https://" not in text, template.name
    vendored = (WEB / "static" / "htmx.min.js").read_text(encoding="utf-8")
    assert vendored.startswith("/*! htmx") and "Zero-Clause BSD" in vendored[:400]


def test_the_server_listens_on_loopback_by_default():
    import inspect

    from mijian.pipeline.cli.web import serve

    assert inspect.signature(serve).parameters["host"].default.default == "127.0.0.1"


def test_the_login_form_needs_its_own_token(tmp_path):
    office = build_office(tmp_path)
    c = office.client()
    # a page of another site posting the login form: no token, or one without its cookie
    r = c.post("/login", data={"name": "dra", "password": password("dra")}, follow_redirects=False)
    assert r.status_code == 403
    token = re.search(r'name="csrf" value="([^"]+)"', c.get("/login").text).group(1)
    other = office.client()
    r = other.post("/login", data={"csrf": token, "name": "dra", "password": password("dra")}, follow_redirects=False)
    assert r.status_code == 403 and COOKIE not in r.cookies


def test_the_api_takes_json_only_as_application_json(world):
    office, _draft_id, copy_id = world
    c = office.client()
    r = c.post("/api/v1/login", content=b'{"name": "sec", "password": "%s"}' % password("sec").encode(),
               headers={"content-type": "text/plain"})
    assert r.status_code == 415
    token = c.post("/api/v1/login", json={"name": "sec", "password": password("sec")}).json()["token"]
    r = c.post(f"/api/v1/copies/{copy_id}/sign", content=b'{"by": "x"}',
               headers={"authorization": f"Bearer {token}", "content-type": "text/plain"})
    assert r.status_code == 415


def test_a_hostile_file_name_is_shown_as_text(tmp_path):
    office = build_office(tmp_path)
    name = '<script>alert(1)</script><img src=x onerror=alert(2)>.txt'
    c = office.client("dra")
    r = c.post("/drafts", data={"csrf": csrf(c, "/drafts"), "authority": "aut"},
               files={"file": (name, SAMPLE_TXT.read_bytes())})
    assert r.status_code == 200
    assert "<script>alert" not in r.text and "<img src=x" not in r.text and "&lt;img src=x" in r.text


def test_a_password_reset_ends_the_persons_sessions(tmp_path):
    office = build_office(tmp_path)
    c = office.client("sec")
    assert c.get("/register").status_code == 200
    users.add_user(users.connect(office.home), "sec", "drafter", "a brand new password")
    assert c.get("/register", follow_redirects=False).status_code == 303  # back to the login page


def test_logout_ends_the_session_on_the_server(tmp_path):
    office = build_office(tmp_path)
    c = office.client("cle")
    token = c.cookies.get(COOKIE)
    c.post("/logout", data={"csrf": csrf(c, "/issue")})
    assert users.find_session(office.app.state.accounts, token) is None


def test_careless_steps_are_refused_with_a_reason(tmp_path):
    office = build_office(tmp_path)
    c = office.client("dra")
    r = c.post("/drafts", data={"csrf": csrf(c, "/drafts"), "authority": "aut"}, files={"file": ("empty.txt", b"")})
    assert r.status_code in (400, 413) and 'id="error"' in r.text
    draft_id = upload(office)
    clerk = office.client("cle")
    token = csrf(clerk, "/issue")
    # issuing before the authority decided, or to someone without an account
    assert clerk.post(f"/issue/{draft_id}", data={"csrf": token, "recipient": "dra"}).status_code == 404
    r = decide(office, draft_id, period="forever and a day")
    assert r.status_code == 400 and 'id="error"' in r.text
    assert decide(office, draft_id).status_code == 303
    r = clerk.post(f"/issue/{draft_id}", data={"csrf": token, "recipient": "nobody"})
    assert r.status_code == 400
    r = clerk.post(f"/issue/{draft_id}", data={"csrf": token})
    assert r.status_code == 400


def test_an_oversized_request_is_refused_before_it_is_read(tmp_path):
    office = build_office(tmp_path)
    small = create_app(WebConfig(home=office.home, data=office.data, limits=Limits(max_file_bytes=1000)))
    from fastapi.testclient import TestClient

    c = TestClient(small)
    log_in(c, "sec", password("sec"))
    r = c.post("/trace", data={"csrf": csrf(c, "/trace")}, files={"file": ("big.png", b"x" * (2 * 1024 * 1024))})
    assert r.status_code == 413 and r.headers["x-content-type-options"] == "nosniff"


def _limited(office, **limits):
    """A client of an app over ``office`` with other limits."""
    from fastapi.testclient import TestClient

    return TestClient(create_app(WebConfig(home=office.home, data=office.data, limits=Limits(**limits))))


def _no_server_path(text):
    import tempfile

    assert "mijian-web-" not in text and tempfile.gettempdir() + "/" not in text, text[-400:]


def test_a_docx_draft_is_read_and_its_findings_shown(tmp_path):
    docx = Path(__file__).resolve().parent.parent / "samples" / "zh_meeting_internal.docx"
    office = build_office(tmp_path)
    draft_id = upload(office, docx)
    page = office.client("dra").get(f"/drafts/{draft_id}")
    assert page.status_code == 200 and 'id="suggested"' in page.text
    assert page.text.count("<mark class=") >= 1
    assert list((office.data / "drafts").glob("*.docx"))


def test_a_draft_over_the_page_limit_is_refused_with_413_and_no_server_path(tmp_path):
    office = build_office(tmp_path)
    c = _limited(office, max_pages=1)
    log_in(c, "dra", password("dra"))
    pdf = SAMPLE_TXT.parent / "zh_notice_secret.pdf"  # three pages
    r = c.post("/drafts", data={"csrf": csrf(c, "/drafts"), "authority": "aut"},
               files={"file": ("notice.pdf", pdf.read_bytes())})
    assert r.status_code == 413 and "pages" in r.text and "the uploaded file" in r.text
    _no_server_path(r.text)
    token = c.post("/api/v1/login", json={"name": "dra", "password": password("dra")}).json()["token"]
    r = c.post("/api/v1/classify", headers={"authorization": f"Bearer {token}"}, data={"authority": "aut"},
               files={"file": ("notice.pdf", pdf.read_bytes())})
    assert r.status_code == 413 and r.json()["exit"] == 3
    _no_server_path(r.text)
    assert not list(office.data.rglob("*.pdf"))


def test_a_damaged_upload_is_refused_with_400_and_no_server_path(tmp_path):
    office = build_office(tmp_path)
    dra, sec = office.client("dra"), office.client("sec")
    r = dra.post("/drafts", data={"csrf": csrf(dra, "/drafts"), "authority": "aut"},
                 files={"file": ("broken.pdf", b"%PDF-1.4 not really")})
    assert r.status_code == 400 and "damaged" in r.text
    _no_server_path(r.text)
    r = sec.post("/trace", data={"csrf": csrf(sec, "/trace")}, files={"file": ("leak.pdf", b"%PDF-1.4 not really")})
    assert r.status_code == 400
    _no_server_path(r.text)


@pytest.mark.parametrize("said", [
    "/tmp/mijian-web-7_qz7489/upload.pdf: the PDF has 3 pages",
    r"C:\Users\x\AppData\Local\Temp\mijian-web-abc123\upload.docx: damaged",
    "cannot read '/var/tmp/mijian-web-x1/recipients.csv' (row 2)",
])
def test_hide_paths(said):
    from mijian.pipeline.web.deps import hide_paths

    shown = hide_paths(said)
    assert "mijian-web-" not in shown and "the uploaded file" in shown
    assert "upload." not in shown and "recipients.csv" not in shown
