"""A participant's interest in a place, said in the portal.

- Only an open place (status open, not past its end date) takes an interest; a closed one is
  refused with the reason, and nothing is written.
- The participant needs an open enrolment (whose caseworker will act on the interest).
- Saying it twice is one interest.
- The responsible caseworker sees it on the person page and, until they mark it seen, in the work
  list (``place_interest``).
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pestrack.records.audit import log
from pestrack.records.casework.models import Enrolment
from pestrack.records.employers.models import Place, PlaceInterest


class InterestRefused(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def is_open(place: Place, today=None) -> bool:
    today = today or timezone.localdate()
    return place.status == Place.Status.OPEN and (place.end_date is None or place.end_date >= today)


def express(person, place_id, *, actor: str, source: str = "") -> tuple[PlaceInterest, bool]:
    """Record ``person``'s interest in the place: (interest, created). Raises InterestRefused,
    logged, when the place does not exist or is closed, or the person has no open enrolment."""

    def refuse(code: str, message: str, detail: str):
        log.record(
            actor,
            "denied",
            person_id=person.pk,
            object_type="place interest",
            object_id=str(place_id),
            detail=detail,
            source=source,
        )
        return InterestRefused(code, message)

    try:
        place = Place.objects.get(pk=int(place_id))
    except (TypeError, ValueError, Place.DoesNotExist):
        raise refuse("unknown", _("There is no such place."), "refused: no such place") from None
    if not is_open(place):
        raise refuse(
            "closed",
            _("The place “%(title)s” is no longer open, so you cannot apply for it.") % {"title": place.title},
            "refused: the place is closed",
        )
    enrolment = Enrolment.objects.filter(person=person, end_date__isnull=True).order_by("-start_date").first()
    if enrolment is None:
        raise refuse(
            "enrolment",
            _("You are not enrolled right now, so nobody can act on your interest."),
            "refused: no open enrolment",
        )
    try:
        with transaction.atomic():
            interest = PlaceInterest.objects.create(person=person, enrolment=enrolment, place=place)
    except IntegrityError:
        return PlaceInterest.objects.get(person=person, place=place), False
    log.record(
        actor,
        "create",
        person_id=person.pk,
        object_type="place interest",
        object_id=str(interest.pk),
        detail="self-access",
        source=source,
    )
    return interest, True


def mark_seen(interest: PlaceInterest, user) -> None:
    if interest.seen_at is None:
        interest.seen_at, interest.seen_by = timezone.now(), user
        interest.save(update_fields=["seen_at", "seen_by"])


def unseen_items(enrolments, today):
    return PlaceInterest.objects.filter(enrolment__in=enrolments, seen_at__isnull=True).annotate(
        due_date=TruncDate("created_at"), object_id=F("pk"), caseworker_id=F("enrolment__caseworker_id")
    )


def register_worklist_source() -> None:
    from django.urls import reverse

    from pestrack.records import worklist

    worklist.register(
        worklist.Source(
            kind="place_interest",
            label=gettext_lazy("The participant is interested in a place"),
            query=unseen_items,
            resolve_url=lambda row: reverse("person-detail", args=[row["person_id"]]) + "#interests",
            order=46,
        )
    )
