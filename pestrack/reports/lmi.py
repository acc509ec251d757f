"""The labour-market figures (docs/lmi.md): the flow and stock indicators of the profile's
``lmi/indicators`` folder computed by the indicator engine for every month, quarter and year of
a range, as known on a date, and the figures as they may be published (disclosure control with
the profile's rounding)."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import re
from pathlib import Path

from sqlglot import exp

from pestrack.analytics.extract import read_manifest
from pestrack.indicators.compute import Result, _number, compute
from pestrack.indicators.definitions import Indicator, load_definitions
from pestrack.indicators.disclosure import disclose, profile_disclosure
from pestrack.indicators.engines import Engine
from pestrack.indicators.periods import Period
from pestrack.records.spreadsheet import safe_row

FOLDER = "lmi/indicators"
CSV_COLUMNS = ("indicator_id", "period", "breakdown", "breakdown_value", "value")


EVENTS = "contract_events"


def coverage(data: Path) -> tuple[dt.date, dt.date] | None:
    """The dates the contract events of ``data`` cover (noted in the manifest by ``pestrack lmi
    import``: its first and last knowledge date; by ``lmi synth``: its years), or None."""
    note = read_manifest(Path(data))["tables"].get(EVENTS) or {}
    if not note.get("covers_from"):
        return None
    return dt.date.fromisoformat(note["covers_from"]), dt.date.fromisoformat(note["covers_to"])


def covered_from(data: Path) -> dt.date | None:
    """The first day the contract events of ``data`` cover, or None: the durability counts only the
    exits from that day on (lmi.durability, ``exits_from``), as an earlier hire was never communicated."""
    covers = coverage(data)
    return covers[0] if covers else None


class OutsideData(ValueError):
    """A period the contract events do not cover: its figures would be zeros that mean nothing."""


def month(text: str) -> tuple[int, int]:
    m = re.fullmatch(r"(\d{4})-(0[1-9]|1[0-2])", text.strip())
    if not m:
        raise ValueError(f"{text!r} is not a month (YYYY-MM)")
    return int(m[1]), int(m[2])


def _last_day(year: int, mon: int) -> dt.date:
    return (dt.date(year + mon // 12, mon % 12 + 1, 1)) - dt.timedelta(days=1)


def periods(first: str, last: str) -> list[Period]:
    """Every month from ``first`` to ``last`` (YYYY-MM), then every quarter and every year that
    lies wholly inside: labelled 2023-01, 2023-Q1, 2023."""
    (y0, m0), (y1, m1) = month(first), month(last)
    if (y1, m1) < (y0, m0):
        raise ValueError(f"{last} is before {first}")
    start, end = dt.date(y0, m0, 1), _last_day(y1, m1)
    months, quarters, years = [], [], []
    y, m = y0, m0
    while (y, m) <= (y1, m1):
        months.append(Period(f"{y}-{m:02d}", dt.date(y, m, 1), _last_day(y, m)))
        if m % 3 == 0 and dt.date(y, m - 2, 1) >= start:
            quarters.append(Period(f"{y}-Q{m // 3}", dt.date(y, m - 2, 1), _last_day(y, m)))
        if m == 12 and dt.date(y, 1, 1) >= start:
            years.append(Period(str(y), dt.date(y, 1, 1), dt.date(y, 12, 31)))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    assert months[-1].end == end
    return months + quarters + years


def check_covered(data: Path, ps: list[Period]) -> tuple[dt.date, dt.date]:
    """The dates the data cover; OutsideData when a period reaches outside them."""
    covers = coverage(data)
    if covers is None:
        raise OutsideData(f"{data}: no contract events (pestrack lmi import or pestrack lmi synth --out {data})")
    first, last = covers
    outside = [p.label for p in ps if p.start < first or p.end > last]
    if outside:
        raise OutsideData(
            f"the contract events in {data} cover {first.isoformat()} to {last.isoformat()}; "
            f"{', '.join(outside[:6])}{' …' if len(outside) > 6 else ''} lie outside them: no figures, not zeros"
        )
    return covers


def definitions(profile: str | None = None) -> list[Indicator]:
    return load_definitions(profile, folder=FOLDER)


def figures(
    engine: Engine, data: Path, first: str, last: str, *, known_on: dt.date | None = None, profile: str | None = None
) -> tuple[list[Result], dt.date]:
    """Every flow and stock for every period from ``first`` to ``last``, as known on ``known_on``
    (default: the last day the data cover). Returns the results and the knowledge date used."""
    ps = periods(first, last)
    _, covered_to = check_covered(data, ps)
    known_on = known_on or covered_to
    unknown = [p.label for p in ps if p.end > known_on]
    if unknown:
        raise OutsideData(
            f"{', '.join(unknown[:6])}{' …' if len(unknown) > 6 else ''} ended after {known_on.isoformat()}, "
            "the knowledge date: not yet known then"
        )
    indicators = definitions(profile)
    out: list[Result] = []
    for p in ps:
        out += compute(indicators, engine, p, known_on=known_on)
    return out, known_on


def rounding(profile: str | None = None) -> int:
    """The profile's ``disclosure: {round_to: N}``: published counts rounded to the nearest N
    (Veneto's practice is 5); 0 or absent: not rounded."""
    path, section = profile_disclosure(profile)
    value = section.get("round_to", 0)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{path}: disclosure.round_to must be a whole number of 0 or more, not {value!r}")
    return value


def rounded(value: float | None, step: int) -> float | None:
    """``value`` to the nearest multiple of ``step`` (halves away from zero, so 2.5 → 5)."""
    if value is None or step <= 1:
        return value
    sign = -1 if value < 0 else 1
    return sign * int(abs(value) / step + 0.5) * step


def public(results: list[Result], below: int, step: int) -> list[Result]:
    """The figures as published: suppressed (disclosure.disclose), then rounded to ``step``."""
    return [
        dataclasses.replace(r, value=rounded(r.value, step), numerator=None, denominator=None)
        if r.suppressed is None
        else r
        for r in disclose(results, below)
    ]


def write_csv(results: list[Result], out: Path) -> None:
    with open(out, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(CSV_COLUMNS)
        for r in results:
            value = r.suppressed or _number(r.value)
            w.writerow(safe_row([r.indicator_id, r.period, r.breakdown, r.breakdown_value or "", value]))


def figures_in(data: Path, first: str, last: str, *, known_on: dt.date | None = None) -> list[Result]:
    """``figures`` on DuckDB over the folder ``data`` (what the observatory's pages ask)."""
    from pestrack.indicators.engines import DuckDBEngine

    with DuckDBEngine(data) as engine:
        return figures(engine, data, first, last, known_on=known_on)[0]


FILTERS = ("contract_type", "sector", "municipality", "sex", "age_band", "occupation_group")


def period(label: str) -> Period:
    """The period of a label: a month ``2023-01``, a quarter ``2023-Q1`` or a year ``2023``."""
    m = re.fullmatch(r"(\d{4})(?:-Q([1-4])|-(0[1-9]|1[0-2]))?", label.strip())
    if not m:
        raise ValueError(f"{label!r} is not a month (YYYY-MM), quarter (YYYY-Qn) or year (YYYY)")
    y = int(m[1])
    if m[2]:
        q = int(m[2])
        return Period(label, dt.date(y, 3 * q - 2, 1), _last_day(y, 3 * q))
    if m[3]:
        return Period(label, dt.date(y, int(m[3]), 1), _last_day(y, int(m[3])))
    return Period(label, dt.date(y, 1, 1), dt.date(y, 12, 31))


def narrowed(indicators: list[Indicator], filters: dict[str, str]) -> list[Indicator]:
    """The indicators counting only the rows with the given values (a dashboard's filters, columns of
    FILTERS); a filtered column leaves the breakdowns. The values go into the query as literals of the
    expression tree, never as text."""
    unknown = sorted(set(filters) - set(FILTERS))
    if unknown:
        raise ValueError(f"no filter {', '.join(unknown)}; the filters are {', '.join(FILTERS)}")
    if not filters:
        return indicators
    conditions = [exp.EQ(this=exp.column(c), expression=exp.Literal.string(v)) for c, v in sorted(filters.items())]
    out = []
    for ind in indicators:
        where = exp.and_(exp.paren(ind.where.copy()), *conditions) if ind.where is not None else exp.and_(*conditions)
        out.append(dataclasses.replace(ind, where=where, breakdowns=[b for b in ind.breakdowns if b not in filters]))
    return out


def dashboard(
    engine: Engine,
    data: Path,
    label: str,
    filters: dict[str, str],
    *,
    known_on: dt.date | None = None,
    profile: str | None = None,
) -> tuple[list[Result], dt.date]:
    """Every flow and stock of one period (``period``) counting only the rows of ``filters``, by the
    breakdowns left, as known on ``known_on`` (default the last day covered); OutsideData as ``figures``."""
    p = period(label)
    _, covered_to = check_covered(data, [p])
    known_on = known_on or covered_to
    if p.end > known_on:
        raise OutsideData(f"{p.label} ended after {known_on.isoformat()}, the knowledge date: not yet known then")
    return compute(narrowed(definitions(profile), filters), engine, p, known_on=known_on), known_on


def dashboard_in(data: Path, label: str, filters: dict[str, str], *, known_on: dt.date | None = None) -> list[Result]:
    """``dashboard`` on DuckDB over the folder ``data`` (what the observatory's pages ask)."""
    from pestrack.indicators.engines import DuckDBEngine

    with DuckDBEngine(data) as engine:
        return dashboard(engine, data, label, filters, known_on=known_on)[0]


def revisions(data: Path, p: Period, known_on: dt.date) -> dict[str, int]:
    """The revision note of a period: its events as known on ``known_on``: how many, how many arrived
    late (flagged), how many were corrected (have a version after the first)."""
    import pyarrow.parquet as pq

    rows = pq.read_table(
        Path(data) / f"{EVENTS}.parquet",
        columns=["event_id", "version", "known_date", "superseded_date", "flag"],
        filters=[("event_date", ">=", p.start), ("event_date", "<=", p.end), ("known_date", "<=", known_on)],
    ).to_pylist()
    events = {r["event_id"] for r in rows}
    late = {r["event_id"] for r in rows if r["flag"] == "late"}
    corrected = {r["event_id"] for r in rows if r["version"] > 1}
    return {"events": len(events), "late": len(late), "corrected": len(corrected)}
