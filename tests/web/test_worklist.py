"""The work list pages and API: a caseworker's items, the home counts, a manager's view, access and
logging."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pestrack.records import worklist
from pestrack.records.casework.models import Enrolment, FollowUp, Plan
from pestrack.records.codes.models import Code
from tests.web.conftest import log_entries, make_person

TODAY = dt.date.today()
pytestmark = pytest.mark.django_db


def _assign(person, username, **fields) -> Enrolment:
    e = person.enrolments.get()
    e.caseworker = User.objects.get(username=username)
    for k, v in fields.items():
        setattr(e, k, v)
    e.save()
    return e


def _ended(person, username) -> Enrolment:
    """An enrolment of ``username`` that ended 100 days ago: its 3-month follow-up is due."""
    return _assign(
        person,
        username,
        end_date=TODAY - dt.timedelta(days=100),
        exit_reason=Code.objects.get(list="exit_reason", code="work"),
    )


@pytest.fixture
def due(world):
    """anna: a follow-up due (jarva), a plan to review (protected person); erik: a follow-up due;
    an enrolment of anna's at erik's office (out of her scope)."""
    from types import SimpleNamespace

    followup = _ended(world.jarva, "anna")
    plan_enrolment = _assign(world.protected, "anna")
    plan = Plan.objects.create(
        enrolment=plan_enrolment, date=TODAY - dt.timedelta(days=10), goals="Arbete", review_date=TODAY
    )
    erik = _ended(world.soderort, "erik")
    outside = _ended(world.referred, "anna")  # at jt-soderort: not anna's units
    return SimpleNamespace(followup=followup, plan=plan, erik=erik, outside=outside)


def test_worklist_shows_my_items_grouped_with_links_and_masked_names(world, due, login):
    client = login("anna")
    page = client.get("/worklist/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Jarva Jarvasson" in html and "Skyddadsson" not in html and "*****" in html
    assert f"/enrolments/{due.followup.pk}/followup/?months=3&amp;next=%2Fworklist%2F" in html
    assert f"/enrolments/{due.plan.enrolment_id}/plan/?next=" in html
    assert "Ortsson" not in html and "Rinkebysson" not in html  # erik's item; anna's outside her units
    assert "3 months after exit" in html
    due_date = worklist.items(Enrolment.objects.filter(pk=due.followup.pk), TODAY)[0]["due_date"]
    assert due_date < TODAY and "overdue by" in html
    logged = log_entries(actor="anna", action="read", object_type="work list")
    assert sorted(logged.values_list("person_id", flat=True)) == sorted([world.jarva.pk, world.protected.pk])


def test_worklist_filter_by_kind(world, due, login):
    html = login("anna").get("/worklist/?kind=plan_review_due").content.decode()
    assert "*****" in html and "Jarva Jarvasson" not in html
    assert 'aria-current="page">Plan reviews due' in html


def test_worklist_in_swedish_with_swedish_dates(world, due, login):
    client = login("anna")
    client.cookies["django_language"] = "sv"
    html = client.get("/worklist/", HTTP_ACCEPT_LANGUAGE="sv").content.decode()
    assert "Min arbetslista" in html and "Uppföljningar att göra" in html
    assert TODAY.isoformat() in html  # Swedish short dates: 2026-12-06
    assert "3 månader efter avslut" in html


def test_recording_the_followup_from_the_worklist_removes_it(world, due, login):
    client = login("anna")
    url = f"/enrolments/{due.followup.pk}/followup/?months=3&next=%2Fworklist%2F"
    form = client.get(url)
    assert 'value="3"' in form.content.decode()  # the months preset
    response = client.post(
        url,
        {
            "months": 3,
            "reference_date": TODAY.isoformat(),
            "working": "true",
            "studying": "unknown",
            "self_sufficient": "unknown",
            "source": "survey",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/worklist/"
    assert FollowUp.objects.filter(enrolment=due.followup, months=3).exists()
    assert "Jarva Jarvasson" not in client.get("/worklist/").content.decode()


def test_next_goes_nowhere_outside_the_site(world, due, login):
    client = login("anna")
    response = client.post(
        f"/enrolments/{due.followup.pk}/followup/?next=https://evil.example/",
        {"months": 3, "reference_date": TODAY.isoformat(), "source": "survey"},
    )
    assert response.status_code == 302 and response["Location"].startswith(f"/persons/{world.jarva.pk}/")


def test_home_page_counts_per_kind(world, due, login):
    html = login("anna").get("/").content.decode()
    assert "My work list" in html
    assert 'href="/worklist/?kind=followup_due">Follow-ups due</a>: 1' in html
    assert 'href="/worklist/?kind=plan_review_due">Plan reviews due</a>: 1' in html
    html = login("maria").get("/").content.decode()
    assert "Work lists of my units" in html and "/worklist/team/" in html


def test_manager_sees_counts_by_caseworker_and_unit_and_one_caseworkers_items(world, due, login):
    client = login("maria")
    html = client.get("/worklist/team/").content.decode()
    anna, erik = User.objects.get(username="anna"), User.objects.get(username="erik")
    assert f'href="/worklist/?caseworker={anna.pk}">anna</a>' in html
    assert f'href="/worklist/?caseworker={erik.pk}">erik</a>' in html
    assert "Jobbtorg Järva" in html and "Person" not in html
    counts = worklist.counts_by(Enrolment.objects.all(), TODAY)
    assert counts[anna.pk] == {"followup_due": 2, "plan_review_due": 1}  # maria's units hold both offices
    page = client.get(f"/worklist/?caseworker={anna.pk}")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Work list of anna" in text and "Jarva Jarvasson" in text and "Skyddadsson" in text  # maria may see
    assert "Rinkebysson" in text  # jt-soderort is within Jobbtorg, maria's unit
    assert log_entries(actor="maria", object_type="work list", person_id=world.jarva.pk).exists()


@pytest.mark.parametrize("path", ["/worklist/", "/worklist/team/", "/api/v1/worklist"])
@pytest.mark.parametrize("username", ["ali", "sara", "admin", "emil"])
def test_roles_without_access_are_refused_and_logged(world, due, login, path, username):
    response = login(username).get(path)
    assert response.status_code == 403
    assert log_entries(actor=username, action="denied").count() == 1


def test_caseworkers_cannot_open_another_caseworkers_list_or_the_team_view(world, due, login):
    anna = User.objects.get(username="anna")
    for username in ("erik", "dina"):
        client = login(username)
        assert client.get(f"/worklist/?caseworker={anna.pk}").status_code == 403
        assert client.get("/worklist/team/").status_code == 403
        assert log_entries(actor=username, action="denied").count() == 2
    # dina (another district) has her own, empty list: nothing of Jobbtorg's
    html = login("dina").get("/worklist/").content.decode()
    assert "Nothing is due" in html and "Jarvasson" not in html


def test_api_lists_my_items(world, due, login):
    client = login("anna")
    response = client.get("/api/v1/worklist")
    assert response.status_code == 200
    items = response.json()
    assert {(i["kind"], i["person_id"], i["enrolment_id"]) for i in items} == {
        ("followup_due", world.jarva.pk, due.followup.pk),
        ("plan_review_due", world.protected.pk, due.plan.enrolment_id),
    }
    followup = next(i for i in items if i["kind"] == "followup_due")
    assert followup["months"] == 3 and followup["object_id"] == due.followup.pk
    plan = next(i for i in items if i["kind"] == "plan_review_due")
    assert plan["object_id"] == due.plan.pk and plan["due_date"] == TODAY.isoformat()
    assert [i["kind"] for i in client.get("/api/v1/worklist?kind=plan_review_due").json()] == ["plan_review_due"]
    assert log_entries(actor="anna", object_type="work list").count() == 3
    bad = client.get("/api/v1/worklist?kind=nope")
    assert bad.status_code == 400 and bad.json()["detail"].startswith("kind: no such kind of item 'nope'")
    assert client.logout() is None and client.get("/api/v1/worklist").status_code == 401


def test_openapi_documents_the_worklist_with_its_errors(world, client):
    operation = client.get("/api/v1/openapi.json").json()["paths"]["/api/v1/worklist"]["get"]
    assert {"200", "400", "401", "403"} <= set(operation["responses"])
    item = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert item["type"] == "array"


def test_worklist_and_home_stay_within_their_statements(world, login):
    anna = User.objects.get(username="anna")
    for i in range(30):  # items of every kind on many persons: a per-row query would show
        person = make_person(f"Extra{i}", "Jarvasson", "jt-jarva", serial=200 + i)
        e = person.enrolments.get()
        e.caseworker = anna
        if i % 2:
            e.end_date, e.exit_reason = (
                TODAY - dt.timedelta(days=200),
                Code.objects.get(list="exit_reason", code="work"),
            )
        e.save()
        if not i % 2:
            Plan.objects.create(enrolment=e, date=TODAY - dt.timedelta(days=50), goals="x", review_date=TODAY)
    client = login("anna")
    # session, user, assignments, unit ids, the counts of every kind (one statement), the persons,
    # the access log (one statement on PostgreSQL; BEGIN, head, INSERT, COMMIT on SQLite); and the
    # items, one query per kind
    fixed = 7 + (0 if connection.vendor == "postgresql" else 3)
    for path, bound in (
        ("/worklist/", fixed + len(worklist.sources())),
        ("/worklist/?kind=followup_due", fixed + 1),
        ("/", 6),
    ):
        assert client.get(path).status_code == 200  # the first request after log-in renews the session
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path).status_code == 200
        statements = [q["sql"] for q in queries.captured_queries]
        assert len(statements) <= bound, (path, "\n".join(statements))
