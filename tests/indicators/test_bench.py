"""bench/indicators.py keeps working: a run at tiny size, and its pandas baseline is a second,
independent computation of the same definitions (it must meet the engine)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pestrack.indicators.compute import compute
from pestrack.indicators.definitions import load_definitions
from pestrack.indicators.engines import DuckDBEngine
from pestrack.indicators.periods import period

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))
pd = pytest.importorskip("pandas", reason="pandas is not installed (the 'bench' extra)")
import indicators as bench  # noqa: E402  (bench/indicators.py)
import pandas_baseline  # noqa: E402


@pytest.mark.parametrize("code", ["VB", "T1", "Q3"])
def test_the_pandas_baseline_meets_duckdb(stockholm_data, code):
    indicators, p = load_definitions("stockholm"), period(2023, code)
    tables = pandas_baseline.read_tables(stockholm_data, {i.population for i in indicators if i.population})
    mine = pandas_baseline.compute(indicators, tables, p)
    with DuckDBEngine(stockholm_data) as duck:
        theirs = [
            (r.indicator_id, r.breakdown, r.breakdown_value, r.numerator, r.denominator, r.value)
            for r in compute([i for i in indicators if not i.is_reported], duck, p)
        ]
    assert len(mine) > 50 and {r[0] for r in mine} == {r[0] for r in theirs}
    assert bench.differences(mine, theirs) == []


def test_differences_names_the_rows_that_differ():
    """Even a difference in the last digits counts: the engines' sums are exact (docs/indicators.md)."""
    close = 75.0 * (1 + 1e-12)
    a = [
        ("x", "total", None, 3.0, 4.0, 75.0),
        ("x", "sex", "man", 1.0, 1.0, 100.0),
        ("x", "sex", "other", 0.0, 1.0, 0.0),
    ]
    b = [
        ("x", "total", None, 3.0, 4.0, close),
        ("x", "sex", "man", 1.0, 2.0, 50.0),
        ("x", "sex", "other", 0.0, 1.0, 0.0),
        ("x", "sex", "woman", 2.0, 2.0, 100.0),
    ]
    assert bench.differences(a, b) == [
        "('x', 'sex', 'woman'): only in one",
        "('x', 'sex', 'man'): (1.0, 1.0, 100.0) vs (1.0, 2.0, 50.0)",
        f"('x', 'total', None): (3.0, 4.0, 75.0) vs (3.0, 4.0, {close})",
    ]


def test_the_benchmark_runs_at_tiny_size(stockholm_data):
    r = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "indicators.py"),
            "--data",
            str(stockholm_data),
            "--engines",
            "duckdb",
            "pandas",
            "--repeat",
            "2",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    lines = {line.split()[1]: line for line in r.stdout.splitlines() if line.startswith(" data ")}
    assert set(lines) == {"pandas", "duckdb"}
    assert all(line.endswith("rows)") and " yes (" in line for line in lines.values()), r.stdout
    assert "scale data: DuckDB" in r.stdout
