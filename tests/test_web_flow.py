"""The web app end to end through FastAPI's test client: a draft uploaded, classified with its
findings shown, decided, issued to three people, downloaded, signed for, returned, destroyed
with another person's approval, traced from a page image; every step in the signed log."""

from __future__ import annotations

import io
import re
import zipfile

import pymupdf
import pytest
from test_web_helpers import SAMPLE_TXT, SCOPE, csrf, issued_office, upload

from mijian.pipeline import service


@pytest.fixture(scope="module")
def issued(tmp_path_factory):
    return issued_office(tmp_path_factory.mktemp("web-flow"))


def test_draft_page_shows_findings_suggestion_and_decision(issued):
    office, draft_id, _ = issued
    page = office.client("dra").get(f"/drafts/{draft_id}").text
    assert page.count("<mark class=") >= 1
    assert 'id="suggested"' in page and "Rationale" in page
    assert 'id="decision"' in page and "aut" in page


def test_chinese_when_the_browser_prefers_it(issued):
    office, draft_id, _ = issued
    zh = office.client("dra", lang="zh-CN,zh;q=0.9,en;q=0.8").get(f"/drafts/{draft_id}").text
    en = office.client("dra", lang="en-GB,en;q=0.9,zh;q=0.5").get(f"/drafts/{draft_id}").text
    assert "建议密级" in zh and "定密依据" in zh and 'lang="zh-CN"' in zh
    assert "Suggested grade" in en and "建议密级" not in en


def test_issue_shows_each_password_once_and_keeps_none_on_disk(issued):
    office, _draft_id, page = issued
    passwords = re.findall(r'<code class="pw">([^<]+)</code>', page)
    assert len(passwords) == 3 and len(set(passwords)) == 3
    assert not list(office.data.rglob("passwords.csv"))
    assert not list(office.data.rglob("recipients.csv"))


def test_download_each_copy_and_all_as_zip(issued):
    office, draft_id, page = issued
    clerk = office.client("cle")
    serials = re.findall(r"/copies/(\d+)\"", page)
    assert len(serials) == 3
    one = clerk.get(f"/issue/{draft_id}/copies/{serials[0]}")
    assert one.status_code == 200 and one.content.startswith(b"%PDF")
    archive = zipfile.ZipFile(io.BytesIO(clerk.get(f"/issue/{draft_id}/copies.zip").content))
    assert len(archive.namelist()) == 3
    # a recipient fetches their own copy only
    own = office.client("dra").get(f"/issue/{draft_id}/copies/{serials[0]}")
    other = office.client("dra").get(f"/issue/{draft_id}/copies/{serials[1]}")
    assert own.status_code == 200 and other.status_code == 403


def _copy_of(office, recipient):
    copies = service.list_copies(settings=service.Settings(home=office.home))
    return next(c for c in copies if c.recipient_id == recipient)


def test_register_search_paging_and_lifecycle(issued):
    office, _, _ = issued
    sec = office.client("sec")
    page = sec.get("/register", params={"q": "sec"}).text
    assert page.count("/register/copies/") == 1
    documents = re.search(r'<table id="documents">(.*?)</table>', sec.get("/register").text, re.S).group(1)
    assert "<td>3</td><td>3</td>" in documents  # three copies, all out
    copy = _copy_of(office, "adm")
    url = f"/register/copies/{copy.copy_id}"
    token = csrf(sec, url)
    assert sec.post(url + "/sign", data={"csrf": token, "by": "adm"}, follow_redirects=False).status_code == 303
    assert sec.post(url + "/return", data={"csrf": token}, follow_redirects=False).status_code == 303
    # a destruction is asked for here and approved by another logged-in person (test_web_destroy)
    r = sec.post(url + "/destroy", data={"csrf": token, "witness": "cle"}, follow_redirects=False)
    assert r.status_code == 303 and 'id="status">returned<' in sec.get(url).text
    aut = office.client("aut")
    listed = aut.get("/register/destructions").text
    request_id = re.search(r'/register/destructions/([^/"]+)/approve', listed).group(1)
    r = aut.post(f"/register/destructions/{request_id}/approve", data={"csrf": csrf(aut, "/register/destructions")},
                 follow_redirects=False)
    assert r.status_code == 303
    shown = sec.get(url).text
    assert 'id="status">destroyed<' in shown
    assert "destroyed" not in sec.get("/register", params={"outstanding": "1"}).text


