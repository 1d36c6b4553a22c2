"""Bulk seeding of a register for the web benchmark only: many copies without issuing files.

Issuing 100,000 real watermarked files takes hours; the register pages only need rows. This
helper writes them through the register store's own write path, the same calls the issuing
run makes: :meth:`add_document` (a ``decided`` event) for each document, then per copy
:meth:`next_serial` (the document's counter, checked against the signed head) and
:meth:`add_copy` (the row and its signed ``issued`` event). Every row therefore has the
chained, Ed25519-signed event that states its facts, and ``mijian register verify`` accepts
the result. What it does not make: the copy files (their SHA-256 is that of a made-up name),
sealed passwords (none) and fingerprint numbers (none), so tracing finds none of these copies.

Copies are written in transactions of :data:`BATCH` (the signed head moves once per batch).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from mijian.pipeline.crypto import random_token
from mijian.pipeline.office import Office
from mijian.pipeline.register_records import CopyRecord, CopyStatus, DocumentRecord
from mijian.watermark.codes import new_copy_id

BATCH = 2000
"""Copies per transaction: large enough to be quick, small enough to keep each commit short."""
FAMILY = "王李张刘陈杨黄赵周吴徐孙马朱胡郭何林罗高"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚"


@dataclass(frozen=True)
class Seeded:
    """What was seeded: the document ids, copies per document and distinct recipients."""

    documents: tuple[str, ...]
    per_document: int
    recipients: int


def document(doc_id: str, when: str) -> DocumentRecord:
    """A decided 机密 document with no real source (its hash is that of its id)."""
    return DocumentRecord(id=doc_id, title=f"基准测试文件 {doc_id}",
                          source_sha256=hashlib.sha256(doc_id.encode()).hexdigest(), kind="pdf",
                          language="zh", scheme="cn-state", grade="机密", level=3, period="10年",
                          suggested_grade="机密", suggested_level=3, justification=None,
                          basis="benchmark seed", rationale=("seeded for the web benchmark",),
                          decided_by="bench", decided_at=when)


def recipient(n: int) -> tuple[str, str]:
    """The id and the Chinese name of generated recipient ``n``."""
    return f"P{n:05d}", FAMILY[n % 20] + GIVEN[(n // 20) % 20] + GIVEN[(n // 400) % 20]


def copy(doc_id: str, serial: str, n: int, when: str, key_id: str) -> CopyRecord:
    """An issued copy row of ``doc_id`` for recipient ``n`` (no file, no sealed password)."""
    rid, name = recipient(n)
    copy_id = new_copy_id(random_token(8))  # as the issuing run makes them
    return CopyRecord(copy_id=copy_id, document_id=doc_id, serial=serial, recipient_id=rid,
                      recipient_name=name, recipient_unit="办公室", file=f"{serial}_{rid}.pdf",
                      file_sha256=hashlib.sha256(f"{doc_id}/{serial}".encode()).hexdigest(),
                      key_id=key_id, issued_at=when, status=CopyStatus.ISSUED, status_at=when)


def seed(home: Path, copies: int, documents: int = 10, recipients: int = 2000) -> Seeded:
    """Register ``documents`` documents and ``copies`` issued copies spread evenly over them,
    for ``recipients`` generated people, in the office at ``home``."""
    ids = tuple(f"BENCH-{d:03d}" for d in range(1, documents + 1))
    per = max(1, copies // documents)
    with Office.open(home) as office:
        register, signer = office.register, office.key()
        when = register.clock()
        with register.transaction():
            for doc_id in ids:
                register.add_document(document(doc_id, when), signer, "bench")
        n = 0
        for doc_id in ids:
            for start in range(0, per, BATCH):
                with register.transaction():
                    for _ in range(min(BATCH, per - start)):
                        serial = register.next_serial(doc_id)
                        register.add_copy(copy(doc_id, serial, n % recipients, when, signer.key_id),
                                          signer, "bench")
                        n += 1
    return Seeded(ids, per, min(recipients, n))
