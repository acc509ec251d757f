"""The results pages with the Django test client: who sees what, that the numbers are the units'
own, that charts come with tables and no inline script, and that every view and refusal is logged."""

from __future__ import annotations

import re

import pytest

from pestrack.records.casework.models import Enrolment
from tests.web.conftest import log_entries
from tests.web.results.pages import INDICATOR, PAGES

pytestmark = pytest.mark.django_db
JARVA = "jt-jarva"


def exits_2023(unit: str | None = None) -> tuple[int, int]:
    """(to work or studies, all) Jobbtorg exits of 2023 in the database, optionally of one unit."""
    rows = Enrolment.objects.filter(programme__code="jobbtorg", end_date__year=2023)
    if unit:
        rows = rows.filter(org_unit__code=unit)
    outcomes = [(e.exit_reason.rules or {}).get("outcome", "other") for e in rows.select_related("exit_reason")]
    return sum(o in ("work", "studies") for o in outcomes), len(outcomes)


def html(response) -> str:
    return response.content.decode()


@pytest.mark.parametrize("user,url", PAGES)
def test_every_page_opens_for_its_user(results_world, login, user, url):
    response = login(user).get(url)
    assert response.status_code == 200, html(response)[:500]


def test_dashboard_shows_goals_indicators_targets_and_marks_in_words(results_world, login):
    page = html(login("ali").get("/results/?year=2023&period=VB"))
    assert '<h2 id="goal-1">' in page and '<h4 id="goal-3.2.1">' in page  # three levels of goals
    assert "Share of women and men who left Jobbtorg Stockholm for work or studies" in page
    assert f'href="/results/indicators/{INDICATOR}/?year=2023&amp;period=VB"' in page
    num, den = exits_2023()
    value = f"{100 * num / den:.1f}".rstrip("0").rstrip(".") + "%"
    row = re.search(rf"{INDICATOR}/.*?</tr>", page, re.S).group(0)
    assert value in row and "60%" in row  # outcome (printed at one decimal) and the target
    assert re.search(
        r'<span class="mark mark-(met|not_met|partly)"><span aria-hidden="true">.</span> '
        r"(Met|Not met|Partly met)</span>",
        row,
    )  # a symbol and a word, not colour alone
    entry = log_entries(actor="ali", object_type="results dashboard").get()
    assert entry.action == "read" and "VB 2023, all units" in entry.detail


