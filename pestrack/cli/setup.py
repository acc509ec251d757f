"""init, serve, demo and user administration."""

from __future__ import annotations

import os
import secrets
import sys

import typer

from pestrack.cli.console import out as console


def init_database(profile: str | None) -> None:
    from django.core.management import call_command

    from pestrack.records.codes.profile import ProfileError, default_profile, load_profile

    profile = profile or default_profile()
    call_command("migrate", interactive=False, verbosity=0)
    try:
        result = load_profile(profile)
    except ProfileError as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from None
    console.print(
        f"database ready; profile [bold]{profile}[/]: {result.units} organisation units, {result.codes} codes"
    )


def database_ready() -> bool:
    """Whether the configured database has every migration applied (``pestrack init`` has run)."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    return not executor.migration_plan(executor.loader.graph.leaf_nodes())


def use_profile(profile: str) -> None:
    """Make ``profile`` the one this process and the server it starts read indicators, goals and
    reports from (PESTRACK_PROFILE), as ``pestrack demo --profile`` loads it into the database."""
    from django.conf import settings

    os.environ["PESTRACK_PROFILE"] = profile
    settings.PESTRACK_PROFILE = profile


def loaded_profile() -> str | None:
    """The profile the database was last initialised with, when it is a folder that can be read."""
    from pestrack.records.codes.models import ProfileSetting
    from pestrack.records.codes.profile import ProfileError, profile_dir

    name = ProfileSetting.get("profile")
    try:
        return name if name and profile_dir(name) else None
    except ProfileError:
        return None


def serve(host: str, port: int) -> None:
    from django.conf import settings
    from django.core.management import call_command

    if not database_ready():
        console.print(
            f"[red]error:[/] the database {settings.DATABASES['default']['NAME']} is not set up or not "
            "up to date: run `pestrack init` first"
        )
        raise typer.Exit(2)
    loaded = loaded_profile()
    if "PESTRACK_PROFILE" not in os.environ and loaded:
        use_profile(loaded)  # the results pages follow the profile `pestrack init` loaded
    elif loaded and loaded != settings.PESTRACK_PROFILE:
        console.print(
            f"[yellow]warning:[/] the database holds profile {loaded}, PESTRACK_PROFILE is {settings.PESTRACK_PROFILE}"
        )
    if settings.PRODUCTION:
        os.execv(sys.executable, gunicorn_command(host, port))
    call_command("runserver", f"{host}:{port}", use_reloader=False)


def gunicorn_command(host: str, port: int) -> list[str]:
    """gunicorn run by this very Python (``python -m gunicorn``): from the same environment as
    pestrack, whatever is on PATH (a virtual environment need not be activated).

    Threaded workers (gthread): a page mostly waits for the database, so a process serves several
    at once; one process more than the machine has cores (Python runs one thread of a process at a
    time), as bench/web.py measures (3 × 8 on 2 cores)."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "pestrack.wsgi",
        "--bind",
        f"{host}:{port}",
        "--workers",
        os.environ.get("PESTRACK_WORKERS") or str((os.cpu_count() or 1) + 1),
        "--worker-class",
        "gthread",
        "--threads",
        os.environ.get("PESTRACK_THREADS") or "8",
    ]


