"""The caseworker workspace: my caseload with its filters, search (logged, never with the identity
number in clear), the person page's timeline, and the forms that record casework through the
business rules, with messages beside their fields; refusals outside the user's units."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tests.web.conftest import log_entries, make_person

TODAY = dt.date.today()


def _code(list_name, code):
    from pestrack.records.codes.models import Code

    return Code.objects.get(list=list_name, code=code)


def _enrolment(person):
    return person.enrolments.get()


# --- My caseload ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_caseload_lists_open_enrolments_of_my_units_masking_protected_identities(world, login):
    html = login("anna").get("/caseload/?scope=units").content.decode()
    assert "Jarvasson" in html and "Ortsson" not in html and "Rinkebysson" not in html
    assert "Skyddadsson" not in html and "*****" in html
    assert "2 open enrolments" in html
    listed = set(log_entries(action="read", actor="anna", object_type="caseload").values_list("person_id", flat=True))
    assert listed == {world.jarva.pk, world.protected.pk}


@pytest.mark.django_db
def test_caseload_shows_an_enrolment_without_a_stored_last_activity_instead_of_failing(world, login):
    """Rows written by SQL outside pestrack without the refresh (docs/operations.md) have no date."""
    from pestrack.records.casework.models import Enrolment

    Enrolment.objects.filter(person=world.jarva).update(last_activity=None)
    response = login("anna").get("/caseload/?scope=units")
    assert response.status_code == 200
    assert "Jarvasson" in response.content.decode() and "(?)" in response.content.decode()


@pytest.mark.django_db
def test_caseload_lists_the_enrolments_my_district_referred_and_logs_them(world, login):
    html = login("dina").get("/caseload/?scope=units").content.decode()
    assert "Rinkebysson" in html and "Ortsson" not in html and "Jarvasson" not in html and "1 open enrolment" in html
    assert set(log_entries(actor="dina", object_type="caseload").values_list("person_id", flat=True)) == {
        world.referred.pk
    }
    html = login("erik").get("/caseload/?scope=units").content.decode()
    assert "Rinkebysson" in html and "Ortsson" in html and "Jarvasson" not in html


@pytest.mark.django_db
def test_caseload_leaves_out_ended_enrolments(world, login):
    e = _enrolment(world.jarva)
    e.end_date, e.exit_reason = TODAY, _code("exit_reason", "work")
    e.save()
    assert "Jarvasson" not in login("anna").get("/caseload/?scope=units").content.decode()


@pytest.mark.django_db
def test_caseload_filters_by_target_group_measure_and_time_since_last_activity(world, login):
    from pestrack.records.casework.models import Assessment, Participation

    kaa = make_person(
        "Unga", "Kaasson", "jt-jarva", serial=120, birth=TODAY.replace(year=TODAY.year - 18) - dt.timedelta(days=30)
    )
    e = _enrolment(kaa)
    e.target_group, e.entry_route = _code("target_group", "kaa"), _code("entry_route", "kaa")
    e.save()
    Participation.objects.create(
        enrolment=_enrolment(world.jarva), measure=_code("measure", "praktik"), start_date=TODAY - dt.timedelta(days=90)
    )
    Assessment.objects.create(
        enrolment=e, instrument=_code("instrument", "wai"), date=TODAY - dt.timedelta(days=5), score=7
    )
    client = login("anna")

    def names(**query):
        html = client.get("/caseload/", {"scope": "units", **query}).content.decode()
        return {n for n in ("Jarvasson", "Kaasson", "*****") if n in html}

    assert names() == {"Jarvasson", "Kaasson", "*****"}
    assert names(target_group="kaa") == {"Kaasson"}
    assert names(measure="praktik") == {"Jarvasson"}
    # Jarvasson's last activity is the measure 90 days ago; Kaasson was assessed 5 days ago
    assert names(inactive="30") == {"Jarvasson", "*****"}
    assert names(inactive="90") == {"*****"}  # enrolled 100 days ago, nothing since


def _caseload(client, **query) -> list[tuple[str, int]]:
    """The caseload's rows in order: (name, days since last activity)."""
    html = client.get("/caseload/", {"scope": "units", **query}).content.decode()
    return [
        (name, int(days))
        for name, days in re.findall(r'<a href="/persons/\d+/">([^<]*)</a>.*?\((\d+) days? ago\)', html, re.DOTALL)
    ]


