"""The monthly labour-market bulletin (docs/lmi.md, "The bulletin"): the month's flows and stock
as published (suppressed and rounded), the same month a year earlier, the twelve months before as
a chart, the breakdowns by contract type and sector, and with every figure its definition, source,
knowledge date and revision note. HTML (one self-contained page: inline style and SVG, no scripts,
no network) or PDF; Swedish or English."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

from pestrack.indicators.compute import Result
from pestrack.indicators.definitions import Indicator
from pestrack.indicators.disclosure import threshold
from pestrack.indicators.engines import Engine
from pestrack.records.codes import classifications
from pestrack.reports import lmi
from pestrack.reports.formatting import number

SHOWN = ("lmi_hires", "lmi_terminations", "lmi_net_balance", "lmi_conversions", "lmi_stock")
BREAKDOWNS = ("contract_type", "sector")
LABELS: dict[str, dict[str, Any]] = {
    "sv": {
        "title": "Arbetsmarknadsbulletin",
        "month": "Månad",
        "figure": "Uppgift",
        "value": "Värde",
        "year_before": "Samma månad året före",
        "known_on": "Kunskapsdag",
        "known_note": "Alla uppgifter avser det som var känt {day}: senare inkomna eller rättade anmälningar ändrar inte denna utgåva.",
        "source": "Källa",
        "source_text": "Arbetsgivarnas anmälningar av anställningar och avslut (kontraktshändelser), pestrack lmi.",
        "definition": "Definition",
        "revision": "Revideringar",
        "revision_text": "Av månadens {events} anmälda händelser kom {late} in mer än 30 dagar efter händelsen och {corrected} har rättats.",
        "disclosure": "Antal under {below} redovisas som <{below}, och en kategori till döljs (..) där en ensam kunde räknas fram. Övriga antal är avrundade till närmaste {step}.",
        "chart": "Anställningar och avslut, de senaste tolv månaderna",
        "by": {"contract_type": "Efter anställningsform", "sector": "Efter näringsgren (SNI 2007)"},
        "total": "Totalt",
        "not_covered": "ingen uppgift (utanför uppgifternas period)",
        "hires": "Anställningar",
        "terminations": "Avslut",
        "blue": "blå staplar",
        "red": "röda staplar",
        "durability": "Varaktighet: i arbete efter avslut till arbete",
        "durability_cols": ["Månader efter avslutet", "Avslut till arbete", "Andel i arbete"],
        "durability_note": "Deltagare som avslutades till arbete och som var anställda (enligt arbetsgivarnas anmälningar, inte uppföljningarna) så många månader efter avslutet; bara avslut vars tidpunkt var känd på kunskapsdagen.",
        "compared": "Varar arbetet längre efter insatsen? Jämförelse med en matchad grupp",
        "compared_cols": [
            "Insats",
            "Deltagare",
            "Matchad jämförelsegrupp",
            "Skillnad (procentenheter)",
            "95 % konfidensintervall",
        ],
        "compared_note": "Av dem som avslutades till arbete: andelen i arbete {months} månader efter avslutet bland dem som deltog i insatsen och i en jämförelsegrupp som inte gjorde det, matchad på kön, ålder, utbildning, född utomlands och målgrupp (propensity score matching, pestrack evaluate). Ett intervall som inte omfattar 0 tyder på en skillnad; jämförelsen bygger på registrerade egenskaper och utesluter inte andra skillnader.",
    },
    "en": {
        "title": "Labour-market bulletin",
        "month": "Month",
        "figure": "Figure",
        "value": "Value",
        "year_before": "Same month a year before",
        "known_on": "Knowledge date",
        "known_note": "Every figure is what was known on {day}: communications received or corrected later do not change this edition.",
        "source": "Source",
        "source_text": "Employers' communications of hires and terminations (contract events), pestrack lmi.",
        "definition": "Definition",
        "revision": "Revisions",
        "revision_text": "Of the month's {events} communicated events, {late} arrived more than 30 days after the event and {corrected} have been corrected.",
        "disclosure": "Counts below {below} are shown as <{below}, and one more category is withheld (..) where one alone could be worked out. Other counts are rounded to the nearest {step}.",
        "chart": "Hires and terminations, the last twelve months",
        "by": {"contract_type": "By contract type", "sector": "By industry (SNI 2007)"},
        "total": "Total",
        "not_covered": "no figure (outside the period of the data)",
        "hires": "Hires",
        "terminations": "Terminations",
        "blue": "blue bars",
        "red": "red bars",
        "durability": "Durability: in work after an exit to work",
        "durability_cols": ["Months after the exit", "Exits to work", "Share in work"],
        "durability_note": "Participants who left for work and held a position (from employers' communications, not the follow-ups) that many months after the exit; only exits whose date was known on the knowledge date.",
        "compared": "Does work last longer after the measure? A comparison with a matched group",
        "compared_cols": [
            "Measure",
            "Participants",
            "Matched comparison group",
            "Difference (percentage points)",
            "95 % confidence interval",
        ],
        "compared_note": "Of those who left for work: the share in work {months} months after the exit among those who took part in the measure and in a comparison group who did not, matched on sex, age, education, born abroad and target group (propensity-score matching, pestrack evaluate). An interval that does not include 0 suggests a difference; the comparison rests on recorded characteristics and does not rule out others.",
    },
}
MONTHS = {
    "sv": "januari februari mars april maj juni juli augusti september oktober november december".split(),
    "en": "January February March April May June July August September October November December".split(),
}


@dataclass
class Bulletin:
    month: str  # YYYY-MM
    known_on: dt.date
    indicators: dict[str, Indicator]
    results: dict[tuple[str, str, str, str | None], Result]  # (id, period, breakdown, value) -> published
    months: list[str]  # the chart's months, oldest first
    revisions: dict[str, int]
    below: int
    step: int
    codes: classifications.Classifications
    categories: dict[str, list[str]] = field(default_factory=dict)
    # filled by the caller that has the PES tables (pestrack lmi bulletin --participants): the
    # durability of exits to work, (months, exits, of them in work), and per compared measure a dict
    # of treated, matched, difference, low, high (percent) and n_treated, n_control
    durability: list[tuple[int, int, int]] = field(default_factory=list)
    comparisons: list[dict] = field(default_factory=list)

    def value(self, ind: str, period: str, breakdown: str = "total", value: str | None = None):
        r = self.results.get((ind, period, breakdown, value))
        if r is None:  # a period that was computed but has no row for the category: no events
            return 0 if (ind, period, "total", None) in self.results else None
        return r.suppressed if r.suppressed else r.value


def _month_before(month: str, n: int) -> str:
    y, m = lmi.month(month)
    k = y * 12 + m - 1 - n
    return f"{k // 12}-{k % 12 + 1:02d}"


def build(
    engine: Engine, data: Path, month: str, profile: str | None = None, known_on: dt.date | None = None
) -> Bulletin:
    """The bulletin of ``month`` from the contract events in ``data`` (OutsideData when the month
    is not covered)."""
    covers = lmi.coverage(data)
    lmi.check_covered(data, lmi.periods(month, month))
    first = _month_before(month, 12)
    if covers and lmi.periods(first, first)[0].start < covers[0]:
        first = (
            f"{covers[0].year}-{covers[0].month:02d}"
            if covers[0].day == 1
            else _month_before(f"{covers[0].year}-{covers[0].month:02d}", -1)
        )
    results, used = lmi.figures(engine, data, first, month, known_on=known_on, profile=profile)
    below, step = threshold(profile), lmi.rounding(profile)
    published = lmi.public(results, below, step)
    indicators = {i.id: i for i in lmi.definitions(profile)}
    chart = [
        p.label for p in lmi.periods(first, month) if len(p.label) == 7 and p.label[4] == "-" and "Q" not in p.label
    ]
    categories = {
        b: sorted(
            {r.breakdown_value for r in published if r.period == month and r.breakdown == b and r.breakdown_value}
        )
        for b in BREAKDOWNS
    }
    return Bulletin(
        month,
        used,
        indicators,
        {(r.indicator_id, r.period, r.breakdown, r.breakdown_value): r for r in published},
        chart[-12:],
        revisions(data, month, used),
        below,
        step,
        classifications.load(profile),
        categories,
    )


def revisions(data: Path, month: str, known_on: dt.date) -> dict[str, int]:
    """The month's revision note (``lmi.revisions``)."""
    return lmi.revisions(data, lmi.periods(month, month)[0], known_on)


