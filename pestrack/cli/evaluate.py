"""pestrack evaluate: a counterfactual impact estimate on a CSV/Parquet file or on the analytics tables."""

from __future__ import annotations

from pathlib import Path

import typer

from pestrack.cli.console import err
from pestrack.cli.console import out as console


def register(app: typer.Typer) -> None:
    @app.command("evaluate")
    def evaluate_cmd(
        data: Path = typer.Option(None, "--data", help="CSV or Parquet file, one row per unit"),
        measure: str = typer.Option(None, "--measure", help="Evaluate a measure on the analytics tables instead"),
        analytics: Path = typer.Option(
            Path("analytics"), "--analytics", help="Folder of analytics tables (with --measure)"
        ),
        treatment: str = typer.Option(None, "--treatment", help="Yes/no column: treated or not (with --data)"),
        outcome: str = typer.Option(
            ..., "--outcome", help="Outcome column (number or yes/no); with --measure e.g. work_or_studies_6m"
        ),
        covariates: str = typer.Option(
            None,
            "--covariates",
            help="Comma-separated covariates (with --measure: enrolment columns; default sex, age, education, ...)",
        ),
        exact: str = typer.Option(None, "--exact", help="Comma-separated covariates to match exactly on"),
        method: str = typer.Option("psm", "--method", help="psm, ipw, dr, did or did-psm"),
        pre_outcome: str = typer.Option(None, "--pre-outcome", help="Outcome before treatment (for did, did-psm)"),
        propensity_model: str = typer.Option("logistic", "--propensity", help="logistic or flexible (boosted trees)"),
        trim: str = typer.Option(
            "minmax", "--trim", help="Common support: minmax, none, or a number a: keep scores from a to 1-a"
        ),
        k: int = typer.Option(1, "--k", help="Comparison units per treated unit"),
        caliper: float = typer.Option(
            None, "--caliper", help="Largest match distance, in SDs of the logit score (0.2)"
        ),
        without_replacement: bool = typer.Option(False, "--without-replacement", help="Use each comparison unit once"),
        ci: str = typer.Option("auto", "--ci", help="auto, analytic or bootstrap"),
        bootstrap: str = typer.Option("fast", "--bootstrap", help="fast (see docs) or full (refit each replicate)"),
        replicates: int = typer.Option(200, "--replicates", help="Bootstrap replicates"),
        seed: int = typer.Option(1, "--seed", help="Seed of the bootstrap"),
        missing: str = typer.Option(
            None,
            "--missing",
            help="error or drop rows with missing values (default: error for --data, drop for --measure)",
        ),
        fmt: str = typer.Option("json", "--format", help="json or html"),
        out: Path = typer.Option(None, "--out", help="Write the report here (default: JSON to standard output)"),
    ):
        """Estimate the effect of a treatment (a measure) on an outcome against a comparable comparison group."""
        from pestrack.evaluation import report
        from pestrack.evaluation.data import EvaluationError
        from pestrack.evaluation.run import run_evaluation, split_list

        if fmt not in ("json", "html"):
            err.print(f"--format must be json or html, not {fmt!r}")
            raise typer.Exit(2)
        if fmt == "html" and out is None:
            err.print("--format html needs --out FILE")
            raise typer.Exit(2)
        try:
            trim_value = trim if trim in ("minmax", "none") else float(trim)
        except ValueError:
            err.print(f"--trim must be minmax, none or a number, not {trim!r}")
            raise typer.Exit(2) from None
        try:
            result = run_evaluation(
                data=data,
                measure=measure,
                analytics=analytics,
                treatment=treatment,
                outcome=outcome,
                covariates=split_list(covariates),
                exact=split_list(exact),
                pre_outcome=pre_outcome,
                missing=missing,
                method=method,
                propensity_model=propensity_model,
                trim=trim_value,
                k=k,
                caliper=caliper,
                replace=not without_replacement,
                ci=ci,
                bootstrap=bootstrap,
                replicates=replicates,
                seed=seed,
            )
        except EvaluationError as exc:
            err.print(f"error: {exc}", highlight=False, markup=False)
            raise typer.Exit(2) from None
        if out is None:
            print(report.to_json(result))
            return
        report.write(result, out, fmt)
        console.print(result.summary, highlight=False, markup=False)
        for warning in result.warnings:
            console.print(f"warning: {warning}", highlight=False, markup=False)
        console.print(f"written: {out}", highlight=False, markup=False)
