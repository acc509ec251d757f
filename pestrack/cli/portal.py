"""``pestrack portal link PERSON_ID``: a one-time sign-in link to the participant portal (for
development, tests and the demo; refused where PESTRACK_PORTAL_LINKS is off, as in production by default)."""

from __future__ import annotations

import typer

from pestrack.cli.console import out as console

app = typer.Typer(no_args_is_help=True)


def link_url(person, base_url: str) -> str:
    from pestrack.records.portal.signin import create_link

    return f"{base_url.rstrip('/')}/portal/link/{create_link(person, source='cli')}/"


@app.command("link")
def link_cmd(
    person_id: int,
    base_url: str = typer.Option("http://127.0.0.1:8000", help="The address the portal is served at"),
):
    """Print a one-time sign-in link for the person (valid 15 minutes, works once; logged)."""
    from pestrack.records.people.models import Person
    from pestrack.records.portal.signin import SignInRefused

    person = Person.objects.filter(pk=person_id).first()
    if person is None:
        console.print(f"[red]error:[/] no person with id {person_id}")
        raise typer.Exit(2)
    try:
        url = link_url(person, base_url)
    except SignInRefused as refused:
        console.print(f"[red]error:[/] person {person_id}: {refused}")
        raise typer.Exit(2) from None
    console.print(url)
