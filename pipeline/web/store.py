"""Drafts held by the web app between upload, decision and issue.

The rows live in ``web.sqlite`` (see :mod:`mijian.pipeline.web.users`); the files live in
the web data folder (``--data``, default ``<home>-web`` beside the office home, mode 0700):
issuing refuses an output folder inside the office home, so copies cannot go there. Every
file name is made here from a random id and a known extension; nothing of a request's
file name ever reaches the file system.
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from mijian.pipeline.web.users import User

EXTENSIONS = (".pdf", ".docx", ".txt")
LEAK_EXTENSIONS = (".pdf", ".docx", ".p7m", ".png", ".jpg", ".jpeg", ".tif", ".tiff", ".txt")


@dataclass(frozen=True)
class Draft:
    """A draft uploaded by ``drafter`` for ``authority`` to decide; ``decision`` once decided;
    ``recipients`` and ``copies`` (serial, copy id, recipient, file name) once issued."""

    id: str
    drafter: str
    authority: str
    title: str
    ext: str
    created: str
    decision: dict | None
    recipients: tuple[str, ...]
    copies: tuple[dict, ...]

    def visible_to(self, user: User) -> bool:
        """Whether ``user`` may read the draft: its drafter, its authority, or a recipient."""
        return user.name in (self.drafter, self.authority) or user.name in self.recipients


def safe_ext(filename: str | None, allowed: tuple[str, ...]) -> str | None:
    """The lower-case extension of an uploaded name when it is one of ``allowed``, else None."""
    suffix = Path((filename or "").replace("\\", "/")).suffix.lower()
    return suffix if suffix in allowed else None


def display_title(filename: str | None) -> str:
    """A title to show for an upload: its base name without folders, at most 120 characters."""
    base = (filename or "draft").replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(c for c in base if c.isprintable())[:120] or "draft"


def private_dir(path: Path) -> Path:
    """``path`` created mode 0700 (parents included)."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)
    return path


def draft_file(data: Path, draft: Draft) -> Path:
    """Where the draft's file is kept."""
    return data / "drafts" / f"{draft.id}{draft.ext}"


def out_dir(data: Path, draft: Draft) -> Path:
    """The folder its copies are issued into."""
    return data / "out" / draft.id


def create(conn: sqlite3.Connection, data: Path, drafter: str, authority: str, filename: str | None,
           ext: str, content: bytes) -> Draft:
    """Keep an uploaded draft (mode 0600) and its row; returns the draft."""
    draft_id = secrets.token_hex(8)
    created = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    draft = Draft(draft_id, drafter, authority, display_title(filename), ext, created, None, (), ())
    private_dir(data / "drafts")
    path = draft_file(data, draft)
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(content)
    with conn:
        conn.execute("INSERT INTO drafts (id, drafter, authority, title, ext, created) VALUES (?,?,?,?,?,?)",
                     (draft_id, drafter, authority, draft.title, ext, created))
    return draft


def _draft(row: sqlite3.Row) -> Draft:
    return Draft(row["id"], row["drafter"], row["authority"], row["title"], row["ext"], row["created"],
                 json.loads(row["decision"]) if row["decision"] else None,
                 tuple(json.loads(row["recipients"])), tuple(json.loads(row["copies"])))


def get(conn: sqlite3.Connection, draft_id: str) -> Draft | None:
    """The draft ``draft_id``, or None."""
    row = conn.execute("SELECT * FROM drafts WHERE id = ?", (draft_id,)).fetchone()
    return _draft(row) if row else None


def all_drafts(conn: sqlite3.Connection) -> list[Draft]:
    """Every draft, newest first."""
    return [_draft(r) for r in conn.execute("SELECT * FROM drafts ORDER BY created DESC, id")]


def set_decision(conn: sqlite3.Connection, draft_id: str, decision: dict) -> bool:
    """Record the authority's decision on the draft; False when it already had one. Checked
    in the same statement that writes it: two decisions sent at once (a double click, two
    tabs) both read an undecided draft, and only the first may stand."""
    with conn:
        cur = conn.execute("UPDATE drafts SET decision = ? WHERE id = ? AND decision IS NULL",
                           (json.dumps(decision, ensure_ascii=False), draft_id))
    return cur.rowcount == 1


def set_issued(conn: sqlite3.Connection, draft_id: str, recipients: list[str], copies: list[dict]) -> None:
    """Record who received copies of the draft and the copies made."""
    with conn:
        conn.execute("UPDATE drafts SET recipients = ?, copies = ? WHERE id = ?",
                     (json.dumps(recipients, ensure_ascii=False), json.dumps(copies, ensure_ascii=False),
                      draft_id))
