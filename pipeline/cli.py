"""The ``mijian`` command line: parse, call one library function, print, map errors to exits.

This is the only module that prints, exits or reads the environment. ``--json`` prints exactly
one JSON object on stdout; human output goes to the terminal; errors are one line on stderr.
Exit codes: 0 ok, 1 other failure, 2 usage, 3 bad input, 4 register or key problem.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from pathlib import Path
from typing import Optional

import typer

from mijian.pipeline.errors import MijianError
from mijian.pipeline.limits import Limits

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="密件 mijian: classify drafts, issue numbered marked encrypted copies, "
                       "keep the register, trace leaks.")
register_app = typer.Typer(no_args_is_help=True, help="The register of copies (登记簿).")
app.add_typer(register_app, name="register")
keys_app = typer.Typer(no_args_is_help=True, help="The office keys in MIJIAN_HOME.")
app.add_typer(keys_app, name="keys")


def _version() -> str:
    """The installed package's version (``unknown`` when run from a bare source tree)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("mijian")
    except PackageNotFoundError:
        return "unknown"


def _show_version(value: bool) -> None:
    if value:
        print(f"mijian {_version()}")
        raise typer.Exit(0)


@app.callback()
def _options(show: bool = typer.Option(False, "--version", is_eager=True, callback=_show_version,
                                       help="print the version and exit")) -> None:
    """密件 mijian: classify drafts, issue numbered marked encrypted copies, keep the register,
    trace leaks."""


def _home() -> Path:
    env = os.environ.get("MIJIAN_HOME")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("mijian"))


def _limits() -> Limits:
    values = {}
    for f in dataclasses.fields(Limits):
        raw = os.environ.get("MIJIAN_" + f.name.upper())
        if raw:
            try:
                values[f.name] = int(raw)
            except ValueError:
                _fail(2, f"MIJIAN_{f.name.upper()}={raw!r} is not a whole number; fix or unset it")
    return Limits(**values)


def _fail(code: int, message: str) -> None:
    print(f"mijian: {message}", file=sys.stderr)
    raise typer.Exit(code)


def _actor() -> str:
    import getpass

    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name in some containers
        return "unknown"


def _emit(obj: dict) -> None:
    print(json.dumps(obj, ensure_ascii=False, indent=2))


def _console():
    from rich.console import Console

    return Console(highlight=False)


def _catalogue(path: Optional[Path]):
    """The catalogue named on the command line, else one in MIJIAN_HOME, else None."""
    from mijian.pipeline.analysis import find_home_catalogue, load_catalogue_file

    if path is not None:
        return load_catalogue_file(path)
    found = find_home_catalogue(_home())
    return load_catalogue_file(found) if found else None


@app.command()
def classify(draft: Path = typer.Argument(..., help="the draft: .pdf, .docx or .txt"),
             scheme: Optional[str] = typer.Option(None, help="cn-state, cn-enterprise, us or uk"),
             catalogue: Optional[Path] = typer.Option(None, help="the office's catalogue of secret matters (保密事项一览表), .toml or .csv"),
             html: Optional[Path] = typer.Option(None, help="also write a self-contained HTML report here"),
             lang: Optional[str] = typer.Option(None, "--lang", help="report language: zh or en (default: the draft's, "
                                                "with bilingual headings)"),
             as_json: bool = typer.Option(False, "--json", help="print the contract's JSON object")) -> None:
    """Suggest a grade for a draft, with its period, confidence, findings and rationale."""
    from mijian.pipeline.analysis import classify_document
    from mijian.pipeline.readers import read_document
    from mijian.pipeline.report import in_language

    if lang not in (None, "zh", "en"):
        _fail(2, f"--lang '{lang}' is not zh or en; give --lang zh or --lang en")
    result = in_language(classify_document(read_document(draft, _limits()), scheme, catalogue=_catalogue(catalogue)), lang)
    if html is not None:
        from mijian.pipeline.html_report import write_html_report

        written = write_html_report(result, html, lang)
        print(f"mijian: HTML report written to {written}", file=sys.stderr)
    if as_json:
        _emit(result.to_json())
        return
    from mijian.pipeline.report import print_classification

    print_classification(_console(), result, lang)


def _stated_period(result) -> Optional[str]:
    """The period the rationale states (a scope or catalogue item's years or ending event) when the
    scheme can mark it, so that the marking, the period shown and the rationale agree; else the
    scheme's period for the level."""
    from mijian.pipeline.errors import UsageError
    from mijian.pipeline.report import in_language
    from mijian.pipeline.schemes import check_period

    stated = in_language(result, result.scheme.language).period
    try:
        return check_period(result.scheme, result.level, stated) if stated else result.period
    except UsageError:
        return result.period


