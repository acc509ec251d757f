"""``pestrack person export`` (register extract, GDPR art. 15) and ``pestrack retention apply``."""

from __future__ import annotations

import datetime as dt
import json
from enum import Enum
from pathlib import Path

import typer

from pestrack.cli.console import err
from pestrack.cli.console import out as console

person_app = typer.Typer(no_args_is_help=True)
retention_app = typer.Typer(no_args_is_help=True)


class ExportFormat(str, Enum):
    json = "json"
    html = "html"


def find_person(key: str):
    """A person by id, or by identity number (YYYYMMDD-NNNN, YYMMDD-NNNN) through the look-up hash."""
    from pestrack.records.people.identity import InvalidIdentityNumber
    from pestrack.records.people.models import Person

    key = key.strip()
    if key.isdigit() and len(key) < 10:
        return Person.objects.filter(pk=int(key)).first()
    try:
        return Person.find_by_identity_number(key)
    except InvalidIdentityNumber as exc:
        err.print(f"[red]error:[/] {exc} (give a person id or an identity number)")
        raise typer.Exit(2)


@person_app.command("export")
def export_cmd(
    person: str = typer.Argument(..., help="Person id or identity number"),
    fmt: ExportFormat = typer.Option(ExportFormat.json, "--format", help="json or html"),
    out: Path | None = typer.Option(None, "--out", help="Write to this file instead of the screen"),
    language: str = typer.Option("sv", help="Language of the HTML document: sv or en"),
):
    """Everything stored about a person (register extract under GDPR article 15). The export is logged."""
    from pestrack.records.audit.log import cli_actor, record
    from pestrack.records.people.export import person_extract, render_extract_html

    found = find_person(person)
    if found is None:
        err.print("[red]error:[/] no such person")
        raise typer.Exit(1)
    extract = person_extract(found)
    if fmt is ExportFormat.html:
        text = render_extract_html(extract, language)
    else:
        text = json.dumps(extract, ensure_ascii=False, indent=2)
    record(
        cli_actor(),
        "export",
        person_id=found.pk,
        object_type="person",
        source="cli",
        detail=f"register extract ({fmt.value}{' to file' if out else ''})",
    )
    if out is None:
        typer.echo(text)
    else:
        out.write_text(text, encoding="utf-8")
        err.print(f"register extract of person {found.pk} written to {out}")


def _ids(ids: list[int]) -> str:
    return ", ".join(map(str, ids)) if ids else "none"


@retention_app.command("apply")
def apply_cmd(
    dry_run: bool = typer.Option(False, "--dry-run", help="List what would be done; change nothing"),
    today: dt.datetime | None = typer.Option(None, formats=["%Y-%m-%d"], help="Count retention from this date"),
):
    """Anonymise persons past the profile's retention period and purge old access-log entries."""
    from django.db import DatabaseError

    from pestrack.records import retention

    try:
        result = retention.apply(today.date() if today else None, dry_run=dry_run)
    except DatabaseError as exc:
        err.print(f"[red]error:[/] the database refused: {str(exc).strip().splitlines()[0]}; nothing was changed")
        raise typer.Exit(1)
    n, purge = len(result.person_ids), result.log
    if dry_run:
        console.print(f"would anonymise {n} person(s): {_ids(result.person_ids)}")
        console.print(f"would delete {result.documents} document(s) of theirs, with their files")
        console.print(f"would remove {purge.removed} access-log entries older than {purge.cutoff:%Y-%m-%d}")
        console.print("dry run: nothing was changed")
        return
    console.print(f"anonymised {n} person(s): {_ids(result.person_ids)}")
    console.print(f"deleted {result.documents} document(s) of theirs, with their files")
    console.print(
        f"removed {purge.removed} access-log entries older than {purge.cutoff:%Y-%m-%d}"
        + (f" (up to entry {purge.last_removed_id}; anchored)" if purge.removed else "")
    )


def register(app: typer.Typer) -> None:
    app.add_typer(person_app, name="person", help="A person's rights: the register extract.")
    app.add_typer(retention_app, name="retention", help="Anonymise old person records and purge old log entries.")
