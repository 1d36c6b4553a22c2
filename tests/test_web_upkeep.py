"""The register's upkeep for admins, on the page and in /api/v1: verify (the tamper-evident
check, shown intact and shown failing after an edit of the log) and a backup written into the
web data folder, whose path is shown and which holds the register."""

from __future__ import annotations

import re
import sqlite3

from test_web_helpers import build_office, csrf, password

from mijian.pipeline import service
from mijian.pipeline.service.events import recent_events


def _bearer(client, name):
    r = client.post("/api/v1/login", json={"name": name, "password": password(name)})
    return {"authorization": "Bearer " + r.json()["token"]}


def test_verify_and_backup_on_the_page_and_by_the_api(tmp_path):
    office = build_office(tmp_path)
    adm = office.client("adm")
    page = adm.get("/admin/register").text
    assert 'action="/admin/register/verify"' in page and 'action="/admin/register/backup"' in page
    assert 'href="/admin/register"' in page  # in the admin's menu
    token = csrf(adm, "/admin/register")
    shown = adm.post("/admin/register/verify", data={"csrf": token})
    assert shown.status_code == 200
    assert re.search(r'id="verified">The register is intact; events verified: \d+<', shown.text)
    shown = adm.post("/admin/register/backup", data={"csrf": token})
    written = re.search(r'id="backup-written">[^<]*<code>([^<]+)</code>', shown.text).group(1)
    backups = list((office.data / "backups").iterdir())
    assert [str(p) for p in backups] == [written]
    assert backups[0].stat().st_mode & 0o077 == 0
    with sqlite3.connect(backups[0]) as db:
        assert db.execute("SELECT count(*) FROM events").fetchone()[0] >= 1
    api = office.client()
    r = api.post("/api/v1/register/verify", headers=_bearer(api, "adm"))
    assert r.status_code == 200 and r.json()["ok"] is True and r.json()["events_checked"] >= 1
    r = api.post("/api/v1/register/backup", headers=_bearer(api, "adm"))
    assert r.status_code == 200 and r.json()["backup"] != written
    assert len(list((office.data / "backups").iterdir())) == 2
    actions = [(e["actor"], e["action"]) for e in recent_events(100, settings=service.Settings(home=office.home))]
    assert actions.count(("adm", "web.verify")) == 2 and actions.count(("adm", "web.backup")) == 2


def test_verify_shows_a_tampered_register(tmp_path):
    office = build_office(tmp_path)
    adm = office.client("adm")  # its login is an event of the log
    api = office.client()
    token = _bearer(api, "adm")  # logged in before: a login is refused once the log is broken
    with sqlite3.connect(office.home / "register.db") as db:
        db.execute("DROP TRIGGER IF EXISTS events_no_update")  # what someone editing the file does
        db.execute("UPDATE events SET actor = 'mallory' WHERE seq = 1")
    shown = adm.post("/admin/register/verify", data={"csrf": csrf(adm, "/admin/register")})
    assert shown.status_code == 200
    assert re.search(r'class="error" id="verified">The register failed verification: [^<]+', shown.text)
    r = api.post("/api/v1/register/verify", headers=token)
    assert r.status_code == 200 and r.json()["ok"] is False and r.json()["first_bad_seq"] == 1


def test_upkeep_is_for_admins_only(tmp_path):
    office = build_office(tmp_path)
    for name in ("dra", "aut", "cle", "sec"):
        c = office.client(name)
        token = csrf(c, "/drafts")
        assert c.get("/admin/register").status_code == 403
        assert c.post("/admin/register/backup", data={"csrf": token}).status_code == 403
        assert c.post("/api/v1/register/backup", headers=_bearer(c, name)).status_code == 403
    assert not (office.data / "backups").exists()
