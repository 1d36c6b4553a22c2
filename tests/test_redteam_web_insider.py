"""Attacks on the web app by an insider with a valid account and by careless users, each
kept as a test: of the fix that stops it, or of the refusal that already did (see also
tests/test_redteam_web.py and tests/test_web_security.py)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from test_web_helpers import (SAMPLE_PDF, build_office, csrf, decide, issue, issued_office, log_in, password,
                              upload)

from mijian.pipeline import service
from mijian.pipeline.register_records import CopyStatus
from mijian.pipeline.web import store, users


@pytest.fixture(scope="module")
def issued(tmp_path_factory):
    """One draft by dra, decided by aut and issued to dra, sec and adm."""
    return issued_office(tmp_path_factory.mktemp("web-insider"))


def lenient(office, name: str) -> TestClient:
    """A client logged in as ``name`` that answers a server error with its 500 response
    (as a browser sees it) instead of raising it in the test."""
    c = TestClient(office.app, raise_server_exceptions=False, headers={"accept-language": "en"})
    assert log_in(c, name, password(name)).status_code == 303
    return c


def bearer(client: TestClient, name: str) -> dict:
    """The Authorization header of an API login as ``name``."""
    token = client.post("/api/v1/login", json={"name": name, "password": password(name)}).json()["token"]
    return {"authorization": f"Bearer {token}"}


@pytest.mark.parametrize("url", ["/register?page=²", "/api/v1/copies?size=²", "/api/v1/copies?page=²",
                                 "/api/v1/events?limit=²"])
def test_a_number_in_other_digits_is_not_a_server_error(issued, url):
    """'²' passes str.isdigit() but not int(): a page, size or limit written with it crashed
    the request with a bare 500 that carried none of the security headers."""
    office, _, _ = issued
    c = lenient(office, "sec")
    r = c.get(url, headers=bearer(c, "sec") if url.startswith("/api/") else {})
    assert r.status_code == 200, r.text[:200]
    assert "frame-ancestors 'none'" in r.headers.get("content-security-policy", "")


def draft_text(page: str) -> str:
    """The draft's text as the drafter's page shows it (without the highlighting)."""
    found = re.search(r'<pre class="text" id="text">(.*?)</pre>', page, re.S)
    assert found
    return re.sub(r"<[^>]+>", "", found.group(1))


def test_a_recipient_is_not_shown_the_unmarked_draft(issued):
    """A recipient opened the draft's page and read its original text, the one without any
    fingerprint: copied from there and leaked, it traces to nobody, which defeats numbered,
    fingerprinted copies. A recipient now sees the decision and a link to their own copy."""
    office, draft_id, _ = issued
    text = draft_text(office.client("aut").get(f"/drafts/{draft_id}").text)
    line = next(s.strip() for s in text.splitlines() if len(s.strip()) >= 8)
    mine = {c["recipient"]: c["serial"] for c in store.get(office.app.state.accounts, draft_id).copies}
    r = office.client("adm").get(f"/drafts/{draft_id}")
    assert r.status_code == 200
    assert line not in r.text and 'id="text"' not in r.text and 'id="findings"' not in r.text
    assert f'/issue/{draft_id}/copies/{mine["adm"]}"' in r.text
    assert f'/copies/{mine["sec"]}"' not in r.text and f'/copies/{mine["dra"]}"' not in r.text
    # the drafter, a recipient too here, and the authority still read the text they work on
    assert line in office.client("dra").get(f"/drafts/{draft_id}").text


def test_a_second_draft_of_the_same_file_is_not_issued_under_the_first_ones_grade(tmp_path):
    """The same file uploaded twice (by two drafters, or one upload sent twice) is one document
    in the register. The first draft decided 机密 and issued; the second, decided 绝密 by its
    authority, was issued as 机密 without a word: its page said 绝密, its copies did not."""
    office = build_office(tmp_path)
    first, second = upload(office, SAMPLE_PDF, "dra"), upload(office, SAMPLE_PDF, "dra2")
    assert decide(office, first, grade="机密").status_code == 303
    assert decide(office, second, grade="绝密", approver="aut").status_code == 303
    issue(office, first, ["dra"])
    page = issue(office, second, ["adm"])
    assert 'id="error"' in page and "registered" in page
    assert store.get(office.app.state.accounts, second).copies == ()
    held = service.list_copies(settings=service.Settings(home=office.home))
    assert [c.recipient_id for c in held] == ["dra"]


def test_adding_a_user_under_a_taken_name_does_not_silently_replace_them(tmp_path):
    """The admin page's "add" on a name already taken replaced that person's role and
    password without a word: an admin adding a new "sec" demoted the security officer."""
    office = build_office(tmp_path)
    adm = office.client("adm")
    r = adm.post("/admin/users", data={"csrf": csrf(adm, "/admin/users"), "name": "sec", "role": "drafter",
                                       "password": "a new password here"}, follow_redirects=False)
    assert r.status_code == 409 and "reset" in r.text
    assert users.get_user(office.app.state.accounts, "sec").role == "security"
    assert office.client("sec").get("/register").status_code == 200  # old password, still logged in
    r = adm.post("/admin/users", data={"csrf": csrf(adm, "/admin/users"), "name": "sec", "role": "security",
                                       "password": "a new password here", "reset": "1"},
                 follow_redirects=False)
    assert r.status_code == 200  # a reset said in so many words is still done, with a temporary password
    assert log_in(office.client(), "sec", "a new password here").status_code == 401  # never the admin's choice
    temporary = re.search(r'id="temporary-password">([^<]+)<', r.text).group(1)
    assert log_in(office.client(), "sec", temporary).headers["location"] == "/password"


def test_a_copy_taken_from_the_zip_is_in_that_copys_history(issued):
    """The ZIP of all copies was recorded as one event on no copy: a clerk could take a
    colleague's copy from it and leak it, the trace named the colleague, and that copy's
    history showed nobody else had ever fetched the file."""
    office, draft_id, _ = issued
    copy_id = next(c["copy_id"] for c in store.get(office.app.state.accounts, draft_id).copies
                   if c["recipient"] == "adm")
    settings = service.Settings(home=office.home)
    before = len(service.copy_history(copy_id, settings=settings))
    assert office.client("cle").get(f"/issue/{draft_id}/copies.zip").status_code == 200
    added = service.copy_history(copy_id, settings=settings)[before:]
    assert [(e["actor"], e["action"]) for e in added] == [("cle", "web.download_all")]


def test_a_decision_cannot_be_signed_in_another_persons_name(tmp_path):
    """Fields the decision form does not show (by, decided_by), sent by the authority on the
    page or in the API, do not change who is recorded as having decided."""
    office = build_office(tmp_path)
    page, api = upload(office), upload(office)
    forged = {"by": "sec", "decided_by": "sec", "grade": "机密"}
    assert decide(office, page, **forged).status_code == 303
    aut = office.client("aut")
    r = aut.post(f"/api/v1/drafts/{api}/decide", json=forged, headers=bearer(aut, "aut"))
    assert r.status_code == 200 and r.json()["decision"]["by"] == "aut"
    conn = office.app.state.accounts
    assert store.get(conn, page).decision["by"] == store.get(conn, api).decision["by"] == "aut"


def test_a_session_past_its_hours_is_refused(tmp_path):
    """A browser left logged in: once the session's hours are over the cookie opens nothing,
    on the pages and in the API."""
    office = build_office(tmp_path)
    c = office.client("sec")
    token = bearer(c, "sec")
    assert c.get("/register", follow_redirects=False).status_code == 200
    conn = office.app.state.accounts
    with conn:
        conn.execute("UPDATE sessions SET expires = expires - ?", (users.SESSION_SECONDS + 1,))
    assert c.get("/register", follow_redirects=False).headers.get("location") == "/login"
    assert c.get("/api/v1/copies", headers=token).status_code == 401


def test_guesses_on_the_form_and_the_api_count_together(tmp_path, monkeypatch):
    """The lock-out is one count per name whichever door the guesses come through: guesses
    split between the login form and the API still lock the name."""
    from mijian.pipeline.web.routes import auth

    monkeypatch.setattr(auth, "FAIL_DELAY", 0)
    office = build_office(tmp_path)
    c = office.client()
    for n in range(users.MAX_FAILURES):
        if n % 2:
            assert log_in(c, "sec", f"wrong guess {n}").status_code == 401
        else:
            assert c.post("/api/v1/login", json={"name": "sec", "password": f"wrong guess {n}"}).status_code == 401
    r = c.post("/api/v1/login", json={"name": "sec", "password": password("sec")})
    assert r.status_code == 401 and r.json()["error"] == "locked"
    assert log_in(c, "sec", password("sec")).status_code == 401


def test_a_browser_left_unused_is_logged_out(tmp_path):
    """A session lasted its eight hours however long it lay unused: a browser left logged in
    at an empty desk opened the register to whoever sat down. Unused for
    ``users.IDLE_SECONDS`` it ends; used, it lives on (up to its hours)."""
    office = build_office(tmp_path)
    conn = office.app.state.accounts
    user = users.get_user(conn, "sec")
    idle = getattr(users, "IDLE_SECONDS", 1800)  # the test fails, not errs, where there is none
    left = users.new_session(conn, user, now=1000.0)
    assert users.find_session(conn, left.token, now=1000.0 + idle + 1) is None
    used = users.new_session(conn, user, now=1000.0)
    for step in range(1, 4):  # used every half of the idle time: still there
        assert users.find_session(conn, used.token, now=1000.0 + step * idle / 2) is not None
    assert users.find_session(conn, used.token, now=1000.0 + users.SESSION_SECONDS + 1) is None
    c = office.client("sec")  # and in the app: a cookie unused that long opens nothing
    with conn:
        conn.execute("UPDATE sessions SET seen = seen - ? WHERE name = 'sec'", (idle + 1,))
    assert c.get("/register", follow_redirects=False).headers.get("location") == "/login"


def test_issuing_again_to_a_holder_says_no_copy_was_made(issued):
    """A clerk issuing again to someone who holds a copy (the form sent twice after the run,
    or a copy thought lost) saw "done" and nothing else, as if a new copy had been made."""
    office, draft_id, _ = issued
    page = issue(office, draft_id, ["adm"])
    assert 'id="warning"' in page and "adm already holds a copy" in page
    assert 'id="passwords"' not in page and str(office.data) not in page
    assert len(store.get(office.app.state.accounts, draft_id).copies) == 3


@pytest.mark.parametrize("name", ["web", "WEB"])
def test_no_account_takes_the_name_the_log_gives_the_app(tmp_path, name):
    """The app records failed logins and its own readings of drafts as actor "web": an account
    called "web" made its actions in the signed log look like the app's, and the other way
    round."""
    office = build_office(tmp_path)
    adm = office.client("adm")
    r = adm.post("/admin/users", data={"csrf": csrf(adm, "/admin/users"), "name": name, "role": "clerk",
                                       "password": "0123456789ab"}, follow_redirects=False)
    assert r.status_code == 400
    assert users.get_user(office.app.state.accounts, name) is None


def test_the_classifications_kept_in_memory_are_bounded(tmp_path, monkeypatch):
    """Every draft's classification (its whole text with it) stayed in the server's memory
    for good: a drafter uploading draft after draft grew the server without end."""
    from mijian.pipeline.web.routes import drafts

    monkeypatch.setattr(drafts, "CLASSIFIED_KEPT", 3, raising=False)
    office = build_office(tmp_path)
    made = []
    for n in range(5):
        note = tmp_path / f"note-{n}.txt"
        note.write_text(f"第{n}份通知：下周例会改在三楼。\n", encoding="utf-8")
        made.append(upload(office, note, "dra"))
    dra = office.client("dra")
    for draft_id in made:
        assert dra.get(f"/drafts/{draft_id}").status_code == 200
    assert len(office.app.state.classified) <= 3
    assert dra.get(f"/drafts/{made[0]}").status_code == 200  # one pushed out is made again


def test_the_api_takes_only_text_where_a_form_sends_text(issued, tmp_path):
    """A JSON object or list where the form sends text was written into the signed log as its
    Python spelling: a copy "signed for by {'x': [1]}", a 知悉范围 of "['all']"."""
    office, draft_id, _ = issued
    sec = office.client("sec")
    copy_id = next(c["copy_id"] for c in store.get(office.app.state.accounts, draft_id).copies
                   if c["recipient"] == "sec")
    r = sec.post(f"/api/v1/copies/{copy_id}/sign", json={"by": {"x": [1]}}, headers=bearer(sec, "sec"))
    assert r.status_code == 400
    settings = service.Settings(home=office.home)
    assert service.show_copy(copy_id, settings=settings).copy.status == CopyStatus.ISSUED
    fresh = build_office(tmp_path)
    draft = upload(fresh)
    aut = fresh.client("aut")
    r = aut.post(f"/api/v1/drafts/{draft}/decide", json={"scope": ["all"]}, headers=bearer(aut, "aut"))
    assert r.status_code == 400 and store.get(fresh.app.state.accounts, draft).decision is None


def test_a_run_that_ends_while_its_page_is_made_still_shows_the_passwords(tmp_path, monkeypatch):
    """The progress page checked whether the run had finished, then read the draft, then drew
    the page asking again: a run ending in between was drawn as done, without its passwords
    and no longer polled, so the clerk never saw them (they were shown on no page at all
    unless the page was reloaded by hand)."""
    from mijian.pipeline.web import issuing

    office = build_office(tmp_path)
    draft_id = upload(office)
    job = issuing.Job(owner="cle", draft_id=draft_id, total=1)
    office.app.state.jobs["run"] = job
    real = store.get

    def ending_meanwhile(conn, wanted):
        """The draft, read just as the run's thread finishes (no timing involved)."""
        if not job.finished:
            job.passwords = [{"serial": "000001", "recipient": "dra", "password": "shown-once-pw"}]
            job.finished = True
        return real(conn, wanted)

    monkeypatch.setattr(store, "get", ending_meanwhile)
    c = office.client("cle")
    pages = [c.get("/issue/jobs/run", headers={"hx-request": "true"}).text for _ in range(2)]
    done = [p for p in pages if 'id="finished"' in p]
    assert done and "shown-once-pw" in done[0]
    assert sum(p.count("shown-once-pw") for p in pages) == 1


def test_a_fault_in_the_app_is_answered_with_the_security_headers(tmp_path, monkeypatch):
    """An error the app did not foresee was answered by the server's bare 500, without the
    Content-Security-Policy, frame and cache headers every other answer carries."""
    office = build_office(tmp_path)

    def broken(*args, **kwargs):
        raise RuntimeError("an unforeseen fault at /srv/secret/place")

    monkeypatch.setattr(service, "page_copies", broken)
    r = lenient(office, "sec").get("/register")
    assert r.status_code == 500 and "/srv/secret/place" not in r.text
    assert "frame-ancestors 'none'" in r.headers.get("content-security-policy", "")
    assert r.headers.get("cache-control") == "no-store" and r.headers.get("x-frame-options") == "DENY"
