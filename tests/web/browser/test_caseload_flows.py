"""The responsible caseworker in a real browser: a caseworker hands an enrolment to a colleague from
the person page; a manager rebalances a caseworker's enrolments; axe on the new pages in Swedish
and English, 1280 and 390 pixels wide."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.web.browser.conftest import PASSWORD, log_in, screenshot

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture
def team(data):
    """bo, a second caseworker at Järva; anna responsible for Jarvasson, with one change behind her."""
    from pestrack.records.casework import assignment
    from pestrack.records.casework.models import Enrolment
    from pestrack.records.org.users import add_user

    add_user("bo", "caseworker", ["jt-jarva"], password=PASSWORD)
    Enrolment.objects.filter(pk=data["enrolment"]).update(caseworker=None)
    from django.contrib.auth.models import User

    assignment.reassign(
        User.objects.get(username="maria"),
        [data["enrolment"]],
        "responsible",
        User.objects.get(username="anna"),
        "Ny fördelning",
    )
    return data


def test_a_caseworker_reassigns_an_enrolment(page, team):
    from pestrack.records.casework.models import Enrolment

    log_in(page, "anna")
    page.get_by_role("navigation").get_by_role("link", name="Mina ärenden").click()
    page.get_by_role("link", name="Jarva Jarvasson").click()
    page.get_by_role("link", name="Byt handläggare").click()
    page.get_by_role("button", name="Spara").click()  # no reason: refused beside the field
    expect(page.locator("#id_reason-error")).to_be_visible()
    page.get_by_label("Ny handläggare").select_option(label="bo")
    page.get_by_label("Skäl").fill("Anna är föräldraledig")
    page.get_by_role("button", name="Spara").click()
    expect(page.get_by_role("status")).to_have_text("Handläggaren är bytt.")
    page.get_by_text("2 byten av handläggare").click()
    expect(page.get_by_role("cell", name="Anna är föräldraledig")).to_be_visible()
    screenshot(page, "flow-caseworker-changed")
    assert Enrolment.objects.get(pk=team["enrolment"]).caseworker.username == "bo"


def test_a_manager_rebalances(page, team):
    from pestrack.records.casework.models import Enrolment

    log_in(page, "maria")
    page.goto("/caseload/")
    page.get_by_role("link", name="Ärenden per handläggare").click()
    page.get_by_role("link", name="anna", exact=True).click()
    page.get_by_label("Välj Jarva Jarvasson").check()
    page.get_by_label("Ny handläggare").select_option(label="bo")
    page.get_by_label("Skäl").fill("Jämnare fördelning")
    page.get_by_role("button", name="Flytta").click()
    expect(page.get_by_role("status")).to_have_text("1 inskrivning flyttad till bo.")
    screenshot(page, "flow-rebalanced")
    assert Enrolment.objects.get(pk=team["enrolment"]).caseworker.username == "bo"


NEW_PAGES = [
    ("caseload-mine", "/caseload/", "anna"),
    ("caseload-units", "/caseload/?scope=units&sort=-name", "anna"),
    ("change-caseworker", "/enrolments/{enrolment}/caseworker/", "anna"),
    ("person-with-history", "/persons/{person}/", "anna"),
    ("caseload-team", "/caseload/team/", "maria"),
    ("caseload-team-anna", "/caseload/team/?caseworker={anna}", "maria"),
]


@pytest.mark.parametrize("locale", ["sv-SE", "en-GB"])
@pytest.mark.parametrize("width", [1280, 390])
def test_the_new_pages_pass_axe_in_both_languages_and_widths(browser, live_server, team, locale, width):
    from axe_playwright_python.sync_playwright import Axe
    from django.contrib.auth.models import User

    from tests.web.browser.test_accessibility import _serious

    ids = {**team, "anna": User.objects.get(username="anna").pk}
    context = browser.new_context(base_url=live_server.url, viewport={"width": width, "height": 900}, locale=locale)
    page = context.new_page()
    found, user = {}, None
    try:
        for name, path, needs in NEW_PAGES:
            if needs != user:
                context.clear_cookies()
                log_in(page, needs)
                user = needs
            page.goto(path.format(**ids))
            assert page.locator("html").get_attribute("lang") == locale[:2]
            assert page.locator("h1").count() == 1, name
            screenshot(page, f"{name}-{locale}-{width}")
            problems = _serious(Axe().run(page))
            if problems:
                found[name] = problems
    finally:
        context.close()
    assert not found, found
