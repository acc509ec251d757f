"""The annual report (verksamhetsberättelse) and the tertial reports: every goal of goals.yaml with its
indicator table, fulfilment, analyses and activities.

Computed indicators come from the indicator engine on a folder of analytics tables; reported ones
from the profile (reported/*.yaml, whose values are per year and so appear in the VB report only).
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from pestrack.indicators.compile import TOTAL, scopable
from pestrack.indicators.compute import compute
from pestrack.indicators.coverage import covers
from pestrack.indicators.definitions import Indicator, load_definitions
from pestrack.indicators.disclosure import disclose
from pestrack.indicators.engines import ENGINES, Engine
from pestrack.indicators.fulfilment import CITY_ONLY, goal_statuses, indicator_fulfilment, rounded, scoped_target
from pestrack.indicators.goals import Goals, load_goals, load_reported
from pestrack.indicators.periods import Period, period
from pestrack.records.spreadsheet import safe_row
from pestrack.reports.durability import SOURCE, Given, Section, measure_names, publish
from pestrack.reports.formatting import printed
from pestrack.reports.labels import incomplete_note
from pestrack.reports.suppression import suppressed

CSV_COLUMNS = (
    "goal_id",
    "indicator",
    "outcome",
    "outcome_men",
    "outcome_women",
    "outcome_prev_year",
    "target",
    "kf_target",
    "period",
    "fulfilment",
)
FULFILMENT = {
    "sv": {"met": "Uppfyllt", "partly": "Delvis uppfyllt", "not_met": "Ej uppfyllt"},
    "en": {"met": "Met", "partly": "Partly met", "not_met": "Not met"},
}
SYMBOL = {"met": "●", "partly": "◆", "not_met": "○"}
# A part's value beside a target set for the whole city only: shown, not compared (fulfilment.scoped_target).
NOT_COMPARED = {
    "sv": "Jämförs inte: årsmålet gäller hela staden, inte enheten",
    "en": "Not compared: the annual target is set for the whole city, not the unit",
}
COMPUTED = "computed"
DURABILITY = "durability"  # the goal_id of the durability section's rows in the CSV
REPORTED_MARK = "†"  # beside a reported row's name in HTML and PDF, with the source's name
SOURCE_LEGEND = {
    "sv": "† Rapporterad från en annan källa, som anges efter märket. Övriga rader är beräknade ur "
    "verksamhetens register.",
    "en": "† Reported from another source, named after the mark. The other rows are computed from the records.",
}
NO_DATA = {"sv": "uppgift saknas", "en": "no data"}  # the outcome of an indicator whose source table is empty
COVERS = {"sv": "Omfattar endast enheterna", "en": "Covers only the units"}
SEX = {"men": "man", "women": "woman"}


@dataclass
class Row:
    goal_id: str
    name: dict[str, str]  # sv, and en when the indicator is defined
    indicator: Indicator | None = None  # None: not yet defined (the report row is shown empty)
    values: dict[str, float | None] = field(default_factory=dict)  # outcome, men, women, prev (unrounded)
    fulfilment: str | None = None
    analysis: str = ""
    scoped: bool = False  # computed for a subset of units: ``target`` is that subset's own
    target: float | str | None = None  # the subset's target (scoped rows)
    not_compared: bool = False  # scoped, and only a city-wide target exists
    no_data: bool = False  # the indicator's source table is empty or not imported

    def name_in(self, lang: str) -> str:
        """The indicator's name in ``lang``; the Swedish one where the profile gives no other."""
        return self.name.get(lang) or self.name["sv"]

    @property
    def source(self) -> str:
        """Where the row's values come from: ``computed`` (from the records by the indicator engine),
        the reported indicator's source (``SCB, konjunkturstatistik över vakanser``), "" if undefined."""
        if self.indicator is None:
            return ""
        source = self.indicator.source  # set for a reported indicator only (is_reported)
        return source if source is not None else COMPUTED

    def cells(self, year: int, lang: str) -> dict[str, str]:
        """The row's printed cells, keyed by CSV_COLUMNS (without goal_id and indicator)."""
        ind = self.indicator
        if ind is None:
            return {c: "" for c in CSV_COLUMNS[2:]}
        fmt = lambda v, key: printed(ind, v, lang, key)  # noqa: E731
        targets = ind.targets.get(year, {})
        no_data = NO_DATA[lang] if self.no_data and self.values.get("outcome") is None else ""
        fulfilment = FULFILMENT[lang].get(self.fulfilment, "") if self.fulfilment else ""
        return {
            "outcome": fmt(self.values.get("outcome"), "outcome") or no_data,
            "outcome_men": fmt(self.values.get("men"), "men"),
            "outcome_women": fmt(self.values.get("women"), "women"),
            "outcome_prev_year": fmt(self.values.get("prev"), "prev"),
            "target": fmt(self.target if self.scoped else targets.get("own"), "target"),
            "kf_target": "" if self.scoped else fmt(targets.get("kf"), "kf"),
            "period": "",
            "fulfilment": NOT_COMPARED[lang] if self.not_compared else fulfilment,
        }


