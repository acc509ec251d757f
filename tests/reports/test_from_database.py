"""Without --data the report extracts the analytics tables from the records database first."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from typer.testing import CliRunner

from pestrack.analytics.extract import extract
from pestrack.cli import app


@pytest.mark.django_db
def test_report_without_data_equals_report_on_an_extract(profile, tmp_path):
    from pestrack.records.sample import create_sample

    create_sample(40, today=dt.date(2024, 2, 1))
    extract(tmp_path / "data")
    runner = CliRunner()
    base = ["report", "annual", "--year", "2023", "--format", "csv"]
    a = runner.invoke(app, [*base, "--out", str(tmp_path / "db.csv")])
    b = runner.invoke(app, [*base, "--data", str(tmp_path / "data"), "--out", str(tmp_path / "data.csv")])
    assert a.exit_code == 0 and b.exit_code == 0, a.output + b.output
    from_db = (tmp_path / "db.csv").read_text(encoding="utf-8-sig")  # Swedish: a byte-order mark, semicolons
    assert from_db == (tmp_path / "data.csv").read_text(encoding="utf-8-sig")
    months = next(
        r
        for r in csv.DictReader(io.StringIO(from_db), delimiter=";")
        if r["indicator"].startswith("Genomsnittlig inskrivningstid för kvinnor")
    )
    assert months["outcome"].endswith(" mån")  # the sample has 2023 exits, so the engine gave a value
