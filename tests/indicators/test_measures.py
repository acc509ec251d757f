"""Hand-computed cases for every measure type, breakdowns, periods and follow-up windows (DuckDB)."""

from __future__ import annotations

import pytest

from tests.indicators.conftest import D
from tests.indicators.helpers import indicator, results

SHARE = indicator(
    "exit_work_or_studies",
    """\
  unit: percent
  population: exits
  where: programme = 'jobbtorg'
  measure: {share: "exit_outcome in ('work', 'studies')"}
  period: exit_date
  breakdowns: [sex, target_group]
""",
)


def test_share_counts_the_condition_over_the_population_with_breakdowns(tables, define):
    data = tables(
        "exits",
        [
            {"sex": "woman", "exit_date": D(2023, 2, 1), "exit_outcome": "work"},
            {"sex": "woman", "exit_date": D(2023, 5, 1), "exit_outcome": "studies", "target_group": "kaa"},
            {"sex": "woman", "exit_date": D(2023, 12, 31), "exit_outcome": "other"},
            {"sex": "man", "exit_date": D(2023, 1, 1), "exit_outcome": "other"},
            {"sex": "man", "exit_date": D(2023, 3, 1), "exit_outcome": "work", "programme": "outreach"},  # not jobbtorg
            {"sex": "man", "exit_date": D(2022, 12, 31), "exit_outcome": "work"},  # the year before
        ],
    )
    r = results(define(SHARE), data)
    total = r[("exit_work_or_studies", "total", None)]
    assert (total.numerator, total.denominator, total.value) == (2, 4, 50.0)
    assert r[("exit_work_or_studies", "sex", "woman")].value == pytest.approx(200 / 3)  # 2 of 3, unrounded
    assert (r[("exit_work_or_studies", "sex", "man")].numerator, r[("exit_work_or_studies", "sex", "man")].value) == (
        0,
        0,
    )
    assert r[("exit_work_or_studies", "target_group", "kaa")].value == 100
    assert r[("exit_work_or_studies", "target_group", "forsorjningsstod")].value == pytest.approx(100 / 3)
    assert len(r) == 5  # total, 2 sexes, 2 target groups


def test_share_of_an_empty_population_has_no_value(tables, define):
    data = tables("exits", [{"exit_date": D(2021, 1, 1)}])
    total = results(define(SHARE), data)[("exit_work_or_studies", "total", None)]
    assert (total.numerator, total.denominator, total.value) == (None, 0, None)


def test_count_and_distinct_count(tables, define):
    data = tables(
        "participations",
        [
            {"person_key": "a", "measure": "stockholmsjobb", "start_date": D(2023, 1, 10)},
            {"person_key": "a", "measure": "stockholmsjobb", "start_date": D(2023, 9, 1)},  # same person again
            {"person_key": "b", "measure": "stockholmsjobb", "start_date": D(2023, 6, 1), "sex": "man"},
            {"person_key": "c", "measure": "praktik", "start_date": D(2023, 6, 1)},
            {"person_key": "d", "measure": "stockholmsjobb", "start_date": D(2024, 1, 1)},
        ],
    )
    body = (
        "  unit: count\n  population: participations\n  where: measure = 'stockholmsjobb'\n  period: start_date\n"
        "  breakdowns: [sex]\n"
    )
    defs = define(
        indicator("rows", body + "  measure: count\n")
        + indicator("persons", body + "  measure: {distinct_count: person_key}\n")
    )
    r = results(defs, data)
    assert r[("rows", "total", None)].value == 3
    assert r[("persons", "total", None)].value == 2
    assert r[("persons", "sex", "woman")].value == 1 and r[("persons", "sex", "man")].value == 1
    assert r[("rows", "total", None)].denominator is None


