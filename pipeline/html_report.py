"""A self-contained HTML page of a classification, for an officer to read in a browser.

The page holds the suggested grade, period, basis and confidence, the rationale, a legend, and
the draft's whole text with every finding highlighted in its category's colour; hovering (or
reading the list below the text) shows each finding's explanation. Everything is escaped,
there are no scripts and no external assets, and the file is written atomically (temporary
file in the same folder, then rename). It refuses to overwrite the draft itself.
"""

from __future__ import annotations

import html
import os
from pathlib import Path
from typing import Any

from mijian.pipeline.errors import UsageError
from mijian.pipeline.safe_files import write_atomic, writing_to

_COLOURS = {
    "state_affairs": "#f4b6c2", "defence": "#f7a08c", "foreign_affairs": "#f9c98b", "economy": "#f3e08a",
    "science_technology": "#c6e59a", "security_investigation": "#e3a6f0", "other_state_secret": "#f2b5e1",
    "commercial_secret": "#ffe08a", "work_secret": "#b8d4f5", "personal_information": "#9fe3e0",
    "handling": "#d9b3ff", "public_context": "#b9f0b0", "marking": "#ff7b7b",
}
_LEVEL_COLOURS = {0: "#2e7d32", 1: "#1565c0", 2: "#b26a00", 3: "#c62828", 4: "#7f0000"}
_CSS = """
body{font-family:system-ui,"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:2em auto;max-width:60em;
line-height:1.6;color:#222}
h1{font-size:1.3em}.grade{display:inline-block;padding:.2em .8em;border-radius:.3em;color:#fff;font-weight:bold}
.meta td{padding:.1em .8em .1em 0;vertical-align:top}
.draft{white-space:pre-wrap;border:1px solid #ccc;padding:1em;background:#fafafa}
mark{padding:0 .1em;border-radius:.2em}mark.nlp{background:none;border-bottom:2px dotted #555}
.legend span{display:inline-block;margin:.2em .4em;padding:0 .4em;border-radius:.2em}
table.findings{border-collapse:collapse;width:100%;font-size:.9em}
table.findings td,table.findings th{border:1px solid #ddd;padding:.2em .4em;text-align:left;vertical-align:top}
"""


def write_html_report(classification: Any, path: str | os.PathLike[str], lang: str | None = None) -> Path:
    """Write the page for ``classification`` (a :class:`pipeline.analysis.Classification`) to ``path``."""
    out = Path(path)
    source = Path(classification.document.source)
    try:
        if source.exists() and out.exists() and out.resolve() == source.resolve():
            raise UsageError(f"{out}: is the draft itself; choose another file for --html")
    except OSError:
        pass
    page = render_html(classification, lang)
    with writing_to(out.parent):
        out.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(out, page.encode("utf-8"), out.parent, mode=0o644)
    return out


_LABELS = {
    None: ("建议密级 Grade", "置信度 Confidence", "保密期限 Period", "定密依据 Basis", "理由 Rationale",
           "正文 Draft", "发现 Findings"),
    "zh": ("建议密级", "置信度", "保密期限", "定密依据", "理由", "正文", "发现"),
    "en": ("Grade", "Confidence", "Period", "Basis", "Rationale", "Draft", "Findings"),
}


def render_html(classification: Any, lang: str | None = None) -> str:
    """Return the page as a string (see the module notes); ``lang`` zh or en for one language."""
    from mijian.pipeline.wording import grade_name

    c = classification
    labels = _LABELS[lang]
    s = c.suggestion
    doc = c.document
    e = html.escape
    basis = getattr(c, "basis", None) or getattr(s, "basis", None)
    rows = [(labels[0], f'<span class="grade" style="background:{_LEVEL_COLOURS.get(c.level, "#444")}">'
                        f'{e(grade_name(c, lang))}</span> level {c.level} · scheme {e(c.scheme.name)}'),
            (labels[1], f"{float(s.confidence):.2f}"),
            (labels[2], e(c.period or "—")),
            (labels[3], e(basis or "—"))]
    meta = "".join(f"<tr><td>{k}</td><td>{v}</td></tr>" for k, v in rows)
    rationale = "".join(f"<li>{e(line)}</li>" for line in s.rationale)
    used = sorted({f.category for f in s.findings})
    legend = "".join(f'<span style="background:{_COLOURS.get(cat, "#ddd")}">{e(cat)}</span>' for cat in used)
    findings = "".join(
        f'<tr id="f{i}"><td>{f.start}–{f.end}</td><td>{e(f.text)}</td><td>{e(f.category)}</td><td>{e(f.source)}</td>'
        f"<td>{float(f.score):.2f}</td><td>{e(f.explanation)}</td></tr>"
        for i, f in enumerate(s.findings))
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{e(lang or doc.language)}"><head><meta charset="utf-8">'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; style-src \'unsafe-inline\'">'
        f"<title>{e(Path(doc.source).name)} — mijian</title><style>{_CSS}</style></head><body>"
        f"<h1>{e(Path(doc.source).name)}</h1><p>sha256 <code>{e(doc.sha256)}</code></p>"
        f'<table class="meta">{meta}</table>'
        f"<h2>{labels[4]}</h2><ol>{rationale}</ol>"
        f'<h2>{labels[5]}</h2><p class="legend">{legend}</p>'
        f'<div class="draft">{_highlight(doc.text, s.findings)}</div>'
        f'<h2>{labels[6]} ({len(s.findings)})</h2><table class="findings"><tr><th>offsets</th><th>text</th>'
        f"<th>category</th><th>source</th><th>score</th><th>explanation</th></tr>{findings}</table>"
        "</body></html>\n"
    )


def _highlight(text: str, findings: Any) -> str:
    """The draft escaped, with non-overlapping findings wrapped in <mark> (lexicon and patterns first)."""
    chosen: list[tuple[int, int, int, Any]] = []
    ranked = sorted(enumerate(findings), key=lambda p: (p[1].source == "nlp", -(p[1].end - p[1].start), p[1].start))
    for i, f in ranked:
        if f.start >= f.end or any(f.start < b and a < f.end for a, b, _, _ in chosen):
            continue
        chosen.append((f.start, f.end, i, f))
    chosen.sort()
    parts: list[str] = []
    pos = 0
    for start, end, i, f in chosen:
        parts.append(html.escape(text[pos:start]))
        style = "" if f.source == "nlp" else f' style="background:{_COLOURS.get(f.category, "#ddd")}"'
        cls = ' class="nlp"' if f.source == "nlp" else ""
        parts.append(f'<a href="#f{i}"><mark{cls}{style} title="{html.escape(f.explanation, quote=True)}">'
                     f"{html.escape(text[start:end])}</mark></a>")
        pos = end
    parts.append(html.escape(text[pos:]))
    return "".join(parts)
