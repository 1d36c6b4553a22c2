"""Destruction in two steps: a clerk (or security officer) asks with a witness; another
logged-in user with an approving role approves, and only then is the copy destroyed. The
signed log names both. Refused: approving one's own request, a role that may not approve,
the witness approving, approving twice or after a refusal, asking twice, asking for or
approving a copy the register no longer lets be destroyed (lost, destroyed); a returned copy
is destroyed as usual."""

from __future__ import annotations

import re

import pytest
from test_web_helpers import csrf, issued_office, password

from mijian.pipeline import service
from mijian.pipeline.service.events import recent_events


@pytest.fixture()
def world(tmp_path):
    office, _draft_id, _page = issued_office(tmp_path)
    settings = service.Settings(home=office.home)
    copies = {c.recipient_id: c.copy_id for c in service.list_copies(settings=settings)}
    return office, copies, settings


def ask(client, copy_id, witness="dra2", method="粉碎"):
    url = f"/register/copies/{copy_id}"
    return client.post(url + "/destroy", data={"csrf": csrf(client, url), "witness": witness, "method": method},
                       follow_redirects=False)


def request_ids(client):
    return re.findall(r'id="request-([^"]+)"', client.get("/register/destructions").text)


def decide(client, request_id, verb="approve", **fields):
    return client.post(f"/register/destructions/{request_id}/{verb}",
                       data={"csrf": csrf(client, "/register/destructions"), **fields}, follow_redirects=False)


def status(settings, copy_id):
    return service.show_copy(copy_id, settings=settings).copy.status


def test_ask_then_another_user_approves_and_the_log_names_both(world):
    office, copies, settings = world
    clerk = office.client("cle")
    r = ask(clerk, copies["dra"])
    assert r.status_code == 303 and r.headers["location"] == "/register/destructions"
    assert status(settings, copies["dra"]) == "issued"  # nothing destroyed yet
    assert 'id="destroy-pending"' in clerk.get(f"/register/copies/{copies['dra']}").text
    (request_id,) = request_ids(clerk)
    assert "/approve" not in clerk.get("/register/destructions").text  # a clerk is offered no approval
    aut = office.client("aut")
    assert f"/register/destructions/{request_id}/approve" in aut.get("/register/destructions").text
    assert decide(aut, request_id).status_code == 303
    assert status(settings, copies["dra"]) == "destroyed"
    history = service.copy_history(copies["dra"], settings=settings)
    destroyed = next(e for e in history if e["action"] == "destroyed")
    assert destroyed["actor"] == "cle"
    assert destroyed["detail"]["approver"] == "aut" and destroyed["detail"]["witness"] == "dra2"
    logged = {e["action"]: e for e in recent_events(50, settings=settings) if e["copy_id"] == copies["dra"]}
    assert logged["web.destroy_request"]["actor"] == "cle"
    assert logged["web.destroy_approve"]["actor"] == "aut"
    assert logged["web.destroy_approve"]["detail"]["requested_by"] == "cle"
    assert logged["web.destroy_request"]["seq"] < logged["web.destroy_approve"]["seq"] < logged["destroyed"]["seq"]
    shown = aut.get("/register/destructions").text
    assert "approved, destroyed" in shown
    assert decide(aut, request_id).status_code == 409  # approving twice
    assert decide(office.client("adm"), request_id).status_code == 409


@pytest.mark.parametrize(("asker", "approver", "witness", "why"), [
    ("sec", "sec", "dra2", 403),   # one's own request
    ("cle", "cle", "dra2", 403),   # a clerk never approves
    ("cle", "dra", "dra2", 403),   # nor a drafter
    ("sec", "aut", "aut", 403),      # nor the witness
])
def test_refused_approvals_leave_the_copy(world, asker, approver, witness, why):
    office, copies, settings = world
    assert ask(office.client(asker), copies["adm"], witness=witness).status_code == 303
    (request_id,) = request_ids(office.client("sec"))
    client = office.client(approver)
    token = csrf(client, "/drafts" if approver == "dra" else "/register/destructions")
    r = client.post(f"/register/destructions/{request_id}/approve", data={"csrf": token})
    assert r.status_code == why
    assert status(settings, copies["adm"]) == "issued"
    r = client.post(f"/api/v1/destructions/{request_id}/approve", headers=bearer(office, approver))
    assert r.status_code == why and status(settings, copies["adm"]) == "issued"