@pytest.mark.parametrize(
    "column, values, measure, numerator",
    [
        ("duration_months", (3.0, 6.0, 12.5), "{mean: duration_months}", 21.5),
        # whole days converted once: 609 days are 20.008… months, 6.67 months each
        ("duration_days", (61, 183, 365), "{mean: duration_days, divide_by: 30.4375}", 609 / 30.4375),
    ],
)
def test_mean_is_sum_over_count(tables, define, column, values, measure, numerator):
    data = tables("exits", [{"exit_date": D(2023, 3 + i, 1), column: v} for i, v in enumerate(values)])
    defs = define(
        indicator("months", f"  unit: months\n  population: exits\n  measure: {measure}\n  period: exit_date\n")
    )
    total = results(defs, data)[("months", "total", None)]
    assert (total.numerator, total.denominator) == (numerator, 3)
    assert total.value == numerator / 3


def test_sum_and_ratio(tables, define):
    data = tables(
        "places",
        [
            {"kind": "feriejobb", "positions": 5, "start_date": D(2023, 6, 1)},
            {"kind": "feriejobb", "positions": 10, "start_date": D(2023, 6, 15), "employer_is_city": True},
            {"kind": "stockholmsjobb", "positions": 7, "start_date": D(2023, 2, 1)},
            {"kind": "feriejobb", "positions": 100, "start_date": D(2022, 6, 1)},
        ],
    )
    base = "  population: places\n  period: start_date\n"
    defs = define(
        indicator(
            "positions",
            base + "  unit: count\n  where: kind = 'feriejobb'\n  measure: {sum: positions}\n"
            "  breakdowns: [employer_is_city]\n",
        )
        + indicator(
            "per_place",
            base + "  unit: ratio\n  measure:\n    ratio:\n"
            "      numerator: {sum: positions, where: \"kind = 'feriejobb'\"}\n"
            "      denominator: {count: rows, where: \"kind = 'feriejobb'\"}\n",
        )
        + indicator(
            "feriejobb_share",
            base + "  unit: percent\n  measure:\n    ratio:\n"
            "      numerator: {sum: positions, where: \"kind = 'feriejobb'\"}\n"
            "      denominator: {sum: positions}\n",
        )
    )
    r = results(defs, data)
    assert r[("positions", "total", None)].value == 15
    assert r[("positions", "employer_is_city", "true")].value == 10
    assert r[("positions", "employer_is_city", "false")].value == 5
    assert (r[("per_place", "total", None)].numerator, r[("per_place", "total", None)].denominator) == (15, 2)
    assert r[("per_place", "total", None)].value == 7.5  # a ratio is not scaled
    assert r[("feriejobb_share", "total", None)].value == pytest.approx(100 * 15 / 22)  # percent: × 100


PERIODS = indicator("exits", "  unit: count\n  population: exits\n  measure: count\n  period: exit_date\n")


@pytest.mark.parametrize("code, expected", [("T1", 2), ("T2", 3), ("VB", 4), ("Q2", 1), ("M04", 1), ("M01", 1)])
def test_periods_count_from_their_first_to_their_last_day(tables, define, code, expected):
    data = tables(
        "exits",
        [
            {"exit_date": d}
            for d in (D(2023, 1, 1), D(2023, 4, 30), D(2023, 8, 31), D(2023, 12, 31), D(2022, 12, 31), D(2024, 1, 1))
        ],
    )
    assert results(define(PERIODS), data, code=code)[("exits", "total", None)].value == expected


WINDOW = indicator(
    "self_sufficient",
    """\
  unit: percent
  population: followups
  where: months = 6 and self_sufficient is not null
  measure: {share: self_sufficient}
  period: exit_date
  window: {months: 12, lag_months: 6}
""",
)


