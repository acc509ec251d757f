"""One evaluation from its options: a file, or the analytics tables for a measure (CLI and web)."""

from __future__ import annotations

from pathlib import Path


def split_list(text: str | None) -> list[str]:
    return [c.strip() for c in (text or "").split(",") if c.strip()]


def run_evaluation(
    *,
    data: Path | None,
    measure: str | None,
    analytics: Path,
    treatment: str | None,
    outcome: str,
    covariates: list[str],
    exact: list[str],
    pre_outcome: str | None,
    missing: str | None,
    outcomes=None,
    **options,
):
    """Load the data (a file, or the analytics tables for a measure) and estimate. Returns the Result.
    ``outcomes``: with a measure, a table of outcomes measured elsewhere (analytics.measure_table)."""
    from pestrack.evaluation import analytics as from_analytics
    from pestrack.evaluation.data import EvaluationError, load, prepare
    from pestrack.evaluation.estimators import evaluate

    if (data is None) == (measure is None):
        raise EvaluationError("give either --data FILE or --measure NAME (with --analytics DIR)")
    if data is not None:
        if not treatment:
            raise EvaluationError("--treatment COLUMN is needed with --data")
        ds = load(
            data,
            treatment=treatment,
            outcome=outcome,
            covariates=covariates,
            exact=exact,
            pre_outcome=pre_outcome,
            missing=missing or "error",
        )
    else:
        assert measure is not None  # exactly one of data and measure, checked above
        if pre_outcome:
            raise EvaluationError(
                "--pre-outcome is for --data files: the analytics tables have no outcome before the measure"
            )
        table = from_analytics.measure_table(analytics, measure, outcome, covariates or None, outcomes=outcomes)
        cov = covariates or from_analytics.DEFAULT_COVARIATES
        # follow-ups with an unknown status are common in register data: dropped and counted by default
        ds = prepare(
            table,
            treatment="treated",
            outcome=outcome,
            covariates=cov,
            exact=exact,
            missing=missing or "drop",
            source=f"{analytics} (measure {measure})",
        )
        ds.treatment_name = f"participation in {measure}"
    return evaluate(ds, **options)