def _label(b: Bulletin, breakdown: str, code: str, lang: str) -> str:
    lst = {"contract_type": "contract_type", "sector": "sector"}[breakdown]
    name = b.codes[lst].label(code, lang)
    return f"{code} {name}" if breakdown == "sector" else name


def show(value, lang: str) -> str:
    """A published value as printed: a number in the language's format, a marker as it is, – for none."""
    if value is None:
        return "–"
    if isinstance(value, str):
        return value
    return number(value, 0, lang)


def _month_name(month: str, lang: str) -> str:
    y, m = lmi.month(month)
    return f"{MONTHS[lang][m - 1]} {y}"


def _chart_svg(b: Bulletin, lang: str) -> str:
    """Bars of hires and terminations per month (numbers as published; a suppressed one as 0)."""
    t = LABELS[lang]
    values = [
        [v if isinstance(v, (int, float)) else 0 for v in (b.value("lmi_hires", m), b.value("lmi_terminations", m))]
        for m in b.months
    ]
    top = max([max(v) for v in values] + [1])
    width, height, bar = 720, 200, 720 / max(len(values), 1)
    out = [
        f'<svg role="img" aria-label="{escape(t["chart"])}" viewBox="0 0 {width} {height + 40}" width="100%">',
        f"<title>{escape(t['chart'])}</title>",
    ]
    for i, (m, (h, e)) in enumerate(zip(b.months, values)):
        x = i * bar
        for j, (v, colour) in enumerate(((h, "#1f6f8b"), (e, "#c8553d"))):
            hgt = height * v / top
            out.append(
                f'<rect x="{x + 4 + j * (bar - 8) / 2:.1f}" y="{height - hgt:.1f}" width="{(bar - 8) / 2:.1f}" '
                f'height="{hgt:.1f}" fill="{colour}"><title>{escape(_month_name(m, lang))}: '
                f"{escape(t['hires' if j == 0 else 'terminations'])} {escape(show(v, lang))}</title></rect>"
            )
        out.append(
            f'<text x="{x + bar / 2:.1f}" y="{height + 15}" font-size="11" text-anchor="middle">{m[5:]}/{m[2:4]}</text>'
        )
    out.append(
        f'<text x="0" y="{height + 35}" font-size="12" fill="#1f6f8b">■ {escape(t["hires"])}</text>'
        f'<text x="150" y="{height + 35}" font-size="12" fill="#c8553d">■ {escape(t["terminations"])}</text></svg>'
    )
    return "".join(out)


