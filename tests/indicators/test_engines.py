"""The Stockholm definitions on one small data set: the CLI's CSV, DuckDB against PostgreSQL."""

from __future__ import annotations

import csv

import pytest
from typer.testing import CliRunner

from pestrack.cli import app
from pestrack.indicators.compile import compile_indicator, to_sql
from pestrack.indicators.compute import CSV_COLUMNS, compute
from pestrack.indicators.definitions import load_definitions
from pestrack.indicators.engines import DuckDBEngine
from pestrack.indicators.periods import period
from tests.indicators.helpers import assert_same_results

EXPECTED_TOTALS = {  # worked out from the rows above, VB 2023
    "jobbtorg_exit_work_or_studies": 200 / 3,
    "jobbtorg_exit_work_or_studies_18_29": 100.0,
    "kaa_exit_studies": 100.0,
    "jobbtorg_enrolment_months": (122 + 304 + 76) / 30.4375 / 3,
    "jobbtorg_enrolment_months_18_29": 122 / 30.4375,
    "jobbtorg_self_sufficient_6m": 50.0,
    "stockholmsjobb_work_or_studies_3m": 50.0,
    "stockholmsjobb_participants": 2,
    "places_feriejobb": 40,
    "places_stockholmsjobb": 5,
    "outreach_young_20_29_in_measures": 2,
    "jobbtorg_involved_in_planning": 200 / 3,
    "jobbtorg_enrolled_forsorjningsstod": 1,
    "jobbtorg_enrolled_kaa": 1,
    "jobbtorg_enrolled_uvas": 2,
    "jobbtorg_enrolled_ovriga": 1,
    "jobbtorg_enrolled_ovriga_lss": 1,
    "jobbtorg_enrolled_unique": 6,
    "young_offered_within_90_days": 100 / 3,
    "places_praktik_students": 4,
    "feriejobb_own_units": 1,
    "placements_hired": 3,
    "days_enrolment_to_first_match": 60.0,
    "retention_3_months_after_hire": 100.0,
    "retention_6_months_after_hire": 50.0,
    "places_filled_share": 40.0,
    "basic_adult_education_passed": 50.0,
    "upper_secondary_preparatory_passed": 100.0,
    "upper_secondary_vocational_passed": 100 / 3,
    "sfi_passed": 100.0,
    "sfi_within_planned_time": 50.0,
    "sfi_beginners_passed_within_two_years": 50.0,
    "combination_education_passed": 75.0,
    "yh_exam": 50.0,
    "yh_working_6m": 50.0,
    "vocational_adult_education_working_3m": 100.0,
    "combination_education_working_3m": 25.0,
    "komvux_recommend_school": 4.5,
    "sfi_recommend_school": 3.0,
}


def _compute(engine, code="VB"):
    return compute(load_definitions("stockholm"), engine, period(2023, code))


def test_every_stockholm_indicator_on_hand_computed_rows(stockholm_data):
    with DuckDBEngine(stockholm_data) as duck:
        totals = {r.indicator_id: r.value for r in _compute(duck) if r.breakdown == "total"}
    assert totals.keys() == EXPECTED_TOTALS.keys()
    for key, value in EXPECTED_TOTALS.items():
        assert totals[key] == pytest.approx(value), key