@pytest.mark.django_db
def test_recording_an_assessment_moves_the_person_down_the_caseload(world, login):
    """The stored last activity follows the assessment form: the list's order, its days and its filter."""
    client = login("anna")
    assert _caseload(client) == [("Jarva Jarvasson", 100), ("*****", 100)]  # a tie: by enrolment
    e = _enrolment(world.jarva)
    assert (
        client.post(
            f"/enrolments/{e.pk}/assessment/",
            {"instrument": _code("instrument", "wai").pk, "date": TODAY - dt.timedelta(days=3), "score": "6"},
        ).status_code
        == 302
    )
    assert _caseload(client) == [("*****", 100), ("Jarva Jarvasson", 3)]
    assert _caseload(client, inactive="30") == [("*****", 100)]
    # an earlier assessment does not bring the last activity back
    client.post(
        f"/enrolments/{e.pk}/assessment/",
        {"instrument": _code("instrument", "wai").pk, "date": TODAY - dt.timedelta(days=50), "score": "5"},
    )
    assert _caseload(client) == [("*****", 100), ("Jarva Jarvasson", 3)]


@pytest.mark.django_db
def test_starting_ending_and_deleting_a_measure_change_the_last_activity(world, login):
    """The measure forms, then a deletion (no page deletes a measure: the admin refuses, retention
    anonymises; the ORM's delete is what remains): the caseload shows the latest start or end left."""
    client = login("anna")
    e = _enrolment(world.jarva)
    client.post(
        f"/enrolments/{e.pk}/measure/",
        {"measure": _code("measure", "ips").pk, "start_date": TODAY - dt.timedelta(days=40)},
    )
    p = e.participations.get()
    assert _caseload(client) == [("*****", 100), ("Jarva Jarvasson", 40)]
    assert client.post(f"/measures/{p.pk}/end/", {"end_date": TODAY - dt.timedelta(days=10)}).status_code == 302
    assert _caseload(client) == [("*****", 100), ("Jarva Jarvasson", 10)]
    p.delete()
    assert _caseload(client) == [("Jarva Jarvasson", 100), ("*****", 100)]


@pytest.mark.django_db
def test_recording_a_decision_counts_as_activity(world, login):
    client = login("anna")
    e = _enrolment(world.protected)
    client.post(
        f"/enrolments/{e.pk}/decision/",
        {"decision_reference": "SoL 2026-17", "decision_date": TODAY - dt.timedelta(days=20)},
    )
    assert _caseload(client) == [("Jarva Jarvasson", 100), ("*****", 20)]


@pytest.mark.django_db
def test_caseload_filter_fields_kept_rendered_follow_the_choice_the_codes_and_the_language(world, login):
    """The filter's fields are rendered once per language, code list and choice (a template cache)."""
    from pestrack.records.codes.models import Code

    client = login("anna")
    client.post("/language/", {"language": "sv"})
    assert '<option value="kaa" selected>' in client.get("/caseload/", {"target_group": "kaa"}).content.decode()
    page = client.get("/caseload/?scope=units").content.decode()
    assert '<option value="kaa">' in page and '<option value="kaa" selected>' not in page
    Code.objects.filter(list="measure", code="praktik").update(name_sv="Praktik (ny)", name_en="Work placement (new)")
    assert "Praktik (ny)" in client.get("/caseload/?scope=units").content.decode()
    client.post("/language/", {"language": "en"})
    assert "Work placement (new)" in client.get("/caseload/?scope=units").content.decode()
    page = client.get("/caseload/", {"inactive": "7"}).content.decode()
    assert 'aria-invalid="true"' in page  # not a choice: the error is shown, not a kept rendering


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["ali", "admin", "sara"])
def test_roles_without_person_access_get_no_caseload_nor_search(world, login, username):
    client = login(username)
    assert client.get("/caseload/?scope=units").status_code == 403
    assert client.post("/search/", {"q": "Jarvasson"}).status_code == 403
    assert "My caseload" not in client.get("/").content.decode()


