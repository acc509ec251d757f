"""Corrections and withdrawals from the person page: a correction keeps the previous version and the
reason and passes the same business rules as a new entry; a withdrawal never deletes; exits and
withdrawals have a check-your-answers step; refusals change nothing; access is decided and logged;
after a save the confirmation is on top and the entry highlighted; the admin offers no way around."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tests.web.conftest import log_entries, make_administrator

TODAY = dt.date.today()
pytestmark = pytest.mark.django_db


def _code(list_name, code):
    from pestrack.records.codes.models import Code

    return Code.objects.get(list=list_name, code=code)


def _enrolment(person):
    return person.enrolments.get()


def _plan(person, **kw):
    from pestrack.records.casework.models import Plan

    return Plan.objects.create(
        enrolment=_enrolment(person),
        date=TODAY - dt.timedelta(days=20),
        goals=kw.get("goals", "Arbete inom vården"),
        steps="Praktik",
    )


def _measure(person, **kw):
    from pestrack.records.casework.models import Participation

    return Participation.objects.create(
        enrolment=_enrolment(person),
        measure=_code("measure", kw.get("measure", "praktik")),
        start_date=kw.get("start", TODAY - dt.timedelta(days=30)),
    )


def _plan_form(plan, **changes):
    return {
        "date": plan.date.isoformat(),
        "goals": plan.goals,
        "steps": plan.steps,
        "participant_view": "",
        "participant_involved": "unknown",
        "reason": "Fel mål angivet",
        **changes,
    }


def _corrections(**filters):
    from pestrack.records.casework.models import Correction

    return Correction.objects.filter(**filters)


# --- Corrections ----------------------------------------------------------------------------


def test_a_correction_keeps_the_previous_version_and_the_reason_shown_on_the_entry(world, login):
    client = login("anna")
    plan = _plan(world.jarva)
    url = f"/entries/plan/{plan.pk}/correct/"
    assert client.get(url).status_code == 200
    plan.steps = "Praktik\nCV"
    plan.save()
    response = client.post(url, _plan_form(plan, goals="Arbete inom handeln", steps="Praktik\r\nCV"))
    assert response.status_code == 302
    assert response["Location"] == f"/persons/{world.jarva.pk}/#entry-plan-{plan.pk}"
    plan.refresh_from_db()
    assert plan.goals == "Arbete inom handeln"
    (c,) = _corrections(record_type="plan", record_id=plan.pk)
    assert c.kind == "correction" and c.previous == {"goals": "Arbete inom vården"}
    assert c.new == {"goals": "Arbete inom handeln"} and c.reason == "Fel mål angivet" and c.username == "anna"
    html = client.get(f"/persons/{world.jarva.pk}/").content.decode()
    assert "by anna: Fel mål angivet; previous value: Goals: Arbete inom vården" in html
    assert (
        log_entries(
            action="update",
            actor="anna",
            person_id=world.jarva.pk,
            object_type="plan",
            object_id=str(plan.pk),
            detail="correction of the plan",
        ).count()
        == 1
    )


def test_a_correction_goes_through_the_business_rules_and_a_refusal_changes_nothing(world, login):
    client = login("anna")
    plan = _plan(world.jarva)
    measure = _measure(world.jarva)
    tomorrow = (TODAY + dt.timedelta(days=1)).isoformat()
    response = client.post(f"/entries/plan/{plan.pk}/correct/", _plan_form(plan, date=tomorrow))
    assert response.status_code == 422 and f"The start date {tomorrow} is in the future." in response.content.decode()
    before = measure.start_date - dt.timedelta(days=1)
    response = client.post(
        f"/entries/participation/{measure.pk}/correct/",
        {
            "measure": measure.measure_id,
            "start_date": measure.start_date.isoformat(),
            "end_date": before.isoformat(),
            "reason": "Slutdatum saknades",
        },
    )
    assert response.status_code == 422
    assert f"The end date {before} is before the start date {measure.start_date}." in response.content.decode()
    response = client.post(f"/entries/plan/{plan.pk}/correct/", _plan_form(plan, goals="Ny", reason=""))
    assert response.status_code == 422 and 'id="id_reason-error"' in response.content.decode()
    response = client.post(f"/entries/plan/{plan.pk}/correct/", _plan_form(plan))
    assert response.status_code == 422 and "Nothing was changed." in response.content.decode()
    plan.refresh_from_db(), measure.refresh_from_db()
    assert (
        plan.goals == "Arbete inom vården" and plan.date == TODAY - dt.timedelta(days=20) and measure.end_date is None
    )
    assert not _corrections().exists()


def test_correct_an_exit_reason_and_a_decision(world, login):
    client = login("anna")
    e = _enrolment(world.jarva)
    e.end_date, e.exit_reason = TODAY - dt.timedelta(days=2), _code("exit_reason", "moved")
    e.save()
    response = client.post(
        f"/entries/exit/{e.pk}/correct/",
        {
            "end_date": e.end_date.isoformat(),
            "exit_reason": _code("exit_reason", "work").pk,
            "reason": "Fick jobb, inte flytt",
        },
    )
    assert response.status_code == 302
    e.refresh_from_db()
    assert e.exit_reason.code == "work"
    assert _corrections(record_type="exit").get().previous == {"exit_reason": "moved"}
    response = client.post(
        f"/entries/exit/{e.pk}/correct/", {"end_date": e.end_date.isoformat(), "exit_reason": "", "reason": "x"}
    )
    assert response.status_code == 422  # the exit reason is required, as for a new exit
    e.refresh_from_db()
    assert e.exit_reason.code == "work"
    # There is no decision yet: nothing to correct, said clearly.
    response = client.get(f"/entries/decision/{e.pk}/correct/", follow=True)
    assert "The enrolment has no decision recorded." in response.content.decode()


def test_a_correction_of_an_entry_that_is_gone_or_withdrawn_is_refused(world, login):
    from pestrack.records.casework import corrections

    client = login("anna")
    plan = _plan(world.jarva)
    corrections.withdraw("plan", plan.pk, "Dubblett", None)
    response = client.post(f"/entries/plan/{plan.pk}/correct/", _plan_form(plan, goals="Ny"), follow=True)
    assert "The entry is already withdrawn." in response.content.decode()
    plan.refresh_from_db()
    assert plan.goals == "Arbete inom vården"
    response = client.post(f"/entries/plan/{plan.pk}/withdraw/", {"reason": "igen", "confirm": "1"}, follow=True)
    assert "The entry is already withdrawn." in response.content.decode()
    assert _corrections().count() == 1
    assert client.get("/entries/plan/999999/correct/").status_code == 404
    assert client.post("/entries/plan/999999/withdraw/", {"reason": "x", "confirm": "1"}).status_code == 404
    assert client.get(f"/entries/person/{plan.pk}/correct/").status_code == 404


# --- Withdrawals ----------------------------------------------------------------------------


def test_a_withdrawal_has_a_check_step_and_never_deletes(world, login):
    from pestrack.records.casework.models import Participation

    client = login("anna")
    measure = _measure(world.jarva)
    url = f"/entries/participation/{measure.pk}/withdraw/"
    assert client.post(url, {"reason": ""}).status_code == 422
    response = client.post(url, {"reason": "Registrerad på fel person"})
    html = response.content.decode()
    assert response.status_code == 200 and "Check your answers" in html and "Registrerad på fel person" in html
    assert 'name="confirm"' in html and 'name="change"' in html and "Work placement (praktik)" in html
    measure.refresh_from_db()
    assert not measure.is_withdrawn and not _corrections().exists()  # nothing saved before "Confirm"
    response = client.post(url, {"reason": "Registrerad på fel person", "change": "1"})
    assert response.status_code == 200 and "Registrerad på fel person</textarea>" in response.content.decode()
    assert not _corrections().exists()
    response = client.post(url, {"reason": "Registrerad på fel person", "confirm": "1"})
    assert response.status_code == 302
    measure.refresh_from_db()
    assert measure.is_withdrawn and measure.withdrawal_reason == "Registrerad på fel person"
    assert measure.withdrawn_by.username == "anna"
    assert Participation.objects.filter(pk=measure.pk).exists()
    assert not Participation.objects.current().filter(pk=measure.pk).exists()
    html = client.get(f"/persons/{world.jarva.pk}/").content.decode()
    entry = re.search(
        rf'<li class="event event-measure-start withdrawn[^"]*" id="entry-participation-{measure.pk}">'
        r'(.*?)</li>\s*(<li class="event|</ol>)',
        html,
        re.S,
    ).group(1)
    assert "<del>" in entry and "by anna: Registrerad på fel person" in entry
    assert "/correct/" not in entry and "/withdraw/" not in entry
    assert f"/measures/{measure.pk}/end/" not in html  # a withdrawn measure is not ended
    assert (
        "The entry is already withdrawn."
        in client.post(f"/measures/{measure.pk}/end/", {"end_date": TODAY}, follow=True).content.decode()
    )
    measure.refresh_from_db()
    assert measure.end_date is None
    assert (
        log_entries(
            action="update",
            actor="anna",
            person_id=world.jarva.pk,
            object_type="participation",
            detail="withdrawal of the participation",
        ).count()
        == 1
    )


def test_withdrawing_an_exit_reopens_the_enrolment_unless_the_rules_forbid(world, login):
    from pestrack.records.casework.models import Enrolment, FollowUp

    client = login("anna")
    e = _enrolment(world.jarva)
    e.end_date, e.exit_reason = TODAY - dt.timedelta(days=40), _code("exit_reason", "work")
    e.save()
    f = FollowUp.objects.create(
        enrolment=e, months=1, reference_date=TODAY - dt.timedelta(days=5), source="survey", working=True
    )
    url = f"/entries/exit/{e.pk}/withdraw/"
    response = client.post(url, {"reason": "Avslutad av misstag"})
    assert response.status_code == 422 and "withdraw them first" in response.content.decode()
    assert (
        client.post(f"/entries/followup/{f.pk}/withdraw/", {"reason": "Följer exit", "confirm": "1"}).status_code == 302
    )
    # Another open enrolment in the programme: the exit may not be withdrawn (one open enrolment).
    other = Enrolment.objects.create(
        person=world.jarva,
        programme=e.programme,
        org_unit=e.org_unit,
        target_group=e.target_group,
        entry_route=e.entry_route,
        start_date=TODAY - dt.timedelta(days=3),
    )
    response = client.post(url, {"reason": "Avslutad av misstag", "confirm": "1"})
    assert response.status_code == 422 and "already has an open enrolment" in response.content.decode()
    e.refresh_from_db()
    assert e.end_date is not None
    other.delete()
    response = client.post(url, {"reason": "Avslutad av misstag", "confirm": "1"})
    assert response.status_code == 302
    e.refresh_from_db()
    assert e.end_date is None and e.exit_reason is None
    c = _corrections(record_type="exit", kind="withdrawal").get()
    assert c.previous == {"end_date": (TODAY - dt.timedelta(days=40)).isoformat(), "exit_reason": "work"}
    assert response["Location"] == f"/persons/{world.jarva.pk}/#entry-exit-{e.pk}-w{c.pk}"
    html = client.get(response["Location"]).content.decode()
    assert f'id="entry-exit-{e.pk}-w{c.pk}"' in html and "Avslutad av misstag" in html and "Work, unsubsidised" in html
    assert f"/enrolments/{e.pk}/exit/" in html  # open again


def test_a_required_decision_cannot_be_withdrawn(world, login):
    client = login("anna")
    e = _enrolment(world.jarva)
    e.target_group = _code("target_group", "ovriga")
    e.decision_reference, e.decision_date = "SN-2026-1", TODAY - dt.timedelta(days=90)
    e.save()
    response = client.post(f"/entries/decision/{e.pk}/withdraw/", {"reason": "Fel beslut", "confirm": "1"})
    assert response.status_code == 422 and "requires a decision" in response.content.decode()
    e.refresh_from_db()
    assert e.decision_reference == "SN-2026-1"
    response = client.post(
        f"/entries/decision/{e.pk}/correct/",
        {"decision_reference": "SN-2026-2", "decision_date": e.decision_date.isoformat(), "reason": "Skrivfel"},
    )
    assert response.status_code == 302
    e.refresh_from_db()
    assert e.decision_reference == "SN-2026-2"


# --- The exit's check step ------------------------------------------------------------------


def test_the_exit_saves_nothing_before_it_is_confirmed(world, login):
    client = login("anna")
    e = _enrolment(world.jarva)
    url = f"/enrolments/{e.pk}/exit/"
    answers = {"end_date": TODAY.isoformat(), "exit_reason": _code("exit_reason", "studies").pk}
    html = client.post(url, answers).content.decode()
    assert "Check your answers" in html and "Studies" in html and "Nothing is saved until you confirm." in html
    e.refresh_from_db()
    assert e.end_date is None
    response = client.post(url, {**answers, "change": "1"})
    assert response.status_code == 200 and 'name="end_date"' in response.content.decode()
    e.refresh_from_db()
    assert e.end_date is None and not log_entries(action="update", object_type="enrolment").exists()
    response = client.post(url, {**answers, "confirm": "1"})
    assert response["Location"] == f"/persons/{world.jarva.pk}/#entry-exit-{e.pk}"
    e.refresh_from_db()
    assert e.end_date == TODAY


def test_after_a_save_the_confirmation_is_on_top_and_the_entry_highlighted(world, login):
    client = login("anna")
    plan = _plan(world.jarva)
    response = client.post(f"/entries/plan/{plan.pk}/correct/", _plan_form(plan, goals="Ny"), follow=True)
    html = response.content.decode()
    assert re.search(r'<main id="main" tabindex="-1">\s*<div class="messages" role="status" tabindex="-1">', html)
    assert f'class="event event-plan highlight" id="entry-plan-{plan.pk}"' in html
    assert "style=" not in html and "<script>" not in html  # CSP: no inline style or script
    html = client.get(f"/persons/{world.jarva.pk}/").content.decode()
    assert "highlight" not in html  # only right after the save


def test_a_swedish_user_sees_the_correction_in_swedish(world, login):
    client = login("anna")
    client.post("/language/", {"language": "sv", "next": "/"})
    plan = _plan(world.jarva)
    client.post(f"/entries/plan/{plan.pk}/correct/", _plan_form(plan, goals="Ny"))
    html = client.get(f"/persons/{world.jarva.pk}/").content.decode()
    assert "Rättelsen är sparad." in html
    assert "av anna: Fel mål angivet; tidigare värde: Mål: Arbete inom vården" in html
    assert ">Rätta<" in html and ">Makulera<" in html


# --- Access ---------------------------------------------------------------------------------


@pytest.mark.parametrize("user", ["erik", "maria", "ali"])
def test_another_districts_caseworker_and_roles_without_write_access_are_refused_and_logged(world, login, user):
    client = login(user)
    plan = _plan(world.jarva)
    e = _enrolment(world.jarva)
    for url, data in (
        (f"/entries/plan/{plan.pk}/correct/", _plan_form(plan, goals="Ny")),
        (f"/entries/plan/{plan.pk}/withdraw/", {"reason": "x", "confirm": "1"}),
        (f"/entries/exit/{e.pk}/withdraw/", {"reason": "x", "confirm": "1"}),
    ):
        assert client.get(url).status_code == 403
        assert client.post(url, data).status_code == 403
    plan.refresh_from_db()
    assert plan.goals == "Arbete inom vården" and not plan.is_withdrawn and not _corrections().exists()
    assert log_entries(action="denied", actor=user, person_id=world.jarva.pk).count() == 6


def test_the_person_page_offers_corrections_only_to_who_may_write(world, login):
    plan = _plan(world.jarva)
    assert f"/entries/plan/{plan.pk}/correct/" in login("anna").get(f"/persons/{world.jarva.pk}/").content.decode()
    assert "/correct/" not in login("maria").get(f"/persons/{world.jarva.pk}/").content.decode()


# --- Figures use the current version --------------------------------------------------------


def test_the_caseload_and_last_activity_leave_withdrawn_entries_out(world, login):
    from pestrack.records.casework import corrections

    client = login("anna")
    e = _enrolment(world.jarva)
    measure = _measure(world.jarva, measure="mentoring", start=TODAY - dt.timedelta(days=2))
    e.refresh_from_db()
    assert e.last_activity == TODAY - dt.timedelta(days=2)
    mentoring = "measure=mentoring&scope=units"  # all of my units: nobody is responsible for Jarvasson
    assert "Jarvasson" in client.get(f"/caseload/?{mentoring}").content.decode()
    corrections.withdraw("participation", measure.pk, "Fel", None)
    e.refresh_from_db()
    assert e.last_activity == e.start_date
    assert "Jarvasson" not in client.get(f"/caseload/?{mentoring}").content.decode()


# --- The admin ------------------------------------------------------------------------------


def test_the_admin_refuses_deletes_and_shows_recorded_entries_read_only(world, login):
    make_administrator("anna")  # the admin is for administrators: one who is also a caseworker
    client = login("anna")
    plan = _plan(world.jarva)
    e = _enrolment(world.jarva)
    assert client.get(f"/admin/casework/plan/{plan.pk}/delete/").status_code == 403
    assert client.post(f"/admin/casework/plan/{plan.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.post(
        "/admin/casework/plan/", {"action": "delete_selected", "_selected_action": [plan.pk], "post": "yes"}
    ).status_code in (200, 302, 403)
    html = client.get(f"/admin/casework/plan/{plan.pk}/change/").content.decode()
    assert 'name="goals"' not in html and "Arbete inom vården" in html  # shown, not editable
    assert (
        client.post(f"/admin/casework/plan/{plan.pk}/change/", {"goals": "Ändrad", "date": plan.date}).status_code
        == 403
    )
    html = client.get(f"/admin/casework/enrolment/{e.pk}/change/").content.decode()
    assert 'name="end_date"' not in html and 'name="decision_reference"' not in html
    assert client.get(f"/admin/casework/enrolment/{e.pk}/delete/").status_code == 403
    plan.refresh_from_db()
    assert plan.goals == "Arbete inom vården"
    from pestrack.records.casework.models import Plan

    assert Plan.objects.filter(pk=plan.pk).exists()


def test_correct_an_assessment_score_within_the_instruments_range(world, login):
    from pestrack.records.casework.models import Assessment

    client = login("anna")
    wai = _code("instrument", "wai")
    a = Assessment.objects.create(enrolment=_enrolment(world.jarva), instrument=wai, date=TODAY, score=7)
    url = f"/entries/assessment/{a.pk}/correct/"
    form = {"instrument": wai.pk, "date": TODAY.isoformat(), "reason": "Felskrivning"}
    assert "Nothing was changed." in client.post(url, {**form, "score": "7.0"}).content.decode()
    response = client.post(url, {**form, "score": "11"})
    assert response.status_code == 422 and "11 is outside" in response.content.decode()
    assert client.post(url, {**form, "score": "8"}).status_code == 302
    a.refresh_from_db()
    assert a.score == 8
    assert _corrections(record_type="assessment").get().previous == {"score": "7"}


# --- What is withdrawn stays visible, marked ------------------------------------------------


def test_the_api_and_the_register_extract_mark_a_withdrawn_entry(world, login):
    """A withdrawn (makulerad) measure stays in the API and the register extract, marked with when
    and why: a reader of either must not take it for a valid entry."""
    import json

    from pestrack.records.casework import corrections
    from tests.web.test_journal import _api

    client = login("anna")
    kept, gone = _measure(world.jarva), _measure(world.jarva, measure="mentoring")
    corrections.withdraw("participation", gone.pk, "Registrerad på fel person", None)
    listed = {p["id"]: p for p in _api(client, "get", f"/api/v1/persons/{world.jarva.pk}/participations").json()}
    assert listed[kept.pk]["withdrawn_at"] is None and listed[kept.pk]["withdrawal_reason"] == ""
    assert listed[gone.pk]["withdrawn_at"] and listed[gone.pk]["withdrawal_reason"] == "Registrerad på fel person"
    extract = json.loads(client.get(f"/persons/{world.jarva.pk}/export.json").content)
    rows = {
        p["measure"]["code"] if isinstance(p["measure"], dict) else p["measure"]: p
        for p in extract["enrolments"][0]["participations"]
    }
    assert rows["mentoring"]["withdrawal_reason"] == "Registrerad på fel person" and rows["mentoring"]["withdrawn_at"]
    assert rows["praktik"]["withdrawn_at"] is None
    html = client.get(f"/persons/{world.jarva.pk}/export.html").content.decode()
    assert "Reason for withdrawal" in html and "Registrerad på fel person" in html
