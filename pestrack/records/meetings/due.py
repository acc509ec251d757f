"""The work-list items of meetings and attendance (see records.worklist), one query each.

- ``meeting_today``: a meeting that has started today or earlier and has no outcome yet (a meeting
  later today is listed too: it is on today's agenda); due on the meeting's day.
- ``attendance_missing``: an ongoing participation (or one that ended last week or later) that
  started by last Sunday and has no attendance entered for any day since last Monday; due from the
  last day entered (or the start, when nothing is). Gaps before a week that is entered are not
  listed: the latest week is what the social services ask for.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, F, Max, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, TruncDate
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pestrack.records import worklist


def _end_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))


def meetings_due(enrolments, today: dt.date):
    from pestrack.records.meetings.models import Meeting

    return Meeting.objects.filter(
        enrolment__in=enrolments, outcome__isnull=True, starts_at__lt=_end_of(today)
    ).annotate(due_date=TruncDate("starts_at"), object_id=F("pk"), caseworker_id=F("enrolment__caseworker_id"))


def attendance_due(enrolments, today: dt.date):
    from pestrack.records.casework.models import Participation
    from pestrack.records.meetings.models import Attendance

    last_monday = today - dt.timedelta(days=today.weekday() + 7)
    last_sunday = last_monday + dt.timedelta(days=6)
    entered = Attendance.objects.filter(participation=OuterRef("pk"))
    latest = entered.order_by().values("participation").annotate(last=Max("date")).values("last")
    return (
        Participation.objects.current()
        .filter(enrolment__in=enrolments, start_date__lte=last_sunday)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=last_monday))
        .exclude(Exists(entered.filter(date__gte=last_monday)))
        .annotate(
            due_date=Coalesce(Subquery(latest), F("start_date")),
            person_id=F("enrolment__person_id"),
            object_id=F("pk"),
            caseworker_id=F("enrolment__caseworker_id"),
        )
    )


def _meeting_url(row: dict) -> str:
    return reverse("meeting-outcome", args=[row["object_id"]])


def _attendance_url(row: dict) -> str:
    """The week grid of last week (entering it resolves the item)."""
    today = timezone.localdate()
    return (
        reverse("attendance-week", args=[row["object_id"]]) + f"?week={today - dt.timedelta(days=today.weekday() + 7)}"
    )


def register() -> None:
    worklist.register(
        worklist.Source("meeting_today", _("Meeting without an outcome"), meetings_due, _meeting_url, order=30)
    )
    worklist.register(
        worklist.Source("attendance_missing", _("Attendance not entered"), attendance_due, _attendance_url, order=70)
    )
