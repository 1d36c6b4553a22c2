"""Render the sample drafts in ``src/`` into the PDF, DOCX and text files next to this script.

Run with the project's interpreter (needs PyMuPDF and python-docx only)::

    python samples/make_samples.py

The output is deterministic: document dates are fixed, PDFs are written without a file
identifier, and DOCX archives are rewritten with fixed member timestamps. After writing, the
script reads every output back (PDF text with PyMuPDF, DOCX with python-docx), checks that the
source text survived, and checks the resident ID numbers in the roster. Any failure raises.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import docx
import pymupdf
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

HERE = Path(__file__).resolve().parent
SRC = HERE / "src"
MAX_BYTES = 200 * 1024

MM = 72 / 25.4
A4_W, A4_H = 210 * MM, 297 * MM
CJK_FONT = "china-s"  # PyMuPDF built-in CJK font (Adobe-GB1), used for all non-ASCII text
LATIN_FONT = "tiro"  # Times-Roman, used for ASCII runs (digits, Latin) in Chinese PDFs
EN_BODY, EN_BOLD, EN_SANS = "tiro", "hebo", "helv"
ZIP_TIME = (2025, 3, 12, 9, 0, 0)


# --------------------------------------------------------------------------------------
# Source format: blocks separated by blank lines; a block whose first line is ``[tag]``
# has that style, any other block is a body paragraph (its lines joined). Lines starting
# with ``#`` before the first block are comments.
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    tag: str
    lines: tuple[str, ...]

    @property
    def text(self) -> str:
        return "".join(self.lines) if self.tag == "p" else "\n".join(self.lines)


def read_blocks(path: Path) -> list[Block]:
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    while lines and lines[0].startswith("#"):
        lines.pop(0)
    blocks: list[Block] = []
    for chunk in re.split(r"\n\s*\n", "\n".join(lines).strip()):
        rows = [r.rstrip() for r in chunk.split("\n") if r.strip()]
        m = re.fullmatch(r"\[(\w+)\]", rows[0].strip())
        if m:
            blocks.append(Block(m.group(1), tuple(rows[1:])))
        else:
            sep = "" if _is_cjk_text(chunk) else " "
            blocks.append(Block("p", (sep.join(r.strip() for r in rows),)))
    return blocks


def _is_cjk_text(s: str) -> bool:
    return any("\u4e00" <= c <= "\u9fff" for c in s)


def blocks_of(blocks: list[Block], tag: str) -> list[Block]:
    return [b for b in blocks if b.tag == tag]


# --------------------------------------------------------------------------------------
# Chinese PDF: GB/T 9704-style layout on A4 (text block 156 x 225 mm, 22 lines of 28
# characters, top margin 37 mm, left margin 28 mm).
# --------------------------------------------------------------------------------------

ZH_TOP, ZH_LEFT = 37 * MM, 28 * MM
ZH_W, ZH_H = 156 * MM, 225 * MM
ZH_LINES = 22
ZH_PITCH = ZH_H / ZH_LINES
ZH_FS = 15.75  # 3号; 28 characters fill the 156 mm line
ZH_TITLE_FS = 22.0  # 2号
ZH_SMALL_FS = 14.0  # 4号, for 版记 and page numbers
ZH_RESERVED_LINES = 3  # first-page lines kept free for 份号, 密级和保密期限, 紧急程度

NO_LINE_START = set("，。、；：？！）》」』”’…%·,.;:!?)")
NO_LINE_END = set("（《「『“‘(")
OPENING_QUOTES = set("“‘")


@dataclass(frozen=True)
class Tok:
    text: str
    font: str
    width: float


def zh_tokens(text: str, fs: float) -> list[Tok]:
    toks = []
    for m in re.finditer(r"[A-Za-z0-9.\-%/]+| |.", text):
        s = m.group(0)
        if s.isascii():
            toks.append(Tok(s, LATIN_FONT, pymupdf.get_text_length(s, fontname=LATIN_FONT, fontsize=fs)))
        else:
            toks.append(Tok(s, CJK_FONT, fs * len(s)))
    return toks


def wrap_tokens(toks: list[Tok], first: float, rest: float) -> list[list[Tok]]:
    """Greedy line filling with simple 禁则: no closing mark starts a line, no opening mark ends one."""
    lines: list[list[Tok]] = []
    start, n = 0, len(toks)
    while start < n:
        avail = first if not lines else rest
        width, i = 0.0, start
        while i < n and width + toks[i].width <= avail + 0.01:
            width += toks[i].width
            i += 1
        i = max(i, start + 1)
        if i < n:
            j = i
            while j > start + 1 and toks[j].text in NO_LINE_START:
                j -= 1
            while j > start + 1 and toks[j - 1].text in NO_LINE_END:
                j -= 1
            i = j
        lines.append(toks[start:i])
        start = i
        while start < n and toks[start].text == " ":
            start += 1
    return lines


def draw_tokens(page: pymupdf.Page, x: float, baseline: float, toks: list[Tok], fs: float) -> float:
    """Draw consecutive runs of one font each; return the x after the last token."""
    run: list[Tok] = []

    def flush(x0: float) -> float:
        if not run:
            return x0
        s = "".join(t.text for t in run)
        page.insert_text((x0, baseline), s, fontname=run[0].font, fontsize=fs, color=(0, 0, 0))
        return x0 + sum(t.width for t in run)

    for t in toks:
        if t.text in OPENING_QUOTES:
            # The built-in font sets opening quotes at the left of their em box; move the glyph
            # to the right half so it hugs the text it opens, as in full-width typesetting.
            x = flush(x)
            run = []
            page.insert_text((x + 0.45 * fs, baseline), t.text, fontname=t.font, fontsize=fs, color=(0, 0, 0))
            x += t.width
            continue
        if run and t.font != run[0].font:
            x = flush(x)
            run = []
        run.append(t)
    return flush(x)


def width_of(toks: list[Tok]) -> float:
    return sum(t.width for t in toks)


class ZhFlow:
    """Places lines on the 22-line grid, page after page."""

    def __init__(self, doc: pymupdf.Document):
        self.doc = doc
        self.page = doc.new_page(width=A4_W, height=A4_H)
        self.line = ZH_RESERVED_LINES

    def next_line(self) -> None:
        self.line += 1
        if self.line >= ZH_LINES:
            self.page = self.doc.new_page(width=A4_W, height=A4_H)
            self.line = 0

    def baseline(self) -> float:
        return ZH_TOP + self.line * ZH_PITCH + ZH_FS

    def put(self, toks: list[Tok], x: float, fs: float = ZH_FS) -> None:
        if self.line >= ZH_LINES:
            self.next_line()
        draw_tokens(self.page, x, self.baseline(), toks, fs)
        self.next_line()

    def blank(self, n: int = 1) -> None:
        for _ in range(n):
            if self.line != 0:  # never start a page with an empty line
                self.next_line()

    def paragraph(self, text: str, indent_chars: float = 2, hang_chars: float = 0) -> None:
        toks = zh_tokens(text, ZH_FS)
        first = ZH_W - indent_chars * ZH_FS
        rest = ZH_W - hang_chars * ZH_FS
        for k, line in enumerate(wrap_tokens(toks, first, rest)):
            x = ZH_LEFT + (indent_chars if k == 0 else hang_chars) * ZH_FS
            self.put(line, x)

    def centred(self, text: str, fs: float) -> None:
        toks = zh_tokens(text, fs)
        for line in wrap_tokens(toks, ZH_W, ZH_W):
            self.put(line, ZH_LEFT + (ZH_W - width_of(line)) / 2, fs)


def render_zh_notice(src: Path, out: Path, meta: dict[str, str]) -> list[Block]:
    blocks = read_blocks(src)
    doc = pymupdf.open()
    flow = ZhFlow(doc)

    for b in blocks:
        if b.tag == "title":
            for line in b.lines:
                flow.centred(line, ZH_TITLE_FS)
            flow.blank()
        elif b.tag == "to":
            flow.paragraph("".join(b.lines), indent_chars=0)
        elif b.tag in ("p", "h"):
            flow.paragraph("".join(b.lines), indent_chars=2)
        elif b.tag == "attach":
            flow.blank()
            head = b.lines[0]
            label = head.split("：", 1)[0] + "："
            flow.paragraph(head, indent_chars=2, hang_chars=2 + len(label))
            for line in b.lines[1:]:
                flow.paragraph(line, indent_chars=2 + len(label), hang_chars=2 + len(label) + 3)
        elif b.tag == "sign":
            # 不加盖印章: 署名右空二字, 成文日期首字比署名首字右移二字 (GB/T 9704-2012 7.3.5.2)
            flow.blank()
            sign = zh_tokens(b.lines[0], ZH_FS)
            sign_x = ZH_LEFT + ZH_W - 2 * ZH_FS - width_of(sign)
            flow.put(sign, sign_x)
            sign_at = sign_x
        elif b.tag == "date":
            flow.put(zh_tokens(b.lines[0], ZH_FS), sign_at + 2 * ZH_FS)
        elif b.tag == "note":
            flow.paragraph(b.lines[0], indent_chars=2)
        elif b.tag in ("cc", "imprint"):
            continue  # 版记 is drawn at the foot of the last page below
        else:
            raise ValueError(f"{src.name}: unknown block [{b.tag}]")

    draw_zh_imprint(flow, blocks_of(blocks, "cc"), blocks_of(blocks, "imprint"))
    for i, page in enumerate(doc, start=1):
        draw_zh_page_number(page, i)

    doc.set_metadata(meta)
    doc.set_language("zh-CN")
    doc.save(out, garbage=4, deflate=True, clean=True, no_new_id=True)
    doc.close()
    return blocks


def draw_zh_imprint(flow: ZhFlow, cc: list[Block], imprint: list[Block]) -> None:
    """版记 at the foot of the last page: 抄送 and 印发机关/印发日期 between rules."""
    fs = ZH_SMALL_FS
    pitch = ZH_PITCH * 0.9
    cc_lines: list[list[Tok]] = []
    hang = 0.0
    for b in cc:
        text = "".join(b.lines)
        label = text.split("：", 1)[0] + "："
        hang = (1 + len(label)) * fs
        cc_lines += wrap_tokens(zh_tokens(text, fs), ZH_W - 2 * fs, ZH_W - hang - fs)
    rows = len(cc_lines) + len(imprint)
    needed = rows * pitch + 4
    bottom = ZH_TOP + ZH_H
    top_rule = bottom - needed
    used_to = ZH_TOP + flow.line * ZH_PITCH
    if flow.line >= ZH_LINES or used_to > top_rule - ZH_PITCH:
        flow.page = flow.doc.new_page(width=A4_W, height=A4_H)
        flow.line = 0
    page = flow.page
    page.draw_line((ZH_LEFT, top_rule), (ZH_LEFT + ZH_W, top_rule), width=1.0)
    y = top_rule
    for k, line in enumerate(cc_lines):
        y += pitch
        x = ZH_LEFT + (fs if k == 0 else hang)
        draw_tokens(page, x, y - pitch * 0.3, line, fs)
    if cc_lines:
        page.draw_line((ZH_LEFT, y), (ZH_LEFT + ZH_W, y), width=0.7)
    for b in imprint:
        left, right = b.lines[0].split("|")
        y += pitch
        draw_tokens(page, ZH_LEFT + fs, y - pitch * 0.3, zh_tokens(left, fs), fs)
        rt = zh_tokens(right, fs)
        draw_tokens(page, ZH_LEFT + ZH_W - fs - width_of(rt), y - pitch * 0.3, rt, fs)
    page.draw_line((ZH_LEFT, bottom), (ZH_LEFT + ZH_W, bottom), width=1.0)


def zh_page_number_text(i: int) -> str:
    return f"— {i} —"


def draw_zh_page_number(page: pymupdf.Page, i: int) -> None:
    """页码: 4号, 版心下边缘之下 7 mm; 单页码居右空一字, 双页码居左空一字."""
    fs = ZH_SMALL_FS
    toks = zh_tokens(zh_page_number_text(i), fs)
    y = ZH_TOP + ZH_H + 7 * MM + fs
    x = ZH_LEFT + ZH_W - fs - width_of(toks) if i % 2 else ZH_LEFT + fs
    draw_tokens(page, x, y, toks, fs)


# --------------------------------------------------------------------------------------
# English PDF report (A4, 25 mm margins, Times body, Helvetica headings). Base-14 fonts
# carry ASCII only, so the source is checked to be ASCII.
# --------------------------------------------------------------------------------------

EN_MARGIN = 25 * MM
EN_W = A4_W - 2 * EN_MARGIN
EN_FS, EN_LEAD = 11.5, 15.2


def en_wrap(text: str, font: str, fs: float, width: float) -> list[str]:
    lines, cur = [], ""
    for word in text.split():
        trial = f"{cur} {word}" if cur else word
        if cur and pymupdf.get_text_length(trial, fontname=font, fontsize=fs) > width:
            lines.append(cur)
            cur = word
        else:
            cur = trial
    if cur:
        lines.append(cur)
    return lines


class EnFlow:
    def __init__(self, doc: pymupdf.Document):
        self.doc = doc
        self.top = EN_MARGIN + 6 * MM
        self.bottom = A4_H - EN_MARGIN - 4 * MM
        self.new_page()

    def new_page(self) -> None:
        self.page = self.doc.new_page(width=A4_W, height=A4_H)
        self.y = self.top

    def ensure(self, h: float) -> None:
        if self.y + h > self.bottom:
            self.new_page()

    def line(self, s: str, font: str, fs: float, lead: float, x: float = EN_MARGIN, centre: bool = False) -> None:
        self.ensure(lead)
        if centre:
            x = EN_MARGIN + (EN_W - pymupdf.get_text_length(s, fontname=font, fontsize=fs)) / 2
        self.page.insert_text((x, self.y + fs), s, fontname=font, fontsize=fs, color=(0, 0, 0))
        self.y += lead

    def para(self, text: str, font: str = EN_BODY, fs: float = EN_FS, lead: float = EN_LEAD,
             indent: float = 0, after: float = 6) -> None:
        for s in en_wrap(text, font, fs, EN_W - indent):
            self.line(s, font, fs, lead, EN_MARGIN + indent)
        self.y += after

    def table(self, rows: list[list[str]], fractions: list[float]) -> None:
        """A ruled table: bold header on grey, cells wrapped in Helvetica 9.5 pt."""
        fs, lead, pad = 9.5, 12.0, 4.0
        widths = [f * EN_W for f in fractions]
        for r, row in enumerate(rows):
            font = EN_BOLD if r == 0 else EN_SANS
            cells = [en_wrap(v, font, fs, w - 2 * pad) for v, w in zip(row, widths)]
            h = max(len(c) for c in cells) * lead + 2 * pad
            self.ensure(h)
            x = EN_MARGIN
            for lines, w in zip(cells, widths):
                rect = pymupdf.Rect(x, self.y, x + w, self.y + h)
                self.page.draw_rect(rect, color=(0, 0, 0), fill=(0.85, 0.85, 0.85) if r == 0 else None, width=0.5)
                for k, s in enumerate(lines):
                    self.page.insert_text((x + pad, self.y + pad + k * lead + fs), s, fontname=font, fontsize=fs,
                                          color=(0, 0, 0))
                x += w
            self.y += h
        self.y += 8


def render_en_report(src: Path, out: Path, meta: dict[str, str], header: str) -> list[Block]:
    blocks = read_blocks(src)
    for b in blocks:
        for s in b.lines:
            if not s.isascii():
                raise ValueError(f"{src.name}: non-ASCII text cannot use the base-14 fonts: {s!r}")
    doc = pymupdf.open()
    flow = EnFlow(doc)
    for b in blocks:
        if b.tag == "title":
            for s in b.lines:
                for w in en_wrap(s, EN_BOLD, 17, EN_W):
                    flow.line(w, EN_BOLD, 17, 22)
            flow.y += 2
        elif b.tag == "subtitle":
            for s in b.lines:
                flow.line(s, EN_SANS, 10, 14)
            flow.y += 4
            flow.page.draw_line((EN_MARGIN, flow.y), (EN_MARGIN + EN_W, flow.y), width=0.6)
            flow.y += 10
        elif b.tag == "h":
            flow.ensure(18 + 2 * EN_LEAD)  # keep a heading with the start of its text
            flow.y += 4
            flow.para(b.lines[0], EN_BOLD, 12, 17, after=2)
        elif b.tag == "p":
            flow.para(b.text)
        elif b.tag == "bullet":
            flow.ensure(EN_LEAD)
            cy = flow.y + EN_FS * 0.62
            flow.page.draw_circle((EN_MARGIN + 8, cy), 1.6, color=(0, 0, 0), fill=(0, 0, 0))
            flow.para(" ".join(b.lines), indent=18, after=3)
        elif b.tag == "sign":
            flow.y += 8
            for s in b.lines:
                flow.line(s, "heit", 10.5, 14)
            flow.y += 8
        elif b.tag == "table":
            flow.table([r.split("|") for r in b.lines], [0.30, 0.17, 0.17, 0.36])
        else:
            raise ValueError(f"{src.name}: unknown block [{b.tag}]")

    n = doc.page_count
    for i, page in enumerate(doc, start=1):
        # Furniture stays at the left and right so the centre of the top and bottom margins
        # is free for classification banners.
        page.insert_text((EN_MARGIN, 15 * MM), header, fontname=EN_SANS, fontsize=8.5, color=(0.3, 0.3, 0.3))
        footer = en_page_footer(i, n)
        fw = pymupdf.get_text_length(footer, fontname=EN_SANS, fontsize=8.5)
        page.insert_text((A4_W - EN_MARGIN - fw, A4_H - 13 * MM), footer, fontname=EN_SANS, fontsize=8.5,
                         color=(0.3, 0.3, 0.3))
    doc.set_metadata(meta)
    doc.set_language("en-GB")
    doc.save(out, garbage=4, deflate=True, clean=True, no_new_id=True)
    doc.close()
    return blocks


def en_page_footer(i: int, n: int) -> str:
    return f"Page {i} of {n}"


# --------------------------------------------------------------------------------------
# DOCX helpers
# --------------------------------------------------------------------------------------


def set_font(run, latin: str, east: str | None = None, size: float | None = None, bold: bool | None = None):
    run.font.name = latin
    rfonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    rfonts.set(qn("w:eastAsia"), east or latin)
    if size is not None:
        run.font.size = Pt(size)
    if bold is not None:
        run.font.bold = bold
    return run


def style_font(style, latin: str, east: str, size: float, lang: str, east_lang: str) -> None:
    style.font.name = latin
    style.font.size = Pt(size)
    rpr = style.element.get_or_add_rPr()
    rpr.get_or_add_rFonts().set(qn("w:eastAsia"), east)
    lang_el = OxmlElement("w:lang")
    lang_el.set(qn("w:val"), lang)
    lang_el.set(qn("w:eastAsia"), east_lang)
    rpr.append(lang_el)


def add_field(paragraph, instr: str, latin: str, east: str, size: float) -> None:
    """Append a simple field (PAGE, NUMPAGES) whose cached result is '1'."""
    fld = OxmlElement("w:fldSimple")
    fld.set(qn("w:instr"), instr)
    r = OxmlElement("w:r")
    rpr = OxmlElement("w:rPr")
    fonts = OxmlElement("w:rFonts")
    for attr in ("w:ascii", "w:hAnsi"):
        fonts.set(qn(attr), latin)
    fonts.set(qn("w:eastAsia"), east)
    sz = OxmlElement("w:sz")
    sz.set(qn("w:val"), str(int(size * 2)))
    rpr.append(fonts)
    rpr.append(sz)
    r.append(rpr)
    t = OxmlElement("w:t")
    t.text = "1"
    r.append(t)
    fld.append(r)
    paragraph._p.append(fld)


def shade(cell, fill: str) -> None:
    tcpr = cell._element.get_or_add_tcPr()
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    tcpr.append(shd)


def a4_section(document, top: float, bottom: float, left: float, right: float) -> None:
    sec = document.sections[0]
    sec.orientation = WD_ORIENT.PORTRAIT
    sec.page_width, sec.page_height = Mm(210), Mm(297)
    sec.top_margin, sec.bottom_margin = Mm(top), Mm(bottom)
    sec.left_margin, sec.right_margin = Mm(left), Mm(right)
    sec.header_distance, sec.footer_distance = Mm(15), Mm(15)


def fill_table(document, rows: list[list[str]], widths_mm: list[float], latin: str, east: str,
               size: float, header_fill: str = "D9D9D9"):
    table = document.add_table(rows=len(rows), cols=len(rows[0]))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for c, w in enumerate(widths_mm):
        table.columns[c].width = Mm(w)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            cell = table.cell(r, c)
            cell.width = Mm(widths_mm[c])
            p = cell.paragraphs[0]
            p.paragraph_format.space_before = Pt(1)
            p.paragraph_format.space_after = Pt(1)
            p.paragraph_format.first_line_indent = Pt(0)
            p.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
            set_font(p.add_run(value), latin, east, size, bold=(r == 0))
            if r == 0:
                shade(cell, header_fill)
                p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    return table


def set_core(document, title: str, author: str, subject: str, keywords: str, when: datetime, lang: str) -> None:
    cp = document.core_properties
    cp.title, cp.author, cp.subject, cp.keywords = title, author, subject, keywords
    cp.last_modified_by = author
    cp.created = cp.modified = when
    cp.revision = 1
    cp.language = lang
    cp.comments = ""
    cp.category = ""


def save_docx(document, out: Path) -> None:
    """Save with fixed zip member times so the bytes do not depend on the clock."""
    raw = io.BytesIO()
    document.save(raw)
    src = zipfile.ZipFile(io.BytesIO(raw.getvalue()))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            zi = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            z.writestr(zi, src.read(info.filename))
    out.write_bytes(buf.getvalue())


# --------------------------------------------------------------------------------------
# DOCX: Chinese meeting minutes
# --------------------------------------------------------------------------------------

ZH_SONG, ZH_FANG, ZH_HEI = "宋体", "仿宋", "黑体"
ZH_LATIN = "Times New Roman"
ZH_DOCX_FS = 12.0  # 小四


def render_zh_minutes(src: Path, out: Path) -> list[Block]:
    blocks = read_blocks(src)
    d = docx.Document()
    a4_section(d, 37, 35, 28, 26)
    style_font(d.styles["Normal"], ZH_LATIN, ZH_FANG, ZH_DOCX_FS, "en-US", "zh-CN")
    pf = d.styles["Normal"].paragraph_format
    pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    pf.line_spacing = Pt(22)
    pf.space_before = pf.space_after = Pt(0)
    sec = d.sections[0]

    for b in blocks:
        if b.tag == "header":
            p = sec.header.paragraphs[0]
            p.alignment = WD_ALIGN_PARAGRAPH.LEFT
            set_font(p.add_run(b.lines[0]), ZH_LATIN, ZH_SONG, 10.5)
        elif b.tag == "footer":
            p = sec.footer.paragraphs[0]
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            set_font(p.add_run(b.lines[0] + "    第 "), ZH_LATIN, ZH_SONG, 10.5)
            add_field(p, "PAGE", ZH_LATIN, ZH_SONG, 10.5)
            set_font(p.add_run(" 页 共 "), ZH_LATIN, ZH_SONG, 10.5)
            add_field(p, "NUMPAGES", ZH_LATIN, ZH_SONG, 10.5)
            set_font(p.add_run(" 页"), ZH_LATIN, ZH_SONG, 10.5)
        elif b.tag == "title":
            for s in b.lines:
                p = d.add_paragraph()
                p.alignment = WD_ALIGN_PARAGRAPH.CENTER
                p.paragraph_format.line_spacing = Pt(30)
                p.paragraph_format.space_after = Pt(10)
                set_font(p.add_run(s), ZH_LATIN, ZH_SONG, 18, bold=True)
        elif b.tag == "meta":
            for s in b.lines:
                label, value = s.split("：", 1)
                p = d.add_paragraph()
                p.paragraph_format.left_indent = Pt(ZH_DOCX_FS * 3)
                p.paragraph_format.first_line_indent = Pt(-ZH_DOCX_FS * 3)
                set_font(p.add_run(label + "："), ZH_LATIN, ZH_HEI, ZH_DOCX_FS)
                set_font(p.add_run(value), ZH_LATIN, ZH_FANG, ZH_DOCX_FS)
            d.add_paragraph()
        elif b.tag == "h":
            p = d.add_paragraph()
            p.paragraph_format.first_line_indent = Pt(2 * ZH_DOCX_FS)
            p.paragraph_format.space_before = Pt(4)
            set_font(p.add_run(b.lines[0]), ZH_LATIN, ZH_HEI, ZH_DOCX_FS)
        elif b.tag == "p":
            p = d.add_paragraph()
            p.paragraph_format.first_line_indent = Pt(2 * ZH_DOCX_FS)
            set_font(p.add_run(b.text), ZH_LATIN, ZH_FANG, ZH_DOCX_FS)
        elif b.tag == "table":
            rows = [r.split("|") for r in b.lines]
            fill_table(d, rows, [12, 44, 22, 20, 34, 24], ZH_LATIN, ZH_FANG, 10.5)
            d.add_paragraph()
        elif b.tag == "dist":
            p = d.add_paragraph()
            p.paragraph_format.space_before = Pt(18)
            set_font(p.add_run(b.lines[0]), ZH_LATIN, ZH_FANG, 10.5)
        else:
            raise ValueError(f"{src.name}: unknown block [{b.tag}]")

    title = blocks_of(blocks, "title")[0].lines[0]
    set_core(d, title, "临江区发展和改革局办公室", "会议纪要（草稿）", "会议纪要;工作安排;任务分工",
             datetime(2025, 4, 3, 10, 0, 0), "zh-CN")
    save_docx(d, out)
    return blocks


# --------------------------------------------------------------------------------------
# DOCX: English memorandum
# --------------------------------------------------------------------------------------

EN_DOCX_FONT = "Arial"


def render_en_memo(src: Path, out: Path) -> list[Block]:
    blocks = read_blocks(src)
    d = docx.Document()
    a4_section(d, 25, 25, 25, 25)
    style_font(d.styles["Normal"], EN_DOCX_FONT, EN_DOCX_FONT, 11, "en-GB", "zh-CN")
    pf = d.styles["Normal"].paragraph_format
    pf.space_before, pf.space_after = Pt(0), Pt(6)
    pf.line_spacing = 1.1
    sec = d.sections[0]
    grey = RGBColor(0x59, 0x59, 0x59)

    for b in blocks:
        if b.tag == "header":
            p = sec.header.paragraphs[0]
            r = set_font(p.add_run(b.lines[0]), EN_DOCX_FONT, None, 8.5)
            r.font.color.rgb = grey
        elif b.tag == "footer":
            p = sec.footer.paragraphs[0]
            r = set_font(p.add_run(b.lines[0] + "  Page "), EN_DOCX_FONT, None, 8.5)
            r.font.color.rgb = grey
            add_field(p, "PAGE", EN_DOCX_FONT, EN_DOCX_FONT, 8.5)
            r = set_font(p.add_run(" of "), EN_DOCX_FONT, None, 8.5)
            r.font.color.rgb = grey
            add_field(p, "NUMPAGES", EN_DOCX_FONT, EN_DOCX_FONT, 8.5)
        elif b.tag == "title":
            p = d.add_paragraph()
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            p.paragraph_format.space_after = Pt(14)
            set_font(p.add_run(b.lines[0]), EN_DOCX_FONT, None, 16, bold=True)
        elif b.tag == "meta":
            for s in b.lines:
                label, value = s.split(":", 1)
                p = d.add_paragraph()
                p.paragraph_format.space_after = Pt(2)
                p.paragraph_format.left_indent = Mm(28)
                p.paragraph_format.first_line_indent = Mm(-28)
                p.paragraph_format.tab_stops.add_tab_stop(Mm(28))
                set_font(p.add_run(label + ":"), EN_DOCX_FONT, None, 11, bold=True)
                set_font(p.add_run("\t" + value.strip()), EN_DOCX_FONT, None, 11, bold=(label == "Subject"))
            rule = d.add_paragraph()
            ppr = rule._p.get_or_add_pPr()
            bdr = OxmlElement("w:pBdr")
            bottom = OxmlElement("w:bottom")
            for k, v in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "auto")):
                bottom.set(qn(k), v)
            bdr.append(bottom)
            ppr.append(bdr)
        elif b.tag == "h":
            p = d.add_paragraph()
            p.paragraph_format.space_before = Pt(8)
            p.paragraph_format.keep_with_next = True
            set_font(p.add_run(b.lines[0]), EN_DOCX_FONT, None, 11, bold=True)
        elif b.tag == "p":
            p = d.add_paragraph()
            p.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
            set_font(p.add_run(b.text), EN_DOCX_FONT, None, 11)
        elif b.tag == "table":
            rows = [r.split("|") for r in b.lines]
            fill_table(d, rows, [20, 20, 50, 40, 30], EN_DOCX_FONT, EN_DOCX_FONT, 10)
            d.add_paragraph().paragraph_format.space_after = Pt(2)
        elif b.tag == "sign":
            d.add_paragraph().paragraph_format.space_before = Pt(12)
            for k, s in enumerate(b.lines):
                p = d.add_paragraph()
                p.paragraph_format.space_after = Pt(0)
                set_font(p.add_run(s), EN_DOCX_FONT, None, 11, bold=(k == 0))
        elif b.tag == "dist":
            p = d.add_paragraph()
            p.paragraph_format.space_before = Pt(18)
            set_font(p.add_run(b.lines[0]), EN_DOCX_FONT, None, 9)
        else:
            raise ValueError(f"{src.name}: unknown block [{b.tag}]")

    subject = next(s for s in blocks_of(blocks, "meta")[0].lines if s.startswith("Subject:"))
    set_core(d, subject.split(":", 1)[1].strip(), "Directorate of Land Capability", "Memorandum LC/2025/031 (draft)",
             "KESTREL-B; 2nd Battalion; SITE LANTERN", datetime(2025, 3, 12, 9, 30, 0), "en-GB")
    save_docx(d, out)
    return blocks


# --------------------------------------------------------------------------------------
# Plain-text samples and the roster self-check
# --------------------------------------------------------------------------------------

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
ID_RE = re.compile(r"(?<![0-9])([0-9]{17}[0-9X])(?![0-9A-Za-z])")
MOBILE_RE = re.compile(r"(?<![0-9])(1[3-9][0-9]{9})(?![0-9])")


def id_check_digit(first17: str) -> str:
    return ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS)) % 11]


def check_roster(text: str) -> int:
    """Raise unless every 18-character resident ID is well formed; return how many were seen."""
    ids = ID_RE.findall(text)
    if len(ids) < 10:
        raise ValueError(f"roster: expected at least 10 resident ID numbers, found {len(ids)}")
    if len(set(ids)) != len(ids):
        raise ValueError("roster: duplicate resident ID numbers")
    for idn in ids:
        if id_check_digit(idn[:17]) != idn[17]:
            raise ValueError(f"roster: wrong check digit in {idn} (expected {id_check_digit(idn[:17])})")
        born = datetime.strptime(idn[6:14], "%Y%m%d").date()  # raises on an impossible date
        if not date(1955, 1, 1) <= born <= date(2007, 3, 31):
            raise ValueError(f"roster: implausible birth date in {idn}")
    for line in text.splitlines():
        m = ID_RE.search(line)
        if m:
            birth = re.search(r"(\d{4})-(\d{2})-(\d{2})", line)
            if not birth or "".join(birth.groups()) != m.group(1)[6:14]:
                raise ValueError(f"roster: birth date column disagrees with ID in line {line!r}")
            sex = "男" if int(m.group(1)[16]) % 2 else "女"
            if sex not in line:
                raise ValueError(f"roster: sex column disagrees with ID in line {line!r}")
            if not MOBILE_RE.search(line):
                raise ValueError(f"roster: no 11-digit mobile number in line {line!r}")
    return len(ids)


def copy_text(src: Path, out: Path) -> str:
    text = src.read_text(encoding="utf-8").replace("\r\n", "\n").rstrip("\n") + "\n"
    out.write_text(text, encoding="utf-8", newline="\n")
    return text


# --------------------------------------------------------------------------------------
# Read-back checks
# --------------------------------------------------------------------------------------


def squash(s: str) -> str:
    return re.sub(r"\s+", "", s)


def pdf_text(path: Path, furniture: re.Pattern[str]) -> tuple[int, str, dict[str, str]]:
    with pymupdf.open(path) as doc:
        pages = [doc[i].get_text() for i in range(doc.page_count)]
        meta = dict(doc.metadata or {})
        n = doc.page_count
    kept = [ln for p in pages for ln in p.splitlines() if not furniture.fullmatch(ln.strip())]
    return n, "\n".join(kept), meta


def expect_blocks(name: str, blocks: list[Block], text: str, skip: tuple[str, ...] = ()) -> None:
    hay = squash(text)
    for b in blocks:
        if b.tag in skip:
            continue
        for piece in (b.lines if b.tag != "p" else (b.text,)):
            for part in piece.split("|"):
                if squash(part) and squash(part) not in hay:
                    raise AssertionError(f"{name}: text not found after reading back: {part[:40]!r}")


def docx_text(path: Path) -> tuple[str, int]:
    d = docx.Document(str(path))
    parts = [p.text for p in d.paragraphs]
    for t in d.tables:
        for row in t.rows:
            parts += [c.text for c in row.cells]
    for s in d.sections:
        parts += [p.text for p in s.header.paragraphs] + [p.text for p in s.footer.paragraphs]
    return "\n".join(parts), len(d.tables)


def check_recipients(path: Path) -> int:
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        if reader.fieldnames != ["id", "name", "unit", "email"]:
            raise ValueError(f"recipients.csv: bad header {reader.fieldnames}")
        rows = list(reader)
    ids = [r["id"] for r in rows]
    if len(rows) < 8 or len(set(ids)) != len(ids) or not all(re.fullmatch(r"R\d{3}", i) for i in ids):
        raise ValueError("recipients.csv: need at least 8 rows with unique ids like R001")
    if not all(r["email"].endswith("@example.org") for r in rows):
        raise ValueError("recipients.csv: emails must be @example.org")
    return len(rows)


# --------------------------------------------------------------------------------------


def main() -> None:
    fixed = "D:20250310090000+08'00'"
    zh_notice = render_zh_notice(
        SRC / "zh_notice_secret.txt", HERE / "zh_notice_secret.pdf",
        {
            "title": "江澜省人民政府办公厅关于做好“砺锋-2025”跨区机动演训地方保障工作的通知",
            "author": "江澜省人民政府办公厅",
            "subject": "通知（送审稿）",
            "keywords": "演训保障;临时驻地;交通管制",
            "creator": "Word processor draft",
            "producer": "PyMuPDF",
            "creationDate": fixed,
            "modDate": fixed,
        },
    )
    fixed_en = "D:20250304143000+00'00'"
    en_report = render_en_report(
        SRC / "en_report_confidential.txt", HERE / "en_report_confidential.pdf",
        {
            "title": "Negotiating Brief: Renewal of the Eastmere Ferry Operating Agreement",
            "author": "Commercial Contracts Team, Eastmere Harbour Authority",
            "subject": "Negotiating brief, draft 3",
            "keywords": "ferry; contract renewal; negotiating position",
            "creator": "Word processor draft",
            "producer": "PyMuPDF",
            "creationDate": fixed_en,
            "modDate": fixed_en,
        },
        header="Eastmere Harbour Authority - Transport Contracts Committee - Draft 3",
    )
    zh_minutes = render_zh_minutes(SRC / "zh_meeting_internal.txt", HERE / "zh_meeting_internal.docx")
    en_memo = render_en_memo(SRC / "en_memo_secret.txt", HERE / "en_memo_secret.docx")
    copy_text(SRC / "zh_training_public.txt", HERE / "zh_training_public.txt")
    copy_text(SRC / "en_press_release.txt", HERE / "en_press_release.txt")
    roster = copy_text(SRC / "zh_roster_personal.txt", HERE / "zh_roster_personal.txt")

    # ---- read everything back ----
    n_ids = check_roster((HERE / "zh_roster_personal.txt").read_text(encoding="utf-8"))
    assert roster == (HERE / "zh_roster_personal.txt").read_text(encoding="utf-8")

    zh_furniture = re.compile(r"—\s*\d+\s*—")
    n, text, meta = pdf_text(HERE / "zh_notice_secret.pdf", zh_furniture)
    if not 2 <= n <= 3:
        raise AssertionError(f"zh_notice_secret.pdf: {n} pages, expected 2-3")
    expect_blocks("zh_notice_secret.pdf", zh_notice, text)
    for phrase in ("不得扩大知悉范围", "机密级", "江澜省人民政府办公厅"):
        if phrase not in squash(text):
            raise AssertionError(f"zh_notice_secret.pdf: {phrase!r} not extracted")
    if not meta.get("title", "").startswith("江澜省") or meta.get("creationDate") != fixed:
        raise AssertionError("zh_notice_secret.pdf: metadata not as written")

    en_furniture = re.compile(r"Page \d+ of \d+|Eastmere Harbour Authority - Transport Contracts Committee - Draft 3")
    n, text, meta = pdf_text(HERE / "en_report_confidential.pdf", en_furniture)
    if n != 2:
        raise AssertionError(f"en_report_confidential.pdf: {n} pages, expected 2")
    expect_blocks("en_report_confidential.pdf", en_report, text)

    text, tables = docx_text(HERE / "zh_meeting_internal.docx")
    expect_blocks("zh_meeting_internal.docx", zh_minutes, text)
    if tables != 1:
        raise AssertionError("zh_meeting_internal.docx: expected one table")
    text, tables = docx_text(HERE / "en_memo_secret.docx")
    expect_blocks("en_memo_secret.docx", en_memo, text)
    if tables != 1:
        raise AssertionError("en_memo_secret.docx: expected one table")

    n_rec = check_recipients(HERE / "recipients.csv")

    outputs = ["zh_notice_secret.pdf", "zh_meeting_internal.docx", "zh_training_public.txt", "en_memo_secret.docx",
               "en_report_confidential.pdf", "en_press_release.txt", "zh_roster_personal.txt"]
    for name in outputs:
        size = (HERE / name).stat().st_size
        if size >= MAX_BYTES:
            raise AssertionError(f"{name}: {size} bytes, over {MAX_BYTES}")
        print(f"{name:28s} {size:7d} bytes")
    print(f"roster: {n_ids} resident ID numbers checked; recipients: {n_rec} rows")


if __name__ == "__main__":
    main()