@app.command()
def issue(draft: Path = typer.Argument(..., help="the draft: .pdf, .docx or .txt"),
          recipients: Path = typer.Option(..., help="CSV with id,name[,unit][,email][,public_key]"),
          grade: Optional[str] = typer.Option(None, help="the grade to issue under (default: the suggestion)"),
          period: Optional[str] = typer.Option(None, help="保密期限, e.g. 20年, 6个月, 2030年12月31日, '10 years'"),
          scheme: Optional[str] = typer.Option(None, help="cn-state, cn-enterprise, us or uk"),
          catalogue: Optional[Path] = typer.Option(None, help="the office's catalogue of secret matters (保密事项一览表)"),
          justification: Optional[str] = typer.Option(None, help="why a grade below the suggestion"),
          approver: Optional[str] = typer.Option(None, help="who approved issuing the copies (required for 绝密/TOP SECRET)"),
          out: Optional[Path] = typer.Option(None, help="output folder (default: mijian-out/<document id>)"),
          running: bool = typer.Option(True, "--running/--no-running", help="running header with grade, 份号 and page"),
          as_json: bool = typer.Option(False, "--json", help="print the manifest as JSON")) -> None:
    """Issue one numbered, marked, watermarked, encrypted copy per recipient."""
    from mijian.pipeline.analysis import classify_document
    from mijian.pipeline.decision import decide
    from mijian.pipeline.issuing import document_id_for, issue as issue_copies, preflight
    from mijian.pipeline.office import Office
    from mijian.pipeline.readers import read_document
    from mijian.pipeline.recipients import load_recipients

    limits = _limits()
    document = read_document(draft, limits)
    people = load_recipients(recipients)
    result = classify_document(document, scheme, catalogue=_catalogue(catalogue))
    decision = decide(result.scheme, result.level, _stated_period(result),
                      tuple(result.suggestion.rationale), result.basis,
                      grade=grade, period=period, justification=justification)
    out_dir = out or Path("mijian-out") / document_id_for(document)
    if decision.level >= 4 and not (approver or "").strip():
        _fail(2, f"{decision.grade} copies need the approval of the originating authority "
                 "(绝密件复制须经批准); give --approver NAME")
    preflight(document, decision, out_dir, limits, running)
    with Office.open(_home()) as office:
        done = issue_copies(office, document, decision, people, out_dir, actor=_actor(),
                            limits=limits, running=running, approver=approver)
    manifest = json.loads(done.manifest.read_text(encoding="utf-8"))
    problem = done.problem()
    if as_json:
        # a run that left recipients without a copy says so in the JSON too (never a bare
        # "copies": [] that looks complete); the keys appear only when there is something
        if done.voided:
            manifest["voided"] = [{"serial": v.serial, "copy_id": v.copy_id,
                                   "recipient_id": v.recipient.id, "reason": v.reason}
                                  for v in done.voided]
        if done.unfinished:
            manifest["unfinished"] = [{"recipient_id": r.id, "reason": why}
                                      for r, why in done.unfinished]
        _emit(manifest)
    else:
        from mijian.pipeline.report import print_issue

        print_issue(_console(), done)
    if problem:
        # voided copies: something about the draft or the machine failed (1); copies left
        # pending by another run: the register holds work this run could not finish (4)
        _fail(1 if done.voided else 4, f"the run is incomplete: {problem}")


@app.command()
def trace(leak: Path = typer.Argument(..., help="the leaked copy: .pdf .docx .png .jpg .jpeg .tif .tiff .txt"),
          as_json: bool = typer.Option(False, "--json", help="print the verdict as JSON")) -> None:
    """Name the recipient of a leaked copy with a false-match probability, or say it cannot."""
    from mijian.pipeline.office import Office
    from mijian.pipeline.tracing import trace as trace_leak

    with Office.open(_home()) as office:
        result = trace_leak(office, leak, _limits())
    if as_json:
        _emit(result.to_json())
        return
    from mijian.pipeline.report import print_trace

    print_trace(_console(), result)


@register_app.command("list")
def register_list(document: Optional[str] = typer.Option(None, help="only this document id"),
                  outstanding: bool = typer.Option(False, help="only copies neither returned nor destroyed"),
                  as_json: bool = typer.Option(False, "--json", help="print JSON")) -> None:
    """List registered copies."""
    from mijian.pipeline.office import Office

    with Office.open(_home()) as office:
        copies = office.register.list_copies(document, outstanding)
    if outstanding:  # a voided copy was never made: nobody holds it
        copies = [c for c in copies if c.status != "voided"]
    if as_json:
        _emit({"copies": [c.public() for c in copies]})
        return
    from mijian.pipeline.report import print_copies

    print_copies(_console(), copies)


