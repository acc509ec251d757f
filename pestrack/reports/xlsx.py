"""The annual report as a workbook (openpyxl): the indicator rows with numbers a spreadsheet can
compute with (rounded to the printed precision, the unit in the cell's number format), the goals
with their status and analysis, the activities, and each of the other tables on a sheet of its own."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from pestrack.indicators.fulfilment import rounded
from pestrack.records.spreadsheet import safe_cell, safe_row
from pestrack.reports.annual import COMPUTED, CSV_COLUMNS, FULFILMENT, AnnualReport
from pestrack.reports.durability import TEXT as DURABILITY_TEXT
from pestrack.reports.durability import Section
from pestrack.reports.labels import words

UNIT_FORMAT = {
    "sv": {"percent": '" %"', "count": '" st"', "months": '" mån"'},
    "en": {"percent": '"%"', "months": '" months"'},
}
SHEETS = {"sv": ("Indikatorer", "Mål", "Aktiviteter"), "en": ("Indicators", "Goals", "Activities")}
DURABILITY_SHEETS = {"sv": ("Varaktighet", "Matchad jämförelse"), "en": ("Durability", "Matched comparison")}
VALUE_KEYS = {"outcome": "outcome", "outcome_men": "men", "outcome_women": "women", "outcome_prev_year": "prev"}
CELL_OF = {**VALUE_KEYS, "target": "target", "kf_target": "kf"}  # report column -> the indicator's cell name


def _number_format(unit: str | None, precision: int, lang: str) -> str:
    digits = "0" if precision == 0 else "0." + "0" * precision
    return ("#,##" + digits) + (UNIT_FORMAT[lang].get(unit, "") if unit else "")


def _put(ws, row: int, col: int, value, fmt: str | None = None):
    c = ws.cell(row=row, column=col, value=safe_cell(value))
    if fmt and isinstance(value, (int, float)):
        c.number_format = fmt
    return c


def _heading(ws, names: list[str]) -> None:
    ws.append(safe_row(names))
    for c in ws[1]:
        c.font = Font(bold=True)
        c.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A2"


def build_workbook(report: AnnualReport, lang: str = "sv") -> Workbook:
    t = words(report.goals, lang)
    wb = Workbook()
    ws = wb.active
    ws.title = SHEETS[lang][0]
    _heading(ws, ["goal_id", t["indicator"], *(t[c] for c in CSV_COLUMNS[2:]), t["analysis"], t["source"]])
    for r, row in enumerate(report.rows, start=2):
        ind = row.indicator
        cells = row.cells(report.year, lang)
        _put(ws, r, 1, row.goal_id)
        _put(ws, r, 2, row.name_in(lang))
        for col, key in enumerate(CSV_COLUMNS[2:], start=3):
            value: str | float = cells[key]  # the printed text, or a number a spreadsheet can compute with
            if ind is not None and key in VALUE_KEYS:
                raw = row.values.get(VALUE_KEYS[key])
                if isinstance(raw, (int, float)):  # at the printed cell's precision (formatting.value)
                    decimals = ind.precision_of(CELL_OF[key])
                    value = rounded(raw, decimals)
                    value = int(value) if decimals == 0 else value
            elif ind is not None and key in ("target", "kf_target"):
                target = (
                    (row.target if key == "target" else None)
                    if row.scoped
                    else ind.targets.get(report.year, {}).get("own" if key == "target" else "kf")
                )
                value = target if isinstance(target, (int, float)) else value
            elif key == "period":
                value = report.period.label
            unit = ind.cell_unit(CELL_OF.get(key, key)) if ind is not None else None
            _put(
                ws,
                r,
                col,
                value if value != "" else None,
                _number_format(unit, ind.precision_of(CELL_OF.get(key, key)), lang) if ind is not None else None,
            )
        _put(ws, r, len(CSV_COLUMNS) + 1, row.analysis or None)
        _put(ws, r, len(CSV_COLUMNS) + 2, t["computed"] if row.source == COMPUTED else row.source or None)
    for note in (report.covers_note(lang), report.incomplete_note(lang)):
        if note:
            ws.append([])
            ws.append(safe_row([note]))
    ws.column_dimensions["B"].width = 70

    goals = wb.create_sheet(SHEETS[lang][1])
    _heading(goals, ["goal_id", t["goal"], t["status"], t["suggested"], t["analysis"]])
    for goal in report.goals.goals:
        s = report.statuses[goal.id]
        goals.append(
            safe_row(
                [
                    goal.id,
                    goal.title,
                    FULFILMENT[lang].get(s["status"], t["no_status"]),
                    FULFILMENT[lang].get(s["suggested"], None),
                    s["assessment"].analysis if s["assessment"] else None,
                ]
            )
        )
    goals.column_dimensions["B"].width = 70

    acts = wb.create_sheet(SHEETS[lang][2])
    _heading(acts, ["goal_id", t["activity"], t["status"], t["analysis"]])
    for goal in report.goals.goals:
        for a in goal.activities:
            acts.append(
                safe_row(
                    [
                        goal.id,
                        a.text,
                        t[a.status or "no_status"],
                        (a.analysis if report.units is None else None) or None,
                    ]
                )
            )
    acts.column_dimensions["B"].width = 80

    for result in report.tables:
        sheet = wb.create_sheet(result.table.id[:31] or "table")
        _heading(sheet, [result.table.label[lang], *result.header(lang)])
        for row, c in zip(result.table.rows, result.cells):
            sheet.append(
                safe_row(
                    [
                        ("  " if row.subset else "") + row.label[lang],
                        *(int(c[k]) if isinstance(c[k], float) else c[k] for k in result.COLUMNS),
                    ]
                )
            )
        sheet.column_dimensions["A"].width = 50
    if report.durability is not None:
        durability_sheets(wb, report.durability, lang)
    return wb


def durability_sheets(wb: Workbook, section: Section, lang: str) -> None:
    """The durability section (reports.durability): a sheet of the shares in work by horizon, with
    numbers a spreadsheet can compute with (shares at one decimal, the unit in the number format; a
    disclosure marker as text), then the comparison with a matched group; the notes beneath."""
    t = DURABILITY_TEXT[lang]
    sheet = wb.create_sheet(DURABILITY_SHEETS[lang][0])
    if section.missing:
        sheet.append(safe_row([t["title"]]))
        sheet.append(safe_row([section.missing_line(lang)]))
        return
    _heading(sheet, [t["group"], *section.header(lang)])
    share_format = _number_format("percent", 1, lang)
    for r, group in enumerate(section.groups, start=2):
        _put(sheet, r, 1, ("  " if group.breakdown != "total" else "") + group.label[lang])
        for i, h in enumerate(section.horizons):
            c = group.cells[h]
            _put(sheet, r, 2 + 2 * i, c.exits, "#,##0")
            share = rounded(c.share, 1) if isinstance(c.share, float) else c.share
            _put(sheet, r, 3 + 2 * i, "–" if share is None else share, share_format)
    sheet.append([])
    for note in section.notes(lang):
        sheet.append(safe_row([note]))
    sheet.column_dimensions["A"].width = 45
    compared = wb.create_sheet(DURABILITY_SHEETS[lang][1])
    _heading(compared, section.compared_header(lang))
    for r, comp in enumerate(section.compared, start=2):
        _put(compared, r, 1, comp.label[lang])
        _put(compared, r, 2, comp.exits, "#,##0")
        for col, value, fmt in (
            (3, comp.treated, share_format),
            (4, comp.matched, share_format),
            (5, comp.difference, "0.0"),
            (6, comp.low, "0.0"),
            (7, comp.high, "0.0"),
        ):
            _put(compared, r, col, rounded(value, 1) if isinstance(value, float) else value, fmt)
    compared.append([])
    for note in section.compared_notes(lang):
        compared.append(safe_row([note]))
    compared.column_dimensions["A"].width = 45


def write_xlsx(report: AnnualReport, out: Path, lang: str = "sv") -> None:
    build_workbook(report, lang).save(out)
