"""Where an account's password came from, and the rule that keeps two-person steps two people.

An admin on the web never chooses a password. Adding an account, or resetting one, issues a
one-time temporary password made here (shown once, to be handed to the person); the account
can do nothing but change it at its next login. The account keeps who created it
(``created_by``) and who issued its current password (``issued_by``); both are None for an
account made on the server's command line, whose operator holds the office home and its keys
and so stands outside the web's roles.

Changing the temporary password does not clear ``issued_by``: whoever knew the temporary
password (the issuing admin included) could have made that change, and the register cannot
tell who typed it. The link ends only when a different person issues the account a new
password (another admin on the web, or the command line).

The rule (:func:`linked`), applied where one account asks or records and another approves
(a destruction, a change of grade, period or scope, a declassification): the two accounts
are refused as "possibly one person" when one created the other, when one issued the other's
current password, or when both current passwords were issued by the same third account. That
is what an admin needs to act under two names: create a second account, or reset someone's
password and log in as them. A security officer can accept the price: accounts issued by one
admin on the web pair with accounts from the command line or issued by someone else.
"""

from __future__ import annotations

import secrets
import sqlite3
from dataclasses import dataclass

from mijian.pipeline.errors import UsageError
from mijian.pipeline.web import users

TEMPORARY_BYTES = 12
"""Random bytes of a temporary password (16 URL-safe characters, about 96 bits)."""


@dataclass(frozen=True)
class Provenance:
    """Who created an account and who issued its current password (None: the command line),
    and whether that password is still the temporary one."""

    name: str
    created_by: str | None
    issued_by: str | None
    must_change: bool


def provenance(conn: sqlite3.Connection, name: str) -> Provenance | None:
    """The provenance of the account ``name``, or None when there is no such account."""
    row = conn.execute("SELECT name, created_by, issued_by, must_change FROM users WHERE name = ?",
                       (name,)).fetchone()
    if row is None:
        return None
    return Provenance(row["name"], row["created_by"], row["issued_by"], bool(row["must_change"]))


def issue(conn: sqlite3.Connection, name: str, role: str, by: str) -> tuple[users.User, str]:
    """Add or reset the account ``name`` with a fresh temporary password issued by ``by``:
    the user and the password (to be shown once, never stored in clear). Every session of
    the account ends (see :func:`users.add_user`)."""
    temporary = secrets.token_urlsafe(TEMPORARY_BYTES)
    return users.add_user(conn, name, role, temporary, by=by, temporary=True), temporary


def change_password(conn: sqlite3.Connection, name: str, current: str, new: str, repeated: str) -> None:
    """Replace the password of ``name`` after checking the current one (:class:`UsageError`
    with the reason otherwise); the temporary flag is lifted, the issuer kept (see the module
    notes), and every session of the account ends: the person logs in with the new one."""
    if new != repeated:
        raise UsageError("the two new passwords differ; type the same one twice (两次输入的新口令不一致)")
    if new == current:
        raise UsageError("the new password is the current one; choose another (新口令不得与原口令相同)")
    try:
        known = users.authenticate(conn, name, current)
    except users.LockedOut:
        raise UsageError("too many wrong passwords: the account is locked for a while (失败次数过多，账户已暂时锁定)") \
            from None
    if known is None:
        raise UsageError("the current password is wrong (原口令错误)")
    users.set_password(conn, name, new)


def linked(conn: sqlite3.Connection, first: str, second: str) -> str | None:
    """Why the accounts ``first`` and ``second`` may be one person (a one-line reason in
    English and Chinese), or None when nothing links them. An account that does not exist
    any more links to nothing."""
    one, two = provenance(conn, first), provenance(conn, second)
    if one is None or two is None:
        return None
    for a, b in ((one, two), (two, one)):
        if a.created_by == b.name:
            return (f"the account {a.name} was created by {b.name}: one person could hold both; another "
                    f"person must (账户 {a.name} 由 {b.name} 创建，不能构成两人)")
        if a.issued_by == b.name:
            return (f"the password of {a.name} was issued by {b.name}: one person could hold both accounts; "
                    f"another person must (账户 {a.name} 的口令由 {b.name} 设置，不能构成两人)")
    if one.issued_by is not None and one.issued_by == two.issued_by:
        return (f"the passwords of {one.name} and {two.name} were both issued by {one.issued_by}: one person "
                f"could hold both accounts; another person must "
                f"(两个账户的口令均由 {one.issued_by} 设置，不能构成两人)")
    return None
