"""Compute a set of indicators for a period on an engine, and write the result CSV."""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from pestrack.analytics.schema import BY_NAME
from pestrack.indicators.compile import TOTAL, compile_indicator, scopable
from pestrack.indicators.definitions import Indicator
from pestrack.indicators.engines import Engine
from pestrack.indicators.periods import Period
from pestrack.records.spreadsheet import safe_row

CSV_COLUMNS = ("indicator_id", "period", "breakdown", "breakdown_value", "value", "numerator", "denominator")
REPORTED_SEX = {"women": "woman", "men": "man"}  # reported values by sex → the analytics' sex codes


@dataclass(frozen=True)
class Result:
    indicator_id: str
    period: str
    breakdown: str
    breakdown_value: str | None
    value: float | None
    numerator: float | None
    denominator: float | None
    suppressed: str | None = None  # disclosure.disclose: the marker published instead of the value


def _reported(ind: Indicator, p: Period) -> list[Result]:
    values = ind.reported.get(p.start.year)
    if values is None:
        return []
    out = [Result(ind.id, p.label, TOTAL, None, values["total"], None, None)]
    out += [
        Result(ind.id, p.label, "sex", REPORTED_SEX[k], v, None, None) for k, v in values.items() if k in REPORTED_SEX
    ]
    return out


def without_register_data(indicators: list[Indicator], engine: Engine) -> list[Indicator]:
    """The indicators whose population is a register table (course results, …) that the data folder
    does not have: it is imported separately (``pestrack analytics import``), so they are left out."""
    out = []
    for i in indicators:
        if i.is_reported:
            continue
        assert i.population is not None  # a computed indicator has its population (definitions.Reader.computed)
        if i.population not in engine.tables and BY_NAME[i.population].register:
            out.append(i)
    return out


def compute(
    indicators: list[Indicator],
    engine: Engine,
    p: Period,
    units: list[str] | None = None,
    known_on: dt.date | None = None,
) -> list[Result]:
    """Rows per indicator: the total first, then each breakdown's values in order of value.
    Indicators on a register table that has not been imported give no rows. ``known_on``: on a
    versioned table (the contract events), what was known on that day.

    With ``units`` (organisation unit paths) only those units' rows are counted; reported indicators
    (whole-city figures) and indicators on tables without a unit then give no rows."""
    skipped = {i.id for i in without_register_data(indicators, engine)}
    computed = []
    for ind in indicators:
        if ind.is_reported or ind.id in skipped:
            continue
        assert ind.population is not None  # a computed indicator has its population (definitions.Reader.computed)
        if units is not None and not scopable(ind.population):
            continue
        if ind.population not in engine.tables:
            raise FileNotFoundError(
                f"indicator {ind.id} needs the analytics table {ind.population} "
                f"({ind.population}.parquet), which the data folder does not have"
            )
        computed.append(ind)
    rows_of = dict(
        zip((i.id for i in computed), engine.run_all([compile_indicator(i, p, units, known_on) for i in computed]))
    )
    out: list[Result] = []
    for ind in indicators:
        if ind.is_reported:
            if units is None:
                out += _reported(ind, p)
            continue
        if ind.id not in rows_of:
            continue
        rows = rows_of[ind.id]
        order = {name: i for i, name in enumerate([TOTAL, *ind.breakdowns])}
        rows.sort(key=lambda r: (order[r[0]], r[1] is None, r[1] or ""))
        out += [Result(ind.id, p.label, *r[:2], r[4], r[2], r[3]) for r in rows]
    return out


def _number(v: float | None) -> str:
    if v is None:
        return ""
    return str(int(v)) if float(v).is_integer() else repr(float(v))


def write_csv(results: list[Result], out: Path) -> None:
    with open(out, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(CSV_COLUMNS)
        for r in results:
            w.writerow(
                safe_row(
                    [
                        r.indicator_id,
                        r.period,
                        r.breakdown,
                        r.breakdown_value or "",
                        _number(r.value),
                        _number(r.numerator),
                        _number(r.denominator),
                    ]
                )
            )