# --- Search ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_search_by_name_finds_persons_of_my_units_and_is_logged(world, login):
    html = login("anna").post("/search/", {"q": "jarv"}).content.decode()
    assert f'href="/persons/{world.jarva.pk}/"' in html and "Jarvasson" in html
    entry = log_entries(action="search", actor="anna").get()
    assert entry.detail == "by name; 1 found" and entry.person_id == world.jarva.pk
    html = login("anna").post("/search/", {"q": "Ortsson"}).content.decode()
    assert f"/persons/{world.soderort.pk}/" not in html and "No person in your units matches." in html


@pytest.mark.django_db
def test_masked_persons_are_not_found_by_their_real_name(world, login):
    assert "No person in your units matches." in login("anna").post("/search/", {"q": "Hemlig"}).content.decode()
    assert "Skyddadsson" in login("maria").post("/search/", {"q": "Hemlig"}).content.decode()


@pytest.mark.django_db
def test_search_by_identity_number_is_logged_without_the_number(world, login):
    number = world.jarva.identity_number
    for typed in (number, number.replace("-", ""), number[2:]):
        html = login("anna").post("/search/", {"q": typed}).content.decode()
        assert "Jarvasson" in html, typed
    html = login("anna").post("/search/", {"q": world.soderort.identity_number}).content.decode()
    assert f"/persons/{world.soderort.pk}/" not in html and "No person in your units matches." in html
    searches = log_entries(action="search", actor="anna")
    assert searches.count() == 4
    for entry in searches:
        for text in (entry.detail, entry.object_type, entry.object_id):
            assert number[:8] not in text and number[-4:] not in text
            assert world.soderort.identity_number[-4:] not in text


@pytest.mark.django_db
def test_search_is_a_post_a_get_only_shows_the_form(world, login):
    html = login("anna").get("/search/", {"q": "Jarvasson"}).content.decode()
    assert f"/persons/{world.jarva.pk}/" not in html and 'method="post"' in html
    assert not log_entries(action="search").exists()


# --- The person page --------------------------------------------------------------------


@pytest.mark.django_db
def test_person_page_shows_the_timeline(world, login):
    from pestrack.records.casework.models import Assessment, FollowUp, Participation, Plan

    e = _enrolment(world.jarva)
    start = e.start_date
    Assessment.objects.create(enrolment=e, instrument=_code("instrument", "wai"), date=start, score=3)
    Plan.objects.create(enrolment=e, date=start + dt.timedelta(days=2), goals="Arbete inom vården")
    Participation.objects.create(
        enrolment=e,
        measure=_code("measure", "praktik"),
        start_date=start + dt.timedelta(days=5),
        end_date=start + dt.timedelta(days=40),
    )
    e.end_date, e.exit_reason = start + dt.timedelta(days=40), _code("exit_reason", "work")
    e.save()
    FollowUp.objects.create(
        enrolment=e, months=3, reference_date=e.end_date + dt.timedelta(days=50), working=True, source="register"
    )
    html = login("anna").get(f"/persons/{world.jarva.pk}/").content.decode()
    for text in (
        "Enrolled in Jobbtorg Stockholm",
        "Work Ability Index",
        "0–4 (poor)",
        "Arbete inom vården",
        "Measure started: Work placement (praktik)",
        "Measure ended: Work placement (praktik)",
        "Work, unsubsidised",
        "Follow-up 3 months after exit",
        world.jarva.identity_number,
    ):
        assert text in html, text
    kinds = re.findall(r'class="event event-([a-z-]+)"', html)
    assert kinds == ["follow-up", "exit", "measure-end", "measure-start", "plan", "assessment", "enrolment"]
    assert f'href="/persons/{world.jarva.pk}/enrol/"' in html  # no open enrolment: may enrol again


