"""The address book: clerks and admins keep people (with unit, e-mail and certificate) and
units; the Issue page picks from it; a unit is issued as its members; a person with a
certificate gets a copy enveloped for it (opened with their key, by the same code the command
line uses); the register records each copy's recipient and unit, and the signed log the
choice."""

from __future__ import annotations


import pytest
from test_web_helpers import build_office, csrf, decide, issue, upload

from mijian.pipeline import service
from mijian.pipeline.service.events import recent_events
from mijian.pipeline.web import address_book
from tests.identities import self_signed


def identity(name: str) -> tuple[str, bytes]:
    """A self-signed RSA certificate (PEM text) and its private key (PEM bytes)."""
    cert, key = self_signed(name)
    return cert.decode(), key


def save(client, **fields):
    return client.post("/book", data={"csrf": csrf(client, "/book"), **fields}, follow_redirects=False)


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    made = build_office(tmp_path_factory.mktemp("web-book"))
    cert, key = identity("Wang Fang")
    made.key = key  # type: ignore[attr-defined]
    made.cert = cert  # type: ignore[attr-defined]
    clerk = made.client("cle")
    assert save(clerk, kind="unit", id="U-OFFICE", name="办公室").status_code == 303
    assert save(clerk, kind="person", id="wangfang", name="王芳", unit="U-OFFICE", email="wf@example.org",
                certificate=cert).status_code == 303
    assert save(clerk, kind="person", id="lisi", name="李四", unit="U-OFFICE").status_code == 303
    assert save(clerk, kind="person", id="zhao", name="赵六").status_code == 303
    return made


def test_the_book_lists_units_with_members_and_certificates(office):
    shown = office.client("adm").get("/book").text
    assert "办公室" in shown and "王芳" in shown and "李四" in shown and "赵六" in shown
    assert "CN=Wang Fang" in shown  # the certificate's subject, read by pipeline.crypto
    assert 'class="account-only"' in shown  # accounts without an entry are offered to be entered
    assert 'href="/book"' in shown  # in the menu


def test_edit_and_remove_entries(office):
    clerk = office.client("cle")
    assert save(clerk, kind="person", id="zhao", name="赵六六").status_code == 303
    assert "赵六六" in clerk.get("/book/zhao").text
    token = csrf(clerk, "/book")
    refused = clerk.post("/book/U-OFFICE/remove", data={"csrf": token})
    assert refused.status_code == 400 and "member" in refused.text
    assert clerk.post("/book/zhao/remove", data={"csrf": token}, follow_redirects=False).status_code == 303
    assert "赵六六" not in clerk.get("/book").text
    assert clerk.post("/book/nobody/remove", data={"csrf": token}).status_code == 404
    assert clerk.get("/book/nobody").status_code == 404
    assert clerk.get("/book/dra").status_code == 200  # an account: its form, filled in


@pytest.mark.parametrize(("fields", "said"), [
    ({"kind": "person", "id": "x1", "name": "X", "certificate": "-----BEGIN CERTIFICATE-----\nAAAA\n"
      "-----END CERTIFICATE-----"}, "certificate"),
    ({"kind": "unit", "id": "U2", "name": "Unit", "certificate": "x"}, "unit"),
    ({"kind": "person", "id": "x2", "name": "X", "unit": "U-NONE"}, "unit"),
    ({"kind": "person", "id": "x3", "name": "X\u202eY"}, "hidden character"),
    ({"kind": "person", "id": "a/b", "name": "X"}, "slash"),
    ({"kind": "person", "id": "x4", "name": ""}, "name"),
    ({"kind": "person", "id": "U-OFFICE", "name": "X"}, "already a unit"),
    ({"kind": "robot", "id": "x5", "name": "X"}, "kind"),
])
def test_bad_entries_are_refused_with_the_reason(office, fields, said):
    clerk = office.client("cle")
    r = save(clerk, **fields)
    assert r.status_code == 400 and said in r.text, r.text[-400:]
    ids = {e.id for e in address_book.entries(office.app.state.accounts)}
    assert fields["id"] == "U-OFFICE" or fields["id"] not in ids


def test_issuing_to_a_unit_gives_its_members_and_envelopes_for_a_certificate(office):
    from mijian.pipeline.crypto import open_envelope

    draft_id = upload(office)
    assert decide(office, draft_id).status_code == 303
    form = office.client("cle").get(f"/issue/{draft_id}").text
    assert 'value="U-OFFICE"' in form and 'value="wangfang"' in form and 'value="dra"' in form
    assert "🔒" in form
    done = issue(office, draft_id, ["U-OFFICE", "dra", "lisi"])  # lisi twice: once
    assert 'id="finished"' in done
    settings = service.Settings(home=office.home)
    copies = {c.recipient_id: c for c in service.list_copies(settings=settings)}
    assert set(copies) == {"wangfang", "lisi", "dra"}
    assert copies["wangfang"].recipient_unit == "办公室" and copies["lisi"].recipient_unit == "办公室"
    assert copies["wangfang"].recipient_name == "王芳" and copies["dra"].recipient_unit == ""
    assert copies["wangfang"].file.endswith(".p7m") and not copies["lisi"].file.endswith(".p7m")
    serial = copies["wangfang"].serial
    sealed = office.client("cle").get(f"/issue/{draft_id}/copies/{serial}")
    assert sealed.status_code == 200
    opened = open_envelope(sealed.content, office.cert.encode(), office.key)
    assert opened[:4] == b"%PDF"
    chosen = [e for e in recent_events(50, settings=settings) if e["action"] == "web.issue"]
    assert chosen and chosen[0]["actor"] == "cle"
    assert chosen[0]["detail"]["units"] == {"U-OFFICE": ["lisi", "wangfang"]}
    assert chosen[0]["detail"]["recipients"] == ["lisi", "wangfang", "dra"]


def test_an_empty_unit_or_unknown_id_is_refused(tmp_path):
    office = build_office(tmp_path)
    clerk = office.client("cle")
    assert save(clerk, kind="unit", id="EMPTY", name="空单位").status_code == 303
    draft_id = upload(office)
    assert decide(office, draft_id).status_code == 303
    token = csrf(clerk, f"/issue/{draft_id}")
    r = clerk.post(f"/issue/{draft_id}", data={"csrf": token, "recipient": "EMPTY"})
    assert r.status_code == 400 and "no members" in r.text
    r = clerk.post(f"/issue/{draft_id}", data={"csrf": token, "recipient": "ghost"})
    assert r.status_code == 400 and "address book" in r.text
    assert service.list_copies(settings=service.Settings(home=office.home)) == ()


def test_book_changes_are_in_the_signed_log(office):
    events = recent_events(200, settings=service.Settings(home=office.home))
    saved = [e for e in events if e["action"] == "web.book"]
    assert {e["actor"] for e in saved} == {"cle"}
    assert any(e["detail"].get("saved") == "wangfang" and e["detail"]["certificate"] for e in saved)
    assert any(e["detail"].get("removed") == "zhao" for e in saved)


def test_a_chinese_browser_reads_the_book_and_the_destructions_in_chinese(office):
    shown = office.client("cle", lang="zh-CN").get("/book").text
    assert "通讯录" in shown and "单位" in shown and "证书" in shown and "编号" in shown
    assert ">Address book<" not in shown and ">Certificate<" not in shown
    shown = office.client("aut", lang="zh-CN").get("/register/destructions").text
    assert "销毁审批" in shown and "申请人" in shown and "监销人" in shown
