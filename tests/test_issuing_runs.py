"""Issue runs that fail, stop or meet another run: nothing stays pending for ever.

A copy whose file cannot be made is voided with a signed event and the run goes on; a run
stopped at any point leaves at most one batch pending and the next run finishes it; a
recipient whose copy another run left pending is reported (JSON and exit code), and
``register void`` cancels such a copy once its run is gone, never while it lives.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mijian.pipeline import issuing
from mijian.pipeline.analysis import classify_document
from mijian.pipeline.claims import RunClaim
from mijian.pipeline.decision import decide
from mijian.pipeline.errors import InputError
from mijian.pipeline.model import Recipient
from mijian.pipeline.office import Office
from mijian.pipeline.readers import read_document
from tests.conftest import ROOT, SAMPLES

DRAFT = SAMPLES / "en_press_release.txt"


def _people(count: int, prefix: str = "R") -> tuple[Recipient, ...]:
    return tuple(Recipient(id=f"{prefix}{n}", name=f"Person {prefix}{n}") for n in range(1, count + 1))


def _issue(home: Path, out: Path, people: tuple[Recipient, ...]) -> issuing.IssueResult:
    document = read_document(DRAFT)
    result = classify_document(document)
    decision = decide(result.scheme, result.level, result.period,
                      tuple(result.suggestion.rationale), result.basis)
    with Office.open(home) as office:
        return issuing.issue(office, document, decision, people, out, actor="机要员", workers=1)


def _rows(home: Path) -> list:
    with Office.open(home) as office:
        return sorted(office.register.copy_rows(), key=lambda r: r["serial"])


def _actions(home: Path, copy_id: str) -> list[str]:
    with Office.open(home) as office:
        return [e.action for e in office.register.events(copy_id)]


def _cli(*args: str, home: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, MIJIAN_HOME=str(home))
    return subprocess.run([sys.executable, "-m", "mijian", *args], capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=300)


def _failing_writer(monkeypatch, when) -> list[str]:
    """Make the PDF writer raise ``when(stamp, calls)``'s exception (or write normally)."""
    import mijian.pipeline.formats.pdf.copy as pdf_copy
    real = pdf_copy.write_pdf_copy
    calls: list[str] = []

    def writer(source, stamp, out_path, **kwargs):
        calls.append(stamp.watermark_text)
        problem = when(stamp, len(calls))
        if problem is not None:
            raise problem
        return real(source, stamp, out_path, **kwargs)

    monkeypatch.setattr(pdf_copy, "write_pdf_copy", writer)
    return calls


def _stop(home: Path, out: Path, people, monkeypatch, at: int, keep_lock: bool = False) -> None:
    """Run ``issue`` and stop it (KeyboardInterrupt) as the ``at``-th copy is being written."""
    with monkeypatch.context() as patch:
        _failing_writer(patch, lambda stamp, n: KeyboardInterrupt() if n == at else None)
        if keep_lock:  # the run's lock stays held, as if its process were still alive
            patch.setattr(RunClaim, "release", lambda self: None)
        with pytest.raises(KeyboardInterrupt):
            _issue(home, out, people)


def test_a_copy_that_cannot_be_made_is_voided_and_the_rest_are_issued(tmp_path, monkeypatch):
    home, out = tmp_path / "home", tmp_path / "out"
    with monkeypatch.context() as patch:
        _failing_writer(patch, lambda stamp, n: InputError("page too small for the marks")
                        if stamp.watermark_text.startswith("Person R2 ") else None)
        done = _issue(home, out, _people(4))
    assert [c.recipient.id for c in done.copies] == ["R1", "R3", "R4"]
    assert [(v.serial, v.recipient.id) for v in done.voided] == [("000002", "R2")]
    assert "page too small for the marks" in done.voided[0].reason
    assert "份号 000002 已作废" in done.problem() and "run the command again" in done.problem()
    rows = _rows(home)
    assert [(r["serial"], r["status"]) for r in rows] == [
        ("000001", "issued"), ("000002", "voided"), ("000003", "issued"), ("000004", "issued")]
    voided = rows[1]
    assert voided["sealed_password"] is None and voided["claim"] is None
    assert _actions(home, voided["copy_id"]) == ["reserved", "voided"]
    with Office.open(home) as office:
        event = list(office.register.events(voided["copy_id"]))[-1]
    assert "page too small for the marks" in json.loads(event.detail)["reason"]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert [c["recipient_id"] for c in manifest["copies"]] == ["R1", "R3", "R4"]
    passwords = list(csv.reader((out / "passwords.csv").read_text(encoding="utf-8").splitlines()))
    assert [r[1] for r in passwords[1:]] == ["R1", "R3", "R4"]
    assert not any(p.name.startswith("000002") for p in out.iterdir())
    # the same command again issues R2 under a new serial; 000002 stays voided
    again = _issue(home, out, _people(4))
    assert [(c.serial, c.recipient.id) for c in again.copies] == [("000005", "R2")]
    assert again.problem() is None and {r for r, _ in again.skipped} == set(_people(4)) - {_people(4)[1]}
    assert [(r["serial"], r["status"]) for r in _rows(home)][1] == ("000002", "voided")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert sorted(c["serial"] for c in manifest["copies"]) == ["000001", "000003", "000004", "000005"]