@dataclass
class AnnualReport:
    period: Period
    goals: Goals
    rows: list[Row]
    statuses: dict[str, dict]  # goal id → suggested, assessment, status (fulfilment.goal_statuses)
    tables: list = field(default_factory=list)  # reports.tables.TableResult: the other tables (target groups)
    suppress_below: int = 0  # small-cell suppression threshold used (0: none)
    units: list[str] | None = None  # organisation unit paths the report is limited to (None: all)
    complete: bool = True  # whether the data cover the whole period (indicators.coverage.covers)
    # the durability of work after an exit (reports.durability), None when no contract events were given
    durability: Section | None = None

    @property
    def year(self) -> int:
        return self.period.start.year

    def covers(self) -> str:
        """The unit codes a subset's report covers (``jt-jarva, jt-soderort``), "" for the whole."""
        return ", ".join(u.strip("/").split("/")[-1] for u in self.units or [])

    def incomplete_note(self, lang: str) -> str:
        """The sentence that says the data do not cover the whole period, "" when they do."""
        return "" if self.complete else incomplete_note(self.period.label, lang)

    def covers_note(self, lang: str) -> str:
        """The sentence that says a report covers only some units, "" for the whole."""
        return f"{COVERS[lang]}: {self.covers()}" if self.units is not None else ""


def data_years(data: Path) -> list[int]:
    """The years with enrolments starting or ending (or exits) in them in the analytics tables of ``data``."""
    return sorted({y for y, _ in _data_months(data)})


def _data_months(data: Path) -> dict[tuple[int, int], int]:
    from pestrack.indicators.coverage import data_months
    from pestrack.indicators.engines import DuckDBEngine

    with DuckDBEngine(data) as engine:
        return data_months(engine)


def empty_sources(indicators: list[Indicator], data: Path) -> set[str]:
    """The computed indicators whose source table is empty or absent in ``data`` (the report says
    "no data" for them rather than leaving the cell blank without a word)."""
    import pyarrow.parquet as pq

    from pestrack.indicators.engines import _parquet_files

    tables = _parquet_files(data)
    return {
        i.id
        for i in indicators
        if not i.is_reported
        and (i.population not in tables or pq.ParquetFile(tables[i.population]).metadata.num_rows == 0)
    }


def _computed_values(
    indicators: list[Indicator],
    data: Path,
    periods: list[Period],
    engine: str | Engine,
    units: list[str] | None = None,
    suppress_below: int = 0,
) -> dict:
    """{(indicator id, period label, TOTAL or the sex): Result} from the engine (a name of ENGINES,
    or an open engine, which is left open), disclosure-controlled (``disclosure.disclose``: primary
    and secondary suppression under ``suppress_below``)."""
    out = {}
    with ENGINES[engine](data) if isinstance(engine, str) else contextlib.nullcontext(engine) as runner:
        for p in periods:
            for r in disclose(compute(indicators, runner, p, units), suppress_below):
                if r.breakdown == TOTAL:
                    out[(r.indicator_id, p.label, TOTAL)] = r
                elif r.breakdown == "sex":
                    assert r.breakdown_value is not None  # a breakdown's row names its category (compile.py)
                    out[(r.indicator_id, p.label, r.breakdown_value)] = r
    return out


KEYS = {"outcome": (False, TOTAL), "men": (False, SEX["men"]), "women": (False, SEX["women"]), "prev": (True, TOTAL)}


def _values(
    ind: Indicator, p: Period, prev: Period, computed: dict, suppress_below: int, units: list[str] | None = None
) -> dict:
    if ind.is_reported:
        if units is not None:  # whole-city figures: not shown as a unit's result
            return {}
        if p.label != f"VB {p.start.year}":
            return {}
        now, before = ind.reported.get(p.start.year, {}), ind.reported.get(p.start.year - 1, {})
        return {
            "outcome": now.get("total"),
            "men": now.get("men"),
            "women": now.get("women"),
            "prev": before.get("total"),
        }
    new = lambda q: ind.first_year is not None and q.start.year < ind.first_year  # noqa: E731
    return {
        name: None
        if new(q) or name in ind.blank_cells
        else suppressed(computed.get((ind.id, q.label, key)), suppress_below)
        for name, (q, key) in ((name, (prev if is_prev else p, key)) for name, (is_prev, key) in KEYS.items())
    }


@dataclass
class ReportProfile:
    """What a report reads from the profile: computed and reported indicators, goals, tables."""

    defined: dict[str, Indicator]
    reported: dict[str, Indicator]
    goals: Goals
    tables: list  # reports.tables.Table


def load_report_profile(profile: str | Path | None = None) -> ReportProfile:
    from pestrack.reports.tables import load_tables

    defined = {i.id: i for i in load_definitions(profile)}
    reported = {i.id: i for i in load_reported(profile)}
    return ReportProfile(
        defined, reported, load_goals(profile, set(defined) | set(reported)), load_tables(profile, defined)
    )


