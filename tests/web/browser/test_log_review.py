"""The data protection officer filters the access log, in both languages, wide and narrow: the
filtered entries are shown with their count, and axe finds no serious or critical violation."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.web.browser.conftest import log_in, screenshot
from tests.web.browser.test_accessibility import _serious

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.mark.parametrize("language", ["sv", "en"])
@pytest.mark.parametrize("width", [1280, 390])
def test_the_dpo_filters_the_log(page, data, language, width):
    from axe_playwright_python.sync_playwright import Axe

    from pestrack.records.audit import log

    log.record("anna", "read", person_id=data["person"], object_type="person")
    log.record("erik", "denied", person_id=data["person"], object_type="person", detail="refused read")
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, "sara")
    if language == "en":
        page.click("button[name=language][value=en]")
        page.wait_for_load_state()
    page.click("nav.main-nav a[href='/log-review/']")
    expect(page.locator("h1")).to_have_text("Loggkontroll" if language == "sv" else "Log review")
    page.fill("#id_user", "anna")
    page.select_option("#id_action", "read")
    page.click("main form.filters button[type=submit]")
    page.wait_for_url("**/log-review/?*user=anna*")
    expect(page.locator("p.count")).to_contain_text("1 post" if language == "sv" else "1 entry")
    expect(page.locator("main table tbody tr")).to_have_count(1)
    expect(page.locator("main table tbody")).to_contain_text("anna")
    screenshot(page, f"log-review-{language}-{width}")
    assert not _serious(Axe().run(page)), "log review"
    page.click("main a[href='/log-review/unusual/']")
    expect(page.locator("h2")).to_have_count(3)
    screenshot(page, f"unusual-access-{language}-{width}")
    assert not _serious(Axe().run(page)), "unusual access"
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # no sideways scrolling of the page
