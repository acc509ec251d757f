"""``pestrack journal autosign``: stamp journal entries left unsigned for 24 hours as signed.

Every check already treats an entry written 24 hours ago or more as signed; the command records
the signing time (24 hours after the entry was written) for the history and the register
extract. Run it from a schedule, e.g. hourly (docs/operations.md)."""

from __future__ import annotations

import typer

from pestrack.cli.console import out as console

app = typer.Typer(no_args_is_help=True)


@app.command("autosign")
def autosign_cmd():
    """Sign the journal entries their authors left unsigned for 24 hours (each logged)."""
    from django.db import transaction

    from pestrack.records.audit import log
    from pestrack.records.journal.rules import autosign

    actor = log.cli_actor()
    with transaction.atomic():
        signed = autosign()
        log.record_many(
            log.Event(
                actor=actor,
                action="update",
                person_id=e.person_id,
                object_type="journalentry",
                object_id=str(e.pk),
                source="cli",
                detail="signed automatically after 24 hours",
            )
            for e in signed
        )
    console.print(f"journal entries signed automatically: {len(signed)}")
