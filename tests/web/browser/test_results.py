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


# Per bar chart of the page as Chart.js drew it: the categories and their ticks (a skipped label has
# none), each category label's widest line and where the axis centres it, and where the value printed
# at each bar ends, against the canvas.
BAR_CHARTS = """() => Array.from(document.querySelectorAll("canvas[data-chart]")).map((canvas) => {
  const chart = window.Chart.getChart(canvas);
  if (!chart || chart.config.type !== "bar") { return null; }
  const horizontal = chart.options.indexAxis === "y";
  const axis = horizontal ? chart.scales.y : chart.scales.x;
  const ctx = chart.ctx;
  ctx.save();
  ctx.font = window.Chart.helpers.toFont(axis.options.ticks.font).string;
  const lines = chart.data.labels.map((l) => [].concat(l));
  const widths = lines.map((ls) => Math.max(...ls.map((t) => ctx.measureText(t).width)));
  const centres = lines.map((_, i) => axis.getPixelForTick(i));
  ctx.font = "12px system-ui, sans-serif";  /* the value labels' font (charts.js) */
  const texts = (chart.options.plugins.pestrackBarValues || {}).labels || [];
  const ends = chart.getDatasetMeta(0).data.map((bar, i) => texts[i] ? (horizontal
    ? bar.x + 4 + ctx.measureText(texts[i]).width : bar.y - 4 - 12) : null);
  ctx.restore();
  return {id: canvas.getAttribute("data-chart"), horizontal, categories: lines.length,
          ticks: axis.ticks.length, widths, centres, axis_width: axis.width, ends, width: chart.width,
          values: texts};
}).filter((c) => c)"""


def test_bars_show_every_category_whole_and_print_their_values_inside_the_chart(page, results):
    """Bar charts clipped their category names and printed no values: every category is labelled
    (none skipped), the widest line of a label fits the room its axis gives it, and each bar's value
    is printed inside the canvas, with the breakdown by every target group (long names) too."""
    from pestrack.records.codes.models import Code
    from tests.web.conftest import make_person

    moved = Code.objects.get(list="exit_reason", code="moved")
    groups = list(Code.objects.filter(list="target_group"))
    assert len(groups) >= 6  # Stockholm's six, some of long names
    for k, group in enumerate(groups):
        enrolment = make_person("Grupp", f"Gruppsson{k}", "jt-jarva", serial=200 + k).enrolments.get()
        enrolment.target_group = group
        enrolment.end_date, enrolment.exit_reason = dt.date.today() - dt.timedelta(days=20), moved
        enrolment.save()
    log_in(page, "ali")
    page.goto(PAGES[2][1])
    page.wait_for_function("() => document.querySelectorAll('canvas[data-chart]').length > 0")
    charts = page.evaluate(BAR_CHARTS)
    groups_chart = next(c for c in charts if "target_group" in c["id"])
    assert groups_chart["categories"] == len(groups), groups_chart
    for c in charts:
        assert c["ticks"] == c["categories"], c
        if c["horizontal"]:  # right-aligned beside the axis: a label wider than the axis is cut at the left
            assert max(c["widths"]) <= c["axis_width"], c
        else:  # centred under its bar: inside the canvas, and clear of its neighbours
            spans = [(x - w / 2, x + w / 2) for x, w in zip(c["centres"], c["widths"])]
            assert spans[0][0] >= 0 and spans[-1][1] <= c["width"], c
            assert all(a[1] <= b[0] + 0.5 for a, b in zip(spans, spans[1:])), c
        assert any(c["values"]), c
        for end in c["ends"]:
            assert end is None or (end <= c["width"] if c["horizontal"] else end >= 0), c
    screenshot(page, "results-indicator-bars")
