"""pestrack evaluate on files and on the analytics tables; the JSON keys and the self-contained HTML."""

from __future__ import annotations

import json

import numpy as np
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from pestrack.cli import app
from pestrack.evaluation.analytics import measure_table
from pestrack.evaluation.simulate import simulate
from tests.indicators.conftest import write_table

runner = CliRunner()


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    folder = tmp_path_factory.mktemp("eval")
    table, truth = simulate(n=3000, effect=1.0, hidden_level=1.0, seed=21)
    pq.write_table(table, folder / "sim.parquet")
    pcsv.write_csv(table, folder / "sim.csv")
    return folder, truth


def _run(*args):
    return runner.invoke(app, ["evaluate", *map(str, args)])


def test_json_output_has_the_required_keys_and_recovers_the_effect(sim, tmp_path):
    folder, truth = sim
    out = tmp_path / "r.json"
    res = _run(
        "--data",
        folder / "sim.parquet",
        "--treatment",
        "treated",
        "--outcome",
        "outcome",
        "--covariates",
        "x1,x2,x3",
        "--exact",
        "group",
        "--method",
        "did-psm",
        "--pre-outcome",
        "pre_outcome",
        "--k",
        "2",
        "--format",
        "json",
        "--out",
        out,
    )
    assert res.exit_code == 0, res.output
    doc = json.loads(out.read_text())
    for key in (
        "method",
        "att",
        "ci_low",
        "ci_high",
        "n_treated",
        "n_control",
        "naive_difference",
        "balance",
        "summary",
        "warnings",
        "assumptions",
        "ci_method",
    ):
        assert key in doc
    assert doc["method"] == "did-psm" and doc["settings"]["exact"] == ["group"]
    assert doc["ci_low"] <= truth["att"] <= doc["ci_high"]
    assert {row["covariate"] for row in doc["balance"]} == {"x1", "x2", "x3"}
    assert "written:" in res.output


@pytest.mark.parametrize("method", ["psm", "ipw", "dr", "did"])
def test_every_method_runs_from_a_csv_to_stdout(sim, method):
    folder, _ = sim
    res = _run(
        "--data",
        folder / "sim.csv",
        "--treatment",
        "treated",
        "--outcome",
        "outcome",
        "--covariates",
        "x1,x2,x3,group",
        "--method",
        method,
        "--pre-outcome",
        "pre_outcome",
        "--replicates",
        "50",
    )
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert doc["method"] == method and doc["ci_low"] < doc["att"] < doc["ci_high"]
    assert (doc["ate"] is not None) == (method in ("ipw", "dr"))


def test_html_is_self_contained_with_both_plots(sim, tmp_path):
    folder, _ = sim
    out = tmp_path / "r.html"
    res = _run(
        "--data",
        folder / "sim.parquet",
        "--treatment",
        "treated",
        "--outcome",
        "outcome",
        "--covariates",
        "x1,x2,x3,group",
        "--caliper",
        "0.2",
        "--propensity",
        "flexible",
        "--format",
        "html",
        "--out",
        out,
    )
    assert res.exit_code == 0, res.output
    page = out.read_text()
    assert page.count("src='data:image/png;base64,") == 2
    assert "http://" not in page and "https://" not in page and "<script" not in page
    assert "Covariate balance" in page and "What this assumes" in page and "No unobserved confounding" in page


