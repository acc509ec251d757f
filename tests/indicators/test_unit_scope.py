"""Limiting an indicator to some organisation units happens in the engine's query (a unit
manager's results), and the rows behind an indicator come from the same population."""

from __future__ import annotations

import pytest

from pestrack.indicators.compile import ScopeUnavailable, compile_indicator, compile_rows
from pestrack.indicators.compute import compute
from pestrack.indicators.definitions import load_definitions
from pestrack.indicators.engines import DuckDBEngine
from pestrack.indicators.periods import period
from tests.indicators.conftest import D, write_table

JARVA = "/stockholm/amf/jobbtorg/jt-jarva/"
CITY = "/stockholm/amf/jobbtorg/jt-city/"


@pytest.fixture
def two_units(tmp_path):
    """2023 Jobbtorg exits: Järva 3 (2 to work), City 2 (0 to work); one Stockholmsjobb place."""
    data = tmp_path / "data"
    rows = [
        ("jt-jarva", JARVA, "work"),
        ("jt-jarva", JARVA, "studies"),
        ("jt-jarva", JARVA, "other"),
        ("jt-city", CITY, "other"),
        ("jt-city", CITY, "other"),
    ]
    write_table(
        data,
        "exits",
        [{"org_unit": u, "org_unit_path": p, "exit_outcome": o, "exit_date": D(2023, 5, 1)} for u, p, o in rows],
    )
    write_table(data, "places", [{"kind": "stockholmsjobb", "start_date": D(2023, 2, 1)}])
    return data


def _exits_indicator():
    return next(i for i in load_definitions("stockholm") if i.id == "jobbtorg_exit_work_or_studies")


def _total(results):
    return next(r for r in results if r.breakdown == "total")


def test_units_limit_the_population_in_the_query(two_units):
    ind = _exits_indicator()
    with DuckDBEngine(two_units) as engine:
        everyone = _total(compute([ind], engine, period(2023)))
        jarva = _total(compute([ind], engine, period(2023), units=[JARVA]))
        parent = _total(compute([ind], engine, period(2023), units=["/stockholm/amf/jobbtorg/"]))
        nobody = _total(compute([ind], engine, period(2023), units=[]))
    assert (everyone.numerator, everyone.denominator) == (2, 5)
    assert (jarva.numerator, jarva.denominator, round(jarva.value, 2)) == (2, 3, 66.67)
    assert (parent.numerator, parent.denominator) == (2, 5)  # a unit covers the units below it
    assert nobody.denominator == 0 and nobody.value is None
    assert "SUBSTRING" in compile_indicator(ind, period(2023), [JARVA]).sql("duckdb")


def test_a_unit_path_is_a_prefix_of_whole_codes_only(two_units):
    """/…/jt-jar/ must not match /…/jt-jarva/: paths end with a slash."""
    with DuckDBEngine(two_units) as engine:
        r = _total(compute([_exits_indicator()], engine, period(2023), units=["/stockholm/amf/jobbtorg/jt-jar/"]))
    assert r.denominator == 0


def test_tables_without_a_unit_cannot_be_limited(two_units):
    places = next(i for i in load_definitions("stockholm") if i.population == "places")
    with pytest.raises(ScopeUnavailable, match="places has no organisation unit"):
        compile_indicator(places, period(2023), [JARVA])
    with DuckDBEngine(two_units) as engine:
        assert compute([places], engine, period(2023), units=[JARVA]) == []  # left out, not counted city-wide
        assert compute([places], engine, period(2023))  # unlimited: computed


def test_rows_behind_an_indicator_match_its_numerator_and_denominator(two_units):
    ind = _exits_indicator()
    with DuckDBEngine(two_units) as engine:

        def rows(only=None, units=None):
            q = compile_rows(ind, period(2023), units, ["person_key", "org_unit"], only)
            return engine.con.execute(q.sql("duckdb")).fetchall()

        assert len(rows()) == 5 and len(rows("denominator")) == 5
        assert sorted(r[2] for r in rows()) == [False, False, False, True, True]  # in_numerator
        assert len(rows("numerator")) == 2
        assert {r[1] for r in rows(units=[JARVA])} == {"jt-jarva"}
        assert len(rows("numerator", [CITY])) == 0
