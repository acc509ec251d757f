"""``pestrack profiling``: train a profiling model, audit it for fairness (JSON, or the model card as
HTML or PDF), simulate cut-off policies, and draw synthetic data with a known true risk
(docs/profiling.md)."""

from __future__ import annotations

from pathlib import Path

import typer

from pestrack.cli.console import err
from pestrack.cli.console import out as console

app = typer.Typer(no_args_is_help=True, add_completion=False)


def _fail(exc: Exception):
    err.print(f"error: {exc}", highlight=False, markup=False)
    raise typer.Exit(1)


def _settings(profile: str):
    from pestrack.profiling.settings import read

    return read(profile)


def _default_profile() -> str:
    from pestrack.records.codes.models import ProfileSetting
    from pestrack.records.codes.profile import default_profile

    try:
        return ProfileSetting.get("profile") or default_profile()
    except Exception:  # no database yet: the configured profile
        return default_profile()


def _model_and_data(model_dir: Path, data_dir: Path, profile: str | None):
    from pestrack.profiling import data as profiling_data
    from pestrack.profiling import model as profiling_model

    model = profiling_model.load(model_dir)
    settings = _settings(profile or model.meta["profile"])
    if settings.profile != model.meta["profile"]:
        from pestrack.profiling.settings import ProfilingError

        raise ProfilingError(
            f"the model in {model_dir} was trained on profile {model.meta['profile']!r}, not {settings.profile!r}"
        )
    data = profiling_data.load(data_dir, settings)
    profiling_data.check_compatible(data, model.meta["profile"], model.meta["schema_version"])
    return model, settings, data


@app.command("train")
def train_cmd(
    data: Path = typer.Option(..., "--data", help="Folder of analytics tables"),
    model: str = typer.Option("logistic", "--model", help="logistic (default) or boosting"),
    out: Path = typer.Option(..., "--out", help="Model folder to write"),
    profile: str = typer.Option(None, "--profile", help="Profile whose profiling.yaml declares target and inputs"),
    compare: bool = typer.Option(True, "--compare/--no-compare", help="Also fit the other kind for comparison"),
):
    """Train on the earlier cohorts and validate on the latest; writes MODEL_DIR/model.json."""
    from pestrack.profiling import data as profiling_data
    from pestrack.profiling.settings import ProfilingError
    from pestrack.profiling.train import train_to

    try:
        settings = _settings(profile or _default_profile())
        table = profiling_data.load(data, settings)
        m = train_to(out, table, settings, model, compare)
    except (ProfilingError, OSError) as exc:
        _fail(exc)
    v = m.meta["validation"]
    console.print(
        f"model {m.id} ({m.kind}) written to {out}: trained on {m.meta['training']['n']:,} enrolments "
        f"(cohorts {', '.join(map(str, m.meta['training']['cohorts']))}), validated on {v['n']:,} of {v['cohort']}: "
        f"AUC {v['auc']:.3f}, Brier {v['brier']:.3f}"
        + (f", true-risk AUC {v['auc_oracle']:.3f}" if v.get("auc_oracle") is not None else ""),
        highlight=False,
    )


