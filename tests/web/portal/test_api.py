"""The portal's API: the participant's own records for their session, in the OpenAPI schema; staff
sessions and tokens get 403; bad input refused in the participant's language, logged, nothing changed."""

from __future__ import annotations

import pytest

from pestrack.records.employers.models import PlaceInterest
from pestrack.records.journal.models import Message
from tests.web.conftest import log_entries
from tests.web.portal.conftest import sign_in

pytestmark = pytest.mark.django_db


def test_the_participant_reads_their_own_records(portal_world, client):
    w = portal_world
    sign_in(client, w.jarva)
    me = client.get("/api/v1/portal/me").json()
    assert me["id"] == w.jarva.pk and me["caseworker"]["name"]
    assert client.get("/api/v1/portal/plan").json()["goals"] == "Arbete som lokalvårdare (Jarva)"
    meetings = client.get("/api/v1/portal/meetings").json()
    assert {m["id"] for m in meetings} == {w.jarva_records["coming"].pk, w.jarva_records["past"].pk}
    assert meetings[0]["coming"] and meetings[0]["calendar_url"].endswith("calendar.ics")
    places = client.get("/api/v1/portal/places").json()
    assert [p["title"] for p in places] == ["Lokalvårdare"] and places[0]["reasons"]
    assert log_entries(object_type="portal plan", person_id=w.jarva.pk, actor=f"participant:{w.jarva.pk}").exists()


def test_interest_and_messages_through_the_api(portal_world, client):
    w = portal_world
    sign_in(client, w.jarva)
    r = client.post("/api/v1/portal/interest", {"place_id": w.place.pk}, content_type="application/json")
    assert r.status_code == 201 and PlaceInterest.objects.filter(person=w.jarva).count() == 1
    assert (
        client.post("/api/v1/portal/interest", {"place_id": w.place.pk}, content_type="application/json").status_code
        == 200
    )
    r = client.post("/api/v1/portal/interest", {"place_id": w.closed.pk}, content_type="application/json")
    assert r.status_code == 422 and "no longer open" in r.json()["detail"]
    assert PlaceInterest.objects.count() == 1
    r = client.post("/api/v1/portal/messages", {"text": "Hej! Kan vi ses på fredag?"})
    assert r.status_code == 201 and r.json()["from_me"]
    assert [m["text"] for m in client.get("/api/v1/portal/messages").json()] == ["Hej! Kan vi ses på fredag?"]
    r = client.post("/api/v1/portal/messages", {"text": ""})
    assert r.status_code == 422 and Message.objects.count() == 1


def test_refusals_are_in_the_participants_language(portal_world, client):
    sign_in(client, portal_world.jarva)
    client.post("/portal/language/", {"language": "sv"})
    r = client.post("/api/v1/portal/interest", {"place_id": portal_world.closed.pk}, content_type="application/json")
    assert r.status_code == 422 and "inte längre öppen" in r.json()["detail"]


def test_sessions_of_the_other_kind_are_refused(portal_world, client, login):
    assert client.get("/api/v1/portal/me").status_code == 401  # nobody signed in
    sign_in(client, portal_world.jarva)
    for path in (
        "/api/v1/persons",
        f"/api/v1/persons/{portal_world.jarva.pk}",
        "/api/v1/worklist",
        "/api/v1/openapi.json",
    ):
        assert client.get(path).status_code == 403, path
    staff = login("anna")
    assert staff.get("/api/v1/portal/me").status_code == 403


def test_the_portal_api_is_in_the_openapi_schema(world, login):
    paths = login("anna").get("/api/v1/openapi.json").json()["paths"]
    for path in ("me", "plan", "meetings", "places", "interest", "messages"):
        assert f"/api/v1/portal/{path}" in paths
    assert set(paths["/api/v1/portal/messages"]) == {"get", "post"}


def test_a_too_long_message_is_refused_with_swedish_numbers(portal_world, client):
    import re

    sign_in(client, portal_world.jarva)
    client.post("/portal/language/", {"language": "sv"})
    r = client.post("/api/v1/portal/messages", {"text": "x" * 4001})
    assert r.status_code == 422 and re.search(r"4\s001 tecken; högst 4\s000", r.json()["detail"]), r.json()
    assert not Message.objects.exists()
