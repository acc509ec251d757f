"""My caseload ("Mina ärenden"): mine by default and my units on request, sorting, search, paging,
saved filters, export; the manager's caseload per caseworker and rebalancing; changing an
enrolment's caseworker from the person page; every new page refused outside its users."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest

from tests.web.conftest import log_entries, make_person

TODAY = dt.date.today()


def _user(name):
    from django.contrib.auth.models import User

    return User.objects.get(username=name)


def _assign(person, username, second=None):
    e = person.enrolments.get()
    e.caseworker = _user(username)
    e.second_caseworker = _user(second) if second else None
    e.save()
    return e


def _names(html: str) -> list[str]:
    return re.findall(r'<a href="/persons/\d+/">([^<]*)</a>', html)


@pytest.fixture
def no_sources(monkeypatch):
    """No work-list item sources (the records apps' own are set aside for the test)."""
    from pestrack.records import worklist

    monkeypatch.setattr(worklist, "_SOURCES", {})


@pytest.fixture
def due_source(no_sources):
    """The one work-list item source of the test: every open enrolment is due at its start date."""
    from django.db.models import F

    from pestrack.records import worklist

    source = worklist.register(
        worklist.Source(
            kind="test_due",
            label="Test item",
            query=lambda enrolments, today: enrolments.annotate(
                due_date=F("start_date"), enrolment_id=F("pk"), object_id=F("pk")
            ),
            resolve_url=lambda row: "/",
        )
    )
    yield source
    worklist._SOURCES.pop("test_due", None)


@pytest.fixture
def mine(world):
    """anna is responsible for Jarvasson and second caseworker of Bengtsson (responsible: bo)."""
    from pestrack.records.org.users import add_user
    from tests.web.conftest import PASSWORD

    add_user("bo", "caseworker", ["jt-jarva"], password=PASSWORD)
    _assign(world.jarva, "anna")
    world.bengt = make_person("Bengt", "Bengtsson", "jt-jarva", serial=110)
    _assign(world.bengt, "bo", second="anna")
    world.other = make_person("Olle", "Ovriga", "jt-jarva", serial=111)
    _assign(world.other, "bo")
    return world


# --- Mine or my units ------------------------------------------------------------------------


@pytest.mark.django_db
def test_caseload_lists_by_default_the_enrolments_i_am_responsible_or_second_for(mine, login):
    html = login("anna").get("/caseload/").content.decode()
    assert set(_names(html)) == {"Jarva Jarvasson", "Bengt Bengtsson"}
    assert "second: anna" in html


@pytest.mark.django_db
def test_the_toggle_shows_every_open_enrolment_of_my_units(mine, login):
    html = login("anna").get("/caseload/", {"scope": "units"}).content.decode()
    assert set(_names(html)) == {"Jarva Jarvasson", "Bengt Bengtsson", "Olle Ovriga", "*****"}


@pytest.mark.django_db
def test_a_manager_without_a_caseload_of_their_own_sees_their_units(mine, login):
    html = login("maria").get("/caseload/").content.decode()
    assert "Olle Ovriga" in html and "Ortsson" in html


# --- Sorting ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_sorting_by_name_puts_protected_identities_last_whatever_their_real_name(mine, login):
    from pestrack.records.people.models import Person

    Person.objects.filter(pk=mine.protected.pk).update(last_name="Aaberg")  # would sort first by name
    client = login("anna")
    assert _names(client.get("/caseload/", {"scope": "units", "sort": "name"}).content.decode()) == [
        "Bengt Bengtsson",
        "Jarva Jarvasson",
        "Olle Ovriga",
        "*****",
    ]
    assert _names(client.get("/caseload/", {"scope": "units", "sort": "-name"}).content.decode()) == [
        "Olle Ovriga",
        "Jarva Jarvasson",
        "Bengt Bengtsson",
        "*****",
    ]


@pytest.mark.django_db
def test_sorting_by_target_group_uses_the_groups_name(mine, login):
    from pestrack.records.codes.models import Code

    e = mine.other.enrolments.get()
    e.target_group = Code.objects.get(list="target_group", code="ovriga")
    e.save()
    client = login("anna")
    names = _names(client.get("/caseload/", {"sort": "-target_group", "scope": "units"}).content.decode())
    first = (
        Code.objects.get(list="target_group", code="ovriga").name_en
        > Code.objects.get(list="target_group", code="forsorjningsstod").name_en
    )
    assert (names[0] == "Olle Ovriga") == first and (names[-1] == "Olle Ovriga") == (not first)


@pytest.mark.django_db
def test_sorting_by_days_since_last_activity_both_ways(mine, login):
    from pestrack.records.casework.models import Enrolment

    Enrolment.objects.filter(person=mine.bengt).update(last_activity=TODAY - dt.timedelta(days=5))
    client = login("anna")
    assert _names(client.get("/caseload/", {"sort": "-inactive"}).content.decode()) == [
        "Jarva Jarvasson",
        "Bengt Bengtsson",
    ]
    assert _names(client.get("/caseload/", {"sort": "inactive"}).content.decode()) == [
        "Bengt Bengtsson",
        "Jarva Jarvasson",
    ]


@pytest.mark.django_db
def test_a_column_heading_sorts_and_says_so(mine, login):
    html = login("anna").post("/caseload/", {"sort_to": "name", "scope": "mine"}).content.decode()
    assert _names(html) == ["Bengt Bengtsson", "Jarva Jarvasson"]
    assert re.search(r'aria-sort="ascending"><button[^>]*value="-name"', html)


@pytest.mark.django_db
def test_next_due_date_comes_from_the_work_list_sources_and_sorts(mine, login, due_source):
    from pestrack.records.casework.models import Enrolment

    Enrolment.objects.filter(person=mine.bengt).update(start_date=TODAY - dt.timedelta(days=300))
    client = login("anna")
    html = client.get("/caseload/", {"sort": "next_due"}).content.decode()
    assert _names(html) == ["Bengt Bengtsson", "Jarva Jarvasson"]
    assert "overdue" in html
    assert _names(client.get("/caseload/", {"sort": "-next_due"}).content.decode()) == [
        "Jarva Jarvasson",
        "Bengt Bengtsson",
    ]


@pytest.mark.django_db
def test_next_due_date_is_empty_without_sources(mine, login, no_sources):
    html = login("anna").get("/caseload/", {"sort": "next_due"}).content.decode()
    assert set(_names(html)) == {"Jarva Jarvasson", "Bengt Bengtsson"} and "overdue" not in html


# --- Search, paging -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_search_within_the_list_by_name(mine, login):
    html = login("anna").post("/caseload/", {"scope": "units", "q": "beng"}).content.decode()
    assert _names(html) == ["Bengt Bengtsson"]


@pytest.mark.django_db
def test_search_within_the_list_by_identity_number_is_logged_without_the_number(mine, login):
    from pestrack.records.people.identity import make_number

    number = make_number(dt.date(1985, 3, 15), 110)
    html = login("anna").post("/caseload/", {"scope": "units", "q": number}).content.decode()
    assert _names(html) == ["Bengt Bengtsson"]
    entry = log_entries(actor="anna", action="search", object_type="caseload search").get()
    assert entry.person_id == mine.bengt.pk and number not in entry.detail


@pytest.mark.django_db
def test_a_protected_identity_is_not_found_by_its_real_name(mine, login):
    html = login("anna").post("/caseload/", {"scope": "units", "q": "Skyddadsson"}).content.decode()
    assert _names(html) == []


@pytest.mark.django_db
def test_paging_says_how_many_there_are(mine, login):
    for i in range(30):
        _assign(make_person(f"Extra{i}", "Jarvasson", "jt-jarva", serial=200 + i), "anna")
    client = login("anna")
    html = client.get("/caseload/").content.decode()
    assert "Showing 1–25 of 32 open enrolments" in html and len(_names(html)) == 25
    html = client.post("/caseload/", {"scope": "mine", "page": "2"}).content.decode()
    assert "Showing 26–32 of 32 open enrolments" in html and len(_names(html)) == 7


# --- Saved filters -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_filter_is_saved_applied_and_deleted_without_the_search_term(mine, login):
    from pestrack.web.models import SavedFilter

    client = login("anna")
    response = client.post(
        "/caseload/filters/save/",
        {"filter_name": "Mina KAA", "scope": "units", "target_group": "kaa", "sort": "name", "q": "Bengt"},
    )
    assert response.status_code == 302
    saved = SavedFilter.objects.get(user__username="anna")
    assert saved.name == "Mina KAA" and "Bengt" not in saved.query
    assert dict(re.findall(r"(\w+)=(\w+)", saved.query)) == {"scope": "units", "target_group": "kaa", "sort": "name"}
    html = client.get("/caseload/").content.decode()
    assert f'href="/caseload/?{saved.query.replace("&", "&amp;")}">Mina KAA</a>' in html
    assert login("erik").post("/caseload/filters/delete/", {"filter": saved.pk}).status_code == 404  # not erik's
    assert login("anna").post("/caseload/filters/delete/", {"filter": saved.pk}).status_code == 302
    assert not SavedFilter.objects.exists()


@pytest.mark.django_db
def test_a_filter_needs_a_name(mine, login):
    from pestrack.web.models import SavedFilter

    response = login("anna").post("/caseload/filters/save/", {"filter_name": " ", "scope": "units"}, follow=True)
    assert "give the filter a name" in response.content.decode()
    assert not SavedFilter.objects.exists()


# --- Export ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_csv_export_of_the_list_as_filtered_is_logged_naming_the_persons(mine, login):
    response = login("anna").post("/caseload/", {"scope": "units", "export": "csv"}, HTTP_ACCEPT_LANGUAGE="sv")
    assert response["Content-Type"].startswith("text/csv") and "attachment" in response["Content-Disposition"]
    # for Swedish Excel: semicolons (the comma is the decimal sign) after a byte-order mark
    assert response.content.startswith("\ufeffNamn;Målgrupp;".encode())
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "Namn"
    response = login("anna").post("/caseload/", {"scope": "units", "export": "csv"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "Name" and {r[0] for r in rows[1:]} == {
        "Jarva Jarvasson",
        "Bengt Bengtsson",
        "Olle Ovriga",
        "*****",
    }
    exported = set(
        log_entries(actor="anna", action="export", object_type="caseload").values_list("person_id", flat=True)
    )
    assert exported == {mine.jarva.pk, mine.bengt.pk, mine.other.pk, mine.protected.pk}
    assert "Skyddadsson" not in response.content.decode("utf-8-sig")


@pytest.mark.django_db
def test_export_neutralises_cells_a_spreadsheet_would_read_as_formulas(mine, login):
    import openpyxl

    from pestrack.records.people.models import Person

    Person.objects.filter(pk=mine.jarva.pk).update(first_name='=HYPERLINK("http://x")', last_name="x")
    client = login("anna")
    exported = client.post("/caseload/", {"export": "csv"}).content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(exported), delimiter=";"))
    names = {r[0] for r in rows[1:]}
    assert '\'=HYPERLINK("http://x") x' in names and not any(n.startswith("=") for n in names)
    book = openpyxl.load_workbook(io.BytesIO(client.post("/caseload/", {"export": "xlsx"}).content))
    cells = [c.value for c in book.active["A"]]
    assert '\'=HYPERLINK("http://x") x' in cells and not any(str(c).startswith("=") for c in cells)


# --- Changing the caseworker from the person page ----------------------------------------------


@pytest.mark.django_db
def test_a_caseworker_changes_the_responsible_caseworker_and_the_person_page_shows_the_history(mine, login):
    e = mine.jarva.enrolments.get()
    client = login("anna")
    assert f"/enrolments/{e.pk}/caseworker/" in client.get(f"/persons/{mine.jarva.pk}/").content.decode()
    response = client.post(
        f"/enrolments/{e.pk}/caseworker/", {"role": "responsible", "to_user": _user("bo").pk, "reason": "Anna on leave"}
    )
    assert response.status_code == 302
    e.refresh_from_db()
    assert e.caseworker.username == "bo"
    html = client.get(f"/persons/{mine.jarva.pk}/").content.decode()
    assert "1 change of caseworker" in html and "Anna on leave" in html


@pytest.mark.django_db
def test_the_change_form_refuses_a_missing_reason_and_another_units_caseworker(mine, login):
    e = mine.jarva.enrolments.get()
    client = login("anna")
    response = client.post(
        f"/enrolments/{e.pk}/caseworker/", {"role": "responsible", "to_user": _user("bo").pk, "reason": ""}
    )
    assert response.status_code == 422 and "This field is required" in response.content.decode()
    # erik is not offered, and is refused if posted anyway
    assert ">erik<" not in client.get(f"/enrolments/{e.pk}/caseworker/").content.decode()
    response = client.post(
        f"/enrolments/{e.pk}/caseworker/", {"role": "responsible", "to_user": _user("erik").pk, "reason": "x"}
    )
    assert response.status_code == 422
    e.refresh_from_db()
    assert e.caseworker.username == "anna"


@pytest.mark.django_db
def test_the_second_caseworker_is_removed_by_leaving_the_new_one_empty(mine, login):
    e = mine.bengt.enrolments.get()
    response = login("anna").post(
        f"/enrolments/{e.pk}/caseworker/", {"role": "second", "to_user": "", "reason": "Not needed"}
    )
    assert response.status_code == 302
    e.refresh_from_db()
    assert e.second_caseworker is None and e.caseworker.username == "bo"


@pytest.mark.django_db
def test_a_caseworker_moves_several_of_their_enrolments_at_once(mine, login):
    client = login("anna")
    ids = [mine.jarva.enrolments.get().pk, mine.other.enrolments.get().pk]
    response = client.post(
        "/caseload/reassign/",
        {
            "enrolment": ids,
            "reassign-role": "responsible",
            "reassign-to_user": _user("bo").pk,
            "reassign-reason": "Leave",
        },
    )
    assert response.status_code == 302
    assert {e.caseworker.username for e in mine.jarva.enrolments.model.objects.filter(pk__in=ids)} == {"bo"}


@pytest.mark.django_db
def test_the_enrol_form_makes_the_enrolling_caseworker_responsible_by_default(world, login):
    from pestrack.records.codes.models import Code
    from pestrack.records.org.models import OrgUnit

    e = world.jarva.enrolments.get()
    e.end_date, e.exit_reason = TODAY, Code.objects.get(list="exit_reason", code="work")
    e.save()
    form = {
        "programme": Code.objects.get(list="programme", code="jobbtorg").pk,
        "org_unit": OrgUnit.objects.get(code="jt-jarva").pk,
        "target_group": Code.objects.get(list="target_group", code="forsorjningsstod").pk,
        "entry_route": Code.objects.get(list="entry_route", code="social_services").pk,
        "start_date": TODAY,
    }
    client = login("anna")
    refused = client.post(f"/persons/{world.jarva.pk}/enrol/", {**form, "caseworker": _user("erik").pk})
    assert refused.status_code == 422 and "erik is not a caseworker at Jobbtorg Järva" in refused.content.decode()
    assert client.post(f"/persons/{world.jarva.pk}/enrol/", form).status_code == 302
    assert world.jarva.enrolments.get(end_date__isnull=True).caseworker.username == "anna"


# --- The manager's view ------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_manager_sees_open_enrolments_and_overdue_items_per_caseworker(mine, login, due_source):
    html = login("maria").get("/caseload/team/").content.decode()
    rows = {
        name: (n, overdue)
        for name, n, overdue in re.findall(
            r'<a href="\?caseworker=\d+"[^>]*>(\w+)</a></td>\s*<td>(\d+)</td><td>\d+</td><td>\d+</td>'
            r"<td>(?:<strong>)?(\d+)",
            html,
        )
    }
    assert rows == {"anna": ("1", "1"), "bo": ("2", "2"), "erik": ("0", "0")}  # all due at the start: overdue
    # the enrolments without a responsible caseworker are listed (maria may see protected identities)
    assert sorted(_names(html)) == ["Hemlig Skyddadsson", "Remiss Rinkebysson", "Soder Ortsson"]


@pytest.mark.django_db
def test_overdue_counts_are_zero_without_sources(mine, login, no_sources):
    html = login("maria").get("/caseload/team/").content.decode()
    assert "<strong>" not in html.split("<tbody>")[1].split("</tbody>")[0]


@pytest.mark.django_db
def test_the_manager_rebalances_selected_enrolments_with_a_reason(mine, login):
    from pestrack.records.casework.models import CaseworkerChange

    client = login("maria")
    bo = _user("bo")
    html = client.get(f"/caseload/team/?caseworker={bo.pk}").content.decode()
    assert set(_names(html)) == {"Bengt Bengtsson", "Olle Ovriga"}
    move = {
        "enrolment": [mine.other.enrolments.get().pk],
        "reassign-role": "responsible",
        "reassign-to_user": _user("anna").pk,
        "next": f"/caseload/team/?caseworker={bo.pk}",
    }
    response = client.post("/caseload/reassign/", {**move, "reassign-reason": ""}, follow=True)
    assert "Reason: This field is required." in response.content.decode() and not CaseworkerChange.objects.exists()
    response = client.post("/caseload/reassign/", {**move, "reassign-reason": "Rebalance"})
    assert response.status_code == 302 and response["Location"] == f"/caseload/team/?caseworker={bo.pk}"
    assert mine.other.enrolments.get().caseworker.username == "anna"
    assert CaseworkerChange.objects.get().changed_by.username == "maria"


# --- Access --------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["anna", "erik", "ali", "sara", "admin"])
def test_the_managers_view_is_refused_to_everyone_but_unit_managers(mine, login, username):
    assert login(username).get("/caseload/team/").status_code == 403
    assert log_entries(actor=username, action="denied", object_type="team caseload").exists()


@pytest.mark.django_db
def test_another_districts_manager_cannot_list_a_caseworker_outside_their_units(mine, login):
    from pestrack.records.org.users import add_user
    from tests.web.conftest import PASSWORD

    add_user("mats", "unit_manager", ["jt-soderort"], password=PASSWORD)
    assert login("mats").get(f"/caseload/team/?caseworker={_user('anna').pk}").status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["erik", "dina", "ali", "sara"])