def test_the_dashboard_once_computed_takes_eight_statements(results_world, login):
    """session, user, assignments, and the access log's entry (BEGIN, lock, head, INSERT, COMMIT;
    SQLite has no lock); the marks are made in Python, not by an included template per indicator."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login("maria")
    for _ in range(2):  # computes the results, renews the session
        client.get("/results/?year=2023&period=VB")
    with CaptureQueriesContext(connection) as queries:
        page = html(client.get("/results/?year=2023&period=VB"))
    assert len(queries.captured_queries) <= 8, "\n".join(q["sql"] for q in queries.captured_queries)
    assert page.count('<span class="mark') >= 3 + page.count("<tr>") - page.count("<thead>")


@pytest.mark.django_db
def test_a_manager_sees_only_their_units_results(results_world, login):
    num, den = exits_2023(JARVA)
    assert 0 < den < exits_2023()[1]
    page = html(login("chef").get(f"/results/indicators/{INDICATOR}/?year=2023&period=VB"))
    assert f"({num} / {den})" in page
    assert "Results of your units only: <code>/stockholm/amf/jobbtorg/jt-jarva/</code>" in page
    units = re.search(r'id="breakdown-[^"]*-org_unit-data" type="application/json">(.*?)</script>', page).group(1)
    assert "Jobbtorg J\\u00e4rva" in units and "S\\u00f6derort" not in units  # the unit breakdown: Järva only
    assert (
        log_entries(actor="chef", object_type="results indicator")
        .get()
        .detail.endswith("units /stockholm/amf/jobbtorg/jt-jarva/")
    )


def test_whole_city_figures_are_not_shown_as_a_units_result(results_world, login):
    """Reported indicators (e.g. staff sick leave) are whole-city figures: a manager sees none."""
    page = html(login("chef").get("/results/?year=2023&period=VB"))
    assert "Whole-city figure: not available per unit." in page
    assert "Whole-city figure" not in html(login("ali").get("/results/?year=2023&period=VB"))


@pytest.mark.parametrize("user", ["anna", "sara", "admin", "dina"])
def test_caseworkers_and_other_roles_get_no_results(results_world, login, user):
    client = login(user)
    for url in (
        "/results/",
        f"/results/indicators/{INDICATOR}/",
        f"/results/indicators/{INDICATOR}/rows/",
        "/results/report/",
        "/results/report/2023/VB/sv.pdf",
    ):
        response = client.get(url)
        assert response.status_code == 403, url
    denied = log_entries(actor=user, action="denied")
    assert denied.count() == 5 and {e.object_type for e in denied} == {
        "results dashboard",
        "results indicator",
        "results rows",
        "annual report",
    }


def test_results_need_a_login(results_world, client):
    response = client.get("/results/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_indicator_page_draws_charts_from_json_with_a_table_each_and_no_inline_script(results_world, login):
    page = html(login("ali").get(f"/results/indicators/{INDICATOR}/?year=2023&period=VB"))
    canvases = re.findall(r'<canvas data-chart="([^"]+)" role="img" aria-label="[^"]+">', page)
    assert len(canvases) == 5  # the trend, and by sex, age band, target group and organisation unit
    for data_id in canvases:
        assert f'<script id="{data_id}" type="application/json">' in page
    assert page.count('<table class="chart-table">') == 5
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, re.S)
    assert all("src=" in attrs or 'type="application/json"' in attrs for attrs, _ in scripts)
    assert '<script src="/static/web/vendor/chartjs/chart.umd.min.js">' in page
    trend = re.search(
        r'<table class="chart-table">\s*<caption>Trend by year and period</caption>.*?</table>', page, re.S
    )
    assert '<th scope="row">2022</th>' in trend.group(0) and "Whole year (VB)" in trend.group(0)


def test_the_chart_script_and_library_are_served_by_the_application(results_world, login):
    client = login("ali")
    for path in ("/static/web/vendor/chartjs/chart.umd.min.js", "/static/web/results/charts.js"):
        response = client.get(path)
        assert response.status_code == 200
        assert b"".join(response.streaming_content if response.streaming else [response.content])


def test_a_choice_that_is_not_valid_is_said_and_the_default_shown(results_world, login):
    response = login("ali").get("/results/?year=1850&period=XX")
    assert response.status_code == 400
    page = html(response)
    assert "The choice was not valid" in page and "Select a valid choice." in page
    assert "<h1>Results VB 2023</h1>" in page


def test_missing_analytics_folder_is_explained(results_world, login, settings, tmp_path):
    settings.PESTRACK_ANALYTICS_DIR = str(tmp_path / "nowhere")
    response = login("ali").get("/results/")
    assert response.status_code == 503
    assert "pestrack analytics extract --out" in html(response)


def test_the_dashboard_follows_new_records(results_world, login, settings):
    """Without PESTRACK_ANALYTICS_DIR the pages extract the database again once their copy is older
    than PESTRACK_ANALYTICS_REFRESH seconds (0 here): a recorded exit shows at once."""
    import datetime as dt

    from pestrack.records.codes.models import Code

    settings.PESTRACK_ANALYTICS_REFRESH = 0
    client = login("chef")
    url = f"/results/indicators/{INDICATOR}/?year=2023&period=VB"
    num, den = exits_2023(JARVA)
    assert f"({num} / {den})" in html(client.get(url))
    open_one = Enrolment.objects.filter(org_unit__code=JARVA, end_date__isnull=True, start_date__year__lt=2024).first()
    open_one.end_date, open_one.exit_reason = dt.date(2023, 12, 1), Code.objects.get(list="exit_reason", code="work")
    open_one.save()
    assert f"({num + 1} / {den + 1})" in html(client.get(url))


def test_the_dashboards_kept_tables_follow_the_language_the_units_and_the_records(results_world, login, settings):
    """The goals' tables are kept rendered (a template cache) per report and language: another
    language, another manager's units and a new record each show their own."""
    import datetime as dt

    from pestrack.records.codes.models import Code

    def outcome(page: str) -> str:
        return re.search(rf"{INDICATOR}/.*?<td class=\"n\">(.*?)</td>", page, re.S).group(1)

    settings.PESTRACK_ANALYTICS_REFRESH = 0
    url = "/results/?year=2023&period=VB"
    client = login("ali")
    client.post("/language/", {"language": "en"})
    english = html(client.get(url))
    client.post("/language/", {"language": "sv"})
    swedish = html(client.get(url))
    assert "Not met" in english or "Met" in english
    assert "Share of women and men" not in swedish and "Indikatorer för mål" in swedish
    assert outcome(english).replace(".", ",").replace("%", " %") == outcome(swedish)
    client = login("chef")
    client.post("/language/", {"language": "en"})
    chef = html(client.get(url))
    assert "Whole-city figure: not available per unit." in chef and outcome(chef) != outcome(english)
    num, den = exits_2023(JARVA)
    assert outcome(chef) == f"{100 * num / den:.1f}".rstrip("0").rstrip(".") + "%"
    open_one = Enrolment.objects.filter(org_unit__code=JARVA, end_date__isnull=True, start_date__year__lt=2024).first()
    open_one.end_date, open_one.exit_reason = dt.date(2023, 12, 1), Code.objects.get(list="exit_reason", code="work")
    open_one.save()
    assert outcome(html(client.get(url))) == f"{100 * (num + 1) / (den + 1):.1f}".rstrip("0").rstrip(".") + "%"


