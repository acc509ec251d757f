"""The data protection officer's log review: filters, export, unusual access, and who may use it."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.utils import timezone

from pestrack.records.audit import log, review
from pestrack.records.audit.models import AccessLogEntry
from tests.web.conftest import log_entries


def at(day: int, hour: int = 12, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime(2026, 3, day, hour, minute))


def uid(username: str) -> int:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=username).pk


def entry(actor: str, action: str, person=None, when=None, **kw):
    log.record(
        actor,
        action,
        actor_id=uid(actor) if not actor.startswith("cli") else None,
        person_id=person.pk if person else None,
        at=when or at(10),
        object_type=kw.pop("what", "person"),
        **kw,
    )


@pytest.fixture
def logged(world):
    """anna read Järva's person on 1 March, erik read Söderort's on 2 March and was refused Järva's on 3 March."""
    entry("anna", "read", world.jarva, at(1))
    entry("erik", "read", world.soderort, at(2))
    entry("erik", "denied", world.jarva, at(3), detail="refused read")
    return world


def swedish(client):
    client.post("/language/", {"language": "sv"})
    return client


def page(client, query: str = "") -> str:
    response = client.get(f"/log-review/{query}")
    assert response.status_code == 200, response.content[:500]
    return response.content.decode()


def rows_of(html: str) -> int:
    return html.count('<td class="date">')


@pytest.mark.django_db
def test_the_dpo_filters_by_user_action_time_and_unit(logged, login):
    client = login("sara")
    assert rows_of(page(client, "?user=erik")) == 2
    assert rows_of(page(client, "?user=erik&action=denied")) == 1
    assert rows_of(page(client, "?since=2026-03-02&until=2026-03-02")) == 1  # the until day included
    # by unit: the staff of jt-soderort (erik) only; of Jobbtorg and the units below it, anna and erik
    assert rows_of(page(client, "?unit=jt-soderort&since=2026-03-01&until=2026-03-31")) == 2
    assert rows_of(page(client, "?unit=jobbtorg&since=2026-03-01&until=2026-03-31")) == 3
    # newest first
    html = page(client, "?since=2026-03-01&until=2026-03-31").split("<tbody>")[1]
    assert html.index("2026-03-03") < html.index("2026-03-02") < html.index("2026-03-01")


@pytest.mark.django_db
def test_the_dpo_finds_a_person_by_id_or_identity_number_never_logging_the_number(logged, login):
    from pestrack.records.people.identity import make_number

    client = login("sara")
    html = page(client, f"?person={logged.jarva.pk}")
    assert rows_of(html) == 2
    number = make_number(dt.date(1985, 3, 15), 101)  # Jarva's
    response = client.post("/log-review/", {"person": number, "since": "2026-03-01"})
    assert response.status_code == 302
    assert number not in response["Location"] and f"person={logged.jarva.pk}" in response["Location"]
    # the two entries, and the DPO's own two searches of that person (by id, then by number)
    assert rows_of(page(client, response["Location"].split("/log-review/")[1])) == 4
    unknown = client.post("/log-review/", {"person": make_number(dt.date(1990, 1, 1), 555)})
    assert unknown.status_code == 422 and "No person has that identity number." in unknown.content.decode()
    bad = client.post("/log-review/", {"person": "19850315-1234"})
    assert bad.status_code == 422 and "check digit" in bad.content.decode()
    digits = number.replace("-", "")
    assert not any(digits[2:8] in (e.detail + e.object_id) for e in AccessLogEntry.objects.all())
    assert log.verify().ok


@pytest.mark.django_db
def test_every_use_of_the_page_and_the_export_is_logged(logged, login):
    client = login("sara")
    page(client, "?user=erik&page=1")
    searched = log_entries(actor="sara", action="search", object_type="access log").get()
    assert searched.detail == "user=erik: 2 entries, page 1"
    client.get("/log-review/export.csv?user=erik")
    exported = log_entries(actor="sara", action="export").get()
    assert exported.detail == "user=erik: 2 entries" and exported.object_type == "access log"
    client.get("/log-review/unusual/")
    assert log_entries(actor="sara", object_type="access log (unusual access)").count() == 1


