"""Hostile, broken and odd drafts through the real command line, under time and memory limits.

Every file of the shared malformed corpus goes through ``mijian classify`` and ``mijian
trace``, and a sample of them through ``mijian issue``; so do drafts generated here (empty,
truncated, renamed, password-protected, zip and entity bombs, 50,000 pages, a 30000x30000
image, 60 MB of text, NUL bytes). Each run is a CLI process with an address-space limit of
1 GiB (``RLIMIT_AS``) and a limit of 10 s of CPU time, 20 s for a trace (``RLIMIT_CPU``, and
the CPU time the run and its children used, measured by ``wait4``, must stay below it), in an
empty working folder. CPU time, not wall-clock time, is what a hostile draft can inflate and what the limit
is about: it does not grow when other processes keep the cores busy, so a loaded machine does
not decide the outcome. A generous wall-clock backstop (300 s) only ends a run that hangs
without using CPU.

The contract checked for every run: exit 0 or exit 3; on exit 3 exactly one line on stderr
starting ``mijian:``; never a traceback; nothing written to the working folder or to
``--out``; and ``MIJIAN_HOME`` not even created when the draft is rejected before issuing.

Speed: ``issue`` runs and the generated drafts use one ``python -m pipeline.cli`` process
each, spread over the cores. The ~300 corpus ``classify`` and ``trace`` runs go through small
batch helpers instead (one per core): one interpreter imports mijian and classifies a sample once, then forks a
child per file that sets the same address-space limit, points stdout and stderr at files and
calls ``pipeline.cli.main()`` exactly as the console script does; the child's CPU limit is
the run's less a start-up allowance (the interpreter start-up it was spared), which is added
back to the CPU time it reports. That keeps the whole corpus to a few seconds instead of a
minute or two of interpreter start-ups.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import msoffcrypto.format.ooxml
import pymupdf
import pytest

from tests.conftest import CORPUS, ROOT, SAMPLES

CPU_LIMIT = 10.0
"""CPU seconds (user and system, the run's own and its children's) a run may use."""
TRACE_CPU_LIMIT = 20.0
"""CPU seconds a ``trace`` run may use: it renders up to four pages and decodes two
fingerprints on each, partly on more than one thread, so its CPU time can exceed its wall
time. The corpus file ``qpdf_i202_deepdict.pdf`` counted 10.2 s of CPU (start-up allowance
included) in 8.8 s of wall time with the load average at 3, and 10.3 s in 56 s with it at 13:
within the old 10 s wall-clock limit on a quiet machine, over 10 s of CPU on any."""
WALL_BACKSTOP = 300.0
"""Wall-clock seconds after which a run that is still going is killed anyway: a hang that
uses no CPU. Far above any run on a busy machine; the contract is checked on CPU time."""
MEMORY = 1024 ** 3
MALFORMED = CORPUS / "malformed"
CORPUS_FILES = (sorted(p.name for p in MALFORMED.iterdir() if p.name != "SOURCES.tsv")
                if MALFORMED.is_dir() else [])
NO_CORPUS = f"the shared malformed corpus is not at {MALFORMED}"
JOBS = max(2, os.cpu_count() or 2)


# --- running the CLI ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """One finished CLI run and what it left behind."""

    args: tuple[str, ...]
    code: int
    stdout: str
    stderr: str
    cpu_seconds: float
    wall_seconds: float
    peak_rss: int
    timed_out: bool
    """Killed by the CPU limit (``SIGXCPU``, or ``SIGKILL`` at the hard limit) or by the
    wall-clock backstop."""
    home_exists: bool
    out_files: tuple[str, ...]
    stray_files: tuple[str, ...]

    def describe(self) -> str:
        return (f"mijian {' '.join(self.args)} -> exit {self.code} after {self.cpu_seconds:.1f} "
                f"s of CPU ({self.wall_seconds:.1f} s wall), peak {self.peak_rss // 2**20} MiB"
                f"{', killed at a limit' if self.timed_out else ''}; "
                f"stderr: {self.stderr[-1500:]!r}")


def cpu_rlimit(seconds: float) -> tuple[int, int]:
    """``RLIMIT_CPU`` (soft, hard) for a run allowed ``seconds`` of CPU: the soft limit a
    second past it (so a run just over is measured and reported, not cut at the edge), the
    hard one (``SIGKILL``) a second later."""
    soft = math.ceil(seconds) + 1
    return soft, soft + 1


def cpu_of(usage: resource.struct_rusage) -> float:
    """User and system CPU seconds of a finished process and the children it waited for."""
    return usage.ru_utime + usage.ru_stime


def killed_at_limit(status: int) -> bool:
    """Whether a wait status is that of a process the CPU limit killed."""
    return os.WIFSIGNALED(status) and os.WTERMSIG(status) in (signal.SIGXCPU, signal.SIGKILL)


def cpu_limit(args: tuple[str, ...]) -> float:
    """The CPU seconds a run of ``mijian ARGS`` may use."""
    return TRACE_CPU_LIMIT if args[:1] == ("trace",) else CPU_LIMIT


def _limits(seconds: float | None = None) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))
    resource.setrlimit(resource.RLIMIT_CPU, cpu_rlimit(CPU_LIMIT if seconds is None else seconds))
    os.setsid()  # own process group: the backstop kills anything it started too


def run_cli(*args: str, home: Path | None = None, out: Path | None = None,
            env: dict[str, str] | None = None) -> Run:
    """Run ``python -m pipeline.cli ARGS`` under the limits, in a fresh empty working folder.

    ``out`` is the folder passed as ``--out`` (the caller includes it in ``args``).
    """
    with tempfile.TemporaryDirectory(prefix="mijian-hostile-") as tmp:
        cwd = Path(tmp) / "cwd"
        cwd.mkdir()
        home = home or Path(tmp) / "home"
        full_env = dict(os.environ, MIJIAN_HOME=str(home), PYTHONPATH=str(ROOT),
                        PYTHONDONTWRITEBYTECODE="1", **(env or {}))
        with tempfile.TemporaryFile() as so, tempfile.TemporaryFile() as se:
            start = time.monotonic()
            proc = subprocess.Popen([sys.executable, "-m", "mijian", *args], cwd=cwd,
                                    env=full_env, stdin=subprocess.DEVNULL, stdout=so, stderr=se,
                                    preexec_fn=lambda: _limits(cpu_limit(args)))
            timed_out = False
            while True:
                pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
                if pid:
                    break
                if time.monotonic() - start > WALL_BACKSTOP:
                    timed_out = True
                    os.killpg(proc.pid, signal.SIGKILL)
                    pid, status, usage = os.wait4(proc.pid, 0)
                    break
                time.sleep(0.02)
            wall = time.monotonic() - start
            timed_out = timed_out or killed_at_limit(status)
            proc.returncode = code = os.waitstatus_to_exitcode(status)
            so.seek(0)
            se.seek(0)
            stdout = so.read().decode("utf-8", "replace")
            stderr = se.read().decode("utf-8", "replace")
        out_files = tuple(sorted(str(p.relative_to(out)) for p in out.rglob("*"))) \
            if out is not None and out.exists() else ()
        stray = tuple(sorted(str(p.relative_to(cwd)) for p in cwd.rglob("*")))
        return Run(tuple(args), code, stdout, stderr, cpu_of(usage), wall,
                   usage.ru_maxrss * 1024, timed_out, home.exists(), out_files, stray)


def assert_contract(run: Run) -> None:
    """Exit 0 or 3, within the CPU and memory limits, no traceback, one line on exit 3,
    nothing stray."""
    assert not run.timed_out, "over the CPU limit or hung: " + run.describe()
    assert run.cpu_seconds < cpu_limit(run.args) and run.peak_rss < MEMORY, run.describe()
    assert "Traceback" not in run.stderr and "Traceback" not in run.stdout, run.describe()
    assert run.code in (0, 3), run.describe()
    assert not run.stray_files, f"wrote {run.stray_files} into the working folder"
    if run.code == 3:
        lines = run.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("mijian: "), run.describe()
        if "--json" in run.args:  # stdout: the error as one object, nothing else
            shown = {"error": lines[0].removeprefix("mijian: "), "exit": 3}
            assert json.loads(run.stdout) == shown, run.describe()
        else:
            assert run.stdout == "", run.describe()


def assert_rejected(run: Run, *phrases: str) -> None:
    """Exit 3 with one line naming every phrase; nothing written, MIJIAN_HOME not created."""
    assert_contract(run)
    assert run.code == 3, run.describe()
    for phrase in phrases:
        assert phrase in run.stderr, f"{phrase!r} not in: {run.stderr!r}"
    assert not run.home_exists, "MIJIAN_HOME was created for a rejected draft"
    assert not run.out_files, f"wrote {run.out_files} to --out for a rejected draft"


# Run by ``python -c`` with the path of a JSON job list; prints one JSON result per job.
BATCH_HELPER = r"""
import io, json, os, resource, signal, sys, time, traceback
from contextlib import redirect_stdout
jobs_path, memory, cpu, wall, warm = (sys.argv[1], int(sys.argv[2]), int(sys.argv[3]),
                                      float(sys.argv[4]), sys.argv[5])
