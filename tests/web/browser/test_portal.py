"""The participant portal in a browser on a phone (390 × 844): sign in with a one-time link, see the
plan and the next meeting, say "I am interested" in a place, send a message, download the register
extract; the link works once. axe finds no serious or critical violation on any portal page, in
Swedish, English and the profile's right-to-left Arabic."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from tests.web.browser.conftest import screenshot
from tests.web.browser.test_accessibility import _serious

pytestmark = [pytest.mark.slow, pytest.mark.browser]
PHONE = {"width": 390, "height": 844}
PAGES = [
    "/portal/",
    "/portal/plan/",
    "/portal/meetings/",
    "/portal/measures/",
    "/portal/places/",
    "/portal/messages/",
    "/portal/my-data/",
]


@pytest.fixture
def participant(data, settings):
    from pestrack.records.codes.models import Code
    from pestrack.records.employers.models import Employer, Place
    from pestrack.records.people.models import Person
    from tests.web.portal.conftest import add_records

    settings.PESTRACK_PORTAL_LINKS = True
    person = Person.objects.get(pk=data["person"])
    add_records(person, "anna")
    employer = Employer.objects.create(org_number="556036-0793", name="Exempelhandeln AB", size_band="50-249")
    Place.objects.create(
        kind=Code.objects.get(list="place_type", code="stockholmsjobb"),
        employer=employer,
        title="Lokalvårdare",
        start_date=dt.date.today() + dt.timedelta(days=14),
    )
    return person


def link(person) -> str:
    from pestrack.records.portal.signin import create_link

    return f"/portal/link/{create_link(person)}/"


def no_sideways_scrolling(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_participant_uses_the_portal_on_a_phone(page, participant):
    page.set_viewport_size(PHONE)
    url = link(participant)
    page.goto(url)
    page.click("main button[type=submit]")
    expect(page.locator("h1")).to_have_text("Hej Jarva")
    expect(page.locator("main")).to_contain_text("Arbete som lokalvårdare (Jarva)")  # the goal
    expect(page.locator("main")).to_contain_text("Jobbtorg Järva, Kista")  # the next meeting
    assert no_sideways_scrolling(page)
    screenshot(page, "portal-home-390")
    page.click("text=Min planering")
    expect(page.locator("main")).to_contain_text("Språkkurs, praktik")
    page.click("text=Jobb för mig")
    page.click("main button:has-text('Jag är intresserad')")
    expect(page.locator(".flash")).to_contain_text("Din handläggare kan se att du är intresserad av ”Lokalvårdare”")
    expect(page.locator("main")).to_contain_text("Du har sagt att du är intresserad.")
    page.click("text=Meddelanden")
    page.fill("#id_text", "Hej Anna! Jag kommer på mötet.")
    page.click("main button:has-text('Skicka')")
    expect(page.locator(".flash")).to_contain_text("Ditt meddelande är skickat.")
    expect(page.locator(".thread")).to_contain_text("Hej Anna! Jag kommer på mötet.")
    assert no_sideways_scrolling(page)
    page.click("text=Mina uppgifter")
    with page.expect_download() as download:
        page.click("text=Ladda ner mina uppgifter (JSON-fil, för datorer)")
    assert "Jarvasson" in open(download.value.path(), encoding="utf-8").read()
    screenshot(page, "portal-my-data-390")
    # the link works once: in a new browser it is refused
    page.context.clear_cookies()
    page.goto(url)
    page.click("main button[type=submit]")
    expect(page.locator(".error")).to_contain_text("Inloggningslänken är redan använd")
    expect(page).to_have_url(url)


def test_every_portal_page_passes_axe_in_every_language(page, participant):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    page.set_viewport_size(PHONE)
    found = {}
    page.goto("/portal/sign-in/")
    if problems := _serious(axe.run(page)):
        found["sign-in"] = problems
    page.goto(link(participant))
    if problems := _serious(axe.run(page)):
        found["link"] = problems
    page.click("main button[type=submit]")
    for language in ("sv", "en", "ar"):
        page.select_option("#portal-language-choice", language)
        page.click(".portal-language button")
        expect(page.locator("html")).to_have_attribute("lang", language)
        expect(page.locator("html")).to_have_attribute("dir", "rtl" if language == "ar" else "ltr")
        for path in PAGES:
            page.goto(path)
            assert page.locator("h1").count() == 1, path
            assert no_sideways_scrolling(page), f"{language} {path}"
            screenshot(page, f"portal-{language}{path.strip('/').replace('/', '-')}")
            if problems := _serious(axe.run(page)):
                found[f"{language} {path}"] = problems
    assert not found, found
