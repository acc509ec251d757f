"""Rules and writes for meetings and attendance, the same for the pages, the API and the demo data.

Each ``check_*`` returns a list of ``casework.rules.Violation(field, message)`` (empty: may be
saved). The writes (``book_meeting``, ``record_outcome``, ``record_attendance``) check first, change
nothing when a rule is broken, and log what they change in the access log.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from pestrack.records.audit import log
from pestrack.records.casework.rules import Violation


class RuleError(ValueError):
    """A write refused by the rules; ``violations`` says which field and why."""

    def __init__(self, violations: list[Violation]):
        super().__init__("; ".join(f"{v.field}: {v.message}" for v in violations))
        self.violations = violations


def check_meeting_enrolment(enrolment, person_id: int | None = None) -> list[Violation]:
    """A meeting is booked in an open enrolment of the person it is with."""
    if enrolment is None:
        return [Violation("enrolment", _("Choose the enrolment the meeting belongs to."))]
    if person_id is not None and enrolment.person_id != person_id:
        return [Violation("enrolment", _("The enrolment is not this person's."))]
    if enrolment.end_date is not None:
        return [Violation("enrolment", _("The enrolment has ended: a meeting is booked in an open enrolment."))]
    return []


def check_outcome_time(starts_at: dt.datetime, outcome, now: dt.datetime) -> list[Violation]:
    """An outcome only once the meeting has started; a meeting in the past is not booked without one
    (it either took place or not: say which)."""
    if outcome is not None and starts_at > now:
        return [
            Violation("outcome", _("The meeting has not started yet: its outcome can be recorded from its start time."))
        ]
    if outcome is None and starts_at < now:
        return [
            Violation(
                "starts_at",
                _(
                    "The time has passed: a meeting in the past cannot be booked. Record "
                    "its outcome, or choose a time in the future."
                ),
            )
        ]
    return []


def check_meeting(
    *,
    enrolment,
    person_id: int | None,
    starts_at: dt.datetime | None,
    duration_minutes: int | None,
    place: str,
    digital: bool,
    outcome,
    now: dt.datetime | None = None,
) -> list[Violation]:
    """Every rule of booking a meeting."""
    now = now or timezone.now()
    out = check_meeting_enrolment(enrolment, person_id)
    if starts_at is None:
        out.append(Violation("starts_at", _("Give the date and time of the meeting.")))
    else:
        out += check_outcome_time(starts_at, outcome, now)
    if duration_minutes is not None and not (5 <= duration_minutes <= 600):
        out.append(Violation("duration_minutes", _("A meeting lasts from 5 to 600 minutes.")))
    if not digital and not (place or "").strip():
        out.append(Violation("place", _("Give the place, or mark the meeting as digital.")))
    return out


def check_outcome(meeting, outcome, now: dt.datetime | None = None) -> list[Violation]:
    """Recording the outcome of a booked meeting."""
    if outcome is None:
        return [Violation("outcome", _("Choose the outcome."))]
    return check_outcome_time(meeting.starts_at, outcome, now or timezone.now())


def check_attendance(
    participation, day: dt.date, present: bool, absence_reason, today: dt.date | None = None
) -> list[Violation]:
    """A day of attendance: within the participation's dates, not in the future; an absence has a
    reason, a day present has none."""
    today = today or timezone.localdate()
    field = f"day_{day.isoformat()}"
    shown = date_format(day, "SHORT_DATE_FORMAT")
    out = []
    if day > today:
        out.append(Violation(field, _("%(d)s is in the future: attendance is entered afterwards.") % {"d": shown}))
    if day < participation.start_date or (participation.end_date and day > participation.end_date):
        out.append(
            Violation(
                field,
                _("%(d)s is outside the participation (%(s)s – %(e)s).")
                % {
                    "d": shown,
                    "s": date_format(participation.start_date, "SHORT_DATE_FORMAT"),
                    "e": date_format(participation.end_date, "SHORT_DATE_FORMAT")
                    if participation.end_date
                    else _("ongoing"),
                },
            )
        )
    if not present and absence_reason is None:
        out.append(Violation(field, _("%(d)s: give the reason for the absence.") % {"d": shown}))
    if present and absence_reason is not None:
        out.append(Violation(field, _("%(d)s: a day present has no absence reason.") % {"d": shown}))
    return out


# --- Writes ---------------------------------------------------------------------------------


def _log(user, action: str, person_id: int, obj, source: str, detail: str = "") -> None:
    log.record_for_user(
        user,
        action,
        source=source,
        person_id=person_id,
        object_type=obj._meta.model_name,
        object_id=obj.pk,
        detail=detail,
    )


def book_meeting(
    user,
    *,
    enrolment,
    kind,
    starts_at: dt.datetime,
    duration_minutes: int = 60,
    place: str = "",
    digital: bool = False,
    other_bodies: Iterable = (),
    outcome=None,
    source: str = "",
    now: dt.datetime | None = None,
):
    """Book (or, for one already held, record) a meeting with the enrolment's person; logged."""
    from pestrack.records.meetings.models import Meeting

    problems = check_meeting(
        enrolment=enrolment,
        person_id=enrolment.person_id if enrolment else None,
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        place=place,
        digital=digital,
        outcome=outcome,
        now=now,
    )
    if problems:
        raise RuleError(problems)
    with transaction.atomic():
        meeting = Meeting.objects.create(
            person_id=enrolment.person_id,
            enrolment=enrolment,
            kind=kind,
            starts_at=starts_at,
            duration_minutes=duration_minutes,
            place=place.strip(),
            digital=digital,
            outcome=outcome,
            organiser=user,
        )
        if other_bodies:
            meeting.other_bodies.set(other_bodies)
        _log(
            user,
            "create",
            enrolment.person_id,
            meeting,
            source,
            detail="meeting booked" + (f"; outcome {outcome.code}" if outcome else ""),
        )
    return meeting


