"""The data protection officer's log review (loggkontroll): searching the access log, and the
entries that deserve a second look (unusual access).

``search`` is the one search of the log, used by ``pestrack audit search`` and the web page
/log-review/. The unusual-access queries are set-based: each is one SQL query over the log, with
its thresholds from settings (``PESTRACK_UNUSUAL_*``, see docs/privacy.md).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Exists, F, Max, Min, OuterRef, Q, QuerySet, Subquery
from django.db.models.lookups import StartsWith
from django.utils import timezone

from pestrack.records.audit.log import LISTED, REGISTRATION_CHECK
from pestrack.records.audit.models import AccessLogEntry

# Actions that show or change a person's record (a refusal is "denied": nothing was shown).
READ_ACTIONS = ("read", "create", "update", "export")


def search(
    *,
    person_id: int | None = None,
    actor: str | None = None,
    action: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    unit_path: str | None = None,
) -> QuerySet[AccessLogEntry]:
    """Entries matching every filter given, newest first.

    ``unit_path``: entries by the staff assigned to that unit or a unit below it (any role)."""
    qs = AccessLogEntry.objects.all()
    if person_id is not None:
        qs = qs.filter(person_id=person_id)
    if actor:
        qs = qs.filter(actor=actor)
    if action:
        qs = qs.filter(action=action)
    if since is not None:
        qs = qs.filter(at__gte=since)
    if until is not None:
        qs = qs.filter(at__lt=until)
    if unit_path:
        from pestrack.records.org.models import Assignment

        qs = qs.filter(actor_id__in=Assignment.objects.filter(unit__path__startswith=unit_path).values("user_id"))
    return qs.order_by("-id")


def default_period() -> tuple[dt.datetime, dt.datetime]:
    """The period the unusual-access view looks at unless told otherwise: the last
    ``PESTRACK_UNUSUAL_DAYS`` days up to now."""
    now = timezone.now()
    return now - dt.timedelta(days=settings.PESTRACK_UNUSUAL_DAYS), now


def _reads(since: dt.datetime, until: dt.datetime) -> QuerySet[AccessLogEntry]:
    """Entries that read or wrote a person's record, and checks on registration that found a person's
    identity number in the register (they tell the user that the person is known to the service:
    repeated checks outside one's units are a probe)."""
    return AccessLogEntry.objects.filter(
        Q(action__in=READ_ACTIONS) | Q(action="search", detail__startswith=REGISTRATION_CHECK),
        person_id__isnull=False,
        at__gte=since,
        at__lt=until,
    )


def outside_units(since: dt.datetime, until: dt.datetime) -> QuerySet[AccessLogEntry]:
    """Reads by a user of a person who, when read, had no enrolment at or referred from a unit the
    user reads persons of (their caseworker or unit manager assignments and the units below).

    "When read": an enrolment counts from when it was recorded (``created_at``), since that is when
    it gave access. Assignments have no history: the user's assignments of today are used, so a
    user who has moved since shows their earlier reads here too. Command-line entries (no user)
    are left out."""
    from pestrack.records.casework.models import Enrolment
    from pestrack.records.org.models import Assignment, OrgUnit

    read_roles = ("caseworker", "unit_manager")

    # the reader's units: an assignment whose unit path is a prefix of the enrolment's unit path
    def covers(column):
        return Exists(
            Assignment.objects.filter(user_id=OuterRef(OuterRef("actor_id")), role__in=read_roles).filter(
                StartsWith(
                    Subquery(OrgUnit.objects.filter(pk=OuterRef(OuterRef(column))).values("path")), F("unit__path")
                )
            )
        )

    enrolment_in_scope = Enrolment.objects.filter(
        person_id=OuterRef("person_id"), created_at__lte=OuterRef("at")
    ).filter(covers("org_unit_id") | covers("referring_unit_id"))
    return _reads(since, until).filter(actor_id__isnull=False).exclude(Exists(enrolment_in_scope)).order_by("-id")


@dataclass
class Burst:
    actor: str
    first: dt.datetime  # the start of the first window over the threshold
    last: dt.datetime  # the start of the last one
    persons: int  # the most distinct persons read within one window


def bursts(
    since: dt.datetime, until: dt.datetime, *, persons: int | None = None, minutes: int | None = None
) -> list[Burst]:
    """Users who read at least ``persons`` distinct persons within ``minutes`` minutes
    (``PESTRACK_UNUSUAL_PERSONS`` within ``PESTRACK_UNUSUAL_MINUTES`` by default), most first.

    Each read opens a window of ``minutes``; the window counts the distinct persons the same user
    read in it. Persons only shown in a list (a caseload page, search results) do not count: a list
    shows many at once by design."""
    persons = persons or settings.PESTRACK_UNUSUAL_PERSONS
    window = dt.timedelta(minutes=minutes or settings.PESTRACK_UNUSUAL_MINUTES)
    reads = _reads(since, until).exclude(detail=LISTED)
    in_window = (
        reads.filter(actor=OuterRef("actor"), at__gte=OuterRef("at"), at__lt=OuterRef("at") + window)
        .order_by()
        .values("actor")
        .annotate(n=Count("person_id", distinct=True))
        .values("n")
    )
    rows = (
        reads.annotate(n=Subquery(in_window))
        .filter(n__gte=persons)
        .order_by()
        .values("actor")
        .annotate(first=Min("at"), last=Max("at"), most=Max("n"))
    )
    found = [Burst(r["actor"], r["first"], r["last"], r["most"]) for r in rows]
    return sorted(found, key=lambda b: (-b.persons, b.actor))


def protected_reads(since: dt.datetime, until: dt.datetime) -> QuerySet[AccessLogEntry]:
    """Reads of persons with a protected identity (skyddade personuppgifter), by anyone."""
    from pestrack.records.people.models import Person

    return (
        _reads(since, until)
        .filter(person_id__in=Person.objects.filter(protected_identity=True).values("pk"))
        .order_by("-id")
    )


def describe(filters: dict) -> str:
    """The filters of a search as the log entry of the search states them (never an identity
    number: a search by one names the person id it was turned into)."""
    return ", ".join(f"{k}={v}" for k, v in filters.items() if v not in (None, "")) or "no filter"
