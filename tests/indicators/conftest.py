"""Small analytics tables written to Parquet with the real schema, for hand-computed tests."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pestrack.analytics.schema import BY_NAME, DAYS_PER_MONTH

D = dt.date
DEFAULTS = {"string": "x", "int32": 0, "int64": 0, "double": 0.0, "bool": False, "date32[day]": D(2023, 1, 1)}
# Plausible values for the columns a test does not care about (codes that exist in the profile).
COMMON = {
    "sex": "woman",
    "programme": "jobbtorg",
    "org_unit": "jt-city",
    "org_unit_path": "/stockholm/amf/jobbtorg/jt-city/",
    "target_group": "forsorjningsstod",
    "entry_route": "social_services",
    "municipality": "0180",
    "birth_year": 1990,
    "exit_reason": "work",
    "exit_outcome": "work",
    "measure": "matching",
    "kind": "stockholmsjobb",
    "positions": 1,
    "source": "register",
    "level": 1,
    "survey": "jobbtorg_participant",
    "question": "involved_in_planning",
}


def write_table(folder: Path, name: str, rows: list[dict]) -> Path:
    """``folder/<name>.parquet`` with ``rows``; required columns not given get a plausible value."""
    schema = BY_NAME[name].arrow
    full = []
    for i, row in enumerate(rows):
        unknown = set(row) - set(schema.names)
        assert not unknown, f"{name} has no column {unknown}"
        filled = {}
        for f in schema:
            if f.name in row:
                filled[f.name] = row[f.name]
            elif f.name.endswith("_id") and not f.nullable:
                filled[f.name] = i + 1
            elif f.name == "person_key":
                filled[f.name] = f"p{i + 1}"
            elif not f.nullable:
                filled[f.name] = COMMON.get(f.name, DEFAULTS[str(f.type)])
            else:
                filled[f.name] = None
        full.append(filled)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.parquet"
    pq.write_table(pa.Table.from_pylist(full, schema=schema), path)
    return path


@pytest.fixture
def tables(tmp_path):
    """``tables(name, rows)`` writes one analytics table into tmp_path/data and returns the folder."""
    data = tmp_path / "data"

    def write(name: str, rows: list[dict]) -> Path:
        write_table(data, name, rows)
        return data

    return write


@pytest.fixture
def define(tmp_path):
    """``define(yaml_text)`` writes a definitions file and returns its path."""
    counter = iter(range(1000))

    def write(text: str) -> Path:
        path = tmp_path / f"defs{next(counter)}.yaml"
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def stockholm_data(tmp_path):
    """A handful of rows in every table the Stockholm definitions read."""
    data = tmp_path / "data"
    write_table(
        data,
        "exits",
        [
            {
                "sex": "woman",
                "exit_date": D(2023, 3, 1),
                "exit_outcome": "work",
                "age_at_exit": 25,
                "age_band_at_exit": "25-29",
                "duration_days": 122,
                "duration_months": 122 / DAYS_PER_MONTH,
            },
            {
                "sex": "man",
                "exit_date": D(2023, 6, 1),
                "exit_outcome": "other",
                "age_at_exit": 45,
                "age_band_at_exit": "40-49",
                "duration_days": 304,
                "duration_months": 304 / DAYS_PER_MONTH,
            },
            {
                "sex": "man",
                "exit_date": D(2023, 9, 1),
                "exit_outcome": "studies",
                "age_at_exit": 17,
                "target_group": "kaa",
                "age_band_at_exit": "16-19",
                "duration_days": 76,
                "duration_months": 76 / DAYS_PER_MONTH,
            },
        ],
    )
    write_table(
        data,
        "followups",
        [
            {"exit_date": D(2022, 9, 1), "months": 6, "self_sufficient": True, "sex": "man"},
            {"exit_date": D(2023, 2, 1), "months": 6, "self_sufficient": False},
            {
                "exit_date": D(2023, 2, 1),
                "months": 3,
                "target_group": "stockholmsjobb",
                "working": False,
                "studying": True,
            },
            {
                "exit_date": D(2023, 5, 1),
                "months": 3,
                "target_group": "stockholmsjobb",
                "working": False,
                "studying": False,
            },
        ],
    )
    write_table(
        data,
        "participations",
        [
            {"person_key": "a", "measure": "stockholmsjobb", "start_date": D(2023, 2, 1), "age_band_at_start": "20-24"},
            {"person_key": "a", "measure": "stockholmsjobb", "start_date": D(2023, 8, 1), "age_band_at_start": "20-24"},
            {
                "person_key": "b",
                "measure": "stockholmsjobb",
                "start_date": D(2023, 4, 1),
                "sex": "man",
                "age_band_at_start": "30-39",
            },
            {"person_key": "c", "measure": "feriejobb", "provider_type": "own", "start_date": D(2023, 6, 15)},
            {"person_key": "d", "measure": "feriejobb", "provider_type": "procured", "start_date": D(2023, 6, 15)},
        ],
    )
    write_table(
        data,
        "course_results",
        [
            *(
                {"school_form": "grundlaggande", "completed": c, "passed": ok, "end_date": D(2023, 5, 1)}
                for c, ok in ((True, True), (True, False), (False, None))
            ),
            {
                "school_form": "gymnasial",
                "orientation": "hogskoleforberedande",
                "completed": True,
                "passed": True,
                "end_date": D(2023, 3, 1),
            },
            *(
                {
                    "school_form": "gymnasial",
                    "orientation": "yrkes",
                    "completed": True,
                    "passed": ok,
                    "end_date": D(2023, 3, 1),
                }
                for ok in (True, False, False)
            ),
            {
                "school_form": "sfi",
                "completed": True,
                "passed": True,
                "within_planned_time": True,
                "end_date": D(2023, 4, 1),
            },
            {"school_form": "sfi", "completed": False, "within_planned_time": False, "end_date": D(2023, 5, 1)},
            # sfi beginners of 2021 (VB 2023's two-year window); the 2022 beginner is not followed up yet
            {
                "school_form": "sfi",
                "sfi_beginner": True,
                "start_date": D(2021, 3, 1),
                "end_date": D(2021, 12, 1),
                "completed": True,
                "passed": True,
                "passed_within_two_years": True,
            },
            {
                "school_form": "sfi",
                "sfi_beginner": True,
                "start_date": D(2021, 6, 1),
                "end_date": D(2022, 1, 1),
                "completed": False,
                "passed_within_two_years": False,
            },
            {
                "school_form": "sfi",
                "sfi_beginner": True,
                "start_date": D(2022, 2, 1),
                "end_date": D(2022, 6, 1),
                "completed": True,
                "passed_within_two_years": True,
            },
            *(
                {"school_form": "kombination", "completed": True, "passed": ok, "end_date": D(2023, 6, 1)}
                for ok in (True, True, True, False)
            ),
            {"school_form": "yh", "completed": True, "exam": True, "end_date": D(2023, 6, 1)},
            {"school_form": "yh", "completed": False, "exam": False, "end_date": D(2023, 6, 1)},
        ],
    )
    write_table(
        data,
        "education_followups",
        [
            {"school_form": "yh", "months": 6, "end_date": D(2022, 12, 1), "working": True},
            {"school_form": "yh", "months": 6, "end_date": D(2023, 1, 15), "working": False},
            {"school_form": "yh", "months": 6, "end_date": D(2023, 8, 1), "working": True},  # followed up in 2024
            {
                "school_form": "gymnasial",
                "orientation": "yrkes",
                "months": 3,
                "end_date": D(2023, 9, 30),
                "working": True,
            },
            {
                "school_form": "gymnasial",
                "orientation": "yrkes",
                "months": 3,
                "end_date": D(2022, 9, 30),
                "working": False,
            },
            {
                "school_form": "gymnasial",
                "orientation": "yrkes",
                "months": 3,
                "end_date": D(2023, 2, 1),
                "working": None,
            },
            *(
                {"school_form": "kombination", "months": 3, "end_date": D(2023, 1, 1), "working": w}
                for w in (True, False, False, False)
            ),
        ],
    )
    write_table(
        data,
        "enrolments",
        [  # enrolled during 2023: a, b (twice), c, f, g, h; not d (ended 2022), e (2024)
            {"person_key": "a", "target_group": "stockholmsjobb", "start_date": D(2022, 11, 1)},
            {
                "person_key": "b",
                "sex": "man",
                "target_group": "forsorjningsstod",
                "start_date": D(2022, 1, 1),
                "end_date": D(2023, 1, 1),
                "exit_reason": "other_support",
                "exit_outcome": "other",
            },
            {"person_key": "b", "sex": "man", "target_group": "stockholmsjobb", "start_date": D(2023, 1, 2)},
            {"person_key": "c", "target_group": "ovriga_lss", "start_date": D(2023, 12, 31)},
            {"person_key": "d", "target_group": "kaa", "start_date": D(2021, 3, 1), "end_date": D(2022, 12, 31)},
            {"person_key": "e", "target_group": "uvas_20_29", "start_date": D(2024, 1, 1)},
            {"person_key": "f", "target_group": "kaa", "start_date": D(2023, 2, 1), "days_to_first_measure": 30},
            {
                "person_key": "g",
                "target_group": "uvas_20_29",
                "start_date": D(2023, 3, 1),
                "days_to_first_measure": 120,
            },
            {"person_key": "h", "target_group": "uvas_20_29", "start_date": D(2023, 3, 1)},  # no measure yet
        ],
    )
    write_table(
        data,
        "places",
        [
            {"kind": "feriejobb", "positions": 40, "start_date": D(2023, 6, 1), "employer_is_city": True},
            {"kind": "stockholmsjobb", "positions": 3, "start_date": D(2023, 1, 9), "employer_org_unit": "amf"},
            {"kind": "stockholmsjobb", "positions": 2, "start_date": D(2023, 3, 9)},
            {"kind": "praktik_student", "positions": 4, "start_date": D(2023, 2, 1)},
            # places with placements recorded: 2 of 5 positions filled; the third has none recorded
            {"kind": "regular", "positions": 4, "positions_filled": 1, "start_date": D(2023, 3, 1)},
            {"kind": "regular", "positions": 1, "positions_filled": 1, "start_date": D(2023, 5, 1)},
            {"kind": "regular", "positions": 10, "start_date": D(2023, 5, 1)},
        ],
    )
    write_table(
        data,
        "placements",
        [
            {
                "kind": "regular",
                "status": "hired",
                "hired": True,
                "first_for_person": True,
                "person_key": "a",
                "days_enrolment_to_proposal": 30,
                "proposed_date": D(2023, 2, 1),
                "hired_date": D(2023, 3, 1),
                "retained_3m": True,
                "retained_6m": False,
            },
            {
                "kind": "stockholmsjobb",
                "status": "hired",
                "hired": True,
                "first_for_person": True,
                "person_key": "b",
                "days_enrolment_to_proposal": 90,
                "proposed_date": D(2023, 4, 1),
                "hired_date": D(2023, 5, 1),
                "retained_3m": True,
                "retained_6m": True,
            },
            {
                "kind": "regular",
                "status": "rejected",
                "hired": False,
                "first_for_person": True,
                "person_key": "c",
                "days_enrolment_to_proposal": 60,
                "proposed_date": D(2023, 6, 1),
            },
            {
                "kind": "regular",
                "status": "hired",
                "hired": True,
                "first_for_person": False,
                "person_key": "a",
                "days_enrolment_to_proposal": 200,
                "proposed_date": D(2023, 7, 1),
                "hired_date": D(2023, 12, 1),
            },
            {
                "kind": "regular",
                "status": "hired",
                "hired": True,
                "first_for_person": True,
                "person_key": "d",
                "days_enrolment_to_proposal": 10,
                "proposed_date": D(2022, 11, 1),
                "hired_date": D(2022, 12, 1),
                "retained_3m": False,
                "retained_6m": False,
            },
        ],
    )
    write_table(
        data,
        "outreach",
        [
            {"date": D(2023, 5, 5), "age_band": "20-24", "level": 2, "sex": "woman"},
            {"date": D(2023, 5, 6), "age_band": "25-29", "level": 2, "sex": "man"},
            {"date": D(2023, 5, 7), "age_band": "25-29", "level": 1, "sex": "man"},
        ],
    )
    write_table(
        data,
        "survey_answers",
        [
            {"date": D(2023, 10, 1), "value": 5, "sex": "woman"},
            {"date": D(2023, 10, 2), "value": 4, "sex": "man"},
            {"date": D(2023, 10, 3), "value": 2, "sex": "man"},
            {"date": D(2023, 10, 4), "value": None},
            {"survey": "komvux_students", "question": "recommend_school", "date": D(2023, 5, 1), "value": 5},
            {"survey": "komvux_students", "question": "recommend_school", "date": D(2023, 5, 2), "value": 4},
            {"survey": "sfi_students", "question": "recommend_school", "date": D(2023, 5, 1), "value": 3},
            {
                "survey": "sfi_students",
                "question": "recommend_school",
                "date": D(2023, 5, 2),
                "value": 0,
            },  # off the scale
        ],
    )
    return data


@pytest.fixture(scope="session")
def spark():
    """One local Spark session for the whole run (its start-up costs seconds), tuned for small data;
    the Spark tests skip with the reason when PySpark is not installed."""
    pytest.importorskip("pyspark", reason="PySpark is not installed (the 'spark' extra; python3 dev.py installs it)")
    from pestrack.indicators.engines import SPARK_SMALL_DATA, spark_session

    session = spark_session("local[2]", SPARK_SMALL_DATA)
    yield session
    session.stop()