def record_outcome(user, meeting, outcome, *, source: str = "", now: dt.datetime | None = None):
    """Set (or correct) the outcome of a meeting that has started; logged."""
    problems = check_outcome(meeting, outcome, now)
    if problems:
        raise RuleError(problems)
    previous = meeting.outcome.code if meeting.outcome_id else None
    meeting.outcome = outcome
    meeting.save(update_fields=["outcome", "updated_at"])
    _log(
        user,
        "update",
        meeting.person_id,
        meeting,
        source,
        detail=f"outcome {outcome.code}" + (f" (was {previous})" if previous else ""),
    )
    return meeting


def record_attendance(
    user,
    participation,
    days: dict[dt.date, tuple[bool, object] | None],
    *,
    source: str = "",
    today: dt.date | None = None,
) -> int:
    """Enter attendance for some days of a participation: ``{day: (present, absence_reason)}``, or
    ``{day: None}`` to clear a day. All days or none are saved; one log entry for the lot."""
    from pestrack.records.meetings.models import Attendance

    problems = [
        v
        for day, entry in sorted(days.items())
        if entry is not None
        for v in check_attendance(participation, day, entry[0], entry[1], today)
    ]
    if problems:
        raise RuleError(problems)
    with transaction.atomic():
        for day, entry in days.items():
            if entry is None:
                Attendance.objects.filter(participation=participation, date=day).delete()
            else:
                Attendance.objects.update_or_create(
                    participation=participation,
                    date=day,
                    defaults={"present": entry[0], "absence_reason": entry[1], "recorded_by": user},
                )
        if days:
            first, last = min(days), max(days)
            log.record_for_user(
                user,
                "update",
                source=source,
                person_id=participation.enrolment.person_id,
                object_type="attendance",
                object_id=participation.pk,
                detail=f"attendance {first.isoformat()}..{last.isoformat()} ({len(days)} days)",
            )
    return len(days)


def week_of(day: dt.date) -> list[dt.date]:
    """Monday to Sunday of the week of ``day``."""
    monday = day - dt.timedelta(days=day.weekday())
    return [monday + dt.timedelta(days=i) for i in range(7)]
