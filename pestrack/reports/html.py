"""The annual report as one self-contained HTML page (inline style, no scripts, no network)."""

from __future__ import annotations

from html import escape
from pathlib import Path

from pestrack.reports.annual import CSV_COLUMNS, FULFILMENT, REPORTED_MARK, SOURCE_LEGEND, SYMBOL, AnnualReport
from pestrack.reports.durability import TEXT, Section
from pestrack.reports.labels import disclosure_note, words

STYLE = """body{font-family:sans-serif;max-width:70em;margin:2em auto;color:#222}
table{border-collapse:collapse;width:100%;margin:.5em 0 1.5em}th,td{border:1px solid #bbb;padding:.3em .5em;vertical-align:top}
th{background:#eee;text-align:left}td.n{text-align:right;white-space:nowrap}.analysis{font-size:.9em;color:#444}
th[scope=row]{font-weight:normal;text-align:left}.subset{padding-left:1.5em;font-style:italic}
.source{font-size:.85em;color:#444}.met{color:#1a7f37}.partly{color:#b58100}.not_met{color:#b42318}"""


def _status(status: str | None, lang: str) -> str:
    if not status:
        return ""
    return f'<span class="{status}">{SYMBOL[status]} {escape(FULFILMENT[lang][status])}</span>'


def _sv(text: str, lang: str) -> str:
    """The city's own Swedish text (goals, activities, analyses), marked as Swedish on an English
    page for its readers and screen readers (WCAG 3.1.2); as it is on a Swedish page."""
    return escape(text) if lang == "sv" else f'<span lang="sv">{escape(text)}</span>'


def render(report: AnnualReport, lang: str = "sv") -> str:
    t = words(report.goals, lang)
    year = report.year
    out = [
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">',
        f"<title>{t['title']} {escape(report.period.label)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{t['title']} {escape(report.period.label)}</h1>",
    ]
    out.append(f'<p class="legend">{escape(SOURCE_LEGEND[lang])}</p>')
    if report.units is not None:
        out.append(f'<p class="covers"><strong>{escape(report.covers_note(lang))}</strong></p>')
    if not report.complete:
        out.append(f'<p class="incomplete"><strong>{escape(report.incomplete_note(lang))}</strong></p>')
    if report.suppress_below:
        out.append(f'<p class="disclosure">{escape(disclosure_note(report.suppress_below, lang))}</p>')
    for goal in report.goals.goals:
        depth = goal.id.count(".") + 2
        status = report.statuses[goal.id]
        out.append(f'<section class="goal"><h{depth}>{escape(goal.id)} {_sv(goal.title, lang)}</h{depth}>')
        out.append(f"<p>{t[goal.level]}. {t['assessed']}: {_status(status['status'], lang)}")
        if status["assessment"]:
            out.append(
                f" ({t['suggested'].lower()}: {_status(status['suggested'], lang) or '–'})</p>"
                f'<p class="analysis">{_sv(status["assessment"].analysis, lang)}</p>'
            )
        else:
            out.append(f" ({t['suggested'].lower()})</p>")
        rows = [r for r in report.rows if r.goal_id == goal.id]
        if rows:
            cols = CSV_COLUMNS[2:]
            out.append(
                "<table><tr><th>" + t["indicator"] + "</th>" + "".join(f"<th>{t[c]}</th>" for c in cols) + "</tr>"
            )
            for r in rows:
                cells = r.cells(year, lang)
                cells["period"] = escape(report.period.label)
                cells["fulfilment"] = _status(r.fulfilment, lang) or escape(cells["fulfilment"])
                name = escape(r.name[lang]) if r.name.get(lang) else _sv(r.name["sv"], lang)
                if r.indicator is not None and r.indicator.is_reported:
                    name += f' <span class="source">{REPORTED_MARK} {_sv(r.source, lang)}</span>'
                out.append(
                    f"<tr><td>{name}</td>"
                    + "".join(f'<td class="n">{cells[c] if c == "fulfilment" else escape(cells[c])}</td>' for c in cols)
                    + "</tr>"
                )
                note = _sv(r.analysis, lang) if r.analysis else ("" if r.indicator else escape(t["not_defined"]))
                if note:
                    out.append(f'<tr><td colspan="{len(cols) + 1}" class="analysis">{t["analysis"]}: {note}</td></tr>')
            out.append("</table>")
        if goal.activities:
            out.append(f"<table><tr><th>{t['activity']}</th><th>{t['status']}</th></tr>")
            for a in goal.activities:
                out.append(f"<tr><td>{_sv(a.text, lang)}</td><td>{t[a.status or 'no_status']}</td></tr>")
                if a.analysis and report.units is None:  # the city's analysis, not a subset's
                    out.append(
                        f'<tr><td colspan="2" class="analysis">{t["analysis"]}: {_sv(a.analysis, lang)}</td></tr>'
                    )
            out.append("</table>")
        out.append("</section>")
    for result in report.tables:
        out.append(render_table(result, lang))
    if report.durability is not None:
        out.append(render_durability(report.durability, lang))
    out.append("</body></html>")
    return "\n".join(out)


