"""Which months and years the analytics tables have data for: the months with enrolments starting
or ending, or exits (compile.EVENT_DATES), counted by any engine."""

from __future__ import annotations

from pestrack.indicators.compile import compile_months
from pestrack.indicators.engines import Engine


def data_months(engine: Engine) -> dict[tuple[int, int], int]:
    """(year, month) → the number of events in that month, for every month with one."""
    query = compile_months(engine.tables)
    if query is None:
        return {}
    return {(int(y), int(m)): int(n) for y, m, n in engine.run(query) if y is not None}


def data_years(engine: Engine) -> list[int]:
    """The years with data, in order."""
    return sorted({y for y, _ in data_months(engine)})
