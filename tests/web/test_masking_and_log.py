"""Protected identities masked in every output, unmasked only with may_see_protected; every read
logged with actor, person and address; no identity number in clear anywhere in the log."""

from __future__ import annotations

import json

import pytest

from tests.web.conftest import log_entries, make_administrator

SECRET_BITS = ("Hemlig", "Skyddadsson", "Skyddadssongatan")


def _outputs(client, pid):
    """Every place a person's identity can appear, as text."""
    return {
        "list": client.get("/persons/").content.decode(),
        "detail": client.get(f"/persons/{pid}/").content.decode(),
        "api list": client.get("/api/v1/persons").content.decode(),
        "api detail": client.get(f"/api/v1/persons/{pid}").content.decode(),
        "api export": client.get(f"/api/v1/persons/{pid}/export").content.decode(),
        "caseload": client.get("/caseload/?scope=units").content.decode(),
        "export json": client.get(f"/persons/{pid}/export.json").content.decode(),
        "export html": client.get(f"/persons/{pid}/export.html").content.decode(),
    }


@pytest.mark.django_db
def test_protected_identity_is_masked_everywhere_for_a_caseworker(world, login):
    number = world.protected.identity_number
    for where, text in _outputs(login("anna"), world.protected.pk).items():
        for secret in (*SECRET_BITS, number, number.replace("-", "")):
            assert secret not in text, f"{secret!r} shown in {where}"
        assert "*****" in text, where


@pytest.mark.django_db
def test_protected_identity_is_shown_with_may_see_protected(world, login):
    outputs = _outputs(login("maria"), world.protected.pk)
    for where in ("list", "detail", "api list", "api detail", "export json", "export html"):
        assert "Skyddadsson" in outputs[where], where
    for where in ("api detail", "export json", "detail"):
        assert world.protected.identity_number in outputs[where], where


@pytest.mark.django_db
def test_unprotected_person_is_not_masked(world, login):
    data = login("anna").get(f"/api/v1/persons/{world.jarva.pk}").json()
    assert data["last_name"] == "Jarvasson" and data["identity_number"] == world.jarva.identity_number
    assert data["masked"] is False


@pytest.mark.django_db
def test_caseworker_without_permission_cannot_lift_the_protection(world, login):
    make_administrator("anna")  # the admin is for administrators: one who is also a caseworker
    client = login("anna")
    page = client.get(f"/admin/people/person/{world.protected.pk}/change/").content.decode()
    assert 'name="protected_identity"' not in page and 'name="first_name"' not in page


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url, action",
    [
        ("/persons/{id}/", "read"),
        ("/api/v1/persons/{id}", "read"),
        ("/api/v1/persons/{id}/followups", "read"),
        ("/persons/{id}/journal/", "read"),
        ("/persons/{id}/export.json", "export"),
        ("/persons/{id}/export.html", "export"),
        ("/api/v1/persons/{id}/export", "export"),
    ],
)
def test_every_read_is_logged_with_actor_person_and_address(world, login, url, action):
    response = login("anna").get(url.format(id=world.jarva.pk), REMOTE_ADDR="192.0.2.7")
    assert response.status_code == 200
    entry = log_entries(person_id=world.jarva.pk, action=action).get()
    assert (entry.actor, entry.source) == ("anna", "192.0.2.7")
    assert entry.at is not None


@pytest.mark.django_db
def test_lists_log_each_person_shown(world, login):
    client = login("anna")
    for url in ("/persons/", "/api/v1/persons", "/caseload/?scope=units"):
        before = log_entries(action="read").count()
        client.get(url, REMOTE_ADDR="192.0.2.8")
        shown = log_entries(action="read", source="192.0.2.8").order_by("-id")[: log_entries().count() - before]
        assert {e.person_id for e in shown} == {world.jarva.pk, world.protected.pk}, url


@pytest.mark.django_db
def test_admin_write_is_logged(world, login):
    make_administrator("anna")  # the admin is for administrators: one who is also a caseworker
    client = login("anna")
    url = f"/admin/people/person/{world.jarva.pk}/change/"
    form = {
        "first_name": "Jarva",
        "last_name": "Jarvasson",
        "sex": "woman",
        "municipality": "0180",
        "address": "Ny gata 2",
        "enrolments-TOTAL_FORMS": "0",
        "enrolments-INITIAL_FORMS": "0",
    }
    response = client.post(url, form, REMOTE_ADDR="192.0.2.9")
    assert response.status_code == 302, response.content.decode()[:2000]
    world.jarva.refresh_from_db()
    assert world.jarva.address == "Ny gata 2"
    assert log_entries(action="update", person_id=world.jarva.pk, actor="anna", source="192.0.2.9").exists()


@pytest.mark.django_db
def test_no_identity_number_in_clear_in_the_log(world, login):
    from pestrack.records.people.models import Person

    anna = login("anna")
    for p in Person.objects.all():
        anna.post("/search/", {"q": p.identity_number})
        anna.get(f"/persons/{p.pk}/export.json")
        anna.get(f"/api/v1/persons/{p.pk}")
    maria = login("maria")
    for p in Person.objects.all():
        maria.get(f"/persons/{p.pk}/export.html")
    sara = login("sara")
    sara.post("/log-review/", {"person": world.jarva.identity_number})
    numbers = [p.identity_number for p in Person.objects.all()]
    numbers += [n.replace("-", "") for n in numbers] + [n[2:] for n in numbers]
    entries = list(log_entries().values_list("actor", "action", "object_type", "object_id", "detail", "source"))
    assert len(entries) > 15
    text = json.dumps(entries)
    for n in numbers:
        assert n not in text
