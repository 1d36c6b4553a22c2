"""The web app in a real headless Chromium (Playwright), in Chinese and in English: log in,
upload a draft, see its findings, decide, issue to three people (the progress polled by the
vendored htmx), download a copy, sign for and return it, trace a page image of it. Each
step leaves a screenshot in the test's tmp folder.

Skipped only when Chromium is not installed at /usr/bin/chromium (``apt-get install
chromium``); ``playwright install`` is never needed."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest
from test_web_helpers import ROOT, build_office, password

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Chromium is not installed at /usr/bin/chromium "
                                                               "(apt-get install chromium)")
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    import uvicorn

    office = build_office(tmp_path_factory.mktemp("web-browser"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(office.app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 300  # a backstop only: a busy machine starts it slowly
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the web server did not start"
    yield office, f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def browser():
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


def log_in(page, base, name):
    page.goto(f"{base}/login")
    page.fill("#name", name)
    page.fill("#password", password(name))
    page.click("#login")
    page.wait_for_selector("#logout")


def log_out(page):
    page.click("#logout")
    page.wait_for_selector("#login")


def draft_and_decide(page, base, sample, shots, words):
    """The drafter uploads, sees the findings (the page in the browser's language); the
    authority decides. Returns the draft url."""
    log_in(page, base, "dra")
    page.set_input_files("#file", str(sample))
    page.click("#upload")
    page.wait_for_selector("#findings")
    assert page.locator("#text mark").count() >= 1
    assert words in page.content()
    page.screenshot(path=str(shots / "1-draft.png"), full_page=True)
    url = page.url
    log_out(page)
    log_in(page, base, "aut")
    page.goto(url)
    page.click("#decide")
    page.wait_for_selector("#decision")
    page.screenshot(path=str(shots / "2-decided.png"), full_page=True)
    log_out(page)
    return url


def issue_three(page, base, draft_url, shots):
    """The clerk issues to three people and downloads the copy of dra; returns (file, password)."""
    log_in(page, base, "cle")
    page.goto(draft_url.replace("/drafts/", "/issue/"))
    for name in ("dra", "sec", "adm"):
        page.check(f"input[name=recipient][value={name}]")
    page.click("#start-issue")
    page.wait_for_selector("#finished", timeout=300_000)  # htmx polls the run's progress
    assert page.locator("#error").count() == 0
    page.screenshot(path=str(shots / "3-issued.png"), full_page=True)
    row = page.locator("#passwords tr", has_text="dra")
    secret = row.locator("code.pw").inner_text()
    serial = row.locator("td.serial").inner_text()
    with page.expect_download() as info:
        page.locator("#copies tr", has_text=serial).locator("a.download").click()
    saved = shots / "copy.pdf"
    info.value.save_as(saved)
    return saved, secret, serial


def sign_and_return(page, base, serial, shots, chinese):
    """Sign for the copy and return it; its status shows in the page's language."""
    from mijian.pipeline.lifecycle import STATUS_ZH
    from mijian.pipeline.register_records import CopyStatus

    def shown(status):
        return STATUS_ZH[status] if chinese else status.value

    page.goto(f"{base}/register?q=dra")
    page.locator("#register tr", has_text=serial).first.locator("a").click()
    page.click("#sign")
    page.wait_for_selector(f"#status:text('{shown(CopyStatus.SIGNED)}')")
    page.click("#return")
    page.wait_for_selector(f"#status:text('{shown(CopyStatus.RETURNED)}')")
    page.screenshot(path=str(shots / "4-returned.png"), full_page=True)


def trace_image(page, copy, secret, shots):
    import pymupdf

    doc = pymupdf.open(copy)
    assert doc.authenticate(secret)
    image = shots / "leak.png"
    doc[0].get_pixmap(dpi=150).save(image)
    page.click("nav a[href='/trace']")
    page.set_input_files("#leak", str(image))
    page.click("#trace")
    page.wait_for_selector("#verdict")
    page.screenshot(path=str(shots / "5-traced.png"), full_page=True)
    return page.locator("#traced").inner_text()


@pytest.mark.parametrize(("locale", "sample", "words"), [
    ("zh-CN", ROOT / "samples" / "zh_notice_secret.pdf", "建议密级"),
    ("en-GB", ROOT / "samples" / "en_report_confidential.pdf", "Suggested grade"),
])
def test_the_office_day_in_a_browser(server, browser, tmp_path, locale, sample, words):
    _office, base = server
    context = browser.new_context(locale=locale, accept_downloads=True)
    context.set_default_timeout(300_000)  # a backstop: on a busy machine pages come slowly
    page = context.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        url = draft_and_decide(page, base, sample, tmp_path, words)
        copy, secret, serial = issue_three(page, base, url, tmp_path)
        sign_and_return(page, base, serial, tmp_path, locale.startswith("zh"))
        traced = trace_image(page, copy, secret, tmp_path)
        assert "(dra)" in traced and serial in traced
    finally:
        context.close()
    assert not [e for e in errors if "Content Security Policy" in e], errors
