"""The numbers behind the results pages, computed by the indicator engine (DuckDB on the analytics
tables) and limited to the viewer's units in the engine's queries (``units``: organisation unit
paths, None for all)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from functools import lru_cache

from django.conf import settings

from pestrack.analytics.pseudonym import opaque_id
from pestrack.analytics.schema import BY_NAME
from pestrack.indicators.compile import TOTAL, compile_rows, scopable
from pestrack.indicators.compute import Result, compute
from pestrack.indicators.definitions import Indicator
from pestrack.indicators.disclosure import disclose, threshold
from pestrack.indicators.engines import DuckDBEngine
from pestrack.indicators.periods import period
from pestrack.reports.annual import AnnualReport, ReportProfile, build, data_years, load_report_profile
from pestrack.web.results import data

PERIODS = ("T1", "T2", "VB")  # the tertial reports and the annual report, each counted from January 1
# Breakdown dimension → the analytics columns that carry it (the first one the table has is used).
DIMENSIONS = {
    "sex": ("sex",),
    "age_band": ("age_band_at_start", "age_band_at_exit", "age_band"),
    "target_group": ("target_group",),
    "org_unit": ("org_unit",),
    "measure": ("measure",),
}
ROW_COLUMNS = (
    "person_key",
    "enrolment_id",
    "participation_id",
    "sex",
    "age_band_at_start",
    "age_band_at_exit",
    "target_group",
    "org_unit",
    "measure",
    "exit_outcome",
)
PAGE_ROWS = 100
FIRST_YEAR, LAST_YEAR = 1900, 2999  # a year outside these is a mistake: refused (400) before any query
MAX_PAGE = 10**6  # of drill-down rows: far beyond any population; a larger number is refused


@lru_cache(maxsize=4)
def _profile(name: str) -> ReportProfile:
    return load_report_profile(name)


def profile() -> ReportProfile:
    """The configured profile's indicators, goals and tables, read once per process (a changed
    profile is read at the next start)."""
    return _profile(settings.PESTRACK_PROFILE)


def indicators() -> dict[str, Indicator]:
    """Every indicator of the configured profile (computed and reported), by id."""
    return {**profile().defined, **profile().reported}


def scope_text(units: list[str] | None) -> str:
    """The units results are limited to, as the access log says it."""
    return "all units" if units is None else "units " + ", ".join(units)


def _units_key(units: list[str] | None) -> tuple | None:
    return None if units is None else tuple(sorted(units))


def available(ind: Indicator, units: list[str] | None) -> bool:
    """Whether the indicator has a value for these units (reported figures are whole-city ones;
    tables without an organisation unit cannot be limited to units)."""
    if ind.is_reported:
        return units is None
    return units is None or scopable(ind.population)


def suppress_below() -> int:
    """The disclosure threshold of every figure the pages, the API and the downloads publish."""
    return threshold(settings.PESTRACK_PROFILE, settings.PESTRACK_SUPPRESS_BELOW)


def report_key(year: int, period_code: str, units: list[str] | None) -> tuple:
    """What a report depends on: the tables' content, the period and the units (its cache key; a
    page made from nothing but the report can be kept under it too)."""
    return ("report", data.version(data.analytics_dir()), year, period_code, _units_key(units), suppress_below())


def report(year: int, period_code: str, units: list[str] | None) -> AnnualReport:
    """The goals with their indicators for a period (the annual report's content), for these units."""
    folder = data.analytics_dir()
    return data.cached(
        report_key(year, period_code, units),
        lambda: build(
            year,
            period_code,
            folder,
            settings.PESTRACK_PROFILE,
            suppress_below=suppress_below(),
            units=units,
            loaded=profile(),
        ),
    )


def dimensions(ind: Indicator) -> dict[str, str]:
    """Breakdown dimension → column of the indicator's table, for the dimensions the table has."""
    if ind.is_reported:
        return {}
    names = {c.name for c in BY_NAME[ind.population].columns}
    out = {}
    for dim, columns in DIMENSIONS.items():
        column = next((c for c in columns if c in names), None)
        if column:
            out[dim] = column
    return out


def _compute(ind: Indicator, year: int, code: str, units: list[str] | None, breakdowns: list[str]) -> list[Result]:
    folder = data.analytics_dir()
    key = ("results", data.version(folder), ind.id, year, code, _units_key(units), tuple(breakdowns))

    def run():
        with DuckDBEngine(folder) as engine:
            return compute([dataclasses.replace(ind, breakdowns=list(breakdowns))], engine, period(year, code), units)

    return data.cached(key, run)


def results(ind: Indicator, year: int, code: str, units: list[str] | None, dims: list[str] = ()) -> list[Result]:
    """The total and the breakdowns ``dims`` (dimension names) of an indicator for one period, as
    they may be published (disclosure control: ``disclosure.disclose``)."""
    columns = dimensions(ind)
    return disclose(_compute(ind, year, code, units, [columns[d] for d in dims if d in columns]), suppress_below())


def years() -> list[int]:
    """The years with enrolments starting or ending in them, up to this year."""
    folder = data.analytics_dir()

    return data.cached(
        ("years", data.version(folder)), lambda: [y for y in data_years(folder) if y <= dt.date.today().year]
    )


def trend(ind: Indicator, units: list[str] | None) -> dict[str, dict[int, float | None]]:
    """Period code (T1, T2, VB) → year → total value, over the years of the data."""
    out: dict[str, dict[int, float | None]] = {code: {} for code in PERIODS}
    for year in years():
        for code in PERIODS:
            total = next((r for r in results(ind, year, code, units) if r.breakdown == TOTAL), None)
            out[code][year] = total.value if total else None
    return out


def breakdowns(ind: Indicator, year: int, code: str, units: list[str] | None) -> dict[str, list[Result]]:
    """Dimension → its rows (value per category) for one period."""
    columns = dimensions(ind)
    rows = results(ind, year, code, units, list(columns))
    return {dim: [r for r in rows if r.breakdown == column] for dim, column in columns.items()}


def drill_rows(
    ind: Indicator, year: int, code: str, units: list[str] | None, only: str | None, page: int
) -> tuple[list[str], list[tuple], int]:
    """The population rows behind an indicator (pseudonymised), one page of them:
    (columns, rows, number of rows in all). ``only``: numerator, denominator or None for all.
    ``page`` counts from 1 and is at most MAX_PAGE (the forms refuse larger ones)."""
    if not 1 <= page <= MAX_PAGE:
        raise ValueError(f"page {page}: 1 to {MAX_PAGE}")
    folder = data.analytics_dir()
    names = [c.name for c in BY_NAME[ind.population].columns]
    columns = [c for c in ROW_COLUMNS if c in names]
    for date_column in (ind.period, ind.period_end):
        if date_column and date_column not in columns:
            columns.append(date_column)
    query = compile_rows(ind, period(year, code), units, columns, only)
    order = ", ".join(f'"{c}"' for c in columns[:2])
    with DuckDBEngine(folder) as engine:
        if ind.population not in engine.tables:
            return columns, [], 0
        sql = query.sql(dialect="duckdb")
        total = engine.con.execute(f"SELECT count(*) FROM ({sql}) AS q").fetchone()[0]
        rows = engine.con.execute(
            f"SELECT * FROM ({sql}) AS q ORDER BY {order} LIMIT {PAGE_ROWS} OFFSET {(page - 1) * PAGE_ROWS}"
        ).fetchall()
    ids = [i for i, c in enumerate(columns) if c.endswith("_id")]
    if ids:  # the schema promises opaque ids: never a real record id on a page
        rows = [tuple(opaque_id(columns[i], v) if i in ids else v for i, v in enumerate(r)) for r in rows]
    return [*columns, "in_numerator", "in_denominator"], rows, total
