"""``pestrack attendance report``: the monthly attendance report of a referring social-services unit."""

from __future__ import annotations

from enum import Enum
from pathlib import Path

import typer

from pestrack.cli.console import err

app = typer.Typer(no_args_is_help=True)


class Format(str, Enum):
    pdf = "pdf"
    csv = "csv"


@app.command("report")
def report_cmd(
    month: str = typer.Option(..., help="The month, YYYY-MM"),
    unit: str = typer.Option(
        ..., help="Code of the referring social-services unit, a unit code of the profile's org_units.yaml"
    ),
    fmt: Format = typer.Option(Format.pdf, "--format", help="pdf or csv (semicolon-separated, UTF-8 with BOM)"),
    out: Path = typer.Option(..., "--out", help="The file to write"),
):
    """Days present and absent in measures of the participants UNIT referred with financial
    assistance, for MONTH. Protected identities are masked. Logged, naming every person in it."""
    from pestrack.records.audit.log import cli_actor
    from pestrack.records.casework.models import Enrolment
    from pestrack.records.org.models import OrgUnit
    from pestrack.reports import attendance

    try:
        first = attendance.parse_month(month)
    except ValueError as exc:
        err.print(f"[red]error:[/] --month: {exc}")
        raise typer.Exit(2)
    found = OrgUnit.objects.filter(code=unit).first()
    if found is None:
        err.print(f"[red]error:[/] --unit: no organisation unit with the code {unit!r}")
        raise typer.Exit(2)
    report = attendance.build(found, first, enrolments=Enrolment.objects.all())
    if fmt is Format.csv:
        out.write_bytes(attendance.to_csv(report))
    else:
        attendance.write_pdf(report, out)
    attendance.log_produced(report, actor=cli_actor(), actor_id=None, fmt=fmt.value, source="cli")
    err.print(
        f"attendance report {found.code} {first:%Y-%m}: {len(report.rows)} participations of "
        f"{len(report.person_ids)} persons written to {out}"
    )
