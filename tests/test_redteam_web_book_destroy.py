"""Attacks on the address book (``/book``) and on two-person destruction
(``/register/destructions``) by a hostile insider and by careless users, each kept as a test:
of the fix that stops it, or of the refusal that already did (see also
tests/test_web_book.py and tests/test_web_destroy.py for the refusals they were built with)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from test_web_book import identity
from test_web_destroy import ask, decide, status
from test_web_helpers import build_office, csrf, issued_office, log_in, password

from mijian.pipeline import service
from mijian.pipeline.errors import UsageError
from mijian.pipeline.service.events import recent_events
from mijian.pipeline.web import address_book, destructions


@pytest.fixture(scope="module")
def book_office(tmp_path_factory):
    made = build_office(tmp_path_factory.mktemp("web-book-redteam"))
    made.cert, made.key = identity("Wang Fang")  # type: ignore[attr-defined]
    return made


def lenient(office, name: str) -> TestClient:
    """A client of ``name`` that answers a server error with its 500 response, as a browser sees it."""
    c = TestClient(office.app, raise_server_exceptions=False, headers={"accept-language": "en"})
    assert log_in(c, name, password(name)).status_code == 303
    return c


def save(client, **fields):
    return client.post("/book", data={"csrf": csrf(client, "/book"), **fields}, follow_redirects=False)


def test_a_certificate_field_naming_a_server_file_is_refused(book_office, tmp_path):
    """The recipients file reads a public_key without -----BEGIN as a file beside it. From the
    book a clerk typed the path of a file on the server: a certificate there was accepted and
    read again at every issue, a missing file was told apart from a present one (an oracle of
    the server's disk), and the stored path then failed the whole book page for everyone."""
    c = book_office.client("cle")
    on_disk = tmp_path / "someone.pem"
    on_disk.write_text(book_office.cert)
    for path in (str(on_disk), "/etc/passwd", "../../home/web.sqlite"):
        r = save(c, kind="person", id="pathy", name="Pathy", certificate=path)
        assert r.status_code == 400 and "not one PEM certificate" in r.text, path
    assert address_book.get(book_office.app.state.accounts, "pathy") is None
    assert c.get("/book").status_code == 200


def test_a_private_key_pasted_with_the_certificate_is_refused(book_office):
    """A careless clerk pasted the recipient's whole PEM file, key included: it was stored in
    the accounts store, shown in the edit form and written into every recipients file."""
    c = book_office.client("cle")
    r = save(c, kind="person", id="keyed", name="Keyed", certificate=book_office.cert + book_office.key.decode())
    assert r.status_code == 400 and "PRIVATE KEY" in r.text
    assert address_book.get(book_office.app.state.accounts, "keyed") is None
    assert "PRIVATE KEY" not in c.get("/book").text


def test_a_bundle_or_a_huge_certificate_is_refused_not_a_server_error(book_office):
    """Two certificates showed one subject while the envelope library may take either; a
    certificate followed by half a megabyte of text crashed the check with a bare 500 (the
    CSV reader's field limit)."""
    c = lenient(book_office, "cle")
    other, _ = identity("Someone Else")
    r = save(c, kind="person", id="bundle", name="Bundle", certificate=book_office.cert + other)
    assert r.status_code == 400 and "not one PEM certificate" in r.text
    r = save(c, kind="person", id="huge", name="Huge", certificate=book_office.cert + "A" * 500_000)
    assert r.status_code == 400 and "characters long" in r.text
    assert c.get("/book").status_code == 200


@pytest.mark.parametrize("lookalike", ["ＤＲＡ", "Dra", "u-ONE"])
def test_an_id_that_reads_as_another_is_refused(book_office, lookalike):
    """``ＤＲＡ`` (full width) or ``Dra`` beside the account ``dra``, or ``u-ONE`` beside the unit
    ``U-one``: the clerk who ticks the one that looks right issues a copy fingerprinted for a
    recipient id that no account opens and that the register shows as the other person."""
    c = book_office.client("cle")
    assert save(c, kind="unit", id="U-one", name="Unit one").status_code == 303
    r = save(c, kind="person", id=lookalike, name="Look Alike")
    assert r.status_code == 400 and "reads as" in r.text
    assert address_book.get(book_office.app.state.accounts, lookalike) is None
    assert save(c, kind="unit", id="U-one", name="Unit one, renamed").status_code == 303  # itself: fine


def test_a_stored_entry_that_is_no_certificate_does_not_break_the_book(book_office):
    """An entry written before the checks (or by hand) whose certificate is no certificate
    failed the page of the whole book with 400 for every clerk and admin."""
    conn = book_office.app.state.accounts
    with conn:
        conn.execute("INSERT INTO address_book VALUES ('legacy','person','Legacy','','','/etc/ssl/x.pem')")
    try:
        r = book_office.client("adm").get("/book")
        assert r.status_code == 200 and "not a certificate" in r.text
    finally:
        with conn:
            conn.execute("DELETE FROM address_book WHERE id = 'legacy'")


def test_a_hidden_character_in_a_certificate_subject_is_spelt_out(book_office):
    """A certificate whose common name holds a right-to-left override read on the book page
    as another name (``abc\\u202egpj.exe`` shows as ``abcexe.jpg``)."""
    c = book_office.client("cle")
    cert, _ = identity("abc\u202egpj.exe")
    assert save(c, kind="person", id="bidi", name="Bidi", certificate=cert).status_code == 303
    page = c.get("/book").text
    assert "\u202e" not in page and "&lt;U+202E&gt;" in page


def test_a_replaced_certificate_shows_in_the_signed_log(book_office):
    """An insider clerk swapped a person's certificate for their own, so that the next copies
    for that person open with the clerk's key: the log said only "certificate: true" both
    times. It now names the certificate, so the swap is visible."""
    c = book_office.client("cle")
    mine, _ = identity("Mallory")
    assert save(c, kind="person", id="swap", name="Swap", certificate=book_office.cert).status_code == 303
    assert save(c, kind="person", id="swap", name="Swap", certificate=mine).status_code == 303
    settings = service.Settings(home=book_office.home)
    seen = [e["detail"].get("certificate_sha256") for e in recent_events(50, settings=settings)
            if e["action"] == "web.book" and e["detail"].get("saved") == "swap"]
    assert len(seen) == 2 and all(seen) and seen[0] != seen[1]
    assert book_office.cert not in str(seen)


@pytest.mark.parametrize(("field", "value"), [("name", "Eve\u202egnp.exe"), ("name", "two\nlines"),
                                              ("id", "../../etc"), ("id", "a\u200bb"), ("email", "x\r\ny")])
def test_hidden_characters_and_paths_in_entries_were_already_refused(book_office, field, value):
    c = book_office.client("cle")
    fields = {"kind": "person", "id": "plain", "name": "Plain", field: value}
    assert save(c, **fields).status_code == 400
    assert c.get("/book/..%2F..%2Fetc%2Fpasswd").status_code == 404


@pytest.fixture(scope="module")
def issued(tmp_path_factory):
    office, _draft_id, _page = issued_office(tmp_path_factory.mktemp("web-destroy-redteam"))
    settings = service.Settings(home=office.home)
    copies = {c.recipient_id: c.copy_id for c in service.list_copies(settings=settings)}
    return office, copies, settings


def pending(office) -> list[str]:
    return [r.id for r in destructions.listing(office.app.state.accounts) if r.state == destructions.PENDING]


@pytest.mark.parametrize("witness", ["sec\u200b", "s\u202eces", "王\n监销", "x" * 101])
def test_a_witness_with_hidden_characters_or_too_long_is_refused(issued, witness):
    """A witness typed as ``sec`` with a zero-width space was not the account ``sec`` to the
    comparison, so that officer approved a destruction they were the witness of; overrides and
    line breaks changed how the name reads in the log; the length had no bound."""
    office, copies, settings = issued
    r = ask(office.client("cle"), copies["dra"], witness=witness)
    assert r.status_code == 400
    assert not pending(office) and status(settings, copies["dra"]) == "issued"


def test_a_full_width_or_upper_case_witness_is_not_taken_for_the_approver(issued):
    """``ｓｅｃ`` as witness, then sec approved: one person as witness and approver. The
    witness is now an account chosen by its exact name, so such a spelling is no witness."""
    office, copies, settings = issued
    for witness in ("ｓｅｃ", "SEC"):
        assert ask(office.client("cle"), copies["dra"], witness=witness).status_code == 400
        assert not pending(office) and status(settings, copies["dra"]) == "issued"
    assert ask(office.client("cle"), copies["dra"], witness="sec").status_code == 303
    [asked] = pending(office)
    assert decide(office.client("sec"), asked).status_code == 403 and status(settings, copies["dra"]) == "issued"
    assert decide(office.client("aut"), asked, "refuse", note="witness is the approver").status_code == 303


def test_a_method_or_refusal_note_with_hidden_characters_is_refused(issued):
    office, copies, _ = issued
    assert ask(office.client("cle"), copies["dra"], method="粉碎\u202e").status_code == 400
    assert ask(office.client("cle"), copies["dra"]).status_code == 303
    [asked] = pending(office)
    assert decide(office.client("aut"), asked, "refuse", note="no\nreason").status_code == 400
    assert decide(office.client("aut"), asked, "refuse", note="ok").status_code == 303


def api(office, name: str) -> dict:
    token = office.client().post("/api/v1/login", json={"name": name, "password": password(name)}).json()["token"]
    return {"authorization": f"Bearer {token}"}


def test_a_refusal_note_sent_as_a_json_object_is_refused(issued):
    """The API wrote ``str(note)`` of a JSON object or list into the signed log."""
    office, copies, settings = issued
    assert ask(office.client("cle"), copies["dra"]).status_code == 303
    [asked] = pending(office)
    c = office.client()
    r = c.post(f"/api/v1/destructions/{asked}/refuse", json={"note": {"x": [1, 2]}}, headers=api(office, "aut"))
    assert r.status_code == 400 and pending(office) == [asked]
    events = recent_events(20, settings=settings)
    assert not any("{'x'" in str(e["detail"]) for e in events)
    r = c.post(f"/api/v1/destructions/{asked}/refuse", json={"note": "not now"}, headers=api(office, "aut"))
    assert r.status_code == 200


def test_the_store_holds_one_pending_request_a_copy(issued, monkeypatch):
    """Two app processes on one store both passed the check of create() before either wrote:
    two pending requests for one copy, whose two approvals tried to destroy it twice."""
    office, copies, settings = issued
    conn = office.app.state.accounts
    record = service.show_copy(copies["adm"], settings=settings).copy
    monkeypatch.setattr(destructions, "pending_for", lambda *_: None)  # the other process's view
    first = destructions.create(conn, record, "cle", "dra2", None)
    with pytest.raises(UsageError, match="awaiting approval"):
        destructions.create(conn, record, "sec", "aut", None)
    assert pending(office) == [first.id]
    destructions.decide(conn, first.id, destructions.REFUSED, "aut")


def test_the_requester_cannot_approve_under_another_name_or_role(issued):
    """Held already: the approver is the logged-in account, never a field of the body; a clerk
    has no approving role; the requester who also is a security officer cannot approve."""
    office, copies, settings = issued
    assert ask(office.client("sec"), copies["dra"], witness="dra2").status_code == 303
    [asked] = pending(office)
    c = office.client()
    for who in ("sec", "cle"):
        r = c.post(f"/api/v1/destructions/{asked}/approve", json={"approver": "aut", "actor": "aut"},
                   headers=api(office, who))
        assert r.status_code == 403
    clerk = office.client("cle")
    assert clerk.post(f"/register/destructions/{asked}/approve", data={"csrf": csrf(clerk, "/register"),
                                                                       "approver": "aut"},
                      follow_redirects=False).status_code == 403
    assert status(settings, copies["dra"]) == "issued"
    assert decide(office.client("aut"), asked).status_code == 303
    assert status(settings, copies["dra"]) == "destroyed"
    # destroying it again: asking is refused by the register (destroyed is final)
    assert ask(office.client("cle"), copies["dra"]).status_code == 409
    assert pending(office) == []


def test_the_holder_of_a_copy_cannot_approve_its_destruction(issued):
    """The security officer who held a copy approved the request to destroy it: a copy its
    holder leaked was then recorded as destroyed on that holder's word alone."""
    office, copies, settings = issued
    assert ask(office.client("cle"), copies["sec"], witness="dra2").status_code == 303
    [asked] = pending(office)
    r = decide(office.client("sec"), asked)
    assert r.status_code == 403 and "holder" in r.text
    assert status(settings, copies["sec"]) == "issued"
    assert decide(office.client("adm"), asked).status_code == 303
    assert status(settings, copies["sec"]) == "destroyed"


def test_an_entry_made_another_kind_meanwhile_is_not_overwritten(book_office, monkeypatch):
    """Two writers on one store: the second checked the id before the first made it a unit,
    and its upsert then gave the unit a person's e-mail and certificate."""
    conn = book_office.app.state.accounts
    address_book.save(conn, address_book.Entry("U-race", "unit", "Race unit"))
    real = address_book.get
    monkeypatch.setattr(address_book, "get", lambda c, i: None if i == "U-race" else real(c, i))
    with pytest.raises(UsageError, match="another kind"):
        address_book.save(conn, address_book.Entry("U-race", "person", "Mallory", email="m@example.org",
                                                    certificate=book_office.cert))
    monkeypatch.undo()
    kept = address_book.get(conn, "U-race")
    assert kept.kind == "unit" and kept.email == "" and kept.certificate == "" and kept.name == "Race unit"