def durability_rows(b: Bulletin, lang: str) -> list[list[str]]:
    """The durability table's rows as printed; a share of fewer exits than the threshold is withheld."""
    out = []
    for months, exits, employed in b.durability:
        if exits and exits < b.below:
            out.append([str(months), f"<{b.below}", ".."])
        else:
            share = number(100 * employed / exits, 1, lang) + " %" if exits else "–"
            out.append([str(months), show(lmi.rounded(exits, b.step), lang), share])
    return out


def comparison_rows(b: Bulletin, lang: str) -> list[list[str]]:
    pct = lambda v: number(v, 1, lang) + " %"  # noqa: E731
    pp = lambda v: number(v, 1, lang)  # noqa: E731
    return [
        [c["measure"], pct(c["treated"]), pct(c["matched"]), pp(c["difference"]), f"{pp(c['low'])} – {pp(c['high'])}"]
        for c in b.comparisons
    ]


STYLE = """body{font-family:sans-serif;max-width:60em;margin:2em auto;color:#222}
table{border-collapse:collapse;width:100%;margin:.5em 0 1.5em}th,td{border:1px solid #bbb;padding:.3em .5em;vertical-align:top}
table{font-size:.9em}th{background:#eee;text-align:left}td.n{text-align:right;white-space:nowrap}.note{font-size:.85em;color:#444}"""


