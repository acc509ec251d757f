"""Reminders to participants: each rule of `pestrack notify run` (idempotence, opt-out, channel
choice, protected identities, language, retry after failure, lead times, dry run), the SMS
interface, the contact details and preferences, and what the access log keeps."""

from __future__ import annotations

import datetime as dt
import logging
import shutil

import pytest
from django.core import mail
from django.utils import timezone

from tests.web.conftest import log_entries, make_person, world  # noqa: F401  (fixtures)

NOW = timezone.now()
TODAY = timezone.localdate()
NEUTRAL_SV = "Du har ett nytt meddelande. Logga in för att läsa det."


class Phone:
    """A fake SMS provider: keeps what it is given; fails while ``failing`` is set."""

    sent: list = []
    failing = False

    def send(self, message):
        if Phone.failing:
            raise ConnectionError(f"provider down, could not reach {message.to}")
        Phone.sent.append(message)
        return "id-1"


@pytest.fixture(autouse=True)
def phone(settings):
    settings.PESTRACK_SMS_BACKEND = "tests.records.test_notifications.Phone"
    settings.DEFAULT_FROM_EMAIL = "Jobbtorg Stockholm <jobbtorg@stockholm.example>"
    settings.PESTRACK_NOTIFY_NEUTRAL_FROM_EMAIL = "noreply@example.org"
    settings.PESTRACK_SMS_SENDER = "Jobbtorg"
    settings.PESTRACK_SMS_NEUTRAL_SENDER = "+46700000000"
    Phone.sent, Phone.failing = [], False
    return Phone


@pytest.fixture
def anna(world):
    from django.contrib.auth.models import User

    return User.objects.get(username="anna")


@pytest.fixture
def reachable(world):
    """Jarva, with an e-mail address and a mobile number."""
    p = world.jarva
    p.email, p.mobile_phone = "jarva@example.org", "070-123 45 67"
    p.save()
    return p


def _code(list_name, code):
    from pestrack.records.codes.models import Code

    return Code.objects.get(list=list_name, code=code)


