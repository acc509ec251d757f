"""pestrack analytics: the pseudonymised analytics tables."""

from __future__ import annotations

from pathlib import Path

import typer

from pestrack.cli.console import out as console

app = typer.Typer(no_args_is_help=True)


@app.command("extract")
def extract_cmd(
    out: Path = typer.Option(..., "--out", help="Folder for the Parquet files and manifest.json"),
    table: list[str] = typer.Option(None, "--table", help="Only these tables (repeat); default all"),
):
    """Derive the pseudonymised analytics tables (Parquet) from the records database."""
    from pestrack.analytics.extract import extract
    from pestrack.analytics.schema import BY_NAME

    unknown = [t for t in table or [] if t not in BY_NAME]
    if unknown:
        console.print(f"[red]error:[/] unknown table {', '.join(unknown)}; tables are {', '.join(BY_NAME)}")
        raise typer.Exit(2)
    result = extract(out, table or None)
    for name, rows in result.written.items():
        console.print(f"{name:16} {rows:>10,} rows  written")
    for name, rows in result.unchanged.items():
        console.print(f"{name:16} {rows:>10,} rows  unchanged")
    for name in result.stale:
        console.print(
            f"[yellow]warning:[/] {name}.parquet has person keys of an older format (32 hex digits); "
            f"it no longer matches the other tables: import its register file again "
            f"(pestrack analytics import --table {name} FILE --out {out})"
        )


@app.command("schema")
def schema_cmd():
    """Print the analytics schema as Markdown (the source of docs/analytics-schema.md)."""
    from pestrack.analytics.schema import render_markdown

    print(render_markdown())


@app.command("import")
def import_cmd(
    file: Path = typer.Argument(..., help="CSV (comma, semicolon or tab separated, UTF-8) or Parquet file"),
    table: str = typer.Option(..., "--table", help="Register table: course_results or education_followups"),
    out: Path = typer.Option(..., "--out", help="Folder of analytics tables to put it in"),
):
    """Import a register file (course results, education follow-ups) into the analytics tables,
    pseudonymising identity numbers; nothing is written unless every row is valid."""
    from pestrack.analytics.registers import RegisterError, import_register

    try:
        n = import_register(file, table, out)
    except RegisterError as exc:
        for line in exc.errors:
            typer.echo(line, err=True)
        console.print(f"[red]{len(exc.errors)} error(s)[/]: nothing was imported")
        raise typer.Exit(1)
    console.print(f"{table}: {n:,} rows imported into {out}")
