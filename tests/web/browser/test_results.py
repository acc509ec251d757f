"""The results pages in a real browser: axe-core on each page of tests/web/results/pages.py that the
browser data can show, the dashboard changing after a caseworker's exit, and the annual report
downloaded as PDF and XLSX."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from tests.web.browser.conftest import log_in, screenshot
from tests.web.browser.test_accessibility import serious_violations_on

pytestmark = [pytest.mark.slow, pytest.mark.browser]

INDICATOR = "jobbtorg_exit_work_or_studies"
YEAR = dt.date.today().year
PAGES = [  # (name, path, user): the analyst sees all units, maria (unit manager) her units
    ("results-dashboard", f"/results/?year={YEAR}&period=VB", "ali"),
    ("results-dashboard-manager", f"/results/?year={YEAR}&period=VB", "maria"),
    ("results-indicator", f"/results/indicators/{INDICATOR}/?year={YEAR}&period=VB", "ali"),
    ("results-rows", f"/results/indicators/{INDICATOR}/rows/?year={YEAR}&period=VB", "ali"),
    ("results-report", f"/results/report/?year={YEAR}&period=VB&lang=sv", "ali"),
]


@pytest.fixture
def results(data, settings, tmp_path):
    """The browser data, extracted afresh on every results request (no stale copy)."""
    from pestrack.results import data as results_data

    settings.PESTRACK_ANALYTICS_DIR = None
    settings.PESTRACK_ANALYTICS_CACHE_DIR = str(tmp_path / "analytics")
    settings.PESTRACK_ANALYTICS_REFRESH = 0
    settings.PESTRACK_SUPPRESS_BELOW = 0  # a handful of rows: shown, not withheld as small cells
    results_data.clear_cache()
    return data


def _outcome(page) -> tuple[int, int]:
    """(numerator, denominator) printed beside the indicator's outcome."""
    text = page.locator("dl.summary dd").first.inner_text()
    found = re.search(r"\((\d+) / (\d+)\)", text)
    assert found, text
    return int(found[1]), int(found[2])


def test_results_pages_pass_axe(page, results):
    found = serious_violations_on(page, PAGES, results)
    assert not found, found


def test_the_dashboard_changes_after_a_caseworkers_exit(page, results, browser, live_server):
    log_in(page, "ali")
    page.goto(PAGES[2][1])
    numerator, denominator = _outcome(page)

    caseworker = browser.new_context(base_url=live_server.url, locale="sv-SE").new_page()
    log_in(caseworker, "anna")
    caseworker.goto(f"/enrolments/{results['enrolment']}/exit/")
    caseworker.get_by_label("Avslutsorsak").select_option(label="Arbete utan subvention")
    caseworker.get_by_role("button", name="Fortsätt").click()
    caseworker.get_by_role("button", name="Bekräfta").click()  # the check-your-answers step
    expect(caseworker.get_by_role("status")).to_have_text("Utskrivningen är registrerad.")
    caseworker.context.close()

    page.reload()
    assert _outcome(page) == (numerator + 1, denominator + 1)
    screenshot(page, "results-indicator-after-exit")


def test_the_annual_report_downloads_as_pdf_and_xlsx(page, results):
    log_in(page, "ali")
    page.goto(PAGES[4][1])
    for suffix, magic in ((".pdf", b"%PDF"), (".xlsx", b"PK")):
        with page.expect_download() as info:
            page.locator(f"main a[href$='{suffix}']").click()
        download = info.value
        assert download.suggested_filename.endswith(suffix)
        with open(download.path(), "rb") as f:
            assert f.read(4).startswith(magic)