def render_html(b: Bulletin, lang: str = "sv") -> str:
    t = LABELS[lang]
    year_before = _month_before(b.month, 12)
    name = lambda i: escape(b.indicators[i].name[lang])  # noqa: E731
    out = [
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">',
        f"<title>{t['title']} {escape(_month_name(b.month, lang))}</title><style>{STYLE}</style></head><body>",
        f"<h1>{t['title']}: {escape(_month_name(b.month, lang))}</h1>",
        f"<p><strong>{t['known_on']}: {b.known_on.isoformat()}.</strong> {escape(t['known_note'].format(day=b.known_on.isoformat()))}</p>",
        f"<table><tr><th>{t['figure']}</th><th>{escape(_month_name(b.month, lang))}</th><th>{t['year_before']}</th></tr>",
    ]
    for i in SHOWN:
        before = b.value(i, year_before) if (i, year_before, "total", None) in b.results else t["not_covered"]
        out.append(
            f'<tr><th scope="row">{name(i)}</th><td class="n">{escape(show(b.value(i, b.month), lang))}</td>'
            f'<td class="n">{escape(show(before, lang))}</td></tr>'
        )
    out.append("</table>")
    out.append(f"<h2>{escape(t['chart'])}</h2>{_chart_svg(b, lang)}")
    for breakdown in BREAKDOWNS:
        out.append(f"<h2>{escape(t['by'][breakdown])}</h2><table><tr><th></th>")
        out += [f"<th>{name(i)}</th>" for i in SHOWN]
        out.append("</tr>")
        for code in b.categories[breakdown]:
            out.append(f'<tr><th scope="row">{escape(_label(b, breakdown, code, lang))}</th>')
            out += [f'<td class="n">{escape(show(b.value(i, b.month, breakdown, code), lang))}</td>' for i in SHOWN]
            out.append("</tr>")
        out.append("</table>")
    if b.durability:
        out.append(f"<h2>{escape(t['durability'])}</h2><table><tr>")
        out += [f"<th>{escape(c)}</th>" for c in t["durability_cols"]]
        out.append("</tr>")
        for row in durability_rows(b, lang):
            out.append("<tr>" + "".join(f'<td class="n">{escape(v)}</td>' for v in row) + "</tr>")
        out.append(f'</table><p class="note">{escape(t["durability_note"])}</p>')
    if b.comparisons:
        out.append(f"<h2>{escape(t['compared'])}</h2><table><tr>")
        out += [f"<th>{escape(c)}</th>" for c in t["compared_cols"]]
        out.append("</tr>")
        for row in comparison_rows(b, lang):
            out.append(f'<tr><th scope="row">{escape(row[0])}</th>')
            out.append("".join(f'<td class="n">{escape(v)}</td>' for v in row[1:]) + "</tr>")
        months = b.comparisons[0]["horizon"]
        out.append(f'</table><p class="note">{escape(t["compared_note"].format(months=months))}</p>')
    out.append(f"<h2>{t['definition']}</h2><dl>")
    for i in SHOWN:
        ind = b.indicators[i]
        text = ind.definition_sv if lang == "sv" and ind.definition_sv else ind.definition
        out.append(f"<dt>{name(i)}</dt><dd>{escape(text)}</dd>")
    out.append("</dl>")
    out.append(f'<p class="note"><strong>{t["source"]}:</strong> {escape(t["source_text"])}</p>')
    out.append(
        f'<p class="note"><strong>{t["revision"]}:</strong> {escape(t["revision_text"].format(**b.revisions))}</p>'
    )
    out.append(f'<p class="note">{escape(t["disclosure"].format(below=b.below, step=b.step))}</p>')
    out.append("</body></html>")
    return "\n".join(out)