@pytest.mark.django_db
def test_person_page_shows_the_enrolments_newest_first_whatever_order_they_were_recorded_in(world, login):
    """The enrolments are sorted by start date in Python (no ORDER BY): recorded out of order, an
    older enrolment after a newer one, they still come newest first."""
    from pestrack.records.casework.models import Enrolment

    open_one = _enrolment(world.jarva)
    ended = []
    for years_before in (3, 1):  # the oldest recorded first, then one between it and the open one
        start = open_one.start_date - dt.timedelta(days=365 * years_before)
        ended.append(
            Enrolment.objects.create(
                person=world.jarva,
                programme=open_one.programme,
                org_unit=open_one.org_unit,
                target_group=open_one.target_group,
                entry_route=open_one.entry_route,
                start_date=start,
                end_date=start + dt.timedelta(days=100),
                exit_reason=_code("exit_reason", "work"),
            )
        )
    html = login("anna").get(f"/persons/{world.jarva.pk}/").content.decode()
    shown = [int(pk) for pk in re.findall(r'<h3 id="enrolment-(\d+)">', html)]
    assert shown == [open_one.pk, ended[1].pk, ended[0].pk]


@pytest.mark.django_db
def test_person_page_of_a_protected_identity_is_masked(world, login):
    html = login("anna").get(f"/persons/{world.protected.pk}/").content.decode()
    number = world.protected.identity_number
    assert "Hemlig" not in html and "Skyddadsson" not in html and number not in html and number[2:] not in html
    assert "*****" in html and "Protected identity" in html


@pytest.mark.django_db
def test_person_outside_my_units_is_refused_with_a_403_page_and_logged(world, login):
    response = login("anna").get(f"/persons/{world.soderort.pk}/")
    html = response.content.decode()
    assert response.status_code == 403 and "Access refused" in html and "You do not have access to this person." in html
    assert "Ortsson" not in html
    assert log_entries(action="denied", actor="anna", person_id=world.soderort.pk).exists()


@pytest.mark.django_db
def test_person_page_offers_forms_only_for_the_enrolments_of_my_units(world, login):
    from pestrack.records.casework.models import Enrolment

    first = _enrolment(world.jarva)
    first.end_date, first.exit_reason = TODAY - dt.timedelta(days=10), _code("exit_reason", "work")
    first.save()
    later = Enrolment.objects.create(
        person=world.jarva,
        programme=first.programme,
        org_unit_id=_unit("jt-soderort"),
        target_group=first.target_group,
        entry_route=first.entry_route,
        start_date=TODAY - dt.timedelta(days=5),
    )
    # anna's unit enrolled the person before: she reads the page, but writes nothing in Söderort's enrolment
    html = login("anna").get(f"/persons/{world.jarva.pk}/").content.decode()
    assert "Jarvasson" in html and f"/enrolments/{later.pk}/assessment/" not in html and "/enrol/" not in html
    assert log_entries(action="read", actor="anna", person_id=world.jarva.pk, object_type="person").exists()
    html = login("erik").get(f"/persons/{world.jarva.pk}/").content.decode()
    assert f"/enrolments/{later.pk}/assessment/" in html and f"/enrolments/{first.pk}/" not in html


