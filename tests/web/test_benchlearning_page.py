"""The benchlearning page (/benchlearning/): the funnel plots, and for one PES of the network its
peer group, its trend beside its peers and the network, its breakdowns beside its totals and the
peers to learn from with their practices. Access by role is in test_authorisation_matrix."""

from __future__ import annotations

import json
import re

import pytest

from tests.web import benchlearning_network
from tests.web.conftest import log_entries

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return benchlearning_network.build(tmp_path_factory.mktemp("bench"))


@pytest.fixture
def page(world, login, store, settings):
    settings.PESTRACK_BENCHLEARNING_DIR = store
    client = login("ali")

    def get(query: str, language: str = "en") -> str:
        client.cookies["django_language"] = language
        response = client.get(f"/benchlearning/{query}", HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200
        return response.content.decode()

    return get


def _chart(html: str, chart_id: str) -> dict:
    found = re.search(rf'<script id="{chart_id}-data" type="application/json">(.*?)</script>', html, re.S)
    assert found, chart_id
    return json.loads(found.group(1))


def test_the_trend_is_the_pes_beside_its_peers_and_the_network_with_a_table(page):
    html = page("?year=2023&pes=north")
    trend = _chart(html, "trend-exits_to_employment")
    assert trend["labels"] == ["2022", "2023"]
    assert [d["label"] for d in trend["datasets"]] == ["Nordstad", "Peer group mean", "Network proportion"]
    north, peers, network = (d["data"] for d in trend["datasets"])
    assert all(v is not None for v in north + peers + network)
    # the table beneath gives the same numbers, one row a year
    assert [row[0] for row in trend["table"]["rows"]] == ["2022", "2023"]
    assert trend["table"]["rows"][1][1] == f"{north[1]:.1f}".rstrip("0").rstrip(".")


def test_breakdowns_by_age_sex_and_education_beside_the_total(page):
    html = page("?year=2023&pes=east")
    for dimension in ("age_band", "sex", "education_level"):
        chart = _chart(html, f"breakdown-exits_to_employment-{dimension}")
        assert chart["table"]["rows"][0][0] == "Total"
        assert len(chart["table"]["rows"]) == len(chart["labels"]) + 1
    sex = _chart(html, "breakdown-exits_to_employment-sex")
    assert {"Women", "Men"} <= set(sex["labels"])
    education = _chart(html, "breakdown-exits_to_employment-education_level")
    assert "Upper-secondary education" in education["labels"]  # the code list's name, not the code
    # a withheld category (a small one of the 65- band or the unrecorded education) shows no number
    withheld = [
        row
        for d in ("age_band", "education_level")
        for row in _chart(html, f"breakdown-job_entry_6m_registration-{d}")["table"]["rows"]
        if row[1] == ".."
    ]
    assert withheld and all(row[2:] == ["", ""] for row in withheld)


def test_peer_group_and_learn_from_whom_link_the_practices_of_the_peers_that_do_better(page):
    html = page("?year=2023&pes=north")
    assert "Peer group of Nordstad" in html
    assert re.search(r"Peers: Södervik, Österby\.", html)
    section = html[html.index('id="learn-from-whom"') : html.index('id="indicator-')]
    # north's exit to work is below its peers' median; south (planted 55 %) does better and has IPS in place
    assert "Exits to employment as a share of the register" in section
    assert re.search(r'Södervik</td>\s*<td><a href="/practices/ips_stockholm/" lang="en">', section)
    assert '<a href="/practices/kommunhubben/" lang="en">' in section  # partly in place
    assert "No self-assessment" in section  # east carries none


def test_swedish_page_and_the_view_is_logged(page):
    html = page("?year=2023&pes=south", language="sv")
    assert "Lär av vem" in html and "Utveckling över åren" in html
    assert log_entries(object_type="benchlearning", detail="2023 south").exists()
