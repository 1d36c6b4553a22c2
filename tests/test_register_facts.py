"""Every fact of a register row is stated by its signed events: an edit made with sqlite3 is
caught by `register verify` and refused by the lookups tracing uses."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from mijian.pipeline.audit import verify_register
from mijian.pipeline.office import Office
from mijian.pipeline.register import CopyRecord, DocumentRecord
from mijian.pipeline.register_check import RowRefused
from tests.conftest import ROOT, SAMPLES

DOC = "DOC-F"


def _decision() -> DocumentRecord:
    return DocumentRecord(
        id=DOC, title="关于调整编制的通知", source_sha256="ab" * 32, kind="pdf", language="zh",
        scheme="cn-state", grade="秘密", level=2, period="10年", suggested_grade="机密",
        suggested_level=3, justification="仅涉及内部分工", basis="目录第5项", rationale=("r1", "r2"),
        decided_by="定密责任人甲", decided_at="2026-01-01T00:00:00+00:00")


def _reserve_and_issue(office: Office, rid: str, name: str, issue: bool = True) -> CopyRecord:
    register, key = office.register, office.key()
    with register.transaction():
        serial = register.next_serial(DOC)
        now = register.clock()
        record = CopyRecord(
            copy_id=f"C{rid:0>11}", document_id=DOC, serial=serial, recipient_id=rid,
            recipient_name=name, recipient_unit="办公室", file=f"/out/{serial}_{rid}.pdf",
            file_sha256="", key_id=key.key_id, issued_at=now, status="pending", status_at=now,
            sealed_password=key.seal("copy-password", b"pw" + rid.encode(), f"C{rid:0>11}".encode()),
            claim="host:1", envelope_cert=None, fingerprint=register.next_fingerprint())
        register.reserve_copy(record, key, "机要员", {"file": Path(record.file).name,
                                                    "fingerprint": record.fingerprint})
    if not issue:
        return record
    with register.transaction():
        return register.finalize_copy(record.copy_id, f"{ord(rid[-1]):064x}", key, "机要员")


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A closed office: one decided document, copies A and B issued, C pending."""
    home = tmp_path_factory.mktemp("facts") / "home"
    with Office.open(home) as office:
        with office.register.transaction():
            office.register.add_document(_decision(), office.key(), "定密责任人甲")
        _reserve_and_issue(office, "RA", "张三")
        _reserve_and_issue(office, "RB", "李四")
        _reserve_and_issue(office, "RC", "王五", issue=False)
    return home


def _clone(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest)
    return dest


def _sql(home: Path, *statements: tuple[str, tuple]) -> None:
    conn = sqlite3.connect(home / "register.db", isolation_level=None)
    try:
        conn.execute("PRAGMA foreign_keys = OFF")
        for sql, args in statements:
            conn.execute(sql, args)
    finally:
        conn.close()


def _copy_id(rid: str) -> str:
    return f"C{rid:0>11}"


def test_sound_register_verifies_and_lookups_answer(base, tmp_path):
    home = _clone(base, tmp_path / "h")
    with Office.open(home) as office:
        assert verify_register(office).ok
        a = office.register.get_copy(_copy_id("RA"))
        assert office.register.copy_by_fingerprint(a.fingerprint) == a
        assert office.register.get_document(DOC).basis == "目录第5项"
        assert office.register.pending_copies(DOC)[0].recipient_id == "RC"


def _swap_fingerprints(home: Path, a: str, b: str) -> None:
    """Swap the fingerprint numbers of copies ``a`` and ``b`` as an insider with sqlite3 would."""
    conn = sqlite3.connect(home / "register.db")
    fa, fb = (conn.execute("SELECT fingerprint FROM copies WHERE copy_id = ?", (c,)).fetchone()[0]
              for c in (a, b))
    conn.close()
    _sql(home, ("UPDATE copies SET fingerprint = NULL WHERE copy_id = ?", (a,)),
         ("UPDATE copies SET fingerprint = ? WHERE copy_id = ?", (fa, b)),
         ("UPDATE copies SET fingerprint = ? WHERE copy_id = ?", (fb, a)))


