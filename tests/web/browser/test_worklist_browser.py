"""The work list in a real browser, in both languages, wide and narrow: open it, record a due
follow-up from it, and see the item gone; axe-core on the work list and the manager's view."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from tests.web.browser.conftest import log_in, screenshot
from tests.web.browser.test_accessibility import _serious
from tests.web.conftest import make_person

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CASES = [("sv", 1280), ("sv", 390), ("en", 1280), ("en", 390)]
TEXT = {
    "sv": {
        "title": "Min arbetslista",
        "kind": "Uppföljningar att göra",
        "save": "Spara",
        "saved": "Uppföljningen är registrerad.",
        "team": "Arbetslistor för mina enheter",
        "months": "3 månader efter avslut",
    },
    "en": {
        "title": "My work list",
        "kind": "Follow-ups due",
        "save": "Save",
        "saved": "The follow-up is recorded.",
        "team": "Work lists of my units",
        "months": "3 months after exit",
    },
}


@pytest.fixture
def due_followups(data):
    """One ended enrolment of anna's per case, 100 days after its exit: its 3-month follow-up is due."""
    from django.contrib.auth.models import User

    from pestrack.records.codes.models import Code

    anna = User.objects.get(username="anna")
    names = []
    for n, _case in enumerate(CASES):
        last = f"Uppfoljsson{'ABCD'[n]}"
        person = make_person("Due", last, "jt-jarva", serial=300 + n)
        e = person.enrolments.get()
        e.caseworker, e.end_date = anna, dt.date.today() - dt.timedelta(days=100)
        e.exit_reason = Code.objects.get(list="exit_reason", code="work")
        e.save()
        names.append(f"Due {last}")
    return names


def _language(page, language: str) -> None:
    current = page.locator("html").get_attribute("lang")
    if current != language:
        page.get_by_role("button", name={"en": "English", "sv": "Svenska"}[language]).click()
        expect(page.locator("html")).to_have_attribute("lang", language)


@pytest.mark.parametrize("n", range(len(CASES)))
def test_record_a_due_followup_from_the_work_list(page, data, due_followups, n):
    from axe_playwright_python.sync_playwright import Axe

    from pestrack.records.casework.models import FollowUp

    language, width = CASES[n]
    t = TEXT[language]
    name = due_followups[n]
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, "anna")
    _language(page, language)
    page.goto("/worklist/")
    expect(page.locator("h1")).to_have_text(t["title"])
    group = page.get_by_role("region", name=re.compile(t["kind"])).first
    expect(group.get_by_role("link", name=name, exact=True)).to_be_visible()
    expect(group.get_by_text(t["months"]).first).to_be_visible()
    screenshot(page, f"worklist-{language}-{width}")
    assert not _serious(Axe().run(page))

    group.get_by_role("link", name=f"{t['months']} – {name}").click()
    expect(page.locator("#id_months")).to_have_value("3")
    page.get_by_role("button", name=t["save"]).click()
    page.wait_for_url("**/worklist/")
    expect(page.get_by_text(t["saved"])).to_be_visible()
    expect(page.get_by_role("link", name=name, exact=True)).to_have_count(0)
    assert FollowUp.objects.filter(enrolment__person__last_name=name.split()[1], months=3).exists()


@pytest.mark.parametrize("language", ["sv", "en"])
def test_the_managers_view_passes_axe(page, data, due_followups, language):
    from axe_playwright_python.sync_playwright import Axe

    log_in(page, "maria")
    _language(page, language)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto("/worklist/team/")
        expect(page.locator("h1")).to_have_text(TEXT[language]["team"])
        screenshot(page, f"worklist-team-{language}-{width}")
        assert not _serious(Axe().run(page))
        page.get_by_role("link", name="anna").click()
        expect(page.get_by_role("link", name=due_followups[0], exact=True)).to_be_visible()
        assert not _serious(Axe().run(page))
