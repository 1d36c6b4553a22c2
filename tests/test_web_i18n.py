"""The pages in the reader's language: a Chinese browser reads the copy, events and trace pages
with Chinese headers, statuses, actions, verdicts, layers and roles (no English word of them
left in a cell); an English browser reads them as before; the JSON API keeps the stored values;
the page of issued passwords prints as one slip a copy."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from test_web_helpers import build_office, csrf, decide, issued_office, password, upload

from mijian.pipeline import service
from mijian.pipeline.register_records import CopyStatus
from mijian.pipeline.trace_model import CONFLICT, IDENTIFIED, INCONCLUSIVE, INDICATED
from mijian.pipeline.web import terms, users

ZH = "zh-CN,zh;q=0.9,en;q=0.8"
HEADERS = {"at", "actor", "action", "layer", "layers"}
ENGLISH = HEADERS | {s.value for s in CopyStatus} | {IDENTIFIED, INDICATED, CONFLICT, INCONCLUSIVE} \
    | set(users.ROLES) | set(terms.FINDINGS_ZH) | set(terms.LAYERS_ZH)
"""Words an English page shows that a Chinese page must not."""


class Cells(HTMLParser):
    """The text of each table cell and of the status and verdict of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: list[str] = []
        self._open: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag in ("td", "th") or dict(attrs).get("id") in ("status", "verdict"):
            self._open = []

    def handle_endtag(self, tag):
        if self._open is not None and tag in ("td", "th", "strong", "span"):
            self.cells.append("".join(self._open).strip())
            self._open = None

    def handle_data(self, data):
        if self._open is not None:
            self._open.append(data)


def cells(page: str) -> list[str]:
    """The cell texts of ``page``."""
    parser = Cells()
    parser.feed(page)
    return parser.cells


def english_left(page: str) -> list[str]:
    """The cells of ``page`` that show an English value or header (or a ``web.*`` action)."""
    return [c for c in cells(page) if c.startswith("web.")
            or any(part.lower() in ENGLISH for part in re.split(r"\s*[,、]\s*", c))]


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    """An issued office with adm's copy signed for, and the copy, events and trace pages of it
    rendered for a Chinese and an English browser: {lang: {page: html}}."""
    office, draft_id, issued = issued_office(tmp_path_factory.mktemp("web-i18n"))
    copy = next(c for c in service.list_copies(settings=service.Settings(home=office.home))
                if c.recipient_id == "adm")
    sec = office.client("sec")
    url = f"/register/copies/{copy.copy_id}"
    assert sec.post(url + "/sign", data={"csrf": csrf(sec, url), "by": "adm"},
                    follow_redirects=False).status_code == 303
    leak = office.client("cle").get(f"/issue/{draft_id}/copies/{copy.serial}").content
    shown = {}
    for lang, header in (("zh", ZH), ("en", "en-GB,en;q=0.9")):
        who = office.client("sec", lang=header)
        traced = who.post("/trace", data={"csrf": csrf(who, "/trace")}, files={"file": ("leak.pdf", leak)})
        assert traced.status_code == 200
        shown[lang] = {"copy": who.get(url).text, "events": who.get("/register/events").text,
                       "trace": traced.text, "register": who.get("/register").text,
                       "users": office.client("adm", lang=header).get("/admin/users").text}
    return office, shown, issued, draft_id


@pytest.mark.parametrize("name", ["copy", "events", "trace", "register", "users"])
def test_a_chinese_page_has_no_english_header_status_or_verdict(pages, name):
    _office, shown, _issued, _draft = pages
    page = shown["zh"][name]
    assert 'lang="zh-CN"' in page
    assert english_left(page) == [], name


