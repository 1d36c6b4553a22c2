"""An admin acting under someone else's account, or a second one of their own.

The findings: an admin's reset of another user's password was only recorded, so an admin
could reset a security officer and act as them; an admin could create an account, log in
as it, and approve their own destruction request; the witness of a destruction was any typed
name; and an approved destruction that then failed left no trace in the signed log.
"""

from __future__ import annotations

import re

import pytest
from test_web_helpers import build_office, csrf, issued_office, log_in, password

from mijian.pipeline import service
from mijian.pipeline.errors import MijianError
from mijian.pipeline.service.events import recent_events
from mijian.pipeline.web import destructions, users


@pytest.fixture()
def issued(tmp_path):
    office, _draft_id, _page = issued_office(tmp_path)
    settings = service.Settings(home=office.home)
    copies = {c.recipient_id: c for c in service.list_copies(settings=settings)}
    return office, copies, settings


def issue_account(adm, name: str, role: str, reset: bool = False):
    """Add (or reset) ``name`` on the admin page; the response and the temporary password shown."""
    fields = {"csrf": csrf(adm, "/admin/users"), "name": name, "role": role}
    r = adm.post("/admin/users", data={**fields, **({"reset": "1"} if reset else {})}, follow_redirects=False)
    shown = re.search(r'id="temporary-password">([^<]+)<', r.text)
    return r, shown.group(1) if shown else None


def take_over(office, name: str, temporary: str, chosen: str):
    """Log in as ``name`` with the temporary password and set ``chosen``; a client logged in with it."""
    c = office.client()
    r = log_in(c, name, temporary)
    assert r.status_code == 303 and r.headers["location"] == "/password", r.text
    r = c.post("/password", data={"csrf": csrf(c, "/password"), "current": temporary, "new": chosen,
                                  "repeat": chosen}, follow_redirects=False)
    assert r.status_code == 303, r.text
    c = office.client()
    assert log_in(c, name, chosen).status_code == 303
    return c


def ask(client, copy_id, witness="dra2"):
    url = f"/register/copies/{copy_id}"
    return client.post(url + "/destroy", data={"csrf": csrf(client, url), "witness": witness, "method": "粉碎"},
                       follow_redirects=False)


def approve(client, request_id):
    return client.post(f"/register/destructions/{request_id}/approve",
                       data={"csrf": csrf(client, "/register/destructions")}, follow_redirects=False)


def pending(office) -> list[str]:
    return [r.id for r in destructions.listing(office.app.state.accounts) if r.state == destructions.PENDING]


def logged(settings, action):
    return [e for e in recent_events(500, settings=settings) if e["action"] == action]


def test_a_reset_issues_a_temporary_password_changed_before_anything_else(tmp_path):
    office = build_office(tmp_path)
    settings = service.Settings(home=office.home)
    r, temporary = issue_account(office.client("adm"), "sec", "security", reset=True)
    assert r.status_code == 200 and temporary and len(temporary) >= 16
    assert log_in(office.client(), "sec", password("sec")).status_code == 401  # the old password is gone
    c = office.client()
    assert log_in(c, "sec", temporary).headers["location"] == "/password"
    assert c.get("/register").status_code == 403  # nothing but the change
    assert c.get("/password").status_code == 200
    r = c.post("/password", data={"csrf": csrf(c, "/password"), "current": temporary, "new": temporary,
                                  "repeat": temporary}, follow_redirects=False)
    assert r.status_code == 400  # the temporary one is not kept as one's own
    sec = take_over(office, "sec", temporary, "sec's own choice 123")
    assert sec.get("/register").status_code == 200
    assert log_in(office.client(), "sec", temporary).status_code == 401  # one-time
    reset = logged(settings, "web.user")[0]
    assert reset["actor"] == "adm" and reset["detail"]["reset"] and reset["detail"]["temporary_password"]
    first = [e for e in logged(settings, "web.login") if e["actor"] == "sec"]
    assert {"temporary_password": True, "issued_by": "adm"}.items() <= first[-1]["detail"].items()
    changed = logged(settings, "web.password_change")[0]
    assert changed["actor"] == "sec" and changed["detail"] == {"was_temporary": True, "issued_by": "adm"}


def test_the_api_refuses_an_account_on_its_temporary_password(tmp_path):
    office = build_office(tmp_path)
    _, temporary = issue_account(office.client("adm"), "cle", "clerk", reset=True)
    c = office.client()
    token = c.post("/api/v1/login", json={"name": "cle", "password": temporary}).json()["token"]
    assert c.get("/api/v1/copies", headers={"authorization": f"Bearer {token}"}).status_code == 403


def test_a_reset_cancels_the_pending_requests_of_the_account(issued):
    office, copies, settings = issued
    assert ask(office.client("cle"), copies["dra"].copy_id).status_code == 303
    assert ask(office.client("sec"), copies["adm"].copy_id, witness="cle").status_code == 303
    [first, second] = pending(office)
    issue_account(office.client("adm"), "cle", "clerk", reset=True)  # the requester of one, witness of the other
    assert pending(office) == []
    assert {destructions.get(office.app.state.accounts, i).state for i in (first, second)} == {"cancelled"}
    assert approve(office.client("aut"), first).status_code == 409
    assert service.show_copy(copies["dra"].copy_id, settings=settings).copy.status == "issued"
    assert {e["detail"]["request"] for e in logged(settings, "web.destroy_cancel")} == {first, second}


