"""``pestrack audit verify`` and ``pestrack audit search`` (the data protection officer's loggkontroll)."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import sys
from enum import Enum
from pathlib import Path

import typer
from rich.table import Table

from pestrack.cli.console import err
from pestrack.cli.console import out as console
from pestrack.records.spreadsheet import safe_row

app = typer.Typer(no_args_is_help=True)

FIELDS = ["id", "at", "actor", "action", "person_id", "object_type", "object_id", "detail", "source"]
DATE_FORMATS = ["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M"]


class Format(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"


@app.command("verify")
def verify_cmd(
    head: str = typer.Option("", help="A head hash recorded earlier: checks that no newer entries were removed"),
    anchors: Path = typer.Option(
        None,
        "--anchors",
        help="A file of anchors written by `pestrack audit anchor`: checks that no entry up to each anchor has changed",
    ),
):
    """Recompute the access log's hash chain; exit 0 when intact, 1 when not (2: unreadable anchors)."""
    from pestrack.records.audit.log import read_anchors, verify

    try:
        known = read_anchors(anchors) if anchors else []
    except (OSError, ValueError) as exc:
        err.print(f"error: {exc}")
        raise typer.Exit(2)
    result = verify(expected_head=head or None, anchors=known)
    console.print(f"entries checked: {result.checked}")
    if anchors:
        console.print(
            f"anchors checked: {result.anchors_checked} of {len(known)}"
            + (f" ({result.anchors_purged} older than the last retention purge)" if result.anchors_purged else "")
        )
    if result.started_after_purge:
        console.print("the chain starts after a retention purge (anchored)")
    console.print(f"head hash: {result.head}")
    for problem in result.problems:
        console.print(f"[red]problem:[/] {problem}")
    if not result.ok:
        console.print(f"[red]the access log is NOT intact: {len(result.problems)} problem(s)[/]")
        raise typer.Exit(1)
    console.print("[green]the access log is intact[/]; record the head hash outside the database")


@app.command("anchor")
def anchor_cmd(
    to: Path = typer.Option(
        None,
        "--to",
        envvar="PESTRACK_AUDIT_ANCHOR_FILE",
        help="Append the anchor to this file (on storage the database's administrators cannot "
        "write; default $PESTRACK_AUDIT_ANCHOR_FILE)",
    ),
    use_syslog: bool = typer.Option(
        False, "--syslog", help="Also send it to syslog (facility auth, tag pestrack-audit)"
    ),
):
    """Write the access log's chain head (entry id, hash, count, time) outside the database, after
    checking the chain; run it on a schedule. `pestrack audit verify --anchors FILE` checks against it."""
    from pestrack.records.audit.log import external_anchor, verify

    if to is None and not use_syslog:
        err.print("error: give --to FILE (or set PESTRACK_AUDIT_ANCHOR_FILE) and/or --syslog")
        raise typer.Exit(2)
    result = verify()
    if not result.ok:
        for problem in result.problems:
            err.print(f"problem: {problem}")
        err.print("error: the access log is NOT intact; no anchor written (an anchor must never bless a changed log)")
        raise typer.Exit(1)
    anchor = external_anchor()
    if to is not None:
        with open(to, "a", encoding="utf-8") as f:
            f.write(anchor.line() + "\n")
            f.flush()
            os.fsync(f.fileno())
    if use_syslog:
        import syslog

        syslog.openlog("pestrack-audit", 0, syslog.LOG_AUTH)
        syslog.syslog(syslog.LOG_NOTICE, anchor.line())
        syslog.closelog()
    console.print(f"anchored entry {anchor.entry_id} ({anchor.count} entries), head {anchor.hash}")


