"""Report cells declared as the published report prints them: cells left empty although the
indicator is broken down by sex (blank_cells), and cells printed without their unit (bare_cells)."""

from __future__ import annotations

from types import SimpleNamespace

from pestrack.indicators.compile import TOTAL
from pestrack.indicators.definitions import load_definitions
from pestrack.indicators.periods import period
from pestrack.reports.annual import Row, _values


def _row(ind_id: str, by_key: dict) -> dict:
    ind = {i.id: i for i in load_definitions("stockholm")}[ind_id]
    p, prev = period(2023), period(2022)
    computed = {
        (ind.id, q.label, key): SimpleNamespace(value=v, denominator=100)
        for (q, key), v in (
            (((p if k != "prev" else prev), {"men": "man", "women": "woman"}.get(k, TOTAL)), v)
            for k, v in by_key.items()
        )
    }
    return Row("x", ind.name, ind, _values(ind, p, prev, computed, 0)).cells(2023, "sv")


def test_blank_cells_are_left_empty_though_computed():
    cells = _row("jobbtorg_involved_in_planning", {"outcome": 83.97, "men": 80.0, "women": 88.0, "prev": 81.0})
    assert (cells["outcome"], cells["outcome_men"], cells["outcome_women"], cells["outcome_prev_year"]) == (
        "83,97 %",
        "",
        "",
        "",
    )


def test_bare_cells_are_printed_without_the_unit():
    cells = _row("young_offered_within_90_days", {"outcome": 100.0, "men": 100.0, "women": 100.0})
    assert (cells["outcome"], cells["outcome_men"], cells["outcome_women"]) == ("100 %", "100", "100")
