"""Meetings and attendance: the rules of booking, outcomes and attendance days, the logged writes,
the work-list items, the calendar file, the monthly attendance report and the demo data."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random

import pytest
from django.utils import timezone

from tests.web.conftest import log_entries, make_person, world  # noqa: F401  (fixtures)

TODAY = timezone.localdate()
NOW = timezone.now()


def _code(list_name, code):
    from pestrack.records.codes.models import Code

    return Code.objects.get(list=list_name, code=code)


def _at(day: dt.date, hour=10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


@pytest.fixture
def anna(world):
    from django.contrib.auth.models import User

    return User.objects.get(username="anna")


@pytest.fixture
def enrolment(world):
    return world.jarva.enrolments.get()


@pytest.fixture
def participation(enrolment):
    from pestrack.records.casework.models import Participation

    return Participation.objects.create(
        enrolment=enrolment, measure=_first("measure"), start_date=TODAY - dt.timedelta(days=40)
    )


def _first(list_name):
    from pestrack.records.codes.models import Code

    return Code.objects.filter(list=list_name).order_by("sort_order", "code").first()


def _book(user, enrolment, starts_at, outcome=None, **kw):
    from pestrack.records.meetings import rules

    return rules.book_meeting(
        user,
        enrolment=enrolment,
        kind=_code("meeting_kind", "planning"),
        starts_at=starts_at,
        place=kw.pop("place", "Jobbtorg Järva, rum 3"),
        outcome=outcome,
        **kw,
    )


# --- Rules ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_meeting_is_booked_in_an_open_enrolment_of_the_person(world, anna, enrolment):
    from pestrack.records.meetings import rules

    assert rules.check_meeting_enrolment(enrolment, world.jarva.pk) == []
    assert [v.field for v in rules.check_meeting_enrolment(enrolment, world.soderort.pk)] == ["enrolment"]
    enrolment.end_date = TODAY
    problems = rules.check_meeting_enrolment(enrolment, world.jarva.pk)
    assert problems[0].field == "enrolment" and "ended" in problems[0].message
    assert rules.check_meeting_enrolment(None)[0].field == "enrolment"


@pytest.mark.django_db
def test_an_outcome_only_once_the_meeting_has_started(world):
    from pestrack.records.meetings import rules

    attended = _code("meeting_outcome", "attended")
    later = NOW + dt.timedelta(hours=2)
    assert [v.field for v in rules.check_outcome_time(later, attended, NOW)] == ["outcome"]
    assert rules.check_outcome_time(NOW - dt.timedelta(minutes=1), attended, NOW) == []
    assert rules.check_outcome_time(later, None, NOW) == []


@pytest.mark.django_db
def test_a_meeting_in_the_past_is_not_booked_without_an_outcome(world, anna, enrolment):
    from pestrack.records.meetings import rules
    from pestrack.records.meetings.models import Meeting

    with pytest.raises(rules.RuleError) as refused:
        _book(anna, enrolment, NOW - dt.timedelta(days=1))
    assert [v.field for v in refused.value.violations] == ["starts_at"]
    assert "past" in refused.value.violations[0].message
    assert not Meeting.objects.exists() and not log_entries(object_type="meeting").exists()
    held = _book(anna, enrolment, NOW - dt.timedelta(days=1), outcome=_code("meeting_outcome", "attended"))
    assert held.outcome.code == "attended"


@pytest.mark.django_db
def test_a_meeting_has_a_place_or_is_digital_and_a_sensible_length(world, anna, enrolment):
    from pestrack.records.meetings import rules

    base = {
        "enrolment": enrolment,
        "person_id": world.jarva.pk,
        "starts_at": NOW + dt.timedelta(days=1),
        "outcome": None,
        "now": NOW,
    }
    assert [v.field for v in rules.check_meeting(**base, duration_minutes=60, place=" ", digital=False)] == ["place"]
    assert rules.check_meeting(**base, duration_minutes=60, place="", digital=True) == []
    assert [v.field for v in rules.check_meeting(**base, duration_minutes=2, place="Rum 1", digital=False)] == [
        "duration_minutes"
    ]


@pytest.mark.django_db
def test_booking_and_recording_the_outcome_are_logged(world, anna, enrolment):
    from pestrack.records.meetings import rules

    meeting = _book(
        anna,
        enrolment,
        NOW + dt.timedelta(days=2),
        other_bodies=[_code("other_body", "socialtjanst")],
        source="10.0.0.1",
    )
    created = log_entries(action="create", object_type="meeting", object_id=str(meeting.pk)).get()
    assert created.actor == "anna" and created.person_id == world.jarva.pk and created.source == "10.0.0.1"
    assert [c.code for c in meeting.other_bodies.all()] == ["socialtjanst"] and meeting.organiser == anna
    with pytest.raises(rules.RuleError) as refused:
        rules.record_outcome(anna, meeting, _code("meeting_outcome", "attended"))
    assert refused.value.violations[0].field == "outcome"
    meeting.refresh_from_db()
    assert meeting.outcome is None
    rules.record_outcome(anna, meeting, _code("meeting_outcome", "absent_notice"), now=NOW + dt.timedelta(days=3))
    meeting.refresh_from_db()
    assert meeting.outcome.code == "absent_notice"
    assert log_entries(action="update", object_type="meeting", detail="outcome absent_notice").count() == 1


@pytest.mark.django_db
def test_attendance_refused_outside_the_participation_or_in_the_future(world, participation):
    from pestrack.records.meetings import rules

    illness = _code("absence_reason", "illness")
    day = TODAY - dt.timedelta(days=3)
    assert rules.check_attendance(participation, day, True, None, TODAY) == []
    assert rules.check_attendance(participation, day, False, illness, TODAY) == []
    before = participation.start_date - dt.timedelta(days=1)
    assert "outside" in rules.check_attendance(participation, before, True, None, TODAY)[0].message
    assert "future" in rules.check_attendance(participation, TODAY + dt.timedelta(days=1), True, None, TODAY)[0].message
    participation.end_date = TODAY - dt.timedelta(days=5)
    assert rules.check_attendance(participation, day, True, None, TODAY)[0].field == f"day_{day.isoformat()}"


@pytest.mark.django_db
def test_an_absence_needs_a_reason_and_a_day_present_has_none(world, participation):
    from pestrack.records.meetings import rules

    day = TODAY - dt.timedelta(days=3)
    assert "reason" in rules.check_attendance(participation, day, False, None, TODAY)[0].message
    assert rules.check_attendance(participation, day, True, _code("absence_reason", "illness"), TODAY)


@pytest.mark.django_db
def test_attendance_is_saved_all_days_or_none_and_logged_once(world, anna, participation):
    from pestrack.records.meetings import rules
    from pestrack.records.meetings.models import Attendance

    days = rules.week_of(TODAY - dt.timedelta(days=14))[:5]
    good = {d: (True, None) for d in days}
    with pytest.raises(rules.RuleError):
        rules.record_attendance(anna, participation, {**good, TODAY + dt.timedelta(days=1): (True, None)})
    assert not Attendance.objects.exists() and not log_entries(object_type="attendance").exists()
    rules.record_attendance(anna, participation, {**good, days[2]: (False, _code("absence_reason", "illness"))})
    assert (
        Attendance.objects.filter(present=True).count() == 4 and Attendance.objects.filter(present=False).count() == 1
    )
    entry = log_entries(object_type="attendance").get()
    assert entry.person_id == world.jarva.pk and entry.object_id == str(participation.pk)
    rules.record_attendance(anna, participation, {days[2]: None})
    assert Attendance.objects.count() == 4


# --- Work list ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_meetings_without_outcome_today_or_before_are_due(world, anna, enrolment):
    from pestrack.records import worklist
    from pestrack.records.casework.models import Enrolment
    from pestrack.records.meetings.models import Meeting

    earlier = Meeting.objects.create(
        person=world.jarva,
        enrolment=enrolment,
        kind=_code("meeting_kind", "planning"),
        starts_at=_at(TODAY - dt.timedelta(days=2)),
        organiser=anna,
    )
    today = Meeting.objects.create(
        person=world.jarva,
        enrolment=enrolment,
        kind=_code("meeting_kind", "planning"),
        starts_at=_at(TODAY, 23),
        organiser=anna,
    )
    Meeting.objects.create(
        person=world.jarva,
        enrolment=enrolment,
        kind=_code("meeting_kind", "planning"),
        starts_at=_at(TODAY + dt.timedelta(days=1)),
        organiser=anna,
    )
    Meeting.objects.create(
        person=world.jarva,
        enrolment=enrolment,
        kind=_code("meeting_kind", "planning"),
        starts_at=_at(TODAY - dt.timedelta(days=1)),
        organiser=anna,
        outcome=_code("meeting_outcome", "attended"),
    )
    items = worklist.items(Enrolment.objects.all(), TODAY, kinds=["meeting_today"])
    assert [(i["object_id"], i["due_date"]) for i in items] == [
        (earlier.pk, TODAY - dt.timedelta(days=2)),
        (today.pk, TODAY),
    ]
    assert items[0]["person_id"] == world.jarva.pk and items[0]["enrolment_id"] == enrolment.pk
    assert worklist.source("meeting_today").resolve_url(items[0]) == f"/meetings/{earlier.pk}/outcome/"
    earlier.outcome = _code("meeting_outcome", "absent_no_notice")
    earlier.save()
    assert worklist.counts(Enrolment.objects.all(), TODAY)["meeting_today"] == 1
    assert worklist.counts(Enrolment.objects.exclude(pk=enrolment.pk), TODAY)["meeting_today"] == 0


@pytest.mark.django_db
def test_a_participation_without_attendance_last_week_is_due_until_entered(world, anna, participation):
    from pestrack.records import worklist
    from pestrack.records.casework.models import Enrolment, Participation
    from pestrack.records.meetings import rules

    enrolments = Enrolment.objects.all()
    items = worklist.items(enrolments, TODAY, kinds=["attendance_missing"])
    assert [(i["object_id"], i["due_date"]) for i in items] == [(participation.pk, participation.start_date)]
    url = worklist.source("attendance_missing").resolve_url(items[0])
    last_monday = TODAY - dt.timedelta(days=TODAY.weekday() + 7)
    assert url == f"/measures/{participation.pk}/attendance/?week={last_monday.isoformat()}"
    two_weeks_ago = last_monday - dt.timedelta(days=7)
    rules.record_attendance(anna, participation, {two_weeks_ago: (True, None)})
    assert worklist.items(enrolments, TODAY, kinds=["attendance_missing"])[0]["due_date"] == two_weeks_ago
    rules.record_attendance(anna, participation, {last_monday + dt.timedelta(days=1): (True, None)})
    assert worklist.counts(enrolments, TODAY)["attendance_missing"] == 0
    # a participation that starts this week is not due yet
    Participation.objects.create(
        enrolment=participation.enrolment,
        measure=participation.measure,
        start_date=TODAY - dt.timedelta(days=TODAY.weekday()),
    )
    assert worklist.counts(enrolments, TODAY)["attendance_missing"] == 0


# --- Calendar file --------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_calendar_file_parses_back_without_the_identity_number(world, anna, enrolment):
    from icalendar import Calendar

    from pestrack.records.meetings import calendar

    starts = _at(TODAY + dt.timedelta(days=3), 13)
    meeting = _book(
        anna, enrolment, starts, duration_minutes=45, other_bodies=[_code("other_body", "forsakringskassan")]
    )
    body = calendar.ics(
        meeting,
        name="Jarva Jarvasson",
        url="https://pestrack.example/persons/1/",
        label=lambda c: c.name_sv,
        digital_text="Digitalt möte",
    )
    parsed = Calendar.from_ical(body)
    event = parsed.walk("VEVENT")[0]
    assert event.decoded("dtstart") == starts and event.decoded("dtend") == starts + dt.timedelta(minutes=45)
    assert str(event["summary"]) == "Planeringssamtal: Jarva Jarvasson"
    assert str(event["location"]) == "Jobbtorg Järva, rum 3"
    assert "Försäkringskassan" in str(event["description"]) and str(event["uid"]) == f"meeting-{meeting.pk}@pestrack"
    pin = world.jarva.identity_number
    assert pin not in body.decode() and pin.replace("-", "") not in body.decode()


# --- The monthly attendance report ----------------------------------------------------------


@pytest.fixture
def report_case(world, anna):
    """Two participants referred from Rinkeby-Kista with financial assistance in November 2025 (one
    protected), and one referred by another district, which is not in the report."""
    from pestrack.records.casework.models import Participation
    from pestrack.records.meetings import rules

    month = dt.date(2025, 11, 1)
    a = make_person("Amina", "Ahmed", "jt-jarva", referring="sdf-rk", serial=301)
    b = make_person("Bo", "Berg", "jt-jarva", referring="sdf-rk", serial=302, protected=True)
    other = make_person("Cia", "Carlsson", "jt-jarva", referring="sdf-farsta", serial=303)
    measure = _first("measure")
    parts = {}
    for p, start, end in (
        (a, dt.date(2025, 10, 1), None),
        (b, dt.date(2025, 11, 17), dt.date(2025, 11, 28)),
        (other, dt.date(2025, 10, 1), None),
    ):
        e = p.enrolments.get()
        e.start_date = dt.date(2025, 9, 1)
        e.save()
        parts[p.last_name] = Participation.objects.create(
            enrolment=e, measure=measure, start_date=start, end_date=end, provider_name='=HYPERLINK("x")'
        )
    illness, child = _code("absence_reason", "illness"), _code("absence_reason", "care_of_child")
    # Ahmed: 3-7 Nov present but Wednesday ill; 10 Nov care of a child; 30 Nov (a Sunday) present
    days = {dt.date(2025, 11, d): (True, None) for d in (3, 4, 6, 7)}
    days |= {
        dt.date(2025, 11, 5): (False, illness),
        dt.date(2025, 11, 10): (False, child),
        dt.date(2025, 11, 30): (True, None),
    }
    rules.record_attendance(anna, parts["Ahmed"], days)
    rules.record_attendance(anna, parts["Berg"], {dt.date(2025, 11, 17): (False, illness)})
    rules.record_attendance(anna, parts["Carlsson"], {dt.date(2025, 11, 3): (True, None)})
    return month, a, b, parts


@pytest.mark.django_db
def test_the_report_counts_days_per_participation_with_totals(report_case, world, anna):
    from django.utils import translation

    from pestrack.records.casework.models import Enrolment
    from pestrack.records.org.models import OrgUnit
    from pestrack.reports import attendance

    month, a, b, parts = report_case
    with translation.override("en"):
        report = attendance.build(
            OrgUnit.objects.get(code="sdf-rk"), month, enrolments=Enrolment.objects.all(), user=anna
        )
    assert [r.person_id for r in report.rows] == [a.pk, b.pk]
    ahmed, berg = report.rows
    # November 2025 has 20 weekdays; Ahmed took part all month, Berg 17-28 Nov (10 weekdays)
    assert (ahmed.expected, ahmed.present, ahmed.absent, ahmed.not_entered) == (20, 5, 2, 14)
    assert ahmed.absent_by_reason == {"illness": 1, "care_of_child": 1}
    assert (berg.expected, berg.present, berg.absent, berg.not_entered) == (10, 0, 1, 9)
    assert berg.name == "*****" and berg.identity_number.startswith("*****")  # anna may not see protected
    assert ahmed.identity_number == a.identity_number and ahmed.name == "Ahmed, Amina"
    totals = report.totals()
    assert totals == {
        "expected": 30,
        "present": 5,
        "absent": 3,
        "not_entered": 23,
        "absent_by_reason": {"illness": 2, "care_of_child": 1},
    }


@pytest.mark.django_db
def test_who_is_on_the_report_is_the_profiles_code_rule(report_case, anna):
    """attendance_report: true on the target group or the entry route (codes.yaml) puts a referred
    participant on the report; without it on either, the participant is not on it."""
    from pestrack.records.casework.models import Enrolment
    from pestrack.records.codes.models import Code
    from pestrack.records.org.models import OrgUnit
    from pestrack.reports import attendance

    month, a, b, parts = report_case

    def on_report():
        report = attendance.build(
            OrgUnit.objects.get(code="sdf-rk"), month, enrolments=Enrolment.objects.all(), user=anna
        )
        return {r.person_id for r in report.rows}

    group, route = a.enrolments.get().target_group, a.enrolments.get().entry_route
    assert group.rules.get("attendance_report") and route.rules.get("attendance_report")  # as codes.yaml says
    assert on_report() == {a.pk, b.pk}
    other_group, other_route = (
        next(c for c in Code.objects.filter(list=name) if not c.rules.get("attendance_report"))
        for name in ("target_group", "entry_route")
    )
    Enrolment.objects.filter(person=a).update(target_group=other_group)
    assert on_report() == {a.pk, b.pk}  # still referred by an entry route with the rule
    Enrolment.objects.filter(person=a).update(entry_route=other_route)
    assert on_report() == {b.pk}
    other_group.rules = {**other_group.rules, "attendance_report": True}
    other_group.save()
    assert on_report() == {a.pk, b.pk}


@pytest.mark.django_db
def test_the_report_csv_is_for_swedish_excel_with_formulas_neutralised(report_case, anna):
    from django.utils import translation

    from pestrack.records.casework.models import Enrolment
    from pestrack.records.org.models import OrgUnit
    from pestrack.reports import attendance

    month, a, b, parts = report_case
    with translation.override("sv"):
        report = attendance.build(
            OrgUnit.objects.get(code="sdf-rk"), month, enrolments=Enrolment.objects.all(), user=anna
        )
        data = attendance.to_csv(report)
    assert data.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in data
    lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    header = lines[0]
    assert header[:3] == ["Namn", "Personnummer", "Insats"] and "Sjukdom" in header and "Vård av barn" in header
    ahmed = lines[1]
    assert ahmed[0] == "Ahmed, Amina" and ahmed[3] == '\'=HYPERLINK("x")' and ahmed[4] == "2025-10-01"
    assert lines[3][0] == "Summa" and lines[3][6:9] == ["30", "5", "3"] and len(lines) == 4
    assert attendance.neutralise("-1+2") == "'-1+2" and attendance.neutralise("@x") == "'@x"
    assert attendance.neutralise("-1") == "-1"  # a number is no formula (records.spreadsheet)
    assert attendance.neutralise("Amina") == "Amina"


@pytest.mark.django_db
def test_the_report_pdf_is_a_pdf_and_producing_it_is_logged_per_person(report_case, anna):
    from pestrack.records.casework.models import Enrolment
    from pestrack.records.org.models import OrgUnit
    from pestrack.reports import attendance

    month, a, b, parts = report_case
    report = attendance.build(OrgUnit.objects.get(code="sdf-rk"), month, enrolments=Enrolment.objects.all(), user=anna)
    pdf = attendance.to_pdf(report)
    assert pdf.startswith(b"%PDF") and b"/StructTreeRoot" in pdf and b"/Lang" in pdf  # tagged, as the annual report
    attendance.log_produced(report, actor="anna", actor_id=anna.pk, fmt="pdf", source="")
    logged = log_entries(action="export", object_type="attendance report")
    assert set(logged.values_list("person_id", flat=True)) == {a.pk, b.pk}
    assert logged.first().detail == "attendance report sdf-rk 2025-11 (pdf)"


@pytest.mark.django_db
def test_a_month_is_given_as_year_and_month(world):
    from pestrack.reports import attendance

    assert attendance.parse_month("2026-11") == dt.date(2026, 11, 1)
    for bad in ("2026-13", "nov", "2026/11"):
        with pytest.raises(ValueError, match="YYYY-MM"):
            attendance.parse_month(bad)


# --- Demo data ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_demo_data_gives_the_demo_caseworkers_a_day_of_meetings_and_due_attendance(world, participation, anna):
    from pestrack.records import access, worklist
    from pestrack.records.meetings.demo import add_demo_data
    from pestrack.records.meetings.models import Attendance, Meeting

    made = add_demo_data(TODAY, random.Random(1))
    assert made["meetings"] > 0 and made["attendance"] > 0
    mine = Meeting.objects.filter(organiser=anna)
    assert mine.filter(starts_at__date=TODAY).exists()
    assert mine.filter(starts_at__date__lt=TODAY, outcome__isnull=False).exists()
    assert not mine.filter(starts_at__date__lt=TODAY, outcome__isnull=True).exists()
    assert not mine.filter(starts_at__gt=timezone.now(), outcome__isnull=False).exists()
    assert Attendance.objects.filter(participation=participation).exists()
    assert worklist.counts(access.enrolments_in_scope(anna), TODAY)["meeting_today"] >= 1
    assert add_demo_data(TODAY, random.Random(1))["meetings"] == 0  # a second run adds nothing


@pytest.mark.django_db
def test_the_register_extract_holds_the_meetings_and_attendance(world, anna, enrolment, participation):
    from pestrack.records.meetings import rules
    from pestrack.records.people.export import person_extract, render_extract_html

    _book(
        anna,
        enrolment,
        NOW - dt.timedelta(days=1),
        outcome=_code("meeting_outcome", "absent_notice"),
        other_bodies=[_code("other_body", "region"), _code("other_body", "socialtjanst")],
    )
    day = TODAY - dt.timedelta(days=2)
    rules.record_attendance(anna, participation, {day: (False, _code("absence_reason", "illness"))})
    extract = person_extract(world.jarva)
    e = extract["enrolments"][0]
    assert [
        (m["kind"]["code"], m["outcome"]["code"], m["other_bodies"]["code"], m["organiser"]) for m in e["meetings"]
    ] == [("planning", "absent_notice", "socialtjanst, region", "anna")]
    assert e["attendance"] == [
        {
            "measure": e["participations"][0]["measure"],
            "date": day.isoformat(),
            "present": False,
            "absence_reason": {"code": "illness", "sv": "Sjukdom", "en": "Illness"},
        }
    ]
    html = render_extract_html(extract, "sv")
    assert "Möten" in html and "Uteblev med anmälan" in html and "Närvaro i insatser" in html and "Sjukdom" in html
