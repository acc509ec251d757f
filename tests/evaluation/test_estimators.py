"""The estimators recover known effects on simulated data where the naive difference is badly wrong."""

from __future__ import annotations

import numpy as np
import pytest

from pestrack.evaluation import matching
from pestrack.evaluation.data import prepare
from pestrack.evaluation.estimators import evaluate
from pestrack.evaluation.simulate import simulate

COVS = ["x1", "x2", "x3", "group"]


def _data(**kw):
    table, truth = simulate(**kw)
    pre = "pre_outcome" if kw.get("hidden_level") else None
    return prepare(table, treatment="treated", outcome="outcome", covariates=COVS, pre_outcome=pre), truth


@pytest.fixture(scope="module")
def confounded():
    # heterogeneous effect: the treated have higher x1 and gain more, so ATT (≈1.29) differs from ATE (1.0)
    return _data(n=6000, effect=1.0, heterogeneity=0.5, confounding=1.5, seed=11)


def _covers(res, truth):
    return res.ci_low <= truth <= res.ci_high


@pytest.mark.parametrize(
    "method,options",
    [
        ("psm", {}),
        ("psm", {"k": 3}),
        ("psm", {"k": 2, "caliper": 0.2}),
        ("ipw", {}),
        ("dr", {}),
    ],
)
def test_each_estimator_recovers_the_att_where_the_naive_difference_does_not(confounded, method, options):
    ds, truth = confounded
    res = evaluate(ds, method=method, **options)
    assert _covers(res, truth["att"]), (res.att, res.ci_low, res.ci_high, truth)
    assert not res.ci_low <= res.naive_difference <= res.ci_high
    assert abs(res.naive_difference - truth["att"]) > 0.5  # the naive difference is badly wrong here
    assert res.n_treated > 1500 and res.n_control > 500


@pytest.mark.parametrize("method", ["ipw", "dr"])
def test_ate_is_recovered_and_differs_from_att(method):
    ds, truth = _data(n=8000, effect=1.0, heterogeneity=0.5, confounding=1.0, seed=14)
    res = evaluate(ds, method=method, trim="none")
    assert res.ate_ci_low <= truth["ate"] <= res.ate_ci_high, (res.ate, res.ate_ci_low, res.ate_ci_high, truth)
    assert not res.ate_ci_low <= truth["att"] <= res.ate_ci_high


def test_matching_without_replacement_with_a_caliper_recovers_the_effect():
    ds, truth = _data(n=8000, effect=1.0, confounding=0.8, seed=3)
    res = evaluate(ds, method="psm", replace=False, caliper=0.2)
    assert _covers(res, truth["att"])
    assert not res.ci_low <= res.naive_difference <= res.ci_high
    assert res.n_control == res.n_treated  # 1:1, every comparison unit once


def test_binary_outcome_effect_in_percentage_points():
    ds, truth = _data(n=8000, effect=0.8, binary=True, seed=5)
    for method in ("psm", "dr"):
        res = evaluate(ds, method=method)
        assert _covers(res, truth["att"]), (method, res.att, res.ci_low, res.ci_high, truth)
        assert not res.ci_low <= res.naive_difference <= res.ci_high
    assert res.outcome_binary and "percentage points" in res.summary


def test_difference_in_differences_removes_an_unobserved_fixed_level():
    ds, truth = _data(n=6000, effect=1.0, hidden_level=1.5, seed=2)
    psm = evaluate(ds, method="psm")
    assert not _covers(psm, truth["att"])  # matching on x cannot see the hidden level
    for method in ("did", "did-psm"):
        res = evaluate(ds, method=method)
        assert _covers(res, truth["att"]), (method, res.att, res.ci_low, res.ci_high)
    assert evaluate(ds, method="did").ci_method.startswith("Welch")


def test_did_needs_the_pre_outcome(confounded):
    ds, _ = confounded
    with pytest.raises(ValueError, match="pre-outcome"):
        evaluate(ds, method="did")


def test_balance_improves_after_matching_and_the_table_has_every_covariate(confounded):
    ds, _ = confounded
    res = evaluate(ds, method="psm", k=3)
    by_name = {row["covariate"]: row for row in res.balance}
    assert set(by_name) == {"x1", "x2", "x3", "group=b", "group=c"}
    assert by_name["x1"]["smd_before"] > 0.5
    assert all(abs(row["smd_after"]) < 0.1 for row in res.balance)
    assert not any("Balance is poor" in w for w in res.warnings)


def test_poor_balance_and_overlap_are_warned_about():
    ds, _ = _data(n=3000, effect=1.0, confounding=4.0, seed=4)
    res = evaluate(ds, method="psm", replace=False)  # 1:1 without replacement runs out of good matches
    assert any("Balance is poor" in w for w in res.warnings)
    assert "Read the warnings" in res.summary
    trimmed = evaluate(ds, method="ipw", trim=0.1)
    assert trimmed.n_treated_outside_support > 0.1 * trimmed.n_treated_total
    assert any("Poor overlap" in w for w in trimmed.warnings)


