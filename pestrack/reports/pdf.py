"""The annual report as a PDF (ReportLab, A4 landscape): the same sections, tables and words as the
HTML report. Text is set in Bitstream Vera, which ReportLab ships, so Swedish letters print without
fonts from the machine or the network; fulfilment is written in words.

The PDF is tagged (pdf_tags.py: headings, paragraphs, tables with header cells, decoration as
artifacts), has the document language and title, and column headings break between words only:
a heading whose longest word is wider than its column is set smaller until the word fits
("Måluppfyllelse", not "Måluppfylle-lse")."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import SimpleDocTemplate, Spacer

from pestrack.reports.annual import CSV_COLUMNS, FULFILMENT, REPORTED_MARK, SOURCE_LEGEND, AnnualReport
from pestrack.reports.durability import TEXT as DURABILITY_TEXT
from pestrack.reports.durability import Section
from pestrack.reports.labels import LABELS, disclosure_note, words
from pestrack.reports.pdf_tags import Tagged, TaggingCanvas, table

FONT, BOLD = "Vera", "VeraBd"


def _fonts() -> None:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT, "Vera.ttf"))  # found on ReportLab's own font path
        pdfmetrics.registerFont(TTFont(BOLD, "VeraBd.ttf"))
        pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=BOLD, italic=FONT, boldItalic=BOLD)


def _styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    body = ParagraphStyle("body", base["BodyText"], fontName=FONT, fontSize=8.5, leading=10.5)
    return {
        "title": ParagraphStyle("title", base["Title"], fontName=BOLD),
        "h": ParagraphStyle("h", base["Heading2"], fontName=BOLD, fontSize=12, spaceBefore=8),
        "body": body,
        "cell": ParagraphStyle("cell", body, fontSize=7.5, leading=9),
        "num": ParagraphStyle("num", body, fontSize=7.5, leading=9, alignment=2),
        "head": ParagraphStyle("head", body, fontName=BOLD, fontSize=7.5, leading=9, splitLongWords=0),
        "note": ParagraphStyle("note", body, fontSize=7, leading=8.5, textColor=colors.HexColor("#444444")),
    }


# A row of a grid: the column headings (texts), or body cells (text, style name), None beside a spanned note
GridRow = list[str | tuple[str, str] | None]

CELL_PADDING = 6  # ReportLab's table cells: 6 points left and right
MIN_HEAD_SIZE = 5.5


def head_size(text: str, width: float, size: float = 7.5) -> float:
    """The font size at which the longest word of a column heading fits its column (at most ``size``,
    at least MIN_HEAD_SIZE), so that headings wrap between words and never inside one."""
    longest = max((pdfmetrics.stringWidth(w, BOLD, size) for w in text.split()), default=0)
    room = width - 2 * CELL_PADDING
    return size if longest <= room else max(MIN_HEAD_SIZE, size * room / longest)


def _status(status: str | None, lang: str) -> str:
    """In words: Vera has no glyphs for the HTML report's marks (● ◆ ○)."""
    return FULFILMENT[lang][status] if status else ""


_tables = itertools.count()  # each table's key in the structure tree


def grid(rows: list[GridRow], widths: list[float], spans: Sequence[int] = ()):
    """A tagged table whose first row is its column headings (TH, each set to fit its column) and
    whose other cells are (text, style name) pairs (TD), or None for the empty cells of a spanned row.
    Documents with such tables are built with ``canvasmaker=TaggingCanvas``."""
    st, key = _styles(), next(_tables)
    cells = []
    for r, row in enumerate(rows):
        out_row = []
        for c, cell in enumerate(row):
            if cell is None:
                out_row.append("")
            elif r == 0:
                size = head_size(str(cell), widths[c])
                style = ParagraphStyle(f"head{size}", st["head"], fontSize=size, leading=size * 1.2)
                out_row.append(Tagged(escape(str(cell)), style, "TH", (key, r, c)))
            else:
                assert isinstance(cell, tuple)  # a body cell is (text, style name)
                text, style_name = cell
                out_row.append(Tagged(escape(str(text)), st[style_name], "TD", (key, r, c)))
        cells.append(out_row)
    return table(cells, widths, spans)


