"""Demo contact details: the participants of the demo caseworkers' coming meetings get an e-mail
address at example.org and a mobile number from the range the Swedish Post and Telecom Authority
keeps for fiction (070-174 06 05 to 070-174 06 99), so that ``pestrack notify run`` has someone to
remind; a few choose SMS only, English, or no reminders."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from pestrack.records.notifications.models import NotificationPreference

FICTIONAL_MOBILES = range(605, 700)  # 070-174 06 05 ... 070-174 06 99


@transaction.atomic
def add_demo_data() -> int:
    """Contact details for the persons with a coming meeting booked by a demo caseworker; returns
    how many persons got them (none again when the demo is set up again)."""
    from pestrack.records.meetings.demo import DEMO_CASEWORKERS
    from pestrack.records.meetings.models import Meeting
    from pestrack.records.people.models import Person

    ids = (
        Meeting.objects.filter(
            organiser__username__in=DEMO_CASEWORKERS, starts_at__gt=timezone.now(), outcome__isnull=True
        )
        .values_list("person_id", flat=True)
        .distinct()
    )
    persons = list(Person.objects.filter(pk__in=ids, email="", mobile_phone="").order_by("pk"))
    for i, person in enumerate(persons[: len(FICTIONAL_MOBILES)]):
        person.email = f"deltagare{person.pk}@example.org"
        person.mobile_phone = f"070-174 06 {FICTIONAL_MOBILES[i] % 100:02d}"
        person.save(update_fields=["email", "mobile_phone", "updated_at"])
        if i % 5 == 1:
            NotificationPreference.objects.update_or_create(person=person, defaults={"by_sms": True, "by_email": False})
        elif i % 5 == 2:
            NotificationPreference.objects.update_or_create(
                person=person, defaults={"by_sms": True, "by_email": True, "language": "en"}
            )
        elif i % 5 == 3 and i > 5:
            NotificationPreference.objects.update_or_create(
                person=person, defaults={"by_sms": False, "by_email": False}
            )
    return min(len(persons), len(FICTIONAL_MOBILES))