def test_swapped_fingerprint_numbers_are_caught_and_name_no_one(base, tmp_path):
    home = _clone(base, tmp_path / "h")
    with Office.open(home) as office:
        a = office.register.get_copy(_copy_id("RA"))
        b = office.register.get_copy(_copy_id("RB"))
    _swap_fingerprints(home, a.copy_id, b.copy_id)
    with Office.open(home) as office:
        report = verify_register(office)
        assert not report.ok and not report.stale
        assert f"copy {a.copy_id} (份号 000001, document {DOC}) has fingerprint {b.fingerprint}" \
            in report.problem and f"issued event 3 says {a.fingerprint}" in report.problem
        with pytest.raises(RowRefused, match="no one is named from it"):
            office.register.copy_by_fingerprint(a.fingerprint)  # the row of B now carries it
        with pytest.raises(RowRefused, match=f"has fingerprint {a.fingerprint}"):
            office.register.get_copy(b.copy_id)
        with pytest.raises(RowRefused):
            office.register.copies_by_sha256(b.file_sha256)
        with pytest.raises(RowRefused):
            office.register.list_copies(DOC)


COPY_EDITS = {
    "recipient_name": "'赵六'", "recipient_id": "'RX'", "recipient_unit": "'财务处'",
    "serial": "'000009'", "file": "'/elsewhere/x.pdf'", "file_sha256": "'" + "0" * 64 + "'",
    "key_id": "'deadbeef'", "issued_at": "'2020-01-01T00:00:00+00:00'",
    "sealed_password": "x'00'", "envelope_cert": "'-----BEGIN CERTIFICATE-----'",
    "fingerprint": "fingerprint + 1", "document_id": "'DOC-OTHER'", "status": "'destroyed'",
    "claim": "'host:4242'",
}


@pytest.mark.parametrize("column", sorted(COPY_EDITS))
def test_each_copy_column_edited_is_caught(base, tmp_path, column):
    home = _clone(base, tmp_path / "h")
    copy_id = _copy_id("RB")
    _sql(home, (f"UPDATE copies SET {column} = {COPY_EDITS[column]} WHERE copy_id = ?", (copy_id,)))
    with Office.open(home) as office:
        report = verify_register(office)
        assert (report.ok, report.stale, report.first_bad_seq) == (False, False, None), column
        assert f"has {column} " in report.problem or f"carries the {column}" in report.problem
        assert "\n" not in report.problem
        with pytest.raises(RowRefused):
            office.register.get_copy(copy_id)


@pytest.mark.parametrize("column", ["recipient_name", "fingerprint", "file", "envelope_cert", "key_id"])
def test_pending_copy_edited_is_caught_and_not_built(base, tmp_path, column):
    home = _clone(base, tmp_path / "h")
    value = COPY_EDITS[column]
    _sql(home, (f"UPDATE copies SET {column} = {value} WHERE copy_id = ?", (_copy_id("RC"),)))
    with Office.open(home) as office:
        assert f"has {column} " in verify_register(office).problem
        with pytest.raises(RowRefused):
            office.register.pending_copies(DOC)


DOCUMENT_EDITS = {
    "title": "'另一个标题'", "justification": "'无'", "basis": "'目录第1项'",
    "suggested_grade": "'秘密'", "suggested_level": "2", "decided_by": "'mallory'",
    "decided_at": "'2020-01-01T00:00:00+00:00'", "grade": "'内部'", "level": "1",
    "period": "'1年'", "scheme": "'us'", "source_sha256": "'" + "cd" * 32 + "'",
    "rationale": "'[\"forged\"]'", "kind": "'docx'", "language": "'en'",
}


@pytest.mark.parametrize("column", sorted(DOCUMENT_EDITS))
def test_each_decision_column_edited_is_caught(base, tmp_path, column):
    home = _clone(base, tmp_path / "h")
    _sql(home, (f"UPDATE documents SET {column} = {DOCUMENT_EDITS[column]} WHERE id = ?", (DOC,)))
    with Office.open(home) as office:
        report = verify_register(office)
        assert (report.ok, report.stale) == (False, False), column
        assert report.problem.startswith(f"document {DOC} has {column} ")
        with pytest.raises(RowRefused, match=f"document {DOC} has {column} "):
            office.register.get_document(DOC)


