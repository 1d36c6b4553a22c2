"""The office's address book: the people and units the Issue page picks recipients from.

Kept in ``web.sqlite`` beside the accounts (see :mod:`mijian.pipeline.web.users`), one row an
entry. A *person* is one recipient of the recipients file the command line reads
(``id,name,unit,email,public_key``): the id is the recipient id the register records, the unit
is a unit of the book (its name is the copy's ``recipient_unit``), and the certificate is the
PEM X.509 certificate whose key the copy is enveloped for (``public_key``: the copy becomes a
CMS ``.p7m`` that only the holder of that key opens). A *unit* is a name and its members;
issuing to a unit issues one copy to each of its members, never to the unit itself.

Nothing here encrypts or parses a certificate itself: an entry is checked by writing it as a
one-row recipients file and reading it with :func:`pipeline.recipients.parse_recipients` (the
rules and messages of ``mijian issue --recipients``), and a certificate's subject is read by
:func:`pipeline.crypto.certificate_subject`, the one module that imports ``cryptography``.

An account that has no entry still counts as a person (its name as id and name, no unit, no
certificate), so an office that has not filled the book issues to its accounts as before.
When a person's id is an account's name, that account sees the draft and fetches its copy.
"""

from __future__ import annotations

import csv
import hashlib
import io
import sqlite3
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from mijian.pipeline.errors import UsageError
from mijian.pipeline.web.users import _WRITING, check_name
from mijian.pipeline.model import Recipient

PERSON, UNIT = "person", "unit"
KINDS = (PERSON, UNIT)
SOURCE = Path("address book (通讯录)")
"""How an entry is named in the recipients-file messages that check it."""
MAX_CERTIFICATE = 16384
"""Longest certificate text accepted, in characters: an RSA-4096 certificate in PEM is under
3,000; anything far longer is a bundle, a key or garbage, and is stored, rendered and written
into every recipients file of an issue."""
_PEM_BLOCK = "-----BEGIN "

_SCHEMA = """
CREATE TABLE IF NOT EXISTS address_book (id TEXT PRIMARY KEY, kind TEXT NOT NULL, name TEXT NOT NULL,
    unit TEXT NOT NULL DEFAULT '', email TEXT NOT NULL DEFAULT '', certificate TEXT NOT NULL DEFAULT '');
"""


@dataclass(frozen=True)
class Entry:
    """One person or unit of the book; ``unit`` is the id of a person's unit (or "")."""

    id: str
    kind: str
    name: str
    unit: str = ""
    email: str = ""
    certificate: str = ""


@dataclass(frozen=True)
class Book:
    """The whole book as the pages show it: units with their members, and the people of
    no unit (accounts without an entry among them, marked by ``account_only``)."""

    units: tuple[tuple[Entry, tuple[Entry, ...]], ...]
    loose: tuple[Entry, ...]
    account_only: frozenset[str]
    subjects: dict

    def person_ids(self) -> tuple[str, ...]:
        """Every person's id, in the order shown."""
        return tuple(p.id for _u, members in self.units for p in members) + tuple(p.id for p in self.loose)


def ensure(conn: sqlite3.Connection) -> None:
    """Create the book's table when the store lacks it (called once by the app factory)."""
    conn.executescript(_SCHEMA)


def _row(row: sqlite3.Row) -> Entry:
    return Entry(row["id"], row["kind"], row["name"], row["unit"], row["email"], row["certificate"])


def get(conn: sqlite3.Connection, entry_id: str) -> Entry | None:
    """The entry ``entry_id``, or None."""
    row = conn.execute("SELECT * FROM address_book WHERE id = ?", (entry_id,)).fetchone()
    return _row(row) if row else None


def entries(conn: sqlite3.Connection) -> tuple[Entry, ...]:
    """Every entry, units first, then by name and id."""
    return tuple(_row(r) for r in conn.execute(
        "SELECT * FROM address_book ORDER BY kind = 'person', name, id"))


