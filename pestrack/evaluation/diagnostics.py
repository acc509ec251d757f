"""Diagnostics an analyst can show: covariate balance before and after, warnings, a plain-language summary.

Standardised mean difference (SMD) = (treated mean - comparison mean) / pooled SD, where the pooled SD
is sqrt((var_treated + var_comparison) / 2) of the data *before* adjustment, so that before and after
share one yardstick. After adjustment the means and variances are weighted with the estimator's
weights (matching: 1 per matched treated unit, the number of times a comparison unit is used divided by
k; IPW/DR: 1 for treated units, e/(1-e) for comparison units). Variance ratio = var_treated /
var_comparison. The usual thresholds: |SMD| <= 0.1 and variance ratio within 0.5-2.
"""

from __future__ import annotations

import numpy as np

SMD_LIMIT = 0.1
VR_RANGE = (0.5, 2.0)
SUPPORT_LIMIT = 0.10  # warn when more than this share of treated units is left out

_MATCHED = {
    "fast": "propensity model and matches held fixed; resamples matched sets (without replacement) "
    "or treated and comparison units independently (with replacement)",
    "full": "each replicate redraws n units with replacement and refits the propensity model, trimming and matching",
}
_WEIGHTED = {
    "fast": "units in support redrawn with replacement; the propensity and outcome models moved by one "
    "Newton step from the full-sample fit, weights recomputed",
    "full": "each replicate redraws n units with replacement and refits every model",
}
BOOTSTRAP = {
    "psm": _MATCHED,
    "did-psm": _MATCHED,
    "ipw": _WEIGHTED,
    "dr": _WEIGHTED,
    "did": {"fast": "units redrawn with replacement", "full": "units redrawn with replacement"},
}

METHOD_NAMES = {
    "psm": "nearest-neighbour matching on the propensity score",
    "ipw": "inverse-probability weighting",
    "dr": "doubly robust estimation (augmented inverse-probability weighting)",
    "did": "difference-in-differences",
    "did-psm": "difference-in-differences on a matched sample",
}