@register_app.command("show")
def register_show(copy: str = typer.Argument(..., help="the copy id from the manifest"),
                  as_json: bool = typer.Option(False, "--json", help="print JSON")) -> None:
    """Show one copy, its document's decision and its events."""
    from mijian.pipeline.office import Office

    with Office.open(_home()) as office:
        record = office.register.get_copy(copy)
        if record is None:
            _fail(4, f"copy '{copy}' is not in the register at {office.home}; check the id in manifest.json")
        document = office.register.get_document(record.document_id)
        events = [dict(e) for e in office.register.events(copy)]
    for e in events:
        e.pop("signature", None)
        e["detail"] = json.loads(e["detail"])
    doc = dataclasses.asdict(document) if document else None
    if as_json:
        _emit({"copy": record.public(), "document": doc, "events": events})
        return
    from mijian.pipeline.report import print_copy

    print_copy(_console(), record, doc, events)


def _copy_change(verb: str, copy: str, as_json: bool, **kwargs: object) -> None:
    from mijian.pipeline import lifecycle
    from mijian.pipeline.office import Office

    with Office.open(_home()) as office:
        record = getattr(lifecycle, verb)(office, copy, actor=_actor(), **kwargs)
    if as_json:
        _emit({"copy": record.public()})
        return
    print(f"{record.copy_id} 份号 {record.serial} {record.recipient_name}: {record.status}")


@register_app.command("sign")
def register_sign(copy: str = typer.Argument(..., help="copy id"),
                  by: str = typer.Option(..., "--by", help="who signed for it (签收人)"),
                  as_json: bool = typer.Option(False, "--json", help="print JSON")) -> None:
    """Record that the recipient signed for a copy (签收)."""
    _copy_change("sign_for", copy, as_json, by=by)


@register_app.command("return")
def register_return(copy: str = typer.Argument(..., help="copy id"),
                    to: str = typer.Option(..., "--to", help="who received it back (清退接收人)"),
                    as_json: bool = typer.Option(False, "--json", help="print JSON")) -> None:
    """Record that a copy was returned (清退)."""
    _copy_change("return_copy", copy, as_json, to=to)


@register_app.command("destroy")
def register_destroy(copy: str = typer.Argument(..., help="copy id"),
                     approver: str = typer.Option(..., help="who approved the destruction (审批人)"),
                     witness: str = typer.Option(..., help="who witnessed it (监销人)"),
                     method: Optional[str] = typer.Option(None, help="how, e.g. 粉碎 / shredded"),
                     as_json: bool = typer.Option(False, "--json", help="print JSON")) -> None:
    """Record that a copy was destroyed with approval and a witness (销毁)."""
    _copy_change("destroy", copy, as_json, approver=approver, witness=witness, method=method)


@register_app.command("lost")
def register_lost(copy: str = typer.Argument(..., help="copy id"),
                  note: str = typer.Option(..., help="what is known of the loss"),
                  as_json: bool = typer.Option(False, "--json", help="print JSON")) -> None:
    """Record that a copy was lost (遗失)."""
    _copy_change("mark_lost", copy, as_json, note=note)


@register_app.command("void")
def register_void(copy: str = typer.Argument(..., help="copy id of a pending copy"),
                  reason: str = typer.Option(..., "--reason", help="why it is voided (作废原因)"),
                  other_host_gone: bool = typer.Option(False, "--other-host-gone",
                                                       help="the run was on another host that is gone for good"),
                  as_json: bool = typer.Option(False, "--json", help="print JSON")) -> None:
    """Void a pending copy whose issuing run is gone (作废); its serial is never reused."""
    _copy_change("void", copy, as_json, reason=reason, other_host_gone=other_host_gone)


@register_app.command("history")
def register_history(copy: str = typer.Argument(..., help="copy id"),
                     as_json: bool = typer.Option(False, "--json", help="print JSON")) -> None:
    """Every event of one copy, oldest first."""
    from mijian.pipeline.lifecycle import history
    from mijian.pipeline.office import Office

    with Office.open(_home()) as office:
        events = history(office, copy)
    if as_json:
        _emit({"copy_id": copy, "events": events})
        return
    for e in events:
        print(f"#{e['seq']} {e['at']} {e['actor']} {e['action']} "
              + json.dumps(e["detail"], ensure_ascii=False))


@register_app.command("outstanding")
def register_outstanding(document: Optional[str] = typer.Option(None, help="only this document id"),
                         as_json: bool = typer.Option(False, "--json", help="print JSON")) -> None:
    """Copies neither returned nor destroyed."""
    register_list(document=document, outstanding=True, as_json=as_json)


