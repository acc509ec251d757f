"""The model against reference computations, the true risk, and the fairness audit's flags."""

from __future__ import annotations

import numpy as np
import pytest

from pestrack.profiling import audit as auditing
from pestrack.profiling import data as profiling_data
from pestrack.profiling import model as profiling_model
from pestrack.profiling.train import train
from pestrack.synth import profiling as synth


def test_the_true_risk_is_the_documented_function_of_the_inputs(datasets, with_district):
    data = profiling_data.load(datasets[("proxy", 1)], with_district)
    t = data.table
    col = lambda c: np.asarray(t.column(c).to_pylist())  # noqa: E731
    education = np.where(col("education_level") == None, "unknown", col("education_level"))  # noqa: E711
    assert (col("education_level") == None).any()  # noqa: E711 - some not recorded at all
    logit = synth.true_logit(
        col("previous_enrolments"),
        education,
        col("target_group"),
        col("age_band_at_start"),
        col("has_decision"),
        col("entry_route") == "self_referral",
        col("referring_unit"),
        col("time_since_last_work"),
        col("wai_band_at_start"),
    )
    assert np.allclose(1 / (1 + np.exp(-logit)), col("true_risk"))
    # the target follows the risk: the observed share rises with it
    labelled = data.labelled()
    risk = np.asarray(labelled.column("true_risk").to_pylist())
    y = np.asarray(labelled.column("target").to_pylist())
    assert y[risk > 0.7].mean() > y[risk < 0.4].mean() + 0.3


def test_logistic_coefficients_and_auc_match_statsmodels_and_scikit_learn(datasets, stockholm):
    import statsmodels.api as sm
    from sklearn.metrics import roc_auc_score

    data = profiling_data.load(datasets[("clean", 1)], stockholm)
    model = train(data, stockholm, "logistic", compare=False)
    labelled = data.labelled()
    cohort = np.asarray(labelled.column("cohort").to_pylist())
    rows = labelled.filter(cohort < cohort.max())
    X = model.design(model.codes(rows))
    lg = model.meta["logistic"]
    keep = [f not in lg["aliased"] for f in lg["features"]]
    y = np.asarray(rows.column("target").to_pylist())
    ref = sm.Logit(y, sm.add_constant(X[:, keep])).fit(disp=0, tol=1e-12, maxiter=200)
    ours = np.r_[lg["intercept"], np.asarray(lg["coef"])[keep]]
    assert np.allclose(ours, ref.params, atol=2e-4)
    assert np.allclose(np.r_[lg["intercept_se"], np.asarray(lg["se"])[keep]], ref.bse, rtol=1e-3)
    # AUC and Brier of the validation cohort, recomputed with scikit-learn on the latest cohort
    test = labelled.filter(cohort == cohort.max())
    yt = np.asarray(test.column("target").to_pylist()).astype(bool)
    p = model.predict(test)
    assert model.meta["validation"]["auc"] == pytest.approx(roc_auc_score(yt, p), abs=1e-12)
    assert model.meta["validation"]["brier"] == pytest.approx(np.mean((p - yt) ** 2))
    assert model.meta["validation"]["auc_oracle"] == pytest.approx(
        roc_auc_score(yt, np.asarray(test.column("true_risk").to_pylist()))
    )
    # the model comes close to the best possible: the data follow a logistic true risk
    assert model.meta["validation"]["auc"] > model.meta["validation"]["auc_oracle"] - 0.02


def test_boosting_auc_is_scikit_learns_and_the_model_round_trips(datasets, stockholm, tmp_path):
    from sklearn.metrics import roc_auc_score

    data = profiling_data.load(datasets[("clean", 1)], stockholm)
    model = train(data, stockholm, "boosting", compare=False)
    model.save(tmp_path)
    again = profiling_model.load(tmp_path)
    audit = auditing.audit(again, data, stockholm)
    rows, in_sample = auditing.rows_judged(again, data)
    assert not in_sample
    y = np.asarray(rows.column("target").to_pylist()).astype(bool)
    p = model.booster.predict_proba(again.ordinal(again.codes(rows)))[:, 1]
    assert audit["auc"] == pytest.approx(roc_auc_score(y, p))
    (tmp_path / "boosting.pkl").write_bytes(b"changed")
    with pytest.raises(profiling_model.ProfilingError, match="checksum"):
        profiling_model.load(tmp_path)