def bearer(office, name):
    c = office.client()
    token = c.post("/api/v1/login", json={"name": name, "password": password(name)}).json()["token"]
    return {"authorization": f"Bearer {token}"}


def test_bad_requests_are_refused(world):
    office, copies, _settings = world
    clerk = office.client("cle")
    assert ask(clerk, copies["dra"], witness=" ").status_code == 400
    assert ask(clerk, copies["dra"], witness="cle").status_code == 400  # not one's own witness
    assert ask(clerk, copies["dra"]).status_code == 303
    assert ask(clerk, copies["dra"]).status_code == 400  # one pending request a copy
    service.mark_lost(copies["sec"], "left on a train", settings=service.Settings(home=office.home, actor="sec"))
    r = ask(clerk, copies["sec"])
    assert r.status_code == 409 and "lost" in r.text  # a lost copy is not destroyed
    assert len(request_ids(clerk)) == 1


def test_refusal_and_a_copy_lost_meanwhile(world):
    office, copies, settings = world
    clerk, adm = office.client("cle"), office.client("adm")
    assert ask(clerk, copies["dra"]).status_code == 303
    (first,) = request_ids(clerk)
    assert decide(adm, first, "refuse", note="还需留存").status_code == 303
    assert status(settings, copies["dra"]) == "issued"
    assert decide(office.client("aut"), first).status_code == 409  # refused: decided once
    assert "还需留存" in clerk.get("/register/destructions").text
    # asked again, then the copy is reported lost before anyone approves
    assert ask(clerk, copies["dra"]).status_code == 303
    second = next(r for r in request_ids(clerk) if r != first)
    service.mark_lost(copies["dra"], "lost in the post", settings=service.Settings(home=office.home, actor="cle"))
    r = decide(office.client("sec"), second)
    assert r.status_code == 409 and "lost" in r.text
    assert status(settings, copies["dra"]) == "lost"
    assert decide(office.client("aut"), second).status_code == 409  # closed as failed


def test_a_returned_copy_is_destroyed_and_a_destroyed_one_is_not_asked_for_again(world):
    office, copies, settings = world
    service.return_copy(copies["adm"], "cle", settings=service.Settings(home=office.home, actor="cle"))
    sec = office.client("sec")
    assert ask(sec, copies["adm"]).status_code == 303
    (request_id,) = request_ids(sec)
    assert decide(office.client("aut"), request_id).status_code == 303
    assert status(settings, copies["adm"]) == "destroyed"
    r = ask(sec, copies["adm"])
    assert r.status_code == 409 and "destroyed" in r.text


def test_the_api_asks_lists_and_approves(world):
    office, copies, _settings = world
    c = office.client()
    # dra's copy: sec approves it (the holder of a copy does not approve its destruction)
    r = c.post(f"/api/v1/copies/{copies['dra']}/destroy", json={"witness": "dra2"}, headers=bearer(office, "cle"))
    assert r.status_code == 200 and r.json()["destruction"]["state"] == "pending"
    request_id = r.json()["destruction"]["id"]
    listed = c.get("/api/v1/destructions", headers=bearer(office, "aut")).json()["requests"]
    assert [x["id"] for x in listed] == [request_id]
    r = c.post(f"/api/v1/destructions/{request_id}/approve", headers=bearer(office, "sec"))
    assert r.status_code == 200 and r.json()["copy"]["status"] == "destroyed"
    r = c.post(f"/api/v1/destructions/{request_id}/refuse", json={"note": "x"}, headers=bearer(office, "aut"))
    assert r.status_code == 409