def test_report_a_copy_lost_on_the_page_and_by_the_api(issued):
    office, _, _ = issued
    sec = office.client("sec")
    copy = _copy_of(office, "sec")
    url = f"/register/copies/{copy.copy_id}"
    page = sec.get(url).text
    assert 'id="lost"' in page and f'action="{url}/lost"' in page
    token = csrf(sec, url)
    assert sec.post(url + "/lost", data={"csrf": token, "note": " "}).status_code == 400  # a note is needed
    r = sec.post(url + "/lost", data={"csrf": token, "note": "left on a train, 3 May"}, follow_redirects=False)
    assert r.status_code == 303
    assert 'id="status">lost<' in sec.get(url).text
    events = service.copy_history(copy.copy_id, settings=service.Settings(home=office.home))
    assert [(e["actor"], e["detail"].get("note")) for e in events if e["action"] == "lost"] \
        == [("sec", "left on a train, 3 May")]
    # the API: a lost copy cannot be reported lost again (the register's rule, 400)
    from test_web_helpers import password

    bearer = {"authorization": "Bearer " + sec.post("/api/v1/login", json={
        "name": "cle", "password": password("cle")}).json()["token"]}
    r = sec.post(f"/api/v1/copies/{copy.copy_id}/lost", headers=bearer, json={"note": "again"})
    assert r.status_code == 400 and "lost" in r.json()["error"]


def test_trace_a_page_image_of_one_copy(issued):
    office, draft_id, page = issued
    pairs = re.findall(r"<td[^>]*>(\d+)</td><td[^>]*>(\w+)</td><td[^>]*><code class=\"pw\">([^<]+)</code>", page)
    serial, _recipient, secret = next(p for p in pairs if p[1] == "dra")
    pdf = office.client("cle").get(f"/issue/{draft_id}/copies/{serial}").content
    doc = pymupdf.open(stream=pdf, filetype="pdf")
    assert doc.authenticate(secret)
    png = doc[0].get_pixmap(dpi=150).tobytes("png")
    sec = office.client("sec")
    r = sec.post("/trace", data={"csrf": csrf(sec, "/trace")}, files={"file": ("page.png", png)})
    assert r.status_code == 200
    assert 'id="traced"' in r.text and "(dra)" in r.text
    assert 'id="probability"' in r.text


def test_every_action_is_in_the_signed_log_with_the_users_name(issued, monkeypatch):
    from test_web_helpers import log_in

    from mijian.pipeline.service.events import recent_events
    from mijian.pipeline.web import users
    from mijian.pipeline.web.routes import auth

    monkeypatch.setattr(auth, "FAIL_DELAY", 0)
    office, draft_id, page = issued
    settings = service.Settings(home=office.home)
    clerk = office.client("cle")
    serial = re.findall(r"/copies/(\d+)\"", page)[0]
    assert clerk.get(f"/issue/{draft_id}/copies/{serial}").status_code == 200
    assert clerk.get(f"/issue/{draft_id}/copies.zip").status_code == 200
    dra = office.client("dra")
    assert dra.post("/logout", data={"csrf": csrf(dra, "/drafts")}, follow_redirects=False).status_code == 303
    anonymous = office.client()
    assert log_in(anonymous, "sec", "not-the-password").status_code == 401
    for _ in range(users.MAX_FAILURES + 1):  # the lock starts at the last failure, then holds
        assert log_in(anonymous, "mallory", "guess-guess-guess").status_code == 401
    events = service.copy_history(_copy_of(office, "adm").copy_id, settings=settings)
    assert {e["actor"] for e in events if e["action"] in ("signed", "returned", "destroyed")} == {"sec"}
    logged = recent_events(1000, settings=settings)
    actions = {(e["actor"], e["action"]) for e in logged}
    assert {("dra", "web.draft"), ("aut", "web.decision"), ("sec", "web.login"), ("cle", "web.download"),
            ("cle", "web.download_all"), ("dra", "web.logout")} <= actions
    failed = [(e["action"], e["detail"]) for e in logged if e["actor"] == "web"][::-1]  # oldest first
    assert failed[0] == ("web.login_failed", {"name": "sec", "reason": "bad_login"})
    assert [a for a, d in failed if d["name"] == auth.UNKNOWN_NAME] == \
        ["web.login_failed"] * (users.MAX_FAILURES - 1) + ["web.lockout", "web.login_failed"]
    assert failed[-1][1]["reason"] == "locked"
    assert not [d for a, d in failed if "mallory" in str(d)]  # no account: the text typed is not logged
    # a copy's download is in its own history; the ZIP names the serials it held
    one = next(e for e in logged if e["action"] == "web.download" and e["actor"] == "cle")
    assert one["detail"] == {"draft": draft_id, "serial": serial}
    history = service.copy_history(one["copy_id"], settings=settings)
    assert "web.download" in [e["action"] for e in history]
    zipped = next(e for e in logged if e["action"] == "web.download_all")
    assert serial in zipped["detail"]["serials"] and len(zipped["detail"]["serials"]) == 3
    assert service.verify_register(settings=settings).ok


