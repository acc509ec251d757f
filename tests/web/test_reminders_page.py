"""Contact details and reminders on the person page: what a caseworker sees of the reminders sent,
how they record the person's e-mail, mobile number and choice of channels, who may do it, what is
logged, and the refusal of bad input in the user's language."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from pestrack.records.notifications.models import NotificationPreference
from tests.web.conftest import log_entries

pytestmark = pytest.mark.django_db


def _form(**data):
    return {"email": "", "mobile_phone": "", "language": "sv", **data}


def test_a_caseworker_records_contact_details_and_channels_and_it_is_logged(world, login):
    client = login("anna")
    url = f"/persons/{world.jarva.pk}/contact/"
    assert client.get(url).status_code == 200
    response = client.post(
        url, _form(email="jarva@example.org", mobile_phone="070-123 45 67", channels=["sms"], language="en")
    )
    assert response.status_code == 302 and response["Location"].endswith(f"/persons/{world.jarva.pk}/#reminders")
    world.jarva.refresh_from_db()
    assert (world.jarva.email, world.jarva.mobile_phone) == ("jarva@example.org", "070-123 45 67")
    pref = NotificationPreference.objects.get(person=world.jarva)
    assert (pref.channels, pref.language) == (["sms"], "en")
    details = set(log_entries(person_id=world.jarva.pk, actor="anna", action="update").values_list("detail", flat=True))
    assert {"contact details changed: email, mobile_phone", "channels: sms; language en"} <= details
    assert not log_entries(detail__contains="jarva@example.org").exists()
    page = client.get(f"/persons/{world.jarva.pk}/").content.decode()
    assert "jarva@example.org" in page and "070-123 45 67" in page


def test_opting_out_is_ticking_no_channel(world, login):
    client = login("anna")
    client.post(f"/persons/{world.jarva.pk}/contact/", _form(email="jarva@example.org"))
    assert NotificationPreference.objects.get(person=world.jarva).channels == []
    client.post("/language/", {"language": "sv"})
    page = client.get(f"/persons/{world.jarva.pk}/").content.decode()
    assert "Inga: personen vill inte ha påminnelser" in page


def test_a_bad_address_is_refused_beside_its_field_in_swedish_and_nothing_changes(world, login):
    client = login("anna")
    client.post("/language/", {"language": "sv"})
    response = client.post(
        f"/persons/{world.jarva.pk}/contact/",
        _form(email="jarva(at)example", mobile_phone="ring mig", channels=["email"]),
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "Skriv hela e-postadressen" in page and "Skriv mobilnumret med siffror" in page
    world.jarva.refresh_from_db()
    assert (world.jarva.email, world.jarva.mobile_phone) == ("", "")
    assert not NotificationPreference.objects.exists()


def test_a_caseworker_of_another_unit_and_a_manager_may_not_change_them(world, login):
    url = f"/persons/{world.jarva.pk}/contact/"
    for user in ("erik", "maria", "ali"):
        client = login(user)
        assert client.get(url).status_code == 403
        assert client.post(url, _form(email="x@example.org", channels=["email"])).status_code == 403
        assert log_entries(
            actor=user, action="denied", person_id=world.jarva.pk, object_type="contact details"
        ).exists()
    world.jarva.refresh_from_db()
    assert world.jarva.email == "" and not NotificationPreference.objects.exists()
    page = login("maria").get(f"/persons/{world.jarva.pk}/").content.decode()  # a manager reads the section
    assert "Contact details and reminders" in page and url not in page


def test_a_protected_identitys_address_is_neither_shown_nor_changed_by_a_caseworker_who_may_not_see_it(world, login):
    person = world.protected
    person.email, person.mobile_phone = "hemlig@example.org", "0701112233"
    person.save()
    client = login("anna")
    page = client.get(f"/persons/{person.pk}/").content.decode()
    assert "hemlig@example.org" not in page and "0701112233" not in page
    form = client.get(f"/persons/{person.pk}/contact/").content.decode()
    assert 'name="email"' not in form and 'name="channels"' in form
    response = client.post(f"/persons/{person.pk}/contact/", _form(email="ny@example.org", channels=["sms"]))
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.email == "hemlig@example.org"  # unchanged: the field was not offered
    assert NotificationPreference.objects.get(person=person).channels == ["sms"]


def test_the_person_page_lists_the_reminders_sent(world, login, settings):
    from pestrack.records.codes.models import Code
    from pestrack.records.meetings import rules
    from pestrack.records.notifications import reminders

    settings.PESTRACK_SMS_BACKEND = "pestrack.records.notifications.sms.LoggingSmsBackend"
    person = world.jarva
    person.email = "jarva@example.org"
    person.save()
    client = login("anna")
    client.post("/language/", {"language": "sv"})
    assert "Inga påminnelser har skickats." in client.get(f"/persons/{person.pk}/").content.decode()
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    rules.book_meeting(
        None,
        enrolment=person.enrolments.get(),
        kind=Code.objects.get(list="meeting_kind", code="planning"),
        starts_at=timezone.make_aware(dt.datetime.combine(tomorrow, dt.time(10))),
        place="Rum 3",
    )
    reminders.run(actor="cli:test")
    page = client.get(f"/persons/{person.pk}/").content.decode()
    assert "Skickade påminnelser" in page
    assert "Påminnelse om möte" in page and "e-post" in page and "skickad" in page
