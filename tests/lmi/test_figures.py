"""The flows and stocks: accounting identities on generated and hand-made data, revisions that
change only what was known after them, a period outside the data refused, the same bytes on
every engine."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict

import pytest

from pestrack.indicators.engines import DuckDBEngine
from pestrack.lmi import synth
from pestrack.lmi.importing import import_events
from pestrack.reports import lmi
from tests.lmi.conftest import event

D = dt.date


def _by(results) -> dict:
    out = defaultdict(dict)
    for r in results:
        out[r.indicator_id][(r.period, r.breakdown, r.breakdown_value)] = r.value
    return out


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """A small synthetic labour market (scale 0.01: about 10,000 positions), 2021–2023."""
    data = tmp_path_factory.mktemp("lmi") / "data"
    synth.write(data, "stockholm", [2021, 2022, 2023], scale=0.01, seed=7)
    return data


def _months(first: str, last: str) -> list[str]:
    return [p.label for p in lmi.periods(first, last) if re.fullmatch(r"\d{4}-\d\d", p.label)]


def test_stock_at_month_end_is_the_stock_before_plus_hires_minus_terminations(generated):
    with DuckDBEngine(generated) as engine:
        results, _ = lmi.figures(engine, generated, "2021-01", "2023-12")
    f = _by(results)
    months = _months("2021-01", "2023-12")
    for breakdown, values in (("total", [None]), ("sex", ["woman", "man"])):
        for value in values:
            for before, month in zip(months, months[1:]):
                now, then = (month, breakdown, value), (before, breakdown, value)
                flows = f["lmi_hires"].get(now, 0) - f["lmi_terminations"].get(now, 0)
                assert f["lmi_stock"][now] == f["lmi_stock"][then] + flows, now
    # a quarter's and a year's flows are the sums of their months; their stock that of the last month
    assert f["lmi_hires"][("2023-Q2", "total", None)] == sum(
        f["lmi_hires"][(m, "total", None)] for m in ("2023-04", "2023-05", "2023-06")
    )
    assert f["lmi_stock"][("2023", "total", None)] == f["lmi_stock"][("2023-12", "total", None)]
    assert 9_000 < f["lmi_stock"][("2023", "total", None)] < 11_000


def test_net_balance_is_hires_minus_terminations_in_every_breakdown(generated):
    with DuckDBEngine(generated) as engine:
        results, _ = lmi.figures(engine, generated, "2023-01", "2023-12")
    f = _by(results)
    keys = {k for k in f["lmi_net_balance"]} | {k for k in f["lmi_hires"]}
    assert len(keys) > 500
    for k in keys:
        assert f["lmi_net_balance"].get(k, 0) == f["lmi_hires"].get(k, 0) - f["lmi_terminations"].get(k, 0), k


def test_a_period_outside_the_data_says_so_instead_of_printing_zeros(generated):
    with (
        DuckDBEngine(generated) as engine,
        pytest.raises(lmi.OutsideData, match="cover 2021-01-01 to 2023-12-31; 2024-01"),
    ):
        lmi.figures(engine, generated, "2023-12", "2024-01")


def test_periods_are_months_then_the_whole_quarters_and_years_inside():
    labels = [p.label for p in lmi.periods("2023-02", "2024-01")]
    assert labels[:12] == _months("2023-02", "2024-01")
    assert labels[12:] == ["2023-Q2", "2023-Q3", "2023-Q4"]
    assert [p.label for p in lmi.periods("2023-01", "2023-12")][-1] == "2023"
    with pytest.raises(ValueError, match="is not a month"):
        lmi.periods("2023-13", "2024-01")


@pytest.mark.django_db
def test_a_revised_event_changes_only_the_figures_known_after_its_knowledge_date(events_file, tmp_path):
    data = tmp_path / "data"
    today = D(2024, 1, 1)
    import_events(
        events_file(
            [
                event("c0", "h0", "hire", "2022-06-01", "2023-01-01", person_key="AAAAAAAAAAA0"),  # the stock
                event("c1", "h1", "hire", "2023-01-02"),
                event("c2", "t1", "termination", "2023-03-31", "2023-04-02"),
                event("c9", "h9", "hire", "2023-06-20", "2023-06-30", person_key="AAAAAAAAAAA9"),
            ]
        ),
        data,
        today=today,
    )

    def figures(known_on, last="2023-04"):
        with DuckDBEngine(data) as engine:
            return _by(lmi.figures(engine, data, "2023-01", last, known_on=known_on)[0])

    before = figures(D(2023, 4, 30))
    with pytest.raises(lmi.OutsideData, match="2023-05, 2023-06, 2023-Q2 ended after 2023-04-30, the knowledge date"):
        figures(D(2023, 4, 30), "2023-06")
    assert before["lmi_terminations"][("2023-03", "total", None)] == 1
    assert before["lmi_stock"][("2023-03", "total", None)] == 1
    # the termination was really on 31 May: corrected on 10 June
    fix = event("c3", "t1", "termination", "2023-05-31", "2023-06-10", action="correct")
    assert import_events(events_file([fix], "fix.csv"), data, today=today).imported == 1
    assert figures(D(2023, 4, 30)) == before  # what was known before the correction stays as it was
    after = figures(D(2023, 6, 30), "2023-06")
    assert after["lmi_terminations"].get(("2023-03", "total", None), 0) == 0
    assert after["lmi_terminations"][("2023-05", "total", None)] == 1
    assert [after["lmi_stock"][(m, "total", None)] for m in _months("2023-01", "2023-06")] == [2, 2, 2, 2, 1, 2]
    # January, known before either communication about March: the same figures all along
    assert {k: v for k, v in after["lmi_hires"].items() if k[0] == "2023-01"} == {
        k: v for k, v in before["lmi_hires"].items() if k[0] == "2023-01"
    }


def test_spark_and_duckdb_write_the_same_bytes(generated, tmp_path, spark):
    from pestrack.indicators.engines import SparkEngine

    with DuckDBEngine(generated) as duck, SparkEngine(generated, session=spark) as sp:
        lmi.write_csv(lmi.figures(duck, generated, "2023-11", "2023-12")[0], tmp_path / "duck.csv")
        lmi.write_csv(lmi.figures(sp, generated, "2023-11", "2023-12")[0], tmp_path / "spark.csv")
    assert (tmp_path / "duck.csv").read_bytes() == (tmp_path / "spark.csv").read_bytes()


@pytest.mark.postgres
def test_postgresql_and_duckdb_write_the_same_bytes(generated, tmp_path, own_postgres_database):
    from pestrack.indicators.engines import PostgresEngine

    url, _ = own_postgres_database
    with DuckDBEngine(generated) as duck, PostgresEngine(generated, url) as pg:
        lmi.write_csv(lmi.figures(duck, generated, "2023-01", "2023-12")[0], tmp_path / "duck.csv")
        lmi.write_csv(lmi.figures(pg, generated, "2023-01", "2023-12")[0], tmp_path / "pg.csv")
    assert (tmp_path / "duck.csv").read_bytes() == (tmp_path / "pg.csv").read_bytes()