@pytest.mark.django_db
def test_the_page_is_paged_and_counts_the_entries(world, login):
    for i in range(60):
        entry("anna", "read", world.jarva, at(5, 8, i % 60))
    client = swedish(login("sara"))
    first = page(client, "?user=anna")
    assert "60 poster" in first and rows_of(first) == 50 and "Sida 1 av 2" in first
    assert rows_of(page(client, "?user=anna&page=2")) == 10


@pytest.mark.django_db
def test_the_export_is_csv_for_swedish_excel_with_formulas_neutralised(world, login):
    entry("anna", "read", world.jarva, at(4), detail='=HYPERLINK("http://evil")', what="-2+3")
    entry("anna", "read", world.jarva, at(5), detail="Malmö; ok", what="@SUM(A1)")
    response = swedish(login("sara")).get("/log-review/export.csv?user=anna")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    raw = response.content
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == [
        "Post",
        "Tid",
        "Användare",
        "Händelse",
        "Person-id",
        "Typ av uppgift",
        "Uppgiftens id",
        "Detalj",
        "Klientadress",
    ]
    assert [r[7] for r in rows[1:]] == ["Malmö; ok", '\'=HYPERLINK("http://evil")']  # newest first
    assert [r[5] for r in rows[1:]] == ["'@SUM(A1)", "'-2+3"]
    assert rows[1][1].startswith("2026-03-05 ")


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["anna", "maria", "ali", "emil", "admin", "dina"])
def test_everyone_but_the_dpo_is_refused_and_the_refusal_logged(world, login, username):
    client = login(username)
    for url in ("/log-review/", "/log-review/export.csv", "/log-review/unusual/"):
        assert client.get(url).status_code == 403, url
    assert client.post("/log-review/", {"user": "anna"}).status_code == 403
    assert log_entries(actor=username, action="denied", object_type="access log").count() == 4
    assert not log_entries(actor=username, action__in=["search", "export"]).exists()
    assert "/log-review/" not in client.get("/").content.decode()  # not offered either


@pytest.mark.django_db
def test_the_dpo_sees_the_page_in_the_menu(world, login):
    assert 'href="/log-review/"' in login("sara").get("/").content.decode()


# --- Unusual access: each query on hand-built entries ------------------------------------------

MARCH = (at(1, 0), at(31, 0))


@pytest.mark.django_db
def test_reads_outside_the_readers_units_at_the_time_of_the_read(world):
    from pestrack.records.casework.models import Enrolment

    Enrolment.objects.update(created_at=at(1, 0))
    entry("anna", "read", world.protected, at(10))  # her unit: usual
    entry("anna", "read", world.soderort, at(10))  # Söderort's person: unusual
    entry("dina", "read", world.referred, at(10))  # referred from her district: usual
    entry("maria", "read", world.soderort, at(10))  # the manager of all of Jobbtorg: usual
    entry("anna", "denied", world.soderort, at(10))  # refused: nothing was read
    entry("ali", "read", world.jarva, at(10))  # an analyst reads no persons: unusual
    entry("cli:root", "read", world.jarva, at(10))  # the command line: no units to compare
    # Järva's enrolment was recorded on 12 March: a read on the 11th was outside anna's units then
    Enrolment.objects.filter(person=world.jarva).update(created_at=at(12))
    entry("anna", "read", world.jarva, at(11))
    entry("anna", "read", world.jarva, at(13))
    # registering a person, anna's check of a number finds Söderort's person: told only "cannot be
    # registered", but the person is known to the service, so it counts (the DPO sees probing)
    check = f"{log.REGISTRATION_CHECK}: registered outside the user's scope"
    entry("anna", "search", world.soderort, at(15), detail=check)
    entry("anna", "search", world.soderort, at(16), detail="by identity number; 0 found")  # not a check
    entry("anna", "search", None, at(16), detail=f"{log.REGISTRATION_CHECK}: not registered")
    found = {(e.actor, e.person_id, e.at.day) for e in review.outside_units(*MARCH)}
    assert found == {
        ("anna", world.soderort.pk, 10),
        ("ali", world.jarva.pk, 10),
        ("anna", world.jarva.pk, 11),
        ("anna", world.soderort.pk, 15),
    }
    assert not review.outside_units(at(16), at(31))


