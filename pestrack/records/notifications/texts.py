"""The texts of reminders, in the participant's language (plain Swedish or English).

A protected identity (skyddade personuppgifter) gets the neutral text and nothing else: no unit,
no service, no meeting, no name, since an e-mail or an SMS preview may be read by someone else.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from pestrack.records.notifications.models import Kind


@dataclass(frozen=True)
class Text:
    subject: str  # of the e-mail
    body: str  # of the e-mail
    sms: str


def neutral(language: str) -> Text:
    """The only text a protected identity is sent: it says nothing of who sends it or why."""
    with translation.override(language):
        line = _("You have a new message. Log in to read it.")
        return Text(subject=_("New message"), body=line + "\n", sms=line)


def _day(day, language: str) -> str:
    with translation.override(language):
        # "tisdag 8 december" / "Tuesday 8 December"
        return date_format(day, "l j F")


def _time(at, language: str) -> str:
    """10.00 in Swedish (as Språkrådet writes the time), 10:00 in English."""
    return timezone.localtime(at).strftime("%H.%M" if language == "sv" else "%H:%M")


def meeting_reminder(meeting, language: str) -> Text:
    """A reminder of a booked meeting: when, where, with whom, and what to do if one cannot come."""
    with translation.override(language):
        unit = meeting.enrolment.org_unit.name
        kind = meeting.kind.name_sv if language == "sv" else meeting.kind.name_en
        values = {
            "day": _day(timezone.localtime(meeting.starts_at).date(), language),
            "time": _time(meeting.starts_at, language),
            "unit": unit,
            "kind": kind,
            "place": meeting.place,
        }
        when = _("You have a meeting with %(unit)s on %(day)s at %(time)s.") % values
        where = (
            _("The meeting is digital. You will get a link from your caseworker.")
            if meeting.digital
            else _("Place: %(place)s.") % values
        )
        cannot = _("If you cannot come, contact your caseworker as soon as possible.")
        hello = _("Hello %(name)s,") % {"name": meeting.person.first_name}
        details = "\n".join([when, _("Meeting: %(kind)s.") % values, where])
        body = "\n\n".join([hello, details, cannot, unit])
        return Text(
            subject=_("Reminder: meeting on %(day)s") % values,
            body=body + "\n",
            sms=f"{_('Reminder:')} {when} {where} {cannot}",
        )


def plan_review_reminder(plan, language: str) -> Text:
    """A reminder that the plan is to be reviewed: on which day, and that the caseworker does it with them."""
    with translation.override(language):
        unit = plan.enrolment.org_unit.name
        values = {"day": _day(plan.review_date, language), "unit": unit}
        what = _("On %(day)s you and your caseworker at %(unit)s will go through your plan together.") % values
        think = _("Think about how things have gone and what you want to do next.")
        ask = _("If you have questions, contact your caseworker.")
        hello = _("Hello %(name)s,") % {"name": plan.enrolment.person.first_name}
        body = "\n\n".join([hello, what, f"{think} {ask}", unit])
        return Text(
            subject=_("Reminder: your plan will be reviewed on %(day)s") % values,
            body=body + "\n",
            sms=f"{_('Reminder:')} {what} {ask}",
        )


def for_reminder(kind: str, about, language: str, *, protected: bool) -> Text:
    """The text of a reminder of ``kind`` about a meeting or a plan; the neutral one when protected."""
    if protected:
        return neutral(language)
    if kind == Kind.MEETING:
        return meeting_reminder(about, language)
    return plan_review_reminder(about, language)