def render_table(result, lang: str) -> str:
    """One of the other tables (reports.tables) as an HTML section."""
    t = result.table
    out = [
        f'<section class="table"><h2>{escape(t.section[lang])}</h2><table><caption>{escape(t.title[lang])}</caption>',
        f'<tr><th scope="col">{escape(t.label[lang])}</th>'
        + "".join(f'<th scope="col">{escape(h)}</th>' for h in result.header(lang))
        + "</tr>",
    ]
    for row, cells in result.printed_rows(lang):
        label = escape(row.label[lang])
        label = f'<span class="subset">{label}</span>' if row.subset else label
        note = f'<br><span class="analysis">{escape(row.note[lang])}</span>' if row.note else ""
        out.append(
            f'<tr><th scope="row">{label}{note}</th>'
            + "".join(f'<td class="n">{escape(c)}</td>' for c in cells)
            + "</tr>"
        )
    out.append("</table></section>")
    return "\n".join(out)


def render_durability(section: Section, lang: str) -> str:
    """The durability of work after an exit (reports.durability) as an HTML section: the shares in
    work by horizon in total, for women and men and by measure, the comparison with a matched group,
    the definition, knowledge date and source; one line when there are no figures."""
    t = TEXT[lang]
    out = [f'<section class="durability"><h2>{escape(t["title"])}</h2>']
    if section.missing:
        out.append(f"<p>{escape(section.missing_line(lang))}</p></section>")
        return "\n".join(out)
    out += [f"<p>{escape(n)}</p>" for n in section.notes(lang)[:2]]
    out.append(
        f'<table><tr><th scope="col">{escape(t["group"])}</th>'
        + "".join(f'<th scope="col">{escape(h)}</th>' for h in section.header(lang))
        + "</tr>"
    )
    for group, cells in section.printed_rows(lang):
        label = escape(group.label[lang])
        label = f'<span class="subset">{label}</span>' if group.breakdown != "total" else label
        out.append(
            f'<tr><th scope="row">{label}</th>' + "".join(f'<td class="n">{escape(c)}</td>' for c in cells) + "</tr>"
        )
    out.append("</table>")
    out.append(f"<h3>{escape(t['compared'])}</h3>")
    if section.compared:
        out.append(
            "<table><tr>"
            + "".join(f'<th scope="col">{escape(c)}</th>' for c in section.compared_header(lang))
            + "</tr>"
        )
        for c, cells in section.compared_rows(lang):
            out.append(
                f'<tr><th scope="row">{escape(c.label[lang])}</th>'
                + "".join(f'<td class="n">{escape(v)}</td>' for v in cells)
                + "</tr>"
            )
        out.append("</table>")
    out += [f'<p class="analysis">{escape(n)}</p>' for n in section.compared_notes(lang)]
    out.append(f'<p class="source">{escape(section.notes(lang)[2])}</p></section>')
    return "\n".join(out)


def write_html(report: AnnualReport, out: Path, lang: str = "sv") -> None:
    Path(out).write_text(render(report, lang), encoding="utf-8")