def test_results_are_computed_once_and_shared_through_private_files(
    results_world, login, settings, tmp_path, monkeypatch
):
    """A second server process reads the first one's result from the shared cache folder, which
    only the server's user may read; a folder others may write to is refused."""
    import os

    from pestrack.results import data

    client = login("ali")
    client.get("/results/?year=2023")
    folder = tmp_path / "analytics"
    assert oct(folder.stat().st_mode & 0o777) == "0o700" and (folder / "results").stat().st_mode & 0o077 == 0
    data.clear_cache()  # as another process: nothing in memory
    calls = []
    assert (2023, 6) in data.cached(("months", data.version(folder)), lambda: calls.append(1))
    assert calls == []  # read from the shared files, not computed again
    # after an upgrade (other code or profiles), nothing pickled by the old code is read back: a
    # cached report object without a field the new code reads broke the results page once
    data.clear_cache()
    monkeypatch.setattr(data, "_code_version", "other-code")
    assert data.cached(("months", data.version(folder)), lambda: calls.append(1) or "new") == "new"
    assert calls == [1]
    monkeypatch.undo()
    os.chmod(folder, 0o777)
    response = client.get("/results/?year=2023&period=T1")
    assert response.status_code == 503 and "writable by others" in html(response)
    os.chmod(folder, 0o700)


def test_pages_in_swedish_with_swedish_numbers(results_world, login):
    client = login("ali")
    page = html(client.get("/results/?year=2023&period=VB", HTTP_ACCEPT_LANGUAGE="sv"))
    assert "<h1>Resultat VB 2023</h1>" in page and "Uppfyllt" in page and "Föregående år" in page
    num, den = exits_2023()
    value = f"{100 * num / den:.1f}".rstrip("0").rstrip(".").replace(".", ",") + " %"
    assert value in page
    page = html(client.get(f"/results/indicators/{INDICATOR}/?year=2023", HTTP_ACCEPT_LANGUAGE="sv"))
    assert "Utveckling per år och period" in page and "Efter kön" in page and "Kvinnor" in page


def test_a_managers_dashboard_compares_no_value_with_a_city_wide_target(results_world, login):
    """Järva has no target of its own: its values are shown without a mark and say why; the analyst's
    whole-city view compares them; the manager's downloaded report says which units it covers."""
    page = html(login("chef").get("/results/?year=2023&period=VB"))
    assert "Not compared: the annual target is set for the whole city, not the unit" in page
    assert "Not compared" not in html(login("ali").get("/results/?year=2023&period=VB"))
    indicator = html(login("chef").get(f"/results/indicators/{INDICATOR}/?year=2023&period=VB"))
    assert "Not compared: the annual target is set for the whole city" in indicator
    report = login("chef").get("/results/report/2023/VB/en/view/").content.decode()
    assert "Covers only the units: jt-jarva" in report