def test_the_register_names_the_authority_who_decided_and_the_scope(issued):
    office, _, _ = issued
    settings = service.Settings(home=office.home)
    copy = _copy_of(office, "dra")
    details = service.show_copy(copy.copy_id, settings=settings)
    assert details.document.decided_by == "aut"  # not the clerk who issued
    assert service.decisions(copy.document_id, settings=settings).history.current.scope == SCOPE
    from mijian.pipeline.service.events import recent_events

    decided = [e for e in recent_events(500, settings=settings) if e["action"] == "decided"]
    assert [(e["actor"], e["detail"]["facts"]["decided_by"], e["detail"]["scope"]) for e in decided] \
        == [("cle", "aut", SCOPE)]
    assert service.verify_register(settings=settings).ok
    shown = office.client("sec").get(f"/register/copies/{copy.copy_id}").text
    assert re.search(r'id="decided">[^<]*Decided by: aut<', shown)


def test_api_login_classify_decide_issue_copies_events_trace(issued):
    office, _, _ = issued
    c = office.client()

    def token(name):
        from test_web_helpers import password

        r = c.post("/api/v1/login", json={"name": name, "password": password(name)})
        assert r.status_code == 200
        return {"authorization": f"Bearer {r.json()['token']}"}

    r = c.post("/api/v1/classify", headers=token("dra"), data={"authority": "aut"},
               files={"file": (SAMPLE_TXT.name, SAMPLE_TXT.read_bytes())})
    assert r.status_code == 200, r.text
    draft_id = r.json()["draft_id"]
    assert r.json()["classification"]["findings"]
    r = c.post(f"/api/v1/drafts/{draft_id}/decide", headers=token("aut"), json={})
    assert r.status_code == 200, r.text
    r = c.post(f"/api/v1/drafts/{draft_id}/issue", headers=token("cle"), json={"recipients": ["dra2"]})
    assert r.status_code == 200 and len(r.json()["passwords"]) == 1, r.text
    sec = token("sec")
    copies = c.get("/api/v1/copies", headers=sec, params={"q": "dra2"}).json()["copies"]
    assert len(copies) == 1
    r = c.post(f"/api/v1/copies/{copies[0]['copy_id']}/sign", headers=sec, json={"by": "dra2"})
    assert r.json()["copy"]["status"] == "signed"
    r = c.post(f"/api/v1/copies/{copies[0]['copy_id']}/lost", headers=sec, json={"note": "stolen from a car"})
    assert r.status_code == 200 and r.json()["copy"]["status"] == "lost", r.text
    assert c.get("/api/v1/events", headers=sec).json()["events"]
    r = c.post("/api/v1/trace", headers=sec, data={"text": "nothing marked here at all"})
    assert r.status_code == 200 and r.json()["verdict"]
    assert c.post("/api/v1/logout", headers=sec).status_code == 200
    from mijian.pipeline.service.events import recent_events

    last = recent_events(1, settings=service.Settings(home=office.home))[0]
    assert (last["actor"], last["action"], last["detail"]) == ("sec", "web.logout", {"api": True})


def test_recipient_sees_the_draft_other_drafter_does_not(issued):
    office, draft_id, _ = issued
    assert office.client("adm").get(f"/drafts/{draft_id}").status_code == 200  # a recipient
    assert office.client("dra2").get(f"/drafts/{draft_id}").status_code == 404
    assert upload(office, SAMPLE_TXT, "dra2")


def test_register_pages(issued, monkeypatch):
    from mijian.pipeline.web.routes import register

    monkeypatch.setattr(register, "PAGE_SIZE", 2)
    office, _, _ = issued
    sec = office.client("sec")
    first = sec.get("/register").text
    second = sec.get("/register", params={"page": "2"}).text
    assert first.count("/register/copies/") == 2 and "page=2" in first
    assert second.count("/register/copies/") >= 1 and "page=1" in second
    assert sec.get("/register", params={"page": "-1"}).status_code == 200  # read as page 1


@pytest.mark.parametrize(("header", "cookie", "expected"), [
    ("zh-CN,zh;q=0.9,en;q=0.8", None, "zh"), ("en-US,en;q=0.9,zh-CN;q=0.8", None, "en"),
    ("fr-FR, zh-TW;q=0.5, en;q=0.4", None, "zh"), ("en;q=0.2, zh;q=0.7", None, "zh"),
    ("zh;q=0", None, "en"), ("", None, "en"), ("de", None, "en"), ("zh-CN", "en", "en"),
    ("en", "zh", "zh"), ("zh;q=bogus, en", None, "en"),
])
def test_language_negotiation(header, cookie, expected):
    from mijian.pipeline.web.messages import negotiate

    assert negotiate(header, cookie) == expected


def test_every_catalogue_entry_has_both_languages():
    from mijian.pipeline.web.messages import CATALOGUE

    for key, (zh, en) in CATALOGUE.items():
        assert (zh and en and zh != en) or key == "app", key
        assert en.isascii(), key
