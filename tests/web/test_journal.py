"""The journal on the pages and in the API: writing, signing, editing while unsigned (the author
only), correcting a signed entry, refusals naming the field in the user's language, access
refused and logged, reads logged, protected identities masked; admin read only; OpenAPI."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from tests.web.conftest import log_entries, make_administrator

TODAY = timezone.localdate()


def _write(person, author_name="anna", text="Samtal om praktik.", sign=False, **kw):
    from django.contrib.auth.models import User

    from pestrack.records.journal import rules

    return rules.write(
        User.objects.get(username=author_name),
        enrolment=person.enrolments.get(),
        kind=kw.pop("kind", "samtal"),
        date=kw.pop("date", TODAY),
        text=text,
        sign=sign,
        **kw,
    )


def _token_for(username):
    from django.contrib.auth.models import User

    from pestrack.web.models import ApiToken

    return ApiToken.issue(User.objects.get(username=username))[1]


def _form(person, **changes):
    data = {
        "enrolment": person.enrolments.get().pk,
        "kind": _kind("samtal").pk,
        "date": TODAY.isoformat(),
        "text": "Vi pratade om praktik.\nNästa steg: CV.",
        "back": "person",
    }
    data.update(changes)
    return data


def _kind(code):
    from pestrack.records.codes.models import Code

    return Code.objects.get(list="journal_kind", code=code)


def _entries(**filters):
    from pestrack.records.journal.models import JournalEntry

    return JournalEntry.objects.filter(**filters)


# --- Pages ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_write_an_entry_on_the_person_page_and_sign_it(world, login):
    client = login("anna")
    page = client.get(f"/persons/{world.jarva.pk}/").content.decode()
    assert "Write a journal entry" in page and 'id="journal"' in page
    response = client.post(f"/persons/{world.jarva.pk}/journal/", _form(world.jarva))
    entry = _entries(person=world.jarva).get()
    assert response.status_code == 302
    assert response["Location"].endswith(f"/persons/{world.jarva.pk}/#journal-entry-{entry.pk}")
    assert entry.author.username == "anna" and entry.signed_at is None
    page = client.get(f"/persons/{world.jarva.pk}/").content.decode()
    assert "Vi pratade om praktik.<br>Nästa steg: CV." in page and "Unsigned" in page
    assert log_entries(action="create", actor="anna", object_type="journalentry", object_id=str(entry.pk)).exists()
    client.post(f"/journal/{entry.pk}/sign/", {"back": "person"})
    entry.refresh_from_db()
    assert entry.signed_at is not None
    page = client.get(f"/persons/{world.jarva.pk}/").content.decode()
    assert "Signed" in page and f'href="/journal/{entry.pk}/correct/"' in page


@pytest.mark.django_db
def test_entry_text_is_escaped_with_its_line_breaks(world, login):
    _write(world.jarva, text="<script>alert(1)</script>\nrad två")
    page = login("anna").get(f"/persons/{world.jarva.pk}/journal/").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;<br>rad två" in page and "<script>alert" not in page


@pytest.mark.django_db
def test_only_the_author_edits_an_unsigned_entry_and_nobody_a_signed_one(world, login):
    from pestrack.records.org.users import add_user
    from tests.web.conftest import PASSWORD

    add_user("bo", "caseworker", ["jt-jarva"], password=PASSWORD)
    entry = _write(world.jarva)
    bo = login("bo")
    assert "Change the unsigned entry" not in bo.get(f"/journal/{entry.pk}/").content.decode()
    bo.post(f"/journal/{entry.pk}/", {"kind": _kind("samtal").pk, "date": TODAY.isoformat(), "text": "Bos text"})
    bo.post(f"/journal/{entry.pk}/sign/")
    entry.refresh_from_db()
    assert entry.text == "Samtal om praktik." and entry.signed_at is None
    assert log_entries(action="denied", actor="bo", object_type="journalentry").count() == 2
    anna = login("anna")
    assert "Change the unsigned entry" in anna.get(f"/journal/{entry.pk}/").content.decode()
    anna.post(
        f"/journal/{entry.pk}/",
        {"kind": _kind("mote").pk, "date": TODAY.isoformat(), "text": "Annas text", "sign": "on"},
    )
    entry.refresh_from_db()
    assert entry.text == "Annas text" and entry.kind.code == "mote" and entry.signed_at is not None
    anna.post(f"/journal/{entry.pk}/", {"kind": _kind("mote").pk, "date": TODAY.isoformat(), "text": "Ändrad igen"})
    entry.refresh_from_db()
    assert entry.text == "Annas text"


@pytest.mark.django_db
def test_an_entry_left_unsigned_for_24_hours_shows_as_signed_and_cannot_be_changed(world, login):
    entry = _write(world.jarva)
    _entries(pk=entry.pk).update(created_at=timezone.now() - dt.timedelta(hours=25))
    client = login("anna")
    page = client.get(f"/journal/{entry.pk}/").content.decode()
    assert "Signed automatically" in page and "Change the unsigned entry" not in page
    client.post(f"/journal/{entry.pk}/", {"kind": _kind("samtal").pk, "date": TODAY.isoformat(), "text": "sent"})
    assert _entries(pk=entry.pk).get().text == "Samtal om praktik."


@pytest.mark.django_db
def test_correct_a_signed_entry_both_stay_visible_and_link_to_each_other(world, login):
    entry = _write(world.jarva, sign=True)
    client = login("anna")
    bad = client.post(
        f"/journal/{entry.pk}/correct/",
        {"kind": _kind("samtal").pk, "date": TODAY.isoformat(), "text": "Rätt", "reason": ""},
    )
    assert bad.status_code == 422 and "Say why the entry is corrected." in bad.content.decode()
    assert _entries().count() == 1
    response = client.post(
        f"/journal/{entry.pk}/correct/",
        {"kind": _kind("samtal").pk, "date": TODAY.isoformat(), "text": "Rätt text", "reason": "Fel datum"},
    )
    fix = _entries(corrects=entry).get()
    assert response.status_code == 302 and response["Location"] == f"/journal/{fix.pk}/"
    page = client.get(f"/persons/{world.jarva.pk}/journal/").content.decode()
    assert "Samtal om praktik." in page and "Rätt text" in page and "Fel datum" in page
    assert "This entry has been corrected." in page and f'href="/journal/{fix.pk}/"' in page
    assert f'href="/journal/{entry.pk}/"' in page
    assert log_entries(
        action="create", object_type="journalentry", object_id=str(fix.pk), detail=f"corrects entry {entry.pk}"
    ).exists()


@pytest.mark.django_db
def test_bad_input_is_refused_naming_the_field_in_swedish_and_nothing_is_written(world, login):
    from pestrack.records.casework.models import Participation
    from pestrack.records.codes.models import Code

    client = login("anna")
    client.post("/language/", {"language": "sv", "next": "/"})
    other_measure = Participation.objects.create(
        enrolment=world.soderort.enrolments.get(), start_date=TODAY, measure=Code.objects.filter(list="measure").first()
    )
    cases = [
        ({"text": "x" * 20001}, "20001 tecken"),
        ({"date": (TODAY + dt.timedelta(days=2)).isoformat()}, "framtiden"),
        ({"kind": "999999"}, "Välj ett giltigt alternativ"),
        ({"text": ""}, "Skriv anteckningens text"),
        ({"participation": other_measure.pk, "back": "journal"}, "Välj ett giltigt alternativ"),
    ]
    for change, message in cases:
        response = client.post(f"/persons/{world.jarva.pk}/journal/", _form(world.jarva, **change))
        assert response.status_code == 422, change
        assert message in response.content.decode(), change
    assert not _entries().exists()


@pytest.mark.django_db
def test_a_correction_of_a_withdrawn_or_missing_entry_is_refused(world, login):
    from pestrack.records.journal import rules

    entry = _write(world.jarva, sign=True)
    rules.correct(entry, entry.author, kind=None, date=TODAY, text="Fel person", reason="Fel person", withdraws=True)
    client = login("anna")
    response = client.post(
        f"/journal/{entry.pk}/correct/",
        {"kind": _kind("samtal").pk, "date": TODAY.isoformat(), "text": "x", "reason": "y"},
        follow=True,
    )
    assert "withdrawn and cannot be corrected" in response.content.decode()
    assert _entries(corrects=entry).count() == 1
    assert client.get("/journal/999999/correct/").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["erik", "maria", "ali", "sara", "admin"])
def test_writing_in_a_journal_out_of_scope_or_without_the_role_is_refused_and_logged(world, login, who):
    client = login(who)
    response = client.post(f"/persons/{world.jarva.pk}/journal/", _form(world.jarva))
    assert response.status_code == 403
    assert not _entries().exists()
    assert log_entries(action="denied", actor=who, person_id=world.jarva.pk).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["erik", "ali", "sara", "admin"])
def test_reading_a_journal_out_of_scope_or_without_the_role_is_refused_and_logged(world, login, who):
    entry = _write(world.jarva, sign=True)
    client = login(who)
    for url in (f"/persons/{world.jarva.pk}/journal/", f"/journal/{entry.pk}/", f"/journal/{entry.pk}/correct/"):
        assert client.get(url).status_code == 403, url
    assert log_entries(action="denied", actor=who, person_id=world.jarva.pk).count() == 3
    assert not log_entries(actor=who, person_id=world.jarva.pk).exclude(action="denied").exists()


@pytest.mark.django_db
def test_a_manager_reads_the_journal_but_cannot_correct(world, login):
    entry = _write(world.jarva, sign=True)
    client = login("maria")
    page = client.get(f"/persons/{world.jarva.pk}/journal/").content.decode()
    assert "Samtal om praktik." in page and "/correct/" not in page and "Write a journal entry" not in page
    assert log_entries(action="read", actor="maria", person_id=world.jarva.pk, object_type="journal").exists()
    assert client.post(f"/journal/{entry.pk}/correct/", {"reason": "x"}).status_code == 403


@pytest.mark.django_db
def test_every_read_of_the_journal_is_logged_and_protected_identities_stay_masked(world, login):
    entry = _write(world.protected, sign=True)
    client = login("anna")
    for url, what in (
        (f"/persons/{world.protected.pk}/journal/", "journal"),
        (f"/journal/{entry.pk}/", "journal entry"),
    ):
        html = client.get(url).content.decode()
        assert "Skyddadsson" not in html and "Hemlig" not in html and "Samtal om praktik." in html
        assert log_entries(action="read", actor="anna", person_id=world.protected.pk, object_type=what).count() == 1


@pytest.mark.django_db
def test_the_journal_page_is_paged_newest_first(world, login):
    for i in range(30):
        _write(world.jarva, text=f"Anteckning {i:02}", date=TODAY - dt.timedelta(days=i))
    client = login("anna")
    first = client.get(f"/persons/{world.jarva.pk}/journal/").content.decode()
    assert "30 entries" in first and "Anteckning 00" in first and "Anteckning 29" not in first
    assert first.index("Anteckning 00") < first.index("Anteckning 01")
    assert "Anteckning 29" in client.get(f"/persons/{world.jarva.pk}/journal/?page=2").content.decode()
    person_page = client.get(f"/persons/{world.jarva.pk}/").content.decode()
    assert "Anteckning 09" in person_page and "Anteckning 10" not in person_page
    assert "All journal entries" in person_page


@pytest.mark.django_db
def test_the_register_extract_includes_the_journal(world, login):
    _write(world.protected, text="Journaltext", sign=True)
    client = login("anna")
    data = json.loads(client.get(f"/persons/{world.protected.pk}/export.json").content)
    assert data["enrolments"][0]["journal"][0]["text"] == "Journaltext"
    assert data["person"]["last_name"] == "*****"
    assert "Journaltext" in client.get(f"/persons/{world.protected.pk}/export.html").content.decode()


@pytest.mark.django_db
def test_the_admin_shows_entries_read_only(world, login, admin_client=None):
    make_administrator("anna")  # the admin is for administrators: one who is also a caseworker
    entry = _write(world.jarva, sign=True)
    client = login("anna")
    change = client.get(f"/admin/journal/journalentry/{entry.pk}/change/")
    assert change.status_code == 200 and 'name="_save"' not in change.content.decode()
    client.post(f"/admin/journal/journalentry/{entry.pk}/change/", {"text": "ändrad"})
    assert client.get(f"/admin/journal/journalentry/{entry.pk}/delete/").status_code == 403
    assert client.get("/admin/journal/journalentry/add/").status_code == 403
    assert _entries(pk=entry.pk).get().text == "Samtal om praktik."


# --- API --------------------------------------------------------------------------------------


def _api(client, method, url, username="anna", body=None, **extra):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {_token_for(username)}", **extra}
    if body is not None:
        return getattr(client, method)(url, json.dumps(body), content_type="application/json", **headers)
    return getattr(client, method)(url, **headers)


@pytest.mark.django_db
def test_api_writes_lists_signs_and_corrects_entries(world, client):
    enrolment = world.jarva.enrolments.get()
    body = {"enrolment_id": enrolment.pk, "kind": "telefonsamtal", "date": TODAY.isoformat(), "text": "Ringde."}
    created = _api(client, "post", f"/api/v1/persons/{world.jarva.pk}/journal", body=body)
    assert created.status_code == 201, created.content
    entry = created.json()
    assert entry["kind"] == "telefonsamtal" and entry["author"] == "anna" and not entry["signed"]
    listed = _api(client, "get", f"/api/v1/persons/{world.jarva.pk}/journal").json()
    assert listed["count"] == 1 and listed["items"][0]["id"] == entry["id"]
    assert log_entries(action="read", actor="anna", person_id=world.jarva.pk, object_type="journal").exists()
    refused = _api(
        client,
        "post",
        f"/api/v1/journal/{entry['id']}/corrections",
        body={"reason": "fel", "text": "rätt", "date": TODAY.isoformat()},
    )
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "corrects"
    assert _api(client, "post", f"/api/v1/journal/{entry['id']}/sign").json()["signed"] is True
    fixed = _api(
        client,
        "post",
        f"/api/v1/journal/{entry['id']}/corrections",
        body={"reason": "Fel kind", "text": "Ringde, rätt.", "date": TODAY.isoformat(), "kind": "samtal"},
    )
    assert fixed.status_code == 201 and fixed.json()["corrects"] == entry["id"]
    old = _api(client, "get", f"/api/v1/journal/{entry['id']}").json()
    assert old["corrected_by"] == fixed.json()["id"] and old["text"] == "Ringde."


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_api_refuses_to_change_or_delete_an_entry_with_405(world, client, method):
    entry = _write(world.jarva)
    response = _api(client, method, f"/api/v1/journal/{entry.pk}", body={"text": "ändrad"})
    assert response.status_code == 405 and "never changed or deleted" in response.json()["detail"]
    assert _entries(pk=entry.pk).get().text == "Samtal om praktik."


@pytest.mark.django_db
def test_api_bad_input_names_the_field_and_writes_nothing(world, client):
    from pestrack.records.codes.models import Code
    from pestrack.records.meetings.models import Meeting

    enrolment = world.jarva.enrolments.get()
    meeting = Meeting.objects.create(
        person=world.soderort,
        enrolment=world.soderort.enrolments.get(),
        kind=Code.objects.get(list="meeting_kind", code="planning"),
        starts_at=timezone.now(),
    )
    ok = {"enrolment_id": enrolment.pk, "kind": "samtal", "date": TODAY.isoformat(), "text": "Text"}
    cases = [
        ({"text": "x" * 20001}, "text"),
        ({"date": (TODAY + dt.timedelta(days=1)).isoformat()}, "date"),
        ({"kind": "skvaller"}, "kind"),
        ({"meeting_id": meeting.pk}, "meeting_id"),
        ({"enrolment_id": world.soderort.enrolments.get().pk}, "enrolment_id"),
    ]
    for change, field in cases:
        response = _api(client, "post", f"/api/v1/persons/{world.jarva.pk}/journal", body={**ok, **change})
        assert response.status_code == 422, (change, response.content)
        assert [e["field"] for e in response.json()["errors"]] == [field]
    swedish = _api(
        client,
        "post",
        f"/api/v1/persons/{world.jarva.pk}/journal",
        body={**ok, "kind": "skvaller"},
        HTTP_ACCEPT_LANGUAGE="sv",
    )
    assert "Välj" in swedish.json()["errors"][0]["message"]
    assert (
        _api(
            client,
            "post",
            "/api/v1/journal/999999/corrections",
            body={"reason": "x", "text": "y", "date": TODAY.isoformat()},
        ).status_code
        == 404
    )
    assert not _entries().exists()


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["erik", "ali", "sara"])
def test_api_refuses_the_journal_out_of_scope_and_logs_it(world, client, who):
    entry = _write(world.jarva, sign=True)
    body = {"enrolment_id": world.jarva.enrolments.get().pk, "kind": "samtal", "date": TODAY.isoformat(), "text": "x"}
    assert _api(client, "get", f"/api/v1/persons/{world.jarva.pk}/journal", who).status_code == 403
    assert _api(client, "post", f"/api/v1/persons/{world.jarva.pk}/journal", who, body=body).status_code == 403
    assert (
        _api(
            client,
            "post",
            f"/api/v1/journal/{entry.pk}/corrections",
            who,
            body={"reason": "x", "text": "y", "date": TODAY.isoformat()},
        ).status_code
        == 403
    )
    assert log_entries(action="denied", actor=who, person_id=world.jarva.pk).count() == 3
    assert _entries().count() == 1


@pytest.mark.django_db
def test_api_journal_is_in_the_openapi_schema_with_its_errors(world, login):
    schema = login("anna").get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/persons/{person_id}/journal"])
    assert {"422", "403", "404"} <= set(paths["/api/v1/persons/{person_id}/journal"]["post"]["responses"])
    assert {"put", "patch", "delete"} <= set(paths["/api/v1/journal/{entry_id}"])
    assert "405" in paths["/api/v1/journal/{entry_id}"]["delete"]["responses"]
    assert "422" in paths["/api/v1/journal/{entry_id}/corrections"]["post"]["responses"]


@pytest.mark.django_db
def test_the_journal_pages_are_swedish_for_a_swedish_user(world, login):
    from pestrack.records.journal import rules

    entry = _write(world.jarva, sign=True)
    fix = rules.correct(entry, entry.author, kind=None, date=TODAY, text="Rätt", reason="Fel")
    unsigned = _write(world.jarva, text="Osignerad")
    client = login("anna")
    client.post("/language/", {"language": "sv"})
    english = [
        "Journal entry",
        "Write a journal entry",
        "Signed",
        "Unsigned",
        "Written ",
        "Corrects",
        ">Correct",
        ">History",
        ">Change",
        "Sign the entry now",
        "This entry has been corrected",
        "entries, newest first",
        "Kind",
        "Date of the event",
        "Save the entry",
        "Why is the entry corrected?",
        ">samtal<",
    ]
    for url in (
        f"/persons/{world.jarva.pk}/",
        f"/persons/{world.jarva.pk}/journal/",
        f"/journal/{entry.pk}/",
        f"/journal/{fix.pk}/",
        f"/journal/{unsigned.pk}/",
        f"/journal/{entry.pk}/correct/",
    ):
        html = client.get(url).content.decode()
        assert "Samtal" in html, url
        assert not [w for w in english if w in html], (url, [w for w in english if w in html])
