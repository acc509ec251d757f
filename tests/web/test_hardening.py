"""Findings of the outside probe on the web side: caching, bidirectional control characters."""

from __future__ import annotations

import pytest

from tests.web.conftest import make_administrator

pytestmark = pytest.mark.django_db


def test_api_responses_to_a_bearer_token_are_never_cached(world, client):
    from django.contrib.auth.models import User

    from pestrack.web.models import ApiToken

    token = ApiToken.issue(User.objects.get(username="anna"))[1]
    for path in (f"/api/v1/persons/{world.jarva.pk}", "/api/v1/persons", f"/api/v1/persons/{world.soderort.pk}"):
        response = client.get(path, HTTP_AUTHORIZATION=f"Bearer {token}")
        assert response["Cache-Control"] == "no-store", path
    assert client.get("/api/v1/persons", HTTP_AUTHORIZATION="Bearer wrong")["Cache-Control"] == "no-store"


def test_a_page_with_person_data_is_never_cached(world, login):
    response = login("anna").get(f"/persons/{world.jarva.pk}/")
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"


def test_every_text_field_of_every_model_refuses_bidirectional_controls(world):
    from django.apps import apps
    from django.core.exceptions import ValidationError
    from django.db import models

    from pestrack.records.text import refuse_bidi_controls

    person = world.jarva
    person.first_name = "Jarva\u202eNOSS"
    with pytest.raises(ValidationError, match="U\\+202E"):
        person.full_clean()
    unguarded = [
        f"{m.__name__}.{f.name}"
        for m in apps.get_models()
        if m.__module__.startswith("pestrack.")
        for f in m._meta.get_fields()
        if isinstance(f, (models.CharField, models.TextField)) and refuse_bidi_controls not in f.validators
    ]
    assert unguarded == []


def test_the_new_person_form_refuses_a_right_to_left_override(world, login):
    from pestrack.records.people.models import Person
    from tests.web.test_workspace import _errors_tied_to_fields, _new_person_form

    client = login("anna")
    response = client.post("/persons/new/", _new_person_form(**{"person-first_name": "Nya\u202eOSS"}))
    assert response.status_code == 422
    errors = _errors_tied_to_fields(response.content.decode())
    assert "U+202E" in errors["person-first_name"]
    assert not Person.objects.filter(last_name="Nyberg").exists()


def test_the_new_person_form_tells_no_caseworker_of_a_number_registered_elsewhere(world, login):
    """The existence oracle: erik's person (Söderort) is not anna's to know of; anna's own is offered."""
    from tests.web.conftest import log_entries
    from tests.web.test_workspace import _errors_tied_to_fields, _new_person_form

    client = login("anna")
    elsewhere = client.post(
        "/persons/new/", _new_person_form(**{"person-identity_number": world.soderort.identity_number})
    )
    message = _errors_tied_to_fields(elsewhere.content.decode())["person-identity_number"]
    assert "already registered" not in message and "cannot be registered" in message
    assert f"/persons/{world.soderort.pk}/" not in elsewhere.content.decode()
    own = client.post("/persons/new/", _new_person_form(**{"person-identity_number": world.jarva.identity_number}))
    assert f'<a href="/persons/{world.jarva.pk}/">Open the person</a>' in own.content.decode()
    checks = log_entries(actor="anna", action="search", detail__startswith="identity number checked on registration")
    assert {(e.person_id, e.detail.split(": ")[1]) for e in checks} == {
        (world.soderort.pk, "registered outside the user's scope"),
        (world.jarva.pk, "registered, in the user's scope"),
    }
    assert not any(world.soderort.identity_number in e.detail for e in checks)


def test_the_admin_add_form_is_no_oracle_either(world, login):
    make_administrator("anna")  # the admin is for administrators: one who is also a caseworker
    import datetime as dt

    from pestrack.records.people.identity import make_number

    client = login("anna")
    data = {
        "identity_number": world.soderort.identity_number,
        "first_name": "Ny",
        "last_name": "Person",
        "sex": "woman",
        "municipality": "0180",
        "address": "Gatan 1",
    }
    page = client.post("/admin/people/person/add/", data).content.decode()
    assert "already registered" not in page and "cannot be registered" in page
    data["identity_number"] = make_number(dt.date(1991, 2, 3), 777)
    assert client.post("/admin/people/person/add/", data).status_code in (200, 302)


def test_admin_list_filters_on_person_fields_are_refused_and_logged(world, login):
    make_administrator("anna")  # the admin is for administrators: one who is also a caseworker
    """The probe recovered a protected person's name letter by letter from the count of matches."""
    from tests.web.conftest import log_entries

    client = login("anna")
    client.raise_request_exception = False
    for query in (
        f"id={world.protected.pk}&first_name__startswith=He",
        "first_name__regex=^H",
        "address__icontains=gatan",
        "last_name=Skyddadsson",
        "enrolments__org_unit__code=jt-jarva",
    ):
        response = client.get(f"/admin/people/person/?{query}")
        assert response.status_code == 400, query
        assert "Skyddadsson" not in response.content.decode()
    assert log_entries(actor="anna", action="denied", detail__startswith="refused admin list filter").count() >= 5
    assert client.get("/admin/people/person/?sex__exact=woman").status_code == 200
    assert client.get("/admin/casework/enrolment/?person__first_name__startswith=H").status_code == 400


