"""Issuing runs in the server's memory: their copies' passwords are dropped once shown or a
fixed time after the run ends (shown or not), and finished runs are not kept for good. Time is
moved on by an injected clock, never by sleeping."""

from __future__ import annotations

from types import SimpleNamespace

from test_web_helpers import build_office

from mijian.pipeline.web import issuing

SECRET = [{"serial": "000001", "recipient": "dra", "password": "SEKRET-PASSWORD"}]


class Clock:
    """A clock the test moves on by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def finished(ended_at: float, passwords: list[dict] | None = None) -> issuing.Job:
    """A finished run of clerk ``cle``, ended at ``ended_at`` on the test's clock."""
    return issuing.Job(owner="cle", draft_id="d" * 16, done=1, total=1, finished=True,
                       passwords=list(passwords or []), ended_at=ended_at)


def test_passwords_never_shown_are_dropped_after_the_fixed_time(tmp_path):
    """A run whose page the clerk never opened kept its passwords in memory for as long as the
    server ran; now the page read after the fixed time shows none and says what to do."""
    office = build_office(tmp_path)
    clock = Clock()
    runs = issuing.Runs(clock)
    office.app.state.jobs = runs
    runs["late"] = finished(clock.now, SECRET)
    runs["in-time"] = finished(clock.now, SECRET)
    clock.now += issuing.PASSWORD_SECONDS - 1
    cle = office.client("cle")
    assert "SEKRET-PASSWORD" in cle.get("/issue/jobs/in-time").text  # still within the time: shown once
    clock.now += 1
    late = cle.get("/issue/jobs/late").text
    assert "SEKRET-PASSWORD" not in late and 'id="passwords-gone"' in late
    assert "issue to them again" in late
    assert runs["late"].passwords == [] and runs["late"].expired
    zh = office.client("cle", lang="zh-CN").get("/issue/jobs/late").text
    assert "口令已不再提供" in zh and "重新发放" in zh
    # a run whose passwords were shown says nothing of them being dropped
    assert 'id="passwords-gone"' not in cle.get("/issue/jobs/in-time").text


def test_a_run_drops_its_passwords_by_timer_with_no_page_read(monkeypatch):
    """Without any request at all, the run's own timer drops the passwords at the fixed time."""
    timers = []

    class Timer:
        """Notes the timer asked for instead of waiting for it."""

        def __init__(self, interval, function, args):
            timers.append((interval, function, args))
            self.daemon = False

        def start(self):
            pass

    class Inline:
        """Runs the run's thread at once (no thread, no timing)."""

        def __init__(self, target, daemon, name):
            self.target = target

        def start(self):
            self.target()

    def fake_run(cfg, conn, draft, people, actor, job):
        job.passwords = list(SECRET)

    monkeypatch.setattr(issuing, "threading", SimpleNamespace(Thread=Inline, Timer=Timer))
    monkeypatch.setattr(issuing, "run_issue", fake_run)
    monkeypatch.setattr(issuing, "connect", lambda home: SimpleNamespace(close=lambda: None))
    clock = Clock()
    runs = issuing.Runs(clock)
    draft = SimpleNamespace(id="e" * 16)
    job_id = issuing.start(SimpleNamespace(home=None), runs, draft, [], "cle")
    job = runs[job_id]
    assert job.finished and job.passwords == SECRET and job.ended_at == clock.now
    [(interval, function, args)] = timers
    assert interval == issuing.PASSWORD_SECONDS
    function(*args)
    assert job.passwords == [] and job.expired


def test_finished_runs_beyond_the_cap_are_forgotten(tmp_path):
    """Every run ever started stayed in the server's memory; now a new run forgets the
    oldest finished ones beyond the cap (one still holding unshown passwords last)."""
    clock = Clock()
    runs = issuing.Runs(clock)
    runs["oldest-with-passwords"] = finished(0.0, SECRET)
    for i in range(issuing.KEPT_RUNS + 5):
        runs[f"run-{i}"] = finished(float(i + 1))
    clock.now = 500.0  # within the passwords' time: the oldest still holds them
    job_id = issuing.claim(runs, issuing.Job(owner="cle", draft_id="f" * 16))
    assert job_id is not None
    assert len(runs) == issuing.KEPT_RUNS + 1  # the kept finished runs and the new one
    assert "oldest-with-passwords" in runs
    assert [f"run-{i}" for i in range(6)] == [f"run-{i}" for i in range(issuing.KEPT_RUNS + 5)
                                             if f"run-{i}" not in runs]