def test_a_stopped_run_leaves_at_most_one_batch_pending(tmp_path, monkeypatch):
    home, out = tmp_path / "home", tmp_path / "out"
    monkeypatch.setattr(issuing, "BATCH", 3)
    _stop(home, out, _people(10), monkeypatch, at=5)
    rows = _rows(home)
    assert [r["status"] for r in rows] == ["issued"] * 4 + ["pending"] * 2
    done = _issue(home, out, _people(10))
    assert done.problem() is None and len(done.copies) == 6
    assert [r.id for r, _why in done.skipped] == ["R1", "R2", "R3", "R4"]
    rows = _rows(home)
    assert [r["serial"] for r in rows] == [f"{n:06d}" for n in range(1, 11)]
    assert {r["status"] for r in rows} == {"issued"}
    assert sorted(r["recipient_id"] for r in rows) == sorted(p.id for p in _people(10))
    assert not (out / ".mijian-staging").exists()


def test_json_says_which_recipients_are_still_being_issued(tmp_path, monkeypatch):
    home, first, second = tmp_path / "home", tmp_path / "first", tmp_path / "second"
    _stop(home, first, _people(1), monkeypatch, at=1)   # R1 left pending in `first`
    [pending] = _rows(home)
    assert pending["status"] == "pending"
    people = tmp_path / "people.csv"
    people.write_text("id,name\nR1,Person R1\nR2,Person R2\n", encoding="utf-8")
    done = _cli("issue", str(DRAFT), "--recipients", str(people), "--out", str(second), "--json",
                home=home)
    assert done.returncode == 4, done.stderr
    printed = json.loads(done.stdout)
    assert [c["recipient_id"] for c in printed["copies"]] == ["R2"]
    [left] = printed["unfinished"]
    assert left["recipient_id"] == "R1"
    assert f"--out {first}" in left["reason"] and "register void" in left["reason"]
    assert len(done.stderr.strip().splitlines()) == 1 and "incomplete" in done.stderr
    # the officer voids it; the next run gives R1 a new serial
    void = _cli("register", "void", pending["copy_id"], "--reason", "run stopped", "--json",
                home=home)
    assert void.returncode == 0, void.stderr
    assert json.loads(void.stdout)["copy"]["status"] == "voided"
    again = _cli("issue", str(DRAFT), "--recipients", str(people), "--out", str(second), "--json",
                 home=home)
    assert again.returncode == 0, again.stderr
    assert sorted((c["serial"], c["recipient_id"]) for c in json.loads(again.stdout)["copies"]) == [
        ("000002", "R2"), ("000003", "R1")]


def test_register_void_refuses_while_the_reserving_run_lives(tmp_path, monkeypatch):
    home, out = tmp_path / "home", tmp_path / "out"
    _stop(home, out, _people(1), monkeypatch, at=1, keep_lock=True)
    [pending] = _rows(home)
    refused = _cli("register", "void", pending["copy_id"], "--reason", "stuck", home=home)
    assert refused.returncode == 4
    assert "still alive" in refused.stderr and len(refused.stderr.strip().splitlines()) == 1
    assert _rows(home)[0]["status"] == "pending"
    # and the reason is not optional
    missing = _cli("register", "void", pending["copy_id"], home=home)
    assert missing.returncode == 2  # --reason is required


def test_a_run_does_not_wait_for_ever_on_a_live_run(tmp_path, monkeypatch):
    home, out = tmp_path / "home", tmp_path / "out"
    _stop(home, out, _people(1), monkeypatch, at=1, keep_lock=True)
    monkeypatch.setattr(issuing, "WAIT_SECONDS", 0)
    done = _issue(home, tmp_path / "other", _people(2))
    assert [c.recipient.id for c in done.copies] == ["R2"]
    [(who, why)] = done.unfinished
    assert who.id == "R1" and "still being issued by" in why
    assert "still being issued elsewhere" in done.problem()


def test_pending_copies_of_a_stopped_run_are_finished_in_the_same_folder(tmp_path, monkeypatch):
    home, out = tmp_path / "home", tmp_path / "out"
    _stop(home, out, _people(3), monkeypatch, at=2)
    before = {r["recipient_id"]: (r["serial"], r["copy_id"]) for r in _rows(home)}
    done = _issue(home, out, _people(3))
    assert done.problem() is None
    after = {r["recipient_id"]: (r["serial"], r["copy_id"]) for r in _rows(home)}
    assert after == before  # same serials and copy ids: finished, not re-issued
    assert {r["status"] for r in _rows(home)} == {"issued"}


def test_a_finished_copy_that_fails_is_voided_once_not_reissued_in_the_same_run(tmp_path,
                                                                               monkeypatch):
    home, out = tmp_path / "home", tmp_path / "out"
    _stop(home, out, _people(2), monkeypatch, at=1)   # R1 left pending
    with monkeypatch.context() as patch:
        _failing_writer(patch, lambda stamp, n: RuntimeError("no room for the marks")
                        if stamp.watermark_text.startswith("Person R1 ") else None)
        done = _issue(home, out, _people(2))
    assert [(v.serial, v.recipient.id) for v in done.voided] == [("000001", "R1")]
    assert [(c.serial, c.recipient.id) for c in done.copies] == [("000002", "R2")]
    assert [(r["serial"], r["status"]) for r in _rows(home)] == [("000001", "voided"),
                                                                 ("000002", "issued")]
    assert "RuntimeError: no room for the marks" in done.voided[0].reason