@pytest.mark.django_db
def test_unit_manager_reads_the_person_page_but_gets_no_forms(world, login):
    client = login("maria")
    html = client.get(f"/persons/{world.jarva.pk}/").content.decode()
    assert "Jarvasson" in html and "Record an assessment" not in html
    e = _enrolment(world.jarva)
    assert client.get(f"/enrolments/{e.pk}/assessment/").status_code == 403
    assert (
        client.post(
            f"/enrolments/{e.pk}/assessment/", {"instrument": _code("instrument", "wai").pk, "date": TODAY, "score": 5}
        ).status_code
        == 403
    )
    assert not e.assessments.exists()


# --- Forms -------------------------------------------------------------------------------


def _errors_tied_to_fields(html: str) -> dict[str, str]:
    """field name -> its error message, checking the input points at the message (aria-describedby)."""
    out = {}
    for error_id, message in re.findall(r'<p class="error-message" id="([^"]+)">(.*?)</p>', html, re.S):
        name = error_id.removeprefix("id_").removesuffix("-error")
        tag = re.search(rf'<(?:input|select|textarea)[^>]*name="{name}"[^>]*>', html).group(0)
        assert error_id in re.search(r'aria-describedby="([^"]+)"', tag).group(1), tag
        assert 'aria-invalid="true"' in tag
        out[name] = re.sub(r"<[^>]+>", "", message).replace("Error: ", "").strip()
    return out


@pytest.mark.django_db
def test_record_an_assessment_with_its_band(world, login):
    client = login("anna")
    e = _enrolment(world.jarva)
    wai = _code("instrument", "wai")
    response = client.post(f"/enrolments/{e.pk}/assessment/", {"instrument": wai.pk, "date": TODAY, "score": "12"})
    assert response.status_code == 422
    errors = _errors_tied_to_fields(response.content.decode())
    assert errors == {"score": "Arbetsförmågeindex (WAI), enkel fråga (wai) scores run from 0 to 10; 12 is outside."}
    response = client.post(f"/enrolments/{e.pk}/assessment/", {"instrument": wai.pk, "date": TODAY, "score": "8"})
    assert (
        response.status_code == 302
        and response["Location"] == f"/persons/{world.jarva.pk}/#entry-assessment-{e.assessments.get().pk}"
    )
    a = e.assessments.get()
    assert a.score == 8 and a.band == "8–10"
    assert log_entries(
        action="create", actor="anna", object_type="assessment", object_id=str(a.pk), person_id=world.jarva.pk
    ).exists()
    assert "8–10 (good)" in client.get(response["Location"]).content.decode()


@pytest.mark.django_db
def test_start_and_end_a_measure_checked_against_the_enrolment(world, login):
    client = login("anna")
    e = _enrolment(world.jarva)
    url = f"/enrolments/{e.pk}/measure/"
    before = e.start_date - dt.timedelta(days=1)
    errors = _errors_tied_to_fields(
        client.post(url, {"measure": _code("measure", "ips").pk, "start_date": before}).content.decode()
    )
    assert errors == {"start_date": f"The measure starts before the enrolment ({e.start_date})."}
    assert (
        client.post(
            url, {"measure": _code("measure", "ips").pk, "start_date": TODAY, "provider_name": "Fontänhuset"}
        ).status_code
        == 302
    )
    p = e.participations.get()
    assert (p.measure.code, p.start_date, p.end_date, p.provider_name) == ("ips", TODAY, None, "Fontänhuset")
    twice = client.post(url, {"measure": _code("measure", "ips").pk, "start_date": TODAY})  # the natural key
    assert twice.status_code == 422 and "already exists" in twice.content.decode()
    assert e.participations.count() == 1
    # withdrawn as wrong, it no longer holds its key: the right one can be entered
    from pestrack.records.casework import corrections

    corrections.withdraw("participation", p.pk, "Fel insats", None)
    again = client.post(url, {"measure": _code("measure", "ips").pk, "start_date": TODAY})
    assert again.status_code == 302 and e.participations.count() == 2
    p = e.participations.filter(withdrawn_at__isnull=True).get()  # the new one: ended below
    end_url = f"/measures/{p.pk}/end/"
    errors = _errors_tied_to_fields(client.post(end_url, {"end_date": TODAY + dt.timedelta(days=1)}).content.decode())
    assert list(errors) == ["end_date"] and "in the future" in errors["end_date"]
    assert client.post(end_url, {"end_date": TODAY}).status_code == 302
    p.refresh_from_db()
    assert p.end_date == TODAY
    assert log_entries(action="update", object_type="participation", object_id=str(p.pk)).exists()
    assert client.get(end_url).status_code == 302  # already ended: back to the person page


