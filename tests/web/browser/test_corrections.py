"""Corrections in a real browser, in both languages and at 1280 and 390 pixels: correct a plan,
withdraw a measure (with its check-your-answers step), exit (with its check step); after each save
the confirmation is in view and focused and the entry is highlighted; axe finds no serious or
critical violation on the forms, the check pages and the person page."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from tests.web.browser.conftest import log_in, screenshot
from tests.web.browser.test_accessibility import _serious

pytestmark = [pytest.mark.slow, pytest.mark.browser]

TEXT = {
    "sv": {
        "correct": "Rätta",
        "withdraw": "Makulera",
        "save": "Spara",
        "continue": "Fortsätt",
        "confirm": "Bekräfta",
        "exit": "Skriv ut",
        "goals": "Mål",
        "correction_reason": "Skäl till rättelsen",
        "withdrawal_reason": "Skäl till makuleringen",
        "exit_reason": "Avslutsorsak",
        "studies": "Studier",
        "corrected": "Rättelsen är sparad.",
        "withdrawn": "Makuleringen är sparad.",
        "exited": "Utskrivningen är registrerad.",
        "check": "Kontrollera dina uppgifter",
    },
    "en": {
        "correct": "Correct",
        "withdraw": "Withdraw",
        "save": "Save",
        "continue": "Continue",
        "confirm": "Confirm",
        "exit": "Exit",
        "goals": "Goals",
        "correction_reason": "Reason for the correction",
        "withdrawal_reason": "Reason for the withdrawal",
        "exit_reason": "Exit reason",
        "studies": "Studies",
        "corrected": "The correction is saved.",
        "withdrawn": "The withdrawal is saved.",
        "exited": "The exit is recorded.",
        "check": "Check your answers",
    },
}


def _no_serious(page):
    from axe_playwright_python.sync_playwright import Axe

    problems = _serious(Axe().run(page))
    assert not problems, problems


def _saved(page, message: str, anchor: str):
    status = page.get_by_role("status")
    expect(status).to_have_text(message)
    expect(status).to_be_in_viewport()
    expect(page.locator(".messages")).to_be_focused()
    entry = page.locator(f"#{anchor}")
    expect(entry).to_have_class(re.compile(r"\bhighlight\b"))
    expect(entry).to_be_in_viewport()


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("lang", ["sv", "en"])
def test_correct_a_plan_withdraw_a_measure_and_exit_with_the_check_step(page, data, lang, width):
    from pestrack.records.casework.models import Enrolment, Participation, Plan

    t = TEXT[lang]
    page.set_viewport_size({"width": width, "height": 844 if width < 600 else 900})
    enrolment = Enrolment.objects.get(pk=data["enrolment"])
    plan = Plan.objects.create(
        enrolment=enrolment,
        date=dt.date.today() - dt.timedelta(days=3),
        goals="Arbete inom vården",
        steps="Praktik\n" * 30,
    )  # a long page
    log_in(page, "anna")
    if lang == "en":
        page.get_by_role("button", name="English").click()
    name = f"corrections-{lang}-{width}"

    # Correct the plan.
    page.goto(f"/persons/{data['person']}/")
    page.locator(f"#entry-plan-{plan.pk}").get_by_role("link", name=t["correct"]).click()
    page.get_by_label(t["goals"], exact=True).fill("Arbete inom handeln")
    page.get_by_label(t["correction_reason"]).fill("Fel mål")
    _no_serious(page)
    page.get_by_role("button", name=t["save"]).click()
    _saved(page, t["corrected"], f"entry-plan-{plan.pk}")
    expect(page.locator(f"#entry-plan-{plan.pk} .event-history")).to_contain_text("Arbete inom vården")
    screenshot(page, f"{name}-plan-corrected")
    _no_serious(page)

    # Withdraw the measure, through the check step.
    measure = data["measure"]
    page.locator(f"#entry-participation-{measure}").get_by_role("link", name=t["withdraw"]).click()
    page.get_by_label(t["withdrawal_reason"]).fill("Registrerad av misstag")
    page.get_by_role("button", name=t["continue"]).click()
    expect(page.locator("h1")).to_contain_text(t["check"])
    assert not Participation.objects.get(pk=measure).is_withdrawn  # nothing saved yet
    screenshot(page, f"{name}-withdraw-check")
    _no_serious(page)
    page.get_by_role("button", name=t["confirm"]).click()
    _saved(page, t["withdrawn"], f"entry-participation-{measure}")
    expect(page.locator(f"#entry-participation-{measure} del")).to_be_visible()
    assert Participation.objects.get(pk=measure).is_withdrawn

    # Exit, through the check step.
    page.get_by_role("link", name=t["exit"], exact=True).click()
    page.get_by_label(t["exit_reason"]).select_option(label=t["studies"])
    page.get_by_role("button", name=t["continue"]).click()
    expect(page.locator("h1")).to_contain_text(t["check"])
    enrolment.refresh_from_db()
    assert enrolment.end_date is None
    _no_serious(page)
    page.get_by_role("button", name=t["confirm"]).click()
    _saved(page, t["exited"], f"entry-exit-{enrolment.pk}")
    screenshot(page, f"{name}-exited")
    _no_serious(page)
    enrolment.refresh_from_db()
    assert enrolment.end_date == dt.date.today() and enrolment.exit_reason.code == "studies"
