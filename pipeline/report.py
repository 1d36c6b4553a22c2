"""Human-readable terminal reports (rich). Only the CLI calls these."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

LEVEL_STYLE = {0: "green", 1: "cyan", 2: "yellow", 3: "bold red", 4: "bold white on red"}
_CONTEXT = 24
_MAX_ROWS = 60
_CATEGORY_STYLE = {
    "marking": "bold white on red", "handling": "bold magenta reverse", "public_context": "bold green reverse",
    "personal_information": "bold cyan reverse", "commercial_secret": "bold yellow reverse",
    "work_secret": "bold blue reverse",
}


_HEADINGS = {
    None: {"grade": "建议密级 Suggested grade", "period": "保密期限 Period", "basis": "定密依据 Basis",
           "rationale": "理由 Rationale", "none": "没有发现 No findings.", "findings": "发现 Findings",
           "level": "level", "scheme": "scheme", "confidence": "confidence",
           "cols": ("category", "source", "score", "in context", "why"), "more": "more (use --json or --html for all)"},
    "zh": {"grade": "建议密级", "period": "保密期限", "basis": "定密依据", "rationale": "理由",
           "none": "没有发现敏感内容。",
           "findings": "发现", "level": "等级", "scheme": "标志体系", "confidence": "置信度",
           "cols": ("类别", "来源", "分值", "上下文", "说明"), "more": "条未显示（用 --json 或 --html 查看全部）"},
    "en": {"grade": "Suggested grade", "period": "Period", "basis": "Basis", "rationale": "Rationale",
           "none": "No findings.", "findings": "Findings", "level": "level", "scheme": "scheme",
           "confidence": "confidence", "cols": ("category", "source", "score", "in context", "why"),
           "more": "more (use --json or --html for all)"},
}
"""Report headings: bilingual by default, one language with ``--lang``."""


def in_language(result: Any, lang: str | None) -> Any:
    """The classification with its rationale, basis and period worded in ``lang`` (zh or en).

    The period shown is the one the rationale states: the deciding scope or catalogue item's
    (years or the event that ends it), else the scheme's default for the level, spelled in
    ``lang``. With ``lang`` None the draft's language is used.
    """
    from dataclasses import replace

    s = result.suggestion.in_language(lang or result.document.language)
    if getattr(s, "period_source", "default") in ("scope", "catalogue"):
        period = s.period_text()
    else:
        period = _respell_period(result.period, s.language)
    return replace(result, suggestion=s, period=period, basis=s.basis)


def grade_name(result: Any, lang: str | None) -> str:
    """The grade as the report names it: the scheme's label, in English words for an English report."""
    from mijian.classifiers import GRADES

    if lang == "en" and not result.grade.isascii():
        return GRADES[result.level][1]
    if lang == "zh" and result.grade.isascii():
        return GRADES[result.level][0]
    return result.grade


def _respell_period(period: str | None, lang: str) -> str | None:
    """``20年`` as ``20 years`` in English, ``10 years`` as ``10年`` in Chinese; other periods as given."""
    if not period:
        return period
    if lang == "en" and period.endswith("年") and period[:-1].isdigit():
        return f"{period[:-1]} years"
    if lang == "zh" and period.endswith(" years") and period[:-6].isdigit():
        return f"{period[:-6]}年"
    return period