def register(app: typer.Typer) -> None:
    @app.command("init")
    def init_cmd(
        profile: str | None = typer.Option(
            None,
            help="Profile name under profiles/ or a folder path (default: PESTRACK_PROFILE, else profiles/DEFAULT)",
        ),
    ):
        """Create or upgrade the database (migrations) and load a profile's code lists and units."""
        init_database(profile)

    @app.command("serve")
    def serve_cmd(host: str = "127.0.0.1", port: int = 8000):
        """Serve the configured database (PESTRACK_DATABASE_URL): development server; gunicorn when
        PESTRACK_PRODUCTION=1."""
        console.print(f"pestrack: http://{host}:{port}/")
        serve(host, port)

    @app.command("demo")
    def demo_cmd(
        host: str = "127.0.0.1",
        port: int = 8000,
        persons: int = typer.Option(
            0,
            help="Create this many persons of the small fixed sample instead of the "
            "synthetic population (scale 1, 2022-2023)",
        ),
        no_serve: bool = typer.Option(False, "--no-serve", help="Set up only; do not start the web server"),
        profile: str | None = typer.Option(
            None,
            "--profile",
            help="Profile name under profiles/ or a folder path (default: PESTRACK_PROFILE, else profiles/DEFAULT)",
        ),
    ):
        """Set up a demo on the embedded database: profile, demo users, the synthetic population; then serve."""
        import datetime as dt
        import random

        from pestrack.records.casework.demo import add_demo_data as add_worklist_demo
        from pestrack.records.codes.profile import default_profile
        from pestrack.records.documents.demo import add_demo_data as add_demo_documents
        from pestrack.records.journal import demo as journal_demo
        from pestrack.records.meetings.demo import add_demo_data as add_meetings
        from pestrack.records.notifications.demo import add_demo_data as add_contact_details
        from pestrack.records.people.models import Person
        from pestrack.records.sample import create_demo_users, create_sample
        from pestrack.synth.config import load as synth_settings

        profile = profile or default_profile()
        init_database(profile)
        use_profile(profile)
        try:
            users = create_demo_users()
        except ValueError as exc:
            console.print(f"[red]error:[/] {exc}")
            raise typer.Exit(2)
        if persons:
            made = create_sample(persons)
            console.print(f"sample: {made} persons with enrolments, participations, exits and follow-ups")
        elif Person.objects.exists():
            console.print(f"the database already holds {Person.objects.count():,} persons: no population added")
        else:
            from pestrack.cli.synth import synthesize

            years = synth_settings(profile).years
            console.print(f"synthetic population (scale 1, seed 1, {years[0]}-{years[-1]}) ...")
            synthesize(profile, years, scale=1, seed=1)
        from pestrack.records.casework.demo import assign_caseworkers

        console.print(
            f"responsible caseworkers: {assign_caseworkers(seed=1, per_unit=3, unassigned=0.03):,} "
            "open enrolments assigned"
        )
        console.print(f"work list: {add_worklist_demo()} participants of the demo caseworkers with items due now")
        console.print(f"journal: {journal_demo.add_demo_data()} entries on the demo caseworkers' enrolments")
        console.print(
            f"documents: {add_demo_documents(dt.date.today(), random.Random(1))} on the demo caseworkers' persons"
        )
        console.print(
            f"meetings and attendance of the demo caseworkers: {add_meetings(dt.date.today(), random.Random(1))}"
        )
        console.print(
            f"contact details for reminders: {add_contact_details()} participants with a coming meeting "
            "(pestrack notify run writes their e-mails to files and their SMS to the log)"
        )
        from pestrack.cli.portal import link_url
        from pestrack.records.portal.demo import demo_participant
        from pestrack.records.portal.signin import links_enabled

        participant = demo_participant()
        console.print("demo users, one per role (password for all: [bold]{}[/]):".format(users["password"]))
        for name, role, unit in users["users"]:
            console.print(f"  {name:12} {role:20} {unit}")
        if not no_serve:
            console.print(f"application: [bold]http://{host}:{port}/[/] (log in as one of the users above)")
            console.print(f"admin site:  http://{host}:{port}/admin/")
        if participant is not None and links_enabled():
            console.print(
                f"participant portal: sign in as participant {participant.pk} (works once, for 15 minutes; "
                f"`pestrack portal link {participant.pk}` makes a new one):"
            )
            console.print(f"  {link_url(participant, f'http://{host}:{port}')}")
        if not no_serve:
            serve(host, port)

    @app.command("user-add")
    def user_add(
        username: str,
        role: str = typer.Option(..., help="caseworker, unit_manager, analyst, employer_relations, dpo or admin"),
        unit: list[str] = typer.Option(..., help="Organisation unit code (repeat for several)"),
        may_see_protected: bool = typer.Option(False, help="May see protected identities unmasked"),
        password: str = typer.Option("", help="Password; a random one is printed if empty"),
    ):
        """Create a staff user (or add a role to one) scoped to organisation units."""
        from pestrack.records.org.users import add_user

        pw = password or secrets.token_urlsafe(12)
        try:
            add_user(username, role, unit, password=pw, may_see_protected=may_see_protected)
        except ValueError as exc:
            console.print(f"[red]error:[/] {exc}")
            raise typer.Exit(2)
        console.print(f"user {username}: {role} in {', '.join(unit)}" + ("" if password else f"; password {pw}"))