@register_app.command("holders")
def register_holders(document: str = typer.Argument(..., help="document id"),
                     as_json: bool = typer.Option(False, "--json", help="print JSON")) -> None:
    """Who must be told of a change of grade, period or scope (holders of unreturned copies)."""
    from mijian.pipeline.lifecycle import holders
    from mijian.pipeline.office import Office

    with Office.open(_home()) as office:
        found = holders(office, document)
    rows = [dataclasses.asdict(h) for h in found]
    if as_json:
        _emit({"document_id": document, "holders": rows})
        return
    for h in rows:
        print("  ".join(str(v) for v in h.values()))


@register_app.command("verify")
def register_verify(as_json: bool = typer.Option(False, "--json", help="print JSON")) -> None:
    """Check the signed, hash-chained event log and the tables against it (exit 4 if not intact)."""
    from mijian.pipeline.audit import verify_register
    from mijian.pipeline.office import Office

    with Office.open(_home()) as office:
        report = verify_register(office)
    if as_json:
        _emit(dataclasses.asdict(report))
    elif report.ok:
        print(f"register intact: {report.events_checked} events verified (登记簿完整)")
    if not report.ok and report.stale:
        _fail(4, str(report.problem))
    if not report.ok:
        _fail(4, f"register tampered (登记簿被篡改): {report.problem}; restore the latest backup "
                 "and investigate")


@register_app.command("acknowledge-restore")
def register_acknowledge_restore(
        by: str = typer.Option(..., help="the officer who checked and accepts the restored register"),
        reason: str = typer.Option(..., help="why the register was restored"),
        as_json: bool = typer.Option(False, "--json", help="print JSON")) -> None:
    """Accept a restored register (signed event); serials continue above the highest given out."""
    from mijian.pipeline.office import Office
    from mijian.pipeline.register_restore import acknowledge_restore

    with Office.open(_home()) as office:
        done = acknowledge_restore(office, by, reason, _actor())
    if as_json:
        _emit(dataclasses.asdict(done))
        return
    print(f"restore acknowledged by {by} (event {done.seq}, register was {done.state}) (已确认恢复)")
    for document_id, first, last in done.gaps:
        given = f"{first:06d}" if first == last else f"{first:06d}-{last:06d}"
        print(f"  {document_id}: 份号 {given} given out after the backup, not in this register; "
              "serials continue above")


@register_app.command("backup")
def register_backup(dest: Path = typer.Argument(..., help="the backup file to create")) -> None:
    """Take a consistent online copy of the register."""
    from mijian.pipeline.audit import backup_register
    from mijian.pipeline.office import Office

    with Office.open(_home()) as office:
        path = backup_register(office, dest)
    print(f"backup written: {path} (restore: stop mijian, copy it over MIJIAN_HOME/register.db, "
          "then run 'mijian register acknowledge-restore --by NAME --reason TEXT')")


@keys_app.command("rotate")
def keys_rotate() -> None:
    """Make a new office key; copies issued under older keys still trace and verify."""
    from mijian.pipeline.office import Office

    with Office.open(_home()) as office:
        key = office.keyring.create()
        count = len(office.keys())
    print(f"new office key {key.key_id} is now current; {count} key(s) kept in {office.home / 'keys'}")


@keys_app.command("list")
def keys_list() -> None:
    """The office keys by id, newest first (never their bytes)."""
    from mijian.pipeline.office import Office

    with Office.open(_home()) as office:
        for i, key in enumerate(office.keys()):
            print(f"{key.key_id}  {key.created}  {'current' if i == 0 else 'older'}")


def main() -> None:
    """Entry point: run the app, turning mijian errors into one line and an exit code."""
    # MuPDF reports recoverable damage in a draft ("unknown cid font type") on stdout, where
    # it would break --json output; mijian states what matters in its own words, so those
    # messages go nowhere (set PYMUPDF_MESSAGE, e.g. to fd:2, to see them)
    os.environ.setdefault("PYMUPDF_MESSAGE", f"path:{os.devnull}")
    if sys.argv[1:] == ["--version"]:  # answered before the argument parser is built
        print(f"mijian {_version()}")
        sys.exit(0)
    try:
        code = app(standalone_mode=False, prog_name="mijian")
    except MijianError as exc:
        print(f"mijian: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        print("mijian: interrupted", file=sys.stderr)
        sys.exit(130)
    except Exception as exc:  # usage errors of the argument parser, and anything unexpected
        if hasattr(exc, "format_message") and isinstance(getattr(exc, "exit_code", None), int):
            print(f"mijian: {exc.format_message()} (see 'mijian --help')", file=sys.stderr)
            sys.exit(exc.exit_code or 2)
        first = str(exc).splitlines()[0] if str(exc) else ""
        print(f"mijian: internal error: {type(exc).__name__}: {first}; please report it", file=sys.stderr)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
