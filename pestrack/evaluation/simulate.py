"""Simulated evaluation data with a known effect, for tests, the benchmark and the documentation.

Assignment depends on the covariates (confounding): units with a high x1 take part more often and
also do better without taking part, so the naive difference overstates the effect. The potential
outcomes are drawn for everyone, so the true effects are known: ``truth["att"]`` is the mean effect
among the treated, ``truth["ate"]`` over everyone (they differ when ``heterogeneity`` is not 0).

For difference-in-differences there is also ``pre_outcome``: each unit has a fixed level that is
*not* among the covariates and is higher for the treated (selection on an unobserved level); the
trend is the same in both groups, so DiD recovers the effect where matching on x cannot.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from scipy.special import expit


def simulate(
    n: int = 5000,
    *,
    p: int = 3,
    effect: float = 1.0,
    confounding: float = 1.5,
    heterogeneity: float = 0.0,
    binary: bool = False,
    hidden_level: float = 0.0,
    seed: int = 0,
) -> tuple[pa.Table, dict]:
    """Return (table, truth). Columns x1..xp (numbers), group (a/b/c), treated (bool), outcome, pre_outcome."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    group = rng.choice(np.array(["a", "b", "c"]), size=n, p=[0.5, 0.3, 0.2])
    g_b, g_c = (group == "b").astype(float), (group == "c").astype(float)
    x1, x2 = X[:, 0], X[:, 1] if p > 1 else np.zeros(n)
    logit = -1.0 + confounding * (0.8 * x1 - 0.4 * x2 + 0.5 * g_b)
    treated = rng.random(n) < expit(logit)
    level = rng.normal(size=n) + hidden_level * treated  # unobserved, constant over time
    base = 0.5 + 1.0 * x1 + 0.5 * x2 + 0.3 * g_b - 0.2 * g_c + (X[:, 2:].sum(axis=1) * 0.1 if p > 2 else 0)
    tau = effect + heterogeneity * x1
    if binary:
        p0 = expit(base - 1.0 + level * 0.5)
        p1 = expit(base - 1.0 + level * 0.5 + tau)
        u = rng.random(n)
        y0, y1 = (u < p0).astype(float), (u < p1).astype(float)
        truth = {"att": float((p1 - p0)[treated].mean()), "ate": float((p1 - p0).mean())}
        pre = (rng.random(n) < expit(base - 1.0 + level * 0.5 - 0.2)).astype(float)
    else:
        noise = rng.normal(size=n)
        y0 = base + level + 0.5 + noise
        y1 = y0 + tau
        truth = {"att": float(tau[treated].mean()), "ate": float(tau.mean())}
        pre = base + level + rng.normal(size=n)
    y = np.where(treated, y1, y0)
    cols = {f"x{j + 1}": X[:, j] for j in range(p)}
    cols.update(group=group, treated=treated, outcome=y, pre_outcome=pre)
    truth["naive"] = float(y[treated].mean() - y[~treated].mean())
    return pa.table(cols), truth
