"""How the register's listing is searched and paged: the WHERE clause of a search (prefix
ranges over indexed columns) and the walk that reaches a deep page from the nearer end of the
listing index. Used by :meth:`pipeline.register_reads.RegisterReads.page_copies`."""

from __future__ import annotations

from mijian.pipeline.register_records import CopyStatus

_SEARCHED = ("serial", "recipient_id", "recipient_name", "document_id")
"""The columns the register's search looks in (each has an index: a prefix is a range of it)."""
_LAST = "\U0010ffff"
"""Above every character: ``text < prefix + _LAST`` bounds the strings beginning with prefix."""


def copy_filter(query: str, outstanding: bool) -> tuple[str, list[object]]:
    """The WHERE clause and its arguments of :meth:`RegisterReads.page_copies` (the column
    names are constants; the query goes in as arguments only)."""
    where = "status != ?"
    args: list[object] = [CopyStatus.PENDING]
    typed = query.strip()
    if typed:
        needles = {typed, typed.upper(), typed.lower()}
        if typed.isdigit() and len(typed) < 6:
            needles.add(typed.zfill(6))  # "123" is 份号 000123
        ranges = []
        for column in _SEARCHED:
            for needle in sorted(needles):
                ranges.append(f"({column} >= ? AND {column} < ?)")
                args += [needle, needle + _LAST]
        where += f" AND ({' OR '.join(ranges)})"
    if outstanding:
        where += " AND status NOT IN (?, ?, ?)"
        args += [CopyStatus.RETURNED, CopyStatus.DESTROYED, CopyStatus.VOIDED]
    return where, args


# A search sorts its matches (``ORDER BY +document_id, +serial``: the plus keeps the listing
# index from giving the order). Otherwise SQLite's planner walked the listing index in order,
# testing each entry until it had a page: for the 50 copies of one recipient among 100,000,
# the whole index (1.25 million VM instructions, against under a thousand with the plus).


def walk(total: int, offset: int, limit: int) -> tuple[str, int, int]:
    """How to reach the rows ``offset`` to ``offset + limit`` of ``total`` in listing order:
    the order to walk the listing index in, the rows to skip and the rows to take. A page in
    the second half is reached from the end (the last of 100,000 copies skips a few rows
    instead of 99,975: an OFFSET is walked entry by entry); the caller sorts the page."""
    if offset >= total or limit == 0:
        return "document_id, serial", 0, 0
    if offset <= total // 2:
        return "document_id, serial", offset, limit
    last = min(total, offset + limit)  # one past the page's last row
    return "document_id DESC, serial DESC", total - last, last - offset