def check(conn: sqlite3.Connection, entry: Entry) -> Entry:
    """``entry`` cleaned and checked (one-line :class:`UsageError` or the recipients file's
    :class:`InputError`): a known kind, a person's unit among the book's units, no certificate
    on a unit, and a person that the recipients file would accept as it is."""
    from mijian.pipeline.recipients import parse_recipients

    fields = {k: (getattr(entry, k) or "").strip() for k in ("id", "name", "unit", "email")}
    pem = (entry.certificate or "").strip()
    if entry.kind not in KINDS:
        raise UsageError(f"kind '{entry.kind}' is not person or unit; choose one (条目类型无效)")
    if entry.kind == UNIT and (fields["unit"] or pem or fields["email"]):
        raise UsageError("a unit has no unit, e-mail or certificate of its own: its members receive "
                         "the copies; give them to its members (单位本身不接收副本)")
    if fields["unit"]:
        unit = get(conn, fields["unit"])
        if unit is None or unit.kind != UNIT:
            raise UsageError(f"unit '{fields['unit']}' is not a unit of the address book; add the unit "
                             "first (通讯录中没有该单位)")
    pem = _inline_certificate(pem)
    unit_name = get(conn, fields["unit"]).name if fields["unit"] else ""  # type: ignore[union-attr]
    parse_recipients(recipients_csv([Recipient(fields["id"], fields["name"], unit_name, fields["email"], pem)]), SOURCE)
    return Entry(fields["id"], entry.kind, fields["name"], fields["unit"], fields["email"], pem)


def _inline_certificate(text: str | None) -> str:
    """The certificate as stored: one inline PEM certificate and nothing else, or "".

    The recipients file reads a ``public_key`` without ``-----BEGIN`` as the path of a file
    beside it; from the book that would be a path on the server (read at every issue, its
    existence told by the message, and the book page broken for everyone by a stored path
    that is no certificate). A private key pasted along with the certificate would be kept
    in the accounts store and copied into every recipients file; a bundle of several
    certificates shows one subject while meaning others."""
    pem = (text or "").strip()
    if not pem:
        return ""
    if len(pem) > MAX_CERTIFICATE:
        raise UsageError(f"the certificate is {len(pem)} characters long; expected one PEM certificate "
                         f"of at most {MAX_CERTIFICATE}; paste only the recipient's certificate (证书过长)")
    blocks = pem.count(_PEM_BLOCK)
    if "PRIVATE KEY" in pem:
        raise UsageError("the certificate text holds a PRIVATE KEY; never paste a key here: paste only the "
                         "recipient's certificate, and have the key replaced (证书中含有私钥，请勿粘贴私钥)")
    if not pem.startswith("-----BEGIN CERTIFICATE-----") or blocks != 1:
        raise UsageError("the certificate is not one PEM certificate (-----BEGIN CERTIFICATE-----); paste "
                         "the text of the recipient's certificate, not a file name or a bundle (证书格式无效)")
    return pem


def _folded(name: str) -> str:
    return unicodedata.normalize("NFKC", name).casefold()


def _refuse_lookalike(conn: sqlite3.Connection, entry_id: str) -> None:
    """Refuse an id that reads as another entry's or account's (``ＤＲＡ``, ``Dra`` beside
    ``dra``): in a list of recipients the two look the same, and a copy ticked for one would
    be fingerprinted for a recipient id no account opens."""
    taken = [r[0] for r in conn.execute("SELECT id FROM address_book UNION SELECT name FROM users")]
    other = next((t for t in taken if t != entry_id and _folded(t) == _folded(entry_id)), None)
    if other is not None:
        raise UsageError(f"id '{entry_id}' reads as '{other}', which is already in the address book or an "
                         "account; use that one or choose a clearly different id (编号与已有编号易混淆)")


def fingerprint(pem: str) -> str:
    """A short SHA-256 of the certificate text, for the signed log: a certificate replaced by
    another (copies then enveloped for someone else's key) shows as a new value."""
    return hashlib.sha256(pem.encode()).hexdigest()[:16] if pem else ""


def save(conn: sqlite3.Connection, entry: Entry) -> Entry:
    """Add ``entry`` or replace the one with its id (checked first; nothing is written when
    refused). A unit's id may not be a person's, and the other way round."""
    check_name(entry.id)  # a recipient id is a possible account name: the same rules
    made = check(conn, entry)
    _refuse_lookalike(conn, made.id)
    old = get(conn, made.id)
    if old is not None and old.kind != made.kind:
        raise UsageError(f"'{made.id}' is already a {old.kind} of the address book; choose another id "
                         "(通讯录中已有此编号)")
    with _WRITING, conn:
        # the kind is checked again by the statement itself: a unit made by another writer
        # since the check above is not given a person's unit, e-mail and certificate
        cur = conn.execute("INSERT INTO address_book VALUES (?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET "
                           "name = excluded.name, unit = excluded.unit, email = excluded.email, "
                           "certificate = excluded.certificate WHERE kind = excluded.kind",
                           (made.id, made.kind, made.name, made.unit, made.email, made.certificate))
        if cur.rowcount != 1:
            raise UsageError(f"'{made.id}' is already another kind of entry of the address book; choose "
                             "another id (通讯录中已有此编号)")
    return made


