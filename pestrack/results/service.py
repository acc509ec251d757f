"""The numbers behind the results pages and the results API, computed by an indicator engine
(``open_engine``: DuckDB on the analytics tables unless PESTRACK_RESULTS_ENGINE says otherwise),
passed through the disclosure step, and limited to the viewer's units in the engine's queries
(``units``: organisation unit paths, None for all). Every query is a SQLGlot tree from
pestrack.indicators.compile, run by ``Engine.run``: no SQL text is written here or in web."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import threading
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path

from django.conf import settings

from pestrack.analytics.extract import MANIFEST
from pestrack.analytics.pseudonym import opaque_id
from pestrack.analytics.schema import BY_NAME
from pestrack.indicators.catalogue import breakdown_columns
from pestrack.indicators.compile import TOTAL, compile_rows, count_of, page_of, scopable
from pestrack.indicators.compute import Result, compute
from pestrack.indicators.coverage import covers, data_months
from pestrack.indicators.definitions import Indicator
from pestrack.indicators.disclosure import disclose, published, threshold
from pestrack.indicators.engines import DuckDBEngine, Engine, PostgresEngine
from pestrack.indicators.periods import period
from pestrack.reports.annual import AnnualReport, ReportProfile, attach, build, load_report_profile
from pestrack.reports.durability import gather
from pestrack.results import data

PERIODS = ("T1", "T2", "VB")  # the tertial reports and the annual report, each counted from January 1
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


def open_engine(folder) -> Engine:
    """The engine the results are computed on: PESTRACK_RESULTS_ENGINE ``duckdb`` (the default) or
    ``postgres`` (on PESTRACK_RESULTS_ENGINE_URL, in a schema of this thread's own, dropped on close:
    server threads computing side by side do not share one)."""
    name = getattr(settings, "PESTRACK_RESULTS_ENGINE", "duckdb")
    if name == "duckdb":
        return DuckDBEngine(folder)
    if name == "postgres":
        return PostgresEngine(
            folder,
            settings.PESTRACK_RESULTS_ENGINE_URL,
            schema=f"pestrack_results_{os.getpid()}_{threading.get_native_id()}",
        )
    raise ValueError(f"PESTRACK_RESULTS_ENGINE={name!r}: use duckdb or postgres")


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
    assert ind.population is not None  # a computed indicator has its population (definitions.Reader.computed)
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

    def run():
        with open_engine(folder) as engine:
            return build(
                year,
                period_code,
                folder,
                settings.PESTRACK_PROFILE,
                engine=engine,
                suppress_below=suppress_below(),
                units=units,
                loaded=profile(),
            )

    return data.cached(report_key(year, period_code, units), run)


def with_durability(
    report: AnnualReport, contracts: Path | None, shares_of: Callable, stored_of: Callable
) -> AnnualReport:
    """``report`` with its durability section (reports.durability): the contract events in
    ``contracts`` (PESTRACK_LMI_DIR; None: no section) linked to the results' analytics tables.
    ``shares_of`` and ``stored_of`` are lmi.durability's ``durability`` and ``stored_comparisons``,
    which the web passes in (results does not import lmi). Cached under both folders' contents;
    a report of some units is returned as it is (the durability is the whole organisation's)."""
    if contracts is None or report.units is not None:
        return report
    folder = data.analytics_dir()
    p = report.period
    manifest = contracts / MANIFEST  # rewritten by every import or synth of contract events
    stored = stored_of(contracts) if contracts.is_dir() else None  # a small file: read to know its date
    stamp = (manifest.stat().st_mtime_ns if manifest.exists() else 0, stored and stored.get("computed_at"))
    key = ("durability", data.version(folder), str(contracts), stamp, p.label)
    given = data.cached(key, lambda: gather(p, contracts, folder, shares_of, stored_of))
    return attach(report, given, settings.PESTRACK_PROFILE)


TREND_YEARS = 6  # the overview's small trends: at most this many years up to the chosen one


def history(year: int, period_code: str, units: list[str] | None) -> dict[str, list[tuple[int, float | str | None]]]:
    """Indicator id → [(year, outcome as published)] for the same period of the years with data up to
    ``year`` (at most TREND_YEARS): the overview's small trends, from each year's report, so a value
    is the one the report and the dashboard show (disclosure markers included)."""
    out: dict[str, list[tuple[int, float | str | None]]] = {}
    for y in [y for y in years() if y <= year][-TREND_YEARS:]:
        for row in report(y, period_code, units).rows:
            if row.indicator is not None:
                out.setdefault(row.indicator.id, []).append((y, row.values.get("outcome")))
    return out


def dimensions(ind: Indicator) -> dict[str, str]:
    """Breakdown dimension → column of the indicator's table, for the dimensions the table has
    (the dimensions are declared in indicators/catalogue.py: DIMENSIONS)."""
    return {} if ind.is_reported else breakdown_columns(ind.population)


def _compute(ind: Indicator, year: int, code: str, units: list[str] | None, breakdowns: list[str]) -> list[Result]:
    folder = data.analytics_dir()
    key = ("results", data.version(folder), ind.id, year, code, _units_key(units), tuple(breakdowns))

    def run():
        with open_engine(folder) as engine:
            return compute([dataclasses.replace(ind, breakdowns=list(breakdowns))], engine, period(year, code), units)

    return data.cached(key, run)


def results(ind: Indicator, year: int, code: str, units: list[str] | None, dims: Sequence[str] = ()) -> list[Result]:
    """The total and the breakdowns ``dims`` (dimension names) of an indicator for one period, as
    they may be published (disclosure control: ``disclosure.disclose``)."""
    columns = dimensions(ind)
    return disclose(_compute(ind, year, code, units, [columns[d] for d in dims if d in columns]), suppress_below())


def months() -> dict[tuple[int, int], int]:
    """(year, month) → events in that month (indicators/coverage.py), for every month with data."""
    folder = data.analytics_dir()

    def run():
        with open_engine(folder) as engine:
            return data_months(engine)

    return data.cached(("months", data.version(folder)), run)


def years() -> list[int]:
    """The years with data (enrolments starting or ending, exits), up to this year: a year without
    any is never offered."""
    return sorted({y for y, _ in months() if y <= dt.date.today().year})


def complete(year: int, code: str = "VB", today: dt.date | None = None) -> bool:
    """Whether the data cover the whole period (``coverage.covers``)."""
    return covers(months(), period(year, code), today or dt.date.today())


def partial_years(today: dt.date | None = None) -> set[int]:
    """The years with data whose whole year the data do not cover (marked so in trends)."""
    return {y for y in years() if not complete(y, "VB", today)}


def default_year(today: dt.date | None = None) -> int:
    """The year the pages open on: the last year whose whole year the data cover (``complete``),
    else the last year with data, else this year."""
    offered = years()
    whole = [y for y in offered if complete(y, "VB", today)]
    return whole[-1] if whole else offered[-1] if offered else dt.date.today().year


def trend(ind: Indicator, units: list[str] | None) -> dict[str, dict[int, float | str | None]]:
    """Period code (T1, T2, VB) → year → total value as it may be published (a number, or the
    disclosure marker of a withheld one), over the years with data."""
    out: dict[str, dict[int, float | str | None]] = {code: {} for code in PERIODS}
    for year in years():
        for code in PERIODS:
            total = next((r for r in results(ind, year, code, units) if r.breakdown == TOTAL), None)
            out[code][year] = published(total)
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
    assert ind.population is not None  # rows are a computed indicator's (a reported one has no population)
    names = [c.name for c in BY_NAME[ind.population].columns]
    columns = [c for c in ROW_COLUMNS if c in names]
    for date_column in (ind.period, ind.period_end):
        if date_column and date_column not in columns:
            columns.append(date_column)
    query = compile_rows(ind, period(year, code), units, columns, only)
    with open_engine(folder) as engine:
        if ind.population not in engine.tables:
            return columns, [], 0
        total = int(engine.run(count_of(query))[0][0])
        rows = [tuple(r) for r in engine.run(page_of(query, columns[:2], PAGE_ROWS, page))]
    ids = [i for i, c in enumerate(columns) if c.endswith("_id")]
    if ids:  # the schema promises opaque ids: never a real record id on a page
        rows = [tuple(opaque_id(columns[i], v) if i in ids else v for i, v in enumerate(r)) for r in rows]
    return [*columns, "in_numerator", "in_denominator"], rows, total