def test_the_chinese_words_shown(pages):
    _office, shown, _issued, _draft = pages
    zh = shown["zh"]
    for page in (zh["copy"], zh["events"]):
        assert "<th>时间</th><th>操作人</th><th>操作</th>" in page
    assert 'id="status">已签收<' in zh["copy"] and "(保密员)" in zh["copy"]
    events = cells(zh["events"])
    assert {"分发", "签收", "登录", "定密"} <= set(events)
    assert 'id="verdict">已查明<' in zh["trace"]
    assert "<th>证据层</th>" in zh["trace"] and "<th>指向依据</th>" in zh["trace"]
    assert {"文件哈希", "相符"} <= set(cells(zh["trace"]))
    assert "已分发" in cells(zh["register"]) and "已签收" in cells(zh["register"])
    assert '<option value="authority">定密责任人</option>' in zh["users"]
    assert 'placeholder="份号 / 收件人 / 文件"' in zh["register"]


def test_an_english_page_keeps_the_english_words(pages):
    _office, shown, _issued, _draft = pages
    en = shown["en"]
    for page in (en["copy"], en["events"]):
        assert "<th>Time</th><th>Actor</th><th>Action</th>" in page
    assert 'id="status">signed<' in en["copy"] and "(security)" in en["copy"]
    assert {"issued", "signed", "web.login", "decided"} <= set(cells(en["events"]))
    assert 'id="verdict">identified<' in en["trace"] and "<th>Layer</th>" in en["trace"]
    assert {"file", "match"} <= set(cells(en["trace"]))
    assert '<option value="authority">authority</option>' in en["users"]
    assert english_left(en["copy"]) and english_left(en["trace"])  # the check sees English words


def test_the_api_keeps_the_stored_values(pages):
    office, _shown, _issued, _draft = pages
    api = office.client()
    token = api.post("/api/v1/login", json={"name": "sec", "password": password("sec")}).json()["token"]
    events = api.get("/api/v1/events", headers={"authorization": f"Bearer {token}"})
    assert events.status_code == 200, events.text
    assert {"issued", "signed"} <= {e["action"] for e in events.json()["events"]}


def test_every_status_verdict_and_role_has_a_chinese_name():
    name = terms.namer("zh")
    for status in CopyStatus:
        assert name("status", status) != status.value and name("action", status) != status.value
    for verdict in (IDENTIFIED, INDICATED, CONFLICT, INCONCLUSIVE):
        assert name("verdict", verdict) != verdict
    for role in users.ROLES:
        assert name("role", role) != role
    # an unknown value, and every value on an English page, is shown as it is
    assert name("finding", "new finding") == "new finding" and name("status", None) == ""
    assert terms.namer("en")("status", CopyStatus.SIGNED) == "signed"


def test_the_passwords_page_prints_one_slip_a_copy(pages):
    office, _shown, issued, draft_id = pages
    title = re.search(r"<h1>[^<]*: ([^<]+)</h1>",
                      office.client("cle").get(f"/issue/{draft_id}").text).group(1).strip()
    slips = re.findall(r'<tr class="slip">(.*?)</tr>', issued, re.S)
    assert len(slips) == 3 and issued.count('class="pw"') == 3  # each password once
    for slip in slips:
        assert title in slip and "Hand over separately" in slip
        assert 'data-label="Serial"' in slip and 'data-label="Recipient"' in slip
        assert 'data-label="Password"' in slip
    assert 'id="progress" class="slips"' in issued
    css = office.client().get("/static/app.css").text
    assert "@media print" in css and "tr.slip" in css and "attr(data-label)" in css


def test_the_chinese_slips(tmp_path):
    import time

    office = build_office(tmp_path)
    draft_id = upload(office)
    assert decide(office, draft_id).status_code == 303
    clerk = office.client("cle", lang=ZH)
    job = clerk.post(f"/issue/{draft_id}", data={"csrf": csrf(clerk, f"/issue/{draft_id}"), "recipient": "aut"},
                     follow_redirects=False).headers["location"]
    deadline = time.monotonic() + 300  # a backstop for a run that hangs, far above a slow one
    while 'id="finished"' not in (page := clerk.get(job).text) and time.monotonic() < deadline:
        time.sleep(0.1)
    slips = re.findall(r'<tr class="slip">(.*?)</tr>', page, re.S)
    assert len(slips) == 1 and page.count('class="pw"') == 1
    assert "请另行妥善交付" in slips[0] and 'data-label="份号"' in slips[0] and 'data-label="口令"' in slips[0]
    assert "打印本页即得口令条" in page