def test_changing_a_caseworker_is_refused_outside_the_enrolments_unit_and_logged(mine, login, username):
    e = mine.jarva.enrolments.get()
    client = login(username)
    assert client.get(f"/enrolments/{e.pk}/caseworker/").status_code == 403
    response = client.post(
        "/caseload/reassign/",
        {
            "enrolment": [e.pk],
            "reassign-role": "responsible",
            "reassign-to_user": _user("bo").pk,
            "reassign-reason": "x",
        },
    )
    assert response.status_code in (302, 403)
    e.refresh_from_db()
    assert e.caseworker.username == "anna"
    assert log_entries(actor=username, action="denied").count() >= 1


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["ali", "sara", "admin"])
def test_roles_without_person_access_get_no_caseload_export_nor_saved_filters(mine, login, username):
    client = login(username)
    assert client.post("/caseload/", {"export": "csv"}).status_code == 403
    assert client.post("/caseload/filters/save/", {"filter_name": "x"}).status_code == 403
    assert client.post("/caseload/filters/delete/", {"filter": 1}).status_code == 403
    assert log_entries(actor=username, action="denied", object_type="caseload").count() == 3
    assert not log_entries(actor=username, action="export").exists()


# --- Language ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_new_pages_speak_swedish_to_a_swedish_user(mine, login, due_source):
    english = [
        "My caseload",
        "Responsible caseworker",
        "Second caseworker",
        "Saved filters",
        "Showing",
        "Export (CSV)",
        "Days since last activity",
        "Next due date",
        "Caseload per caseworker",
        "Move the selected",
        "New caseworker",
        "Reason",
        "Which caseworker",
        "overdue",
        "Enrolments I am",
        "Search in the list",
        "change of caseworker",
        "Change caseworker",
    ]
    e = mine.jarva.enrolments.get()
    client = login("anna")
    client.post(f"/enrolments/{e.pk}/caseworker/", {"role": "second", "to_user": _user("bo").pk, "reason": "Stöd"})
    pages = [
        client.get("/caseload/", HTTP_ACCEPT_LANGUAGE="sv").content.decode(),
        client.get(f"/enrolments/{e.pk}/caseworker/", HTTP_ACCEPT_LANGUAGE="sv").content.decode(),
        client.get(f"/persons/{mine.jarva.pk}/", HTTP_ACCEPT_LANGUAGE="sv").content.decode(),
        login("maria").get("/caseload/team/", HTTP_ACCEPT_LANGUAGE="sv").content.decode(),
    ]
    for html in pages:
        assert not [w for w in english if w in html], [w for w in english if w in html]
    assert "Visar 1–2 av 2 öppna inskrivningar" in pages[0] and "försenad" in pages[0]
    assert "Ansvarig handläggare" in pages[1] and "1 byte av handläggare" in pages[2]
    assert "Ärenden per handläggare" in pages[3]


@pytest.mark.django_db
def test_the_kept_html_of_a_forms_fields_is_found_again_on_the_next_page(world):
    """The reassignment form's caseworker list is kept as HTML between pages (Django's select
    widgets are costly) under a key of what the fields show. A model choice's value is an object
    whose repr differs on every page, so the key was new on every page and the HTML never reused;
    the key still changes when what the fields show changes (another caseworker in the list)."""
    from django.contrib.auth.models import User

    from pestrack.records.org.users import add_user
    from pestrack.web.templatetags.web_forms import field_key, fields_key
    from pestrack.web.workspace.forms import ReassignForm

    first, second = ReassignForm(caseworkers=User.objects.all()), ReassignForm(caseworkers=User.objects.all())
    before = fields_key(first)
    assert before == fields_key(second)
    assert field_key(first["to_user"]) == field_key(second["to_user"])
    add_user("ny-handlaggare", "caseworker", ["jt-jarva"], password="kaffekopp-lastprov-7391")
    third = ReassignForm(caseworkers=User.objects.all())
    assert fields_key(third) != before
