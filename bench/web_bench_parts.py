"""The parts of the web benchmark (:mod:`web_bench`): the server under uvicorn, accounts, the
draft, the concurrent issuing run and the checks of the register afterwards."""

from __future__ import annotations

import itertools
import os
import socket
import subprocess
import sys
import threading
import time
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
PARAGRAPH = ("为做好本年度涉密文件管理工作，现将有关事项通知如下：各单位要严格执行文件登记、"
             "签收、清退和销毁制度，机密级文件不得擅自复制，确需复制的须经批准并逐份编号登记。"
             "联系人张伟，身份证号110101199003074514，手机13912345678。")


def password(name: str) -> str:
    """The benchmark password of account ``name``."""
    return f"bench-{name}-0123456789"


def env(home: Path) -> dict[str, str]:
    """The environment of the server and the CLI: this tree, the benchmark's office."""
    return dict(os.environ, PYTHONPATH=str(ROOT), MIJIAN_HOME=str(home))


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """``mijian serve`` in a child process on a free loopback port (a context manager)."""

    def __init__(self, home: Path, data: Path) -> None:
        self.home, self.data, self.port = home, data, free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        log = open(self.home.parent / "server.log", "wb")  # the child keeps its own descriptor
        self.process = subprocess.Popen(
            [sys.executable, "-m", "mijian", "serve", "--port", str(self.port), "--data", str(self.data)],
            env=env(self.home), cwd=ROOT, stdout=log, stderr=log)
        log.close()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"the server stopped: {(self.home.parent / 'server.log').read_text()[-400:]}")
            try:
                if httpx.get(self.base + "/login", timeout=2).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise SystemExit("the server did not answer within 60 s")

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)

    def client(self, name: str) -> httpx.Client:
        """A client with its own session: logged in through the API as ``name``."""
        client = httpx.Client(base_url=self.base, timeout=300)
        answer = client.post("/api/v1/login", json={"name": name, "password": password(name)})
        if answer.status_code != 200:
            raise SystemExit(f"login of {name} failed: HTTP {answer.status_code}")
        client.headers["authorization"] = f"Bearer {answer.json()['token']}"
        return client


def make_accounts(home: Path, clerks: int, recipients: int) -> list[str]:
    """A drafter ``dra``, an authority ``aut``, a security officer ``sec``, ``clerks`` clerks and
    ``recipients`` recipients ``r0000``…; returns the clerks' names."""
    from mijian.pipeline.web import users

    names = [f"cle{n:02d}" for n in range(clerks)]
    conn = users.connect(home)
    try:
        for name, role in [("dra", "drafter"), ("aut", "authority"), ("sec", "security"),
                           *((n, "clerk") for n in names),
                           *((f"r{n:04d}", "drafter") for n in range(recipients))]:
            users.add_user(conn, name, role, password(name))
    finally:
        conn.close()
    return names


def make_draft(pages: int, path: Path, tag: str = "") -> Path:
    """A Chinese notice of ``pages`` pages with personal data to find (one page per form feed);
    ``tag`` in its title makes each draft a different file (nothing cached can serve it)."""
    from mijian.pipeline.formats.pdf.typeset import text_to_pdf

    body = "\n".join(f"{number}. {PARAGRAPH}" for number in range(1, 7))
    text = "\f".join(f"第{n}部分 机密事项的管理\n{body}" for n in range(1, pages + 1))
    path.write_bytes(text_to_pdf(text, f"关于加强涉密文件管理的通知{tag}", "zh"))
    return path


@dataclass
class Outcome:
    """The issuing requests' outcome and the register document the copies belong to."""

    serials: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    busy: int = 0
    document_id: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)


def prepare_draft(server: Server, draft: Path) -> tuple[str, float]:
    """Upload ``draft`` as the drafter and open its Draft page with the findings highlighted;
    the authority decides it as suggested. Returns the draft id and the seconds from the
    upload to the Draft page."""
    with closing(server.client("dra")) as drafter, closing(server.client("aut")) as authority:
        start = time.perf_counter()
        answer = drafter.post("/api/v1/classify", data={"authority": "aut"},
                              files={"file": (draft.name, draft.read_bytes(), "application/pdf")})
        if answer.status_code != 200:
            raise SystemExit(f"upload failed: HTTP {answer.status_code} {answer.text[:300]}")
        draft_id, found = answer.json()["draft_id"], answer.json()["classification"]
        page = drafter.get(f"/drafts/{draft_id}")
        seconds = time.perf_counter() - start
        if "<mark class=" not in page.text:
            raise SystemExit("the Draft page shows no highlighted finding")
        decided = authority.post(f"/api/v1/drafts/{draft_id}/decide",
                                 json={"grade": found["grade"], "period": found["period"]})
        if decided.status_code != 200:
            raise SystemExit(f"decision failed: HTTP {decided.status_code} {decided.text[:300]}")
    return str(draft_id), seconds


