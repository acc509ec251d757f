"""``pestrack notify run``: send the reminders of meetings and plan reviews that are due, by e-mail
and SMS. Run it from a schedule, e.g. every hour (docs/notifications.md); running it again sends
nothing twice."""

from __future__ import annotations

import typer

from pestrack.cli.console import err
from pestrack.cli.console import out as console

app = typer.Typer(no_args_is_help=True)


@app.command("run")
def run_cmd(dry_run: bool = typer.Option(False, "--dry-run", help="List what would be sent; send nothing")):
    """Send the reminders that are due (each recorded and logged); failed ones are tried again at the
    next run. Exits 1 when a reminder failed. Lists persons by id only, never by name or address."""
    from django.core.exceptions import ImproperlyConfigured

    from pestrack.records.notifications import reminders

    try:
        result = reminders.run(dry_run=dry_run)
    except ImproperlyConfigured as exc:
        err.print(f"[red]error:[/] {exc}; nothing was sent")
        raise typer.Exit(2)
    for r in result.due:
        console.print(
            f"{'would send' if dry_run else r.outcome}: person {r.person.pk}: {r.kind} by {r.channel} "
            f"about {r.about_date.isoformat()}" + (" (again, after a failure)" if r.retry else "")
        )
    if dry_run:
        console.print(f"dry run: {len(result.due)} reminder(s) due; nothing was sent")
        return
    console.print(f"reminders sent: {result.sent}, failed: {result.failed}")
    if result.failed:
        err.print("some reminders failed; they are tried again at the next run (see the access log)")
        raise typer.Exit(1)
