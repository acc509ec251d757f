"""The Apache Spark engine (PySpark, local mode): the same definitions give the same rows as DuckDB
and PostgreSQL. The tests share one Spark session (conftest ``spark``) and skip without PySpark."""

from __future__ import annotations

import sys

import pytest
from typer.testing import CliRunner

from pestrack.cli import app
from pestrack.indicators.compute import compute
from pestrack.indicators.definitions import load_definitions
from pestrack.indicators.engines import DuckDBEngine, SparkEngine
from pestrack.indicators.periods import period
from tests.indicators.helpers import assert_same_results


def _compute(engine, code="VB"):
    return compute(load_definitions("stockholm"), engine, period(2023, code))


def test_cli_engine_spark_writes_the_csv_of_duckdb(stockholm_data, spark, tmp_path):
    """Every Stockholm indicator (all tables present), all breakdowns: the same file, byte for byte."""
    runner = CliRunner()
    for engine in ("duckdb", "spark"):
        r = runner.invoke(
            app,
            [
                "indicators",
                "compute",
                "--data",
                str(stockholm_data),
                "--year",
                "2023",
                "--engine",
                engine,
                "--out",
                str(tmp_path / f"{engine}.csv"),
            ],
        )
        assert r.exit_code == 0, r.output
    assert (tmp_path / "spark.csv").read_bytes() == (tmp_path / "duckdb.csv").read_bytes()
    assert spark.range(3).count() == 3  # the command used the running session and left it running


def test_without_pyspark_the_spark_engine_says_what_to_install(monkeypatch, stockholm_data, tmp_path):
    monkeypatch.setitem(sys.modules, "pyspark", None)  # import pyspark now fails, as when it is not installed
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    r = CliRunner().invoke(
        app,
        [
            "indicators",
            "compute",
            "--data",
            str(stockholm_data),
            "--year",
            "2023",
            "--engine",
            "spark",
            "--out",
            str(tmp_path / "x.csv"),
        ],
    )
    assert r.exit_code == 2
    assert "the Apache Spark engine needs PySpark: pip install 'pestrack[spark]'" in " ".join(r.output.split())
    assert not (tmp_path / "x.csv").exists()


def test_without_java_the_spark_engine_says_so(monkeypatch, stockholm_data):
    pytest.importorskip("pyspark", reason="PySpark is not installed (the 'spark' extra)")
    from pestrack.indicators import engines

    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setattr(engines.shutil, "which", lambda name: None)
    monkeypatch.setattr(engines, "_active_spark", lambda: None)
    with pytest.raises(engines.EngineUnavailable, match="needs Java 17 or 21"):
        SparkEngine(stockholm_data)


@pytest.fixture(scope="module")
def synthetic_population(tmp_path_factory):
    """The calibrated scale-1 synthetic population (seed 1, 2022-2023) as analytics tables."""
    from pestrack.cli.synth import synthesize_parquet

    out = tmp_path_factory.mktemp("synthetic")
    synthesize_parquet("stockholm", [2022, 2023], 1, 1, out)
    return out


@pytest.mark.slow
@pytest.mark.postgres
def test_three_engines_give_identical_results_on_the_synthetic_population(
    synthetic_population, spark, own_postgres_database
):
    """Every indicator with all its breakdowns, scale 1: DuckDB = PostgreSQL = Spark, row for row."""
    from pestrack.indicators.engines import PostgresEngine

    url, _ = own_postgres_database
    with (
        DuckDBEngine(synthetic_population) as duck,
        PostgresEngine(synthetic_population, url) as pg,
        SparkEngine(synthetic_population, session=spark) as sp,
    ):
        for code in ("VB", "T1"):
            reference = _compute(duck, code)
            breakdowns = {r.breakdown for r in reference}
            assert {"total", "sex", "target_group", "org_unit"} <= breakdowns and len(reference) > 150
            assert_same_results(reference, _compute(pg, code))
            assert_same_results(reference, _compute(sp, code))
