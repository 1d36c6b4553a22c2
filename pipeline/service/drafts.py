"""The verbs on drafts: classify, decide, issue (and the HTML report of a classification).

Each verb reads what it is given, calls the library and returns a frozen value; it never
prints, never exits and raises the errors of :mod:`mijian.pipeline.errors`. Heavy parts
(readers, classifiers, writers) are imported inside the verbs, so that importing the
service costs nothing until a verb runs.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from mijian.pipeline.errors import UsageError
from mijian.pipeline.service.values import GradeChoice, IssueReport, IssueRequest, Progress, Settings

LANGUAGES = ("zh", "en")


def _settings(settings: Settings | None) -> Settings:
    """The settings given, else those of the environment, as the command line has them."""
    return settings if settings is not None else Settings.from_environment(os.environ)


def _catalogue(path: Path | None, home: Path) -> Any:
    """The catalogue named, else the one kept in the office home, else None."""
    from mijian.pipeline.analysis import find_home_catalogue, load_catalogue_file

    if path is not None:
        return load_catalogue_file(path)
    found = find_home_catalogue(home)
    return load_catalogue_file(found) if found else None


def classify(draft: str | os.PathLike[str], *, scheme: str | None = None,
             catalogue: str | os.PathLike[str] | None = None, lang: str | None = None,
             settings: Settings | None = None) -> Any:
    """Suggest a grade for ``draft`` (.pdf, .ofd, .docx or .txt) on ``scheme`` (default: cn-state
    for Chinese drafts, us for English), with period, basis, confidence, findings, rationale.

    ``catalogue`` is the office's catalogue of secret matters (else the one in the office
    home is used if there is one); ``lang`` (zh or en) words the rationale, basis and period
    in one language (default: the draft's). Returns a
    :class:`~mijian.pipeline.analysis.Classification`.
    """
    from mijian.pipeline.analysis import classify_document
    from mijian.pipeline.readers import read_document
    from mijian.pipeline.wording import in_language

    if lang not in (None, *LANGUAGES):
        raise UsageError(f"--lang '{lang}' is not zh or en; give --lang zh or --lang en")
    settings = _settings(settings)
    document = read_document(Path(draft), settings.limits)
    found = _catalogue(Path(catalogue) if catalogue is not None else None, settings.home)
    return in_language(classify_document(document, scheme, catalogue=found), lang)


def html_report(classification: Any, path: str | os.PathLike[str], lang: str | None = None) -> Path:
    """Write the self-contained HTML report of ``classification`` to ``path``; returns the path."""
    from mijian.pipeline.html_report import write_html_report

    return write_html_report(classification, path, lang)


def _stated_period(classification: Any) -> str | None:
    """The period the rationale states (a scope or catalogue item's years or ending event) when
    the scheme can mark it, so that the marking, the period shown and the rationale agree;
    else the scheme's period for the level."""
    from mijian.pipeline.schemes import check_period
    from mijian.pipeline.wording import in_language

    stated = in_language(classification, classification.scheme.language).period
    try:
        return check_period(classification.scheme, classification.level, stated) if stated \
            else classification.period
    except UsageError:
        return classification.period


def decide(classification: Any, choice: GradeChoice | None = None) -> Any:
    """The grade the copies are issued under (定密): the suggestion of ``classification``
    unless ``choice`` names another grade or period.

    Rules: a grade below the suggestion needs a justification (recorded); a period must fit
    the grade; copies of 绝密 / TOP SECRET need the approval of the originating authority
    (绝密件复制须经批准), so ``choice.approver`` must name who gave it. Raises
    :class:`UsageError` when a rule is not met. Returns a :class:`~mijian.pipeline.decision.Decision`.
    """
    from mijian.pipeline.decision import decide as decide_grade

    choice = choice if choice is not None else GradeChoice()
    decision = decide_grade(classification.scheme, classification.level, _stated_period(classification),
                            tuple(classification.suggestion.rationale), classification.basis,
                            grade=choice.grade, period=choice.period,
                            justification=choice.justification)
    if decision.level >= 4 and not (choice.approver or "").strip():
        raise UsageError(f"{decision.grade} copies need the approval of the originating authority "
                         "(绝密件复制须经批准); give --approver NAME")
    return decision


def issue(request: IssueRequest, *, settings: Settings | None = None,
          progress: Progress | None = None) -> IssueReport:
    """Issue one numbered, marked, watermarked, encrypted copy per recipient of ``request``.

    In order, before anything is written: read the draft and the recipients file, classify,
    :func:`decide`, check the output folder and make one throw-away trial copy. Then open the
    office and issue (see :func:`mijian.pipeline.issuing.issue`): recipients who already hold
    a copy are skipped, copies left pending by a stopped run in the same folder are finished.
    ``progress`` is told ``(done, total, message)`` before the trial copy and after each copy.

    An interrupted run (KeyboardInterrupt, a kill) leaves a register that the same request
    finishes when it is made again. A run that voided copies or found copies pending
    elsewhere returns normally: :meth:`IssueReport.error` says what is left undone.
    """
    from mijian.pipeline.issuing import document_id_for, issue as issue_copies, preflight
    from mijian.pipeline.office import Office
    from mijian.pipeline.readers import read_document
    from mijian.pipeline.recipient_files import read_recipient_list

    settings = _settings(settings)
    if request.jobs is not None and request.jobs < 1:
        raise UsageError(f"--jobs {request.jobs} is below 1; give a number of worker processes, e.g. --jobs 2")
    document = read_document(request.draft, settings.limits)
    listed = read_recipient_list(request.recipients)
    classification = _classify_read(document, request, settings)
    decision = decide(classification, request.choice)
    out_dir = request.out or Path("mijian-out") / document_id_for(document)
    if progress is not None:
        progress(0, len(listed.recipients), "trial copy 试制副本")
    preflight(document, decision, out_dir, settings.limits, request.running)
    with Office.open(settings.home) as office:
        run = issue_copies(office, document, decision, listed.recipients, out_dir,
                           actor=settings.actor, limits=settings.limits, running=request.running,
                           approver=request.choice.approver, workers=request.jobs,
                           progress=progress)
    return IssueReport(run=run, recipients=listed)


def _classify_read(document: Any, request: IssueRequest, settings: Settings) -> Any:
    """The classification of a draft already read, on the request's scheme and catalogue."""
    from mijian.pipeline.analysis import classify_document

    return classify_document(document, request.scheme,
                             catalogue=_catalogue(request.catalogue, settings.home))