from mijian import pipeline  # noqa: F401
import mijian.pipeline.cli
sys.argv = ["mijian", "classify", warm]
with redirect_stdout(io.StringIO()):
    try:
        pipeline.cli.main()  # imports and loads everything a classify run needs, once
    except SystemExit:
        pass
for job in json.load(open(jobs_path)):
    sys.stdout.flush()
    sys.stderr.flush()
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:
        code = 70
        try:
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
            resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
            os.chdir(job["cwd"])
            os.environ.update(job["env"])
            for fd, name in ((1, job["stdout"]), (2, job["stderr"])):
                os.dup2(os.open(name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), fd)
            sys.argv = ["mijian", *job["args"]]
            try:
                pipeline.cli.main()
                code = 0
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except BaseException:
            traceback.print_exc()
            code = 70
        finally:
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            finally:
                os._exit(code)
    timed_out = False
    while True:
        done, status, usage = os.wait4(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() - start > wall:
            timed_out = True
            os.kill(pid, signal.SIGKILL)
            done, status, usage = os.wait4(pid, 0)
            break
        time.sleep(0.005)
    killed = os.WIFSIGNALED(status) and os.WTERMSIG(status) in (signal.SIGXCPU, signal.SIGKILL)
    print(json.dumps({"code": os.waitstatus_to_exitcode(status), "rss": usage.ru_maxrss * 1024,
                      "cpu": usage.ru_utime + usage.ru_stime, "wall": time.monotonic() - start,
                      "timed_out": timed_out or killed}), flush=True)
"""
STARTUP_ALLOWANCE = 1.5
"""CPU seconds of interpreter start-up a forked batch run is spared: taken off its CPU limit
and added to the CPU time it reports."""


def run_batch(argument_lists: list[tuple[str, ...]], home: Path | None = None) -> list[Run]:
    """Run many CLI invocations through forking batch helpers, one per core, in list order.

    Each run gets its own MIJIAN_HOME, or with ``home`` each helper one shared folder under it.
    """
    chunks = [list(range(n, len(argument_lists), JOBS)) for n in range(JOBS)]
    with ThreadPoolExecutor(max_workers=JOBS) as pool:
        parts = list(pool.map(
            lambda n: _run_batch_chunk([argument_lists[i] for i in chunks[n]],
                                       home / f"helper{n}" if home else None), range(JOBS)))
    runs: list[Run | None] = [None] * len(argument_lists)
    for chunk, part in zip(chunks, parts):
        for index, run in zip(chunk, part):
            runs[index] = run
    return runs  # type: ignore[return-value]


def _run_batch_chunk(argument_lists: list[tuple[str, ...]], home: Path | None) -> list[Run]:
    if not argument_lists:
        return []
    with tempfile.TemporaryDirectory(prefix="mijian-batch-") as tmp:
        folder = Path(tmp)
        jobs = []
        for number, args in enumerate(argument_lists):
            job = folder / str(number)
            (job / "cwd").mkdir(parents=True)
            jobs.append({"args": list(args), "cwd": str(job / "cwd"),
                         "env": {"MIJIAN_HOME": str(home or job / "home")},
                         "stdout": str(job / "stdout"), "stderr": str(job / "stderr")})
        (folder / "jobs.json").write_text(json.dumps(jobs), encoding="utf-8")
        env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONDONTWRITEBYTECODE="1")
        helper = subprocess.run(
            [sys.executable, "-c", BATCH_HELPER, str(folder / "jobs.json"), str(MEMORY),
             str(cpu_rlimit(max(map(cpu_limit, argument_lists)) - STARTUP_ALLOWANCE)[0]),
             str(WALL_BACKSTOP),
             str(SAMPLES / "zh_notice_secret.pdf")],
            cwd=folder, env=env, capture_output=True, text=True,
            timeout=WALL_BACKSTOP * (1 + len(jobs)))  # a backstop only: each run has its own
        results = [json.loads(line) for line in helper.stdout.splitlines()]
        assert helper.returncode == 0 and len(results) == len(jobs), \
            f"the batch helper failed (exit {helper.returncode}): {helper.stderr[-2000:]}"
        runs = []
        for args, job, result in zip(argument_lists, jobs, results):
            cwd, job_home = Path(job["cwd"]), Path(job["env"]["MIJIAN_HOME"])
            runs.append(Run(
                tuple(args), result["code"], Path(job["stdout"]).read_text("utf-8", "replace"),
                Path(job["stderr"]).read_text("utf-8", "replace"),
                result["cpu"] + STARTUP_ALLOWANCE, result["wall"], result["rss"],
                result["timed_out"],
                job_home.exists(), (), tuple(sorted(str(p.relative_to(cwd))
                                                    for p in cwd.rglob("*")))))
        return runs


def run_all(jobs: list[tuple]) -> list[Run]:
    """Run ``(args, kwargs)`` jobs on every core, in order of the list."""
    with ThreadPoolExecutor(max_workers=JOBS) as pool:
        return list(pool.map(lambda job: run_cli(*job[0], **job[1]), jobs))


@pytest.fixture(scope="module")
def recipients(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One recipient: the limits are about the draft, not about how many copies are made."""
    lines = (SAMPLES / "recipients.csv").read_text(encoding="utf-8").splitlines()
    path = tmp_path_factory.mktemp("recipients") / "one.csv"
    path.write_text("\n".join(lines[:2]) + "\n", encoding="utf-8")
    return path


def issue_job(draft: Path, recipients: Path, folder: Path, **env: str) -> tuple:
    out = folder / f"out-{draft.name}"
    return (("issue", str(draft), "--recipients", str(recipients), "--out", str(out)),
            {"out": out, "env": env or None})


# --- the malformed corpus -------------------------------------------------------------------------

# Files whose verdict is known: a rejection must say this (the rest may read or be refused).
CORPUS_REJECTIONS = {
    "derived_docx_as_pdf.pdf": "named .pdf",
    "derived_pdf_as_docx.docx": "named .docx",
    "derived_trunc_half.pdf": "truncated",
    "derived_trunc_60.docx": "truncated",
    "plumb_empty_0byte.pdf": "empty",
    "poi_enc_pw_pass.docx": "password",
    "poi_enc_agile_default.docx": "password",
    "poi_enc_pw_solrcell.docx": "password",
    "poi_xxe_entity.docx": "DOCTYPE or ENTITY",
    "poi_word6.doc": "unsupported file type",
    "poi_macro.docm": "unsupported file type",
    "pypdf_enc_r6_both.pdf": "password",
    "pypdf_enc_r2_user.pdf": "password",
    "qpdf_enc_xi_longpw.pdf": "password",
    "pdfjs_enc_utf8pw_i6010.pdf": "password",
    "pdfium_enc_r6_latin.pdf": "password",
    "qpdf_bad01_notpdf.pdf": "not a PDF",
}


@pytest.fixture(scope="module")
def corpus_runs() -> dict[str, Run]:
    """``mijian classify`` of every corpus file, run once, spread over the cores."""
    if not CORPUS_FILES:
        pytest.skip(NO_CORPUS)
    runs = run_batch([("classify", str(MALFORMED / name)) for name in CORPUS_FILES])
    return dict(zip(CORPUS_FILES, runs))


@pytest.mark.parametrize("name", CORPUS_FILES or [pytest.param(None, marks=pytest.mark.skip(
    reason=NO_CORPUS))])
def test_corpus_file_classifies_or_is_refused_in_one_line(name: str, corpus_runs) -> None:
    run = corpus_runs[name]
    assert_contract(run)
    assert not run.home_exists, "classify must not create MIJIAN_HOME"
    if run.code == 0:
        assert run.stderr == "" and "Suggested grade" in run.stdout, run.describe()
    if name in CORPUS_REJECTIONS:
        assert_rejected(run, CORPUS_REJECTIONS[name])


@pytest.fixture(scope="module")
def corpus_trace_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    """``mijian trace`` of every corpus file (a leaked copy is just as untrusted as a draft)."""
    if not CORPUS_FILES:
        pytest.skip(NO_CORPUS)
    home = tmp_path_factory.mktemp("trace") / "home"
    runs = run_batch([("trace", str(MALFORMED / name), "--json") for name in CORPUS_FILES],
                     home=home)
    return dict(zip(CORPUS_FILES, runs))


@pytest.mark.parametrize("name", CORPUS_FILES or [pytest.param(None, marks=pytest.mark.skip(
    reason=NO_CORPUS))])
def test_corpus_file_traces_or_is_refused_in_one_line(name: str, corpus_trace_runs) -> None:
    run = corpus_trace_runs[name]
    assert_contract(run)
    if run.code == 0:
        assert json.loads(run.stdout)["verdict"] != "identified", run.describe()


def test_corpus_summary(corpus_runs) -> None:
    """The corpus as a whole: both outcomes occur and every listed rejection is present."""
    codes = {run.code for run in corpus_runs.values()}
    assert codes <= {0, 3} and codes == {0, 3}
    assert set(CORPUS_REJECTIONS) <= set(corpus_runs)


# Readable oddities (repaired xref, CJK encodings, empty user password, stored zip, ruby text)
# and files refused at reading (encrypted, count overflow, entity, truncated).
ISSUE_SAMPLE = [
    "qpdf_bad03_xrefoffset.pdf", "qpdf_leading_junk.pdf", "pdfjs_cjk_xiaobiaosong.pdf",
    "pypdf_enc_r6_owner.pdf", "pdfminer_evil_xobjects.pdf", "poi_stored_zip.docx",
    "poi_ruby_ja.docx", "pydocx_oddeven_hdr.docx", "poi_enc_pw_pass.docx",
    "pdfjs_count_huge_p67295.pdf", "poi_xxe_entity.docx", "derived_trunc_half.pdf",
    "pypdf_enc_r4aes_user.pdf", "qpdf_i147_memerr.pdf", "pdfjs_ccitt_p90.pdf",
    "qpdf_eof_inline_img.pdf", "poi_dup_zip_entry.docx",
]


@pytest.fixture(scope="module")
def corpus_issue_runs(recipients: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    if not CORPUS_FILES:
        pytest.skip(NO_CORPUS)
    folder = tmp_path_factory.mktemp("issue-corpus")
    names = list(ISSUE_SAMPLE)
    runs = run_all([issue_job(MALFORMED / name, recipients, folder) for name in names])
    return dict(zip(names, runs))


def _assert_issue_outcome(run: Run) -> None:
    assert_contract(run)
    if run.code == 3:
        assert_rejected(run)
        return
    assert run.home_exists
    files = set(run.out_files)
    assert {"manifest.json", "passwords.csv"} <= files, run.out_files
    copies = [f for f in files if f.startswith("00000")]
    leftovers = [f for f in files if f.startswith(".") or f.endswith((".partial", ".tmp", ".part"))]
    assert len(copies) == 1 and not leftovers, run.out_files


@pytest.mark.parametrize("name", ISSUE_SAMPLE if CORPUS_FILES else [pytest.param(
    None, marks=pytest.mark.skip(reason=NO_CORPUS))])
def test_corpus_sample_issues_or_is_refused(name: str, corpus_issue_runs) -> None:
    run = corpus_issue_runs[name]
    _assert_issue_outcome(run)
    if name in CORPUS_REJECTIONS:
        assert run.code == 3 and CORPUS_REJECTIONS[name] in run.stderr, run.describe()


# --- generated hostile drafts --------------------------------------------------------------------


def _rezip(source: bytes, replace: dict[str, bytes], *, add: dict[str, bytes] | None = None,
           level: int = 6) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(source)) as old, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as new:
        for info in old.infolist():
            new.writestr(info.filename, replace.get(info.filename, old.read(info)))
        for name, data in (add or {}).items():
            new.writestr(name, data)
    return out.getvalue()


def _raw_pdf(objects: dict[int, bytes], root: int = 1) -> bytes:
    """A PDF from numbered object bodies, with a correct xref table and trailer."""
    out = bytearray(b"%PDF-1.4\n")
    offsets: dict[int, int] = {}
    for number in sorted(objects):
        offsets[number] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (number, objects[number])
    size = max(objects) + 1
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    out += b"".join(b"%010d 00000 n \n" % offsets[n] if n in offsets else b"0000000000 65535 f \n"
                    for n in range(1, size))
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, root, xref)
    return bytes(out)


