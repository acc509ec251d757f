"""The reminders that are due, and sending them (``pestrack notify run``, from a schedule).

A reminder is due from its lead time before the day of what it reminds of (the profile's
``notifications.meeting_days_before``, ``plan_review_days_before``) until that time has come:

- a booked meeting without an outcome, in an open enrolment, that has not started;
- the review date of the latest plan of an open enrolment, today or later.

It goes by each channel the person has chosen (or the profile's default channels) for which they
have a contact detail, in their language; a protected identity gets only the neutral text. A
channel chosen after the reminder went by another one does not remind of the same thing again.

Idempotent: each (occasion, channel) is sent at most once (a unique row of ``Notification``); a
run that fails to send records the failure, and the next run tries again while the reminder is
still due, at most ``max_attempts`` times in all. Each row is claimed in a transaction before it is
sent, so two runs at once do not send it twice; a run that crashes while sending leaves no row and
the next run sends that reminder again. Every attempt is written to the access log.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.utils import timezone

from pestrack.records.audit import log
from pestrack.records.casework.due import newer_plan_exists
from pestrack.records.casework.models import Plan
from pestrack.records.codes.profile import notification_settings
from pestrack.records.meetings.models import Meeting
from pestrack.records.notifications import sms, texts
from pestrack.records.notifications.models import Channel, Kind, Notification, NotificationPreference, Status


@dataclass
class Reminder:
    """One reminder by one channel that is due to be sent (or sent again, ``retry``)."""

    kind: str
    channel: str
    person: object
    about: object  # the Meeting or the Plan
    occasion: str
    about_date: dt.date
    language: str
    address: str = field(repr=False)  # the e-mail address or the mobile number: never printed or logged
    retry: bool = False
    outcome: str = ""  # after a run: "sent", "failed", or "skipped" (another run at the same time had it)

    @property
    def protected(self) -> bool:
        return bool(self.person.protected_identity)


@dataclass
class RunResult:
    due: list[Reminder]
    sent: int = 0
    failed: int = 0
    dry_run: bool = False


def _end_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))


def _meetings(now: dt.datetime, days_before: int | None):
    if days_before is None:
        return []
    last_day = timezone.localdate(now) + dt.timedelta(days=days_before)
    return (
        Meeting.objects.filter(
            outcome__isnull=True,
            starts_at__gt=now,
            starts_at__lt=_end_of(last_day),
            enrolment__end_date__isnull=True,
            person__anonymised_at__isnull=True,
        )
        .select_related("person", "kind", "enrolment__org_unit")
        .order_by("starts_at", "pk")
    )


def _plans(today: dt.date, days_before: int | None):
    if days_before is None:
        return []
    return (
        Plan.objects.current()
        .filter(
            review_date__gte=today,
            review_date__lte=today + dt.timedelta(days=days_before),
            enrolment__end_date__isnull=True,
            enrolment__person__anonymised_at__isnull=True,
        )
        .exclude(newer_plan_exists())
        .select_related("enrolment__person", "enrolment__org_unit")
        .order_by("review_date", "pk")
    )


def _occasions(now: dt.datetime):
    """(kind, person, about, occasion, day) of everything due a reminder at ``now``."""
    cfg = notification_settings()
    for m in _meetings(now, cfg["meeting_days_before"]):
        at = m.starts_at.astimezone(dt.UTC).isoformat(timespec="minutes")
        yield Kind.MEETING, m.person, m, f"meeting:{m.pk}:{at}", timezone.localtime(m.starts_at).date()
    for p in _plans(timezone.localdate(now), cfg["plan_review_days_before"]):
        yield Kind.PLAN_REVIEW, p.enrolment.person, p, f"plan:{p.pk}:{p.review_date.isoformat()}", p.review_date


def _address(person, channel: str) -> str | None:
    if channel == Channel.EMAIL:
        return person.email or None
    return sms.normalise_number(person.mobile_phone) if person.mobile_phone else None


def due(now: dt.datetime | None = None) -> list[Reminder]:
    """Every reminder to send at ``now``: not yet sent, and not failed ``max_attempts`` times."""
    now = now or timezone.now()
    cfg = notification_settings()
    occasions = list(_occasions(now))
    done = {
        (n.occasion, n.channel): n
        for n in Notification.objects.filter(occasion__in=[o[3] for o in occasions]).only(
            "occasion", "channel", "status", "attempts"
        )
    }
    chosen = {p.person_id: p for p in NotificationPreference.objects.filter(person_id__in={o[1].pk for o in occasions})}
    reached = {occasion for (occasion, _channel), n in done.items() if n.status == Status.SENT}
    out = []
    for kind, person, about, occasion, day in occasions:
        pref = chosen.get(person.pk)
        channels = pref.channels if pref else cfg["default_channels"]
        language = pref.language if pref else "sv"
        for channel in channels:
            address = _address(person, channel)
            earlier = done.get((occasion, channel))
            if address is None:
                continue
            if earlier is None and occasion in reached:
                continue  # already reminded by another channel: a channel chosen since adds no second reminder
            if earlier is not None and (earlier.status == Status.SENT or earlier.attempts >= cfg["max_attempts"]):
                continue
            out.append(Reminder(kind, channel, person, about, occasion, day, language, address, earlier is not None))
    return out


def _send(reminder: Reminder, mail_connection, sms_backend) -> None:
    text = texts.for_reminder(reminder.kind, reminder.about, reminder.language, protected=reminder.protected)
    if reminder.channel == Channel.EMAIL:
        sender = settings.PESTRACK_NOTIFY_NEUTRAL_FROM_EMAIL if reminder.protected else settings.DEFAULT_FROM_EMAIL
        if not sender:
            raise ImproperlyConfigured(
                "PESTRACK_NOTIFY_NEUTRAL_FROM_EMAIL is not set: no e-mail goes to a protected identity "
                "from the service's own address"
            )
        EmailMessage(text.subject, text.body, sender, [reminder.address], connection=mail_connection).send()
    else:
        sender = settings.PESTRACK_SMS_NEUTRAL_SENDER if reminder.protected else settings.PESTRACK_SMS_SENDER
        sms_backend.send(sms.SmsMessage(to=reminder.address, text=text.sms, sender=sender))


def _error_text(exc: Exception, reminder: Reminder) -> str:
    """Why a send failed, for the record and the log: without the address or any identity number."""
    message = str(exc).replace(reminder.address, "[recipient]")
    if reminder.person.mobile_phone:
        message = message.replace(reminder.person.mobile_phone, "[recipient]")
    return log.scrub(f"{type(exc).__name__}: {message}")[:300]


def run(now: dt.datetime | None = None, *, dry_run: bool = False, actor: str | None = None, sms_backend=None):
    """Send every reminder due at ``now`` (see the module's docstring); ``dry_run`` sends and
    records nothing, and logs that the persons were listed."""
    now = now or timezone.now()
    actor = actor or log.cli_actor()
    result = RunResult(due(now), dry_run=dry_run)
    if dry_run:
        log.record_many(
            log.Event(
                actor=actor,
                action="read",
                person_id=pid,
                object_type="notification",
                source="cli",
                detail="notify dry run: listed as due a reminder",
            )
            for pid in sorted({r.person.pk for r in result.due})
        )
        return result
    max_attempts = notification_settings()["max_attempts"]
    mail_connection = get_connection()
    sms_backend = sms_backend or (sms.get_backend() if any(r.channel == Channel.SMS for r in result.due) else None)
    for reminder in result.due:
        with transaction.atomic():
            row = (
                Notification.objects.select_for_update()
                .filter(occasion=reminder.occasion, channel=reminder.channel)
                .first()
            )
            if row is None:
                try:
                    with transaction.atomic():
                        row = Notification.objects.create(
                            person=reminder.person,
                            kind=reminder.kind,
                            channel=reminder.channel,
                            meeting=reminder.about if reminder.kind == Kind.MEETING else None,
                            plan=reminder.about if reminder.kind == Kind.PLAN_REVIEW else None,
                            occasion=reminder.occasion,
                            about_date=reminder.about_date,
                            status=Status.FAILED,  # until sent
                            neutral=reminder.protected,
                            language=reminder.language,
                        )
                except IntegrityError:
                    reminder.outcome = "skipped"  # another run has just claimed it
                    continue
            elif row.status == Status.SENT or row.attempts >= max_attempts:
                reminder.outcome = "skipped"  # another run has sent it meanwhile
                continue
            first = row.attempts == 0
            try:
                _send(reminder, mail_connection, sms_backend)
            except Exception as exc:  # any failure of the provider: recorded, tried again next run
                row.status, row.error = Status.FAILED, _error_text(exc, reminder)
                result.failed += 1
            else:
                row.status, row.error, row.sent_at = Status.SENT, "", timezone.now()
                result.sent += 1
            row.attempts += 1
            reminder.outcome = row.status
            row.neutral, row.language = reminder.protected, reminder.language
            row.save()
            outcome = "sent" if row.status == Status.SENT else f"failed ({row.error})"
            log.record(
                actor,
                "create" if first else "update",
                person_id=reminder.person.pk,
                object_type="notification",
                object_id=row.pk,
                source="cli",
                detail=f"{reminder.kind} by {reminder.channel}: {outcome}, attempt {row.attempts}"
                + (", neutral text" if reminder.protected else ""),
            )
    return result