def test_a_follow_up_window_moves_with_the_period(tables, define):
    data = tables(
        "followups",
        [
            {"exit_date": D(2022, 6, 30), "months": 6, "self_sufficient": True},  # before the VB window
            {"exit_date": D(2022, 7, 1), "months": 6, "self_sufficient": True},  # first day of the VB window
            {"exit_date": D(2023, 6, 30), "months": 6, "self_sufficient": False},  # last day of the VB window
            {"exit_date": D(2023, 7, 1), "months": 6, "self_sufficient": True},  # after it
            {"exit_date": D(2023, 1, 1), "months": 6, "self_sufficient": None},  # unknown outcome: not counted
            {"exit_date": D(2023, 1, 1), "months": 3, "self_sufficient": True},  # another follow-up
            {"exit_date": D(2021, 11, 1), "months": 6, "self_sufficient": False},  # T1 2023 window starts here
        ],
    )
    defs = define(WINDOW)
    vb = results(defs, data)[("self_sufficient", "total", None)]
    assert (vb.numerator, vb.denominator, vb.value) == (1, 2, 50.0)
    # T1 2023 ends 2023-04-30: the window is 2021-11-01 – 2022-10-31
    t1 = results(defs, data, code="T1")[("self_sufficient", "total", None)]
    assert (t1.numerator, t1.denominator) == (2, 3)  # 2022-06-30, 2022-07-01 (both yes), 2021-11-01 (no)
    # T2 2023 ends 2023-08-31: the window is 2022-03-01 – 2023-02-28
    t2 = results(defs, data, code="T2")[("self_sufficient", "total", None)]
    assert (t2.numerator, t2.denominator) == (2, 2)


def test_a_reported_indicator_gives_its_values_by_sex(tmp_path, define):
    defs = define("""\
- id: labour_shortage
  name: {sv: Arbetskraftsbrist, en: Labour shortage}
  unit: percent
  direction: lower
  precision: 1
  targets: {2023: {own: 1, kf: 1.0}}
  source:
    name: SCB
    values: {2023: {total: 1.1, women: 1.0, men: 1.2}}
""")
    r = results(defs, tmp_path)
    assert r[("labour_shortage", "total", None)].value == 1.1
    assert r[("labour_shortage", "sex", "woman")].value == 1.0
    assert results(defs, tmp_path, year=2022) == {}


def test_rows_with_an_empty_breakdown_column_are_a_named_category_not_a_second_total(tables, define):
    """Anonymous survey answers have no sex: they form the category "(not recorded)", and the
    categories add up to the total (an empty value used to look like the total)."""
    from pestrack.indicators.compile import NOT_RECORDED

    data = tables(
        "survey_answers",
        [
            {"survey": "s", "question": "q", "date": D(2023, 3, 1), "value": 5, "sex": "woman"},
            {"survey": "s", "question": "q", "date": D(2023, 3, 2), "value": 2, "sex": "man"},
            {"survey": "s", "question": "q", "date": D(2023, 3, 3), "value": 4, "sex": None},
            {"survey": "s", "question": "q", "date": D(2023, 3, 4), "value": 1, "sex": None},
        ],
    )
    defs = define(
        indicator(
            "agree",
            "  unit: percent\n  population: survey_answers\n  where: value is not null\n"
            "  measure: {share: value >= 4}\n  period: date\n  breakdowns: [sex]\n",
        )
    )
    r = results(defs, data)
    assert r[("agree", "total", None)].value == 50
    assert r[("agree", "sex", NOT_RECORDED)].value == 50 and r[("agree", "sex", NOT_RECORDED)].denominator == 2
    assert sum(r[("agree", "sex", v)].denominator for v in ("woman", "man", NOT_RECORDED)) == 4
    assert [k for k in r if k[2] is None] == [("agree", "total", None)]

    from pestrack.indicators.definitions import load_definitions
    from pestrack.indicators.periods import period
    from pestrack.reports.annual import _computed_values

    values = _computed_values(load_definitions("stockholm", files=[defs]), data, [period(2023, "VB")], "duckdb")
    assert values[("agree", "VB 2023", "total")].value == 50  # the report's outcome is the total's
    assert values[("agree", "VB 2023", "woman")].value == 100
