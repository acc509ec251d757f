"""pestrack indicators: validate the profile's indicator definitions and compute them."""

from __future__ import annotations

import os
from pathlib import Path

import typer
from rich.markup import escape

from pestrack.cli.console import err
from pestrack.cli.console import out as console

app = typer.Typer(no_args_is_help=True)


def _load(profile: str):
    from pestrack.indicators.definitions import DefinitionErrors, load_definitions

    try:
        return load_definitions(profile)
    except DefinitionErrors as exc:
        for line in exc.errors:
            typer.echo(line, err=True)  # unwrapped: one file:line message per line
        err.print(f"[red]{len(exc.errors)} error(s)[/] in the indicator definitions of {profile}")
        raise typer.Exit(1)
    except FileNotFoundError as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2)


@app.command("validate")
def validate_cmd(
    profile: str | None = typer.Option(
        None, "--profile", help="Profile name or folder (default: PESTRACK_PROFILE, else profiles/DEFAULT)"
    ),
):
    """Check every indicator definition against the analytics schema and the profile's code lists."""
    indicators = _load(profile)
    console.print(f"{len(indicators)} indicator definitions valid")


@app.command("list")
def list_cmd(
    profile: str | None = typer.Option(
        None, "--profile", help="Profile name or folder (default: PESTRACK_PROFILE, else profiles/DEFAULT)"
    ),
):
    """Every indicator of the profile, classified: computed from individual records (its analytics
    table) or reported from another source (its source)."""
    from rich.table import Table

    from pestrack.indicators.goals import load_reported

    computed = _load(profile)
    reported = load_reported(profile)
    table = Table("id", "kind", "table or source", "name")
    for ind in computed:
        table.add_row(ind.id, "computed", ind.population, escape(ind.name["sv"]))
    for ind in reported:
        table.add_row(ind.id, "reported", escape(ind.source), escape(ind.name["sv"]))
    console.print(table)
    console.print(f"{len(computed)} computed, {len(reported)} reported")


def require_engine(engine: str) -> None:
    """Exits 2 naming the engines when ``engine`` is none of them."""
    from pestrack.indicators.engines import ENGINES

    if engine not in ENGINES:
        err.print(f"[red]error:[/] unknown engine {engine!r}; engines are {', '.join(ENGINES)}")
        raise typer.Exit(2)


def engine_for(engine: str, data: Path, database_url: str | None, spark_master: str, **postgres):
    """The indicator engine by name over the tables in ``data`` (``postgres``: more arguments of the
    postgres engine, e.g. its schema), or exits 2 saying why it cannot run."""
    from pestrack.indicators.engines import ENGINES, EngineUnavailable

    require_engine(engine)
    try:
        if engine == "postgres":
            url = database_url or os.environ.get("PESTRACK_DATABASE_URL", "")
            if not url.startswith("postgres"):
                err.print(
                    "[red]error:[/] the postgres engine needs --database-url postgresql://… (or PESTRACK_DATABASE_URL)"
                )
                raise typer.Exit(2)
            return ENGINES[engine](data, url, **postgres)
        if engine == "spark":
            return ENGINES[engine](data, master=spark_master)
        return ENGINES[engine](data)
    except (FileNotFoundError, EngineUnavailable) as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(2)


@app.command("compute")
def compute_cmd(
    data: Path = typer.Option(..., "--data", help="Folder of analytics tables (Parquet)"),
    year: int = typer.Option(..., "--year"),
    period_code: str = typer.Option("VB", "--period", help="VB, T1, T2, Q1–Q4 or M01–M12"),
    engine: str = typer.Option("duckdb", "--engine", help="duckdb, postgres or spark"),
    out: Path = typer.Option(..., "--out", help="CSV file to write"),
    profile: str | None = typer.Option(
        None, "--profile", help="Profile name or folder (default: PESTRACK_PROFILE, else profiles/DEFAULT)"
    ),
    database_url: str = typer.Option(
        None, "--database-url", help="postgres engine: server to load the tables into (default PESTRACK_DATABASE_URL)"
    ),
    spark_master: str = typer.Option(
        "local[2]",
        "--spark-master",
        help="spark engine: local[N] (N cores of this machine) or a cluster's spark://host:port",
    ),
):
    """Compute every indicator with its breakdowns; one CSV row per indicator and breakdown value
    (unrounded and without small-cell suppression: the engine's working figures, not for publication;
    pestrack report annual publishes them)."""
    from pestrack.indicators.compute import compute, without_register_data, write_csv
    from pestrack.indicators.periods import period

    require_engine(engine)
    try:
        p = period(year, period_code)
    except ValueError as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2)
    indicators = _load(profile)
    runner = engine_for(engine, data, database_url, spark_master)
    try:
        with runner:
            results = compute(indicators, runner, p)
            missing = without_register_data(indicators, runner)
    except FileNotFoundError as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2)
    write_csv(results, out)
    console.print(f"{len(indicators)} indicators, {len(results)} rows for {p.label} written to {out}")
    for table in sorted({i.population for i in missing}):
        ids = ", ".join(i.id for i in missing if i.population == table)
        err.print(
            f"[yellow]note:[/] no {table}.parquet in {data} (a register table: pestrack analytics import "
            f"--table {table}); left out: {ids}"
        )
