"""A participant with a plan, meetings, a measure with attendance and open places, for the portal's tests."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.web.conftest import world  # noqa: F401 (a fixture)


def add_records(person, caseworker_name="anna"):
    """A plan, a coming and a past meeting, a measure with two days of attendance."""
    from django.contrib.auth import get_user_model

    from pestrack.records.casework.models import Participation, Plan
    from pestrack.records.codes.models import Code
    from pestrack.records.meetings.models import Attendance, Meeting

    caseworker = get_user_model().objects.get(username=caseworker_name)
    enrolment = person.enrolments.get()
    enrolment.caseworker = caseworker
    enrolment.save()
    plan = Plan.objects.create(
        enrolment=enrolment,
        date=dt.date.today() - dt.timedelta(days=30),
        goals=f"Arbete som lokalvårdare ({person.first_name})",
        steps="Språkkurs, praktik",
        review_date=dt.date.today() + dt.timedelta(days=60),
    )
    coming = Meeting.objects.create(
        person=person,
        enrolment=enrolment,
        kind=Code.objects.get(list="meeting_kind", code="followup"),
        starts_at=timezone.now() + dt.timedelta(days=3),
        place="Jobbtorg Järva, Kista",
        organiser=caseworker,
    )
    past = Meeting.objects.create(
        person=person,
        enrolment=enrolment,
        kind=Code.objects.get(list="meeting_kind", code="planning"),
        starts_at=timezone.now() - dt.timedelta(days=30),
        place="Jobbtorg Järva, Kista",
        organiser=caseworker,
        outcome=Code.objects.get(list="meeting_outcome", code="attended"),
    )
    measure = Participation.objects.create(
        enrolment=enrolment,
        measure=Code.objects.get(list="measure", code="matching"),
        start_date=dt.date.today() - dt.timedelta(days=20),
        planned_end_date=dt.date.today() + dt.timedelta(days=40),
    )
    Attendance.objects.create(participation=measure, date=dt.date.today() - dt.timedelta(days=2), present=True)
    Attendance.objects.create(participation=measure, date=dt.date.today() - dt.timedelta(days=1), present=False)
    return {"plan": plan, "coming": coming, "past": past, "measure": measure}


@pytest.fixture
def portal_world(world, settings):
    """``world`` with portal records for Jarva (caseworker anna) and Soder (caseworker erik), an open
    and a closed place, and one-time sign-in links on."""
    from pestrack.records.codes.models import Code
    from pestrack.records.employers.models import Employer, Place

    settings.PESTRACK_PORTAL_LINKS = True
    world.jarva_records = add_records(world.jarva, "anna")
    world.soder_records = add_records(world.soderort, "erik")
    employer = Employer.objects.create(org_number="556036-0793", name="Exempelhandeln AB", size_band="50-249")
    kind = Code.objects.get(list="place_type", code="stockholmsjobb")
    world.place = Place.objects.create(kind=kind, employer=employer, title="Lokalvårdare", start_date=dt.date.today())
    world.closed = Place.objects.create(
        kind=kind, employer=employer, title="Vaktmästare", start_date=dt.date.today(), status=Place.Status.CLOSED
    )
    return world


def sign_in(client, person):
    """Sign ``person`` in to the portal with a fresh one-time link."""
    from pestrack.records.portal.signin import create_link

    secret = create_link(person)
    response = client.post(f"/portal/link/{secret}/")
    assert response.status_code == 302 and response["Location"] == "/portal/", response.content.decode()[:500]
    return client
