"""The years the results pages offer and open on, the note on incomplete periods, and one way of
printing a number, on hand-made analytics tables whose coverage is known:

- one enrolment and one exit (to work) in December 2019, nothing in 2020,
- an enrolment starting every month from January 2021 to February 2024,
- exits of Jobbtorg: 2022 100 (50 to work), 2023 1 234 (1 000 to work), so 2023's share is
  81.037… %: 81 % at the outcome's one decimal, 81,04 % at the indicator's two.

2019 and 2024 are partial years (the data begin in December 2019 and end in February 2024); 2023 is
the last year the data cover whole."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from pestrack.analytics.schema import TABLES
from tests.indicators.conftest import write_table
from tests.web.results.pages import INDICATOR
from tests.web.results.test_pages import html

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture
def hand_data(results_world, settings, tmp_path):
    from pestrack.results import data

    folder = tmp_path / "hand"
    months = [D(2021 + k // 12, k % 12 + 1, 15) for k in range(38)]  # 2021-01 … 2024-02
    write_table(folder, "enrolments", [{"start_date": D(2019, 12, 5)}] + [{"start_date": d} for d in months])
    exits = [{"exit_date": D(2019, 12, 20), "exit_outcome": "work"}]
    exits += [{"exit_date": D(2022, i % 12 + 1, 10), "exit_outcome": "work" if i < 50 else "other"} for i in range(100)]
    exits += [
        {"exit_date": D(2023, i % 12 + 1, 10), "exit_outcome": "work" if i < 1000 else "other"} for i in range(1234)
    ]
    write_table(folder, "exits", exits)
    for table in TABLES:  # every other table, empty
        if not (folder / f"{table.name}.parquet").exists():
            write_table(folder, table.name, [])
    (folder / "manifest.json").write_text('{"tables": {}}')
    settings.PESTRACK_ANALYTICS_DIR = str(folder)
    settings.PESTRACK_SUPPRESS_BELOW = None  # the profile's threshold (5)
    data.clear_cache()
    return folder


def _year_options(page: str) -> list[str]:
    select = re.search(r'<select name="year".*?</select>', page, re.S).group(0)
    return re.findall(r"<option[^>]*>([^<]*)</option>", select)


def test_the_dashboard_opens_on_the_last_year_the_data_cover_whole(hand_data, login):
    """Not 2024, whose data end in February (nor 2019, whose data begin in December)."""
    page = html(login("ali").get("/results/", HTTP_ACCEPT_LANGUAGE="sv"))
    assert "<h1>Resultat VB 2023</h1>" in page
    assert re.search(r'<option value="2023" selected>2023</option>', page)
    assert "Ofullständiga uppgifter" not in page  # the whole year: no note


def test_only_years_with_data_are_offered_and_partial_ones_say_so(hand_data, login):
    page = html(login("ali").get("/results/", HTTP_ACCEPT_LANGUAGE="sv"))
    assert _year_options(page) == [
        "2024 (ofullständiga uppgifter)",
        "2023",
        "2022",
        "2021",
        "2019 (ofullständiga uppgifter)",
    ]  # no 2020: the data have nothing in it


@pytest.mark.parametrize("year,period", [(2024, "VB"), (2024, "T1"), (2019, "VB")])
def test_a_period_the_data_do_not_cover_carries_a_note(hand_data, login, year, period):
    client = login("ali")
    for url in (
        f"/results/?year={year}&period={period}",
        f"/results/indicators/{INDICATOR}/?year={year}&period={period}",
    ):
        page = html(client.get(url, HTTP_ACCEPT_LANGUAGE="sv"))
        assert re.search(
            rf'role="note"><strong>Ofullständiga uppgifter:</strong> uppgifterna täcker inte hela {period} {year}', page
        ), url


def test_a_period_the_data_cover_has_no_note_though_its_year_is_partial(hand_data, login):
    """T1 2023 is covered; T2 2021 too. (T1 2024 is not: the data end in February.)"""
    page = html(login("ali").get("/results/?year=2023&period=T1", HTTP_ACCEPT_LANGUAGE="sv"))
    assert "Ofullständiga uppgifter" not in page


def test_the_trend_does_not_show_a_year_of_one_record_as_a_share_and_marks_partial_years(hand_data, login):
    page = html(login("ali").get(f"/results/indicators/{INDICATOR}/?year=2023", HTTP_ACCEPT_LANGUAGE="sv"))
    table = re.search(r'<table class="chart-table">\s*<caption>Utveckling.*?</table>', page, re.S).group(0)
    rows = {
        re.sub(r"<[^>]+>", "", r[0]).strip(): [re.sub(r"<[^>]+>", "", c).strip() for c in r[1:]]
        for r in (re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", tr) for tr in re.findall(r"<tr>(.*?)</tr>", table, re.S))
        if r
    }
    vb = 2  # columns: T1, T2, VB, target
    assert rows["2019 (ofullständiga uppgifter)"][vb] == ".."  # one exit: withheld, not 100 %
    assert rows["2024 (ofullständiga uppgifter)"]  # marked as well
    assert rows["2023"][vb] == "81 %" and rows["2022"][vb] == "50 %"
    assert "100 %" not in table


def test_a_value_prints_the_same_on_the_dashboard_and_the_indicator_page(hand_data, login):
    """The outcome 81.037… % at the outcome's one decimal on both and in the trend (it was 81 % on the
    dashboard and 81,04 % on the indicator page); counts with a thousands space. (A breakdown's
    categories are printed as the report's men's and women's cells, at two decimals.)"""
    client = login("ali")
    dashboard = html(client.get("/results/?year=2023&period=VB", HTTP_ACCEPT_LANGUAGE="sv"))
    row = re.search(rf"{INDICATOR}/.*?</tr>", dashboard, re.S).group(0)
    assert '<td class="n">81 %</td>' in row
    page = html(client.get(f"/results/indicators/{INDICATOR}/?year=2023", HTTP_ACCEPT_LANGUAGE="sv"))
    assert re.search(r"<dd>81 % <span class=\"n\">\(1 000 / 1 234\)</span></dd>", page)
    trend = re.search(r'<table class="chart-table">\s*<caption>Utveckling.*?</table>', page, re.S).group(0)
    assert '<td class="n">81 %</td>' in trend and "81,04" not in trend  # the trend's 2023 as well
    english = html(client.get(f"/results/indicators/{INDICATOR}/?year=2023", HTTP_ACCEPT_LANGUAGE="en"))
    assert re.search(r"<dd>81% <span class=\"n\">\(1,000 / 1,234\)</span></dd>", english)


def test_bars_carry_their_values_as_printed_in_the_table(hand_data, login):
    import json

    page = html(login("ali").get(f"/results/indicators/{INDICATOR}/?year=2023", HTTP_ACCEPT_LANGUAGE="sv"))
    spec = json.loads(
        re.search(
            rf'<script id="breakdown-{INDICATOR}-sex-data" type="application/json">(.*?)</script>', page, re.S
        ).group(1)
    )
    assert spec["value_labels"] == ["81,04 %"]  # every exit is a woman's (the table's default sex)
    assert '<td class="n">81,04 %</td>' in page


def test_the_dashboard_opens_with_an_overview_of_every_goal_with_values_marks_and_trends(hand_data, login):
    """Before the goals in detail: each goal with its indicators' outcome, target, mark and a small
    trend drawn as inline SVG (no script), with the values in words for screen readers."""
    page = html(login("ali").get("/results/?year=2023&period=VB", HTTP_ACCEPT_LANGUAGE="sv"))
    overview = page[
        page.index('<section class="overview"') : page.index("</section>", page.index('<section class="overview"'))
    ]
    assert page.index('<section class="overview"') < page.index('<h2 id="goal-1">')
    row = re.search(
        rf"<tr><th scope=\"row\"[^>]*><a href=\"/results/indicators/{INDICATOR}/.*?</tr>", overview, re.S
    ).group(0)
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    assert cells[0] == "81 %" and cells[1] == "60 %" and cells[2] == "● Uppfyllt"
    assert '<svg class="spark"' in row and 'aria-hidden="true"' in row and '<circle cx="93.0"' in row  # one point
    # the years of the data up to 2023, as the report gives them (new in 2023: no earlier value)
    assert cells[3] == (
        "Utveckling, VB per år: 2019 (ofullständiga uppgifter): inget värde; 2021: inget värde; "
        "2022: inget värde; 2023: 81 %"
    )
    goals = re.findall(r'<div class="overview-goal">\s*<h3><a href="#goal-([\d.]+)">', overview)
    assert "1" in goals and "3.2.1" in goals
    assert "<script" not in overview


def test_a_sparkline_leaves_gaps_and_marks_partial_years():
    from pestrack.web.results.sparkline import svg

    drawn = str(svg([50.0, None, 60.0, 70.0], [True, False, False, True], target=65.0))
    assert drawn.count("<polyline") == 1  # 60 → 70; 50 stands alone after the gap
    assert drawn.count('class="spark-partial"') == 2 and drawn.count('class="spark-point"') == 1
    assert '<polyline points="63.0,12.0 93.0,3.0"' in drawn  # the highest value at the top
    assert 'class="spark-target"' in drawn and 'aria-hidden="true"' in drawn
    assert str(svg([None, None], [False, False])) == ""


def test_the_api_says_whether_the_data_cover_the_period(hand_data, client):
    """As the pages' note: a client learns that 2024 and T1 2024 are not covered whole (the data end
    in February 2024) and 2019 neither (they begin in December), while 2023 and T1 2023 are."""
    from django.contrib.auth.models import User

    from pestrack.web.models import ApiToken

    token = ApiToken.issue(User.objects.get(username="ali"))[1]

    def body(year, period="VB"):
        path = f"/api/v1/indicators/{INDICATOR}/results"
        return client.get(path, {"year": year, "period": period}, HTTP_AUTHORIZATION=f"Bearer {token}").json()

    asked = ((2024, "VB"), (2024, "T1"), (2019, "VB"), (2023, "VB"), (2023, "T1"))
    assert [body(y, p)["complete"] for y, p in asked] == [False, False, False, True, True]