def _at(day: dt.date, hour=10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


def _book(user, person, day: dt.date, hour=10, **kw):
    from pestrack.records.meetings import rules

    return rules.book_meeting(
        user,
        enrolment=person.enrolments.get(),
        kind=_code("meeting_kind", "planning"),
        starts_at=_at(day, hour),
        place=kw.pop("place", "Jobbtorg Järva, rum 3"),
        **kw,
    )


def _plan(person, review_date: dt.date, date=None):
    from pestrack.records.casework.models import Plan

    return Plan.objects.create(
        enrolment=person.enrolments.get(), date=date or TODAY, goals="Arbete inom handel", review_date=review_date
    )


def _run(now=None, **kw):
    from pestrack.records.notifications import reminders

    return reminders.run(now or NOW, actor="cli:test", **kw)


def _rows(**filters):
    from pestrack.records.notifications.models import Notification

    return Notification.objects.filter(**filters)


def _set_profile(**values):
    from pestrack.records.codes.models import ProfileSetting
    from pestrack.records.codes.profile import notification_settings

    ProfileSetting.objects.update_or_create(
        key="notifications", defaults={"value": {**notification_settings(), **values}}
    )


# --- Sending once --------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_meeting_tomorrow_is_reminded_by_email_and_sms_once_however_often_the_command_runs(anna, reachable):
    meeting = _book(anna, reachable, TODAY + dt.timedelta(days=1))
    first = _run()
    assert (first.sent, first.failed) == (2, 0)
    assert [m.to for m in mail.outbox] == [["jarva@example.org"]]
    assert [m.to for m in Phone.sent] == ["+46701234567"]
    second = _run()
    third = _run(NOW + dt.timedelta(hours=3))
    assert (second.sent, third.sent, len(second.due)) == (0, 0, 0)
    assert len(mail.outbox) == 1 and len(Phone.sent) == 1
    rows = _rows(person=reachable).order_by("channel")
    assert [(r.kind, r.channel, r.status, r.meeting_id, r.attempts) for r in rows] == [
        ("meeting_reminder", "email", "sent", meeting.pk, 1),
        ("meeting_reminder", "sms", "sent", meeting.pk, 1),
    ]
    assert all(r.sent_at is not None for r in rows)


@pytest.mark.django_db
def test_a_meeting_moved_to_another_time_is_reminded_again(anna, reachable):
    meeting = _book(anna, reachable, TODAY + dt.timedelta(days=1), hour=10)
    _run()
    meeting.starts_at = _at(TODAY + dt.timedelta(days=1), 14)
    meeting.save()
    assert _run().sent == 2
    assert "14.00" in mail.outbox[-1].body and "14.00" in Phone.sent[-1].text


@pytest.mark.django_db
def test_no_reminder_of_a_meeting_with_an_outcome_or_in_an_ended_enrolment(anna, reachable):
    meeting = _book(anna, reachable, TODAY + dt.timedelta(days=1))
    meeting.outcome = _code("meeting_outcome", "cancelled_in_time")
    meeting.save()
    assert _run().due == []
    other = _book(anna, reachable, TODAY + dt.timedelta(days=1), hour=13)
    assert [r.about for r in _run(dry_run=True).due] == [other, other]
    reachable.enrolments.update(end_date=TODAY)
    assert _run().due == []


# --- Lead times --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_meeting_is_reminded_from_the_profiles_lead_time_before_its_day(anna, reachable):
    _book(anna, reachable, TODAY + dt.timedelta(days=3), hour=9)
    assert _run().due == []  # three days ahead: the default is the day before
    assert _run(NOW + dt.timedelta(days=1)).due == []
    two_days_on = _at(TODAY + dt.timedelta(days=2), 7)  # the day before, early in the morning
    assert _run(two_days_on).sent == 2


@pytest.mark.django_db
def test_the_lead_times_come_from_the_profile(anna, reachable):
    _book(anna, reachable, TODAY + dt.timedelta(days=3), hour=9)
    _plan(reachable, TODAY + dt.timedelta(days=2))
    _set_profile(meeting_days_before=3, plan_review_days_before=None)
    assert [r.kind for r in _run(dry_run=True).due] == ["meeting_reminder", "meeting_reminder"]


@pytest.mark.django_db
def test_a_plan_review_is_reminded_seven_days_before_and_only_for_the_latest_plan(reachable):
    from pestrack.records.casework.models import Plan

    plan = _plan(reachable, TODAY + dt.timedelta(days=8))
    assert _run().due == []
    due = _run(NOW + dt.timedelta(days=1), dry_run=True).due
    assert [(r.kind, r.about) for r in due] == [("plan_review_reminder", plan)] * 2
    _plan(reachable, TODAY + dt.timedelta(days=60), date=TODAY + dt.timedelta(days=1))  # a newer plan
    assert _run(NOW + dt.timedelta(days=1)).due == []
    Plan.objects.filter(pk=plan.pk).update(review_date=TODAY - dt.timedelta(days=1))
    assert _run().due == []  # a review date that has passed is the work list's, not a reminder


@pytest.mark.django_db
def test_a_plan_review_reminder_says_the_day_in_plain_swedish(reachable):
    _plan(reachable, dt.date(2031, 3, 11))
    _run(_at(dt.date(2031, 3, 5)))
    assert "tisdag 11 mars" in mail.outbox[0].body
    assert "gå igenom din planering" in mail.outbox[0].body
    assert Phone.sent[0].text.startswith("Påminnelse:")


# --- Channels and opting out -------------------------------------------------------------------


@pytest.mark.django_db
def test_a_participant_who_opted_out_gets_nothing(anna, reachable):
    from pestrack.records.notifications.rules import set_preferences

    set_preferences(reachable, [], anna)
    _book(anna, reachable, TODAY + dt.timedelta(days=1))
    _plan(reachable, TODAY + dt.timedelta(days=2))
    result = _run()
    assert (result.due, mail.outbox, Phone.sent) == ([], [], [])
    assert log_entries(object_type="notification preference", person_id=reachable.pk, actor="anna").get().detail == (
        "channels: none (opted out); language sv"
    )


@pytest.mark.django_db
def test_only_the_chosen_channel_is_used(anna, reachable):
    from pestrack.records.notifications.rules import set_preferences

    set_preferences(reachable, ["sms"], anna)
    _book(anna, reachable, TODAY + dt.timedelta(days=1))
    assert _run().sent == 1
    assert mail.outbox == [] and len(Phone.sent) == 1
    set_preferences(reachable, ["email"], anna)
    later = _book(anna, reachable, TODAY + dt.timedelta(days=1), hour=15)
    assert [r.about for r in _run().due] == [later]  # the first meeting was reminded already, by SMS
    assert len(mail.outbox) == 1 and len(Phone.sent) == 1


@pytest.mark.django_db
def test_a_channel_without_a_contact_detail_is_skipped_and_the_profile_default_applies(anna, world):
    person = world.jarva
    person.email = "jarva@example.org"
    person.save()
    _book(anna, person, TODAY + dt.timedelta(days=1))
    assert [r.channel for r in _run(dry_run=True).due] == ["email"]
    _set_profile(default_channels=[])
    assert _run().due == []  # nobody is reminded until they choose


@pytest.mark.django_db
def test_preferences_refuse_an_unknown_channel_or_language_and_change_nothing(anna, reachable):
    from pestrack.records.meetings.rules import RuleError
    from pestrack.records.notifications.models import NotificationPreference
    from pestrack.records.notifications.rules import set_preferences

    with pytest.raises(RuleError) as refused:
        set_preferences(reachable, ["email", "pigeon"], anna, language="de")
    assert [v.field for v in refused.value.violations] == ["channels", "language"]
    assert "pigeon" in refused.value.violations[0].message
    assert not NotificationPreference.objects.exists()
    assert not log_entries(object_type="notification preference").exists()


# --- Protected identities ----------------------------------------------------------------------


@pytest.mark.django_db
def test_a_protected_identity_gets_only_the_neutral_text_from_a_neutral_sender(anna, world):
    person = world.protected
    person.email, person.mobile_phone = "hemlig@example.org", "0701112233"
    person.save()
    _book(anna, person, TODAY + dt.timedelta(days=1), place="Jobbtorg Järva, Rinkebystråket 9")
    _plan(person, TODAY + dt.timedelta(days=3))
    assert _run().sent == 4
    for message in mail.outbox:
        assert (message.subject, message.body.strip()) == ("Nytt meddelande", NEUTRAL_SV)
        assert message.from_email == "noreply@example.org"
    for message in Phone.sent:
        assert (message.text, message.sender) == (NEUTRAL_SV, "+46700000000")
    everything = " ".join([m.subject + m.body + m.from_email for m in mail.outbox] + [m.text for m in Phone.sent])
    for revealing in ("Jobbtorg", "Järva", "möte", "plan", "Hemlig", "handläggare", "Rinkeby"):
        assert revealing.lower() not in everything.lower()
    assert all(r.neutral for r in _rows(person=person))
    assert (
        log_entries(object_type="notification", person_id=person.pk).filter(detail__contains="neutral text").count()
        == 4
    )


@pytest.mark.django_db
def test_the_neutral_text_is_in_the_participants_language(anna, world):
    from pestrack.records.notifications.rules import set_preferences

    person = world.protected
    person.mobile_phone = "0701112233"
    person.save()
    set_preferences(person, ["sms"], anna, language="en")
    _book(anna, person, TODAY + dt.timedelta(days=1))
    _run()
    assert [m.text for m in Phone.sent] == ["You have a new message. Log in to read it."]


# --- Language ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_swedish_participant_reads_swedish_only_and_an_english_one_english(anna, reachable):
    from pestrack.records.notifications.rules import set_preferences

    _book(anna, reachable, dt.date(2031, 3, 11), hour=10)  # a Tuesday
    _run(_at(dt.date(2031, 3, 10), 8))
    sv_mail, sv_sms = mail.outbox[0], Phone.sent[0]
    assert sv_mail.subject == "Påminnelse: möte tisdag 11 mars"
    assert "Du har ett möte med Jobbtorg Järva tisdag 11 mars kl. 10.00." in sv_mail.body
    assert "Hej Jarva!" in sv_mail.body and "Plats: Jobbtorg Järva, rum 3." in sv_mail.body
    assert sv_sms.text.startswith("Påminnelse: Du har ett möte med Jobbtorg Järva tisdag 11 mars kl. 10.00.")
    for english in ("Reminder", "meeting", "Tuesday", "March", "Hello", "Place", "caseworker", "contact"):
        assert english not in sv_mail.subject + sv_mail.body + sv_sms.text

    set_preferences(reachable, ["email", "sms"], anna, language="en")
    _book(anna, reachable, dt.date(2031, 3, 11), hour=13)
    _run(_at(dt.date(2031, 3, 10), 9))
    en_mail, en_sms = mail.outbox[-1], Phone.sent[-1]
    assert en_mail.subject == "Reminder: meeting on Tuesday 11 March"
    assert "You have a meeting with Jobbtorg Järva on Tuesday 11 March at 13:00." in en_mail.body
    for swedish in ("Påminnelse", "möte", "tisdag", "mars", "Hej", "Plats", "handläggare"):
        assert swedish not in en_mail.subject + en_mail.body + en_sms.text


# --- Failures and retries ----------------------------------------------------------------------


@pytest.mark.django_db
def test_a_failed_sms_is_recorded_without_the_number_and_sent_at_the_next_run(anna, reachable):
    from pestrack.records.notifications.rules import set_preferences

    set_preferences(reachable, ["sms"], anna)
    _book(anna, reachable, TODAY + dt.timedelta(days=1))
    Phone.failing = True
    result = _run()
    assert (result.sent, result.failed, result.due[0].outcome) == (0, 1, "failed")
    row = _rows(person=reachable).get()
    assert (row.status, row.attempts, row.sent_at) == ("failed", 1, None)
    assert "provider down" in row.error and "4670" not in row.error and "[recipient]" in row.error
    entry = log_entries(object_type="notification", object_id=str(row.pk)).get()
    assert entry.action == "create" and "failed" in entry.detail and "4670" not in entry.detail

    Phone.failing = False
    again = _run()
    assert again.due[0].retry and (again.sent, again.failed) == (1, 0) and again.due[0].outcome == "sent"
    row.refresh_from_db()
    assert (row.status, row.attempts, row.error) == ("sent", 2, "")
    assert [e.action for e in log_entries(object_type="notification", object_id=str(row.pk)).order_by("id")] == [
        "create",
        "update",
    ]
    assert _run().due == []


@pytest.mark.django_db
def test_a_failed_email_does_not_stop_the_sms_and_gives_up_after_the_profiles_attempts(anna, reachable, settings):
    settings.EMAIL_BACKEND = "tests.records.test_notifications.BrokenMail"
    _set_profile(max_attempts=2)
    _book(anna, reachable, TODAY + dt.timedelta(days=1))
    first = _run()
    assert (first.sent, first.failed) == (1, 1) and len(Phone.sent) == 1
    assert _run().failed == 1
    assert _run().due == []  # two attempts in all
    row = _rows(channel="email").get()
    assert (row.status, row.attempts) == ("failed", 2)
    assert "jarva@example.org" not in row.error


class BrokenMail:
    """An e-mail backend whose server refuses every message."""

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        import smtplib

        raise smtplib.SMTPRecipientsRefused({messages[0].to[0]: (550, b"no such mailbox")})


# --- Dry run -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_dry_run_lists_what_would_be_sent_and_sends_and_records_nothing(anna, reachable):
    _book(anna, reachable, TODAY + dt.timedelta(days=1))
    result = _run(dry_run=True)
    assert [(r.person, r.kind, r.channel) for r in result.due] == [
        (reachable, "meeting_reminder", "email"),
        (reachable, "meeting_reminder", "sms"),
    ]
    assert (mail.outbox, Phone.sent, _rows().count()) == ([], [], 0)
    assert log_entries(object_type="notification", action="read", person_id=reachable.pk).count() == 1
    assert _run().sent == 2  # the dry run took nothing away


# --- The access log -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_sending_is_logged_without_identity_number_or_address(anna, reachable):
    _book(anna, reachable, TODAY + dt.timedelta(days=1))
    _run()
    entries = list(log_entries(object_type="notification", person_id=reachable.pk))
    assert sorted(e.detail for e in entries) == [
        "meeting_reminder by email: sent, attempt 1",
        "meeting_reminder by sms: sent, attempt 1",
    ]
    text = " ".join(e.detail + e.object_id for e in entries)
    for secret in (reachable.identity_number, reachable.identity_number.replace("-", "")[2:], "jarva@", "4567"):
        assert secret not in text


# --- The SMS interface -------------------------------------------------------------------------


def test_mobile_numbers_are_put_in_international_form():
    from pestrack.records.notifications.sms import normalise_number

    assert normalise_number("070-123 45 67") == "+46701234567"
    assert normalise_number("+46 70 123 45 67") == "+46701234567"
    assert normalise_number("0046701234567") == "+46701234567"
    assert normalise_number("ring mig") is None
    assert normalise_number("123") is None


def test_the_logging_backend_writes_the_message_without_the_number(caplog):
    from pestrack.records.notifications.sms import LoggingSmsBackend, SmsMessage

    with caplog.at_level(logging.INFO, logger="pestrack.sms"):
        LoggingSmsBackend().send(SmsMessage(to="+46701234567", text="Hej", sender="Jobbtorg"))
    assert "**********67" in caplog.text and "Hej" in caplog.text
    assert "701234567" not in caplog.text


def test_a_misnamed_sms_backend_is_a_clear_configuration_error(settings):
    from django.core.exceptions import ImproperlyConfigured

    from pestrack.records.notifications.sms import get_backend

    settings.PESTRACK_SMS_BACKEND = "nowhere.Provider"
    with pytest.raises(ImproperlyConfigured, match="PESTRACK_SMS_BACKEND: cannot import 'nowhere.Provider'"):
        get_backend()


# --- Contact details ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_contact_details_are_checked_and_their_change_logged_without_values(anna, world):
    from pestrack.records.meetings.rules import RuleError
    from pestrack.records.notifications.rules import set_contact_details

    person = world.jarva
    with pytest.raises(RuleError) as refused:
        set_contact_details(person, email="jarva(at)example", mobile_phone="ring mig", actor=anna)
    assert [v.field for v in refused.value.violations] == ["email", "mobile_phone"]
    person.refresh_from_db()
    assert (person.email, person.mobile_phone) == ("", "")
    assert set_contact_details(person, email="jarva@example.org", mobile_phone="070-1234567", actor=anna) == [
        "email",
        "mobile_phone",
    ]
    entry = log_entries(object_type="person", action="update", person_id=person.pk).get()
    assert entry.detail == "contact details changed: email, mobile_phone"
    assert set_contact_details(person, email="jarva@example.org", mobile_phone="070-1234567", actor=anna) == []


# --- The profile ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_bad_lead_time_in_the_profile_is_named_with_its_line(tmp_path):
    from pestrack.records.codes.profile import ProfileError, load_profile

    copy = tmp_path / "p"
    shutil.copytree("profiles/stockholm", copy)
    text = (copy / "profile.yaml").read_text().replace("meeting_days_before: 1", "meeting_days_before: soon")
    (copy / "profile.yaml").write_text(text)
    with pytest.raises(ProfileError, match=r"profile.yaml:\d+: notifications.meeting_days_before must be a whole"):
        load_profile(str(copy))


# --- The register extract -------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_register_extract_holds_the_contact_details_the_choice_and_every_reminder(anna, reachable):
    from pestrack.records.notifications.rules import set_preferences
    from pestrack.records.people.export import person_extract, render_extract_html

    set_preferences(reachable, ["email"], anna, language="en")
    _book(anna, reachable, TODAY + dt.timedelta(days=1))
    _run()
    extract = person_extract(reachable)
    assert (extract["person"]["email"], extract["person"]["mobile_phone"]) == ("jarva@example.org", "070-123 45 67")
    assert extract["reminder_preferences"] == [{"channels": ["email"], "language": "en", "chosen_by_person": True}]
    [sent] = extract["reminders"]
    assert (sent["kind"], sent["channel"], sent["status"], sent["attempts"]) == ("meeting_reminder", "email", "sent", 1)
    html = render_extract_html(extract, "sv")
    assert "Påminnelser som skickats" in html and "påminnelse om möte" in html and "engelska" in html
    assert "<td>e-post</td>" in html


@pytest.mark.django_db
def test_the_demo_gives_participants_with_coming_meetings_fictional_contact_details(anna, world):
    import random

    from pestrack.records.meetings.demo import add_demo_data as add_meetings
    from pestrack.records.notifications.demo import add_demo_data

    add_meetings(TODAY, random.Random(1))
    made = add_demo_data()
    from pestrack.records.people.models import Person

    persons = list(Person.objects.filter(meetings__starts_at__gt=timezone.now()).distinct())
    assert made == len(persons) > 0
    for p in persons:
        p.refresh_from_db()
        assert p.email.endswith("@example.org") and p.mobile_phone.startswith("070-174 06 ")
    assert add_demo_data() == 0  # set up again: nothing more


# --- The command ------------------------------------------------------------------------------------


def _cli(*args):
    from typer.testing import CliRunner

    from pestrack.cli import app

    return CliRunner().invoke(app, ["notify", "run", *args])


@pytest.mark.django_db
def test_the_command_lists_by_person_id_only_and_exits_1_when_a_reminder_failed(anna, reachable):
    _book(anna, reachable, TODAY + dt.timedelta(days=1))
    dry = _cli("--dry-run")
    assert dry.exit_code == 0, dry.output
    assert f"would send: person {reachable.pk}: meeting_reminder by email" in dry.output
    assert "dry run: 2 reminder(s) due; nothing was sent" in dry.output
    for secret in ("jarva@", "070", "Jarva", reachable.identity_number):
        assert secret not in dry.output
    Phone.failing = True
    failed = _cli()
    assert failed.exit_code == 1 and "reminders sent: 1, failed: 1" in failed.output
    assert f"failed: person {reachable.pk}: meeting_reminder by sms" in failed.output
    Phone.failing = False
    again = _cli()
    assert again.exit_code == 0 and "reminders sent: 1, failed: 0" in again.output
    assert "(again, after a failure)" in again.output


@pytest.mark.django_db
def test_without_a_neutral_sender_no_email_goes_to_a_protected_identity(anna, world, settings):
    """A municipality that forgot the neutral sender in production does not send protected identities
    mail from the service's own address: the reminder fails, is recorded and retried, nothing goes."""
    settings.PESTRACK_NOTIFY_NEUTRAL_FROM_EMAIL = ""
    person = world.protected
    person.email = "hemlig@example.org"
    person.save()
    _book(anna, person, TODAY + dt.timedelta(days=1))
    result = _run()
    assert (result.sent, result.failed) == (0, 1) and mail.outbox == []
    assert "PESTRACK_NOTIFY_NEUTRAL_FROM_EMAIL" in _rows(person=person).get().error
