"""Human-readable terminal reports of the command line (rich).

Paths and ids are never cut: table columns that hold them fold onto the next line instead
of ending in an ellipsis, and lines that name a path are printed without hard wrapping, so
that what is shown can be copied back into a command.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from mijian.pipeline.wording import grade_name

LEVEL_STYLE = {0: "green", 1: "cyan", 2: "yellow", 3: "bold red", 4: "bold white on red"}
_CONTEXT = 24
SUMMARY_FINDINGS = 5
"""Findings a ``classify`` summary shows (the highest scored); ``--verbose`` shows all."""
_CATEGORY_STYLE = {
    "marking": "bold white on red", "handling": "bold magenta reverse", "public_context": "bold green reverse",
    "personal_information": "bold cyan reverse", "commercial_secret": "bold yellow reverse",
    "work_secret": "bold blue reverse",
}


_HEADINGS = {
    None: {"grade": "建议密级 Suggested grade", "period": "保密期限 Period", "basis": "定密依据 Basis",
           "rationale": "理由 Rationale", "none": "没有发现 No findings.", "findings": "发现 Findings",
           "level": "level", "scheme": "scheme", "confidence": "confidence",
           "cols": ("category", "source", "score", "in context", "why"),
           "more": "more findings (--verbose shows all)", "reasons": "more reasons (--verbose shows all)"},
    "zh": {"grade": "建议密级", "period": "保密期限", "basis": "定密依据", "rationale": "理由",
           "none": "没有发现敏感内容。", "findings": "发现", "level": "等级", "scheme": "标志体系",
           "confidence": "置信度",
           "cols": ("类别", "来源", "分值", "上下文", "说明"),
           "more": "条未显示（用 --verbose 查看全部）",
           "reasons": "条理由未显示（用 --verbose 查看全部）"},
    "en": {"grade": "Suggested grade", "period": "Period", "basis": "Basis", "rationale": "Rationale",
           "none": "No findings.", "findings": "Findings", "level": "level", "scheme": "scheme",
           "confidence": "confidence", "cols": ("category", "source", "score", "in context", "why"),
           "more": "more findings (--verbose shows all)",
           "reasons": "more reasons (--verbose shows all)"},
}
"""Report headings: bilingual by default, one language with ``--lang``."""


def print_classification(console: Console, result: Any, lang: str | None = None,
                         limit: int | None = SUMMARY_FINDINGS) -> None:
    """The grade, the basis, the rationale and the findings highlighted in their context.

    ``lang`` (zh or en) gives a report in that language alone; None keeps bilingual headings.
    ``limit`` findings are shown, the highest scored (pattern and lexicon hits before NLP
    entities), with a count of the rest; None shows every finding.
    """
    from mijian.keywords import CATEGORIES

    words = _HEADINGS[lang]
    names = {c.id: (c.zh if lang == "zh" else c.en) for c in CATEGORIES} if lang else {}
    doc = result.document
    s = result.suggestion
    head = Text()
    head.append(f"{doc.source}\n", style="bold")
    head.append(f"{words['grade']}: ")
    head.append(grade_name(result, lang), style=LEVEL_STYLE.get(result.level, ""))
    head.append(f"  ({words['level']} {result.level}, {words['scheme']} {result.scheme.name}, "
                f"{words['confidence']} {s.confidence:.2f})")
    if result.period:
        head.append(f"\n{words['period']}: {result.period}")
    basis = getattr(result, "basis", None) or getattr(s, "basis", None)
    if basis:
        head.append(f"\n{words['basis']}: {basis}")
    console.print(head)
    console.print(f"\n[bold]{words['rationale']}[/bold]")
    # the summary keeps the last line, which states the conclusion and the rule that decided it
    reasons = list(s.rationale) if limit is None else list(s.rationale)[-1:]
    for line in reasons:
        console.print(Text(f"  • {line}"))
    if len(s.rationale) > len(reasons):
        console.print(Text(f"  … {len(s.rationale) - len(reasons)} {words['reasons']}"))
    if not s.findings:
        console.print(f"\n{words['none']}")
        return
    ranked = sorted(s.findings, key=lambda f: (f.source == "nlp", -f.score, f.start))
    shown = ranked if limit is None else ranked[:limit]
    found = table(f"{words['findings']} ({len(s.findings)})", words["cols"])
    for f in sorted(shown, key=lambda f: f.start):
        left = doc.text[max(0, f.start - _CONTEXT):f.start].replace("\n", " ")
        right = doc.text[f.end:f.end + _CONTEXT].replace("\n", " ")
        ctx = Text(left)
        ctx.append(doc.text[f.start:f.end].replace("\n", " "), style=_CATEGORY_STYLE.get(f.category, "bold reverse"))
        ctx.append(right)
        found.add_row(names.get(f.category, f.category), f.source, f"{f.score:.2f}", ctx, Text(f.explanation))
    console.print(found)
    if len(s.findings) > len(shown):
        console.print(f"… {len(s.findings) - len(shown)} {words['more']}")


def table(title: str, columns: tuple[str, ...]) -> Table:
    """A table whose cells fold onto further lines rather than being cut with an ellipsis."""
    made = Table(title=title)
    for column in columns:
        made.add_column(column, overflow="fold")
    return made


def say(console: Console, text: str, style: str = "") -> None:
    """One plain line: no markup read from names or paths, wrapped softly (never cut)."""
    console.print(Text(text, style=style), soft_wrap=True)


def print_issue(console: Console, report: Any) -> None:
    """What was issued under which decision, who was skipped and where their copy is, and
    where the copies, the manifest and the passwords are."""
    done, d = report.run, report.run.decision
    marking = (f"★{d.period}" if d.scheme == "cn-state" and d.level >= 2 else
               (f"  {d.period}" if d.period else ""))
    say(console, f"{done.document_id}  {d.grade}{marking}  (suggested {d.suggested_grade})", "bold")
    if d.justification:
        say(console, f"  recorded justification 记录的理由: {d.justification}")
    listed = report.recipients
    say(console, f"  收件人 Recipients: {listed.path} ({listed.encoding}, {len(listed.recipients)})")
    copies = table(f"发放副本 Copies issued: {len(done.copies)}", ("份号 serial", "copy id", "recipient", "file"))
    for c in done.copies:
        copies.add_row(c.serial, c.copy_id, f"{c.recipient.id} {c.recipient.name}", Path(c.file).name)
    console.print(copies)
    for recipient, why in done.skipped:
        say(console, f"  skipped 已有副本 {recipient.id} {recipient.name}: {why}")
    say(console, f"副本 Copies:    {done.out_dir}")
    say(console, f"清单 Manifest:  {done.manifest}")
    say(console, f"密码 Passwords: {done.passwords}  (mode 600: hand each password over separately)")


def print_trace(console: Console, result: Any) -> None:
    """The verdict first (and every copy the evidence points to), then what each layer found."""
    if result.verdict == "identified" and getattr(result, "print_run", None) and not result.handed_out:
        say(console, f"已查明份件 Identified copy: 份号 {result.serial} of {result.document_id}, print "
                     f"run {result.print_run}, not yet handed out (打印室未分发): no person is named",
            "bold red")
        say(console, f"误判概率 False-match probability: {result.false_match_probability:.1e}")
    elif result.verdict == "identified":
        say(console, f"已查明 Identified: {result.recipient_name} ({result.recipient_id}), "
                     f"份号 {result.serial} of {result.document_id}", "bold red")
        say(console, f"误判概率 False-match probability: {result.false_match_probability:.1e}")
    elif result.verdict == "conflict":
        console.print("[bold yellow]证据矛盾 Conflict[/bold yellow]: the layers point to different "
                      "copies (mixed copies, or marks moved to frame a colleague); no one is named")
    elif result.verdict == "indicated":
        console.print("[bold]仅可见标记指向 Indicated[/bold]: only marks anyone who saw the copy could "
                      "reproduce point to it; its holder is not identified")
    else:
        console.print("[bold]无法认定 Inconclusive[/bold]: no recipient can be named on this evidence")
    for pointer in getattr(result, "points_to", ()):
        if result.verdict != "identified":
            say(console, f"  指向 points to: 份号 {pointer.serial or '-'} {pointer.recipient_name or ''} "
                         f"(copy {pointer.copy_id}) by {', '.join(pointer.layers)}")
    layers = table("证据 Evidence by layer", ("layer", "moved by", "verdict", "detail"))
    for layer in result.layers:
        layers.add_row(layer.name, getattr(layer, "moved_by", None) or "", layer.verdict, layer.detail)
    console.print(layers)


def print_copies(console: Console, copies: Any) -> None:
    """One row per registered copy."""
    rows = table(f"登记簿 Register: {len(copies)} copies",
                 ("document", "份号", "copy id", "recipient", "status", "issued"))
    for c in copies:
        rows.add_row(c.document_id, c.serial, c.copy_id, f"{c.recipient_id} {c.recipient_name}",
                     c.status, c.issued_at)
    console.print(rows)


def print_copy(console: Console, details: Any) -> None:
    """One copy with its document's decision and its events."""
    record, document = details.copy, details.document
    say(console, f"{record.copy_id}  份号 {record.serial}  {record.recipient_id} {record.recipient_name} "
                 f"{record.recipient_unit}  status {record.status}", "bold")
    say(console, f"  file: {record.file}")
    if document:
        say(console, f"document {document.id}: {document.title}")
        say(console, f"  grade {document.grade} period {document.period or '-'} scheme "
                     f"{document.scheme} (suggested {document.suggested_grade})")
        if document.justification:
            say(console, f"  justification: {document.justification}")
    for e in details.events:
        say(console, f"  #{e['seq']} {e['at']} {e['actor']} {e['action']}")
