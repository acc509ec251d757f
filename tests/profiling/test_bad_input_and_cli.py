"""Bad input fails with a clear message, naming what is wrong; the commands as a user runs them."""

from __future__ import annotations

import json

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from pestrack.cli import app
from pestrack.profiling import data as profiling_data
from pestrack.profiling import settings as profiling_settings
from pestrack.profiling.settings import ProfilingError
from pestrack.profiling.train import train
from pestrack.synth import profiling as synth

runner = CliRunner()


def _run(*args):
    return runner.invoke(app, ["profiling", *map(str, args)])


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A logistic model on 12,000 synthetic enrolments, trained with the command."""
    root = tmp_path_factory.mktemp("cli")
    synth.write(root / "data", 12_000, seed=4)
    res = _run(
        "train", "--data", root / "data", "--model", "logistic", "--out", root / "model", "--profile", "stockholm"
    )
    assert res.exit_code == 0, res.output
    assert "validated on" in res.output
    return root


def test_audit_json_has_the_keys_of_the_issue(trained):
    res = _run("audit", "--model", trained / "model", "--data", trained / "data", "--format", "json")
    assert res.exit_code == 0, res.output
    result = json.loads(res.output)
    for key in ("auc", "auc_oracle", "brier", "groups"):
        assert result[key] is not None
    for g in result["groups"]:
        assert {"calibration", "tpr", "fpr", "selection_rate", "n"} <= set(g)
        assert g["tpr_ci"][0] <= g["tpr"] <= g["tpr_ci"][1]
    assert {g["attribute"] for g in result["groups"]} >= {"sex", "born_abroad", "age_band_at_start", "target_group"}
    assert (trained / "model" / "audit.json").exists()  # kept for the model card in the web application


def test_model_card_as_html_and_pdf(trained):
    html, pdf = trained / "card.html", trained / "card.pdf"
    res = _run("audit", "--model", trained / "model", "--data", trained / "data", "--format", "html", "--out", html)
    assert res.exit_code == 0, res.output
    page = html.read_text()
    assert "<img alt='ROC and precision-recall curves' src='data:image/png;base64," in page
    for heading in (
        "Purpose",
        "Inputs and why",
        "Training data and period",
        "Performance",
        "Fairness by group",
        "Known limits",
        "Approval and review",
    ):
        assert f"<h2>{heading}</h2>" in page
    assert "Education is the strongest known factor" in page  # the declared reason
    assert "http" not in page.replace("http-equiv", "")  # self-contained
    res = _run("audit", "--model", trained / "model", "--data", trained / "data", "--format", "pdf", "--out", pdf)
    assert res.exit_code == 0, res.output
    assert pdf.read_bytes().startswith(b"%PDF")


def test_policy_with_three_cutoffs(trained):
    res = _run("policy", "--model", trained / "model", "--data", trained / "data", "--cutoffs", "0.3", "0.5", "0.7")
    assert res.exit_code == 0, res.output
    rules = json.loads(res.output)["rules"]
    assert [r["cutoff"] for r in rules] == [0.3, 0.5, 0.7]
    assert all(r["groups"] for r in rules)
    res = _run("policy", "--model", trained / "model", "--data", trained / "data", "--cutoffs", "0.3", "1.5")
    assert res.exit_code == 1 and "cut-off 1.5 is not between 0 and 1" in res.output


def _copy(src, dst, *, profile=None, schema=None, drop=None, table_filter=None):
    dst.mkdir()
    table = pq.read_table(src / "enrolments.parquet")
    if drop:
        table = table.drop_columns([drop])
    if table_filter is not None:
        table = table_filter(table)
    pq.write_table(table, dst / "enrolments.parquet")
    manifest = json.loads((src / "manifest.json").read_text())
    if profile:
        manifest["profile"] = profile
    if schema:
        manifest["schema_version"] = schema
    (dst / "manifest.json").write_text(json.dumps(manifest))


def test_a_model_is_refused_on_another_profile_or_schema_version(trained, tmp_path):
    _copy(trained / "data", tmp_path / "other", profile="goteborg")
    res = _run("audit", "--model", trained / "model", "--data", tmp_path / "other")
    assert res.exit_code == 1
    assert "profile 'goteborg'" in res.output and "trained on profile 'stockholm'" in res.output
    _copy(trained / "data", tmp_path / "v2", schema=2)
    res = _run("policy", "--model", trained / "model", "--data", tmp_path / "v2", "--cutoffs", "0.5")
    assert res.exit_code == 1 and "schema version 2" in res.output


def test_a_code_the_model_never_saw_is_refused(trained, tmp_path):
    def rename(t):
        return t.set_column(
            t.schema.get_field_index("target_group"),
            "target_group",
            pc.replace_substring(t.column("target_group"), "kaa", "ung_18"),
        )

    _copy(trained / "data", tmp_path / "codes", table_filter=rename)
    res = _run("audit", "--model", trained / "model", "--data", tmp_path / "codes")
    assert res.exit_code == 1
    assert "input 'target_group': value 'ung_18' was never seen in training" in res.output


def test_a_declared_input_missing_from_the_data(trained, tmp_path):
    _copy(trained / "data", tmp_path / "noedu", drop="education_level")
    res = _run("train", "--data", tmp_path / "noedu", "--out", tmp_path / "m", "--profile", "stockholm")
    assert res.exit_code == 1
    assert "the declared input 'education_level' is not a column" in res.output
    assert not (tmp_path / "m" / "model.json").exists()


def test_training_data_without_a_known_target(trained, tmp_path, stockholm):
    recent = lambda t: t.filter(pc.greater_equal(pc.year(t.column("start_date")), 2024))  # noqa: E731
    _copy(trained / "data", tmp_path / "recent", table_filter=recent)
    with pytest.raises(ProfilingError, match="no enrolment has a known target"):
        train(profiling_data.load(tmp_path / "recent", stockholm), stockholm)


def test_too_few_outcomes_in_a_group_to_audit(tmp_path, stockholm):
    synth.write(tmp_path / "tiny", 1500, seed=5)
    with pytest.raises(ProfilingError, match="too few outcomes by age_band_at_start to audit the model"):
        train(profiling_data.load(tmp_path / "tiny", stockholm), stockholm)


def test_settings_rules(tmp_path):
    s = profiling_settings.read("stockholm")
    assert s.enabled is False  # off unless the profile turns it on
    assert all(i.reason["sv"] and i.reason["en"] for i in s.inputs)
    assert not set(s.columns) & set(s.protected)
    for bad, message in (
        ("sex", "protected characteristic"),
        ("exit_reason", "not known at enrolment"),
        ("shoe_size", "not a column known at enrolment"),
    ):
        s = profiling_settings.read("stockholm")
        s.inputs.append(profiling_settings.Input(bad, {"sv": bad, "en": bad}, {"sv": "x", "en": "x"}))
        with pytest.raises(ProfilingError, match=message):
            s.check()
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "profile.yaml").write_text("id: test\n")
    (folder / "profiling.yaml").write_text("enabled: true\ninputs:\n  - {column: education_level, sv: U, en: E}\n")
    with pytest.raises(ProfilingError, match=r"profiling.yaml:3: input 'education_level' has no reason"):
        profiling_settings.read(str(folder))


def test_the_generator_writes_the_profiles_codes_and_refuses_a_profile_without_them(tmp_path):
    import shutil
    from pathlib import Path

    from pestrack.records.codes.profile import ProfileError

    folder = tmp_path / "other"
    shutil.copytree(Path(__file__).resolve().parents[2] / "profiles" / "stockholm", folder)
    path = folder / "profiling_synth.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("programme: jobbtorg", "programme: other_programme"), encoding="utf-8"
    )
    enrolments, _truth, _as_of = synth.draw(200, seed=1, profile=folder)
    assert set(enrolments.column("programme").to_pylist()) == {"other_programme"}
    path.write_text(path.read_text(encoding="utf-8").replace("units: [", "unit_list: ["), encoding="utf-8")
    with pytest.raises(ProfileError, match=f"^{path}: missing units$"):
        synth.draw(200, seed=1, profile=folder)
    path.unlink()
    with pytest.raises(ProfileError, match="the profile has no world for the profiling generator"):
        synth.write(tmp_path / "out", 200, seed=1, profile=folder)
    assert not (tmp_path / "out" / "enrolments.parquet").exists()