@pytest.mark.django_db
def test_record_a_decision_and_a_plan(world, login):
    client = login("anna")
    e = _enrolment(world.jarva)
    errors = _errors_tied_to_fields(
        client.post(
            f"/enrolments/{e.pk}/decision/",
            {"decision_reference": "SoL-1", "decision_date": TODAY + dt.timedelta(days=2)},
        ).content.decode()
    )
    assert errors == {"decision_date": f"The decision date {TODAY + dt.timedelta(days=2)} is in the future."}
    assert (
        client.post(
            f"/enrolments/{e.pk}/decision/", {"decision_reference": "SoL-2026-17", "decision_date": TODAY}
        ).status_code
        == 302
    )
    e.refresh_from_db()
    assert (e.decision_reference, e.decision_date) == ("SoL-2026-17", TODAY)
    assert (
        client.post(
            f"/enrolments/{e.pk}/plan/", {"date": TODAY, "goals": "Undersköterska", "participant_involved": "true"}
        ).status_code
        == 302
    )
    plan = e.plans.get()
    assert plan.goals == "Undersköterska" and plan.participant_involved is True
    html = client.get(f"/persons/{world.jarva.pk}/").content.decode()
    assert "SoL-2026-17" in html and "Undersköterska" in html


@pytest.mark.django_db
def test_exit_needs_a_reason_and_a_date_not_before_the_start(world, login):
    client = login("anna")
    e = _enrolment(world.jarva)
    url = f"/enrolments/{e.pk}/exit/"
    errors = _errors_tied_to_fields(
        client.post(url, {"end_date": e.start_date - dt.timedelta(days=1)}).content.decode()
    )
    assert set(errors) == {"exit_reason"}  # required field first; the date rule follows once it is given
    errors = _errors_tied_to_fields(
        client.post(
            url, {"end_date": e.start_date - dt.timedelta(days=1), "exit_reason": _code("exit_reason", "studies").pk}
        ).content.decode()
    )
    assert errors == {
        "end_date": f"The end date {e.start_date - dt.timedelta(days=1)} is before the start date {e.start_date}."
    }
    answers = {"end_date": TODAY, "exit_reason": _code("exit_reason", "studies").pk}
    assert client.post(url, answers).status_code == 200  # the check-your-answers step (test_corrections)
    assert client.post(url, {**answers, "confirm": "1"}).status_code == 302
    e.refresh_from_db()
    assert e.end_date == TODAY and e.exit_reason.code == "studies"
    assert client.get(url).status_code == 302  # an ended enrolment cannot be exited again
    assert client.get(f"/enrolments/{e.pk}/assessment/").status_code == 302