@pytest.mark.parametrize("seed", [1, 2])
def test_a_proxy_for_birth_country_is_flagged_and_clean_data_are_not(datasets, with_district, seed):
    for kind in ("clean", "proxy"):
        data = profiling_data.load(datasets[(kind, seed)], with_district)
        model = train(data, with_district, "logistic", compare=False)
        result = auditing.audit(model, data, with_district)
        flags = {(f["attribute"], f["what"]) for f in result["flags"]}
        # time in Sweden (a declared input) is associated with birth country in all data: named as a proxy
        assert ("time_in_sweden", "proxy") in flags
        if kind == "clean":
            assert flags == {("time_in_sweden", "proxy")}, result["flags"]
        else:
            assert ("born_abroad", "selection_ratio") in flags
            assert ("referring_unit", "proxy") in flags
            abroad = next(g for g in result["groups"] if g["attribute"] == "born_abroad" and g["group"] == "yes")
            assert abroad["selection_ratio"] > 1.25


def test_without_the_proxy_as_input_the_audit_flags_the_groups_calibration(datasets, stockholm):
    # nothing associated with birth country as input (time in Sweden is, and takes up part of the
    # district's effect): the model cannot see the district's effect and under-estimates the group
    stockholm.inputs = [i for i in stockholm.inputs if i.column != "time_in_sweden"]
    data = profiling_data.load(datasets[("proxy", 1)], stockholm)
    result = auditing.audit(train(data, stockholm, "logistic", compare=False), data, stockholm)
    assert ("born_abroad", "calibration") in {(f["attribute"], f["what"]) for f in result["flags"]}
    abroad = next(g for g in result["groups"] if g["attribute"] == "born_abroad" and g["group"] == "yes")
    assert abroad["calibration"]["observed"] > abroad["calibration"]["predicted"] + 0.05


def test_small_groups_are_named_and_get_no_rates(datasets, stockholm):
    data = profiling_data.load(datasets[("clean", 1)], stockholm)
    model = train(data, stockholm, "logistic", compare=False)
    stockholm.min_group_size = 1500
    result = auditing.audit(model, data, stockholm)
    small = {(s["attribute"], s["group"]) for s in result["too_small"]}
    assert ("target_group", "ovriga") in small
    judged = {(g["attribute"], g["group"]) for g in result["groups"]}
    assert not small & judged
    assert ("sex", "woman") in judged


def test_policy_counts_selections_per_cutoff_and_top_k_per_unit_and_month(datasets, stockholm):
    data = profiling_data.load(datasets[("clean", 1)], stockholm)
    model = train(data, stockholm, "logistic", compare=False)
    result = auditing.policy(model, data, stockholm, [0.3, 0.5, 0.7], [5])
    rules = result["rules"]
    assert [r["rule"] for r in rules] == ["cutoff 0.3", "cutoff 0.5", "cutoff 0.7", "top 5 per unit and month"]
    selected = [r["selected"] for r in rules[:3]]
    assert selected[0] > selected[1] > selected[2]
    assert rules[0]["tpr"] >= rules[1]["tpr"] >= rules[2]["tpr"]
    rows, _ = auditing.rows_judged(model, data)
    units = auditing.group_values(rows, "org_unit")
    months = np.asarray([d.strftime("%Y-%m") for d in rows.column("start_date").to_pylist()])
    cells = {(u, m): min(5, n) for (u, m), n in zip(*np.unique(np.c_[units, months], axis=0, return_counts=True))}
    assert rules[3]["selected"] == sum(cells.values())


def test_the_roc_and_precision_recall_curves_agree_with_their_areas(datasets, stockholm):
    data = profiling_data.load(datasets[("clean", 1)], stockholm)
    result = auditing.audit(train(data, stockholm, "logistic", compare=False), data, stockholm)
    for key, auc in (("curves", result["auc"]), ("curves_oracle", result["auc_oracle"])):
        roc, pr = result[key]["roc"], result[key]["pr"]
        assert (roc["fpr"][0], roc["tpr"][0], roc["fpr"][-1], roc["tpr"][-1]) == (0, 0, 1, 1)
        assert len(roc["fpr"]) <= 101 and np.all(np.diff(roc["fpr"]) >= 0)
        assert np.trapezoid(roc["tpr"], roc["fpr"]) == pytest.approx(auc, abs=0.01)
        # all selected: recall 1 and precision the share with the outcome
        assert pr["recall"][-1] == 1 and pr["precision"][-1] == pytest.approx(result["prevalence"], abs=1e-9)