def remove(conn: sqlite3.Connection, entry_id: str) -> Entry:
    """Remove an entry; a unit only once it has no members (copies already issued keep the
    names the register recorded)."""
    entry = get(conn, entry_id)
    if entry is None:
        raise UsageError(f"'{entry_id}' is not in the address book (通讯录中没有此条目)")
    members = conn.execute("SELECT count(*) FROM address_book WHERE unit = ?", (entry_id,)).fetchone()[0]
    if members:
        raise UsageError(f"unit '{entry_id}' still has {members} member(s); move or remove them first "
                         "(单位下仍有成员)")
    with _WRITING, conn:
        conn.execute("DELETE FROM address_book WHERE id = ?", (entry_id,))
    return entry


def book(conn: sqlite3.Connection, accounts: tuple[str, ...]) -> Book:
    """The book with the accounts that have no entry added as people of no unit."""
    from mijian.pipeline.crypto import certificate_subject

    listed = entries(conn)
    units = [e for e in listed if e.kind == UNIT]
    people = [e for e in listed if e.kind == PERSON]
    known = {e.id for e in listed}
    extra = tuple(Entry(name, PERSON, name) for name in accounts if name not in known)
    grouped = tuple((u, tuple(p for p in people if p.unit == u.id)) for u in units)
    subjects = {p.id: _subject(certificate_subject, p) for p in people if p.certificate}
    return Book(grouped, tuple(p for p in people if not p.unit) + extra, frozenset(e.id for e in extra), subjects)


def _subject(read: object, person: Entry) -> str:
    """The subject of a person's certificate as shown: hidden characters (a right-to-left
    override in a common name turns ``abc\u202egpj.exe`` into ``abcexe.jpg``) spelt out as
    ``<U+202E>``, and an entry stored before the checks above that is no certificate shown as
    such instead of failing the whole page."""
    from mijian.pipeline.errors import MijianError

    try:
        subject = read(person.certificate.encode(), person.id)  # type: ignore[operator]
    except MijianError:
        return "(not a certificate 非证书)"
    return "".join(f"<U+{ord(c):04X}>" if unicodedata.category(c) in ("Cc", "Cf", "Cs", "Zl", "Zp") else c
                   for c in subject)


def expand(conn: sqlite3.Connection, chosen: list[str], accounts: tuple[str, ...]) -> tuple[list[Recipient], dict]:
    """The recipients of what was chosen, in order and each once: a person as entered, a unit
    as its members, an account without an entry as itself. Also the units chosen and the
    members each gave, for the log. :class:`UsageError` for an unknown id or an empty unit."""
    out: dict[str, Recipient] = {}
    units: dict[str, list[str]] = {}
    for entry_id in dict.fromkeys(c for c in chosen if c):
        entry = get(conn, entry_id)
        if entry is None and entry_id in accounts:
            out.setdefault(entry_id, Recipient(entry_id, entry_id))
            continue
        if entry is None:
            raise UsageError(f"'{entry_id}' is neither in the address book nor an account; choose "
                             "recipients from the list (收件人不在通讯录中)")
        members = _members(conn, entry) if entry.kind == UNIT else [entry]
        if not members:
            raise UsageError(f"unit '{entry.name}' has no members; add its members to the address book "
                             "first (该单位没有成员)")
        if entry.kind == UNIT:
            units[entry.id] = [m.id for m in members]
        for member in members:
            out.setdefault(member.id, _recipient(conn, member))
    if not out:
        raise UsageError("no recipients were chosen; tick at least one person or unit (请选择收件人)")
    return list(out.values()), units


def _members(conn: sqlite3.Connection, unit: Entry) -> list[Entry]:
    return [_row(r) for r in conn.execute(
        "SELECT * FROM address_book WHERE unit = ? AND kind = 'person' ORDER BY name, id", (unit.id,))]


def _recipient(conn: sqlite3.Connection, person: Entry) -> Recipient:
    unit = get(conn, person.unit) if person.unit else None
    return Recipient(person.id, person.name, unit.name if unit else "", person.email, person.certificate)


def recipients_csv(people: list[Recipient]) -> str:
    """The recipients file of ``people`` (``id,name,unit,email,public_key``), certificates
    inline: what the issuing run reads, and what an entry is checked as."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["id", "name", "unit", "email", "public_key"])
    for p in people:
        writer.writerow([p.id, p.name, p.unit, p.email, p.public_key])
    return buffer.getvalue()