def test_edited_event_behind_a_row_is_refused_on_lookup(base, tmp_path):
    """Editing the event as well as the row breaks the event's hash: the lookup refuses."""
    home = _clone(base, tmp_path / "h")
    conn = sqlite3.connect(home / "register.db", isolation_level=None)
    seq, detail = conn.execute("SELECT seq, detail FROM events WHERE action = 'issued' AND copy_id = ?",
                               (_copy_id("RB"),)).fetchone()
    conn.close()
    data = json.loads(detail)
    data["recipient_name"] = data["facts"]["recipient_name"] = "赵六"
    _sql(home, ("DROP TRIGGER events_no_update", ()),
         ("UPDATE events SET detail = ? WHERE seq = ?", (json.dumps(data, ensure_ascii=False, sort_keys=True), seq)),
         ("UPDATE copies SET recipient_name = '赵六' WHERE copy_id = ?", (_copy_id("RB"),)))
    with Office.open(home) as office:
        assert verify_register(office).first_bad_seq == seq
        with pytest.raises(RowRefused, match=f"event {seq} \\(issued\\) was altered"):
            office.register.get_copy(_copy_id("RB"))


def _cli(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, MIJIAN_HOME=str(home))
    return subprocess.run([sys.executable, "-m", "mijian", *args], capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=300)


def test_cli_verify_exits_4_on_an_edited_justification(base, tmp_path):
    home = _clone(base, tmp_path / "h")
    assert _cli(home, "register", "verify").returncode == 0
    _sql(home, ("UPDATE documents SET justification = '上级同意' WHERE id = ?", (DOC,)))
    done = _cli(home, "register", "verify")
    assert done.returncode == 4
    assert "has justification '上级同意'" in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_crop_of_a_page_names_no_one_after_fingerprints_are_swapped(tmp_path):
    """A's page crop traces to A; once A's and B's fingerprint numbers are swapped with sqlite3
    the same crop names no one (exit 4, the edited row is refused) and verify exits 4."""
    import numpy as np
    import pymupdf
    from PIL import Image

    from mijian.pipeline.issuing import decrypt_copy

    home, out = tmp_path / "home", tmp_path / "out"
    recipients = tmp_path / "r.csv"
    recipients.write_text("id,name,unit\nA01,张三,办公室\nB02,李四,财务处\n", encoding="utf-8")
    done = _cli(home, "issue", str(SAMPLES / "zh_notice_secret.pdf"), "--recipients", str(recipients),
                "--out", str(out), "--json")
    assert done.returncode == 0, done.stderr
    copies = {c["recipient_id"]: c for c in json.loads(done.stdout)["copies"]}
    rows = (out / "passwords.csv").read_text(encoding="utf-8").splitlines()[1:]
    password = {r.split(",")[1]: r.split(",")[2] for r in rows}["A01"]
    plain = decrypt_copy(out / copies["A01"]["file"], password)
    pix = pymupdf.open(stream=plain, filetype="pdf")[0].get_pixmap(dpi=150)
    image = np.asarray(Image.frombytes("RGB", (pix.width, pix.height), pix.samples))
    crop = tmp_path / "crop.png"
    Image.fromarray(image[image.shape[0] // 6: image.shape[0] * 2 // 3]).save(crop)
    before = _cli(home, "trace", str(crop), "--json")
    assert before.returncode == 0 and json.loads(before.stdout)["recipient_id"] == "A01", before.stdout
    a, b = copies["A01"]["copy_id"], copies["B02"]["copy_id"]
    _swap_fingerprints(home, a, b)
    after = _cli(home, "trace", str(crop), "--json")
    assert "B02" not in after.stdout and "李四" not in after.stdout
    assert after.returncode == 4 and "no one is named" in after.stderr, after.stderr
    assert _cli(home, "register", "verify").returncode == 4


def _void(office: Office, copy_id: str) -> None:
    """Make a copy void the way issuing records a failed build: status and a signed event."""
    register = office.register
    with register.transaction():
        register._conn.execute(  # a forger's raw edit, inside the office's own transaction
            "UPDATE copies SET status = 'voided', claim = NULL WHERE copy_id = ?", (copy_id,))
        register.append_event(office.key(), "机要员", "voided", DOC, copy_id,
                              {"serial": "000003", "reason": "build failed"})


def test_voided_pending_copy_verifies_and_a_voided_issued_copy_does_not(base, tmp_path):
    home = _clone(base, tmp_path / "h")
    with Office.open(home) as office:
        _void(office, _copy_id("RC"))
        assert verify_register(office).ok
        assert office.register.get_copy(_copy_id("RC")).status == "voided"
        assert office.register.copy_for_recipient(DOC, "RC", include_pending=True) is None
        _void(office, _copy_id("RB"))
        report = verify_register(office)
        assert "voided while it was issued" in report.problem and "only from pending" in report.problem