def print_classification(console: Console, result: Any, lang: str | None = None) -> None:
    """The grade, the basis, the rationale and each finding highlighted in its context.

    ``lang`` (zh or en) gives a report in that language alone; None keeps bilingual headings.
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
    for line in s.rationale:
        console.print(Text(f"  • {line}"))
    if not s.findings:
        console.print(f"\n{words['none']}")
        return
    shown = sorted(s.findings, key=lambda f: (f.source == "nlp", -f.score, f.start))[:_MAX_ROWS]
    table = Table(title=f"{words['findings']} ({len(s.findings)})", show_lines=False)
    for col in words["cols"]:
        table.add_column(col)
    for f in sorted(shown, key=lambda f: f.start):
        left = doc.text[max(0, f.start - _CONTEXT):f.start].replace("\n", " ")
        right = doc.text[f.end:f.end + _CONTEXT].replace("\n", " ")
        ctx = Text(left)
        ctx.append(doc.text[f.start:f.end].replace("\n", " "), style=_CATEGORY_STYLE.get(f.category, "bold reverse"))
        ctx.append(right)
        table.add_row(names.get(f.category, f.category), f.source, f"{f.score:.2f}", ctx, Text(f.explanation))
    console.print(table)
    if len(s.findings) > _MAX_ROWS:
        console.print(f"… {len(s.findings) - _MAX_ROWS} {words['more']}")


def print_issue(console: Console, done: Any) -> None:
    """Where the copies and the passwords are."""
    d = done.decision
    console.print(f"[bold]{done.document_id}[/bold]  {d.grade}"
                  + (f"★{d.period}" if d.scheme == "cn-state" and d.level >= 2 else
                     (f"  {d.period}" if d.period else ""))
                  + f"  (suggested {d.suggested_grade})")
    if d.justification:
        console.print(f"  recorded justification 记录的理由: {d.justification}")
    table = Table(title=f"发放副本 Copies issued: {len(done.copies)}")
    for col in ("份号 serial", "copy id", "recipient", "file"):
        table.add_column(col)
    for c in done.copies:
        table.add_row(c.serial, c.copy_id, f"{c.recipient.id} {c.recipient.name}", str(c.file))
    console.print(table)
    for recipient, why in done.skipped:
        console.print(f"  skipped {recipient.id} {recipient.name}: {why}")
    console.print(f"副本 Copies:    {done.out_dir}")
    console.print(f"清单 Manifest:  {done.manifest}")
    console.print(f"密码 Passwords: {done.passwords}  (mode 600: hand each password over separately)")


def print_trace(console: Console, result: Any) -> None:
    """The verdict first (and every copy the evidence points to), then what each layer found."""
    if result.verdict == "identified":
        console.print(f"[bold red]已查明 Identified[/bold red]: {result.recipient_name} "
                      f"({result.recipient_id}), 份号 {result.serial} of {result.document_id}")
        console.print(f"误判概率 False-match probability: {result.false_match_probability:.1e}")
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
            console.print(f"  指向 points to: 份号 {pointer.serial or '-'} {pointer.recipient_name or ''} "
                          f"(copy {pointer.copy_id}) by {', '.join(pointer.layers)}")
    table = Table(title="证据 Evidence by layer")
    for col in ("layer", "moved by", "verdict", "detail"):
        table.add_column(col)
    for layer in result.layers:
        table.add_row(layer.name, getattr(layer, "moved_by", None) or "", layer.verdict, layer.detail)
    console.print(table)


def print_copies(console: Console, copies: list) -> None:
    """One row per registered copy."""
    table = Table(title=f"登记簿 Register: {len(copies)} copies")
    for col in ("document", "份号", "copy id", "recipient", "status", "issued"):
        table.add_column(col)
    for c in copies:
        table.add_row(c.document_id, c.serial, c.copy_id, f"{c.recipient_id} {c.recipient_name}",
                      c.status, c.issued_at)
    console.print(table)


def print_copy(console: Console, record: Any, document: dict | None, events: list[dict]) -> None:
    """One copy with its document's decision and its events."""
    console.print(f"[bold]{record.copy_id}[/bold]  份号 {record.serial}  {record.recipient_id} "
                  f"{record.recipient_name} {record.recipient_unit}  status {record.status}")
    if document:
        console.print(f"document {document['id']}: {document['title']}")
        console.print(f"  grade {document['grade']} period {document['period'] or '-'} scheme "
                      f"{document['scheme']} (suggested {document['suggested_grade']})")
        if document.get("justification"):
            console.print(f"  justification: {document['justification']}")
    for e in events:
        console.print(f"  #{e['seq']} {e['at']} {e['actor']} {e['action']}")