def _stream(data: bytes, extra: bytes = b"") -> bytes:
    return b"<< /Length %d %s>>\nstream\n%s\nendstream" % (len(data), extra, data)


FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
TEXT = b"BT /F1 12 Tf 72 720 Td (SECRET: deployment schedule of the command post) Tj ET"


def many_pages_pdf(pages: int) -> bytes:
    """``pages`` real page objects sharing one content stream and one font."""
    objects = {1: b"<< /Type /Catalog /Pages 2 0 R >>",
               2: b"<< /Type /Pages /Count %d /Kids [%s] >>" % (
                   pages, b" ".join(b"%d 0 R" % (5 + i) for i in range(pages))),
               3: _stream(TEXT), 4: FONT}
    page = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 3 0 R "
            b"/Resources << /Font << /F1 4 0 R >> >> >>")
    objects.update({5 + i: page for i in range(pages)})
    return _raw_pdf(objects)


def huge_image_pdf(side: int, text: bool) -> bytes:
    """One page showing a ``side`` x ``side`` RGB image whose flate stream holds one row."""
    pixels = zlib.compress(b"\x00" * side * 3, 9)
    content = (TEXT + b" " if text else b"") + b"q 400 0 0 400 100 100 cm /Im1 Do Q"
    return _raw_pdf({
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: b"<< /Type /Pages /Count 1 /Kids [3 0 R] >>",
        3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
           b"/Resources << /Font << /F1 5 0 R >> /XObject << /Im1 6 0 R >> >> >>",
        4: _stream(content), 5: FONT,
        6: _stream(pixels, b"/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace "
                           b"/DeviceRGB /BitsPerComponent 8 /Filter /FlateDecode " % (side, side)),
    })


