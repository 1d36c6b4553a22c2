"""Views of secret material are in the signed log: who read a draft's findings, a register
copy's details or a trace verdict (its report or picture), one event a view, naming what was
viewed and nothing of its content."""

from __future__ import annotations

import json
import re

import pytest
from test_web_helpers import csrf, issued_office

from mijian.pipeline import service
from mijian.pipeline.service.events import recent_events


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    office, draft_id, _page = issued_office(tmp_path_factory.mktemp("web-views"))
    settings = service.Settings(home=office.home)
    return office, draft_id, settings


def views(settings, action):
    return [e for e in recent_events(500, settings=settings) if e["action"] == action]


def test_each_view_of_a_copy_is_one_event(world):
    office, _draft_id, settings = world
    copy = service.list_copies(settings=settings)[0]
    before = len(views(settings, "web.view_copy"))
    sec = office.client("sec")
    for _ in range(2):
        assert sec.get(f"/register/copies/{copy.copy_id}").status_code == 200
    made = views(settings, "web.view_copy")
    assert len(made) == before + 2
    event = made[0]
    assert event["actor"] == "sec" and event["copy_id"] == copy.copy_id
    assert event["detail"] == {"serial": copy.serial}  # nothing of the recipient or history
    assert office.client("dra").get(f"/register/copies/{copy.copy_id}").status_code == 403
    assert len(views(settings, "web.view_copy")) == before + 2  # a refused view is no view


def test_a_view_of_a_drafts_findings_is_an_event_without_them(world):
    office, draft_id, settings = world
    before = len(views(settings, "web.view_draft"))
    page = office.client("aut").get(f"/drafts/{draft_id}").text
    assert 'id="findings"' in page
    made = views(settings, "web.view_draft")
    assert len(made) == before + 1 and made[0]["actor"] == "aut"
    assert set(made[0]["detail"]) == {"draft", "findings"} and made[0]["detail"]["draft"] == draft_id
    # a recipient's page shows no findings: nothing to record
    assert 'id="findings"' not in office.client("adm").get(f"/drafts/{draft_id}").text
    assert len(views(settings, "web.view_draft")) == before + 1


def test_a_view_of_a_trace_verdict_is_an_event_without_the_token_or_the_leak(world):
    office, _draft_id, settings = world
    sec = office.client("sec")
    secret = "这是一段泄露的文字，用来追查来源。" * 3
    shown = sec.post("/trace", data={"csrf": csrf(sec, "/trace"), "text": secret})
    assert shown.status_code == 200
    token = re.search(r"/trace/reports/([^/\"]+)/", shown.text).group(1)
    before = len(views(settings, "web.view_trace"))
    assert sec.get(f"/trace/reports/{token}/report.pdf").status_code == 200
    made = views(settings, "web.view_trace")
    assert len(made) == before + 1 and made[0]["actor"] == "sec" and made[0]["detail"]["view"] == "report"
    text = json.dumps(made[0], ensure_ascii=False)
    assert token not in text and secret[:10] not in text
    assert office.client("cle").get(f"/trace/reports/{token}/report.pdf").status_code == 404
    assert len(views(settings, "web.view_trace")) == before + 1
