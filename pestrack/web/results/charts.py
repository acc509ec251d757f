"""Chart data for the indicator page: what Chart.js draws (static/web/results/charts.js) and the
same numbers as a table, with category labels in the page's language."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pestrack.indicators.catalogue import DIMENSIONS
from pestrack.indicators.compile import NOT_RECORDED
from pestrack.indicators.definitions import Indicator
from pestrack.indicators.fulfilment import scoped_target
from pestrack.reports.formatting import CATEGORY_CELL, TOTAL_CELL, UNIT_SUFFIX, count, printed
from pestrack.results.service import PERIODS

# The breakdown columns whose values are codes of a code list (from the catalogue's dimensions).
CODE_LISTS = {d.name: d.code_list for d in DIMENSIONS.values() if d.code_list}
PERIOD_NAMES = {
    "T1": gettext_lazy("January–April (T1)"),
    "T2": gettext_lazy("January–August (T2)"),
    "VB": gettext_lazy("Whole year (VB)"),
}
COLUMN_LABELS = {
    "person_key": gettext_lazy("Person (pseudonym)"),
    "enrolment_id": gettext_lazy("Enrolment"),
    "participation_id": gettext_lazy("Participation"),
    "sex": gettext_lazy("Sex"),
    "age_band_at_start": gettext_lazy("Age band at start"),
    "age_band_at_exit": gettext_lazy("Age band at exit"),
    "target_group": gettext_lazy("Target group"),
    "org_unit": gettext_lazy("Organisation unit"),
    "measure": gettext_lazy("Measure"),
    "exit_outcome": gettext_lazy("Exit outcome"),
    "in_numerator": gettext_lazy("In numerator"),
    "in_denominator": gettext_lazy("In denominator"),
    # the date columns indicators count by (their period)
    "date": gettext_lazy("Date"),
    "start_date": gettext_lazy("Start date"),
    "end_date": gettext_lazy("End date"),
    "exit_date": gettext_lazy("Exit date"),
    "hired_date": gettext_lazy("Hired on"),
    "proposed_date": gettext_lazy("Proposed on"),
}


def column_label(column: str) -> str:
    return str(COLUMN_LABELS.get(column, column.replace("_", " ")))


def category_labels(dimension: str, values: list[str | None], lang: str) -> list[str]:
    """Readable names of breakdown values: code names, unit names, women/men."""
    from pestrack.records.codes.models import Code
    from pestrack.records.org.models import OrgUnit

    if dimension == "sex":
        names = {"woman": _("Women"), "man": _("Men")}
    elif dimension == "org_unit":
        names = dict(OrgUnit.objects.filter(code__in=[v for v in values if v]).values_list("code", "name"))
    elif dimension in CODE_LISTS:
        field = "name_en" if lang == "en" else "name_sv"
        names = dict(
            Code.objects.filter(list=CODE_LISTS[dimension], code__in=[v for v in values if v]).values_list(
                "code", field
            )
        )
    else:
        names = {}
    return [_("Not recorded") if v is None or v == NOT_RECORDED else names.get(v, v) for v in values]


EXIT_OUTCOMES = {"work": gettext_lazy("work"), "studies": gettext_lazy("studies"), "other": gettext_lazy("other")}
SEXES = {"woman": gettext_lazy("woman"), "man": gettext_lazy("man")}


def row_values(columns: list[str], rows: list, lang: str) -> list[list]:
    """The rows' cells with codes by their names (units, code lists, sex, exit outcome)."""
    named: dict[int, dict] = {}
    for i, column in enumerate(columns):
        values = sorted({r[i] for r in rows if isinstance(r[i], str)})
        if column == "sex":
            named[i] = {v: str(SEXES.get(v, v)) for v in values}
        elif column == "exit_outcome":
            named[i] = {v: str(EXIT_OUTCOMES.get(v, v)) for v in values}
        elif column == "org_unit" or column in CODE_LISTS:
            named[i] = dict(zip(values, category_labels(column, values, lang)))
    return [[named[i].get(c, c) if i in named and c is not None else c for i, c in enumerate(r)] for r in rows]


def _unit(ind: Indicator, lang: str) -> str:
    return UNIT_SUFFIX[lang].get(ind.unit, "").strip()


def year_label(year: int, partial: set[int]) -> str:
    """A year as a chart or table names it: with a note when the data do not cover all of it."""
    return _("%(year)s (incomplete data)") % {"year": year} if year in partial else str(year)


def trend_chart(
    ind: Indicator,
    trend: dict[str, dict[int, float | None]],
    lang: str,
    units: list[str] | None = None,
    partial: set[int] = frozenset(),
) -> dict:
    """A line per period (T1, T2, VB) over the years, with the annual target when there is one (for
    a subset of units, only a target set for that subset: fulfilment.scoped_target). Years in
    ``partial`` (data not covering the whole year) are named so on the axis and in the table."""
    years = sorted({y for by_year in trend.values() for y in by_year})
    datasets = [{"label": str(PERIOD_NAMES[code]), "values": [trend[code].get(y) for y in years]} for code in PERIODS]
    for d in datasets:  # a withheld value (its disclosure marker) is a gap in the line, the marker in the table
        d["data"] = [v if isinstance(v, (int, float)) else None for v in d["values"]]
    targets = [scoped_target(ind.targets.get(y, {}), units)[0] for y in years]
    targets = [t if isinstance(t, (int, float)) and not isinstance(t, bool) else None for t in targets]
    if any(t is not None for t in targets):
        datasets.append({"label": _("Annual target"), "data": targets, "values": targets, "target": True})
    rows = [
        [year_label(y, partial)]
        + [printed(ind, d["values"][i], lang, "target" if d.get("target") else TOTAL_CELL) or "–" for d in datasets]
        for i, y in enumerate(years)
    ]
    for d in datasets:
        del d["values"]
    return {
        "id": f"trend-{ind.id}",
        "title": _("Trend by year and period"),
        "type": "line",
        "labels": [year_label(y, partial) for y in years],
        "datasets": datasets,
        "unit": _unit(ind, lang),
        "table": {"head": [_("Year")] + [d["label"] for d in datasets], "rows": rows},
    }


def breakdown_chart(ind: Indicator, dimension: str, rows: list, lang: str) -> dict:
    """Bars of one breakdown (one bar per category, each labelled), and its table."""
    labels = category_labels(dimension, [r.breakdown_value for r in rows], lang)
    fmt = lambda v: printed(ind, v, lang, CATEGORY_CELL) or "–"  # noqa: E731
    has_denominator = any(r.denominator is not None for r in rows)
    head = [DIMENSIONS[dimension].label[lang], _("Value"), _("Numerator")]
    if has_denominator:
        head.append(_("Denominator"))
    return {
        "id": f"breakdown-{ind.id}-{dimension}",
        "title": DIMENSIONS[dimension].title[lang],
        "type": "bar",
        "labels": labels,
        "datasets": [{"label": ind.name.get(lang) or ind.name["sv"], "data": [r.value for r in rows]}],
        "value_labels": [fmt(r.suppressed or r.value) for r in rows],  # printed at each bar's end
        "unit": _unit(ind, lang),
        "empty": not rows,
        "table": {
            "head": head,
            "rows": [
                [label, fmt(r.suppressed or r.value), count(r.numerator, lang)]
                + ([count(r.denominator, lang)] if has_denominator else [])
                for label, r in zip(labels, rows)
            ],
        },
    }
