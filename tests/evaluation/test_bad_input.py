"""Bad input gets a clear error naming the file, row and column, or a documented handling; never a silent number."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from pestrack.evaluation.data import EvaluationError, load, prepare
from pestrack.evaluation.estimators import evaluate


def _csv(tmp_path, text):
    path = tmp_path / "data.csv"
    path.write_text(text)
    return path


def test_treatment_that_is_not_yes_no_names_file_row_and_column(tmp_path):
    path = _csv(tmp_path, "took_part,job,age\nyes,1,30\nno,0,40\nmaybe,1,50\n")
    with pytest.raises(EvaluationError, match=r"data\.csv: row 3 \(line 4\), treatment column 'took_part': 'maybe'"):
        load(path, treatment="took_part", outcome="job", covariates=["age"])


def test_numeric_treatment_other_than_0_1_is_refused():
    table = pa.table({"t": [0, 1, 2], "y": [1.0, 2.0, 3.0], "x": [1.0, 2.0, 3.0]})
    with pytest.raises(EvaluationError, match="row 3.*2 is not yes/no"):
        prepare(table, treatment="t", outcome="y", covariates=["x"])


def test_no_treated_units_and_no_comparison_units(tmp_path):
    table = pa.table({"t": [False, False], "y": [1.0, 2.0], "x": [1.0, 2.0]})
    with pytest.raises(EvaluationError, match="no treated units"):
        prepare(table, treatment="t", outcome="y", covariates=["x"])
    table = pa.table({"t": [True, True], "y": [1.0, 2.0], "x": [1.0, 2.0]})
    with pytest.raises(EvaluationError, match="no comparison units"):
        prepare(table, treatment="t", outcome="y", covariates=["x"])


def test_missing_values_are_an_error_unless_dropped_and_then_counted(tmp_path):
    path = _csv(tmp_path, "t,y,age\n1,1,30\n0,0,\n1,0,50\n0,1,45\n1,1,33\n0,0,41\n")
    with pytest.raises(
        EvaluationError, match=r"row 2 \(line 3\), column 'age': missing value; missing values in age \(1\)"
    ):
        load(path, treatment="t", outcome="y", covariates=["age"])
    ds = load(path, treatment="t", outcome="y", covariates=["age"], missing="drop")
    assert ds.n == 5 and ds.n_dropped_missing == 1
    assert "1 rows with missing values were dropped" in ds.notes


def test_perfect_separation_is_an_error():
    x = np.arange(100, dtype=float)
    table = pa.table({"t": x >= 50, "y": np.ones(100), "x": x})
    ds = prepare(table, treatment="t", outcome="y", covariates=["x"])
    with pytest.raises(EvaluationError, match="perfect separation"):
        evaluate(ds, method="psm")


def test_unknown_column_lists_the_columns(tmp_path):
    path = _csv(tmp_path, "t,y,age\n1,1,30\n0,0,40\n")
    with pytest.raises(EvaluationError, match="no covariate column 'sex'; the columns are t, y, age"):
        load(path, treatment="t", outcome="y", covariates=["age", "sex"])


def test_text_outcome_is_refused():
    table = pa.table({"t": [True, False], "y": ["good", "bad"], "x": [1.0, 2.0]})
    with pytest.raises(EvaluationError, match="outcome column 'y' has type string"):
        prepare(table, treatment="t", outcome="y", covariates=["x"])


def test_an_id_like_covariate_is_refused():
    table = pa.table({"t": [i % 2 == 0 for i in range(300)], "y": [1.0] * 300, "id": [f"p{i}" for i in range(300)]})
    with pytest.raises(EvaluationError, match="'id' has 300 distinct values"):
        prepare(table, treatment="t", outcome="y", covariates=["id"])


def test_unknown_file_type_and_unknown_method(tmp_path):
    path = tmp_path / "data.xlsx"
    path.write_text("x")
    with pytest.raises(EvaluationError, match="unknown file type"):
        load(path, treatment="t", outcome="y", covariates=["x"])
    table = pa.table({"t": [True, False] * 20, "y": [1.0, 0.0] * 20, "x": np.random.default_rng(0).normal(size=40)})
    ds = prepare(table, treatment="t", outcome="y", covariates=["x"])
    with pytest.raises(EvaluationError, match="method must be one of"):
        evaluate(ds, method="magic")
    with pytest.raises(EvaluationError, match="no analytic variance"):
        evaluate(ds, method="psm", ci="analytic")


def test_yes_no_text_columns_are_read_as_yes_no():
    table = pa.table(
        {"t": ["ja", "nej", "Yes", "no"], "y": ["true", "false", "true", "true"], "x": [1.0, 2.0, 3.0, 5.0]}
    )
    ds = prepare(table, treatment="t", outcome="y", covariates=["x"])
    assert ds.treated.tolist() == [True, False, True, False]
    assert ds.outcome.tolist() == [1.0, 0.0, 1.0, 1.0] and ds.outcome_binary


def test_no_rows_at_all_says_so_instead_of_failing_in_numpy():
    """Found by the CLI smoke run of `lmi compare` on data with no exit to compare: numpy's
    'zero-size array to reduction operation' reached the user."""
    table = pa.table({"t": pa.array([], pa.bool_()), "y": pa.array([], pa.float64()), "x": pa.array([], pa.float64())})
    with pytest.raises(EvaluationError, match="exits: no rows to compare"):
        prepare(table, treatment="t", outcome="y", covariates=["x"], source="exits")
    dropped = pa.table({"t": [True, None], "y": [1.0, 2.0], "x": [None, 2.0]})
    with pytest.raises(EvaluationError, match=r"no rows to compare \(2 dropped for missing values\)"):
        prepare(dropped, treatment="t", outcome="y", covariates=["x"], missing="drop")