def _document_xml(docx_bytes: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(docx_bytes)) as archive:
        return archive.read("word/document.xml")


def billion_laughs(body_xml: bytes, *, hide: bool = False) -> bytes:
    """``body_xml`` with a nine-level entity bomb declared and used in its first ``w:t``.

    ``hide`` puts a comment that looks like a root element first and pads the DTD past 8 KB.
    """
    declaration, rest = body_xml.split(b"?>", 1)
    entities = b'<!ENTITY lol0 "lol">' + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, b"&lol%d;" % (i - 1) * 10) for i in range(1, 10))
    padding = b" " * 9000 if hide else b""
    prolog = (b"<!-- <Alpha> -->" if hide else b"") + b"<!DOCTYPE w:document [" + padding + \
        entities + b"]>"
    return declaration + b"?>" + prolog + rest.replace(b"<w:t>", b"<w:t>&lol9;", 1)


def zip_bomb_lying_sizes(docx_bytes: bytes) -> bytes:
    """A DOCX whose document part inflates to 40 MB but whose headers claim 40 KB."""
    xml = _document_xml(docx_bytes)
    bomb = xml.replace(b"<w:body>", b"<w:body>" + b" " * (40 * 2**20), 1)
    data = bytearray(_rezip(docx_bytes, {"word/document.xml": bomb}, level=9))
    real = len(bomb).to_bytes(4, "little")
    claimed = (40 * 1024).to_bytes(4, "little")
    at = 0
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = 0
        while (at := data.find(signature, at)) >= 0:
            if data[at + offset:at + offset + 4] == real:
                data[at + offset:at + offset + 4] = claimed
            at += 4
    assert bytes(data).count(claimed) == 2
    return bytes(data)