@pytest.mark.django_db
def test_many_persons_in_a_short_time(world, settings):
    settings.PESTRACK_UNUSUAL_PERSONS, settings.PESTRACK_UNUSUAL_MINUTES = 3, 10
    people = [world.jarva, world.soderort, world.referred, world.protected]
    # anna: 3 distinct persons within 9 minutes (and one of them twice): over the threshold
    for minute, p in [(0, people[0]), (4, people[1]), (5, people[1]), (9, people[2])]:
        entry("anna", "read", p, at(10, 9, minute))
    # erik: 4 persons, but spread over 40 minutes, and 3 of them in a list: under it
    for minute, p in [(0, people[0]), (11, people[1]), (22, people[2]), (33, people[3])]:
        entry("erik", "read", p, at(10, 9, minute))
    for p in people[:3]:
        entry("erik", "read", p, at(10, 10, 0), detail=log.LISTED, what="caseload")
    [burst] = review.bursts(*MARCH)
    assert (burst.actor, burst.persons, burst.first, burst.last) == ("anna", 3, at(10, 9, 0), at(10, 9, 0))
    assert [b.persons for b in review.bursts(*MARCH, persons=2, minutes=15)] == [3, 2]
    assert not review.bursts(*MARCH, persons=3, minutes=9)  # the window is 9 minutes: 0 to 8:59


@pytest.mark.django_db
def test_reads_of_protected_identities(world):
    entry("anna", "read", world.protected, at(10))
    entry("maria", "update", world.protected, at(11))
    entry("erik", "denied", world.protected, at(11))
    entry("anna", "read", world.jarva, at(11))
    entry(
        "dina",
        "search",
        world.protected,
        at(12),
        detail=f"{log.REGISTRATION_CHECK}: registered outside the user's scope",
    )
    found = [(e.actor, e.action) for e in review.protected_reads(*MARCH)]
    assert found == [("dina", "search"), ("maria", "update"), ("anna", "read")]


@pytest.mark.django_db
def test_the_unusual_access_page_shows_each_kind(world, login, settings):
    from pestrack.records.casework.models import Enrolment

    Enrolment.objects.update(created_at=at(1, 0))
    settings.PESTRACK_UNUSUAL_PERSONS = 2
    entry("anna", "read", world.soderort, at(10))
    entry("anna", "read", world.protected, at(10, 12, 1))
    client = swedish(login("sara"))
    html = client.get("/log-review/unusual/?since=2026-03-01&until=2026-03-31").content.decode()
    assert "1 post: personen" in html  # outside the units
    assert 'href="/log-review/?user=anna"' in html  # two persons within ten minutes
    assert "Läsningar av skyddade identiteter" in html
    bad = client.get("/log-review/unusual/?since=2026-03-31&until=2026-03-01")
    assert bad.status_code == 422 and "Slutdatumet ligger före startdatumet." in bad.content.decode()


@pytest.mark.django_db
def test_the_cli_and_the_web_use_one_search(logged):
    from typer.testing import CliRunner

    from pestrack.cli import app

    result = CliRunner().invoke(
        app, ["audit", "search", "--unit", "jt-soderort", "--format", "csv", "--since", "2026-03-01"]
    )
    assert result.exit_code == 0, result.output
    rows = [r for r in csv.DictReader(io.StringIO(result.stdout)) if r["action"] != "search"]
    assert sorted((r["actor"], r["action"]) for r in rows) == [("erik", "denied"), ("erik", "read")]
    assert CliRunner().invoke(app, ["audit", "search", "--unit", "nowhere"]).exit_code == 2
