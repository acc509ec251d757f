"""Which months and years the analytics tables have data for: the months with enrolments starting
or ending, or exits (compile.EVENT_DATES), counted by any engine."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from pestrack.indicators.compile import compile_months
from pestrack.indicators.engines import Engine
from pestrack.indicators.periods import Period


def data_months(engine: Engine) -> dict[tuple[int, int], int]:
    """(year, month) → the number of events in that month, for every month with one."""
    query = compile_months(engine.tables)
    if query is None:
        return {}
    return {(int(y), int(m)): int(n) for y, m, n in engine.run(query) if y is not None}


def data_years(engine: Engine) -> list[int]:
    """The years with data, in order."""
    return sorted({y for y, _ in data_months(engine)})


def covers(months: Iterable[tuple[int, int]], p: Period, today: dt.date) -> bool:
    """Whether data with events in ``months`` cover the whole period ``p``: it has ended, and there
    are events in its first month or before and in its last month or after. A year the data begin or
    end in (a first year with a few enrolments carried over, a last year with the first months of
    the next) is not covered: its figures are partial."""
    found = list(months)
    if not found or p.end >= today:
        return False
    return min(found) <= (p.start.year, p.start.month) and max(found) >= (p.end.year, p.end.month)
