"""The propensity score: the probability of treatment given the covariates, and common support."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from pestrack.evaluation.data import EvaluationError

EPS = 1e-6


@dataclass
class Propensity:
    """A fitted propensity model. ``beta`` (logistic only) is on the standardised design [1, Z]."""

    score: np.ndarray  # P(treated | X) per unit
    model: str
    beta: np.ndarray | None = None
    mean: np.ndarray | None = None
    scale: np.ndarray | None = None

    @property
    def logit(self) -> np.ndarray:
        p = np.clip(self.score, EPS, 1 - EPS)
        return np.log(p / (1 - p))

    def design(self, X: np.ndarray) -> np.ndarray:
        return np.column_stack([np.ones(len(X)), (X - self.mean) / self.scale])


def _newton_logit(D: np.ndarray, t: np.ndarray, max_iter: int = 50, tol: float = 1e-10) -> np.ndarray:
    """Maximum-likelihood logistic regression by Newton's method (iteratively reweighted least squares),
    with step halving; on a standardised design it converges in a handful of steps. Under separation
    the coefficients grow without bound: the loop stops at max_iter and the caller checks the scores."""
    beta = np.zeros(D.shape[1])
    beta[0] = np.log(t.mean() / (1 - t.mean()))

    def loglik(b):
        eta = D @ b
        return float(t @ eta - np.logaddexp(0, eta).sum())

    ll = loglik(beta)
    for _ in range(max_iter):
        p = expit(D @ beta)
        grad = D.T @ (t - p)
        hess = (D * (p * (1 - p))[:, None]).T @ D
        try:
            step = np.linalg.solve(hess + 1e-12 * np.eye(len(beta)), grad)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(hess, grad, rcond=None)[0]
        for _ in range(30):
            new = loglik(beta + step)
            if new >= ll - 1e-12:
                break
            step /= 2
        beta, gain, ll = beta + step, new - ll, new
        if abs(gain) < tol * (1 + abs(ll)) or np.abs(step).max() < 1e-10:
            break
    return beta


def separating_columns(X: np.ndarray, treated: np.ndarray, names: list[str]) -> list[str]:
    """Design columns on which the treated and comparison values do not overlap at all."""
    out = []
    for j, name in enumerate(names):
        xt, xc = X[treated, j], X[~treated, j]
        if xt.max() < xc.min() or xt.min() > xc.max():
            out.append(name)
    return out


def fit(
    X: np.ndarray, treated: np.ndarray, model: str = "logistic", seed: int = 0, names: list[str] | None = None
) -> Propensity:
    """Fit P(treated | X): ``logistic`` (unpenalised logistic regression) or ``flexible`` (gradient-boosted
    trees, for non-linear assignment). Complete separation, where the covariates tell treated from
    comparison units exactly, is an error: there is nobody to compare with."""
    if X.shape[1] == 0:
        return Propensity(np.full(len(treated), treated.mean()), model)
    if model == "logistic":
        mean, scale = X.mean(axis=0), X.std(axis=0)
        scale[scale == 0] = 1.0
        D = np.column_stack([np.ones(len(X)), (X - mean) / scale])
        beta = _newton_logit(D, treated.astype(float))
        prop = Propensity(expit(D @ beta), model, beta, mean, scale)
    elif model == "flexible":
        from sklearn.ensemble import HistGradientBoostingClassifier

        gb = HistGradientBoostingClassifier(
            max_iter=200, learning_rate=0.05, max_leaf_nodes=15, min_samples_leaf=40, random_state=seed
        )
        from threadpoolctl import threadpool_limits

        with threadpool_limits(1, user_api="openmp"):  # OpenMP threads spin badly on a busy two-core machine
            gb.fit(X, treated)
            prop = Propensity(np.clip(gb.predict_proba(X)[:, 1], 1e-3, 1 - 1e-3), model)
    else:
        raise EvaluationError(f"propensity model must be 'logistic' or 'flexible', not {model!r}")
    if (
        prop.score[treated].min() > prop.score[~treated].max() - EPS
        or prop.score[treated].max() < prop.score[~treated].min() + EPS
    ):
        culprits = separating_columns(X, treated, names or [f"column {j + 1}" for j in range(X.shape[1])])
        hint = f" ({', '.join(culprits)} alone does)" if culprits else ""
        raise EvaluationError(
            f"perfect separation: the covariates tell treated and comparison units apart exactly"
            f"{hint}, so there is no one to compare with; restrict the data to units that could "
            "have been treated, or leave out the covariate that decides treatment"
        )
    return prop


def common_support(score: np.ndarray, treated: np.ndarray, rule: str | float = "minmax") -> np.ndarray:
    """Rows inside common support. ``minmax``: scores within the range both groups reach (the treated
    units' [min, max] intersected with the comparison units'); a number a: scores in [a, 1 - a] (Crump et
    al.'s trimming, a = 0.1 is usual); ``none``: everyone."""
    if rule == "none":
        return np.ones(len(score), dtype=bool)
    if rule == "minmax":
        lo = max(score[treated].min(), score[~treated].min())
        hi = min(score[treated].max(), score[~treated].max())
        return (score >= lo) & (score <= hi)
    try:
        a = float(rule)
    except (TypeError, ValueError):
        raise EvaluationError(f"trim must be 'minmax', 'none' or a number below 0.5, not {rule!r}") from None
    if not 0 <= a < 0.5:
        raise EvaluationError(f"trim must be 'minmax', 'none' or a number below 0.5, not {rule!r}")
    return (score >= a) & (score <= 1 - a)