def story(report: AnnualReport, lang: str) -> list:
    t, st = words(report.goals, lang), _styles()

    def p(text, style="cell", tag="P"):
        return Tagged(escape(str(text)), st[style], tag)

    width = landscape(A4)[0] - 30 * mm
    out = [p(f"{t['title']} {report.period.label}", "title", "H1")]
    out.append(p(SOURCE_LEGEND[lang], "body"))
    if report.units is not None:
        out.append(p(report.covers_note(lang), "body"))
    if not report.complete:
        out.append(p(report.incomplete_note(lang), "body"))
    if report.suppress_below:
        out.append(p(disclosure_note(report.suppress_below, lang), "body"))
    cols = CSV_COLUMNS[2:]
    for goal in report.goals.goals:
        status = report.statuses[goal.id]
        out.append(p(f"{goal.id} {goal.title}", "h", "H2"))
        line = f"{t[goal.level]}. {t['assessed']}: {_status(status['status'], lang) or '–'}"
        if status["assessment"]:
            line += f" ({t['suggested'].lower()}: {_status(status['suggested'], lang) or '–'})"
        out.append(p(line, "body"))
        if status["assessment"] and status["assessment"].analysis:
            out.append(p(status["assessment"].analysis, "note"))
        rows = [r for r in report.rows if r.goal_id == goal.id]
        if rows:
            data: list[GridRow] = [[t["indicator"], *(t[c] for c in cols)]]
            spans: list[int] = []
            for r in rows:
                cells = r.cells(report.year, lang)
                cells["period"] = report.period.label
                cells["fulfilment"] = _status(r.fulfilment, lang) or cells["fulfilment"]
                name = r.name_in(lang)
                if r.indicator is not None and r.indicator.is_reported:
                    name += f" {REPORTED_MARK} {r.source}"
                data.append([(name, "cell"), *((cells[c], "num") for c in cols)])
                note = r.analysis or ("" if r.indicator else t["not_defined"])
                if note:
                    spans.append(len(data))
                    data.append([(f"{t['analysis']}: {note}", "note")] + [None] * len(cols))
            first = width * 0.34
            out.append(grid(data, [first] + [(width - first) / len(cols)] * len(cols), spans))
        if goal.activities:
            data = [[t["activity"], t["status"]]]
            for a in goal.activities:
                shown = a.analysis if report.units is None else ""  # the city's analysis, not a subset's
                data.append(
                    [
                        (a.text + (f" — {t['analysis']}: {shown}" if shown else ""), "cell"),
                        (t[a.status or "no_status"], "cell"),
                    ]
                )
            out.append(Spacer(1, 4))
            out.append(grid(data, [width * 0.82, width * 0.18]))
    for result in report.tables:
        tb = result.table
        out += [p(tb.section[lang], "h", "H2"), p(tb.title[lang], "body")]
        data = [[tb.label[lang], *result.header(lang)]]
        for row, cells in result.printed_rows(lang):
            label = ("    " if row.subset else "") + row.label[lang]
            data.append([(label + (f" ({row.note[lang]})" if row.note else ""), "cell"), *((c, "num") for c in cells)])
        first = width * 0.34
        out.append(grid(data, [first] + [(width - first) / 6] * 6))
    if report.durability is not None:
        out += durability_story(report.durability, lang, width)
    return out


def durability_story(section: Section, lang: str, width: float) -> list:
    """The durability section (reports.durability) as the HTML report prints it."""
    t, st = DURABILITY_TEXT[lang], _styles()

    def p(text, style="body", tag="P"):
        return Tagged(escape(str(text)), st[style], tag)

    out = [p(t["title"], "h", "H2")]
    if section.missing:
        return out + [p(section.missing_line(lang))]
    out += [p(n) for n in section.notes(lang)[:2]]
    data: list[GridRow] = [[t["group"], *section.header(lang)]]
    for group, cells in section.printed_rows(lang):
        label = ("    " if group.breakdown != "total" else "") + group.label[lang]
        data.append([(label, "cell"), *((c, "num") for c in cells)])
    first = width * 0.2
    columns = len(data[0]) - 1
    out += [Spacer(1, 4), grid(data, [first] + [(width - first) / columns] * columns)]
    out.append(p(t["compared"], "h", "H3"))
    if section.compared:
        header: GridRow = list(section.compared_header(lang))
        rows: list[GridRow] = [header]
        rows += [[(c.label[lang], "cell"), *((v, "num") for v in cells)] for c, cells in section.compared_rows(lang)]
        out.append(grid(rows, [width * 0.25] + [width * 0.15] * 5))
    out += [p(n, "note") for n in section.compared_notes(lang)]
    return out + [Spacer(1, 4), p(section.notes(lang)[2], "note")]


def write_pdf(report: AnnualReport, out: Path, lang: str = "sv") -> None:
    _fonts()
    doc = SimpleDocTemplate(
        str(out),
        pagesize=landscape(A4),
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=f"{LABELS[lang]['title']} {report.period.label}",
        author="pestrack",
        subject=report.covers_note(lang) or LABELS[lang]["title"],
        lang=lang,
    )
    doc.build(story(report, lang), canvasmaker=TaggingCanvas)


def write_blocks(title: str, blocks: list[tuple], out, lang: str = "sv") -> None:
    """A document of simple blocks as a tagged A4 PDF in this house style (used for the profiling
    model card): ("h", text), ("p", text), ("warn"|"list", [texts]) and ("table", header, rows);
    ("img", ...) blocks are left out (their numbers are in the tables). ``out``: a path or a file."""
    _fonts()
    st = _styles()
    tables = itertools.count()
    width = A4[0] - 30 * mm

    def p(text, style="body", tag="P"):
        return Tagged(escape(str(text)), st[style], tag)

    story = [p(title, "title", "H1")]
    for b in blocks:
        kind = b[0]
        if kind == "h":
            story.append(p(b[1], "h", "H2"))
        elif kind == "p":
            story.append(p(b[1]))
        elif kind in ("warn", "list"):
            story += [p(("! " if kind == "warn" else "• ") + x) for x in b[1]]
        elif kind == "table":
            key, widths = next(tables), [width / len(b[1])] * len(b[1])
            cells = [
                [
                    Tagged(
                        escape(str(h)),
                        ParagraphStyle(f"head{s}", st["head"], fontSize=s, leading=s * 1.2),
                        "TH",
                        (key, 0, c),
                    )
                    for c, h in enumerate(b[1])
                    for s in [head_size(str(h), widths[c])]
                ]
            ]
            cells += [
                [Tagged(escape(str(v)), st["cell"], "TD", (key, r, c)) for c, v in enumerate(row)]
                for r, row in enumerate(b[2], 1)
            ]
            story.append(table(cells, widths))
        story.append(Spacer(1, 3))
    doc = SimpleDocTemplate(
        out if not isinstance(out, (str, Path)) else str(out),
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=title,
        author="pestrack",
        lang=lang,
    )
    doc.build(story, canvasmaker=TaggingCanvas)
