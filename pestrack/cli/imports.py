"""``pestrack import FILE --kind KIND``: bulk import (see docs/import-formats.md).

Exit code 0 when every row was imported (new, updated or unchanged), 1 when any row was rejected,
2 when the file as a whole was refused. The last line is always ``imported N, unchanged N, rejected N``.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn
from rich.table import Table

app = typer.Typer(
    invoke_without_command=True,
    add_completion=False,
    subcommand_metavar="",
    context_settings={"allow_interspersed_args": True},
)


class KindName(str, Enum):
    persons = "persons"
    enrolments = "enrolments"
    participations = "participations"
    exits = "exits"
    followups = "followups"
    employers = "employers"
    places = "places"
    placements = "placements"
    match_profiles = "match_profiles"


@app.callback()
def import_file(
    file: Path = typer.Argument(..., help="CSV (UTF-8 or Windows-1252, ',' or ';') or XLSX file"),
    kind: KindName = typer.Option(..., "--kind", help="What the file holds"),
    rejects: Path = typer.Option(None, "--rejects", help="Where to write rejected rows (default FILE.rejects.csv)"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar"),
    show: int = typer.Option(20, "--show", help="How many rejected rows to list on screen"),
    jobs: int = typer.Option(
        None,
        "--jobs",
        min=1,
        max=2,
        help="1: check the file, then write; 2: check in a second process while writing "
        "(default: 2 for files of 20,000 rows or more on a machine with two cores)",
    ),
):
    """Import persons, enrolments, participations, exits or follow-ups from a file."""
    from pestrack.records.importing.engine import run_import
    from pestrack.records.importing.reader import FileRefused

    out = Console(highlight=False, soft_wrap=True)
    progress = Progress(
        TextColumn("{task.description:9}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        disable=quiet,
        transient=True,
    )
    tasks: dict[str, int] = {}

    def report(phase: str, done: int, total: int) -> None:
        if phase not in tasks:
            tasks[phase] = progress.add_task(phase, total=total)
        progress.update(tasks[phase], completed=done, total=total)

    try:
        with progress:
            result = run_import(file, kind.value, rejects_path=rejects, progress=report, jobs=jobs)
    except FileRefused as exc:
        out.print(f"[red]refused:[/] {exc}; nothing was imported")
        out.print("imported 0, unchanged 0, rejected 0", markup=False)
        raise typer.Exit(2)
    if result.rejected:
        table = Table(title=f"rejected rows of {file} (first {min(show, len(result.problems))} problems)")
        for name in ("line", "column", "value", "reason"):
            table.add_column(name, overflow="fold")
        for line, column, value, reason in result.problems[:show]:
            table.add_row(str(line), column, value, reason)
        out.print(table)
        out.print(
            f"{result.rejected} rejected rows are in {result.rejects_path}: fix them there and import that file.",
            markup=False,
        )
    out.print(result.summary(), markup=False)
    raise typer.Exit(1 if result.rejected else 0)
