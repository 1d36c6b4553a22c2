"""A register that fails verification closes the app, except to an admin: the admin logs in
(the login is kept unsigned, since the log refuses it), sees the alarm, runs verify and a
backup; everyone else is refused with a message in Chinese and English that says what to do,
on pages and in the API, sessions open before included. The alarm survives a restart and is
lifted by a verify that finds the register intact after a restore."""

from __future__ import annotations

import shutil
import sqlite3

from test_web_helpers import build_office, csrf, log_in, password

from mijian.pipeline import service
from mijian.pipeline.web.app import create_app
from mijian.pipeline.web.deps import WebConfig


def tamper(home):
    with sqlite3.connect(home / "register.db") as db:
        db.execute("DROP TRIGGER IF EXISTS events_no_update")  # what someone editing the file does
        db.execute("UPDATE events SET actor = 'mallory' WHERE seq = 1")


def refused(response, api=False):
    said = response.json()["error"] if api else response.text
    return response.status_code == 503 and "failed verification" in said and "登记簿校验未通过" in said \
        and "acknowledge-restore" in said


def test_a_tampered_register_admits_only_the_admin_to_verify_and_back_up(tmp_path):
    office = build_office(tmp_path)
    sec = office.client("sec")  # logged in before the edit
    api = office.client()
    sound = tmp_path / "sound.db"
    service.backup_register(sound, settings=service.Settings(home=office.home, actor="adm"))
    office.client("dra")  # a login after the backup: the restored backup is behind the signed head
    tamper(office.home)
    # a clerk is refused at login, on the page and by the API, and gets no session
    clerk = office.client()
    r = log_in(clerk, "cle", password("cle"))
    assert refused(r) and "mijian_session" not in r.cookies
    assert refused(api.post("/api/v1/login", json={"name": "cle", "password": password("cle")}), api=True)
    # a session opened before is refused everywhere
    assert refused(sec.get("/register"))
    assert refused(sec.post("/trace", data={"csrf": "x", "text": "hello"}))
    # the admin logs in and reaches the upkeep page, verify and backup, nothing else
    adm = office.client()
    r = log_in(adm, "adm", password("adm"))
    assert r.status_code == 303 and r.headers["location"] == "/admin/register"
    page = adm.get("/admin/register")
    assert page.status_code == 200 and 'id="register-alarm"' in page.text
    shown = adm.post("/admin/register/verify", data={"csrf": csrf(adm, "/admin/register")})
    assert shown.status_code == 200 and 'class="error" id="verified"' in shown.text
    shown = adm.post("/admin/register/backup", data={"csrf": csrf(adm, "/admin/register")})
    assert shown.status_code == 200 and 'id="backup-written"' in shown.text
    assert refused(adm.get("/admin/users"))
    assert refused(adm.get("/book"))
    # what the admin did is kept outside the refusing log, and shown
    unsigned = [(r["actor"], r["action"]) for r in office.app.state.accounts.execute(
        "SELECT actor, action FROM unsigned_events")]
    assert ("adm", "web.login") in unsigned and ("adm", "web.verify") in unsigned
    assert ("adm", "web.backup") in unsigned and ("web", "web.login_refused") in unsigned
    assert "web.backup" in adm.get("/admin/register").text
    token = {"authorization": "Bearer " + api.post("/api/v1/login", json={"name": "adm", "password": password("adm")})
             .json()["token"]}
    assert api.post("/api/v1/register/verify", headers=token).json()["ok"] is False
    assert refused(api.get("/api/v1/copies", headers=token), api=True)
    # a restart keeps the alarm
    again = create_app(WebConfig(home=office.home, data=office.data))
    assert again.state.alarm
    # restored from the sound backup and acknowledged, a verify lifts it
    shutil.copyfile(sound, office.home / "register.db")
    service.acknowledge_restore("adm", "restored after the edit", settings=service.Settings(home=office.home,
                                                                                            actor="adm"))
    shown = adm.post("/admin/register/verify", data={"csrf": csrf(adm, "/admin/register")})
    assert 'id="verified">The register is intact' in shown.text
    assert log_in(office.client(), "cle", password("cle")).status_code == 303
    assert sec.get("/register").status_code == 200


def test_a_failed_login_during_the_alarm_is_still_counted_and_kept(tmp_path):
    office = build_office(tmp_path)
    office.client("dra")  # the register's first events
    tamper(office.home)
    r = log_in(office.client(), "cle", "wrong password!")
    assert r.status_code == 401  # a wrong password says nothing about the register
    kept = [(r["actor"], r["action"]) for r in office.app.state.accounts.execute(
        "SELECT actor, action FROM unsigned_events")]
    assert kept == [("web", "web.login_failed")]


def test_a_sound_register_raises_no_alarm(tmp_path):
    office = build_office(tmp_path)
    c = office.client("cle")
    assert c.get("/issue").status_code == 200 and 'id="register-alarm"' not in c.get("/issue").text
    assert office.app.state.alarm is None
