"""Counterfactual impact estimates: matching, inverse-probability weighting, doubly robust (AIPW) and
difference-in-differences, each with a 95 % confidence interval and the counts behind it.

Methods (``method``):

- ``psm``: nearest-neighbour matching on the propensity score; effect on the treated (ATT).
- ``ipw``: inverse-probability weighting (normalised weights); ATT and ATE.
- ``dr``: augmented IPW with linear outcome models per group, doubly robust; ATT and ATE.
- ``did``: difference-in-differences on (outcome - pre-outcome), treated against all comparison units.
- ``did-psm``: difference-in-differences on the matched sample.

Confidence intervals (``ci``): ``analytic`` where the method has a variance formula (``dr``: the
influence function; ``did``: Welch's two-sample variance), otherwise ``bootstrap`` (percentile). The
fast bootstrap (``bootstrap="fast"``, default) draws n units with replacement in each replicate, as
counts per unit, and computes a chunk of replicates at once as matrix products:

- matching: the propensity model and the matches are held fixed. Without replacement a comparison
  unit takes the count of the treated unit it is matched to (the matched sets are resampled, Austin
  and Small 2014); with replacement the matched treated units and the used comparison units are
  resampled independently, so a comparison unit used for many treated units carries that weight
  into the variance.
- IPW and DR: the propensity model (logistic) and the outcome models move by one Newton step from
  the full-sample fit under each replicate's counts (a one-step bootstrap, with the full-sample
  Hessian), and the weights are recomputed; a flexible propensity model is held fixed.
- DiD: the units are resampled.

``bootstrap="full"`` refits everything (propensity model, trimming, matching) on each resample of n
units drawn with replacement: slower, for checking the fast one.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
from scipy import stats
from scipy.special import expit

from pestrack.evaluation import matching, propensity
from pestrack.evaluation.data import Dataset, EvaluationError

METHODS = ("psm", "ipw", "dr", "did", "did-psm")
ANALYTIC = ("dr", "did")
CHUNK = 8  # bootstrap replicates drawn at once (memory: CHUNK x rows)


@dataclass
class Settings:
    method: str = "psm"
    propensity_model: str = "logistic"
    trim: str | float = "minmax"
    k: int = 1
    caliper: float | None = None  # in SDs of the logit of the propensity score
    replace: bool = True
    ci: str = "auto"  # auto | analytic | bootstrap
    bootstrap: str = "fast"  # fast | full
    replicates: int = 200
    seed: int = 1
    level: float = 0.95

    def check(self) -> None:
        if self.method not in METHODS:
            raise EvaluationError(f"method must be one of {', '.join(METHODS)}, not {self.method!r}")
        if self.ci not in ("auto", "analytic", "bootstrap"):
            raise EvaluationError(f"ci must be auto, analytic or bootstrap, not {self.ci!r}")
        if self.ci == "analytic" and self.method not in ANALYTIC:
            raise EvaluationError(f"{self.method} has no analytic variance here; use --ci bootstrap")
        if self.bootstrap not in ("fast", "full"):
            raise EvaluationError(f"bootstrap must be fast or full, not {self.bootstrap!r}")
        if self.k < 1:
            raise EvaluationError("k (neighbours per treated unit) must be at least 1")
        if self.caliper is not None and self.caliper <= 0:
            raise EvaluationError("the caliper must be a positive number of standard deviations")
        if self.replicates < 20 and self.ci_kind == "bootstrap":
            raise EvaluationError("use at least 20 bootstrap replicates (200 is usual)")

    @property
    def ci_kind(self) -> str:
        if self.ci == "auto":
            return "analytic" if self.method in ANALYTIC else "bootstrap"
        return self.ci


@dataclass
class Point:
    """One estimate with what it used: the rows in support, the weights that balance them."""

    att: float
    ate: float | None
    n_treated: int
    n_control: int
    support: np.ndarray  # rows of the data used (bool)
    balance_weights: np.ndarray | None  # per row of the data, for the balance after
    score: np.ndarray | None = None
    prop: propensity.Propensity | None = None
    matches: matching.Matches | None = None
    att_if: np.ndarray | None = None  # influence function values, for the analytic variance
    ate_if: np.ndarray | None = None
    n_treated_unmatched: int = 0
    control_mean: float | None = None


@dataclass
class Result:
    method: str
    outcome: str
    treatment: str
    att: float
    ci_low: float
    ci_high: float
    se: float
    ate: float | None
    ate_ci_low: float | None
    ate_ci_high: float | None
    ate_se: float | None
    n_treated: int
    n_control: int
    n_treated_total: int
    n_control_total: int
    n_treated_outside_support: int
    n_control_outside_support: int
    n_treated_unmatched: int
    naive_difference: float
    treated_mean: float
    control_mean: float
    outcome_binary: bool
    ci_method: str
    settings: dict
    balance: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    summary: str = ""
    assumptions: list[str] = field(default_factory=list)
    n_dropped_missing: int = 0
    bootstrap_failed: int = 0
    # arrays for the plots; not part of the JSON
    score: np.ndarray | None = field(default=None, repr=False)
    treated_mask: np.ndarray | None = field(default=None, repr=False)
    support: np.ndarray | None = field(default=None, repr=False)

    def to_dict(self) -> dict:
        out = asdict(self)
        for key in ("score", "treated_mask", "support"):
            out.pop(key)
        return out


# ---------------------------------------------------------------- point estimates


def _ols(D: np.ndarray, y: np.ndarray, w: np.ndarray | None = None) -> np.ndarray:
    if w is None:
        return np.linalg.lstsq(D, y, rcond=None)[0]
    Dw = D * w[:, None]
    return np.linalg.lstsq(Dw.T @ D, Dw.T @ y, rcond=None)[0]


def _ipw(y, t, e, w=None) -> tuple[float, float]:
    """Normalised (Hajek) IPW: ATT with comparison weights e/(1-e), ATE with 1/e and 1/(1-e)."""
    w = np.ones(len(y)) if w is None else w
    wt, wc = w * t, w * (1 - t)
    odds = e / (1 - e)
    att = (wt @ y) / wt.sum() - (wc * odds) @ y / (wc * odds).sum()
    ate = (wt / e) @ y / (wt / e).sum() - (wc / (1 - e)) @ y / (wc / (1 - e)).sum()
    return float(att), float(ate)


def _aipw(y, t, e, D, w=None) -> tuple[float, float, np.ndarray, np.ndarray]:
    """Augmented IPW with linear outcome models fitted in each group; returns estimates and influence
    functions (for the analytic variance)."""
    w = np.ones(len(y)) if w is None else w
    tb = t.astype(bool)
    m1 = D @ _ols(D[tb], y[tb], w[tb])
    m0 = D @ _ols(D[~tb], y[~tb], w[~tb])
    psi_ate = m1 - m0 + t * (y - m1) / e - (1 - t) * (y - m0) / (1 - e)
    ate = float(w @ psi_ate / w.sum())
    share = (w @ t) / w.sum()
    contrib = t * (y - m0) - (1 - t) * (e / (1 - e)) * (y - m0)
    att = float(w @ contrib / (w @ t))
    att_if = (contrib - t * att) / share
    return att, ate, att_if, psi_ate - ate


def _matched(ds: Dataset, y: np.ndarray, s: Settings, prop: propensity.Propensity, keep: np.ndarray) -> Point:
    rows = np.flatnonzero(keep)
    t = ds.treated[rows]
    cells = ds.exact[rows] if ds.exact is not None else None
    m = matching.match(prop.logit[rows], t, k=s.k, caliper=s.caliper, replace=s.replace, cells=cells)
    if len(m.treated_row) == 0:
        raise EvaluationError("no treated unit found a comparison unit (try a wider caliper or fewer exact covariates)")
    w = m.unit_weights(len(rows))
    yt, wt = y[rows], w
    tmask = t & (w > 0)
    cmask = ~t & (w > 0)
    treated_mean = yt[tmask].mean()
    control_mean = (wt[cmask] @ yt[cmask]) / wt[cmask].sum()
    full_w = np.zeros(ds.n)
    full_w[rows] = w
    return Point(
        float(treated_mean - control_mean),
        None,
        int(tmask.sum()),
        int(cmask.sum()),
        keep,
        full_w,
        prop.score,
        prop,
        m,
        n_treated_unmatched=m.n_treated_unmatched,
        control_mean=float(control_mean),
    )


def _point(ds: Dataset, s: Settings) -> Point:
    method = s.method
    y = ds.outcome
    if method in ("did", "did-psm"):
        if ds.pre_outcome is None:
            raise EvaluationError(f"{method} needs the outcome before treatment too (--pre-outcome COLUMN)")
        y = ds.outcome - ds.pre_outcome
    if method == "did":
        t = ds.treated
        att = y[t].mean() - y[~t].mean()
        att_if = np.where(t, (y - y[t].mean()) / t.mean(), -(y - y[~t].mean()) / (1 - t.mean()))
        return Point(
            float(att),
            None,
            int(t.sum()),
            int((~t).sum()),
            np.ones(ds.n, dtype=bool),
            None,
            att_if=att_if,
            control_mean=float(y[~t].mean()),
        )
    prop = propensity.fit(ds.X, ds.treated, s.propensity_model, seed=s.seed, names=ds.names)
    keep = propensity.common_support(prop.score, ds.treated, s.trim)
    if not (keep & ds.treated).any() or not (keep & ~ds.treated).any():
        raise EvaluationError("no overlap: no treated or no comparison unit is left inside common support")
    if method in ("psm", "did-psm"):
        return _matched(ds, y, s, prop, keep)
    rows = np.flatnonzero(keep)
    t = ds.treated[rows].astype(float)
    e = np.clip(prop.score[rows], propensity.EPS, 1 - propensity.EPS)
    balance_w = np.zeros(ds.n)
    balance_w[rows] = np.where(t == 1, 1.0, e / (1 - e))
    if method == "ipw":
        att, ate = _ipw(y[rows], t, e)
        cm = float((balance_w[rows] * (1 - t)) @ y[rows] / (balance_w[rows] * (1 - t)).sum())
        return Point(att, ate, int(t.sum()), int((1 - t).sum()), keep, balance_w, prop.score, prop, control_mean=cm)
    D = np.column_stack([np.ones(len(rows)), ds.X[rows]])
    att, ate, att_if, ate_if = _aipw(y[rows], t, e, D)
    return Point(
        att,
        ate,
        int(t.sum()),
        int((1 - t).sum()),
        keep,
        balance_w,
        prop.score,
        prop,
        att_if=att_if,
        ate_if=ate_if,
        control_mean=float(y[rows][t == 1].mean() - att),
    )


# ---------------------------------------------------------------- confidence intervals


def _analytic(est: float, influence: np.ndarray, level: float) -> tuple[float, float, float]:
    se = float(influence.std(ddof=1) / np.sqrt(len(influence)))
    z = stats.norm.ppf(0.5 + level / 2)
    return est - z * se, est + z * se, se


def _percentile(est: float, reps: np.ndarray, level: float) -> tuple[float, float, float]:
    reps = reps[np.isfinite(reps)]
    lo, hi = np.quantile(reps, [0.5 - level / 2, 0.5 + level / 2])
    return float(lo), float(hi), float(reps.std(ddof=1))


def _counts(rng: np.random.Generator, n: int, replicates: int):
    """Bootstrap counts in chunks of replicates: row b says how often each of n units is drawn when n
    units are drawn with replacement (a bincount of n random integers, faster than sampling rows)."""
    done = 0
    while done < replicates:
        b = min(CHUNK, replicates - done)
        W = np.empty((b, n))
        for i in range(b):
            W[i] = np.bincount(rng.integers(0, n, n), minlength=n)
        yield W
        done += b


def _fast_bootstrap(ds: Dataset, s: Settings, p: Point) -> tuple[np.ndarray, np.ndarray | None]:
    rng = np.random.default_rng(s.seed)
    y = ds.outcome if s.method not in ("did", "did-psm") else ds.outcome - ds.pre_outcome
    rows = np.flatnonzero(p.support)
    att = []
    if s.method in ("psm", "did-psm"):
        m = p.matches
        assert m is not None and p.balance_weights is not None  # _matched sets both
        w_all = p.balance_weights[rows]
        t = ds.treated[rows]
        tr = np.flatnonzero(t & (w_all > 0))
        cr = np.flatnonzero(~t & (w_all > 0))
        yt, yc, kc = y[rows][tr], y[rows][cr], w_all[cr]
        if s.replace:
            # treated and used comparison units resampled independently, matching weights fixed
            controls = _counts(rng, len(cr), s.replicates)
        else:
            # each comparison unit belongs to one matched set: it takes that treated unit's count
            partner = np.empty(len(rows), dtype=np.int64)
            partner[m.control_row] = m.treated_row
            pos_t = np.full(len(rows), -1)
            pos_t[tr] = np.arange(len(tr))
            link = pos_t[partner[cr]]
        for wt in _counts(rng, len(tr), s.replicates):
            wc = next(controls) if s.replace else wt[:, link]
            att.append((wt @ yt) / wt.sum(axis=1) - (wc * kc) @ yc / (wc * kc).sum(axis=1))
        return np.concatenate(att), None
    if s.method == "did":
        t = ds.treated.astype(float)
        for W in _counts(rng, ds.n, s.replicates):
            att.append((W @ (t * y)) / (W @ t) - (W @ ((1 - t) * y)) / (W @ (1 - t)))
        return np.concatenate(att), None
    assert p.score is not None and p.prop is not None  # IPW and DR fit a propensity model
    return _weighting_bootstrap(ds.X[rows], ds.treated[rows].astype(float), y[rows], p.score[rows], s, p.prop, rng)


def _one_step(D: np.ndarray, resid: np.ndarray, hinv: np.ndarray, W: np.ndarray) -> np.ndarray:
    """Coefficient changes of one Newton step from the full-sample fit for each row of weights W:
    (D' diag(w) resid) H^-1, with the full-sample Hessian H (a one-step bootstrap)."""
    return ((W * resid) @ D) @ hinv


def _weighting_bootstrap(
    X, t, y, score, s: Settings, prop: propensity.Propensity, rng
) -> tuple[np.ndarray, np.ndarray]:
    """IPW and AIPW replicates, a chunk of replicates at a time as matrices (replicate x unit). The
    propensity model (logistic) and the outcome models move by one Newton step from the full-sample
    fit under each replicate's counts; a flexible propensity model is held fixed."""
    e0 = np.clip(score, propensity.EPS, 1 - propensity.EPS)
    if prop.beta is not None:
        Dp = prop.design(X)
        eta0 = Dp @ prop.beta
        e0 = expit(eta0)
        hinv_p = np.linalg.pinv((Dp * (e0 * (1 - e0))[:, None]).T @ Dp)
    D = np.column_stack([np.ones(len(t)), X])
    arms = {}
    if s.method == "dr":
        for arm, mask in ((1, t == 1), (0, t == 0)):
            beta = _ols(D[mask], y[mask])
            resid = np.where(mask, y - D @ beta, 0.0)
            arms[arm] = (beta, resid, np.linalg.pinv(D[mask].T @ D[mask]))
    att, ate = [], []
    for W in _counts(rng, len(t), s.replicates):
        if prop.beta is not None:
            step = _one_step(Dp, t - e0, hinv_p, W)
            e = np.clip(expit(eta0[None, :] + step @ Dp.T), propensity.EPS, 1 - propensity.EPS)
        else:
            e = np.broadcast_to(e0, W.shape)
        if s.method == "ipw":
            wt, wc = W * t, W * (1 - t)
            odds = e / (1 - e)
            att.append((wt @ y) / wt.sum(axis=1) - (wc * odds) @ y / (wc * odds).sum(axis=1))
            ate.append((wt / e) @ y / (wt / e).sum(axis=1) - (wc / (1 - e)) @ y / (wc / (1 - e)).sum(axis=1))
            continue
        m = {}
        for arm, (beta, resid, ginv) in arms.items():
            m[arm] = (beta[None, :] + _one_step(D, resid, ginv, W)) @ D.T
        psi = m[1] - m[0] + t * (y - m[1]) / e - (1 - t) * (y - m[0]) / (1 - e)
        ate.append((W * psi).sum(axis=1) / W.sum(axis=1))
        contrib = t * (y - m[0]) - (1 - t) * (e / (1 - e)) * (y - m[0])
        att.append((W * contrib).sum(axis=1) / (W @ t))
    return np.concatenate(att), np.concatenate(ate)


def _full_bootstrap(ds: Dataset, s: Settings) -> tuple[np.ndarray, np.ndarray | None, int]:
    rng = np.random.default_rng(s.seed)
    att, ate, failed = [], [], 0
    for _ in range(s.replicates):
        idx = rng.integers(0, ds.n, ds.n)
        try:
            p = _point(ds.subset(idx), s)
        except EvaluationError:
            failed += 1
            continue
        att.append(p.att)
        ate.append(np.nan if p.ate is None else p.ate)
    return np.asarray(att), (np.asarray(ate) if s.method in ("ipw", "dr") else None), failed


# ---------------------------------------------------------------- the evaluation


def evaluate(ds: Dataset, **options) -> Result:
    """Estimate the effect of ``ds.treated`` on ``ds.outcome``; options are the fields of Settings."""
    from pestrack.evaluation import diagnostics

    s = Settings(**options)
    s.check()
    p = _point(ds, s)
    failed = 0
    ate_ci: tuple[float | None, float | None, float | None] = (None, None, None)
    if s.ci_kind == "analytic":
        assert p.att_if is not None  # the analytic methods (dr, did) give the influence function
        lo, hi, se = _analytic(p.att, p.att_if, s.level)
        if p.ate is not None and p.ate_if is not None:
            ate_ci = _analytic(p.ate, p.ate_if, s.level)
        how = (
            "influence function of the augmented IPW estimator (normal approximation)"
            if s.method == "dr"
            else "Welch's two-sample variance of the before-after differences (normal approximation)"
        )
    else:
        if s.bootstrap == "full":
            reps, ate_reps, failed = _full_bootstrap(ds, s)
            if len(reps) < 0.9 * s.replicates:
                raise EvaluationError(
                    f"{failed} of {s.replicates} bootstrap replicates could not be estimated "
                    "(too few treated or comparison units in a resample)"
                )
        else:
            reps, ate_reps = _fast_bootstrap(ds, s, p)
        lo, hi, se = _percentile(p.att, reps, s.level)
        if ate_reps is not None and p.ate is not None:
            ate_ci = _percentile(p.ate, ate_reps, s.level)
        how = f"percentile bootstrap, {s.replicates} replicates ({s.bootstrap}: {diagnostics.BOOTSTRAP[s.method][s.bootstrap]})"
    t = ds.treated
    y = ds.outcome
    y_used = y - ds.pre_outcome if s.method in ("did", "did-psm") else y
    if s.method in ("psm", "did-psm"):
        assert p.balance_weights is not None  # _matched sets the matching weights
        used_treated = p.balance_weights > 0
    else:
        used_treated = p.support
    res = Result(
        method=s.method,
        outcome=ds.outcome_name,
        treatment=ds.treatment_name,
        att=p.att,
        ci_low=lo,
        ci_high=hi,
        se=se,
        ate=p.ate,
        ate_ci_low=ate_ci[0],
        ate_ci_high=ate_ci[1],
        ate_se=ate_ci[2],
        n_treated=p.n_treated,
        n_control=p.n_control,
        n_treated_total=int(t.sum()),
        n_control_total=int((~t).sum()),
        n_treated_outside_support=int((t & ~p.support).sum()),
        n_control_outside_support=int((~t & ~p.support).sum()),
        n_treated_unmatched=p.n_treated_unmatched,
        naive_difference=float(y[t].mean() - y[~t].mean()),
        treated_mean=float(y_used[t & used_treated].mean()),
        control_mean=float(p.control_mean) if p.control_mean is not None else float("nan"),
        outcome_binary=ds.outcome_binary,
        ci_method=how,
        settings={**asdict(s), "covariates": ds.covariates, "exact": ds.exact_names, "source": ds.source},
        notes=list(ds.notes),
        n_dropped_missing=ds.n_dropped_missing,
        bootstrap_failed=failed,
        score=p.score,
        treated_mask=t,
        support=p.support,
    )
    res.balance = diagnostics.balance_table(ds, p.balance_weights)
    diagnostics.explain(res)
    return res
