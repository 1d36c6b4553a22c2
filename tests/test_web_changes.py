"""A document's page in the register: its marking and decision history, and the change of
grade, period or scope (变更) and declassification (解密) by the service verbs of ``mijian
register change|declassify``, with their rules: an approver other than the person recording
(here an authority's account, chosen, not typed), a justification, declassification final.
Recorded by the clerks and security officers; in Chinese and English; the same over the API."""

from __future__ import annotations

import re

import pytest
from test_web_helpers import csrf, issued_office, password

from mijian.pipeline import service
from mijian.pipeline.schemes import all_schemes
from mijian.pipeline.service.events import recent_events


@pytest.fixture()
def world(tmp_path):
    office, _draft_id, _page = issued_office(tmp_path)
    settings = service.Settings(home=office.home)
    document = service.list_copies(settings=settings)[0].document_id
    return office, document, settings


def history(settings, document):
    return service.decisions(document, settings=settings).history


def lower_grade(settings, document) -> str:
    found = history(settings, document)
    scheme = all_schemes()[found.scheme]
    return scheme.label(found.current.level - 1)


def post(client, document, verb, **fields):
    url = f"/register/documents/{document}"
    return client.post(f"{url}/{verb}", data={"csrf": csrf(client, url), **fields}, follow_redirects=False)


def test_a_clerk_lowers_the_grade_with_an_authority_as_approver(world):
    office, document, settings = world
    clerk = office.client("cle")
    page = clerk.get(f"/register/documents/{document}")
    assert page.status_code == 200 and 'id="change-form"' in page.text and "<option>aut</option>" in page.text
    assert "<option>sec</option>" not in page.text  # only authorities approve
    lower = lower_grade(settings, document)
    r = post(clerk, document, "change", grade=lower, period="10年", approver="aut", justification="内容已部分公开")
    assert r.status_code == 303, r.text[-300:]
    assert history(settings, document).current.grade == lower
    [event] = [e for e in recent_events(20, settings=settings) if e["action"] == "changed"]
    assert event["actor"] == "cle" and event["detail"]["approver"] == "aut"
    assert event["detail"]["change_justification"] == "内容已部分公开"
    shown = clerk.get(f"/register/documents/{document}").text
    assert f'<strong id="grade-now">{lower}</strong>' in shown and "内容已部分公开" in shown


@pytest.mark.parametrize(("fields", "said"), [
    ({"approver": "aut", "justification": ""}, "justification"),
    ({"approver": "sec", "justification": "x"}, "classification authorities"),
    ({"approver": "王局长", "justification": "x"}, "classification authorities"),
    ({"approver": "", "justification": "x"}, "classification authorities"),
])
def test_a_change_without_justification_or_authority_is_refused(world, fields, said):
    office, document, settings = world
    before = history(settings, document).to_json()
    r = post(office.client("sec"), document, "change", grade=lower_grade(settings, document), **fields)
    assert r.status_code == 400 and said in r.text, r.text[-300:]
    assert history(settings, document).to_json() == before


def test_declassification_is_final(world):
    office, document, settings = world
    sec = office.client("sec")
    assert post(sec, document, "declassify", approver="aut", justification="已公开发布").status_code == 303
    assert history(settings, document).declassified
    page = sec.get(f"/register/documents/{document}").text
    assert 'id="declassified"' in page and 'id="change-form"' not in page
    r = post(sec, document, "change", grade=all_schemes()[history(settings, document).scheme].label(1),
             approver="aut", justification="again")
    assert r.status_code == 400 and history(settings, document).declassified


def test_other_roles_and_unknown_documents(world):
    office, document, _ = world
    for who in ("dra", "aut", "adm"):
        assert office.client(who).get(f"/register/documents/{document}").status_code == 403
    assert office.client("cle").get("/register/documents/no-such-doc").status_code == 404
    assert post(office.client("cle"), document, "promote", approver="aut", justification="x").status_code == 404


def test_the_api_changes_and_declassifies(world):
    office, document, settings = world
    c = office.client()
    token = c.post("/api/v1/login", json={"name": "cle", "password": password("cle")}).json()["token"]
    headers = {"authorization": f"Bearer {token}"}
    r = c.post(f"/api/v1/documents/{document}/change", headers=headers,
               json={"scope": "本单位全体", "approver": "aut", "justification": "范围扩大"})
    assert r.status_code == 200, r.text
    assert r.json()["new"]["scope"] == "本单位全体" and r.json()["approver"] == "aut"
    r = c.post(f"/api/v1/documents/{document}/declassify", headers=headers,
               json={"approver": {"name": "aut"}, "justification": "x"})
    assert r.status_code == 400 and not history(settings, document).declassified


def test_the_page_reads_in_chinese(world):
    office, document, _ = world
    page = office.client("cle", lang="zh-CN,zh;q=0.9").get(f"/register/documents/{document}").text
    assert "变更密级、期限或知悉范围" in page and "审批人（定密责任人）" in page and "解密" in page
    assert not re.search(r">(Declassify|Justification|Approver)", page)