def zip_with_members(docx_bytes: bytes, count: int) -> bytes:
    return _rezip(docx_bytes, {}, add={f"customXml/item{i}.bin": b"" for i in range(count)})


def xml_part_under_another_name(docx_bytes: bytes) -> bytes:
    """The main document moved to ``word/main.dat`` (content type by Override), with a bomb."""
    with zipfile.ZipFile(io.BytesIO(docx_bytes)) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    main = billion_laughs(parts.pop("word/document.xml"))
    rels = parts.pop("word/_rels/document.xml.rels")
    types = parts["[Content_Types].xml"].replace(b'PartName="/word/document.xml"',
                                                 b'PartName="/word/main.dat"')
    parts["[Content_Types].xml"] = types
    parts["_rels/.rels"] = parts["_rels/.rels"].replace(b"word/document.xml", b"word/main.dat")
    parts["word/_rels/main.dat.rels"] = rels
    parts["word/main.dat"] = main
    parts["word/document.xml"] = _document_xml(docx_bytes)  # an innocent decoy
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as new:
        for name, data in parts.items():
            new.writestr(name, data)
    return out.getvalue()


def deeply_nested(docx_bytes: bytes, depth: int) -> bytes:
    xml = _document_xml(docx_bytes)
    nest = b"<w:sdt><w:sdtContent>" * depth + b"</w:sdtContent></w:sdt>" * depth
    return _rezip(docx_bytes, {"word/document.xml": xml.replace(b"<w:body>", b"<w:body>" + nest, 1)})