def issue_loop(client: httpx.Client, clerk: str, draft_id: str, deadline: float, people: itertools.count,
               outcome: Outcome, minimum: int = 0) -> None:
    """One clerk (logged in as ``client``) issuing one copy per request to the next recipient
    until ``deadline``, and past it until the clerk has ``minimum`` copies (at most 50 requests
    a copy), so that a check of the serials does not depend on how fast a busy machine is."""
    with closing(client):
        name = f"r{next(people):04d}"
        mine, tries = 0, 0
        while time.monotonic() < deadline or (mine < minimum and tries < 50 * minimum):
            tries += 1
            start = time.perf_counter()
            try:
                answer = client.post(f"/api/v1/drafts/{draft_id}/issue", json={"recipients": [name]})
            except httpx.HTTPError as exc:
                with outcome.lock:
                    outcome.errors.append(f"{clerk}: {type(exc).__name__}: {exc}")
                continue
            seconds = time.perf_counter() - start
            with outcome.lock:
                if answer.status_code == 409:
                    outcome.busy += 1
                    continue
                body = answer.json() if answer.status_code in (200, 400) else {}
                if answer.status_code == 400 and "accounts" in str(body):
                    return  # the recipients ran out
                # the manifest lists every copy of the clerk's draft so far: take this recipient's
                copies = [c for c in (body.get("manifest") or {}).get("copies") or []
                          if c.get("recipient_id") == name]
                if answer.status_code != 200 or body.get("error") or len(copies) != 1:
                    outcome.errors.append(f"{clerk}: HTTP {answer.status_code} {answer.text[:200]}")
                else:
                    outcome.serials.append(str(copies[0]["serial"]))
                    mine += 1
                    outcome.latencies.append(seconds)
                    outcome.document_id = str(body["manifest"].get("document_id") or outcome.document_id)
            name = f"r{next(people):04d}"


def concurrent_issue(server: Server, draft: Path, clerks: list[str], seconds: float,
                     minimum: int = 0) -> Outcome:
    """Each clerk gets a draft of the same PDF (one register document) and issues copies of it
    from its own thread for ``seconds`` seconds (and until it has ``minimum`` copies)."""
    outcome = Outcome()
    drafts = [prepare_draft(server, draft)[0] for _ in clerks]
    # every clerk logs in before the clock starts: twenty password checks (argon2) take seconds
    # on a busy machine, and counted in the window they left no time to issue anything
    clients = [server.client(clerk) for clerk in clerks]
    people = itertools.count()
    deadline = time.monotonic() + seconds
    threads = [threading.Thread(target=issue_loop, args=(client, clerk, draft_id, deadline, people, outcome,
                                                     minimum))
               for client, clerk, draft_id in zip(clients, clerks, drafts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcome


def check_serials(home: Path, document_id: str, answered: list[str]) -> str | None:
    """None when the serials the clerks were given are unique and the document's serials in
    the register run 1..n without a gap; else what is wrong."""
    from mijian.pipeline import service

    if len(set(answered)) != len(answered):
        return f"{len(answered) - len(set(answered))} serial(s) given twice"
    if not document_id:
        return "no copy was issued" if not answered else "the manifest named no document"
    held = sorted(int(c.serial) for c in service.list_copies(document_id, settings=service.Settings(home=home)))
    if held != list(range(1, len(held) + 1)):
        return f"the register's serials of {document_id} have gaps or repeats"
    if not set(int(s) for s in answered) <= set(held):
        return "a serial given to a clerk is not in the register"
    return None


def verify(home: Path) -> tuple[bool, str]:
    """``mijian register verify`` on the office: (passed, its last line)."""
    done = subprocess.run([sys.executable, "-m", "mijian", "register", "verify"], env=env(home), cwd=ROOT,
                          capture_output=True, text=True)
    lines = (done.stdout + done.stderr).strip().splitlines()
    return done.returncode == 0, lines[-1] if lines else f"exit {done.returncode}"
