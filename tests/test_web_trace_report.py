"""The Trace page's printable report and its picture of where the marks were read: made from
a trace kept for the person who ran it, reachable by the tracing roles only, no file named
by the request."""

from __future__ import annotations

import hashlib
import io
import re

import pymupdf
import pytest
from PIL import Image
from test_web_helpers import csrf, issued_office

from mijian.pipeline.web.trace_report import COLOURS


@pytest.fixture(scope="module")
def traced(tmp_path_factory):
    """An issued office, a 150 dpi page image of dra's copy, and the Trace page of it as sec."""
    office, draft_id, page = issued_office(tmp_path_factory.mktemp("web-trace-report"))
    pairs = re.findall(r"<td[^>]*>(\d+)</td><td[^>]*>(\w+)</td><td[^>]*><code class=\"pw\">([^<]+)</code>", page)
    serial, _recipient, secret = next(p for p in pairs if p[1] == "dra")
    doc = pymupdf.open(stream=office.client("cle").get(f"/issue/{draft_id}/copies/{serial}").content,
                       filetype="pdf")
    assert doc.authenticate(secret)
    png = doc[0].get_pixmap(dpi=150).tobytes("png")
    sec = office.client("sec")
    shown = sec.post("/trace", data={"csrf": csrf(sec, "/trace")}, files={"file": ("page.png", png)})
    assert shown.status_code == 200
    token = re.search(r'href="/trace/reports/([^/"]+)/report.pdf"', shown.text).group(1)
    return office, sec, shown.text, token, png


def test_the_report_opens_and_states_verdict_hash_time_and_who_asked(traced):
    _office, sec, page, token, png = traced
    verdict = re.search(r'<span id="verdict">(\w+)</span>', page).group(1)
    r = sec.get(f"/trace/reports/{token}/report.pdf")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert "attachment" in r.headers["content-disposition"]
    with pymupdf.open(stream=r.content, filetype="pdf") as doc:
        text = "".join(p.get_text() for p in doc)
    assert f"Verdict 结论: {verdict}" in text
    assert hashlib.sha256(png).hexdigest() in text
    assert "Asked by 追查人: sec" in text and "page-fingerprint" in text and "(dra)" in text
    assert re.search(r"Traced at 追查时间: 20\d\d-\d\d-\d\dT", text)


def test_the_picture_is_a_png_with_the_regions_read_drawn(traced):
    _office, sec, page, token, _png = traced
    assert f'<img id="where" src="/trace/reports/{token}/where.png"' in page
    r = sec.get(f"/trace/reports/{token}/where.png")
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    picture = Image.open(io.BytesIO(r.content))
    assert picture.format == "PNG" and max(picture.size) <= 900
    drawn = re.search(r"Drawn: ([^·<]+)", page).group(1)
    assert "page-fingerprint" in drawn
    colours = {c for _n, c in picture.convert("RGB").getcolors(1 << 20)}
    assert COLOURS["page-fingerprint"] in colours  # a box was drawn, not the page alone


@pytest.mark.parametrize("name, status", [("dra", 403), ("aut", 403), ("adm", 403), (None, 303),
                                          ("cle", 404)])
def test_only_the_person_who_traced_gets_report_and_picture(traced, name, status):
    office, _sec, _page, token, _png = traced
    client = office.client(name)
    for tail in ("report.pdf", "where.png"):
        r = client.get(f"/trace/reports/{token}/{tail}", follow_redirects=False)
        assert r.status_code == status  # nobody logged in: sent to the login page
        assert status != 303 or r.headers["location"] == "/login"


def test_unknown_tokens_and_paths_name_no_file(traced):
    _office, sec, _page, _token, _png = traced
    for url in ("/trace/reports/nope/report.pdf", "/trace/reports/..%2F..%2Fweb.sqlite/where.png",
                "/trace/reports/../../etc/passwd/report.pdf"):
        assert sec.get(url).status_code == 404


def test_a_pasted_text_has_a_report_but_no_picture(traced):
    office, _sec, _page, _token, _png = traced
    cle = office.client("cle")
    shown = cle.post("/trace", data={"csrf": csrf(cle, "/trace"), "text": "nothing marked here at all"})
    assert shown.status_code == 200 and 'id="where"' not in shown.text
    token = re.search(r'href="/trace/reports/([^/"]+)/report.pdf"', shown.text).group(1)
    with pymupdf.open(stream=cle.get(f"/trace/reports/{token}/report.pdf").content, filetype="pdf") as doc:
        assert "Verdict 结论: inconclusive" in doc[0].get_text()
    assert cle.get(f"/trace/reports/{token}/where.png").status_code == 404
