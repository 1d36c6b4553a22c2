"""Personal data without identifiers: lists of named people with dates of birth or health and HR facts.

A list of patients' names and dates of birth, or of named staff with their sick leave or
redundancy, is personal data although it holds no ID or phone number. This detector reads the
draft line by line (tables and rosters put one person on a line) and reports:

- a **record**: a line that starts with a person's name (a Chinese surname and one or two
  more characters, or two capitalised English words), after an optional row number (and the
  column bar of a table, ``3 | Patricia Nunn | …``), and
  holds a date or a sensitive fact;
- a **sensitive record**: one whose line, or the draft's title, names a health or employment
  matter (diagnosis, illness, sick leave, dismissal, redundancy, discipline ...);
- a **stated quantity**: "38,400名患者的姓名和出生日期", "records of 12,000 patients" — a
  count of a thousand people or more next to the personal fields it covers.

Findings have the category ``personal_information``, source ``nlp`` and a rule beginning with
``person:`` (one per record, at the name) or ``people:`` (a stated quantity); the policy turns
them into a minimum (see :func:`classifiers.policy.suggest`).
"""

from __future__ import annotations

import functools
import re

from mijian.classifiers.findings import Finding
from mijian.classifiers.nlp import _SURNAMES

BULK = 1000
"""A stated number of people at least this large is personal data in quantity."""
_SENSITIVE = (
    r"诊断|确诊|病历|病史|病情|患者|病人|住院|手术|抑郁|焦虑|精神|心理|传染|结核|艾滋|HIV|肿瘤|癌|怀孕|病假|病休|"
    r"裁员|辞退|解聘|解除劳动合同|优化|待岗|停职|处分|违纪|戒毒|犯罪记录|"
    r"术后|心梗|梗死|截肢|糖尿病|高血压|阳性|骨折|化疗|透析|流产|临终|痴呆|记大过|记过|开除|降级|薪酬|工资|年薪|月薪|"
    r"fracture|post-op|miscarriage|withdrawal|overdose|dementia|end of life|palliative|maternity|salary|\bpay\b|\bRIF\b|"
    r"diagnos|illness|sickness|sick leave|medical|surgery|migraine|anxiety|depress|stress|cancer|pregnan|"
    r"mental health|hospital|redundan|dismiss|layoff|laid off|reduction in force|severance|disciplinary|grievance|absence|"
    r"\bICU\b|intensive care|\bward\b|\bdied\b|deceased|discharged|diabet|onset|symptom|infected|patient|重症|死亡|出院|发病"
)
_DATE = r"(?:19|20)\d{2}[-/.年]\d{1,2}(?:[-/.月]\d{1,2}日?)?|\d{1,2}/(?:\d{1,2}/)?(?:19|20)\d{2}"
_ZH_NAME = r"^\s*(?:\d{1,4}\s*(?:号床|床|号|室)[：:，,\s]*|\d{1,4}[.、)）]?\s*(?:[|｜\t]\s*)?)?([" + _SURNAMES + r"][\u4e00-\u9fff]{1,2})(?=[\s,，|、:：(（]|$)"
_EN_NAME = r"^\s*(?:(?:Bed|Room|Bay|Cubicle)\s*\d{1,3}[:.,-]?\s*|\d{1,4}[.)]?\s*(?:[|\t]\s*)?)?((?:Mr|Mrs|Ms|Dr)\.? )?([A-Z][a-z]+(?:[- ][A-Z][a-z']+){1,2})(?=\s*[|,;:\t(]|\s{2,}|\s+\d)"
_INLINE = (r"(?:\d{1,3}\s*(?:号床|床)\s*)([" + _SURNAMES + r"][\u4e00-\u9fff]{1,2}?)"
           r"|(?<!某)([" + _SURNAMES + r"]某某?)(?!某)"
           r"|\b([A-Z][a-z]+ [A-Z][a-z'-]+) \((?:[^()\n]{0,30}[,;] ?)?(?:[$£€]|USD |GBP |EUR )\d[\d,.]*k?\b")
"""Names inside a line: after a bed number (12床陈某), anonymised (刘某某), or with a salary in
brackets (Jo Bloggs (Analyst, $98k)); each counts as a record when its line holds a sensitive fact."""
_QUANTITY = (r"(?<![\d,，])(\d[\d,，]{3,}+)\s*(?:名|个|条|份|位|人)?(?:患者|病人|员工|职工|客户|居民|人员|人|学生|people|patients|records|"
             r"employees|customers|residents|individuals|members|pupils)")
