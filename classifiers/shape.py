"""What the shape of a draft says about it: a bare grade banner, a news dateline, a note that the
text is published, the numbered articles of a rule.

These are read from the layout rather than from single words:

- a **bare grade line** (``绝密`` or ``机密级`` alone on one of the first or last lines, without
  the star of the standard mark) is the draft's own marking as much as ``绝密★`` is: a writer
  who types the grade on its own line above the title marks the draft with it;
- a **news dateline** (新华社北京12月3日电, ``LONDON, Dec 3 (Reuters) -``) opens a published
  news item: the draft reports, it is not the matter reported;
- a **publication note** (本日报同步发布于省水利厅网站, "published on the council's website")
  says the text is already public;
- a **public title** (``Launch update (public)``, ``（公开）``), an **invitation to pass the text
  on** (may be shared with congregations, 可转发给居民) or **advice addressed to the public**
  (请居民注意防护) says who the text is for;
- **articles of a rule** (two or more lines opening with 第五条 or "Article 5"): the text of a
  regulation speaks of secrecy in general, about no particular matter.

The last three are public context (:mod:`classifiers.policy`, step 4); scope items that fire
with enough specific detail still set their minimum under it.
"""

from __future__ import annotations

import functools
import re

from mijian.classifiers.findings import Finding

EDGE_LINES = 3
"""How many lines at the top (and at the bottom) a bare grade line may stand on."""
DATELINE_WEIGHT = 0.7
"""Public-context weight of a news agency's dateline."""
PUBLISHED_WEIGHT = 0.7
"""Public-context weight of a note that the text is published on a website or in a paper."""
SHARE_WEIGHT = 0.5
"""Public-context weight of an invitation to pass the text on to the public, or of advice to it."""
RULE_WEIGHT = 0.5
"""Public-context weight of a text made of a rule's articles."""
RULE_ARTICLES = 2
"""Lines opening with an article number that make a text a rule's articles."""

_GRADES = {"绝密": 4, "机密": 3, "秘密": 2}
_BARE = r"^[ \t]*(绝密|机密|秘密)(?:级)?[ \t]*$"
_DATELINE = (r"(?:新华社|中新社|中新网|人民网|央视新闻|本报)[^\n，。]{0,8}\d{1,2}月\d{1,2}日(?:电|讯)"
             r"|^[A-Z][A-Za-z .]{1,30}, (?:[A-Z][a-z]{2,8}\.? \d{1,2}|\d{1,2} [A-Z][a-z]{2,8}) \((?:Reuters|AP|AFP|Xinhua|Bloomberg)\)")
_PUBLISHED = (r"(?:发布|公布|刊登|刊发|登载)(?:于|在)[^，。；\n]{0,16}(?:网站|官网|门户网|公众号|政务网|报纸|日报|公报)"
              r"|(?:已|已经|同步|同时|均已)(?:在|于)[^，。；\n]{0,16}(?:网站|官网|门户网|公众号|政务网|报纸|日报)[^，。；\n]{0,4}"
              r"(?:发布|公布|刊登|刊发|公开)(?!前|之前)"
              r"|(?:网站|官网|门户网|公众号)[^，。；\n]{0,6}(?:已|同步)(?:发布|公布|刊登)"
              r"|本(?:简报|公报|报告|月报|周报|日报|通报|公告|文|件|通知)[^，。；\n]{0,4}(?:在|于|通过)[^，。；\n]{0,12}"
              r"(?:网站|官网|门户网|公众号|政务网)[^，。；\n]{0,4}(?:发布|公布|刊登|公开)(?!前|之前)"
              r"|(?i:\b(?:published|posted) (?:on|at) (?:the |our |its )?[\w' -]{0,30}(?:website|web site|gov\.uk|\.gov)\b)")
