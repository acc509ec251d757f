"""The demo's participant in the portal: one participant of the demo caseworker ``anna`` with a plan,
a coming meeting, an e-mail address and a message from her caseworker, and an open place that suits
them (when the demo has employers), so that the portal shows something on every page."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

DEMO_CASEWORKER = "anna"


@transaction.atomic
def demo_participant():
    """The demo participant (made ready on first use), or None when the demo has no open enrolment
    of the demo caseworker."""
    from pestrack.records.casework.models import Enrolment, Plan
    from pestrack.records.codes.models import Code
    from pestrack.records.journal import messages
    from pestrack.records.journal.models import Message
    from pestrack.records.meetings.models import Meeting

    user = get_user_model().objects.filter(username=DEMO_CASEWORKER).first()
    if user is None:
        return None
    enrolment = (
        Enrolment.objects.filter(
            caseworker=user, end_date__isnull=True, person__protected_identity=False, person__anonymised_at__isnull=True
        )
        .select_related("person")
        .order_by("pk")
        .first()
    )
    if enrolment is None:
        return None
    person = enrolment.person
    if not person.email:
        person.email = f"deltagare{person.pk}@example.invalid"
        person.save(update_fields=["email"])
    today = timezone.localdate()
    if not Plan.objects.current().filter(enrolment=enrolment).exists():
        Plan.objects.create(
            enrolment=enrolment,
            date=today - dt.timedelta(days=14),
            goals="Ett arbete inom handel eller lager, på heltid.",
            steps="1. Svenska för invandrare, nivå C.\n2. Praktik i butik i fyra veckor.\n3. Söka jobb med hjälp av jobbcoach.",
            review_date=today + dt.timedelta(days=45),
            participant_involved=True,
        )
    if not Meeting.objects.filter(person=person, starts_at__gte=timezone.now()).exists():
        Meeting.objects.create(
            person=person,
            enrolment=enrolment,
            kind=Code.objects.get(list="meeting_kind", code="followup"),
            starts_at=timezone.make_aware(dt.datetime.combine(today + dt.timedelta(days=2), dt.time(10, 0))),
            place=enrolment.org_unit.name,
            organiser=user,
        )
    if not Message.objects.filter(person=person).exists():
        messages.send(
            person,
            "Hej! Välkommen till deltagarportalen. Här ser du din planering och dina möten. Skriv gärna om du har frågor.",
            author=user,
            actor=user.get_username(),
            source="cli",
        )
    _demo_places(today)
    return person


def _demo_places(today) -> None:
    """The open places of the profile's demo (profile.yaml demo.places) when the demo has none."""
    from pestrack.records.codes.models import Code
    from pestrack.records.employers.models import Employer, Place

    if Place.objects.filter(status=Place.Status.OPEN).exists():
        return
    employer, _ = Employer.objects.get_or_create(
        org_number="556036-0793", defaults={"name": "Demobutiken AB", "size_band": "50-249"}
    )
    from pestrack.records.sample import demo_settings

    for code, title in ((p["kind"], p["title"]) for p in demo_settings().get("places", [])):
        kind = Code.objects.filter(list="place_type", code=code).first()
        if kind is not None:
            Place.objects.create(
                kind=kind,
                employer=employer,
                title=title,
                start_date=today + dt.timedelta(days=21),
                hours_per_week=40,
                opened_date=today,
            )