@pytest.mark.django_db
def test_enrol_again_after_an_exit_with_the_target_group_rules(world, login):
    client = login("anna")
    e = _enrolment(world.jarva)
    e.end_date, e.exit_reason = TODAY - dt.timedelta(days=10), _code("exit_reason", "moved")
    e.save()
    url = f"/persons/{world.jarva.pk}/enrol/"
    form = {
        "programme": _code("programme", "jobbtorg").pk,
        "org_unit": _unit("jt-jarva"),
        "target_group": _code("target_group", "kaa").pk,
        "entry_route": _code("entry_route", "kaa").pk,
        "start_date": TODAY,
    }
    errors = _errors_tied_to_fields(client.post(url, form).content.decode())
    assert list(errors) == ["target_group"] and "requires age 19 or under" in errors["target_group"]
    errors = _errors_tied_to_fields(
        client.post(
            url,
            {
                **form,
                "org_unit": _unit("jt-soderort"),
                "target_group": _code("target_group", "forsorjningsstod").pk,
                "entry_route": _code("entry_route", "social_services").pk,
            },
        ).content.decode()
    )
    assert errors == {"org_unit": "You can only record enrolments at, or referred from, your own organisation units."}
    response = client.post(
        url,
        {
            **form,
            "target_group": _code("target_group", "forsorjningsstod").pk,
            "entry_route": _code("entry_route", "social_services").pk,
        },
    )
    assert response.status_code == 302
    new = world.jarva.enrolments.get(end_date__isnull=True)
    assert new.start_date == TODAY and new.caseworker.username == "anna"
    assert log_entries(action="create", object_type="enrolment", object_id=str(new.pk)).exists()
    # one open enrolment per programme
    errors = _errors_tied_to_fields(
        client.post(
            url,
            {
                **form,
                "start_date": TODAY - dt.timedelta(days=1),
                "target_group": _code("target_group", "forsorjningsstod").pk,
                "entry_route": _code("entry_route", "social_services").pk,
            },
        ).content.decode()
    )
    assert "already has an open enrolment" in errors["programme"]


@pytest.mark.django_db
def test_record_a_follow_up_after_the_exit_checked_by_the_rules(world, login):
    client = login("anna")
    e = _enrolment(world.jarva)
    url = f"/enrolments/{e.pk}/followup/"
    assert client.get(url).status_code == 302  # an open enrolment has no follow-up yet
    assert "/followup/" not in client.get(f"/persons/{world.jarva.pk}/").content.decode()
    exit_date = TODAY - dt.timedelta(days=200)
    e.start_date, e.end_date, e.exit_reason = (
        exit_date - dt.timedelta(days=100),
        exit_date,
        _code("exit_reason", "work"),
    )
    e.save()
    assert url in client.get(f"/persons/{world.jarva.pk}/").content.decode()
    form = {
        "months": 6,
        "reference_date": exit_date - dt.timedelta(days=1),
        "working": "true",
        "studying": "false",
        "self_sufficient": "unknown",
        "source": "survey",
    }
    errors = _errors_tied_to_fields(client.post(url, form).content.decode())
    assert errors == {"reference_date": "The follow-up date is before the exit."}
    assert client.post(url, {**form, "reference_date": exit_date + dt.timedelta(days=182)}).status_code == 302
    f = e.followups.get()
    assert (f.months, f.working, f.studying, f.self_sufficient, f.source) == (6, True, False, None, "survey")
    assert log_entries(action="create", object_type="followup", object_id=str(f.pk), person_id=world.jarva.pk).exists()
    html = client.get(f"/persons/{world.jarva.pk}/").content.decode()
    assert "Follow-up 6 months after exit" in html
    again = client.post(url, {**form, "reference_date": TODAY})
    assert again.status_code == 422 and "already exists" in again.content.decode()
    assert e.followups.count() == 1
    other = _enrolment(world.soderort)
    other.end_date, other.exit_reason = TODAY, _code("exit_reason", "work")
    other.save()
    assert client.post(f"/enrolments/{other.pk}/followup/", {**form, "reference_date": TODAY}).status_code == 403
    assert not other.followups.exists()


def _unit(code):
    from pestrack.records.org.models import OrgUnit

    return OrgUnit.objects.get(code=code).pk


