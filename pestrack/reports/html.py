"""The annual report as one self-contained HTML page (inline style, no scripts, no network)."""
from __future__ import annotations

from html import escape
from pathlib import Path

from pestrack.reports.annual import CSV_COLUMNS, FULFILMENT, SYMBOL, AnnualReport

LABELS = {
    "sv": {"title": "Verksamhetsberättelse", "indicator": "Indikator", "outcome": "Periodens utfall",
           "outcome_men": "Utfall män", "outcome_women": "Utfall kvinnor", "outcome_prev_year": "Utfall föregående år",
           "target": "Årsmål", "kf_target": "KF:s årsmål", "period": "Period", "fulfilment": "Måluppfyllelse",
           "activity": "Aktivitet", "status": "Status", "analysis": "Analys", "suggested": "Förslag utifrån indikatorer och aktiviteter",
           "assessed": "Bedömning", "done": "Genomförd", "deviation": "Avvikelse", "no_status": "Ej bedömd",
           "inriktningsmal": "KF:s inriktningsmål", "verksamhetsomradesmal": "KF:s mål för verksamhetsområdet",
           "namndmal": "Nämndmål", "not_defined": "Indikatorn är ännu inte definierad i profilen."},
    "en": {"title": "Annual report", "indicator": "Indicator", "outcome": "Outcome for the period",
           "outcome_men": "Outcome men", "outcome_women": "Outcome women", "outcome_prev_year": "Outcome previous year",
           "target": "Annual target", "kf_target": "City council target", "period": "Period", "fulfilment": "Fulfilment",
           "activity": "Activity", "status": "Status", "analysis": "Analysis", "suggested": "Suggested from indicators and activities",
           "assessed": "Assessment", "done": "Done", "deviation": "Deviation", "no_status": "Not assessed",
           "inriktningsmal": "Direction goal", "verksamhetsomradesmal": "Area goal", "namndmal": "Committee goal",
           "not_defined": "The indicator is not yet defined in the profile."},
}
STYLE = """body{font-family:sans-serif;max-width:70em;margin:2em auto;color:#222}
table{border-collapse:collapse;width:100%;margin:.5em 0 1.5em}th,td{border:1px solid #bbb;padding:.3em .5em;vertical-align:top}
th{background:#eee;text-align:left}td.n{text-align:right;white-space:nowrap}.analysis{font-size:.9em;color:#444}
.met{color:#1a7f37}.partly{color:#b58100}.not_met{color:#b42318}"""


def _status(status: str | None, lang: str) -> str:
    if not status:
        return ""
    return f'<span class="{status}">{SYMBOL[status]} {escape(FULFILMENT[lang][status])}</span>'


def render(report: AnnualReport, lang: str = "sv") -> str:
    t = LABELS[lang]
    year = report.year
    out = [f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">',
           f"<title>{t['title']} {escape(report.period.label)}</title><style>{STYLE}</style></head><body>",
           f"<h1>{t['title']} {escape(report.period.label)}</h1>"]
    for goal in report.goals.goals:
        depth = goal.id.count(".") + 2
        status = report.statuses[goal.id]
        out.append(f"<section><h{depth}>{escape(goal.id)} {escape(goal.title)}</h{depth}>")
        out.append(f"<p>{t[goal.level]}. {t['assessed']}: {_status(status['status'], lang)}")
        if status["assessment"]:
            out.append(f" ({t['suggested'].lower()}: {_status(status['suggested'], lang) or '–'})</p>"
                       f"<p class=\"analysis\">{escape(status['assessment'].analysis)}</p>")
        else:
            out.append(f" ({t['suggested'].lower()})</p>")
        rows = [r for r in report.rows if r.goal_id == goal.id]
        if rows:
            cols = CSV_COLUMNS[2:]
            out.append("<table><tr><th>" + t["indicator"] + "</th>" + "".join(f"<th>{t[c]}</th>" for c in cols) + "</tr>")
            for r in rows:
                cells = r.cells(year, lang)
                cells["period"] = escape(report.period.label)
                cells["fulfilment"] = _status(r.fulfilment, lang)
                name = escape(r.name.get(lang) or r.name["sv"])
                out.append(f"<tr><td>{name}</td>" + "".join(
                    f'<td class="n">{cells[c] if c == "fulfilment" else escape(cells[c])}</td>' for c in cols) + "</tr>")
                note = r.analysis or ("" if r.indicator else t["not_defined"])
                if note:
                    out.append(f'<tr><td colspan="{len(cols) + 1}" class="analysis">{t["analysis"]}: {escape(note)}</td></tr>')
            out.append("</table>")
        if goal.activities:
            out.append(f"<table><tr><th>{t['activity']}</th><th>{t['status']}</th></tr>")
            for a in goal.activities:
                out.append(f"<tr><td>{escape(a.text)}</td><td>{t[a.status or 'no_status']}</td></tr>")
                if a.analysis:
                    out.append(f'<tr><td colspan="2" class="analysis">{t["analysis"]}: {escape(a.analysis)}</td></tr>')
            out.append("</table>")
        out.append("</section>")
    out.append("</body></html>")
    return "\n".join(out)


def write_html(report: AnnualReport, out: Path, lang: str = "sv") -> None:
    Path(out).write_text(render(report, lang), encoding="utf-8")