def test_bad_input_exits_with_the_message_and_writes_nothing(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("t,y,x\n1,1,3\n0,0,4\nperhaps,1,5\n")
    out = tmp_path / "r.json"
    res = _run("--data", path, "--treatment", "t", "--outcome", "y", "--covariates", "x", "--out", out)
    assert res.exit_code == 2
    assert "row 3 (line 4), treatment column 't': 'perhaps'" in res.output.replace("\n", " ")
    assert not out.exists() and not list(tmp_path.glob(".r.json*"))
    assert _run("--outcome", "y").exit_code == 2  # neither --data nor --measure


# ---------------------------------------------------------------- on the analytics tables


@pytest.fixture
def tables(tmp_path):
    """Six ended enrolments; 1, 2 and 3 took part in praktik, 4 had another measure; follow-ups at 6 months."""
    data = tmp_path / "a"
    sexes = ["woman", "man", "woman", "man", "woman", "man"]
    write_table(
        data,
        "enrolments",
        [
            {
                "enrolment_id": i + 1,
                "sex": s,
                "age_at_start": 30 + i,
                "target_group": "ovriga",
                "education_level": "primary",
                "born_abroad": i % 2 == 0,
            }
            for i, s in enumerate(sexes)
        ],
    )
    write_table(
        data,
        "participations",
        [
            {"participation_id": 1, "enrolment_id": 1, "measure": "praktik"},
            {"participation_id": 2, "enrolment_id": 2, "measure": "praktik"},
            {"participation_id": 3, "enrolment_id": 2, "measure": "praktik"},
            {"participation_id": 4, "enrolment_id": 3, "measure": "praktik"},
            {"participation_id": 5, "enrolment_id": 4, "measure": "cv_workshop"},
        ],
    )
    write_table(
        data,
        "followups",
        [
            {"enrolment_id": 1, "months": 6, "working": True, "studying": False},
            {"enrolment_id": 2, "months": 6, "working": False, "studying": True},
            {"enrolment_id": 3, "months": 6, "working": False, "studying": False},
            {"enrolment_id": 4, "months": 6, "working": None, "studying": None},
            {"enrolment_id": 5, "months": 6, "working": True, "studying": None},
            {"enrolment_id": 6, "months": 6, "working": False, "studying": False},
            {"enrolment_id": 6, "months": 12, "working": True, "studying": False},
        ],
    )
    return data


def test_measure_table_marks_participants_and_builds_the_outcome(tables):
    t = measure_table(tables, "praktik", "work_or_studies_6m").to_pydict()
    assert t["enrolment_id"] == [1, 2, 3, 4, 5, 6]  # one row per enrolment, whatever its participations
    assert t["treated"] == [True, True, True, False, False, False]
    assert t["work_or_studies_6m"] == [True, True, False, None, True, False]  # unknown stays unknown
    assert measure_table(tables, "praktik", "working_12m").to_pydict()["enrolment_id"] == [6]


def test_measure_and_outcome_errors_list_what_exists(tables):
    from pestrack.evaluation.data import EvaluationError

    with pytest.raises(EvaluationError, match="measure 'nope'.*the measures are cv_workshop, praktik"):
        measure_table(tables, "nope", "work_or_studies_6m")
    with pytest.raises(EvaluationError, match="unknown outcome 'jobs'"):
        measure_table(tables, "praktik", "jobs")
    with pytest.raises(EvaluationError, match="'shoe_size' is not a column of the enrolments table"):
        measure_table(tables, "praktik", "work_or_studies_6m", ["shoe_size"])


def test_evaluate_by_measure_name_on_synthetic_tables(tmp_path):
    """A bigger folder: enrolments with a known praktik effect of +15 points on work or studies at 6 months."""
    rng = np.random.default_rng(5)
    n = 3000
    age = rng.integers(20, 60, n)
    woman = rng.random(n) < 0.5
    treated = rng.random(n) < 1 / (1 + np.exp(-(-1 + 0.1 * (age - 40))))
    p = 0.3 + 0.012 * (age - 40) + 0.15 * treated
    working = rng.random(n) < p
    data = tmp_path / "a"
    write_table(
        data,
        "enrolments",
        [
            {
                "enrolment_id": i + 1,
                "sex": "woman" if woman[i] else "man",
                "age_at_start": int(age[i]),
                "target_group": "ovriga",
                "education_level": "primary",
                "born_abroad": False,
            }
            for i in range(n)
        ],
    )
    write_table(
        data,
        "participations",
        [{"participation_id": i + 1, "enrolment_id": i + 1, "measure": "praktik"} for i in np.flatnonzero(treated)],
    )
    write_table(
        data,
        "followups",
        [{"enrolment_id": i + 1, "months": 6, "working": bool(working[i]), "studying": False} for i in range(n)],
    )
    res = _run(
        "--measure",
        "praktik",
        "--analytics",
        data,
        "--outcome",
        "work_or_studies_6m",
        "--covariates",
        "sex,age_at_start",
        "--method",
        "dr",
    )
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert doc["treatment"] == "participation in praktik"
    assert doc["n_treated_total"] == int(treated.sum())
    assert doc["ci_low"] <= 0.15 <= doc["ci_high"]
    assert not doc["ci_low"] <= doc["naive_difference"] <= doc["ci_high"]