def test_fast_and_full_bootstrap_agree(confounded):
    ds, _ = confounded
    small = ds.subset(np.arange(2000))
    for method in ("psm", "ipw", "dr"):
        fast = evaluate(small, method=method, replicates=100, ci="bootstrap")
        full = evaluate(small, method=method, replicates=100, ci="bootstrap", bootstrap="full")
        assert fast.att == full.att
        assert 0.6 < fast.se / full.se < 1.6, (method, fast.se, full.se)
        if method == "dr":  # and both agree with the analytic (influence-function) standard error
            assert 0.7 < evaluate(small, method="dr").se / full.se < 1.4


def test_same_seed_same_interval(confounded):
    ds, _ = confounded
    a, b = evaluate(ds, method="psm", seed=7), evaluate(ds, method="psm", seed=7)
    assert (a.ci_low, a.ci_high) == (b.ci_low, b.ci_high)


# ---------------------------------------------------------------- matching itself


def _brute_greedy(keys, treated, k, bound):
    """Greedy matching without replacement by scanning every available comparison unit."""
    t_rows, c_rows = np.flatnonzero(treated), list(np.flatnonzero(~treated))
    order = t_rows[np.argsort(-keys[t_rows], kind="stable")]
    pairs, active = [], list(order)
    for _ in range(k):
        still = []
        for t in active:
            if not c_rows:
                continue
            d = [abs(keys[c] - keys[t]) for c in c_rows]
            j = int(np.argmin(d))
            if d[j] > bound:
                continue
            pairs.append((t, c_rows.pop(j)))
            still.append(t)
        active = still
    return pairs


def test_greedy_matching_without_replacement_matches_a_brute_force_scan():
    rng = np.random.default_rng(0)
    keys = rng.normal(size=300)
    treated = rng.random(300) < 0.3
    for k, caliper in ((1, None), (2, 0.1)):
        m = matching.match(keys, treated, k=k, caliper=caliper, replace=False)
        bound = np.inf if caliper is None else caliper * keys.std()
        expected = _brute_greedy(keys, treated, k, bound)
        got = list(zip(m.treated_row.tolist(), m.control_row.tolist()))
        # equal distances may pick a different unit; the distances must be the same
        assert sorted(abs(keys[t] - keys[c]) for t, c in got) == pytest.approx(
            sorted(abs(keys[t] - keys[c]) for t, c in expected)
        )
        assert len(set(m.control_row.tolist())) == len(m.control_row)  # no comparison unit twice


def test_matching_with_replacement_finds_the_k_nearest_and_respects_caliper_and_exact_cells():
    rng = np.random.default_rng(1)
    keys = rng.normal(size=500)
    treated = rng.random(500) < 0.3
    cells = rng.integers(0, 3, 500)
    m = matching.match(keys, treated, k=2, caliper=0.05, replace=True, cells=cells)
    assert (cells[m.treated_row] == cells[m.control_row]).all()
    assert (np.abs(keys[m.treated_row] - keys[m.control_row]) <= 0.05 * keys.std() + 1e-12).all()
    assert not treated[m.control_row].any()
    # each pair is among the 2 nearest comparison units of the same cell
    for t, c in zip(m.treated_row, m.control_row):
        same = np.flatnonzero(~treated & (cells == cells[t]))
        nearest = same[np.argsort(np.abs(keys[same] - keys[t]))[:2]]
        assert c in nearest
    unmatched = np.setdiff1d(np.flatnonzero(treated), m.treated_row)
    assert m.n_treated_unmatched == len(unmatched) > 0
    w = m.unit_weights(500)
    assert w[treated].sum() == len(np.unique(m.treated_row))
    assert w[~treated].sum() == pytest.approx(len(np.unique(m.treated_row)))


def test_exact_matching_in_an_evaluation_keeps_cells_apart(confounded):
    table, truth = simulate(n=6000, effect=1.0, confounding=1.5, seed=11)
    ds = prepare(table, treatment="treated", outcome="outcome", covariates=["x1", "x2", "x3"], exact=["group"])
    res = evaluate(ds, method="psm", k=2)
    assert _covers(res, truth["att"])
    assert res.settings["exact"] == ["group"]
    assert "group (exact)" in res.assumptions[0]


def test_flexible_propensity_model_handles_non_linear_selection_where_logistic_fails():
    import pyarrow as pa
    from scipy.special import expit

    rng = np.random.default_rng(8)
    n = 6000
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    t = rng.random(n) < expit(-1.5 + 1.2 * x1**2)  # both tails of x1 take part
    y = 1.0 * t + 1.5 * x1**2 + 0.5 * x2 + rng.normal(size=n)
    ds = prepare(pa.table({"x1": x1, "x2": x2, "t": t, "y": y}), treatment="t", outcome="y", covariates=["x1", "x2"])
    linear = evaluate(ds, method="psm", k=3)
    assert not _covers(linear, 1.0)
    assert any("Variance ratio outside" in w and "x1" in w for w in linear.warnings)  # the diagnostics show it
    flexible = evaluate(ds, method="psm", k=3, propensity_model="flexible")
    assert _covers(flexible, 1.0)