_PUBLIC_TITLE = r"\A[ \t]*[^\n]{0,80}[(（\[](?:public|for publication|公开|对外公开|对外发布|可公开)[)）\]]"
_SHARE = (r"(?i:\b(?:may|can|should|please) (?:be )?shared? (?:\w+ )?(?:with|among) (?:the public|(?:your |their )?(?:congregations?|"
          r"residents|parishioners|members of the public|communities|community|parents|families|anyone|everyone))\b"
          r"|\bplease share (?:this )?widely\b|\bfor (?:wide|wider|public) (?:circulation|distribution)\b)"
          r"|(?:可|可以|请|欢迎)(?:转发|转告|分享|告知)(?:给|至)?(?:广大|各位|身边的|本)?(?:群众|居民|家长|信众|市民|村民|亲友|社会)")
_ADDRESSED = r"请(?:广大)?(?:居民|市民|群众|村民|家长|旅客|游客)(?:朋友)?(?:们)?(?:注意|做好|加强|及时|不要|切勿|提高)"
_ARTICLE = r"^[ \t]*(?:第[一二三四五六七八九十百零〇\d]+条|Article \d+[.:]?)[ \t\u3000]"


def shape_findings(text: str) -> list[Finding]:
    """The bare grade banner, dateline, publication note and rule articles of ``text`` as findings."""
    out = _bare_grade(text)
    for rx, weight, rule, why in (
            (_DATELINE, DATELINE_WEIGHT, "shape:dateline", "a news dateline: the draft is a published news item"),
            (_PUBLISHED, PUBLISHED_WEIGHT, "shape:published", "a note that the text is published"),
            (_PUBLIC_TITLE, PUBLISHED_WEIGHT, "shape:public-title", "the title says the text is public"),
            (_SHARE, SHARE_WEIGHT, "shape:share", "the text invites passing it on to the public"),
            (_ADDRESSED, SHARE_WEIGHT, "shape:addressed", "the text speaks to the public")):
        m = _rx(rx).search(text)
        if m:
            out.append(Finding(m.start(), m.end(), m.group(0), "public_context", "lexicon", weight,
                               f"{why} ('{m.group(0)}')", rule=rule))
    articles = list(_rx(_ARTICLE).finditer(text))
    if len(articles) >= RULE_ARTICLES:
        first = articles[0]
        out.append(Finding(first.start(), first.end(), first.group(0).strip(), "public_context", "lexicon",
                           RULE_WEIGHT, f"{len(articles)} numbered articles: the text of a rule, about secrecy "
                           "in general rather than a particular matter", rule="shape:articles"))
    return out


def _bare_grade(text: str) -> list[Finding]:
    """A grade word alone on one of the first or last lines: the draft's own marking (two
    different grades so placed are a list of the grades)."""
    lines = text.splitlines(keepends=True)
    starts, pos = [], 0
    for line in lines:
        starts.append(pos)
        pos += len(line)
    edge = set(range(min(EDGE_LINES, len(lines)))) | set(range(max(0, len(lines) - EDGE_LINES), len(lines)))
    out = []
    for k in sorted(edge):
        m = _rx(_BARE).match(lines[k].rstrip("\r\n"))
        if m:
            start = starts[k] + m.start(1)
            out.append(Finding(start, start + len(m.group(1)), m.group(1), "marking", "lexicon", 1.0,
                               f"the grade '{m.group(1)}' alone on a line at the edge of the draft: its marking",
                               rule=f"shape:grade:{m.group(1)}", floor=_GRADES[m.group(1)], banner=True))
    if len({f.text for f in out}) > 1:
        return []  # 绝密 / 机密 / 秘密 on lines of their own: a list of the grades, not a marking
    return out


@functools.lru_cache(maxsize=8)
def _rx(pattern: str) -> re.Pattern[str]:
    """A pattern of this module, compiled once (multi-line: ``^`` is a line start), or read
    with the others from :mod:`keywords.datacache` (compiling them costs some 7 ms)."""
    return _kept().get(pattern) or re.compile(pattern, re.MULTILINE)


@functools.lru_cache(maxsize=1)
def _kept() -> dict[str, re.Pattern[str]]:
    from mijian.keywords.datacache import kept_patterns

    return kept_patterns("shape-rx", __file__, (_BARE, _DATELINE, _PUBLISHED, _PUBLIC_TITLE, _SHARE, _ADDRESSED,
                                                _ARTICLE), re.MULTILINE)