def test_an_admin_does_not_approve_the_request_of_an_account_they_made(issued):
    """The admin made a clerk, logged in as it, asked for a destruction and approved it."""
    office, copies, settings = issued
    adm = office.client("adm")
    _, temporary = issue_account(adm, "cle9", "clerk")
    mine = take_over(office, "cle9", temporary, "the admin's second hat")
    assert ask(mine, copies["dra"].copy_id).status_code == 303
    [asked] = pending(office)
    r = approve(adm, asked)
    assert r.status_code == 403 and "cle9" in r.text
    assert service.show_copy(copies["dra"].copy_id, settings=settings).copy.status == "issued"
    refused = logged(settings, "web.approval_refused")[0]
    assert refused["actor"] == "adm" and refused["detail"]["requested_by"] == "cle9"
    # nor through the security officer's account the admin reset and took over
    _, temporary = issue_account(adm, "sec", "security", reset=True)
    as_sec = take_over(office, "sec", temporary, "not the officer's own")
    assert approve(as_sec, asked).status_code == 403
    assert approve(office.client("aut"), asked).status_code == 303  # a person the admin did not issue
    assert service.show_copy(copies["dra"].copy_id, settings=settings).copy.status == "destroyed"


def test_a_grade_change_is_not_approved_by_an_account_the_recorder_is_linked_to(issued):
    office, copies, settings = issued
    adm = office.client("adm")
    _, temporary = issue_account(adm, "aut9", "authority")
    take_over(office, "aut9", temporary, "authority by admin")
    _, temporary = issue_account(adm, "cle", "clerk", reset=True)
    take_over(office, "cle", temporary, "clerk by admin 1")
    c = office.client()
    token = c.post("/api/v1/login", json={"name": "cle", "password": "clerk by admin 1"}).json()["token"]
    document = copies["dra"].document_id
    r = c.post(f"/api/v1/documents/{document}/change", headers={"authorization": f"Bearer {token}"},
               json={"scope": "本单位全体", "approver": "aut9", "justification": "范围扩大"})
    assert r.status_code == 403 and "adm" in r.json()["error"]
    assert logged(settings, "web.approval_refused")[0]["detail"]["approver"] == "aut9"
    r = c.post(f"/api/v1/documents/{document}/change", headers={"authorization": f"Bearer {token}"},
               json={"scope": "本单位全体", "approver": "aut", "justification": "范围扩大"})
    assert r.status_code == 200, r.text


def test_accounts_made_on_the_command_line_are_linked_to_nobody(tmp_path):
    from mijian.pipeline.web import accounts

    office = build_office(tmp_path)
    conn = office.app.state.accounts
    assert accounts.linked(conn, "cle", "sec") is None
    made = accounts.provenance(conn, "sec")
    assert made is not None and made.created_by is None and made.issued_by is None and not made.must_change


@pytest.mark.parametrize("witness", ["王监销", "nobody-here", "cle"])
def test_the_witness_is_another_account_of_the_office(issued, witness):
    """A typed name was taken as the witness; and the clerk could name themselves."""
    office, copies, _ = issued
    r = ask(office.client("cle"), copies["dra"].copy_id, witness=witness)
    assert r.status_code == 400 and not pending(office)


def test_the_witness_is_chosen_on_the_page_and_recorded_with_its_role(issued):
    office, copies, settings = issued
    cle = office.client("cle")
    page = cle.get(f"/register/copies/{copies['dra'].copy_id}").text
    assert '<option value="dra2">' in page and '<option value="cle">' not in page
    assert ask(cle, copies["dra"].copy_id, witness="sec").status_code == 303
    asked = logged(settings, "web.destroy_request")[0]["detail"]
    assert asked["witness"] == "sec" and asked["witness_role"] == "security"


@pytest.mark.parametrize("fault", [MijianError("the register refused the step"), OSError("disk full")])
def test_a_destruction_that_fails_after_approval_is_in_the_signed_log(issued, monkeypatch, fault):
    office, copies, settings = issued
    copy_id = copies["dra"].copy_id
    assert ask(office.client("cle"), copy_id).status_code == 303
    [asked] = pending(office)

    def broken(*_args, **_kwargs):
        raise fault

    monkeypatch.setattr(service, "destroy_copy", broken)
    assert approve(office.client("aut"), asked).status_code == 409
    assert service.show_copy(copy_id, settings=settings).copy.status == "issued"
    failed = [e for e in service.copy_history(copy_id, settings=settings) if e["action"] == "web.destroy_failed"]
    assert len(failed) == 1 and failed[0]["actor"] == "aut" and failed[0]["detail"]["request"] == asked
    assert destructions.get(office.app.state.accounts, asked).state == "failed"
    assert service.verify_register(settings=settings).ok


def test_a_store_from_before_the_provenance_columns_is_brought_up_to_date(tmp_path):
    import sqlite3

    from mijian.pipeline.web import accounts

    home = tmp_path / "home"
    home.mkdir()
    old = sqlite3.connect(home / users.FILE)
    old.execute("CREATE TABLE users (name TEXT PRIMARY KEY, role TEXT NOT NULL, hash TEXT NOT NULL, "
                "failures INTEGER NOT NULL DEFAULT 0, locked_until REAL NOT NULL DEFAULT 0)")
    old.execute("INSERT INTO users (name, role, hash) VALUES ('sec', 'security', 'x')")
    old.commit()
    old.close()
    conn = users.connect(home)
    assert accounts.provenance(conn, "sec") == accounts.Provenance("sec", None, None, False)