@app.command("audit")
def audit_cmd(
    model: Path = typer.Option(..., "--model", help="Model folder"),
    data: Path = typer.Option(..., "--data", help="Folder of analytics tables"),
    fmt: str = typer.Option("json", "--format", help="json, or the model card as html or pdf"),
    out: Path = typer.Option(None, "--out", help="Write here (default: JSON to standard output)"),
    cutoff: float = typer.Option(None, "--cutoff", help="Cut-off (default: the profile's audit.cutoff)"),
    profile: str = typer.Option(None, "--profile", help="Profile (default: the model's)"),
):
    """Fairness audit by group (calibration, TPR/FPR, selection rate and ratio, NPV, with intervals).
    Also keeps the audit in MODEL_DIR/audit.json for the model card in the web application."""
    from pestrack.analytics import output
    from pestrack.profiling import card
    from pestrack.profiling.audit import audit
    from pestrack.profiling.settings import ProfilingError

    if fmt not in ("json", "html", "pdf"):
        err.print(f"--format must be json, html or pdf, not {fmt!r}")
        raise typer.Exit(2)
    if fmt != "json" and out is None:
        err.print(f"--format {fmt} needs --out FILE")
        raise typer.Exit(2)
    try:
        m, settings, table = _model_and_data(model, data, profile)
        result = audit(m, table, settings, cutoff)
        output.write_atomic(model / "audit.json", output.to_json(result))
        if fmt == "json":
            if out is None:
                typer.echo(output.to_json(result))
                return
            output.write_atomic(out, output.to_json(result))
        elif fmt == "html":
            output.write_atomic(out, card.to_html(m.meta, result, settings.approval))
        else:
            import io

            from pestrack.reports.pdf import write_blocks

            buf = io.BytesIO()
            write_blocks(card.title(m.meta), card.blocks(m.meta, result, settings.approval), buf)
            output.write_atomic(out, buf.getvalue())
    except (ProfilingError, OSError) as exc:
        _fail(exc)
    flags = len(result["flags"])
    console.print(
        f"audit written to {out}: AUC {result['auc']:.3f}, {len(result['groups'])} groups judged, "
        f"{len(result['too_small'])} too small, {flags} flag{'s' if flags != 1 else ''}",
        highlight=False,
    )


@app.command("policy", context_settings={"allow_extra_args": True, "ignore_unknown_options": False})
def policy_cmd(
    ctx: typer.Context,
    model: Path = typer.Option(..., "--model", help="Model folder"),
    data: Path = typer.Option(..., "--data", help="Folder of analytics tables"),
    cutoffs: list[float] = typer.Option(None, "--cutoffs", help="Cut-offs: --cutoffs 0.3 0.5 0.7"),
    top_k: list[int] = typer.Option(
        None, "--top-k", help="K per unit and month; repeat for more: --top-k 5 --top-k 10"
    ),
    out: Path = typer.Option(None, "--out", help="Write the JSON here (default: standard output)"),
    profile: str = typer.Option(None, "--profile", help="Profile (default: the model's)"),
):
    """For each cut-off and top-K rule: how many get intensive support, error rates and selection ratios per group."""
    from pestrack.analytics import output
    from pestrack.profiling.audit import policy
    from pestrack.profiling.settings import ProfilingError

    values = list(cutoffs or [])
    for extra in ctx.args:  # --cutoffs 0.3 0.5 0.7: the values after the first
        try:
            values.append(float(extra))
        except ValueError:
            err.print(f"--cutoffs: {extra!r} is not a number")
            raise typer.Exit(2) from None
    try:
        m, settings, table = _model_and_data(model, data, profile)
        result = policy(m, table, settings, values or [settings.cutoff], list(top_k or []))
    except (ProfilingError, OSError) as exc:
        _fail(exc)
    if out is None:
        typer.echo(output.to_json(result))
        return
    output.write_atomic(out, output.to_json(result))
    console.print(f"policy simulation of {len(result['rules'])} rules written to {out}", highlight=False)


@app.command("synth")
def synth_cmd(
    out: Path = typer.Option(..., "--out", help="Folder to write enrolments.parquet and profiling_truth.parquet"),
    enrolments: int = typer.Option(20_000, "--enrolments", help="How many enrolments"),
    seed: int = typer.Option(1, "--seed"),
    proxy: bool = typer.Option(False, "--proxy", help="Make the district a proxy for birth country"),
    profile: str | None = typer.Option(
        None, "--profile", help="Profile whose profiling_synth.yaml gives the codes (default: the configured one)"
    ),
):
    """Synthetic enrolments whose outcomes are drawn from a documented true risk (for audits and tests)."""
    from pestrack.records.codes.profile import ProfileError
    from pestrack.synth import profiling

    if enrolments < 1:
        err.print("--enrolments must be at least 1")
        raise typer.Exit(2)
    try:
        manifest = profiling.write(out, enrolments, seed=seed, proxy=proxy, profile=profile)
    except ProfileError as exc:
        err.print(str(exc), markup=False)
        raise typer.Exit(2) from None
    console.print(
        f"{enrolments:,} synthetic enrolments with their true risk in {out} (as of {manifest['synthetic']['as_of']})",
        highlight=False,
    )
