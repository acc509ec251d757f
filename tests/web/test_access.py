"""Horizontal and role-based access through every surface: pages, API (session and token), exports.
(The admin shows no person to these roles at all: tests/web/test_admin.py.)"""

from __future__ import annotations

import pytest

from tests.web.conftest import log_entries

SURFACES = {
    "page": "/persons/{id}/",
    "api": "/api/v1/persons/{id}",
    "api enrolments": "/api/v1/persons/{id}/enrolments",
    "api export": "/api/v1/persons/{id}/export",
    "journal": "/persons/{id}/journal/",
    "export json": "/persons/{id}/export.json",
    "export html": "/persons/{id}/export.html",
}


def _token_for(username):
    from django.contrib.auth.models import User

    from pestrack.web.models import ApiToken

    return ApiToken.issue(User.objects.get(username=username))[1]


@pytest.mark.django_db
@pytest.mark.parametrize("surface", SURFACES)
def test_caseworker_cannot_read_person_of_another_office(world, login, surface):
    client = login("anna")
    response = client.get(SURFACES[surface].format(id=world.soderort.pk), REMOTE_ADDR="10.1.2.3")
    assert response.status_code in (403, 404)
    denied = log_entries(action="denied", person_id=world.soderort.pk)
    assert denied.count() == 1
    assert denied.get().actor == "anna" and denied.get().source == "10.1.2.3"
    assert not log_entries(person_id=world.soderort.pk).exclude(action="denied").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("surface", [s for s in SURFACES if s.startswith("api")])
def test_api_token_gets_the_same_refusal(world, client, surface):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {_token_for('anna')}"}
    response = client.get(SURFACES[surface].format(id=world.soderort.pk), **headers)
    assert response.status_code == 403
    assert list(response.json()) == ["detail"]
    assert log_entries(action="denied", person_id=world.soderort.pk, actor="anna").count() == 1
    ok = client.get(SURFACES[surface].format(id=world.jarva.pk), **headers)
    assert ok.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("surface", SURFACES)
def test_caseworker_reads_own_and_referred_persons(world, login, surface):
    assert login("anna").get(SURFACES[surface].format(id=world.jarva.pk)).status_code == 200
    # dina works at the district that referred this person to Jobbtorg Söderort
    assert login("dina").get(SURFACES[surface].format(id=world.referred.pk)).status_code == 200
    assert login("dina").get(SURFACES[surface].format(id=world.jarva.pk)).status_code in (403, 404)


@pytest.mark.django_db
def test_page_lists_show_only_persons_in_scope(world, login):
    client = login("anna")
    for url in ("/persons/", "/caseload/?scope=units"):
        html = client.get(url).content.decode()
        assert "Jarvasson" in html
        assert "Ortsson" not in html and "Rinkebysson" not in html
    items = client.get("/api/v1/persons").json()["items"]
    assert {p["id"] for p in items} == {world.jarva.pk, world.protected.pk}


@pytest.mark.django_db
def test_search_by_identity_number_is_logged_without_the_number(world, login):
    number = world.jarva.identity_number
    html = login("anna").post("/search/", {"q": number}).content.decode()
    assert "Jarvasson" in html
    search = log_entries(action="search", actor="anna", detail__startswith="by identity number").get()
    assert search.person_id == world.jarva.pk
    for entry in log_entries(action="search", actor="anna"):  # the list query's own entry too
        assert number not in entry.detail and number.replace("-", "") not in entry.detail
    # a number of a person outside anna's units finds nothing
    html = login("anna").post("/search/", {"q": world.soderort.identity_number}).content.decode()
    assert "Ortsson" not in html


@pytest.mark.django_db
def test_unit_manager_reads_but_cannot_write(world, login):
    client = login("maria")
    assert client.get(f"/persons/{world.soderort.pk}/").status_code == 200
    enrolment = world.soderort.enrolments.get()
    url = f"/enrolments/{enrolment.pk}/plan/"
    response = client.post(url, {"date": "2024-01-10", "goals": "Changed", "steps": "X"})
    assert response.status_code == 403
    assert not enrolment.plans.exists()
    assert log_entries(action="denied", actor="maria", person_id=world.soderort.pk).exists()
    assert client.get("/persons/new/").status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["ali", "admin", "sara"])
def test_analyst_admin_and_dpo_cannot_read_persons(world, login, username):
    client = login(username)
    for url in ("/persons/", "/api/v1/persons", "/admin/people/person/", "/admin/casework/enrolment/"):
        assert client.get(url).status_code == 403, url
    for surface in SURFACES.values():
        assert client.get(surface.format(id=world.jarva.pk)).status_code in (403, 404)
    assert log_entries(actor=username, action="denied").count() >= 4
    assert not log_entries(actor=username, action__in=["read", "export"]).exists()


@pytest.mark.django_db
def test_api_errors_are_json(world, client):
    assert client.get("/api/v1/persons").status_code == 401
    assert client.get("/api/v1/persons", HTTP_AUTHORIZATION="Bearer wrong").json() == {"detail": "Unauthorized"}
    token = _token_for("anna")
    missing = client.get("/api/v1/persons/999999", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert missing.status_code == 404 and "detail" in missing.json()


@pytest.mark.django_db
def test_token_is_stored_hashed_and_notes_last_use(world, client):
    from pestrack.web.models import ApiToken

    token = _token_for("anna")
    stored = ApiToken.objects.get()
    assert token not in (stored.token_hash, stored.hint) and stored.last_used is None
    client.get("/api/v1/persons", HTTP_AUTHORIZATION=f"Bearer {token}")
    stored.refresh_from_db()
    assert stored.last_used is not None


@pytest.mark.django_db
def test_pages_need_login(world, client):
    response = client.get(f"/persons/{world.jarva.pk}/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not log_entries(person_id=world.jarva.pk).exists()


@pytest.mark.django_db
def test_a_requests_access_checks_share_one_look_up_of_the_users_assignments(world, login):
    """The person page asks for the user's assignments once (scope, write scope, masking and the
    navigation share it), still refuses another office's person and logs both the read and the refusal."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login("anna")
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/persons/{world.protected.pk}/").status_code == 200
    assert sum('FROM "org_assignment"' in q["sql"] for q in queries.captured_queries) == 1
    assert client.get(f"/persons/{world.soderort.pk}/").status_code == 403
    assert log_entries(action="read", actor="anna", person_id=world.protected.pk).exists()
    assert log_entries(action="denied", actor="anna", person_id=world.soderort.pk).exists()


@pytest.mark.django_db
def test_access_checks_outside_a_request_see_a_changed_assignment(world):
    """Without a request's memo every check reads the assignments anew."""
    from django.contrib.auth.models import User

    from pestrack.records import access
    from pestrack.records.org.models import Assignment

    anna = User.objects.get(username="anna")
    assert access.can_access(anna, world.jarva)
    Assignment.objects.filter(user=anna).delete()
    assert not access.can_access(anna, world.jarva) and not access.has_role(anna, *access.READ_ROLES)


@pytest.mark.django_db
def test_the_api_gives_an_enrolments_work_history(world, client):
    """What profiling uses (time since last work) as the enrol form recorded it."""
    import datetime as dt

    world.jarva.enrolments.update(last_worked=dt.date(2021, 4, 1), never_worked=False)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {_token_for('anna')}"}
    [row] = client.get(f"/api/v1/persons/{world.jarva.pk}/enrolments", **headers).json()
    assert (row["last_worked"], row["never_worked"]) == ("2021-04-01", False)
