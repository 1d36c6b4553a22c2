"""Attacks on the web app by insiders with a valid account and by careless users, each kept
as a test of the fix that stops it (see also tests/test_web_security.py)."""

from __future__ import annotations

import threading

import pytest
from test_web_helpers import build_office, password

from mijian.pipeline.web import users


def test_parallel_guesses_cannot_slip_past_the_lock_out(tmp_path, monkeypatch):
    """Guesses sent at once must each count: if every thread read the same count before
    writing it back, any number of parallel guesses would count as one."""
    from argon2 import PasswordHasher
    from argon2.exceptions import VerifyMismatchError

    office = build_office(tmp_path)
    conn = users.connect(office.home)
    together = threading.Barrier(users.MAX_FAILURES, timeout=20)
    real = PasswordHasher()

    class Slow:
        """A hasher whose wrong guesses all finish at the same moment (no timing involved)."""

        def verify(self, digest, secret):
            if secret.startswith("guess"):
                together.wait()
                raise VerifyMismatchError()
            return real.verify(digest, secret)

        def hash(self, secret):
            return real.hash(secret)

    monkeypatch.setattr(users, "_hasher", lambda: Slow())
    outcomes: list[object] = []

    def guess(n: int) -> None:
        try:
            outcomes.append(users.authenticate(conn, "sec", f"guess-{n}"))
        except users.LockedOut:
            outcomes.append("locked")

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(users.MAX_FAILURES)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("locked") == 1 and outcomes.count(None) == users.MAX_FAILURES - 1
    with pytest.raises(users.LockedOut):
        users.authenticate(conn, "sec", password("sec"))


def test_an_api_token_ends_with_its_logout(tmp_path):
    """A bearer token had no way to be ended before its hours ran out."""
    office = build_office(tmp_path)
    c = office.client()
    token = c.post("/api/v1/login", json={"name": "sec", "password": password("sec")}).json()["token"]
    auth = {"authorization": f"Bearer {token}"}
    assert c.get("/api/v1/events", headers=auth).status_code == 200
    assert c.post("/api/v1/logout", headers=auth).status_code == 200
    assert c.get("/api/v1/events", headers=auth).status_code == 401
    assert c.post("/api/v1/logout", headers=auth).status_code == 401


@pytest.mark.parametrize("host, tls, warned", [
    ("0.0.0.0", False, True), ("192.168.1.5", False, True), ("::", False, True),
    ("office-server", False, True), ("0.0.0.0", True, False), ("127.0.0.1", False, False),
    ("::1", False, False), ("[::1]", False, False), ("localhost", False, False)])
def test_serving_the_network_without_tls_is_warned_of(host, tls, warned):
    """``mijian serve --host 0.0.0.0`` without a certificate used to start silently."""
    from mijian.pipeline.cli.web import plain_http_warning

    text = plain_http_warning(host, tls)
    assert (text is not None) == warned
    if text:
        assert host in text and "--cert" in text and "TLS" in text