def _weighted_moments(X: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted means and variances of every column at once (w = 0 leaves a row out)."""
    total = w.sum()
    mean = (w @ X) / total
    return mean, np.maximum((w @ (X * X)) / total - mean**2, 0.0)


def balance_table(ds, weights: np.ndarray | None) -> list[dict]:
    """One row per design column: means, SMD and variance ratio before and (with weights) after."""
    t = ds.treated.astype(float)
    nt, nc = t.sum(), (1 - t).sum()
    mt, vt = _weighted_moments(ds.X, t)
    mc, vc = _weighted_moments(ds.X, 1 - t)
    vt, vc = vt * nt / max(nt - 1, 1), vc * nc / max(nc - 1, 1)  # sample variances
    sd = np.sqrt((vt + vc) / 2)
    sd[sd == 0] = 1.0
    if weights is not None:
        mt2, vt2 = _weighted_moments(ds.X, weights * t)
        mc2, vc2 = _weighted_moments(ds.X, weights * (1 - t))
    rows = []
    for j, name in enumerate(ds.names):
        row = {
            "covariate": name,
            "treated_mean_before": mt[j],
            "control_mean_before": mc[j],
            "smd_before": (mt[j] - mc[j]) / sd[j],
            "variance_ratio_before": vt[j] / vc[j] if vc[j] > 0 else None,
            "treated_mean_after": None,
            "control_mean_after": None,
            "smd_after": None,
            "variance_ratio_after": None,
        }
        if weights is not None:
            row.update(
                treated_mean_after=mt2[j],
                control_mean_after=mc2[j],
                smd_after=(mt2[j] - mc2[j]) / sd[j],
                variance_ratio_after=vt2[j] / vc2[j] if vc2[j] > 0 else None,
            )
        rows.append({k: float(v) if isinstance(v, np.floating) else v for k, v in row.items()})
    return rows


def fmt_effect(value: float | None, binary: bool) -> str:
    if value is None or not np.isfinite(value):
        return "n/a"
    if binary:
        return f"{value * 100:+.1f} percentage points"
    return f"{value:+.3g}"


def _is_binary_column(name: str) -> bool:
    return "=" in name


def explain(res) -> None:
    """Fill ``res.warnings``, ``res.assumptions`` and ``res.summary``."""
    warnings = []
    after = [r for r in res.balance if r["smd_after"] is not None]
    if after:
        poor = [r["covariate"] for r in after if abs(r["smd_after"]) > SMD_LIMIT]
        if poor:
            warnings.append(
                f"Balance is poor after adjustment: |SMD| above {SMD_LIMIT} for {', '.join(poor)}. "
                "The comparison group still differs from the treated on these; the estimate may be biased."
            )
        uneven = [
            r["covariate"]
            for r in after
            if r["variance_ratio_after"] is not None
            and not _is_binary_column(r["covariate"])
            and not VR_RANGE[0] <= r["variance_ratio_after"] <= VR_RANGE[1]
        ]
        if uneven:
            warnings.append(
                f"Variance ratio outside {VR_RANGE[0]}-{VR_RANGE[1]} after adjustment for "
                f"{', '.join(uneven)}: the spread differs between the groups."
            )
    elif res.balance:
        poor = [r["covariate"] for r in res.balance if abs(r["smd_before"]) > SMD_LIMIT]
        if poor:
            warnings.append(
                f"The groups differ on {', '.join(poor)} (|SMD| above {SMD_LIMIT}) and plain "
                "difference-in-differences does not adjust for them: parallel trends are less plausible; "
                "consider did-psm."
            )
    out_t = res.n_treated_outside_support
    if res.n_treated_total and out_t / res.n_treated_total > SUPPORT_LIMIT:
        warnings.append(
            f"Poor overlap: {out_t} of {res.n_treated_total} treated units "
            f"({out_t / res.n_treated_total:.0%}) fell outside common support and were left out; the "
            "estimate describes the treated units that have comparable comparison units."
        )
    if res.n_treated_unmatched and res.n_treated_unmatched / res.n_treated_total > SUPPORT_LIMIT:
        warnings.append(
            f"{res.n_treated_unmatched} treated units found no comparison unit within the caliper or "
            "exact cell and were left out."
        )
    if res.n_treated < 30 or res.n_control < 30:
        warnings.append(f"Few units ({res.n_treated} treated, {res.n_control} comparison): the estimate is imprecise.")
    res.warnings = warnings + res.warnings
    covs = ", ".join(res.settings["covariates"] + [f"{c} (exact)" for c in res.settings["exact"]])
    if res.method in ("did", "did-psm"):
        assumptions = [
            "Parallel trends: without the treatment, the outcome would have changed by the same amount in "
            "both groups" + (" with the same covariates" if res.method == "did-psm" else "") + ".",
            "No anticipation: the outcome before treatment is not already affected by it.",
        ]
    else:
        assumptions = [
            f"No unobserved confounding: given {covs}, who took part is as good as random. Anything that "
            "drives both participation and the outcome and is not among the covariates (motivation, "
            "health, the caseworker's judgement) biases the estimate.",
            "Overlap: treated units have comparable comparison units (see the overlap plot; units outside "
            "common support were left out).",
        ]
        assumptions.append(
            "The propensity model is right."
            if res.method in ("psm", "ipw")
            else "Either the propensity model or the outcome model is right (doubly robust)."
        )
    assumptions.append("No interference: one person's participation does not change another's outcome.")
    res.assumptions = assumptions
    binary = res.outcome_binary
    effect = fmt_effect(res.att, binary)
    ci = f"{fmt_effect(res.ci_low, binary)} to {fmt_effect(res.ci_high, binary)}"
    if res.ci_low > 0 or res.ci_high < 0:
        sure = "The 95 % confidence interval does not include zero."
    else:
        sure = "The 95 % confidence interval includes zero: the data do not rule out no effect."
    text = (
        f"By {METHOD_NAMES[res.method]}, the estimated effect of {res.treatment} on {res.outcome} for those "
        f"treated (ATT) is {effect} (95 % CI {ci}), from {res.n_treated} treated and {res.n_control} comparison "
        f"units. {sure} The naive difference between the groups, without adjustment, is "
        f"{fmt_effect(res.naive_difference, binary)}."
    )
    if res.ate is not None:
        text += f" The average effect over everyone in support (ATE) is {fmt_effect(res.ate, binary)}."
    if warnings:
        text += " Read the warnings before using this result."
    res.summary = text