def build(
    year: int,
    period_code: str,
    data: Path,
    profile: str | Path | None = None,
    engine: str | Engine = "duckdb",
    suppress_below: int = 0,
    units: list[str] | None = None,
    loaded: ReportProfile | None = None,
    durability: Given | None = None,
) -> AnnualReport:
    """The report for ``period_code`` of ``year`` from the analytics tables in ``data``; with
    ``suppress_below`` > 0 small cells of computed indicators are suppressed (``suppressed``).
    With ``units`` (organisation unit paths) the computed indicators count only those units' rows
    and reported (whole-city) indicators are left empty. ``loaded``: the profile, read already
    (a server reads it once). ``durability``: the durability of work after an exit, computed by the
    caller from the contract events (``reports.durability.gather``), printed as a section of its own."""
    from pestrack.reports.tables import table_results

    p = period(year, period_code)
    prev = period(year - 1, period_code)
    loaded = loaded or load_report_profile(profile)
    defined, reported, goals, tables = loaded.defined, loaded.reported, loaded.goals, loaded.tables
    used = {r.id for g in goals.goals for r in g.indicators if r.id in defined} | {
        i for t in tables for i in t.indicator_ids()
    }
    computed = _computed_values([defined[i] for i in sorted(used)], data, [p, prev], engine, units, suppress_below)
    empty = empty_sources([defined[i] for i in sorted(used)], data)
    rows, fulfilled = [], {}
    for goal in goals.goals:
        for ref in goal.indicators:
            ind = (defined.get(ref.id) or reported.get(ref.id)) if ref.id else None
            if ind is not None:
                name = ind.name
            else:
                assert ref.name is not None  # a goal's indicator is defined (its id) or named (goals.py)
                name = {"sv": ref.name}
            # the analyses are the city's: a subset's report carries none of them
            row = Row(
                goal.id,
                name,
                ind,
                analysis=ref.analysis.get(year, "") if units is None else "",
            )
            if ind:
                row.values = _values(ind, p, prev, computed, suppress_below, units)
                row.no_data = ind.id in empty
                outcome = row.values.get("outcome")
                target, reason = scoped_target(ind.targets.get(year, {}), units)
                # a whole-city figure has no value for a subset at all (shown so), rather than one not compared
                row.scoped, row.target = units is not None, target
                # not compared: a computed indicator (reported ones have no population) on a table with units
                row.not_compared = reason == CITY_ONLY and ind.population is not None and scopable(ind.population)
                withheld = isinstance(outcome, str) and not ind.is_reported
                row.fulfilment = (
                    None
                    if row.not_compared or withheld
                    else indicator_fulfilment(
                        None if outcome is None else rounded(outcome, ind.precision_of("outcome")),
                        ind.direction,
                        target,
                        goals.tolerance if ref.tolerance is None else ref.tolerance,
                        ind.band,
                    )
                )
                fulfilled[ind.id] = row.fulfilment
            rows.append(row)
    results = table_results(tables, computed, p, prev, suppress_below)
    statuses = goal_statuses(goals, fulfilled, year)
    if units is not None:  # the analyst's assessments are the city's, not a subset's
        statuses = {g: {**s, "assessment": None, "status": s["suggested"]} for g, s in statuses.items()}
    complete = covers(_data_months(data), p, dt.date.today())
    report = AnnualReport(p, goals, rows, statuses, results, suppress_below, units, complete)
    return attach(report, durability, profile)


def attach(report: AnnualReport, given: Given | None, profile: str | Path | None = None) -> AnnualReport:
    """``report`` (an AnnualReport) with its durability section published from ``given`` under the
    report's own threshold; unchanged without ``given``, and for a report of some units (the
    durability is the whole organisation's, like the reported figures)."""
    if given is None or report.units is not None:
        return report
    names = {} if given.missing else measure_names(profile)
    return dataclasses.replace(report, durability=publish(given, report.suppress_below, names))


def write_csv(report: AnnualReport, out: Path, lang: str = "sv", comma: bool = False) -> None:
    """One row per indicator row of the report, cells formatted as printed and the indicator named in
    ``lang`` (docs/reports.md).
    Swedish: semicolon-separated, UTF-8 with a byte-order mark, as Swedish Excel opens a CSV file
    into columns (its decimal comma would clash with comma separators); ``comma`` or English:
    comma-separated UTF-8 without the mark. After the indicator rows, the durability section's figures
    (goal_id ``durability``, source ``contract_events``) when the report has one."""
    swedish = lang == "sv" and not comma
    with open(out, "w", newline="", encoding="utf-8-sig" if swedish else "utf-8") as f:
        w = csv.writer(f, delimiter=";" if swedish else ",")
        w.writerow((*CSV_COLUMNS, "source", "units"))
        for row in report.rows:
            cells = row.cells(report.year, lang)
            cells["period"] = report.period.label
            w.writerow(
                safe_row(
                    [row.goal_id, row.name_in(lang), *(cells[c] for c in CSV_COLUMNS[2:]), row.source, report.covers()]
                )
            )
        if report.durability is not None:  # then the durability's figures, one row each (reports.durability)
            for name, outcome, men, women in report.durability.csv_rows(lang):
                w.writerow(
                    safe_row([DURABILITY, name, outcome, men, women, "", "", "", report.period.label, "", SOURCE, ""])
                )
