"""The pseudonymised rows behind an indicator, the way from a row to a person (caseworkers who may
read them only), and the annual report's page and downloads."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from pestrack.analytics.pseudonym import person_key
from pestrack.records.casework.models import Enrolment
from tests.web.conftest import log_entries
from tests.web.results.pages import INDICATOR
from tests.web.results.test_pages import JARVA, exits_2023, html

pytestmark = pytest.mark.django_db
ROWS = f"/results/indicators/{INDICATOR}/rows/?year=2023&period=VB"


def keys_on(page: str) -> list[str]:
    return re.findall(r"<td>([0-9A-Za-z]{12})</td>", page)


def test_rows_are_the_numerator_and_denominator_pseudonymised(results_world, login):
    client = login("ali")
    num, den = exits_2023()
    page = html(client.get(ROWS))
    assert f"{den} rows" in page and len(keys_on(page)) == 2 * den  # the person key and the opaque enrolment id
    assert f"{num} rows" in html(client.get(ROWS + "&only=numerator"))
    assert f"{den} rows" in html(client.get(ROWS + "&only=denominator"))
    ended = Enrolment.objects.filter(programme__code="jobbtorg", end_date__year=2023).select_related("person")
    for e in ended:  # no name or identity number, only the pseudonymous key
        assert e.person.last_name not in page and e.person.identity_number not in page
        assert person_key(e.person.pin_hash) in page
    assert "Open person" not in page  # an analyst never reaches a person
    cells = re.findall(r"<td>([^<]*)</td>", page)
    assert not {str(e.pk) for e in ended} & set(cells)  # opaque ids, never the real enrolment ids
    entry = log_entries(actor="ali", object_type="results rows").order_by("id").first()
    assert f"{den} of {den} pseudonymised rows" in entry.detail


def test_a_managers_rows_are_their_units_only(results_world, login):
    num, den = exits_2023(JARVA)
    page = html(login("chef").get(ROWS))
    assert f"{den} rows" in page
    # the unit by its name, never its code
    assert set(re.findall(r"<td>(Jobbtorg [^<]+)</td>", page)) == {"Jobbtorg Järva"} and "<td>jt-" not in page


def test_a_person_opens_only_for_a_caseworker_who_may_read_them(results_world, login):
    """lead is manager and caseworker of Järva: the rows link to Järva persons, and the link opens
    the person page. chef (manager only), ali (analyst) and erik (caseworker of Söderort) are refused."""
    client = login("lead")
    page = html(client.get(ROWS))
    linked = re.findall(r'href="/results/person/([0-9A-Za-z]{12})/"', page)
    jarva = {
        person_key(e.person.pin_hash): e.person
        for e in Enrolment.objects.filter(
            programme__code="jobbtorg", end_date__year=2023, org_unit__code=JARVA
        ).select_related("person")
    }
    assert linked and set(linked) <= set(jarva)
    key = linked[0]
    response = client.get(f"/results/person/{key}/")
    assert response.status_code == 302 and response["Location"] == f"/persons/{jarva[key].pk}/"
    assert log_entries(actor="lead", object_type="person by pseudonym", person_id=jarva[key].pk, action="read").exists()
    for user in ("chef", "ali", "erik"):
        assert login(user).get(f"/results/person/{key}/").status_code == 403
        assert log_entries(actor=user, action="denied", object_type="person by pseudonym").exists()
    assert "Open person" not in html(login("chef").get(ROWS))


def test_an_unknown_key_is_refused_like_a_known_one(results_world, login):
    assert login("lead").get(f"/results/person/{'0' * 32}/").status_code == 403


def test_rows_of_a_whole_city_figure_do_not_exist_for_a_manager(results_world, login):
    from pestrack.results.service import indicators

    reported = next(i for i in indicators().values() if i.is_reported)
    assert login("chef").get(f"/results/indicators/{reported.id}/rows/").status_code == 404


def test_report_page_offers_view_and_every_download(results_world, login):
    page = html(login("ali").get("/results/report/?year=2023&period=T2&lang=en"))
    assert 'href="/results/report/2023/T2/en/view/"' in page
    for fmt in ("html", "pdf", "xlsx", "csv"):
        assert f'href="/results/report/2023/T2/en.{fmt}"' in page


@pytest.mark.parametrize(
    "fmt,content_type,start",
    [
        ("html", "text/html; charset=utf-8", b"<!DOCTYPE html>"),
        ("pdf", "application/pdf", b"%PDF"),
        ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", b"PK"),
        ("csv", "text/csv; charset=utf-8", b"\xef\xbb\xbfgoal_id;indicator;outcome"),
    ],
)
def test_report_downloads_are_the_writers_files_and_logged(results_world, login, fmt, content_type, start):
    response = login("ali").get(f"/results/report/2023/VB/sv.{fmt}")
    assert response.status_code == 200
    assert response["Content-Type"] == content_type and response.content.startswith(start)
    assert response["Content-Disposition"] == f'attachment; filename="verksamhetsberattelse-VB-2023.{fmt}"'
    entry = log_entries(actor="ali", object_type="annual report", action="export").get()
    assert entry.detail == f"download verksamhetsberattelse-VB-2023.{fmt}"


def test_the_report_view_is_the_html_with_its_style_allowed_by_hash(results_world, login):
    from pestrack.web.results.views import REPORT_STYLE_HASH

    response = login("ali").get("/results/report/2023/VB/en/view/")
    assert response.status_code == 200 and "Content-Disposition" not in response
    assert "<h1>Annual report VB 2023</h1>" in html(response) and "<script" not in html(response)
    assert response._csp_update == {"style-src": [REPORT_STYLE_HASH]}


def test_a_managers_report_counts_their_units(results_world, login):
    num, den = exits_2023(JARVA)
    csv = login("chef").get("/results/report/2023/VB/en.csv").content.decode()
    row = next(
        line
        for line in csv.splitlines()
        if line.startswith("3.2.1,") and "left Jobbtorg Stockholm for work or studies" in line and "aged 18" not in line
    )
    assert f"{100 * num / den:.1f}".rstrip("0").rstrip(".") + "%" in row


@pytest.mark.parametrize(
    "url",
    [
        "/results/report/2023/VB/sv.docx",
        "/results/report/2023/Q9/sv.pdf",
        "/results/report/2023/VB/de.pdf",
        "/results/report/1999/VB/sv.pdf",
    ],
)
def test_reports_that_do_not_exist(results_world, login, url):
    assert login("ali").get(url).status_code == 404


def test_the_report_carries_the_durability_when_contract_events_are_set_up(results_world, login, settings, tmp_path):
    """With PESTRACK_LMI_DIR the report (view and downloads) has the durability of work after an exit,
    computed from the contract events linked to the report's own analytics tables; a manager's report
    of their units has none (the figures are the whole organisation's), nor has a report without."""
    from pestrack.lmi import durability, synth
    from pestrack.reports.formatting import cell, count
    from pestrack.results import data

    assert "Varaktighet" not in html(login("ali").get("/results/report/2023/VB/sv/view/"))
    folder = data.analytics_dir()  # the sample's extract: its exits to work get hires
    settings.PESTRACK_LMI_DIR = tmp_path / "lmi"
    synth.write(settings.PESTRACK_LMI_DIR, "stockholm", [2022, 2023], scale=0.002, seed=1, participants=folder)
    page = html(login("ali").get("/results/report/2023/VB/sv/view/"))
    assert "<h2>Varaktighet i arbete efter avslut till arbete</h2>" in page and "Kunskapsdag: 2023-12-31." in page
    total = next(
        s
        for s in durability.durability(settings.PESTRACK_LMI_DIR, folder, dt.date(2023, 12, 31), dt.date(2022, 1, 1))
        if (s.horizon, s.breakdown) == (3, "total")
    )
    assert total.exits >= 5  # published: the row starts with the exits followed three months and the share
    row = re.search(
        r'<th scope="row">Alla avslut till arbete</th><td class="n">([^<]*)</td><td class="n">([^<]*)<', page
    )
    assert row.groups() == (count(total.exits, "sv"), cell(total.share, "percent", 1, "sv"))
    english = login("ali").get("/results/report/2023/VB/en.csv").content.decode()
    assert 'durability,"Share in work 3 months after an exit to work, known 2023-12-31",' in english
    assert "Varaktighet" not in html(login("chef").get("/results/report/2023/VB/sv/view/"))
    # the report page says so (in the page's language), not to the manager
    assert "The report ends with the durability of work" in html(login("ali").get("/results/report/?year=2023"))
    assert "The report ends with" not in html(login("chef").get("/results/report/?year=2023"))