def test_admin_queries_are_logged_even_when_they_match_nothing(world, login):
    make_administrator("anna")  # the admin is for administrators: one who is also a caseworker
    from tests.web.conftest import log_entries

    client = login("anna")
    assert client.get("/admin/people/person/?q=Nobodysson").status_code == 200
    entry = log_entries(actor="anna", action="search", detail__startswith="admin list").latest("id")
    assert entry.detail == "admin list: 0 matched, 0 shown; parameters q"


def test_masked_rows_are_never_sorted_by_their_real_names(world, login):
    make_administrator("anna")  # the admin is for administrators: one who is also a caseworker
    from django.contrib.admin.sites import site
    from django.contrib.auth.models import User
    from django.test import RequestFactory

    from pestrack.records.people.admin import PersonAdmin
    from pestrack.records.people.models import Person

    request = RequestFactory().get("/admin/people/person/")
    request.user = User.objects.get(username="anna")
    admin = PersonAdmin(Person, site)
    assert admin.get_ordering(request) == ["-pk"]
    request.user = User.objects.get(username="maria")  # may see protected identities: names are hers to see
    assert admin.get_ordering(request) == ["last_name", "first_name"]
    page = login("anna").get("/admin/people/person/?o=1").content.decode()
    assert "Skyddadsson" not in page


def test_no_column_of_any_person_admin_sorts_masked_rows_by_their_real_names(world, login):
    """Django sorts a list by any column named in ``?o=``, also one not offered for sorting: sorting
    enrolments or journal entries by their person (``person_id``) sorted them by the persons' names,
    and the masked row's place among its neighbours told where its real name falls."""
    from django.contrib.admin.sites import site
    from django.contrib.auth.models import User

    from pestrack.records.admin_support import PersonRecordAdmin
    from pestrack.records.casework.models import Enrolment
    from pestrack.records.codes.models import Code
    from pestrack.records.journal.models import JournalEntry
    from pestrack.records.people.models import Person
    from tests.web.conftest import make_person

    make_administrator("anna")  # an administrator who is also a caseworker, not allowed protected identities
    make_person("Adam", "Andersson", "jt-jarva", serial=105)
    make_person("Osten", "Zetterlund", "jt-jarva", serial=106)
    anna = User.objects.get(username="anna")
    kind = Code.objects.filter(list="journal_kind").first()
    for enrolment in Enrolment.objects.all():
        JournalEntry.objects.create(
            person_id=enrolment.person_id,
            enrolment=enrolment,
            kind=kind,
            date=enrolment.start_date,
            author=anna,
            text="x",
        )
    client = login("anna")

    def orders():
        seen = {}
        for model, model_admin in site._registry.items():
            if not isinstance(model_admin, PersonRecordAdmin):
                continue
            url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
            for i in range(len(model_admin.list_display)):
                for sign in ("", "-"):
                    response = client.get(f"{url}?o={sign}{i}")
                    assert response.status_code == 200, (url, i)
                    rows = response.context_data["cl"].result_list
                    seen[url, sign, i] = [model_admin.person_of(row) for row in rows]
        return seen

    first = orders()
    assert any(world.protected.pk in rows and len(rows) >= 4 for rows in first.values())
    for name in ("Aaron", "Zorro"):
        Person.objects.filter(pk=world.protected.pk).update(first_name=name, last_name=name)
        assert orders() == first, name


def test_the_date_hierarchy_links_of_the_admin_lists_still_work(world, login):
    """Only the list's own filters are allowed in the URL, but the date links above a list are the
    list's own too (they gave 400 once the other filters were refused)."""
    from django.contrib.admin.sites import site

    from pestrack.records.admin_support import PersonRecordAdmin

    make_administrator("anna")
    client = login("anna")
    start = world.jarva.enrolments.get().start_date
    year, month, day = (
        f"start_date__year={start.year}",
        f"start_date__month={start.month}",
        f"start_date__day={start.day}",
    )
    for query in (year, f"{year}&{month}", f"{year}&{month}&{day}"):
        response = client.get(f"/admin/casework/enrolment/?{query}")
        assert response.status_code == 200, query
        assert world.jarva.pk in [e.person_id for e in response.context_data["cl"].result_list]
    dated = [a for a in site._registry.values() if isinstance(a, PersonRecordAdmin) and a.date_hierarchy]
    assert len(dated) >= 2  # the enrolments and the journal
    for model_admin in dated:
        url = f"/admin/{model_admin.model._meta.app_label}/{model_admin.model._meta.model_name}/"
        assert client.get(f"{url}?{model_admin.date_hierarchy}__year={start.year}").status_code == 200, url
    assert client.get("/admin/casework/enrolment/?start_date__gte=2000-01-01").status_code == 400
