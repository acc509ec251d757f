"""The ``pestrack`` command: one entry point over every layer. Each command group is a module here."""

from __future__ import annotations

import os

import typer

app = typer.Typer(
    no_args_is_help=True, add_completion=False, help="pestrack – follow-up and results for public employment services."
)


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pestrack.settings")
    import django

    django.setup()
    from django.utils import translation

    # Messages of the command line: PESTRACK_LANGUAGE=sv for Swedish (the web follows each user).
    translation.activate(os.environ.get("PESTRACK_LANGUAGE", "en"))


@app.callback()
def _main() -> None:
    setup_django()


def _register() -> None:
    from pestrack.cli import (
        analytics,
        attendance,
        audit,
        benchlearning,
        evaluate,
        imports,
        indicators,
        instruments,
        journal,
        lmi,
        matching,
        notify,
        persons,
        portal,
        practices,
        profiling,
        reports,
        setup,
        synth,
    )

    setup.register(app)
    app.add_typer(imports.app, name="import", help="Import persons, enrolments, participations, exits or follow-ups.")
    app.add_typer(audit.app, name="audit", help="Check and search the access log.")
    persons.register(app)
    app.add_typer(analytics.app, name="analytics", help="Pseudonymised analytics tables (Parquet).")
    synth.register(app)
    app.add_typer(indicators.app, name="indicators", help="Validate and compute the indicator definitions.")
    app.add_typer(reports.app, name="report", help="Published reports: the annual report.")
    evaluate.register(app)
    app.add_typer(instruments.app, name="instruments", help="Work Ability Index, IPS fidelity, SROI.")
    matching.register(app)
    lmi.register(app)
    app.add_typer(journal.app, name="journal", help="Journal entries: sign those left unsigned for 24 hours.")
    app.add_typer(profiling.app, name="profiling", help="Statistical profiling: train, audit for fairness, policy.")
    app.add_typer(attendance.app, name="attendance", help="Attendance in measures: the monthly report.")
    app.add_typer(notify.app, name="notify", help="Reminders of meetings and plan reviews by e-mail and SMS.")
    app.add_typer(
        benchlearning.app, name="benchlearning", help="Benchlearning: shared indicators, packages, comparison."
    )
    app.add_typer(portal.app, name="portal", help="The participant portal: one-time sign-in links.")
    app.add_typer(practices.app, name="practices", help="The practice catalogue and the self-assessment against it.")


_register()


def main() -> None:
    from django.db import DatabaseError

    try:
        app()
    except DatabaseError as exc:
        # Missing tables or columns: a database that was never set up, or not migrated since an upgrade.
        text = str(exc)
        if (
            "no such table" in text
            or "no such column" in text
            or ("does not exist" in text and "relation" in text)
            or ("column" in text and "does not exist" in text)
        ):
            from pestrack.cli.console import err

            err.print(
                f"the database is not set up for this version of pestrack ({text.splitlines()[0]}): "
                "run `pestrack init --profile NAME`, which creates and migrates its tables"
            )
            raise SystemExit(2) from None
        raise
