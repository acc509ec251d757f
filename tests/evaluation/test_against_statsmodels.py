"""The same data through statsmodels, an established implementation, gives the same estimates."""

from __future__ import annotations

import numpy as np
import pytest

from pestrack.evaluation import propensity
from pestrack.evaluation.data import prepare
from pestrack.evaluation.estimators import evaluate
from pestrack.evaluation.simulate import simulate

sm = pytest.importorskip("statsmodels.api")
treatment_effects = pytest.importorskip("statsmodels.treatment.treatment_effects")


@pytest.fixture(scope="module")
def data():
    table, _ = simulate(n=4000, heterogeneity=0.5, confounding=1.0, seed=3)
    ds = prepare(
        table, treatment="treated", outcome="outcome", covariates=["x1", "x2", "x3", "group"], pre_outcome="pre_outcome"
    )
    X = sm.add_constant(ds.X)
    t = ds.treated.astype(int)
    logit = sm.Logit(t, X).fit(disp=0)
    te = treatment_effects.TreatmentEffect(sm.OLS(ds.outcome, X), t, results_select=logit)
    return ds, X, t, logit, te


def test_propensity_score_equals_statsmodels_logit(data):
    ds, X, t, logit, _ = data
    ours = propensity.fit(ds.X, ds.treated)
    np.testing.assert_allclose(ours.score, logit.predict(X), rtol=1e-7, atol=1e-9)


def test_ipw_att_and_ate_equal_statsmodels(data):
    ds, *_, te = data
    ours = evaluate(ds, method="ipw", trim="none")
    ate = te.ipw(return_results=False)[0]
    att = te.ipw(return_results=False, effect_group=1)[0]
    assert ours.ate == pytest.approx(ate, abs=1e-6)
    assert ours.att == pytest.approx(att, abs=1e-6)


def test_aipw_ate_and_its_standard_error_equal_statsmodels(data):
    ds, *_, te = data
    ours = evaluate(ds, method="dr", trim="none")
    theirs = te.aipw()
    assert ours.ate == pytest.approx(theirs.summary_frame()["coef"].iloc[0], abs=1e-6)
    # statsmodels' GMM standard error also accounts for the estimated propensity model: close, not equal
    assert ours.ate_se == pytest.approx(theirs.summary_frame()["std err"].iloc[0], rel=0.05)


def test_did_equals_ols_on_the_change_with_hc2_errors(data):
    ds, *_ = data
    ours = evaluate(ds, method="did")
    change = ds.outcome - ds.pre_outcome
    ols = sm.OLS(change, sm.add_constant(ds.treated.astype(float))).fit(cov_type="HC2")
    assert ours.att == pytest.approx(ols.params[1], abs=1e-9)
    assert ours.se == pytest.approx(ols.bse[1], rel=1e-3)  # Welch's variance is HC2 for one dummy
