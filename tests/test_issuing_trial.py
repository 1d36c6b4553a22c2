"""The trial copy made in a worker process while the draft is classified: it is the trial the
decision would have made (same marking), it really writes and checks a copy, and a marking
the decision does not confirm is not used."""

from __future__ import annotations

from pathlib import Path

import pytest

from mijian.pipeline.copy_pool import start_workers
from mijian.pipeline.errors import InputError
from mijian.pipeline.issuing import preflight, trial_marking
from mijian.pipeline.limits import DEFAULT_LIMITS
from mijian.pipeline.readers import read_document
from mijian.pipeline.service.drafts import _classify_read, _early_trial, decide
from mijian.pipeline.service.values import GradeChoice, IssueRequest, Settings
from mijian.pipeline.trial_copy import TrialMarking

ROOT = Path(__file__).resolve().parents[1]
DRAFT = ROOT / "samples" / "zh_notice_secret.pdf"


@pytest.fixture(scope="module")
def pool():
    workers = start_workers(1, str(DRAFT))
    yield workers
    workers.shutdown(wait=True, cancel_futures=True)


def _request(tmp_path: Path, **choice: str) -> IssueRequest:
    people = tmp_path / "people.csv"
    people.write_text("id,name\nA1,王伟\n", encoding="utf-8")
    return IssueRequest(draft=DRAFT, recipients=people, choice=GradeChoice(**choice),
                        out=tmp_path / "out")


def test_the_early_trial_has_the_marking_the_decision_gives(pool, tmp_path: Path) -> None:
    request = _request(tmp_path, grade="机密", period="20年")
    settings = Settings(home=tmp_path / "home")
    document = read_document(DRAFT, DEFAULT_LIMITS)
    early = _early_trial(request, document, settings, pool)
    assert early is not None
    decision = decide(_classify_read(document, request.scheme, request, settings), request.choice)
    assert early[0] == trial_marking(decision, True)
    assert early[1].result() is None  # the trial copy was written and self-checked
    preflight(document, decision, request.out, DEFAULT_LIMITS, True, early[1])
    assert not (tmp_path / "home").exists()  # nothing recorded, no office made


def test_no_early_trial_without_a_named_grade_and_period(pool, tmp_path: Path) -> None:
    document = read_document(DRAFT, DEFAULT_LIMITS)
    settings = Settings(home=tmp_path / "home")
    assert _early_trial(_request(tmp_path, grade="机密"), document, settings, pool) is None
    assert _early_trial(_request(tmp_path, grade="机密", period="20年"), document, settings,
                        None) is None
    assert _early_trial(_request(tmp_path, grade="no such grade", period="20年"), document,
                        settings, pool) is None


def test_a_trial_in_a_worker_refuses_what_the_writer_cannot_mark(pool) -> None:
    """Bytes PyMuPDF cannot open: the worker's refusal reaches the caller as the one-line
    input error, as the trial made in the issuing process would raise it."""
    from mijian.pipeline.trial_copy import make_trial

    marking = TrialMarking("cn-state", 3, "20年", True)
    future = pool.submit(make_trial, b"%PDF-1.7\n" + b"0" * 64, ".pdf", marking, DEFAULT_LIMITS,
                         "broken.pdf")
    with pytest.raises(InputError, match="damaged"):
        future.result()