def test_cli_compute_writes_the_csv_columns(stockholm_data, tmp_path):
    out = tmp_path / "indicators.csv"
    r = CliRunner().invoke(
        app,
        ["indicators", "compute", "--data", str(stockholm_data), "--year", "2023", "--period", "T1", "--out", str(out)],
    )
    assert r.exit_code == 0, r.output
    with open(out, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert tuple(rows[0]) == CSV_COLUMNS
    by_key = {(row[0], row[2], row[3]): row for row in rows[1:]}
    # T1 2023: exits on 2023-03-01 (work) only
    assert by_key[("jobbtorg_exit_work_or_studies", "total", "")] == [
        "jobbtorg_exit_work_or_studies",
        "T1 2023",
        "total",
        "",
        "100",
        "1",
        "1",
    ]
    assert by_key[("places_stockholmsjobb", "employer_org_unit", "amf")][4:] == ["3", "3", ""]


def test_cli_validate_and_errors(tmp_path):
    runner = CliRunner()
    r = runner.invoke(app, ["indicators", "validate"])
    assert r.exit_code == 0 and "39 indicator definitions valid" in r.output
    r = runner.invoke(
        app,
        ["indicators", "compute", "--data", str(tmp_path / "none"), "--year", "2023", "--out", str(tmp_path / "x.csv")],
    )
    assert r.exit_code == 2 and "no such folder" in _flat(r.output)
    r = runner.invoke(
        app, ["indicators", "compute", "--data", str(tmp_path), "--year", "2023", "--out", str(tmp_path / "x.csv")]
    )
    assert r.exit_code == 2 and "needs the analytics table" in _flat(r.output)


def test_a_broken_profile_fails_validation_with_its_errors(tmp_path):
    import shutil

    from pestrack.indicators.catalogue import profile_path

    profile = tmp_path / "p"
    shutil.copytree(profile_path("stockholm"), profile)
    path = profile / "indicators" / "survey.yaml"
    path.write_text(path.read_text().replace("value >= 4", "value >= 'high'"))
    r = CliRunner().invoke(app, ["indicators", "validate", "--profile", str(profile)])
    assert r.exit_code == 1
    assert any(line.startswith(f"{path}:") and "type mismatch" in line for line in r.output.splitlines()), r.output


def test_duckdb_settings_for_speed(stockholm_data):
    """Each indicator's query reads its table again; the files' footers are parsed once (cached), and
    rows may come in any order (compute() sorts them): the same results, in the same order."""
    with DuckDBEngine(stockholm_data) as duck:
        settings = duck.con.execute(
            "SELECT current_setting('parquet_metadata_cache'), current_setting('preserve_insertion_order')"
        ).fetchone()
        assert settings == (True, False)
        before = _compute(duck)
        assert _compute(duck) == before


def test_duckdb_runs_the_queries_two_at_a_time_with_the_results_of_one_at_a_time(stockholm_data):
    with DuckDBEngine(stockholm_data, workers=1) as one, DuckDBEngine(stockholm_data, workers=2) as two:
        assert two.workers == 2
        for code in ("VB", "T1"):
            alone = _compute(one, code)
            assert _compute(two, code) == alone and len({r.indicator_id for r in alone}) > 20
        # each query ran on one thread, costliest first; a single query gets every thread again after
        assert two.con.execute("SELECT current_setting('threads')").fetchone()[0] == two.threads


def test_duckdb_starts_with_the_costliest_queries(stockholm_data):
    """Distinct counts first, then by the rows of their table, so that no long query is left to
    run alone at the end."""
    indicators = {i.id: i for i in load_definitions("stockholm")}
    with DuckDBEngine(stockholm_data) as duck:
        cost = {
            name: duck._cost(compile_indicator(indicators[name], period(2023, "VB")))
            for name in ("jobbtorg_enrolled_kaa", "sfi_passed", "places_feriejobb")
        }
    assert cost["jobbtorg_enrolled_kaa"] > cost["sfi_passed"] > cost["places_feriejobb"]
    assert cost["jobbtorg_enrolled_kaa"][0] and not cost["sfi_passed"][0]


def test_the_postgres_text_of_a_query_is_a_transpilation():
    ind = next(i for i in load_definitions("stockholm") if i.id == "jobbtorg_enrolment_months")
    sql = to_sql(ind, period(2023, "T2"), "postgres")
    assert "DOUBLE PRECISION" in sql and "BETWEEN CAST('2023-01-01' AS DATE) AND CAST('2023-08-31' AS DATE)" in sql


@pytest.mark.postgres
def test_duckdb_and_postgresql_give_identical_results(stockholm_data, own_postgres_database):
    """Same definitions, same rows, every period: the same numbers on both engines (own database)."""
    from pestrack.indicators.engines import PostgresEngine

    url, _ = own_postgres_database
    with DuckDBEngine(stockholm_data) as duck, PostgresEngine(stockholm_data, url) as pg:
        for code in ("VB", "T1", "T2", "Q3"):
            assert_same_results(_compute(duck, code), _compute(pg, code))
        assert len(_compute(pg)) > 50


def _flat(text: str) -> str:
    """Rich wraps long messages to the terminal width."""
    return " ".join(text.split())
