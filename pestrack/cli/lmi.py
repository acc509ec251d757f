"""pestrack lmi: labour-market information (docs/lmi.md): import contract events, generate a
synthetic regional labour market, compute the flows and stocks, durability after a PES exit."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer
from rich.markup import escape

from pestrack.cli.console import err
from pestrack.cli.console import out as console
from pestrack.cli.indicators import engine_for

app = typer.Typer(no_args_is_help=True)


@app.command("import")
def import_cmd(
    file: Path = typer.Argument(..., help="CSV (UTF-8 or Windows-1252, ',' or ';'), XLSX or Parquet file"),
    data: Path = typer.Option(..., "--data", help="Folder of the contract-event tables"),
    rejects: Path = typer.Option(None, "--rejects", help="Where to write rejected rows (default FILE.rejects.csv)"),
    profile: str | None = typer.Option(
        None, "--profile", help="Profile name or folder (default: PESTRACK_PROFILE, else profiles/DEFAULT)"
    ),
):
    """Import employers' contract-event communications (docs/import-formats.md, "Contract events")."""
    from pestrack.lmi.importing import import_events
    from pestrack.records.importing.reader import FileRefused

    try:
        result = import_events(file, data, profile=profile, rejects_path=rejects)
    except FileRefused as exc:
        console.print(f"[red]refused:[/] {escape(str(exc))}; nothing was imported")
        console.print("imported 0, unchanged 0, rejected 0", markup=False)
        raise typer.Exit(2)
    for line, column, value, reason in result.problems:
        console.print(f"{file}:{line}: {column}: {reason}", markup=False)
    if result.rejected:
        console.print(
            f"{result.rejected} rejected rows are in {result.rejects_path}: fix them there and import that file.",
            markup=False,
        )
    console.print(result.summary(), markup=False)
    raise typer.Exit(1 if result.rejected else 0)


@app.command("synth", context_settings={"allow_extra_args": True})
def synth_cmd(
    ctx: typer.Context,
    out: Path = typer.Option(..., "--out", help="Folder to write the contract-event tables into"),
    years: list[int] = typer.Option(..., "--years", help="Years to generate: --years 2021 2022 2023"),
    scale: float = typer.Option(1.0, "--scale", help="1 = the labour market the profile's lmi/synth.yaml describes"),
    seed: int = typer.Option(1, "--seed"),
    profile: str | None = typer.Option(
        None, "--profile", help="Profile name or folder (default: PESTRACK_PROFILE, else profiles/DEFAULT)"
    ),
    participants: Path = typer.Option(
        None, "--participants", help="Analytics tables of `pestrack synth --out DIR`: their exits to work get hires"
    ),
):
    """A synthetic regional labour market: contract events and positions (docs/lmi.md)."""
    from pestrack.lmi import synth

    extra = [a for a in ctx.args if not a.isdigit()]
    if extra:
        err.print(f"[red]error:[/] unexpected argument {escape(' '.join(extra))}")
        raise typer.Exit(2)
    years = sorted(set(years) | {int(a) for a in ctx.args})  # --years 2021 2022 2023
    try:
        rows = synth.write(out, profile, years, scale=scale, seed=seed, participants=participants)
    except (ValueError, FileNotFoundError) as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(2)
    console.print(f"contract-event tables in {out}: " + ", ".join(f"{t} {n:,}" for t, n in rows.items()))


@app.command("compute")
def compute_cmd(
    data: Path = typer.Option(..., "--data", help="Folder of the contract-event tables"),
    first: str = typer.Option(..., "--from", help="First month, YYYY-MM"),
    last: str = typer.Option(..., "--to", help="Last month, YYYY-MM"),
    known_on: str = typer.Option(None, "--known-on", help="Knowledge date YYYY-MM-DD (default: the data's last day)"),
    engine: str = typer.Option("duckdb", "--engine", help="duckdb, postgres or spark"),
    out: Path = typer.Option(..., "--out", help="CSV file to write"),
    profile: str | None = typer.Option(
        None, "--profile", help="Profile name or folder (default: PESTRACK_PROFILE, else profiles/DEFAULT)"
    ),
    database_url: str = typer.Option(None, "--database-url", help="postgres engine: server to load the tables into"),
    spark_master: str = typer.Option("local[2]", "--spark-master", help="spark engine: local[N] or spark://host:port"),
):
    """Flows and stocks for every month, quarter and year from --from to --to, as known on a date."""
    from pestrack.indicators.definitions import DefinitionErrors
    from pestrack.reports import lmi

    try:
        day = dt.date.fromisoformat(known_on) if known_on else None
        lmi.periods(first, last)
    except ValueError as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(2)
    runner = engine_for(engine, data, database_url, spark_master, schema="pestrack_lmi")
    try:
        with runner:
            results, used = lmi.figures(runner, data, first, last, known_on=day, profile=profile)
    except lmi.OutsideData as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(2)
    except DefinitionErrors as exc:
        for line in exc.errors:
            typer.echo(line, err=True)
        raise typer.Exit(1)
    lmi.write_csv(results, out)
    console.print(f"{len(results)} rows for {first} to {last}, as known on {used.isoformat()}, written to {out}")


