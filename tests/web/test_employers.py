"""Employer pages: the register and contact log for employer-relations staff only; a place's
candidates only from the caseworker's own units; proposing under the hard rules; all logged."""

from __future__ import annotations

import datetime as dt

import pytest

from pestrack.records.codes.models import Code
from pestrack.records.employers.models import Contact, Employer, Place, Placement
from tests.web.conftest import PASSWORD, log_entries


@pytest.fixture
def employer_world(world):
    from pestrack.records.org.users import add_user

    add_user("emil", "employer_relations", ["amf"], password=PASSWORD)
    employer = Employer.objects.create(org_number="556036-0793", name="Exempelhandeln AB", size_band="50-249")
    place = Place.objects.create(
        kind=Code.objects.get(list="place_type", code="stockholmsjobb"),
        employer=employer,
        title="Lokalvårdare",
        start_date=dt.date.today(),
    )
    feriejobb = Place.objects.create(
        kind=Code.objects.get(list="place_type", code="feriejobb"),
        employer=employer,
        title="Parkarbetare",
        start_date=dt.date.today(),
    )
    world.employer, world.place, world.feriejobb = employer, place, feriejobb
    return world


@pytest.mark.django_db
def test_the_register_is_for_employer_relations_staff(employer_world, login):
    client = login("emil")
    r = client.get("/employers/")
    assert r.status_code == 200 and "Exempelhandeln AB" in r.content.decode()
    assert login("anna").get("/employers/").status_code == 403
    assert log_entries(action="denied", object_type="employer list").exists()


@pytest.mark.django_db
def test_a_contact_is_recorded_and_logged(employer_world, login):
    client = login("emil")
    url = f"/employers/{employer_world.employer.pk}/"
    today = dt.date.today()
    r = client.post(
        url,
        {
            "date": today.isoformat(),
            "kind": "visit",
            "note": "Besök om sommarjobb",
            "follow_up_date": (today - dt.timedelta(days=1)).isoformat(),
        },
    )
    assert r.status_code == 200 and "before the contact" in r.content.decode()  # refused, shown again
    r = client.post(
        url,
        {
            "date": today.isoformat(),
            "kind": "visit",
            "note": "Besök om sommarjobb",
            "follow_up_date": (today + dt.timedelta(days=14)).isoformat(),
        },
    )
    assert r.status_code == 302
    contact = Contact.objects.get()
    assert contact.staff.username == "emil"
    assert log_entries(action="create", object_type="employer_contact", object_id=str(contact.pk)).exists()
    assert "Besök om sommarjobb" in client.get(url).content.decode()


@pytest.mark.django_db
def test_candidates_are_only_the_caseworkers_own_persons_and_a_proposal_is_logged(employer_world, login):
    w = employer_world
    client = login("anna")  # jt-jarva: Jarva and the protected person, not Soder
    page = client.get(f"/employers/places/{w.place.pk}/candidates/").content.decode()
    assert "Jarvasson" in page and "Ortsson" not in page
    assert log_entries(action="read", object_type="candidate list", person_id=w.jarva.pk).exists()
    assert not log_entries(object_type="candidate list", person_id=w.soderort.pk).exists()
    r = client.post(f"/employers/places/{w.place.pk}/candidates/", {"person": w.jarva.pk})
    assert r.status_code == 302
    placement = Placement.objects.get()
    assert (placement.person_id, placement.status, placement.proposed_by.username) == (w.jarva.pk, "proposed", "anna")
    assert log_entries(action="create", object_type="placement", person_id=w.jarva.pk).exists()
    # another unit's person cannot be proposed; a hard rule cannot be broken
    assert client.post(f"/employers/places/{w.place.pk}/candidates/", {"person": w.soderort.pk}).status_code == 403
    r = client.post(f"/employers/places/{w.feriejobb.pk}/candidates/", {"person": w.jarva.pk})
    assert "requires age 19 or under" in r.content.decode() and Placement.objects.count() == 1
    assert login("emil").get(f"/employers/places/{w.place.pk}/candidates/").status_code == 403


@pytest.mark.django_db
def test_the_outcome_of_a_placement_is_recorded_under_the_rules_and_logged(employer_world, login):
    w = employer_world
    placement = Placement.objects.create(place=w.place, person=w.jarva, proposed_date=dt.date.today())
    url = f"/employers/placements/{placement.pk}/"
    client = login("anna")
    r = client.post(url, {"status": "hired", "employer_satisfaction": "4"})
    assert r.status_code == 200 and "A hire needs the hiring date." in r.content.decode()
    r = client.post(url, {"status": "hired", "hired_date": dt.date.today().isoformat(), "employer_satisfaction": "4"})
    assert r.status_code == 302
    placement.refresh_from_db()
    assert (placement.status, placement.employer_satisfaction) == ("hired", 4)
    assert log_entries(action="update", object_type="placement", person_id=w.jarva.pk).exists()
    assert login("erik").get(url).status_code == 403  # another unit's caseworker


@pytest.mark.django_db
def test_a_participants_suggested_places_under_the_hard_rules_and_proposing_one(employer_world, login):
    w = employer_world
    client = login("anna")
    url = f"/persons/{w.jarva.pk}/places/"
    assert url in client.get(f"/persons/{w.jarva.pk}/").content.decode()
    page = client.get(url).content.decode()
    # Stockholmsjobb is open to a Jobbtorg participant; the feriejobb (ages 16–19) is never suggested
    assert "Lokalvårdare" in page and "Parkarbetare" not in page
    assert log_entries(action="read", object_type="suggested places", person_id=w.jarva.pk).exists()
    assert client.post(url, {"place": w.place.pk}).status_code == 302
    placement = Placement.objects.get()
    assert (placement.person_id, placement.place_id, placement.proposed_by.username) == (w.jarva.pk, w.place.pk, "anna")
    assert log_entries(action="create", object_type="placement", person_id=w.jarva.pk).exists()
    assert "Lokalvårdare" not in client.get(url).content.decode()  # proposed already: not suggested again
    r = client.post(url, {"place": w.feriejobb.pk})
    assert "requires age 19 or under" in r.content.decode() and Placement.objects.count() == 1
    # another district's person: refused and logged; a manager reads the list but cannot propose
    assert client.get(f"/persons/{w.soderort.pk}/places/").status_code == 403
    assert log_entries(action="denied", person_id=w.soderort.pk).exists()
    manager = login("maria")
    assert "Propose" not in manager.get(url).content.decode()
    assert manager.post(url, {"place": w.feriejobb.pk}).status_code == 403
