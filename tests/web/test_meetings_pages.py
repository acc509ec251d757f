"""Meetings and attendance on the pages, the API and the command line: booking and recording the
outcome from the person page, my day and week, the calendar file, the week of attendance, the
monthly attendance report; every one refused (403, logged) outside the user's units and for roles
without access to persons."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.utils import timezone

from tests.web.conftest import log_entries

TODAY = timezone.localdate()


def _code(list_name, code):
    from pestrack.records.codes.models import Code

    return Code.objects.get(list=list_name, code=code)


def _meeting(person, *, days=0, hour=10, outcome=None, organiser="anna", **kw):
    from django.contrib.auth.models import User

    from pestrack.records.meetings.models import Meeting

    return Meeting.objects.create(
        person=person,
        enrolment=person.enrolments.get(),
        kind=_code("meeting_kind", "planning"),
        place="Rum 3",
        starts_at=timezone.make_aware(dt.datetime.combine(TODAY + dt.timedelta(days=days), dt.time(hour, 0))),
        outcome=_code("meeting_outcome", outcome) if outcome else None,
        organiser=User.objects.get(username=organiser),
        **kw,
    )


def _participation(person, days_ago=60):
    from pestrack.records.casework.models import Participation
    from pestrack.records.codes.models import Code

    return Participation.objects.create(
        enrolment=person.enrolments.get(),
        start_date=TODAY - dt.timedelta(days=days_ago),
        measure=Code.objects.filter(list="measure").order_by("sort_order").first(),
    )


def _booking(enrolment, day, **extra):
    data = {
        "enrolment": enrolment.pk,
        "kind": _code("meeting_kind", "three_party").pk,
        "date": day.isoformat(),
        "time": "10:00",
        "duration_minutes": "60",
        "place": "Jobbtorg Järva",
        "other_bodies": [_code("other_body", "socialtjanst").pk],
    }
    data.update(extra)
    return data


# --- Booking and outcome on the person page ----------------------------------------------------


@pytest.mark.django_db
def test_book_a_meeting_from_the_person_page_and_see_it_there(world, login):
    from pestrack.records.meetings.models import Meeting

    client = login("anna")
    page = client.get(f"/persons/{world.jarva.pk}/").content.decode()
    assert f"/persons/{world.jarva.pk}/meetings/new/" in page and "No meetings." in page
    enrolment = world.jarva.enrolments.get()
    response = client.post(
        f"/persons/{world.jarva.pk}/meetings/new/", _booking(enrolment, TODAY + dt.timedelta(days=2))
    )
    assert response.status_code == 302 and response["Location"].endswith("#meetings")
    meeting = Meeting.objects.get()
    assert meeting.organiser.username == "anna" and [c.code for c in meeting.other_bodies.all()] == ["socialtjanst"]
    page = client.get(f"/persons/{world.jarva.pk}/").content.decode()
    assert "Three-party meeting" in page and "Social services" in page and "Not recorded" in page
    assert f"/meetings/{meeting.pk}/calendar.ics" in page
    assert f"/meetings/{meeting.pk}/outcome/" not in page  # not started yet
    assert log_entries(action="create", object_type="meeting", actor="anna").count() == 1


@pytest.mark.django_db
def test_booking_in_the_past_without_outcome_is_refused_beside_the_field(world, login):
    from pestrack.records.meetings.models import Meeting

    client = login("anna")
    enrolment = world.jarva.enrolments.get()
    response = client.post(
        f"/persons/{world.jarva.pk}/meetings/new/", _booking(enrolment, TODAY - dt.timedelta(days=3))
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="id_date-error"' in html and "a meeting in the past cannot be booked" in html
    assert not Meeting.objects.exists()
    response = client.post(
        f"/persons/{world.jarva.pk}/meetings/new/",
        _booking(enrolment, TODAY + dt.timedelta(days=3), outcome=_code("meeting_outcome", "attended").pk),
    )
    assert response.status_code == 422 and "has not started yet" in response.content.decode()
    response = client.post(
        f"/persons/{world.jarva.pk}/meetings/new/",
        _booking(enrolment, TODAY - dt.timedelta(days=3), outcome=_code("meeting_outcome", "attended").pk),
    )
    assert response.status_code == 302 and Meeting.objects.get().outcome.code == "attended"


@pytest.mark.django_db
def test_booking_is_in_swedish_for_a_swedish_user(world, login):
    client = login("anna")
    client.post("/language/", {"language": "sv", "next": "/"})
    enrolment = world.jarva.enrolments.get()
    html = client.post(
        f"/persons/{world.jarva.pk}/meetings/new/", _booking(enrolment, TODAY - dt.timedelta(days=3), place="")
    ).content.decode()
    assert "Boka ett möte" in html and "ett möte bakåt i tiden kan inte bokas" in html
    assert "Ange plats, eller markera mötet som digitalt." in html and "Trepartssamtal" in html


@pytest.mark.django_db
def test_record_the_outcome_in_place_with_htmx(world, login):
    meeting = _meeting(world.jarva, days=0, hour=0)
    client = login("anna")
    page = client.get(f"/persons/{world.jarva.pk}/").content.decode()
    assert f'hx-get="/meetings/{meeting.pk}/outcome/"' in page
    form = client.get(f"/meetings/{meeting.pk}/outcome/", HTTP_HX_REQUEST="true")
    assert (
        form.status_code == 200 and "<html" not in form.content.decode() and 'name="outcome"' in form.content.decode()
    )
    response = client.post(
        f"/meetings/{meeting.pk}/outcome/", {"outcome": _code("meeting_outcome", "attended").pk}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200 and response["HX-Retarget"] == f"#meeting-{meeting.pk}"
    assert "Attended" in response.content.decode() and "The outcome is recorded." in response.content.decode()
    meeting.refresh_from_db()
    assert meeting.outcome.code == "attended"
    assert log_entries(action="update", object_type="meeting", detail="outcome attended").count() == 1


@pytest.mark.django_db
def test_an_outcome_before_the_meeting_has_started_is_refused(world, login):
    meeting = _meeting(world.jarva, days=1)
    response = login("anna").post(
        f"/meetings/{meeting.pk}/outcome/", {"outcome": _code("meeting_outcome", "attended").pk}
    )
    assert response.status_code == 422 and "has not started yet" in response.content.decode()
    meeting.refresh_from_db()
    assert meeting.outcome is None


# --- My day and week ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_my_day_and_week_show_my_meetings_with_links_to_the_person(world, login):
    today = _meeting(world.jarva, days=0, hour=9)
    protected = _meeting(world.protected, days=0, hour=11)
    other_day = _meeting(world.jarva, days=1 if TODAY.weekday() < 6 else -1, hour=9)
    _meeting(world.soderort, days=0, organiser="erik")
    client = login("anna")
    html = client.get("/meetings/").content.decode()
    assert f"/persons/{world.jarva.pk}/" in html and "Jarva Jarvasson" in html and "Ortsson" not in html
    assert "Skyddadsson" not in html and "*****" in html and "2 meetings" in html
    assert f"meeting-{other_day.pk}" not in html
    week = client.get(f"/meetings/?view=week&day={TODAY.isoformat()}").content.decode()
    assert all(f"meeting-{m.pk}" in week for m in (today, protected, other_day)) and "3 meetings" in week
    assert set(log_entries(actor="anna", object_type="meetings").values_list("person_id", flat=True)) == {
        world.jarva.pk,
        world.protected.pk,
    }
    manager = login("maria").get(f"/meetings/?view=week&day={TODAY.isoformat()}").content.decode()
    assert "Ortsson" in manager and "Skyddadsson" in manager  # a manager sees their units', unmasked


# --- Calendar file -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_calendar_file_is_access_checked_logged_and_masks_a_protected_person(world, login):
    from icalendar import Calendar

    meeting = _meeting(world.protected, days=1)
    response = login("anna").get(f"/meetings/{meeting.pk}/calendar.ics")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    assert "attachment" in response["Content-Disposition"]
    event = Calendar.from_ical(response.content).walk("VEVENT")[0]
    assert str(event["summary"]) == "Planning meeting: *****"
    body = response.content.decode()
    assert "Skyddadsson" not in body and world.protected.identity_number not in body
    assert log_entries(actor="anna", person_id=world.protected.pk, object_type="meeting calendar file").count() == 1


# --- Attendance --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_record_a_week_of_attendance_in_the_grid(world, login):
    from pestrack.records.meetings.models import Attendance

    p = _participation(world.jarva)
    monday = TODAY - dt.timedelta(days=TODAY.weekday() + 7)
    client = login("anna")
    url = f"/measures/{p.pk}/attendance/?week={monday.isoformat()}"
    page = client.get(url)
    assert page.status_code == 200 and f'name="status_{monday.isoformat()}"' in page.content.decode()
    data = {f"status_{(monday + dt.timedelta(days=i)).isoformat()}": "present" for i in range(5)}
    wednesday = (monday + dt.timedelta(days=2)).isoformat()
    data[f"status_{wednesday}"] = "absent"
    data[f"reason_{wednesday}"] = _code("absence_reason", "illness").pk
    response = client.post(url, data)
    assert response.status_code == 302
    assert Attendance.objects.filter(participation=p, present=True).count() == 4
    assert Attendance.objects.get(participation=p, present=False).absence_reason.code == "illness"
    assert log_entries(actor="anna", action="update", object_type="attendance", person_id=world.jarva.pk).count() == 1
    again = client.get(url).content.decode()
    assert 'value="absent" checked' in again or "checked" in again


@pytest.mark.django_db
def test_attendance_outside_the_participation_or_in_the_future_is_refused(world, login):
    from pestrack.records.meetings.models import Attendance

    p = _participation(world.jarva, days_ago=3)
    client = login("anna")
    before = p.start_date - dt.timedelta(days=1)
    response = client.post(
        f"/measures/{p.pk}/attendance/?week={before.isoformat()}", {f"status_{before.isoformat()}": "present"}
    )
    assert response.status_code == 422 and "outside the participation" in response.content.decode()
    tomorrow = TODAY + dt.timedelta(days=1)
    response = client.post(
        f"/measures/{p.pk}/attendance/?week={tomorrow.isoformat()}", {f"status_{tomorrow.isoformat()}": "present"}
    )
    assert response.status_code == 422 and "in the future" in response.content.decode()
    response = client.post(
        f"/measures/{p.pk}/attendance/?week={TODAY.isoformat()}", {f"status_{TODAY.isoformat()}": "absent"}
    )
    assert response.status_code == 422 and "give the reason for the absence" in response.content.decode()
    assert not Attendance.objects.exists()


# --- The monthly attendance report -------------------------------------------------------------


@pytest.mark.django_db
def test_the_report_page_offers_my_referring_units_and_downloads_csv_and_pdf(world, login):
    from django.contrib.auth.models import User

    from pestrack.records.meetings import rules

    p = _participation(world.referred, days_ago=90)
    month = (TODAY.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    rules.record_attendance(
        User.objects.get(username="dina"),
        p,
        {month + dt.timedelta(days=i): (True, None) for i in range(7) if (month + dt.timedelta(days=i)).weekday() < 5},
    )
    client = login("dina")
    page = client.get("/attendance/report/").content.decode()
    assert 'value="sdf-rk"' in page and 'value="sdf-farsta"' not in page
    response = client.get("/attendance/report/", {"month": f"{month:%Y-%m}", "unit": "sdf-rk", "format": "csv"})
    assert response.status_code == 200 and response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[1][0] == "Rinkebysson, Remiss" and rows[1][7] == "5" and rows[-1][0] == "Total"
    logged = log_entries(actor="dina", action="export", object_type="attendance report")
    assert list(logged.values_list("person_id", flat=True)) == [world.referred.pk]
    pdf = client.get("/attendance/report/", {"month": f"{month:%Y-%m}", "unit": "sdf-rk", "format": "pdf"})
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    erik = login("erik").get("/attendance/report/").content.decode()
    assert 'value="sdf-rk"' in erik and 'value="sdf-farsta"' in erik


@pytest.mark.django_db
def test_the_report_refuses_a_bad_month_beside_the_field(world, login):
    response = login("dina").get("/attendance/report/", {"month": "november", "unit": "sdf-rk", "format": "csv"})
    assert response.status_code == 422 and "YYYY-MM" in response.content.decode()
    assert not log_entries(object_type="attendance report").exists()


# --- Access ------------------------------------------------------------------------------------


def _surfaces(world):
    meeting = _meeting(world.soderort, days=0, hour=0, organiser="erik")
    p = _participation(world.soderort)
    return {
        "book": f"/persons/{world.soderort.pk}/meetings/new/",
        "outcome": f"/meetings/{meeting.pk}/outcome/",
        "ics": f"/meetings/{meeting.pk}/calendar.ics",
        "attendance": f"/measures/{p.pk}/attendance/",
        "api": f"/api/v1/persons/{world.soderort.pk}/meetings",
    }


@pytest.mark.django_db
def test_another_districts_caseworker_is_refused_everywhere_and_it_is_logged(world, login):
    surfaces = _surfaces(world)
    client = login("anna")
    for name, url in surfaces.items():
        response = client.get(url)
        assert response.status_code == 403, name
    assert client.post(surfaces["outcome"], {"outcome": _code("meeting_outcome", "attended").pk}).status_code == 403
    assert log_entries(action="denied", actor="anna", person_id=world.soderort.pk).count() == len(surfaces) + 1
    response = client.get("/attendance/report/", {"month": "2026-01", "unit": "sdf-farsta", "format": "csv"})
    assert response.status_code == 403
    assert log_entries(action="denied", actor="anna", object_type="attendance report").count() == 1
    assert not log_entries(person_id=world.soderort.pk, actor="anna").exclude(action="denied").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["ali", "emil", "sara", "admin"])
def test_roles_without_access_to_persons_are_refused_and_logged(world, login, username):
    surfaces = _surfaces(world)
    client = login(username)
    for url in [*surfaces.values(), "/meetings/", "/attendance/report/"]:
        assert client.get(url).status_code == 403, url
    assert log_entries(action="denied", actor=username).count() == len(surfaces) + 2


@pytest.mark.django_db
def test_a_manager_reads_but_does_not_book_or_record(world, login):
    surfaces = _surfaces(world)
    client = login("maria")
    assert client.get(surfaces["ics"]).status_code == 200
    assert client.get(surfaces["api"]).status_code == 200
    for name in ("book", "outcome", "attendance"):
        assert client.get(surfaces[name]).status_code == 403, name


# --- API ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_api_lists_and_books_meetings_with_field_errors(world, login):
    from pestrack.records.meetings.models import Meeting

    _meeting(world.jarva, days=-1, outcome="attended")
    client = login("anna")
    url = f"/api/v1/persons/{world.jarva.pk}/meetings"
    listed = client.get(url).json()
    assert [(m["kind"], m["outcome"], m["organiser"]) for m in listed] == [("planning", "attended", "anna")]
    enrolment = world.jarva.enrolments.get()
    starts = timezone.make_aware(dt.datetime.combine(TODAY + dt.timedelta(days=2), dt.time(13, 0)))
    good = {
        "enrolment_id": enrolment.pk,
        "kind": "finsam_team",
        "starts_at": starts.isoformat(),
        "digital": True,
        "other_bodies": ["forsakringskassan", "region"],
    }
    response = client.post(url, good, content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["other_bodies"] == ["forsakringskassan", "region"] and response.json()["outcome"] is None
    past = {**good, "starts_at": (starts - dt.timedelta(days=5)).isoformat()}
    response = client.post(url, past, content_type="application/json")
    assert response.status_code == 422 and response.json()["detail"][0]["field"] == "starts_at"
    response = client.post(url, {**good, "kind": "party", "enrolment_id": 999999}, content_type="application/json")
    assert {e["field"] for e in response.json()["detail"]} == {"kind", "enrolment_id"}
    assert Meeting.objects.count() == 2
    assert log_entries(actor="anna", action="create", object_type="meeting").count() == 1


@pytest.mark.django_db
def test_api_meetings_are_in_the_openapi_schema_with_their_errors(world, login):
    schema = login("anna").get("/api/v1/openapi.json").json()
    path = schema["paths"]["/api/v1/persons/{person_id}/meetings"]
    assert set(path["get"]["responses"]) >= {"200", "401", "403", "404"}
    assert set(path["post"]["responses"]) >= {"201", "401", "403", "404", "422"}


# --- Command line ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_cli_writes_the_report_and_logs_it(world, tmp_path):
    from typer.testing import CliRunner

    from pestrack.cli import app

    p = _participation(world.referred, days_ago=90)
    month = (TODAY.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    out = tmp_path / "report.csv"
    result = CliRunner().invoke(
        app,
        ["attendance", "report", "--month", f"{month:%Y-%m}", "--unit", "sdf-rk", "--format", "csv", "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    assert "Rinkebysson" in out.read_bytes().decode("utf-8-sig") and p.pk
    assert log_entries(action="export", object_type="attendance report", person_id=world.referred.pk).count() == 1
    bad = CliRunner().invoke(app, ["attendance", "report", "--month", "13-2026", "--unit", "sdf-rk", "--out", str(out)])
    assert bad.exit_code == 2 and "YYYY-MM" in bad.output


@pytest.mark.django_db
def test_the_person_page_shows_the_latest_meetings_only(world, login):
    from pestrack.web.meetings.views import PERSON_PAGE_MEETINGS

    made = [_meeting(world.jarva, days=-i, outcome="attended") for i in range(1, PERSON_PAGE_MEETINGS + 2)]
    html = login("anna").get(f"/persons/{world.jarva.pk}/").content.decode()
    assert f'id="meeting-{made[0].pk}"' in html and f'id="meeting-{made[-1].pk}"' not in html
    assert html.count('class="meeting"') == PERSON_PAGE_MEETINGS and "earlier ones are in the register extract" in html