def register(app_: typer.Typer) -> None:
    app_.add_typer(app, name="lmi", help="Labour-market information: contract events, flows, stocks, durability.")


@app.command("durability")
def durability_cmd(
    data: Path = typer.Option(..., "--data", help="Folder of the contract-event tables"),
    participants: Path = typer.Option(..., "--participants", help="Folder of the PES analytics tables (exits, …)"),
    known_on: str = typer.Option(..., "--known-on", help="Knowledge date YYYY-MM-DD"),
    out: Path = typer.Option(..., "--out", help="CSV file to write"),
    compare: list[str] = typer.Option(
        [], "--compare", help="A measure whose exits to work are compared with a matched group (repeatable)"
    ),
    horizon: int = typer.Option(12, "--horizon", help="Months after the exit for --compare"),
):
    """Durability of work after a PES exit, the first employment's survival and the pathways; with
    --compare, the same for a matched comparison group (pestrack evaluate's matching)."""
    import csv

    from pestrack.evaluation.data import EvaluationError
    from pestrack.lmi import durability
    from pestrack.records.spreadsheet import safe_row
    from pestrack.reports import lmi

    try:
        day = dt.date.fromisoformat(known_on)
        rows = durability.table(data, participants, day, lmi.covered_from(data))
        for c in comparisons(data, participants, day, compare, horizon):
            rows += [
                ("compared_measure", c["horizon"], "measure", c["measure"], c["treated"], c["n_treated"]),
                ("compared_matched", c["horizon"], "measure", c["measure"], c["matched"], c["n_control"]),
                ("compared_difference", c["horizon"], "measure", c["measure"], c["difference"], c["n_treated"]),
                ("compared_difference_low", c["horizon"], "measure", c["measure"], c["low"], None),
                ("compared_difference_high", c["horizon"], "measure", c["measure"], c["high"], None),
            ]
    except (ValueError, FileNotFoundError, EvaluationError) as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(2)
    with open(out, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(durability.CSV_COLUMNS)
        for r in rows:
            w.writerow(safe_row(["" if v is None else v for v in r]))
    console.print(
        f"{len(rows)} rows of durability, survival and pathways as known on {day.isoformat()} written to {out}"
    )


@app.command("shortages")
def shortages_cmd(
    registers: Path = typer.Option(
        ..., "--registers", help="Folder with the vacancies, jobseeker_occupations and course_results tables"
    ),
    first: str = typer.Option(..., "--from", help="First month, YYYY-MM"),
    last: str = typer.Option(..., "--to", help="Last month, YYYY-MM"),
    out: Path = typer.Option(..., "--out", help="CSV file to write"),
    data: Path = typer.Option(None, "--data", help="Folder of the contract-event tables (adds the hires)"),
    known_on: str = typer.Option(None, "--known-on", help="Knowledge date of the contract events YYYY-MM-DD"),
    profile: str | None = typer.Option(
        None, "--profile", help="Profile name or folder (default: PESTRACK_PROFILE, else profiles/DEFAULT)"
    ),
):
    """Shortages by occupation group: positions on offer against job-seekers seeking the occupation,
    and whether the training bought for it meets the gap (docs/lmi.md, "Shortages")."""
    import csv

    from pestrack.lmi import shortages
    from pestrack.records.spreadsheet import safe_row
    from pestrack.reports import lmi

    try:
        ps = lmi.periods(first, last)
        start, end = ps[0].start, max(p.end for p in ps)
        day = dt.date.fromisoformat(known_on) if known_on else None
        rows = shortages.shortages(registers, start, end, data=data, known_on=day, profile=profile)
    except (ValueError, FileNotFoundError) as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(2)
    with open(out, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(shortages.CSV_COLUMNS)
        for r in shortages.csv_rows(rows):
            w.writerow(safe_row(["" if v is None else v for v in r]))
    unmet = [r.group for r in rows if r.verdict == "not_met"]
    console.print(
        f"{len(rows)} occupation groups, {start.isoformat()} to {end.isoformat()}, written to {out}; "
        f"training does not meet the shortage in: {', '.join(unmet) or 'none'}"
    )


def comparisons(data: Path, participants: Path, known_on: dt.date, measures: list[str], horizon: int) -> list[dict]:
    """For each measure: of the exits to work, the share in work ``horizon`` months later among those
    who took part in the measure and among a matched comparison group who did not (propensity-score
    matching of pestrack.evaluation on the enrolments' covariates), the difference in percentage
    points with its 95 % interval. The outcome is from the contract events (lmi.durability.outcomes),
    for the exits from the first day they cover (an earlier hire was never communicated), as the
    annual report's durability counts them."""
    from pestrack.evaluation.run import run_evaluation
    from pestrack.lmi import durability
    from pestrack.reports import lmi

    if horizon not in durability.HORIZONS:
        raise ValueError(f"--horizon must be one of {', '.join(map(str, durability.HORIZONS))}, not {horizon}")
    if not measures:
        return []
    outcomes = durability.outcomes(data, participants, known_on, lmi.covered_from(data))
    out = []
    for measure in measures:
        r = run_evaluation(
            data=None,
            measure=measure,
            analytics=participants,
            treatment=None,
            outcome=f"employed_{horizon}m",
            covariates=[],
            exact=[],
            pre_outcome=None,
            missing=None,
            outcomes=outcomes,
            method="psm",
        )
        out.append(
            {
                "measure": measure,
                "horizon": horizon,
                "treated": 100 * r.treated_mean,
                "matched": 100 * r.control_mean,
                "difference": 100 * r.att,
                "low": 100 * r.ci_low,
                "high": 100 * r.ci_high,
                "n_treated": r.n_treated,
                "n_control": r.n_control,
            }
        )
    return out


@app.command("compare")
def compare_cmd(
    data: Path = typer.Option(..., "--data", help="Folder of the contract-event tables (the result is kept there)"),
    participants: Path = typer.Option(..., "--participants", help="Folder of the PES analytics tables (exits, …)"),
    measures: list[str] = typer.Option(..., "--measure", help="A measure to compare with a matched group (repeatable)"),
    known_on: str = typer.Option(None, "--known-on", help="Knowledge date YYYY-MM-DD (default: the data's last day)"),
    horizon: int = typer.Option(12, "--horizon", help="Months after the exit"),
):
    """Compare each measure's exits to work with a matched group (as in the bulletin) and keep the
    result beside the contract events (DATA/comparisons.json), where the observatory's pages and the
    annual report show it."""
    from pestrack.evaluation.data import EvaluationError
    from pestrack.lmi import durability
    from pestrack.reports import lmi

    try:
        covers = lmi.coverage(data)
        if known_on:
            day = dt.date.fromisoformat(known_on)
        elif covers:
            day = covers[1]
        else:
            raise ValueError(f"{data}: the data do not say what they cover; give --known-on")
        rows = comparisons(data, participants, day, measures, horizon)
    except (ValueError, FileNotFoundError, EvaluationError) as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(2)
    path = durability.store_comparisons(data, day, horizon, rows, lmi.covered_from(data))
    for c in rows:
        console.print(
            f"{c['measure']}: in work after {horizon} months {c['treated']:.1f} % against {c['matched']:.1f} % "
            f"matched, difference {c['difference']:.1f} pp ({c['low']:.1f} to {c['high']:.1f}), "
            f"{c['n_treated']} exits",
            markup=False,
        )
    console.print(f"as known on {day.isoformat()}, kept in {path}", markup=False)


@app.command("bulletin")
def bulletin_cmd(
    month: str = typer.Option(..., "--month", help="The month, YYYY-MM"),
    data: Path = typer.Option(..., "--data", help="Folder of the contract-event tables"),
    fmt: str = typer.Option("html", "--format", help="html or pdf"),
    lang: str = typer.Option("sv", "--lang", help="sv or en"),
    known_on: str = typer.Option(None, "--known-on", help="Knowledge date YYYY-MM-DD (default: the data's last day)"),
    out: Path = typer.Option(..., "--out", help="File to write"),
    profile: str | None = typer.Option(
        None, "--profile", help="Profile name or folder (default: PESTRACK_PROFILE, else profiles/DEFAULT)"
    ),
    participants: Path = typer.Option(
        None, "--participants", help="Folder of the PES analytics tables: adds the durability of exits to work"
    ),
    compare: list[str] = typer.Option(
        [], "--compare", help="With --participants: a measure whose exits are compared with a matched group"
    ),
    horizon: int = typer.Option(12, "--horizon", help="Months after the exit for --compare"),
):
    """The monthly labour-market bulletin: the month's published figures with definitions, source,
    knowledge date and revision note (docs/lmi.md); with --participants, the durability of work after
    a PES exit and, with --compare, whether a measure's exits last longer than a matched group's."""
    from pestrack.reports import lmi, lmi_bulletin

    if fmt not in ("html", "pdf") or lang not in ("sv", "en"):
        err.print("[red]error:[/] --format is html or pdf, --lang sv or en")
        raise typer.Exit(2)
    try:
        day = dt.date.fromisoformat(known_on) if known_on else None
        lmi.month(month)
    except ValueError as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(2)
    runner = engine_for("duckdb", data, None, "")
    try:
        with runner:
            bulletin = lmi_bulletin.build(runner, data, month, profile, known_on=day)
        if participants is not None:
            from pestrack.lmi import durability

            bulletin.durability = [
                (s.horizon, s.exits, s.employed)
                for s in durability.durability(data, participants, bulletin.known_on, lmi.covered_from(data))
                if s.breakdown == "total"
            ]
            bulletin.comparisons = comparisons(data, participants, bulletin.known_on, compare, horizon)
    except (lmi.OutsideData, ValueError, FileNotFoundError) as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(2)
    if fmt == "html":
        out.write_text(lmi_bulletin.render_html(bulletin, lang), encoding="utf-8")
    else:
        lmi_bulletin.write_pdf(bulletin, out, lang)
    console.print(f"bulletin for {month}, as known on {bulletin.known_on.isoformat()}, written to {out}")
