"""The verbs on drafts: classify, decide, issue (and the HTML report of a classification).

Each verb reads what it is given, calls the library and returns a frozen value; it never
prints, never exits and raises the errors of :mod:`mijian.pipeline.errors`. Heavy parts
(readers, classifiers, writers) are imported inside the verbs, so that importing the
service costs nothing until a verb runs.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mijian.pipeline.errors import UsageError
from mijian.pipeline.service.settings import Progress, Settings

if TYPE_CHECKING:  # made by decide and issue only: classify makes none of these dataclasses
    from mijian.pipeline.service.values import GradeChoice, IssueReport, IssueRequest

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
    from mijian.pipeline.service.values import GradeChoice

    choice = choice if choice is not None else GradeChoice()
    decision = decide_grade(classification.scheme, classification.level, _stated_period(classification),
                            tuple(classification.suggestion.rationale), classification.basis,
                            grade=choice.grade, period=choice.period,
                            justification=choice.justification)
    if decision.level >= 4 and not (choice.approver or "").strip():
        raise UsageError(f"{decision.grade} copies need the approval of the originating authority "
                         "(绝密件复制须经批准); give --approver NAME")
    scope = _scope_of(choice)
    return replace(decision, scope=scope) if scope else decision


def _scope_of(choice: GradeChoice) -> str | None:
    """The scope (知悉范围) of ``choice``, stripped (None when empty); refused when it holds a
    line break or control character (it is printed one fact a line on notices)."""
    scope = (choice.scope or "").strip()
    if any(not c.isprintable() for c in scope):
        raise UsageError("the scope (知悉范围) contains a line break or control character; give it "
                         "as one line of text (不能含换行或控制字符)")
    return scope or None


def issue(request: IssueRequest, *, settings: Settings | None = None,
          progress: Progress | None = None) -> IssueReport:
    """Issue one numbered, marked, watermarked, encrypted copy per recipient of ``request``.

    In order, before anything is written: read the draft and the recipients file, look up the
    draft's registered decision, classify, decide, check the output folder and make one
    throw-away trial copy. Then open the office and issue (see
    :func:`mijian.pipeline.issuing.issue`): recipients who already hold a copy are skipped,
    copies left pending by a stopped run in the same folder are finished. ``progress`` is
    told ``(done, total, message)`` before the trial copy and after each copy.

    The decision: a draft the register already holds (issued before, changed or
    declassified since, or registered as an extract or compilation) is issued under its
    registered grade, period, scheme and scope, and a grade or period given that differs is
    refused (see :mod:`mijian.pipeline.registered_decision` for the rules and why); a draft
    the register does not hold is decided by :func:`decide` on the classifier's suggestion
    and ``request.choice`` (else ``request.decided``) and registered on its first copy.
    Warnings (a classifier suggestion above the registered grade) are in the report.

    An interrupted run (KeyboardInterrupt, a kill) leaves a register that the same request
    finishes when it is made again. A run that voided copies or found copies pending
    elsewhere returns normally: :meth:`IssueReport.error` says what is left undone.
    """
    from mijian.pipeline.copy_pool import start_workers, worker_count
    from mijian.pipeline.recipient_files import read_recipient_list

    settings = _settings(settings)
    if request.jobs is not None and request.jobs < 1:
        raise UsageError(f"--jobs {request.jobs} is below 1; give a number of worker processes, e.g. --jobs 2")
    listed = read_recipient_list(request.recipients)
    # the worker processes start now and import the writers while this one reads, classifies
    # and trial-stamps the draft (nothing is recorded until the trial copy has passed)
    pool = start_workers(worker_count(request.jobs, len(listed.recipients)), str(request.draft))
    try:
        run, warnings = _issue_listed(request, listed, settings, progress, pool)
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    from mijian.pipeline.service.values import IssueReport

    return IssueReport(run=run, recipients=listed, warnings=warnings)


def _issue_listed(request: IssueRequest, listed: Any, settings: Settings,
                  progress: Progress | None, pool: Any) -> tuple[Any, tuple[str, ...]]:
    """Read the draft, decide (the registered decision or a first one), make the trial copy,
    then issue with ``pool``; the run and its warnings."""
    from mijian.pipeline.issuing import document_id_for, issue as issue_copies, preflight, trial_marking
    from mijian.pipeline.office import Office
    from mijian.pipeline.readers import read_document

    document = _copies_as(read_document(request.draft, settings.limits), request.copy_as)
    early = _early_trial(request, document, settings, pool)
    decision, warnings = _decision_for(document, request, settings)
    out_dir = request.out or Path("mijian-out") / document_id_for(document)
    if progress is not None:
        progress(0, len(listed.recipients), "trial copy 试制副本")
    trial = early[1] if early and early[0] == trial_marking(decision, request.running) else None
    preflight(document, decision, out_dir, settings.limits, request.running, trial)
    first = request.decided if request.decided is not None else request.choice
    with Office.open(settings.home) as office:
        run = issue_copies(office, document, decision, listed.recipients, out_dir,
                           actor=settings.actor, limits=settings.limits, running=request.running,
                           approver=_approver(request), workers=request.jobs,
                           progress=progress, pool=pool, decided_by=first.decided_by)
    return run, warnings


def _early_trial(request: IssueRequest, document: Any, settings: Settings, pool: Any) -> Any:
    """When the officer named both the grade and the period, the trial copy's marking is
    known before the draft is classified: start it in a worker process now and return
    (marking, future), else None. The run uses it only if the decision marks the copies
    the same way; a grade the rules refuse is still reported by :func:`decide` first."""
    from mijian.pipeline.issuing import start_trial
    from mijian.pipeline.schemes import check_period, get_scheme
    from mijian.pipeline.trial_copy import TrialMarking

    choice = request.choice
    if pool is None or not choice.grade or not choice.period:
        return None
    try:
        scheme = get_scheme(request.scheme, document.language)
        level = scheme.level_of(choice.grade)
        marking = TrialMarking(scheme.name, level, check_period(scheme, level, choice.period),
                               request.running)
    except (UsageError, KeyError, ValueError):
        return None  # the decision says what is wrong, after the classification
    return marking, start_trial(pool, document, marking, settings.limits)


def _decision_for(document: Any, request: IssueRequest,
                  settings: Settings) -> tuple[Any, tuple[str, ...]]:
    """The decision the copies of ``document`` are issued under, and the run's warnings:
    the registered one when the register holds the draft, else a first decision."""
    from mijian.pipeline import registered_decision as standing

    found = _registered(document, settings)
    if found is None:
        first = request.decided if request.decided is not None else request.choice
        classification = _classify_read(document, request.scheme, request, settings)
        return decide(classification, replace(first, approver=_approver(request))), ()
    scheme = standing.scheme_of(found, request.scheme)
    standing.refuse_if_declassified(found)
    classification = _classify_read(document, scheme.name, request, settings)
    decision = standing.standing_decision(found, scheme, request.choice.grade, request.choice.period)
    if decision.level >= 4 and not (_approver(request) or "").strip():
        raise UsageError(f"{decision.grade} copies need the approval of the originating authority "
                         "(绝密件复制须经批准); give --approver NAME")
    warning = standing.higher_suggestion(found, classification)
    return decision, (warning,) if warning else ()


def _copies_as(document: Any, wanted: str | None) -> Any:
    """``document`` marked for copies in ``wanted`` (see :attr:`Document.copy_as`), after
    checking its format can make them; the draft's own usual format is accepted as is."""
    from mijian.pipeline.formats import registry

    if not wanted:
        return document
    fmt = registry.for_document(document)
    made = (fmt.name, *fmt.copies_as) if fmt.copies else fmt.copies_as
    if wanted not in made:
        raise UsageError(f"--as {wanted}: copies of {fmt.name.upper()} drafts cannot be made as "
                         f"{wanted.upper()} (无法生成该格式的副本); expected --as "
                         f"{' or --as '.join(made)}")
    return document if wanted == fmt.name else replace(document, copy_as=wanted)


def _approver(request: IssueRequest) -> str | None:
    """Who approved making the copies: given at issue, else with the decision made before."""
    return request.choice.approver or (request.decided.approver if request.decided else None)


def _registered(document: Any, settings: Settings) -> Any:
    """The draft's registered decision, or None. An office folder that does not exist yet
    holds no decision and is not created here (a draft refused later leaves no trace)."""
    from mijian.pipeline import registered_decision as standing
    from mijian.pipeline.issuing import document_id_for
    from mijian.pipeline.office import Office

    if not settings.home.exists():
        return None
    with Office.open(settings.home) as office:
        return standing.registered(office, document_id_for(document))


def _classify_read(document: Any, scheme: str | None, request: IssueRequest,
                   settings: Settings) -> Any:
    """The classification of a draft already read, on ``scheme`` and the request's catalogue."""
    from mijian.pipeline.analysis import classify_document

    return classify_document(document, scheme,
                             catalogue=_catalogue(request.catalogue, settings.home))