def write_pdf(b: Bulletin, out, lang: str = "sv") -> None:
    """The same content as the HTML page, tagged like the annual report's PDF (reports/pdf.py: headings,
    paragraphs and tables in the structure tree), the chart as ReportLab bars; ``out`` a path or a file."""
    from reportlab.graphics.charts.barcharts import VerticalBarChart
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import SimpleDocTemplate, Spacer

    from pestrack.reports.pdf import _fonts, _styles, grid
    from pestrack.reports.pdf_tags import Tagged, TaggingCanvas

    _fonts()
    st = _styles()
    t = LABELS[lang]

    def p(text, style="body", tag="P"):
        return Tagged(escape(str(text)), st[style], tag)

    name = lambda i: b.indicators[i].name[lang]  # noqa: E731
    year_before = _month_before(b.month, 12)
    width = A4[0] - 30 * mm
    story = [
        p(f"{t['title']}: {_month_name(b.month, lang)}", "title", "H1"),
        p(f"{t['known_on']}: {b.known_on.isoformat()}. {t['known_note'].format(day=b.known_on.isoformat())}"),
        Spacer(1, 4),
    ]
    rows = [[t["figure"], _month_name(b.month, lang), t["year_before"]]]
    for i in SHOWN:
        before = b.value(i, year_before) if (i, year_before, "total", None) in b.results else t["not_covered"]
        rows.append([(name(i), "cell"), (show(b.value(i, b.month), lang), "num"), (show(before, lang), "num")])
    story.append(grid(rows, [width * 0.5, width * 0.25, width * 0.25]))
    story.append(p(t["chart"], "h", "H2"))
    drawing = Drawing(width, 150)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 30, 20, width - 40, 120
    chart.data = [
        [v if isinstance(v, (int, float)) else 0 for v in (b.value(ind, m) for m in b.months)]
        for ind in ("lmi_hires", "lmi_terminations")
    ]
    chart.categoryAxis.categoryNames = [f"{m[5:]}/{m[2:4]}" for m in b.months]
    chart.categoryAxis.labels.fontName = chart.valueAxis.labels.fontName = "Vera"
    chart.bars[0].fillColor, chart.bars[1].fillColor = colors.HexColor("#1f6f8b"), colors.HexColor("#c8553d")
    drawing.add(chart)
    story += [drawing, p(f"{t['hires']}: {t['blue']}. {t['terminations']}: {t['red']}.", "note")]
    for breakdown in BREAKDOWNS:
        story.append(p(t["by"][breakdown], "h", "H2"))
        rows = [["", *(name(i) for i in SHOWN)]]
        for code in b.categories[breakdown]:
            rows.append(
                [
                    (_label(b, breakdown, code, lang), "cell"),
                    *((show(b.value(i, b.month, breakdown, code), lang), "num") for i in SHOWN),
                ]
            )
        story.append(grid(rows, [width * 0.3] + [width * 0.14] * len(SHOWN)))
    if b.durability:
        story.append(p(t["durability"], "h", "H2"))
        rows = [list(t["durability_cols"])] + [[(v, "num") for v in r] for r in durability_rows(b, lang)]
        story += [grid(rows, [width / 3] * 3), p(t["durability_note"], "note")]
    if b.comparisons:
        story.append(p(t["compared"], "h", "H2"))
        rows = [list(t["compared_cols"])] + [
            [(r[0], "cell"), *((v, "num") for v in r[1:])] for r in comparison_rows(b, lang)
        ]
        story += [
            grid(rows, [width * 0.2] * 5),
            p(t["compared_note"].format(months=b.comparisons[0]["horizon"]), "note"),
        ]
    story.append(p(t["definition"], "h", "H2"))
    for i in SHOWN:
        ind = b.indicators[i]
        story.append(p(f"{name(i)}: {ind.definition_sv if lang == 'sv' and ind.definition_sv else ind.definition}"))
    story += [
        Spacer(1, 4),
        p(f"{t['source']}: {t['source_text']}", "note"),
        p(f"{t['revision']}: {t['revision_text'].format(**b.revisions)}", "note"),
        p(t["disclosure"].format(below=b.below, step=b.step), "note"),
    ]
    doc = SimpleDocTemplate(
        str(out) if isinstance(out, (str, Path)) else out,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=f"{t['title']} {_month_name(b.month, lang)}",
        author="pestrack",
        lang=lang,
    )
    doc.build(story, canvasmaker=TaggingCanvas)


def build_in(data: Path, month: str) -> Bulletin:
    """``build`` on DuckDB over the folder ``data`` (what the observatory's pages ask)."""
    from pestrack.indicators.engines import DuckDBEngine

    with DuckDBEngine(data) as engine:
        return build(engine, data, month)