_FIELDS = r"姓名|出生日期|出生年月|身份证|住址|病历|诊断|电话|names?|dates? of birth|addresses|diagnos|medical records|nhs numbers?"
_NOT_NAME = frozenset({"Total", "Team", "Notes", "Note", "Name", "Employee", "Prepared", "Date", "Stored", "Source"})


def find_personal(text: str) -> tuple[Finding, ...]:
    """Return one finding per record or stated quantity of people (see the module notes)."""
    rx = _patterns()
    title = text[:200]
    title_sensitive = bool(rx["sensitive"].search(title))
    out: list[Finding] = []
    pos = 0
    for line in text.splitlines(keepends=True):
        found = _record(line, pos, rx, title_sensitive)
        if found is not None:
            out.append(found)
        pos += len(line)
    out += _inline(text, rx, {f.start for f in out})
    for m in rx["quantity"].finditer(text):
        count = int(re.sub(r"[,，]", "", m.group(1)))
        near = text[max(0, m.start() - 60):m.end() + 60]
        if count >= BULK and rx["fields"].search(near):
            out.append(Finding(m.start(), m.end(), m.group(0), "personal_information", "nlp", 0.5,
                               f"a stated {count:,} people with their personal fields: personal data in quantity",
                               rule=f"people:{count}"))
    return tuple(out)


def _record(line: str, pos: int, rx: dict[str, re.Pattern[str]], title_sensitive: bool) -> Finding | None:
    """The record a line holds, if it starts with a name and holds a date or a sensitive fact."""
    m = rx["zh_name"].search(line) or rx["en_name"].search(line)
    if m is None:
        return None
    name = m.group(m.lastindex or 0)
    if name.split()[0] in _NOT_NAME:
        return None
    rest = line[m.end():]
    sensitive = bool(rx["sensitive"].search(rest))
    if not (sensitive or rx["date"].search(rest)):
        return None
    start = pos + m.start(m.lastindex or 0)
    kind = "sensitive" if sensitive or title_sensitive else "plain"
    return Finding(start, start + len(name), name, "personal_information", "nlp", 0.4,
                   f"a named person with {'a health or employment fact' if kind == 'sensitive' else 'a date'} "
                   f"on one line: a personal record", rule=f"person:{kind}:{name}")


def _inline(text: str, rx: dict[str, re.Pattern[str]], taken: set[int]) -> list[Finding]:
    """Records for names inside a line that states a sensitive fact, or with their pay (see :data:`_INLINE`).

    One pass of the pattern over the whole draft; the sensitive-fact test runs only on the
    lines where a name was found (once per line).
    """
    out = []
    lines: dict[int, bool] = {}
    for m in rx["inline"].finditer(text):
        group = next(g for g in range(1, 4) if m.group(g))
        name, start = m.group(group), m.start(group)
        if start in taken:
            continue  # the name that opens the line is already its record
        if group != 3:  # a name with a salary beside it is a sensitive fact by itself
            lo = text.rfind("\n", 0, start) + 1
            if lo not in lines:
                hi = text.find("\n", start)
                lines[lo] = bool(rx["sensitive"].search(text, lo, len(text) if hi < 0 else hi))
            if not lines[lo]:
                continue
        out.append(Finding(start, start + len(name), name, "personal_information", "nlp", 0.4,
                           "a named person with a health or employment fact in one line: a personal record",
                           rule=f"person:sensitive:{name}"))
    return out


@functools.lru_cache(maxsize=1)
def _patterns() -> dict[str, re.Pattern[str]]:
    """The detector's patterns, compiled once (kept between runs by :mod:`keywords.datacache`;
    the names come from :mod:`classifiers.nlp`'s surnames)."""
    from mijian.classifiers import nlp
    from mijian.keywords.datacache import cached

    return cached("personal-patterns", (__file__, nlp.__file__), _compile_all, dict)


def _compile_all() -> dict[str, re.Pattern[str]]:
    """Compile the detector's patterns."""
    return {
        "sensitive": re.compile(_SENSITIVE, re.IGNORECASE),
        "date": re.compile(_DATE),
        "zh_name": re.compile(_ZH_NAME),
        "en_name": re.compile(_EN_NAME),
        "inline": re.compile(_INLINE),
        "quantity": re.compile(_QUANTITY, re.IGNORECASE),
        "fields": re.compile(_FIELDS, re.IGNORECASE),
    }
