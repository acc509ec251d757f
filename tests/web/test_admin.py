"""The admin site is for administrators: every other role is refused it (403, logged) and not offered
it; the administrator's pages render; for an administrator who is also a caseworker the person forms
check the business rules and show each violation beside its field; the access log is read-only."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tests.web.conftest import log_entries, make_administrator

ALLOWED = {
    "admin": [
        "/admin/",
        "/admin/codes/code/",
        "/admin/codes/code/add/",
        "/admin/org/orgunit/",
        "/admin/org/assignment/",
        "/admin/auth/user/",
        "/admin/auth/user/{anna}/change/",
        "/admin/employers/employer/",
        "/admin/outreach/surveyanswer/",
        "/admin/web/apitoken/add/",
    ],
}
REFUSED = {
    "admin": ["/admin/audit/accesslogentry/", "/admin/people/person/", "/admin/casework/enrolment/"],
}
NOT_ADMINISTRATORS = ("anna", "erik", "maria", "ali", "emil", "sara", "dina")


@pytest.mark.django_db
@pytest.mark.parametrize("username", ALLOWED)
def test_the_administrator_opens_the_admin_pages_of_the_role(world, login, username):
    from django.contrib.auth.models import User

    client = login(username)
    anna = User.objects.get(username="anna").pk
    for url in ALLOWED[username]:
        assert client.get(url.format(anna=anna)).status_code == 200, url
    for url in REFUSED.get(username, []):
        assert client.get(url).status_code == 403, url
    assert 'href="/admin/"' in client.get("/").content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("username", NOT_ADMINISTRATORS)
def test_everyone_but_administrators_is_refused_the_admin_and_not_offered_it(world, login, username):
    """Caseworkers, managers, analysts, employer-relations staff and the DPO work in the application:
    every admin page (its index, a person list, a code list, the access log) is refused, logged."""
    client = login(username)
    for url in (
        "/admin/",
        "/admin/people/person/",
        f"/admin/people/person/{world.jarva.pk}/change/",
        "/admin/codes/code/",
        "/admin/audit/accesslogentry/",
        "/admin/employers/employer/add/",
    ):
        assert client.get(url).status_code == 403, url
    assert client.post("/admin/codes/code/add/", {"code": "x"}).status_code == 403
    assert log_entries(action="denied", actor=username, object_type="admin site").count() == 7
    home = client.get("/").content.decode()
    assert "/admin/" not in home


@pytest.mark.django_db
def test_a_superuser_without_the_administrator_role_may_use_the_admin_but_sees_no_person(world, login):
    from django.contrib.auth.models import User

    User.objects.filter(username="ali").update(is_superuser=True)
    client = login("ali")
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/people/person/").status_code == 403


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_the_admin_log_in(world, client):
    response = client.get("/admin/people/person/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


@pytest.mark.django_db
def test_admin_change_page_of_enrolment_out_of_scope_is_refused_and_logged(world, login):
    make_administrator("anna")
    enrolment = world.soderort.enrolments.get()
    client = login("anna")
    assert client.get(f"/admin/casework/enrolment/{enrolment.pk}/change/").status_code == 403
    assert log_entries(action="denied", actor="anna", person_id=world.soderort.pk, object_type="enrolment").exists()
    assert client.get("/admin/casework/enrolment/999999/change/").status_code == 404
    assert client.get(f"/admin/people/person/{world.jarva.pk}/delete/").status_code == 403


def _add_person_form(world, **enrolment):
    from pestrack.records.codes.models import Code
    from pestrack.records.org.models import OrgUnit

    code = lambda lst, c: Code.objects.get(list=lst, code=c).pk  # noqa: E731
    start = dt.date.today() - dt.timedelta(days=10)
    data = {
        "identity_number": "20080101-0008",
        "first_name": "Ny",
        "last_name": "Deltagare",
        "sex": "man",
        "municipality": "0180",
        "address": "",
        "enrolments-TOTAL_FORMS": "1",
        "enrolments-INITIAL_FORMS": "0",
        "enrolments-MIN_NUM_FORMS": "1",
        "enrolments-MAX_NUM_FORMS": "1000",
        "enrolments-0-programme": code("programme", "jobbtorg"),
        "enrolments-0-org_unit": OrgUnit.objects.get(code="jt-jarva").pk,
        "enrolments-0-target_group": code("target_group", "forsorjningsstod"),
        "enrolments-0-entry_route": code("entry_route", "social_services"),
        "enrolments-0-start_date": start.isoformat(),
    }
    data.update({f"enrolments-0-{k}": v for k, v in enrolment.items()})
    return data


def _valid_number(birth):
    from pestrack.records.people.identity import make_number

    return make_number(birth, 555)


@pytest.mark.django_db
def test_an_administrator_caseworker_adds_a_person_with_enrolment_stored_encrypted_and_logged(world, login):
    make_administrator("anna")
    from pestrack.records.casework.models import Enrolment
    from pestrack.records.codes.models import Code
    from pestrack.records.people.models import Person

    # Let enrolment ids run ahead of person ids, so a log entry naming the wrong id cannot pass by chance.
    spare = Enrolment.objects.get(person=world.jarva)
    spare.pk, spare.end_date = None, dt.date.today()
    spare.exit_reason = Code.objects.get(list="exit_reason", code="moved")
    spare.start_date = spare.end_date - dt.timedelta(days=1)
    spare.save()
    spare.delete()
    number = _valid_number(dt.date(1990, 6, 1))
    response = login("anna").post("/admin/people/person/add/", {**_add_person_form(world), "identity_number": number})
    assert response.status_code == 302, response.content.decode()[:3000]
    person = Person.find_by_identity_number(number)
    assert person.birth_date == dt.date(1990, 6, 1) and number not in person.pin_encrypted
    assert person.enrolments.get().org_unit.code == "jt-jarva"
    assert log_entries(action="create", person_id=person.pk, actor="anna", object_type="person").exists()
    assert log_entries(action="create", person_id=person.pk, object_type="enrolment").exists()


@pytest.mark.django_db
def test_add_person_rejects_a_bad_identity_number_beside_the_field(world, login):
    make_administrator("anna")
    response = login("anna").post(
        "/admin/people/person/add/", {**_add_person_form(world), "identity_number": "19900601-5551"}
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "check digit" in errors["identity_number"][0]


@pytest.mark.django_db
def test_enrolment_rule_violation_is_shown_beside_its_field(world, login):
    make_administrator("anna")
    from pestrack.records.codes.models import Code

    # KAA is for persons under 20; this person is 34
    kaa = Code.objects.get(list="target_group", code="kaa").pk
    data = {**_add_person_form(world, target_group=kaa), "identity_number": _valid_number(dt.date(1990, 6, 1))}
    response = login("anna").post("/admin/people/person/add/", data)
    assert response.status_code == 200
    inline_form = response.context["inline_admin_formsets"][0].formset.forms[0]
    assert "KAA" in " ".join(inline_form.errors["target_group"]) or "kaa" in " ".join(
        inline_form.errors["target_group"]
    )


@pytest.mark.django_db
def test_an_administrator_caseworker_cannot_enrol_at_another_office(world, login):
    make_administrator("anna")
    from pestrack.records.org.models import OrgUnit

    soderort = OrgUnit.objects.get(code="jt-soderort").pk
    data = {**_add_person_form(world, org_unit=soderort), "identity_number": _valid_number(dt.date(1990, 6, 1))}
    response = login("anna").post("/admin/people/person/add/", data)
    assert response.status_code == 200
    assert "org_unit" in response.context["inline_admin_formsets"][0].formset.forms[0].errors


@pytest.mark.django_db
def test_followup_form_requires_an_ended_enrolment(world, login):
    make_administrator("anna")
    enrolment = world.jarva.enrolments.get()
    response = login("anna").post(
        "/admin/casework/followup/add/",
        {"enrolment": enrolment.pk, "months": "3", "reference_date": dt.date.today().isoformat(), "source": "register"},
    )
    assert response.status_code == 200
    assert "ended enrolment" in " ".join(response.context["adminform"].form.errors["enrolment"])


@pytest.mark.django_db
def test_the_access_log_is_read_only_in_the_admin_even_for_an_administrator_dpo(world, login):
    """The DPO reviews the log on the log-review page (tests/web/test_log_review.py); in the admin
    only an administrator who is also the DPO sees it, and cannot add, change or delete an entry."""
    from pestrack.records.org.users import add_user

    login("anna").get(f"/persons/{world.jarva.pk}/")
    add_user("sara", "admin", ["stockholm"])
    sara = login("sara")
    shown = list(sara.get("/admin/audit/accesslogentry/", {"q": str(world.jarva.pk)}).context["cl"].result_list)
    assert shown and {e.person_id for e in shown} == {world.jarva.pk}
    entry = shown[0]
    for url in (f"/admin/audit/accesslogentry/{entry.pk}/delete/", "/admin/audit/accesslogentry/add/"):
        assert sara.get(url).status_code == 403
    page = sara.get(f"/admin/audit/accesslogentry/{entry.pk}/change/").content.decode()
    assert 'name="_save"' not in page


@pytest.mark.django_db
def test_openapi_schema_is_served_and_docs_need_no_cdn(world, client):
    schema = client.get("/api/v1/openapi.json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/v1/persons/{person_id}/export" in paths and "/api/v1/persons" in paths
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    assets = re.findall(r'(?:src|href)="([^"]+)"', docs.content.decode())
    assert assets and all(a.startswith("/static/") for a in assets), assets  # bundled, nothing from a CDN
    assert client.get(assets[0]).status_code == 200


@pytest.mark.django_db
def test_login_page_and_person_pages_are_accessible_html(world, client, login):
    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="sv").content.decode()
    assert ">Logga in<" in page  # Swedish for a Swedish browser
    assert '<html lang="sv">' in page and "<label for=" in page and "http" not in page.split("<body>")[0]
    response = client.post("/accounts/login/", {"username": "anna", "password": "demo-pestrack-2026"})
    assert response.status_code == 302 and response["Location"] == "/"
    html = login("anna").get(f"/persons/{world.jarva.pk}/").content.decode()
    assert "Jarvasson" in html
    for text in (page, html):  # scripts only from the application's own static files, none inline
        assert re.findall(r"<script[^>]*>", text) == [
            '<script src="/static/web/vendor/htmx/htmx.min.js" defer>',
            '<script src="/static/web/pestrack.js" defer>',
        ]


def _resubmit(response, **changes):
    """The POST a browser sends for an admin change page as rendered, with ``changes``."""
    data = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        fs = inline.formset
        data.update(
            {f"{fs.prefix}-TOTAL_FORMS": str(len(fs.forms)), f"{fs.prefix}-INITIAL_FORMS": str(fs.initial_form_count())}
        )
        forms += fs.forms
    for form in forms:
        for name, field in form.fields.items():
            value = form.initial.get(name, field.initial)
            if value is None or value is False:
                continue
            if hasattr(value, "pk"):
                value = value.pk
            data[form.add_prefix(name)] = value
    data.update(changes)
    return data


@pytest.mark.django_db
def test_person_with_an_old_enrolment_elsewhere_can_still_be_edited(world, login):
    make_administrator("anna")
    from pestrack.records.casework.models import Enrolment
    from pestrack.records.codes.models import Code
    from pestrack.records.org.models import OrgUnit

    old = world.jarva.enrolments.get()
    Enrolment.objects.create(
        person=world.jarva,
        programme=old.programme,
        org_unit=OrgUnit.objects.get(code="jt-soderort"),
        target_group=old.target_group,
        entry_route=old.entry_route,
        start_date=old.start_date - dt.timedelta(days=400),
        end_date=old.start_date - dt.timedelta(days=300),
        exit_reason=Code.objects.get(list="exit_reason", code="moved"),
    )
    client = login("anna")
    url = f"/admin/people/person/{world.jarva.pk}/change/"
    response = client.post(url, _resubmit(client.get(url), address="Ny gata 3"))
    assert response.status_code == 302, response.context["inline_admin_formsets"][0].formset.errors
    world.jarva.refresh_from_db()
    assert world.jarva.address == "Ny gata 3"


@pytest.mark.django_db
def test_the_admin_refusal_says_why_in_the_users_language(world, login):
    client = login("anna")
    client.post("/language/", {"language": "sv"})
    page = client.get("/admin/").content.decode()
    assert "Administrationen är till för administratörer." in page
