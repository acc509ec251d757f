"""The main flows in a real browser: log in, find a person, enrol, record an assessment, start and
end a measure, exit; the caseload filter; the language switch; and the
refusal of another district's person."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from tests.web.browser.conftest import log_in, screenshot

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def test_log_in_and_find_a_person_by_name_and_by_identity_number(page, data):
    from pestrack.records.people.models import Person

    page.goto("/")
    assert "/accounts/login/" in page.url  # the application asks for a log-in first
    log_in(page, "anna")
    expect(page.locator("h1")).to_have_text("Välkommen, anna")
    page.get_by_role("navigation").get_by_role("link", name="Sök person").click()
    page.get_by_label("Namn eller personnummer").fill("Jarvasson")
    page.get_by_role("button", name="Sök", exact=True).click()
    page.get_by_role("link", name="Jarva Jarvasson").click()
    expect(page.locator("h1")).to_have_text("Jarva Jarvasson")
    screenshot(page, "flow-person")
    number = Person.objects.get(pk=data["person"]).identity_number
    page.goto("/search/")
    page.get_by_label("Namn eller personnummer").fill(number.replace("-", ""))
    page.get_by_role("button", name="Sök", exact=True).click()
    expect(page.get_by_role("link", name="Jarva Jarvasson")).to_be_visible()
    assert "/search/" in page.url and number[-4:] not in page.url  # searched by POST


def test_wrong_password_shows_an_error_and_keeps_the_user_out(page, data):
    page.goto("/accounts/login/")
    page.fill("#id_username", "anna")
    page.fill("#id_password", "not the password")
    page.click("main button[type=submit]")
    expect(page.get_by_role("alert")).to_be_visible()
    assert "/accounts/login/" in page.url


def test_enrol_assess_start_and_end_a_measure_and_exit(page, data):
    from pestrack.records.casework.models import Enrolment

    log_in(page, "anna")
    page.goto(f"/persons/{data['exited']}/")
    page.get_by_role("link", name="Skriv in").click()
    page.get_by_label("Målgrupp").select_option(label="Försörjningsstöd")
    page.get_by_label("Ingång").select_option(label="Anvisning från socialtjänsten (ekonomiskt bistånd)")
    page.get_by_role("button", name="Spara").click()
    expect(page.get_by_role("status")).to_have_text("Inskrivningen är registrerad.")
    enrolment = Enrolment.objects.get(person_id=data["exited"], end_date__isnull=True)

    # an assessment: first out of range, the message is beside the field; then within
    page.get_by_role("link", name="Registrera bedömning").click()
    score = page.get_by_label("Poäng")
    score.fill("11")
    page.get_by_role("button", name="Spara").click()
    expect(page.locator(".error-summary")).to_be_focused()  # the problems first
    message = page.locator("#id_score-error")
    expect(message).to_contain_text("11 ligger utanför")
    assert "id_score-error" in score.get_attribute("aria-describedby")
    screenshot(page, "flow-assessment-error")
    page.get_by_role("link", name=re.compile("^Poäng")).click()  # the error summary leads to the field
    expect(score).to_be_focused()
    score.fill("6")
    page.get_by_role("button", name="Spara").click()
    expect(page.get_by_text("5–7 (måttlig)")).to_be_visible()

    page.get_by_role("link", name="Starta insats").click()
    page.get_by_label("Insats", exact=True).select_option(label="Praktik")
    page.get_by_role("button", name="Spara").click()
    expect(page.get_by_text("Insats startad: Praktik")).to_be_visible()
    page.get_by_role("link", name="Avsluta Praktik").click()
    page.get_by_role("button", name="Spara").click()
    expect(page.get_by_text("Insats avslutad: Praktik")).to_be_visible()

    page.get_by_role("link", name="Skriv ut", exact=True).click()
    page.get_by_role("button", name="Fortsätt").click()  # no reason given
    expect(page.locator("#id_exit_reason-error")).to_be_visible()
    page.get_by_label("Avslutsorsak").select_option(label="Studier")
    page.get_by_role("button", name="Fortsätt").click()
    page.get_by_role("button", name="Bekräfta").click()  # the check-your-answers step
    expect(page.get_by_role("status")).to_have_text("Utskrivningen är registrerad.")
    screenshot(page, "flow-timeline")
    enrolment.refresh_from_db()
    assert enrolment.end_date == dt.date.today() and enrolment.exit_reason.code == "studies"
    assert enrolment.assessments.get().score == 6
    assert enrolment.participations.get().end_date == dt.date.today()


def test_caseload_filter_on_my_units(page, data):
    log_in(page, "anna")
    page.get_by_role("navigation").get_by_role("link", name="Mina ärenden").click()
    expect(page.get_by_text("Inga öppna inskrivningar matchar.").first).to_be_visible()  # none is anna's yet
    page.get_by_label("Alla inskrivningar i mina enheter").check()
    page.get_by_role("button", name="Filtrera").click()
    expect(page.get_by_role("link", name="Jarva Jarvasson")).to_be_visible()
    page.get_by_label("Målgrupp").select_option("kaa")
    page.get_by_role("button", name="Filtrera").click()
    expect(page.get_by_text("Inga öppna inskrivningar matchar.").first).to_be_visible()
    page.get_by_label("Målgrupp").select_option("forsorjningsstod")
    page.get_by_role("button", name="Filtrera").click()
    page.get_by_role("link", name="Jarva Jarvasson").wait_for()
    screenshot(page, "flow-caseload-filtered")


def test_language_switch_is_kept_for_the_user(page, data):
    log_in(page, "anna")
    page.get_by_role("button", name="English").click()
    expect(page.locator("h1")).to_have_text("Welcome, anna")
    assert page.locator("html").get_attribute("lang") == "en"
    page.get_by_role("button", name="Log out").click()
    log_in(page, "anna")
    expect(page.locator("h1")).to_have_text("Welcome, anna")
    page.get_by_role("button", name="Svenska").click()
    expect(page.locator("h1")).to_have_text("Välkommen, anna")


def test_a_caseworker_opening_another_districts_person_is_refused(page, data):
    from pestrack.records.audit.models import AccessLogEntry

    log_in(page, "anna")
    response = page.goto(f"/persons/{data['other_district']}/")
    assert response.status == 403
    expect(page.locator("h1")).to_have_text("Åtkomst nekad")
    assert "Ortsson" not in page.content()
    screenshot(page, "flow-refused")
    assert AccessLogEntry.objects.filter(actor="anna", action="denied", person_id=data["other_district"]).exists()
    page.goto("/search/")
    page.get_by_label("Namn eller personnummer").fill("Ortsson")
    page.get_by_role("button", name="Sök", exact=True).click()
    expect(page.get_by_text("Ingen person i dina enheter matchar.")).to_be_visible()
