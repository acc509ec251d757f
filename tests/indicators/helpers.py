from __future__ import annotations

from pathlib import Path

from pestrack.indicators.compute import compute
from pestrack.indicators.definitions import load_definitions
from pestrack.indicators.engines import DuckDBEngine
from pestrack.indicators.periods import period

HEADER = "report_years: []\n"


def results(defs: Path, data: Path, year: int = 2023, code: str = "VB", engine=None):
    """{(indicator_id, breakdown, breakdown_value): Result} computed on DuckDB (or ``engine``)."""
    indicators = load_definitions("stockholm", files=[defs])
    if engine is None:
        with DuckDBEngine(data) as duck:
            rows = compute(indicators, duck, period(year, code))
    else:
        rows = compute(indicators, engine, period(year, code))
    return {(r.indicator_id, r.breakdown, r.breakdown_value): r for r in rows}


def indicator(id_: str, body: str) -> str:
    """A definition with the fields a test does not vary filled in."""
    return (
        f"- id: {id_}\n  name: {{sv: 'Svenskt namn', en: 'English name'}}\n  direction: higher\n"
        f"  precision: 1\n  targets: {{2023: {{own: 1}}}}\n" + body
    )


def assert_same_results(a, b) -> None:
    """Two engines' results: the same rows in the same order, every number exactly equal (sums are of
    whole numbers, divided once, so no engine's order of addition shows in the last digits)."""
    key = lambda r: (r.indicator_id, r.period, r.breakdown, r.breakdown_value)  # noqa: E731
    assert [key(r) for r in a] == [key(r) for r in b]
    for x, y in zip(a, b):
        for field in ("value", "numerator", "denominator"):
            assert getattr(x, field) == getattr(y, field), (field, x, y)
