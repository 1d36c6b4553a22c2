"""Helpers of the web app tests: an office with one account per role, logged-in clients,
the CSRF token of a page, a draft taken from upload to issued copies."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the web extra (pip install 'mijian[web]') is not installed")

from fastapi.testclient import TestClient

from mijian.pipeline.web import users
from mijian.pipeline.web.app import create_app
from mijian.pipeline.web.deps import WebConfig

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_PDF = ROOT / "samples" / "zh_notice_secret.pdf"
SAMPLE_TXT = ROOT / "samples" / "zh_roster_personal.txt"
SCOPE = "本机关处级以上干部"
"""The 知悉范围 the authority states on the draft of :func:`issued_office`."""
PEOPLE = {"dra": "drafter", "aut": "authority", "cle": "clerk", "sec": "security", "adm": "admin",
          "dra2": "drafter"}


def password(name: str) -> str:
    """The test password of ``name``."""
    return f"pw-{name}-0123456789"


@dataclass
class Office:
    """An office home, the web data folder and the app over them."""

    home: Path
    data: Path
    app: object

    def client(self, name: str | None = None, lang: str = "en") -> TestClient:
        """A client logged in as ``name`` (anonymous when None)."""
        c = TestClient(self.app, headers={"accept-language": lang})
        if name is not None:
            r = log_in(c, name, password(name))
            assert r.status_code == 303, r.text
        return c


def log_in(client: TestClient, name: str, secret: str):
    """Post the login form (with the token of a freshly fetched login page)."""
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
    return client.post("/login", data={"csrf": token, "name": name, "password": secret}, follow_redirects=False)


def build_office(root: Path) -> Office:
    """A fresh office with one account per role (and a second drafter)."""
    home = root / "home"
    conn = users.connect(home)
    for name, role in PEOPLE.items():
        users.add_user(conn, name, role, password(name))
    conn.close()
    data = root / "data"
    return Office(home, data, create_app(WebConfig(home=home, data=data)))


def csrf(client: TestClient, url: str) -> str:
    """The CSRF token in the forms of the page at ``url``."""
    found = re.search(r'name="csrf" value="([^"]+)"', client.get(url).text)
    assert found, url
    return found.group(1)


def upload(office: Office, path: Path = SAMPLE_PDF, name: str = "dra") -> str:
    """Upload ``path`` as drafter ``name`` for authority aut; returns the draft id."""
    c = office.client(name)
    r = c.post("/drafts", data={"csrf": csrf(c, "/drafts"), "authority": "aut"},
               files={"file": (path.name, path.read_bytes())}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return r.headers["location"].rsplit("/", 1)[1]


def decide(office: Office, draft_id: str, **fields: str) -> object:
    """The authority's decision (the response)."""
    c = office.client("aut")
    return c.post(f"/drafts/{draft_id}/decide", data={"csrf": csrf(c, f"/drafts/{draft_id}"), **fields},
                  follow_redirects=False)


def issue(office: Office, draft_id: str, names: list[str]) -> str:
    """Issue the decided draft to ``names`` as the clerk; returns the finished progress page."""
    c = office.client("cle")
    r = c.post(f"/issue/{draft_id}", data={"csrf": csrf(c, f"/issue/{draft_id}"), "recipient": names},
               follow_redirects=False)
    assert r.status_code == 303, r.text
    deadline = time.monotonic() + 300  # a backstop for a run that hangs, far above a slow one
    while time.monotonic() < deadline:
        page = c.get(r.headers["location"], headers={"hx-request": "true"}).text
        if 'id="finished"' in page:
            return page
        time.sleep(0.1)
    raise AssertionError("the issuing run did not finish in 300 s")


def issued_office(root: Path) -> tuple[Office, str, str]:
    """An office with one draft decided and issued to dra, sec and adm: (office, draft id, page)."""
    office = build_office(root)
    draft_id = upload(office)
    assert decide(office, draft_id, scope=SCOPE).status_code == 303
    return office, draft_id, issue(office, draft_id, ["dra", "sec", "adm"])
