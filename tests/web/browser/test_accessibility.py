"""axe-core (bundled with axe-playwright-python, run in Chromium) on every page of pages.py: no
serious or critical violation. Each page is photographed into the test output folder."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.web.browser.conftest import log_in, screenshot
from tests.web.browser.pages import PAGES

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def _serious(results) -> list[str]:
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:5]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def serious_violations_on(page, pages, data) -> dict[str, list[str]]:
    """Open each (name, path, user) of ``pages`` as its user, photograph it and run axe on it: the
    serious and critical violations found, by page name."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    found = {}
    user = None
    for name, path, needs in pages:
        if needs != user:
            page.context.clear_cookies()
            if needs:
                log_in(page, needs)
            user = needs
        page.goto(path.format(**data))
        assert page.locator("h1").count() == 1, name
        screenshot(page, name)
        problems = _serious(axe.run(page))
        if problems:
            found[name] = problems
    return found


def test_every_page_passes_axe_without_serious_violations(page, data):
    found = serious_violations_on(page, PAGES, data)
    assert not found, found


def test_forms_with_errors_pass_axe(page, data):
    """Error messages tied to their fields keep a form accessible."""
    from axe_playwright_python.sync_playwright import Axe

    log_in(page, "anna")
    page.goto(f"/enrolments/{data['enrolment']}/exit/")
    page.fill("#id_end_date", "")
    page.click("main button[type=submit]")
    expect(page.locator(".error-message")).to_have_count(2)  # waits for the answer to the POST
    screenshot(page, "exit-errors")
    assert not _serious(Axe().run(page))
