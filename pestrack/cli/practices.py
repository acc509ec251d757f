"""`pestrack practices`: check the practice catalogue, export and import a unit's self-assessment
(docs/practices.md)."""

from __future__ import annotations

from pathlib import Path

import typer

from pestrack.cli.console import err

app = typer.Typer(no_args_is_help=True)


def _fail(message: str) -> None:
    err.print(f"error: {message}", highlight=False, markup=False)
    raise typer.Exit(2)


def _unit(code: str | None):
    from pestrack.records.org.models import OrgUnit

    if code:
        unit = OrgUnit.objects.filter(code=code).first()
        if unit is None:
            _fail(f"--unit {code!r} is not a unit code")
        return unit
    top = list(OrgUnit.objects.filter(parent__isnull=True))
    if len(top) != 1:
        _fail("give --unit CODE: the organisation has no single top unit")
    return top[0]


@app.command("check")
def check_cmd(profile: str = typer.Option(None, help="Profile name or folder (default: PESTRACK_PROFILE)")):
    """Check the shared practice catalogue and the profile's own practices (file and line of any error)."""
    from pestrack.benchlearning import practices

    try:
        found = practices.catalogue(profile)
    except practices.PracticeError as exc:
        _fail(str(exc))
    shared = len(practices.read_file(practices.shared_file()))
    print(f"{len(found)} practices: {shared} shared, {len(found) - shared} of the profile")


@app.command("export")
def export_cmd(
    out: Path = typer.Option(..., "--out", help="The YAML file to write"),
    unit: str = typer.Option(None, "--unit", help="Unit code (default: the top unit)"),
    short: bool = typer.Option(False, "--short", help="Only practice id -> status"),
):
    """Write a unit's self-assessment as YAML (practice id -> status, notes, measures, who and when);
    with --short only practice id -> status, the form `pestrack benchlearning export --practices`
    reads today."""
    from django.conf import settings

    from pestrack.analytics.output import write_atomic
    from pestrack.benchlearning import practices
    from pestrack.records.audit.log import cli_actor, record
    from pestrack.records.practices import rules

    u = _unit(unit)
    rows = practices.assessment_rows(u)
    if short:
        import yaml

        write_atomic(out, yaml.safe_dump({r.practice: r.status for r in rows}, sort_keys=True))
    else:
        write_atomic(out, practices.write_assessment(rows, pes=settings.PESTRACK_PROFILE, unit=u.code))
    record(cli_actor(), "export", object_type=rules.WHAT, detail=f"unit={u.code} to {out.name}", source="cli")
    print(f"{len(rows)} practices of {u.code} written to {out}")


@app.command("import")
def import_cmd(
    data: Path = typer.Argument(..., help="A self-assessment YAML file (practice id -> status, notes, measures)"),
    unit: str = typer.Option(None, "--unit", help="Unit code (default: the file's unit, else the top unit)"),
):
    """Store a unit's self-assessment from a file: all practices or none; a practice already assessed
    is replaced. Each change is written to the access log."""
    from django.core.exceptions import ValidationError

    from pestrack.benchlearning import practices
    from pestrack.records.practices import rules

    if not data.exists():
        _fail(f"{data}: no such file")
    try:
        sheet = practices.read_assessment(data)
    except practices.PracticeError as exc:
        _fail(f"nothing stored; {exc}")
    u = _unit(unit or sheet.unit or None)
    for r in sheet.rows:  # every measure code known, before anything is written
        try:
            rules.measure_codes(r.measures)
        except ValidationError as exc:
            _fail(f"nothing stored; {data}:{r.line}: practice {r.practice!r}: {' '.join(exc.messages)}")
    changes = [rules.Change(r.practice, r.status, r.notes, r.measures) for r in sheet.rows]
    try:
        n = rules.save(None, u, changes, source="cli")
    except ValidationError as exc:
        _fail(f"nothing stored; {data}: {' '.join(exc.messages)}")
    print(f"{n} practices of {u.code} stored")