@pytest.mark.django_db
def test_forms_for_another_districts_person_are_refused_and_nothing_is_written(world, login):
    client = login("anna")
    e = _enrolment(world.soderort)
    for url, data in (
        (f"/enrolments/{e.pk}/assessment/", {"instrument": _code("instrument", "wai").pk, "date": TODAY, "score": 5}),
        (f"/enrolments/{e.pk}/exit/", {"end_date": TODAY, "exit_reason": _code("exit_reason", "work").pk}),
        (f"/persons/{world.soderort.pk}/enrol/", {}),
    ):
        assert client.get(url).status_code == 403
        assert client.post(url, data).status_code == 403
    e.refresh_from_db()
    assert e.end_date is None and not e.assessments.exists()
    assert log_entries(action="denied", actor="anna", person_id=world.soderort.pk).count() == 6
    assert client.get("/enrolments/999999/exit/").status_code == 404


def _new_person_form(**changes):
    from pestrack.records.people.identity import make_number

    data = {
        "person-identity_number": make_number(dt.date(1990, 6, 1), 331),
        "person-first_name": "Nya",
        "person-last_name": "Nyberg",
        "person-sex": "woman",
        "person-municipality": "0180",
        "person-address": "Nygatan 1",
        "enrolment-programme": _code("programme", "jobbtorg").pk,
        "enrolment-org_unit": _unit("jt-jarva"),
        "enrolment-target_group": _code("target_group", "forsorjningsstod").pk,
        "enrolment-entry_route": _code("entry_route", "social_services").pk,
        "enrolment-start_date": TODAY,
    }
    return {**data, **changes}


@pytest.mark.django_db
def test_register_and_enrol_a_new_person(world, login):
    from pestrack.records.people.models import Person

    client = login("anna")
    assert 'href="/persons/new/"' in client.get("/search/").content.decode()
    response = client.post("/persons/new/", _new_person_form())
    person = Person.objects.get(last_name="Nyberg")
    assert response.status_code == 302 and response["Location"] == f"/persons/{person.pk}/"
    assert person.birth_date == dt.date(1990, 6, 1) and person.identity_number.startswith("19900601-")
    enrolment = person.enrolments.get()
    assert enrolment.org_unit.code == "jt-jarva" and enrolment.caseworker.username == "anna"
    assert {e.object_type for e in log_entries(action="create", person_id=person.pk)} == {"person", "enrolment"}
    assert "Nya Nyberg" in client.get(response["Location"]).content.decode()


@pytest.mark.django_db
def test_a_new_person_is_not_saved_when_the_enrolment_breaks_a_rule(world, login):
    from pestrack.records.people.models import Person

    client = login("anna")
    html = client.post(
        "/persons/new/", _new_person_form(**{"enrolment-target_group": _code("target_group", "kaa").pk})
    ).content.decode()
    assert "requires age 19 or under" in _errors_tied_to_fields(html)["enrolment-target_group"]
    html = client.post(
        "/persons/new/", _new_person_form(**{"person-identity_number": "19900601-0000"})
    ).content.decode()
    assert list(_errors_tied_to_fields(html)) == ["person-identity_number"]
    html = client.post(
        "/persons/new/", _new_person_form(**{"person-identity_number": world.soderort.identity_number})
    ).content.decode()
    assert _errors_tied_to_fields(html) == {
        "person-identity_number": "This identity number cannot be registered. "
        "Check the number; if it is right, ask an administrator."
    }
    assert not Person.objects.filter(last_name="Nyberg").exists()
    assert login("maria").get("/persons/new/").status_code == 403
    assert 'href="/persons/new/"' not in login("maria").get("/search/").content.decode()


def test_a_corrections_previous_values_read_in_the_same_order_on_every_database():
    """A JSON column keeps no key order on PostgreSQL (shorter keys first): the history lists the
    changed fields in the form's order, whatever order the database gives them back in."""
    from pestrack.web.workspace.timeline import FIELD_LABELS, value_rows

    fields = ["decision_reference", "decision_date", "end_date"]
    assert fields == list(FIELD_LABELS)[:3]
    labels = [label for label, _ in value_rows("enrolment", dict.fromkeys(reversed(fields), ""), None)]
    assert labels == ["Decision reference", "Decision date", "End date"]
