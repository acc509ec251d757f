"""`pestrack synth` end to end as a user runs it: into a new SQLite database, or straight to Parquet."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

PESTRACK = str(Path(sys.executable).with_name("pestrack"))


@pytest.mark.slow
def test_synth_into_a_new_database_then_the_analytics_tables(tmp_path):
    env = {**os.environ, "PESTRACK_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    subprocess.run([PESTRACK, "init"], env=env, check=True, capture_output=True, cwd=tmp_path)
    r = subprocess.run(
        [PESTRACK, "synth", "--years", "2022", "2023", "--seed", "5", "--into-db", "--out", str(tmp_path / "out")],
        env=env,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert "persons" in r.stdout and "analytics tables" in r.stdout
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    # the register tables, which have no records, as register files imported like `pestrack analytics import`
    assert manifest["tables"]["course_results"]["source_file"] == "course_results.csv"
    assert (tmp_path / "out" / "registers" / "education_followups.csv").exists()
    enrolments = pq.read_table(tmp_path / "out" / "enrolments.parquet").to_pylist()
    assert manifest["tables"]["enrolments"]["rows"] == len(enrolments) > 14_000
    assert {r["target_group"] for r in enrolments} == {
        "forsorjningsstod",
        "kaa",
        "uvas_20_29",
        "ovriga",
        "ovriga_lss",
        "stockholmsjobb",
    }


@pytest.mark.slow
def test_synth_straight_to_parquet_needs_no_database(tmp_path):
    env = {**os.environ, "PESTRACK_DATABASE_URL": f"sqlite:///{tmp_path / 'no such folder' / 'db.sqlite3'}"}
    r = subprocess.run(
        [PESTRACK, "synth", "--years", "2022", "2023", "--seed", "5", "--out", str(tmp_path / "out")],
        env=env,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert "shard 1/1" in r.stdout and "rows/s" in r.stdout
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert set(manifest["tables"]) == {
        "enrolments",
        "exits",
        "participations",
        "followups",
        "outreach",
        "places",
        "placements",
        "survey_answers",
        "course_results",
        "education_followups",
    }
    for table, entry in manifest["tables"].items():
        assert pq.read_metadata(tmp_path / "out" / f"{table}.parquet").num_rows == entry["rows"]
    assert manifest["tables"]["enrolments"]["rows"] > 14_000
    assert not (tmp_path / "no such folder").exists()


def test_a_year_alone_that_cannot_be_drawn_names_the_years_that_work(tmp_path):
    r = subprocess.run(
        [PESTRACK, "synth", "--years", "2023", "--seed", "5", "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert r.returncode == 2, r.stdout + r.stderr
    assert "use --years 2022 2023" in r.stdout
