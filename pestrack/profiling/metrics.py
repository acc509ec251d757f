"""The numbers of an audit: AUC with its Hanley-McNeil interval, precision-recall AUC, Brier score,
calibration bins, and proportions with Wilson intervals (which stay inside 0-1 for small groups)."""

from __future__ import annotations

import math

import numpy as np

Z = 1.959963984540054  # 95 %


def wilson(k: int, n: int, z: float = Z) -> tuple[float | None, float | None]:
    Z = z  # noqa: N806
    if n == 0:
        return None, None
    p = k / n
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / (1 + Z * Z / n)
    return max(0.0, min(p, centre - half)), min(1.0, max(p, centre + half))  # p inside, despite rounding


def rate(k: int, n: int) -> dict:
    lo, hi = wilson(k, n)
    return {"value": k / n if n else None, "ci": [lo, hi], "k": int(k), "n": int(n)}


def difference(k1: int, n1: int, k2: int, n2: int, z: float = Z) -> tuple[float | None, float | None, float | None]:
    """p1 - p2 with a normal-approximation interval (95 % by default)."""
    if not n1 or not n2:
        return None, None, None
    p1, p2 = k1 / n1, k2 / n2
    se = math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    return p1 - p2, p1 - p2 - z * se, p1 - p2 + z * se


def z_adjusted(tests: int, level: float = 0.05) -> float:
    """The normal quantile of a Bonferroni-adjusted two-sided test: many groups are judged at once,
    and without it some would be flagged by chance alone."""
    from scipy.stats import norm

    return float(norm.ppf(1 - level / (2 * max(tests, 1))))


def auc(y: np.ndarray, p: np.ndarray) -> dict:
    """ROC AUC (scikit-learn) with the Hanley-McNeil (1982) 95 % interval."""
    from sklearn.metrics import roc_auc_score

    n1, n0 = int(y.sum()), int((~y).sum())
    if not n1 or not n0:
        return {"value": None, "ci": [None, None]}
    a = float(roc_auc_score(y, p))
    q1, q2 = a / (2 - a), 2 * a * a / (1 + a)
    se = math.sqrt((a * (1 - a) + (n1 - 1) * (q1 - a * a) + (n0 - 1) * (q2 - a * a)) / (n1 * n0))
    return {"value": a, "ci": [max(0.0, a - Z * se), min(1.0, a + Z * se)]}


def pr_auc(y: np.ndarray, p: np.ndarray) -> float | None:
    from sklearn.metrics import average_precision_score

    return float(average_precision_score(y, p)) if y.any() and (~y).any() else None


def curves(y: np.ndarray, p: np.ndarray, points: int = 101) -> dict | None:
    """The ROC curve (false against true positive rate) and the precision-recall curve (scikit-learn),
    each thinned to at most ``points`` points along the curve for the model card."""
    from sklearn.metrics import precision_recall_curve, roc_curve

    if not y.any() or y.all():
        return None

    def thin(*arrays):
        keep = np.unique(np.linspace(0, len(arrays[0]) - 1, points).astype(int))
        return [[float(v) for v in a[keep]] for a in arrays]

    fpr, tpr, _ = roc_curve(y, p)
    precision, recall, _ = precision_recall_curve(y, p)
    roc_fpr, roc_tpr = thin(fpr, tpr)
    pr_recall, pr_precision = thin(recall[::-1], precision[::-1])
    return {"roc": {"fpr": roc_fpr, "tpr": roc_tpr}, "pr": {"recall": pr_recall, "precision": pr_precision}}


def brier(y: np.ndarray, p: np.ndarray) -> float:
    return float(np.mean((p - y) ** 2))


def calibration(y: np.ndarray, p: np.ndarray, bins: int = 10) -> list[dict]:
    """Estimated against observed share in ten bins of the estimate (0-0.1, ..., 0.9-1)."""
    which = np.minimum((p * bins).astype(int), bins - 1)
    n = np.bincount(which, minlength=bins)
    k = np.bincount(which, weights=y, minlength=bins)
    s = np.bincount(which, weights=p, minlength=bins)
    out = []
    for b in range(bins):
        if n[b]:
            lo, hi = wilson(int(k[b]), int(n[b]))
            out.append(
                {
                    "bin": [b / bins, (b + 1) / bins],
                    "n": int(n[b]),
                    "predicted": float(s[b] / n[b]),
                    "observed": float(k[b] / n[b]),
                    "ci": [lo, hi],
                }
            )
    return out


def performance(y: np.ndarray, p: np.ndarray) -> dict:
    a = auc(y, p)
    return {
        "n": int(len(y)),
        "positives": int(y.sum()),
        "prevalence": float(y.mean()) if len(y) else None,
        "auc": a["value"],
        "auc_ci": a["ci"],
        "pr_auc": pr_auc(y, p),
        "brier": brier(y, p),
    }


def cramers_v(a: np.ndarray, b: np.ndarray) -> float:
    """Association of two categorical arrays, 0 (none) to 1 (one determines the other)."""
    _, ai = np.unique(a, return_inverse=True)
    _, bi = np.unique(b, return_inverse=True)
    r, c = ai.max() + 1, bi.max() + 1
    if r < 2 or c < 2:
        return 0.0
    table = np.bincount(ai * c + bi, minlength=r * c).reshape(r, c).astype(float)
    n = table.sum()
    expected = table.sum(1, keepdims=True) * table.sum(0, keepdims=True) / n
    with np.errstate(divide="ignore", invalid="ignore"):
        chi2 = np.nansum((table - expected) ** 2 / np.where(expected > 0, expected, np.nan))
    return float(math.sqrt(chi2 / n / (min(r, c) - 1)))


def psi(expected: dict, actual: dict) -> float:
    """Population stability index of two distributions (level -> share); 0.2 and above is a shift."""
    total = 0.0
    for level in set(expected) | set(actual):
        e, a = max(expected.get(level, 0.0), 1e-4), max(actual.get(level, 0.0), 1e-4)
        total += (a - e) * math.log(a / e)
    return total