def _aware(value: dt.datetime | None, end_of_day: bool = False) -> dt.datetime | None:
    """Local time; a bare date given as ``--until`` includes that whole day."""
    from django.utils import timezone

    if value is None:
        return None
    if end_of_day and value.time() == dt.time():
        value += dt.timedelta(days=1)
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def _resolve_identity_number(number: str) -> int | None:
    from pestrack.records.people.identity import InvalidIdentityNumber
    from pestrack.records.people.models import Person

    try:
        person = Person.find_by_identity_number(number)
    except InvalidIdentityNumber as exc:
        err.print(f"[red]error:[/] --identity-number: {exc}")
        raise typer.Exit(2)
    return person.pk if person else None


def _row(e) -> dict:
    from django.utils import timezone

    row = {f: getattr(e, f) for f in FIELDS}
    row["at"] = timezone.localtime(e.at).isoformat(timespec="seconds")
    return row


@app.command("search")
def search_cmd(
    person_id: int | None = typer.Option(None, "--person-id", help="Person id"),
    identity_number: str = typer.Option("", "--identity-number", help="YYYYMMDD-NNNN; found through the look-up hash"),
    user: str = typer.Option("", "--user", help="Actor: a user name, or cli:<os user>"),
    unit: str = typer.Option("", "--unit", help="Unit code: entries by the staff of that unit and the units below it"),
    action: str = typer.Option("", "--action", help="read, create, update, delete, search, export, denied, ..."),
    since: dt.datetime | None = typer.Option(None, formats=DATE_FORMATS, help="From this date/time (local)"),
    until: dt.datetime | None = typer.Option(
        None, formats=DATE_FORMATS, help="Up to this date/time; a date includes the whole day"
    ),
    limit: int = typer.Option(1000, min=1, help="At most this many entries, newest first"),
    fmt: Format = typer.Option(Format.table, "--format", help="table, csv or json"),
):
    """Search the access log by person, user, action and time. The search itself is logged."""
    from pestrack.records.audit.log import cli_actor, record
    from pestrack.records.audit.models import AccessLogEntry
    from pestrack.records.audit.review import search

    if person_id is not None and identity_number:
        err.print("[red]error:[/] give --person-id or --identity-number, not both")
        raise typer.Exit(2)
    if action and action not in AccessLogEntry.Action.values:
        err.print(f"[red]error:[/] --action {action!r} is not one of {', '.join(AccessLogEntry.Action.values)}")
        raise typer.Exit(2)
    unit_path = None
    if unit:
        from pestrack.records.org.models import OrgUnit

        unit_path = OrgUnit.objects.filter(code=unit).values_list("path", flat=True).first()
        if unit_path is None:
            err.print(f"[red]error:[/] --unit {unit!r}: no unit has that code")
            raise typer.Exit(2)
    filters = {
        "user": user,
        "unit": unit,
        "action": action,
        "since": since and since.isoformat(),
        "until": until and until.isoformat(),
    }
    described = ", ".join(f"{k}={v}" for k, v in filters.items() if v)
    if identity_number:
        person_id = _resolve_identity_number(identity_number)
        described = ", ".join(filter(None, ["by identity number", described]))
        if person_id is None:
            record(
                cli_actor(),
                "search",
                object_type="access_log",
                source="cli",
                detail=f"{described}: no person has that identity number",
            )
            err.print("no person has that identity number")
            raise typer.Exit(1)
    entries = list(
        search(
            person_id=person_id,
            actor=user or None,
            action=action or None,
            since=_aware(since),
            until=_aware(until, end_of_day=True),
            unit_path=unit_path,
        )[:limit]
    )
    record(
        cli_actor(),
        "search",
        person_id=person_id,
        object_type="access_log",
        source="cli",
        detail=f"{described or 'no filter'}: {len(entries)} entries",
    )
    rows = [_row(e) for e in entries]
    if fmt is Format.json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    elif fmt is Format.csv:
        writer = csv.DictWriter(sys.stdout, fieldnames=FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(safe_row(r) for r in rows)
    else:
        table = Table(*FIELDS)
        for r in rows:
            table.add_row(*("" if r[f] is None else str(r[f]) for f in FIELDS))
        console.print(table)
        console.print(f"{len(rows)} entries" + (" (limit reached: use --limit for more)" if len(rows) == limit else ""))
