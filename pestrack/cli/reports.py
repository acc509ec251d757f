"""pestrack report: published reports (the annual report and the tertial reports)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import typer

from pestrack.cli.console import err
from pestrack.cli.console import out as console

app = typer.Typer(no_args_is_help=True)


@app.command("annual")
def annual_cmd(
    year: int = typer.Option(..., "--year"),
    period_code: str = typer.Option("VB", "--period", help="VB (the year), T1 or T2"),
    lang: str = typer.Option("sv", "--lang", help="sv or en"),
    fmt: str = typer.Option("html", "--format", help="html, pdf, xlsx or csv"),
    data: Path = typer.Option(
        None, "--data", help="Folder of analytics tables (Parquet); default: extract them from the database"
    ),
    out: Path = typer.Option(..., "--out", help="File to write"),
    profile: str | None = typer.Option(
        None, "--profile", help="Profile name or folder (default: PESTRACK_PROFILE, else profiles/DEFAULT)"
    ),
    suppress_below: int = typer.Option(
        None,
        "--suppress-below",
        min=0,
        help="Small-cell suppression: counts under N shown as <N, shares "
        "of fewer than N rows withheld (default: the setting "
        "PESTRACK_SUPPRESS_BELOW, else the profile's "
        "disclosure.suppress_below; 0 = off)",
    ),
    csv_comma: bool = typer.Option(
        False,
        "--csv-comma",
        help="CSV separated by commas (default for --lang sv: semicolons "
        "and a byte-order mark, as Swedish Excel opens it)",
    ),
    lmi_data: Path = typer.Option(
        None,
        "--lmi-data",
        help="Folder of the contract-event tables (pestrack lmi import / lmi synth): adds the durability of work "
        "after an exit and the stored comparison with a matched group (default: the setting PESTRACK_LMI_DIR; "
        "neither: no such section)",
    ),
):
    """The goals with their indicator tables, fulfilment, analyses and activities; with contract
    events (--lmi-data), the durability of work after an exit."""
    from pestrack.indicators.definitions import DefinitionErrors
    from pestrack.reports.annual import build, data_years
    from pestrack.reports.writers import WRITERS

    problems = [
        f"{name} {value!r} is not one of {', '.join(allowed)}"
        for name, value, allowed in (
            ("--period", period_code.upper(), ("VB", "T1", "T2")),
            ("--lang", lang, ("sv", "en")),
            ("--format", fmt, tuple(WRITERS)),
        )
        if value not in allowed
    ]
    from django.conf import settings

    if lmi_data is None and settings.PESTRACK_LMI_DIR:
        lmi_data = Path(settings.PESTRACK_LMI_DIR)
    if lmi_data is not None and not lmi_data.is_dir():
        problems.append(f"--lmi-data {lmi_data}: no such folder")
    if problems:
        err.print(f"[red]error:[/] {'; '.join(problems)}")
        raise typer.Exit(2)
    try:
        if suppress_below is None:
            from pestrack.indicators.disclosure import threshold

            suppress_below = threshold(profile, settings.PESTRACK_SUPPRESS_BELOW)

        def report_of(folder: Path):
            years = data_years(folder)
            if year not in years:
                err.print(
                    f"[red]error:[/] --year {year}: there is no data for that year; the data has "
                    f"{', '.join(map(str, years)) or 'no years at all (no enrolments)'}"
                )
                raise typer.Exit(2)
            given = None
            if lmi_data is not None:  # reports never imports lmi: the durability is handed over as data
                from pestrack.indicators.periods import period
                from pestrack.lmi.durability import durability, stored_comparisons
                from pestrack.reports.durability import gather

                given = gather(period(year, period_code), lmi_data, folder, durability, stored_comparisons)
            return build(year, period_code, folder, profile, suppress_below=suppress_below, durability=given)

        if data is None:
            from pestrack.analytics.extract import extract

            with tempfile.TemporaryDirectory(prefix="pestrack-report-") as tmp:
                extract(Path(tmp))
                report = report_of(Path(tmp))
        else:
            report = report_of(data)
    except DefinitionErrors as exc:
        for line in exc.errors:
            typer.echo(line, err=True)
        err.print(f"[red]{len(exc.errors)} error(s)[/] in the profile {profile}")
        raise typer.Exit(1)
    except (FileNotFoundError, ValueError) as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2)
    if fmt == "csv":
        WRITERS[fmt](report, out, lang, comma=csv_comma)
    else:
        WRITERS[fmt](report, out, lang)
    console.print(
        f"{report.period.label}: {len(report.goals.goals)} goals, {len(report.rows)} indicator rows written to {out}"
    )
    if not report.complete:
        err.print(f"[yellow]note:[/] {report.incomplete_note('en')}")
    if report.durability is not None:
        section = report.durability
        if section.missing:
            err.print(f"[yellow]note:[/] durability of work after an exit: {section.missing_line('en')}")
        else:
            assert section.known_on is not None
            console.print(
                f"durability of work after an exit as known on {section.known_on.isoformat()}: "
                f"{len(section.groups)} groups, {len(section.compared)} measures compared with a matched group",
                markup=False,
            )
