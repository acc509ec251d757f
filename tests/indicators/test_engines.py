"""The Stockholm definitions on one small data set: the CLI's CSV, DuckDB against PostgreSQL."""
from __future__ import annotations

import csv

import pytest
from typer.testing import CliRunner

from pestrack.cli import app
from pestrack.indicators.compile import to_sql
from pestrack.indicators.compute import CSV_COLUMNS, compute
from pestrack.indicators.definitions import load_definitions
from pestrack.indicators.engines import DuckDBEngine, SparkEngine
from pestrack.indicators.periods import period
from tests.indicators.conftest import D, write_table


@pytest.fixture
def stockholm_data(tmp_path):
    """A handful of rows in every table the Stockholm definitions read."""
    data = tmp_path / "data"
    write_table(data, "exits", [
        {"sex": "woman", "exit_date": D(2023, 3, 1), "exit_outcome": "work", "age_at_exit": 25,
         "age_band_at_exit": "25-29", "duration_months": 4.0},
        {"sex": "man", "exit_date": D(2023, 6, 1), "exit_outcome": "other", "age_at_exit": 45,
         "age_band_at_exit": "40-49", "duration_months": 10.0},
        {"sex": "man", "exit_date": D(2023, 9, 1), "exit_outcome": "studies", "age_at_exit": 17, "target_group": "kaa",
         "age_band_at_exit": "16-19", "duration_months": 2.5},
    ])
    write_table(data, "followups", [
        {"exit_date": D(2022, 9, 1), "months": 6, "self_sufficient": True, "sex": "man"},
        {"exit_date": D(2023, 2, 1), "months": 6, "self_sufficient": False},
        {"exit_date": D(2023, 2, 1), "months": 3, "target_group": "stockholmsjobb", "working": False, "studying": True},
        {"exit_date": D(2023, 5, 1), "months": 3, "target_group": "stockholmsjobb", "working": False, "studying": False},
    ])
    write_table(data, "participations", [
        {"person_key": "a", "measure": "stockholmsjobb", "start_date": D(2023, 2, 1), "age_band_at_start": "20-24"},
        {"person_key": "a", "measure": "stockholmsjobb", "start_date": D(2023, 8, 1), "age_band_at_start": "20-24"},
        {"person_key": "b", "measure": "stockholmsjobb", "start_date": D(2023, 4, 1), "sex": "man", "age_band_at_start": "30-39"},
        {"person_key": "c", "measure": "feriejobb", "provider_type": "own", "start_date": D(2023, 6, 15)},
        {"person_key": "d", "measure": "feriejobb", "provider_type": "procured", "start_date": D(2023, 6, 15)},
    ])
    write_table(data, "course_results", [
        *({"school_form": "grundlaggande", "completed": c, "passed": ok, "end_date": D(2023, 5, 1)}
          for c, ok in ((True, True), (True, False), (False, None))),
        {"school_form": "gymnasial", "orientation": "hogskoleforberedande", "completed": True, "passed": True,
         "end_date": D(2023, 3, 1)},
        *({"school_form": "gymnasial", "orientation": "yrkes", "completed": True, "passed": ok, "end_date": D(2023, 3, 1)}
          for ok in (True, False, False)),
        {"school_form": "sfi", "completed": True, "passed": True, "within_planned_time": True, "end_date": D(2023, 4, 1)},
        {"school_form": "sfi", "completed": False, "within_planned_time": False, "end_date": D(2023, 5, 1)},
        # sfi beginners of 2021 (VB 2023's two-year window); the 2022 beginner is not followed up yet
        {"school_form": "sfi", "sfi_beginner": True, "start_date": D(2021, 3, 1), "end_date": D(2021, 12, 1),
         "completed": True, "passed": True, "passed_within_two_years": True},
        {"school_form": "sfi", "sfi_beginner": True, "start_date": D(2021, 6, 1), "end_date": D(2022, 1, 1),
         "completed": False, "passed_within_two_years": False},
        {"school_form": "sfi", "sfi_beginner": True, "start_date": D(2022, 2, 1), "end_date": D(2022, 6, 1),
         "completed": True, "passed_within_two_years": True},
        *({"school_form": "kombination", "completed": True, "passed": ok, "end_date": D(2023, 6, 1)}
          for ok in (True, True, True, False)),
        {"school_form": "yh", "completed": True, "exam": True, "end_date": D(2023, 6, 1)},
        {"school_form": "yh", "completed": False, "exam": False, "end_date": D(2023, 6, 1)},
    ])
    write_table(data, "education_followups", [
        {"school_form": "yh", "months": 6, "end_date": D(2022, 12, 1), "working": True},
        {"school_form": "yh", "months": 6, "end_date": D(2023, 1, 15), "working": False},
        {"school_form": "yh", "months": 6, "end_date": D(2023, 8, 1), "working": True},  # followed up in 2024
        {"school_form": "gymnasial", "orientation": "yrkes", "months": 3, "end_date": D(2023, 9, 30), "working": True},
        {"school_form": "gymnasial", "orientation": "yrkes", "months": 3, "end_date": D(2022, 9, 30), "working": False},
        {"school_form": "gymnasial", "orientation": "yrkes", "months": 3, "end_date": D(2023, 2, 1), "working": None},
        *({"school_form": "kombination", "months": 3, "end_date": D(2023, 1, 1), "working": w}
          for w in (True, False, False, False)),
    ])
    write_table(data, "enrolments", [  # enrolled during 2023: a, b (twice), c, f, g, h; not d (ended 2022), e (2024)
        {"person_key": "a", "target_group": "stockholmsjobb", "start_date": D(2022, 11, 1)},
        {"person_key": "b", "sex": "man", "target_group": "forsorjningsstod", "start_date": D(2022, 1, 1),
         "end_date": D(2023, 1, 1), "exit_reason": "other_support", "exit_outcome": "other"},
        {"person_key": "b", "sex": "man", "target_group": "stockholmsjobb", "start_date": D(2023, 1, 2)},
        {"person_key": "c", "target_group": "ovriga_lss", "start_date": D(2023, 12, 31)},
        {"person_key": "d", "target_group": "kaa", "start_date": D(2021, 3, 1), "end_date": D(2022, 12, 31)},
        {"person_key": "e", "target_group": "uvas_20_29", "start_date": D(2024, 1, 1)},
        {"person_key": "f", "target_group": "kaa", "start_date": D(2023, 2, 1), "days_to_first_measure": 30},
        {"person_key": "g", "target_group": "uvas_20_29", "start_date": D(2023, 3, 1), "days_to_first_measure": 120},
        {"person_key": "h", "target_group": "uvas_20_29", "start_date": D(2023, 3, 1)},  # no measure yet
    ])
    write_table(data, "places", [
        {"kind": "feriejobb", "positions": 40, "start_date": D(2023, 6, 1), "employer_is_city": True},
        {"kind": "stockholmsjobb", "positions": 3, "start_date": D(2023, 1, 9), "employer_org_unit": "amf"},
        {"kind": "stockholmsjobb", "positions": 2, "start_date": D(2023, 3, 9)},
        {"kind": "praktik_student", "positions": 4, "start_date": D(2023, 2, 1)},
        # places with placements recorded: 2 of 5 positions filled; the third has none recorded
        {"kind": "regular", "positions": 4, "positions_filled": 1, "start_date": D(2023, 3, 1)},
        {"kind": "regular", "positions": 1, "positions_filled": 1, "start_date": D(2023, 5, 1)},
        {"kind": "regular", "positions": 10, "start_date": D(2023, 5, 1)},
    ])
    write_table(data, "placements", [
        {"kind": "regular", "status": "hired", "hired": True, "first_for_person": True, "person_key": "a",
         "days_enrolment_to_proposal": 30, "proposed_date": D(2023, 2, 1), "hired_date": D(2023, 3, 1),
         "retained_3m": True, "retained_6m": False},
        {"kind": "stockholmsjobb", "status": "hired", "hired": True, "first_for_person": True, "person_key": "b",
         "days_enrolment_to_proposal": 90, "proposed_date": D(2023, 4, 1), "hired_date": D(2023, 5, 1),
         "retained_3m": True, "retained_6m": True},
        {"kind": "regular", "status": "rejected", "hired": False, "first_for_person": True, "person_key": "c",
         "days_enrolment_to_proposal": 60, "proposed_date": D(2023, 6, 1)},
        {"kind": "regular", "status": "hired", "hired": True, "first_for_person": False, "person_key": "a",
         "days_enrolment_to_proposal": 200, "proposed_date": D(2023, 7, 1), "hired_date": D(2023, 12, 1)},
        {"kind": "regular", "status": "hired", "hired": True, "first_for_person": True, "person_key": "d",
         "days_enrolment_to_proposal": 10, "proposed_date": D(2022, 11, 1), "hired_date": D(2022, 12, 1),
         "retained_3m": False, "retained_6m": False},
    ])
    write_table(data, "outreach", [
        {"date": D(2023, 5, 5), "age_band": "20-24", "level": 2, "sex": "woman"},
        {"date": D(2023, 5, 6), "age_band": "25-29", "level": 2, "sex": "man"},
        {"date": D(2023, 5, 7), "age_band": "25-29", "level": 1, "sex": "man"},
    ])
    write_table(data, "survey_answers", [
        {"date": D(2023, 10, 1), "value": 5, "sex": "woman"}, {"date": D(2023, 10, 2), "value": 4, "sex": "man"},
        {"date": D(2023, 10, 3), "value": 2, "sex": "man"}, {"date": D(2023, 10, 4), "value": None},
        {"survey": "komvux_students", "question": "recommend_school", "date": D(2023, 5, 1), "value": 5},
        {"survey": "komvux_students", "question": "recommend_school", "date": D(2023, 5, 2), "value": 4},
        {"survey": "sfi_students", "question": "recommend_school", "date": D(2023, 5, 1), "value": 3},
        {"survey": "sfi_students", "question": "recommend_school", "date": D(2023, 5, 2), "value": 0},  # off the scale
    ])
    return data