def encrypted_pdf(pdf_bytes: bytes) -> bytes:
    doc = pymupdf.open(stream=pdf_bytes, filetype="pdf")
    try:
        return doc.tobytes(encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="u-secret",
                           owner_pw="o-secret")
    finally:
        doc.close()


def encrypted_docx(docx_bytes: bytes) -> bytes:
    out = io.BytesIO()
    msoffcrypto.format.ooxml.OOXMLFile(io.BytesIO(docx_bytes)).encrypt("d-secret", out)
    return out.getvalue()


def big_text(path: Path, size: int) -> None:
    line = ("机密 通知 严格控制知悉范围 deployment schedule " * 4 + "\n").encode()
    with path.open("wb") as stream:
        for _ in range(size // len(line) + 1):
            stream.write(line)


# name -> (file name, maker(pdf, docx, path) -> bytes or None when it wrote the file, phrases)
GENERATED = {
    "zero-byte pdf": ("empty.pdf", lambda p, d, f: b"", ["empty"]),
    "zero-byte docx": ("empty.docx", lambda p, d, f: b"", ["empty"]),
    "zero-byte txt": ("empty.txt", lambda p, d, f: b"", ["empty"]),
    "pdf cut in half": ("half.pdf", lambda p, d, f: p[: len(p) // 2], ["truncated"]),
    "pdf missing its last tenth": ("tail.pdf", lambda p, d, f: p[: len(p) * 9 // 10],
                                   ["truncated"]),
    "docx cut in half": ("half.docx", lambda p, d, f: d[: len(d) // 2], ["truncated"]),
    "docx missing its last tenth": ("tail.docx", lambda p, d, f: d[: len(d) * 9 // 10],
                                    ["truncated"]),
    "docx named .pdf": ("renamed.pdf", lambda p, d, f: d, ["named .pdf", "ZIP"]),
    "pdf named .docx": ("renamed.docx", lambda p, d, f: p, ["named .docx", "PDF"]),
    "pdf named .txt": ("renamed-pdf.txt", lambda p, d, f: p, ["named .txt", "PDF"]),
    "plain-ascii pdf named .txt": ("ascii-pdf.txt", lambda p, d, f: many_pages_pdf(1),
                                   ["named .txt", "PDF"]),
    "docx named .txt": ("renamed-docx.txt", lambda p, d, f: d, ["named .txt", "ZIP"]),
    "text named .pdf": ("text.pdf", lambda p, d, f: "机密文件".encode(), ["not a PDF"]),
    "text named .docx": ("text.docx", lambda p, d, f: "机密文件".encode(), ["not a Word"]),
    "legacy extension .doc": ("draft.doc", lambda p, d, f: d, ["unsupported file type"]),
    "password-protected pdf": ("locked.pdf", lambda p, d, f: encrypted_pdf(p), ["password"]),
    "password-protected docx": ("locked.docx", lambda p, d, f: encrypted_docx(d), ["password"]),
    "docx zip bomb": ("bomb.docx", lambda p, d, f: _rezip(d, {"word/document.xml": _document_xml(
        d).replace(b"<w:body>", b"<w:body>" + b" " * (20 * 2**20), 1)}, level=9),
        ["zip bomb", "MIJIAN_MAX_ZIP_RATIO"]),
    "docx zip bomb lying about sizes": ("liar.docx", lambda p, d, f: zip_bomb_lying_sizes(d),
                                        ["damaged"]),
    "docx with 5000 members": ("members.docx", lambda p, d, f: zip_with_members(d, 5000),
                               ["members", "MIJIAN_MAX_ZIP_ENTRIES"]),
    "xml entity bomb": ("laughs.docx", lambda p, d, f: _rezip(d, {
        "word/document.xml": billion_laughs(_document_xml(d))}), ["DOCTYPE or ENTITY"]),
    "entity bomb behind a comment and 9 KB of padding": ("hidden.docx", lambda p, d, f: _rezip(
        d, {"word/document.xml": billion_laughs(_document_xml(d), hide=True)}),
        ["DOCTYPE or ENTITY"]),
    "entity bomb in a part not named .xml": ("renamed-part.docx",
                                             lambda p, d, f: xml_part_under_another_name(d),
                                             ["DOCTYPE or ENTITY"]),
    "xml nested 100000 deep": ("deep.docx", lambda p, d, f: deeply_nested(d, 100_000), []),
    "pdf with 50000 pages": ("pages.pdf", lambda p, d, f: many_pages_pdf(50_000),
                             ["50000 pages", "MIJIAN_MAX_PAGES"]),
    "30000x30000 image and no text": ("scan.pdf", lambda p, d, f: huge_image_pdf(30_000, False),
                                      ["no extractable text"]),
    "60 MB of text": ("big.txt", lambda p, d, f: big_text(f, 60 * 2**20),
                      ["MIJIAN_MAX_FILE_BYTES"]),
    "NUL bytes at the start": ("nul.txt", lambda p, d, f: "机密\x00文件".encode(), ["NUL"]),
    "NUL byte after 30 KB": ("late-nul.txt", lambda p, d, f: "机密文件内容 ".encode() * 2000
                             + b"\x00", ["NUL"]),
    "UTF-16 text": ("utf16.txt", lambda p, d, f: "机密文件内容".encode("utf-16"), ["UTF-16"]),
    "Latin-1 text": ("latin1.txt", lambda p, d, f: "Geheim: café".encode("latin-1"),
                     ["not UTF-8"]),
}


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("generated")
    pdf = (SAMPLES / "zh_notice_secret.pdf").read_bytes()
    docx_bytes = (SAMPLES / "en_memo_secret.docx").read_bytes()
    paths = {}
    for case, (name, make, _) in GENERATED.items():
        path = folder / name
        data = make(pdf, docx_bytes, path)
        if data is not None:
            path.write_bytes(data)
        paths[case] = path
    return paths


@pytest.fixture(scope="module")
def generated_runs(generated: dict[str, Path], recipients: Path,
                   tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Run, Run]]:
    """``classify`` and ``issue`` of every generated draft."""
    folder = tmp_path_factory.mktemp("issue-generated")
    cases = list(generated)
    jobs = [(("classify", str(generated[c])), {}) for c in cases]
    jobs += [issue_job(generated[c], recipients, folder) for c in cases]
    runs = run_all(jobs)
    return {case: (runs[i], runs[len(cases) + i]) for i, case in enumerate(cases)}


@pytest.mark.parametrize("case", list(GENERATED))
def test_generated_hostile_draft_is_refused(case: str, generated_runs) -> None:
    classify, issue = generated_runs[case]
    phrases = GENERATED[case][2]
    assert_rejected(classify, *phrases)
    assert_rejected(issue, *phrases)


def test_huge_image_with_text_reads_and_issues_within_limits(tmp_path: Path, recipients: Path) -> None:
    """A 30000x30000 image (2.7 GB of pixels, 1 KB on disk) is never decoded to read text."""
    draft = tmp_path / "image.pdf"
    draft.write_bytes(huge_image_pdf(30_000, text=True))
    classify, issue = run_all([(("classify", str(draft)), {}),
                               issue_job(draft, recipients, tmp_path)])
    assert_contract(classify)
    assert classify.code == 0, classify.describe()
    _assert_issue_outcome(issue)
    assert issue.code == 0, issue.describe()


def test_limits_are_raised_and_lowered_through_the_environment(tmp_path: Path) -> None:
    bomb = tmp_path / "roomy.docx"
    docx_bytes = (SAMPLES / "en_memo_secret.docx").read_bytes()
    bomb.write_bytes(_rezip(docx_bytes, {"word/document.xml": _document_xml(docx_bytes).replace(
        b"<w:body>", b"<w:body>" + b" " * (4 * 2**20), 1)}, level=9))
    pdf = str(SAMPLES / "zh_notice_secret.pdf")
    default, raised, pages, size, bad = run_all([
        (("classify", str(bomb)), {}),
        (("classify", str(bomb)), {"env": {"MIJIAN_MAX_ZIP_RATIO": "100000"}}),
        (("classify", pdf), {"env": {"MIJIAN_MAX_PAGES": "1"}}),
        (("classify", pdf), {"env": {"MIJIAN_MAX_FILE_BYTES": "1000"}}),
        (("classify", pdf), {"env": {"MIJIAN_MAX_PAGES": "many"}}),
    ])
    assert_rejected(default, "MIJIAN_MAX_ZIP_RATIO")
    assert_contract(raised)
    assert raised.code == 0, raised.describe()
    assert_rejected(pages, "MIJIAN_MAX_PAGES")
    assert_rejected(size, "MIJIAN_MAX_FILE_BYTES")
    assert bad.code == 2 and "MIJIAN_MAX_PAGES" in bad.stderr and "Traceback" not in bad.stderr


def _tree_digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_rejected_drafts_leave_an_existing_register_untouched(
        tmp_path: Path, recipients: Path, generated: dict[str, Path]) -> None:
    home = tmp_path / "home"
    first = run_cli("issue", str(SAMPLES / "en_press_release.txt"), "--recipients",
                    str(recipients), "--out", str(tmp_path / "first"), home=home,
                    out=tmp_path / "first")
    assert first.code == 0, first.describe()
    before = _tree_digest(home)
    cases = ["pdf cut in half", "password-protected docx", "xml entity bomb",
             "pdf with 50000 pages", "docx zip bomb", "NUL bytes at the start"]
    jobs = []
    for case in cases:
        out = tmp_path / f"out-{case.replace(' ', '-')}"
        jobs.append((("issue", str(generated[case]), "--recipients", str(recipients), "--out",
                      str(out)), {"home": home, "out": out}))
    for case, run in zip(cases, run_all(jobs)):
        assert_contract(run)
        assert run.code == 3 and not run.out_files, (case, run.describe())
    assert _tree_digest(home) == before, "the register or keys changed"


def test_html_part_with_a_doctype_is_not_taken_for_an_entity_attack(tmp_path: Path) -> None:
    """Only XML parts are held to the no-DOCTYPE rule: an HTML alternative-format chunk
    (content type text/html, never parsed) may start with ``<!DOCTYPE html>``."""
    from mijian.pipeline.readers import read_document

    source = (SAMPLES / "en_memo_secret.docx").read_bytes()
    types = zipfile.ZipFile(io.BytesIO(source)).read("[Content_Types].xml").replace(
        b"</Types>", b'<Default Extension="htm" ContentType="text/html"/></Types>')
    draft = tmp_path / "chunk.docx"
    draft.write_bytes(_rezip(source, {"[Content_Types].xml": types},
                             add={"word/afchunk.htm": b"<!DOCTYPE html><html><p>x</p></html>"}))
    assert "MEMORANDUM" in read_document(draft).text


def test_leaked_pdf_whose_trailer_points_past_its_objects(tmp_path: Path) -> None:
    """A damaged /Info reference means no token, not an internal error."""
    from mijian.pipeline.limits import DEFAULT_LIMITS
    from mijian.pipeline.formats.pdf.evidence import read_pdf_evidence

    leak = tmp_path / "leak.pdf"
    leak.write_bytes(many_pages_pdf(1).replace(b"/Root 1 0 R >>", b"/Root 1 0 R /Info 999 0 R >>"))
    evidence = read_pdf_evidence(leak, [], DEFAULT_LIMITS)
    assert evidence.opened and evidence.token is None and "SECRET" in evidence.text
    run = run_cli("trace", str(leak), "--json")
    assert_contract(run)
    assert run.code == 0 and json.loads(run.stdout)["verdict"] != "identified", run.describe()


def test_the_cpu_limit_ends_a_run_that_spins(monkeypatch: pytest.MonkeyPatch) -> None:
    """The harness itself: a process under the run limits that never stops is ended by its CPU
    limit (not by a clock), and is reported as such."""
    monkeypatch.setattr(sys.modules[__name__], "CPU_LIMIT", 1.0)
    proc = subprocess.Popen([sys.executable, "-c", "while True: pass"], preexec_fn=_limits)
    _pid, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    assert killed_at_limit(status) and os.WTERMSIG(status) == signal.SIGXCPU, status
    soft, hard = cpu_rlimit(1.0)
    # ended by the soft limit (SIGXCPU once it is passed), before the hard one would SIGKILL it
    assert soft - 0.05 <= cpu_of(usage) < hard, cpu_of(usage)
