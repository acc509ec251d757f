"""Demo meetings and attendance for the demo caseworkers' caseloads, dated around ``today``: meetings
today (the earlier ones still without an outcome, so they are due), later this week and next, past
ones with outcomes; attendance in their open measures for the past weeks, last week left out for
some so that the work list asks for it."""

from __future__ import annotations

import datetime as dt
import random

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

DEMO_CASEWORKERS = ("anna", "erik")
PER_CASEWORKER = 12  # enrolments of each caseworker given meetings
ATTENDANCE_WEEKS = 4  # weeks of attendance before this one


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


@transaction.atomic
def add_demo_data(today: dt.date, rng: random.Random) -> dict[str, int]:
    """Meetings and attendance for the demo caseworkers (none for a caseworker not in the database)."""
    from pestrack.records import access
    from pestrack.records.casework.models import Participation
    from pestrack.records.codes.models import Code
    from pestrack.records.meetings.models import Attendance, Meeting
    from pestrack.records.sample import demo_settings

    codes = {
        (c.list, c.code): c
        for c in Code.objects.filter(list__in=["meeting_kind", "other_body", "meeting_outcome", "absence_reason"])
    }
    kinds = [c for (lst, _), c in codes.items() if lst == "meeting_kind"]
    bodies = [c for (lst, _), c in codes.items() if lst == "other_body"]
    outcomes = [
        codes[("meeting_outcome", c)]
        for c in ("attended",) * 6 + ("cancelled_in_time", "absent_notice", "absent_no_notice")
    ]
    reasons = [c for (lst, _), c in codes.items() if lst == "absence_reason"]
    monday = today - dt.timedelta(days=today.weekday())
    places = demo_settings().get("meeting_places") or [""]  # where meetings are held (profile.yaml demo)
    made = {"meetings": 0, "attendance": 0}
    for user in get_user_model().objects.filter(username__in=DEMO_CASEWORKERS).order_by("username"):
        if Meeting.objects.filter(organiser=user).exists():
            continue  # a demo set up again keeps what it has
        enrolments = list(
            access.enrolments_in_scope(user, write=True)
            .filter(end_date__isnull=True)
            .order_by("last_activity", "pk")[:PER_CASEWORKER]
        )
        meetings, with_bodies = [], []
        for i, e in enumerate(enrolments):
            slots = [(today, 9 + i % 7, 30 * (i % 2))]  # today
            slots.append(
                (
                    monday + dt.timedelta(days=rng.randint(0, 4)) + dt.timedelta(days=7 * rng.randint(0, 1)),
                    rng.choice([9, 10, 13, 14]),
                    0,
                )
            )  # this or next week
            slots += [
                (today - dt.timedelta(days=rng.randint(3, 40)), rng.choice([9, 10, 13, 14]), 0)
                for _ in range(rng.randint(1, 2))
            ]  # past
            for day, hour, minute in slots:
                starts = _at(day, hour, minute)
                past = starts < timezone.now() - dt.timedelta(hours=1) and day < today
                digital = rng.random() < 0.25
                m = Meeting(
                    person_id=e.person_id,
                    enrolment=e,
                    kind=rng.choice(kinds),
                    starts_at=starts,
                    duration_minutes=rng.choice([30, 45, 60, 60, 90]),
                    digital=digital,
                    place="" if digital else rng.choice(places),
                    outcome=rng.choice(outcomes) if past else None,
                    organiser=user,
                )
                meetings.append(m)
                if m.kind.code in ("finsam_team", "three_party"):
                    with_bodies.append(m)
        Meeting.objects.bulk_create(meetings)
        through = Meeting.other_bodies.through
        through.objects.bulk_create(
            [through(meeting_id=m.pk, code_id=b.pk) for m in with_bodies for b in rng.sample(bodies, 2)],
            ignore_conflicts=True,
        )
        made["meetings"] += len(meetings)
        rows = []
        for j, p in enumerate(
            Participation.objects.filter(enrolment__in=[e.pk for e in enrolments], end_date__isnull=True)
        ):
            weeks = ATTENDANCE_WEEKS if j % 3 else ATTENDANCE_WEEKS - 1  # every third: last week missing
            for w in range(ATTENDANCE_WEEKS, ATTENDANCE_WEEKS - weeks, -1):
                for d in range(5):
                    day = monday - dt.timedelta(days=7 * w) + dt.timedelta(days=d)
                    if day < p.start_date:
                        continue
                    present = rng.random() < 0.85
                    rows.append(
                        Attendance(
                            participation=p,
                            date=day,
                            present=present,
                            recorded_by=user,
                            absence_reason=None if present else rng.choice(reasons),
                        )
                    )
        Attendance.objects.bulk_create(rows, ignore_conflicts=True)
        made["attendance"] += len(rows)
    return made