EXPECTED_TOTALS = {  # worked out from the rows above, VB 2023
    "jobbtorg_exit_work_or_studies": 200 / 3, "jobbtorg_exit_work_or_studies_18_29": 100.0, "kaa_exit_studies": 100.0,
    "jobbtorg_enrolment_months": 16.5 / 3, "jobbtorg_enrolment_months_18_29": 4.0,
    "jobbtorg_self_sufficient_6m": 50.0, "stockholmsjobb_work_or_studies_3m": 50.0,
    "stockholmsjobb_participants": 2, "places_feriejobb": 40, "places_stockholmsjobb": 5,
    "outreach_young_20_29_in_measures": 2, "jobbtorg_involved_in_planning": 200 / 3,
    "jobbtorg_enrolled_forsorjningsstod": 1, "jobbtorg_enrolled_kaa": 1, "jobbtorg_enrolled_uvas": 2,
    "jobbtorg_enrolled_ovriga": 1, "jobbtorg_enrolled_ovriga_lss": 1, "jobbtorg_enrolled_unique": 6,
    "young_offered_within_90_days": 100 / 3,
    "places_praktik_students": 4, "feriejobb_own_units": 1,
    "placements_hired": 3, "days_enrolment_to_first_match": 60.0, "retention_3_months_after_hire": 100.0,
    "retention_6_months_after_hire": 50.0, "places_filled_share": 40.0,
    "basic_adult_education_passed": 50.0, "upper_secondary_preparatory_passed": 100.0,
    "upper_secondary_vocational_passed": 100 / 3, "sfi_passed": 100.0, "sfi_within_planned_time": 50.0,
    "sfi_beginners_passed_within_two_years": 50.0, "combination_education_passed": 75.0, "yh_exam": 50.0,
    "yh_working_6m": 50.0, "vocational_adult_education_working_3m": 100.0, "combination_education_working_3m": 25.0,
    "komvux_recommend_school": 4.5, "sfi_recommend_school": 3.0,
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
    r = CliRunner().invoke(app, ["indicators", "compute", "--data", str(stockholm_data), "--year", "2023",
                                 "--period", "T1", "--out", str(out)])
    assert r.exit_code == 0, r.output
    with open(out, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert tuple(rows[0]) == CSV_COLUMNS
    by_key = {(row[0], row[2], row[3]): row for row in rows[1:]}
    # T1 2023: exits on 2023-03-01 (work) only
    assert by_key[("jobbtorg_exit_work_or_studies", "total", "")] == \
        ["jobbtorg_exit_work_or_studies", "T1 2023", "total", "", "100", "1", "1"]
    assert by_key[("places_stockholmsjobb", "employer_org_unit", "amf")][4:] == ["3", "3", ""]


def test_cli_validate_and_errors(tmp_path):
    runner = CliRunner()
    r = runner.invoke(app, ["indicators", "validate"])
    assert r.exit_code == 0 and "39 indicator definitions valid" in r.output
    r = runner.invoke(app, ["indicators", "compute", "--data", str(tmp_path / "none"), "--year", "2023",
                            "--out", str(tmp_path / "x.csv")])
    assert r.exit_code == 2 and "no such folder" in _flat(r.output)
    r = runner.invoke(app, ["indicators", "compute", "--data", str(tmp_path), "--year", "2023", "--engine", "spark",
                            "--out", str(tmp_path / "x.csv")])
    assert r.exit_code == 2 and "Apache Spark" in _flat(r.output)
    r = runner.invoke(app, ["indicators", "compute", "--data", str(tmp_path), "--year", "2023", "--out",
                            str(tmp_path / "x.csv")])
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


def test_spark_is_a_later_step():
    with pytest.raises(NotImplementedError, match="Apache Spark"):
        SparkEngine("data")


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
            a, b = _compute(duck, code), _compute(pg, code)
            assert list(map(_tuple, a)) == list(map(_tuple, b))
            for x, y in zip(a, b):
                for field in ("value", "numerator", "denominator"):
                    u, v = getattr(x, field), getattr(y, field)
                    assert (u is None and v is None) or u == pytest.approx(v, rel=1e-12), (x, y)
        assert len(_compute(pg)) > 50


def _flat(text: str) -> str:
    """Rich wraps long messages to the terminal width."""
    return " ".join(text.split())


def _tuple(r):
    return (r.indicator_id, r.period, r.breakdown, r.breakdown_value)
