"""Cells formatted as the 2023 report prints them (Swedish) and in English."""

from __future__ import annotations

import pytest

from pestrack.reports.formatting import cell, number


@pytest.mark.parametrize(
    "value,unit,precision,expected",
    [
        (75.02, "percent", 2, "75,02 %"),
        (75.0249, "percent", 2, "75,02 %"),
        (75.025, "percent", 2, "75,03 %"),  # halves away from zero, not to even
        (1063, "count", 0, "1 063 st"),
        (1062.5, "count", 0, "1 063 st"),
        (9.1, "months", 1, "9,1 mån"),
        (6.0, "months", 1, "6 mån"),  # trailing zeros dropped, as printed ("6 mån", "80 %")
        (62.5, "percent", 2, "62,5 %"),
        (-8, "percent", 0, "-8 %"),
        (4.44, "index", 1, "4,4"),
        (82, "index", 0, "82"),
        (1234567.891, "count", 2, "1 234 567,89 st"),
        (-0.04, "percent", 1, "0 %"),
        (0, "count", 0, "0 st"),
    ],
)
def test_swedish_cells(value, unit, precision, expected):
    assert cell(value, unit, precision, "sv") == expected


@pytest.mark.parametrize(
    "value,unit,precision,expected",
    [
        (75.02, "percent", 2, "75.02%"),
        (1063, "count", 0, "1,063"),
        (9.1, "months", 1, "9.1 months"),
        (1234567.891, "index", 2, "1,234,567.89"),
    ],
)
def test_english_cells(value, unit, precision, expected):
    assert cell(value, unit, precision, "en") == expected


def test_texts_and_missing_values():
    assert cell("Tas fram av nämnd", "percent", 2) == "Tas fram av nämnd"
    assert cell(None, "percent", 2) == ""
    assert number(1000000, 0) == "1 000 000"


def test_a_target_cell_prints_its_unit_by_the_cell_rule():
    """print_unit, bare_cells and unit_cells apply to the target cells as to the value cells."""
    from pestrack.indicators.definitions import Indicator
    from pestrack.reports.annual import Row

    def cells(**kw):
        ind = Indicator(
            id="x",
            name={"sv": "x"},
            unit="count",
            direction="higher",
            band=None,
            precision=0,
            file=None,
            line=0,
            definition="",
            targets={2023: {"own": 130, "kf": 1000}},
            **kw,
        )
        c = Row(goal_id="1", name={"sv": "x"}, indicator=ind, values={"outcome": 146}).cells(2023, "sv")
        return c["outcome"], c["target"], c["kf_target"]

    assert cells() == ("146 st", "130 st", "1 000 st")
    assert cells(bare_cells=("kf",)) == ("146 st", "130 st", "1 000")
    assert cells(print_unit=False) == ("146", "130", "1 000")
    assert cells(print_unit=False, unit_cells=("target",)) == ("146", "130 st", "1 000")
