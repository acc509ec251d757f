"""The labour-market observatory: a public part without sign-in (bulletins, open data with a
Table Schema, only published figures), the analysts' tier for the analyst role only (logged)."""

from __future__ import annotations

import csv
import io

import pyarrow.parquet as pq
import pytest

from pestrack.lmi import synth
from tests.web.conftest import log_entries

pytestmark = pytest.mark.django_db


@pytest.fixture
def observatory(settings, tmp_path_factory, world):
    folder = tmp_path_factory.mktemp("observatory") / "lmi"
    synth.write(folder, "stockholm", [2023], scale=0.003, seed=2)
    settings.PESTRACK_LMI_DIR = folder
    return folder


def test_the_public_part_needs_no_sign_in(client, observatory):
    page = client.get("/lmi/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert b"/lmi/bulletin/2023-12/" in page.content and b"datapackage.json" in page.content
    bulletin = client.get("/lmi/bulletin/2023-12/sv.html")
    assert bulletin.status_code == 200 and "Kunskapsdag: 2023-12-31" in bulletin.content.decode()
    assert client.get("/lmi/bulletin/2023-12/en.pdf").content[:5] == b"%PDF-"
    assert client.get("/lmi/bulletin/2024-01/en.html").status_code == 404  # outside the data


def test_open_data_are_published_figures_with_a_table_schema_at_stable_addresses(client, observatory):
    package = client.get("/lmi/open-data/datapackage.json").json()
    resource = next(r for r in package["resources"] if r["name"] == "lmi_hires-2023-12-31-csv")
    assert resource["path"].endswith("/lmi/open-data/2023-12-31/lmi_hires.csv")
    assert [f["name"] for f in resource["schema"]["fields"]] == [
        "indicator_id",
        "period",
        "breakdown",
        "breakdown_value",
        "value",
    ]
    latest = client.get("/lmi/open-data/latest/lmi_hires.csv").content.decode()
    assert latest == client.get("/lmi/open-data/2023-12-31/lmi_hires.csv").content.decode()
    rows = list(csv.DictReader(io.StringIO(latest)))
    values = [r["value"] for r in rows]
    assert all(v in ("..", "<5") or int(v) % 5 == 0 for v in values)  # suppressed, then rounded to 5
    assert any(v == "<5" or v == ".." for v in values)
    as_json = client.get("/lmi/open-data/2023-12-31/lmi_hires.json").json()
    assert as_json["knowledge_date"] == "2023-12-31" and len(as_json["data"]) == len(rows)
    parquet = pq.read_table(io.BytesIO(client.get("/lmi/open-data/2023-12-31/lmi_hires.parquet").content))
    assert parquet.num_rows == len(rows)
    assert client.get("/lmi/open-data/2023-12-30/lmi_hires.csv").status_code == 404  # no such release


def test_the_analysts_tier_is_for_analysts_and_every_download_is_logged(client, login, observatory):
    assert client.get("/lmi/analysts/").status_code == 302  # sign in first
    login("anna")  # a caseworker
    assert client.get("/lmi/analysts/").status_code == 403
    login("ali")  # an analyst
    assert client.get("/lmi/analysts/").status_code == 200
    figures = client.get("/lmi/analysts/?download=figures&release=2023-12-31").content.decode()
    values = [r["value"] for r in csv.DictReader(io.StringIO(figures))]
    assert any(v not in ("", "..") and not v.startswith("<") and int(float(v)) % 5 for v in values)  # unrounded
    events = pq.read_table(io.BytesIO(client.get("/lmi/analysts/?download=events&release=2023-06-30").content))
    assert max(events.column("known_date").to_pylist()).isoformat() <= "2023-06-30"
    assert "identity_number" not in events.column_names
    assert log_entries(object_type="lmi", action="export").count() == 2


def _published(text: str) -> bool:
    return text in ("..", "–") or text.startswith("<") or int(text.replace("\xa0", "").replace(" ", "")) % 5 == 0


def test_the_dashboard_filters_the_figures_and_shows_them_published_with_their_notes(client, observatory):
    from pestrack.reports import lmi

    whole = client.get("/lmi/dashboard/?period=2023-Q2", HTTP_ACCEPT_LANGUAGE="en")
    assert whole.status_code == 200
    text = whole.content.decode()
    for note in ("Definition", "Source", "Knowledge date: 2023-12-31", "Revisions", "rounded to the nearest 5"):
        assert note in text
    women = client.get("/lmi/dashboard/?period=2023-Q2&sex=woman&sector=G", HTTP_ACCEPT_LANGUAGE="en")
    assert women.status_code == 200
    # the filtered figures are those of the engine asked for women in trade, then published
    raw = lmi.dashboard_in(observatory, "2023-Q2", {"sex": "woman", "sector": "G"}, known_on=None)
    hires = next(r for r in raw if r.indicator_id == "lmi_hires" and r.breakdown == "total")
    everyone = next(
        r
        for r in lmi.dashboard_in(observatory, "2023-Q2", {}, known_on=None)
        if r.indicator_id == "lmi_hires" and r.breakdown == "total"
    )
    assert 0 < hires.value < everyone.value
    by_sex = [r for r in raw if r.breakdown == "sex"]
    assert by_sex == []  # a filtered column is no longer a breakdown
    shown = lmi.public([hires], 5, 5)[0]
    assert f'<td class="num">{int(shown.value)}</td>' in women.content.decode().replace("\xa0", "")
    assert client.get("/lmi/dashboard/?sector=Z").status_code == 404  # not a category
    assert client.get("/lmi/dashboard/?period=2024-01").status_code == 404
    sv = client.get("/lmi/dashboard/?period=2023", HTTP_ACCEPT_LANGUAGE="sv").content.decode()
    assert "Kunskapsdag" in sv and "Definition" in sv


def test_a_filtered_figure_equals_the_category_of_the_unfiltered_breakdown(observatory):
    from pestrack.reports import lmi

    whole = lmi.dashboard_in(observatory, "2023-03", {})
    women = lmi.dashboard_in(observatory, "2023-03", {"sex": "woman"})
    for ind in ("lmi_hires", "lmi_terminations", "lmi_stock"):
        by_sex = next(
            r for r in whole if r.indicator_id == ind and r.breakdown == "sex" and r.breakdown_value == "woman"
        )
        total = next(r for r in women if r.indicator_id == ind and r.breakdown == "total")
        assert total.value == by_sex.value
    with pytest.raises(ValueError, match="no filter employer_key"):
        lmi.dashboard_in(observatory, "2023-03", {"employer_key": "x"})


def test_the_partners_tier_gives_suppressed_unrounded_extracts_to_partners_only_logged(client, login, observatory):
    from pestrack.records.org.users import add_user
    from tests.web.conftest import PASSWORD

    add_user("pia", "partner", ["stockholm"], password=PASSWORD)
    assert client.get("/lmi/partners/").status_code == 302
    login("anna")
    assert client.get("/lmi/partners/").status_code == 403
    assert log_entries(object_type="lmi", action="denied").count() == 1
    login("pia")
    assert client.get("/lmi/partners/").status_code == 200
    assert client.get("/lmi/analysts/").status_code == 403  # the micro-data stay with the analysts
    figures = client.get("/lmi/partners/?download=figures&release=2023-12-31").content.decode()
    values = [r["value"] for r in csv.DictReader(io.StringIO(figures))]
    assert any(v.startswith("<") or v == ".." for v in values)  # small counts suppressed
    assert any(v not in ("", "..") and not v.startswith("<") and int(float(v)) % 5 for v in values)  # unrounded
    cross = client.get("/lmi/partners/?download=crosstab&release=2023-12-31&period=2023-Q4&by=sex").content.decode()
    rows = list(csv.DictReader(io.StringIO(cross)))
    assert {r["filter_value"] for r in rows} == {"woman", "man"}
    assert {r["breakdown"] for r in rows} >= {"total", "sector", "municipality"}
    assert "sex" not in {r["breakdown"] for r in rows}
    assert (
        client.get("/lmi/partners/?download=crosstab&release=2023-12-31&period=2023-Q4&by=person_key").status_code
        == 404
    )
    assert log_entries(object_type="lmi", action="export", actor="pia").count() == 2
    login("ali")  # analysts see the partners' tier too
    assert client.get("/lmi/partners/").status_code == 200


def test_the_dashboard_shows_how_long_work_lasts_after_an_exit_when_the_pes_tables_are_there(
    client, settings, tmp_path, world
):
    import datetime as dt

    from pestrack.lmi import durability
    from tests.indicators.conftest import write_table

    pes, folder = tmp_path / "pes", tmp_path / "lmi"
    exits = [
        {
            "enrolment_id": i,
            "person_key": f"P{i}",
            "sex": "woman",
            "exit_date": dt.date(2022, 1 + i % 6, 10),
            "exit_outcome": "work",
        }
        for i in range(1, 41)
    ]
    write_table(pes, "exits", exits)
    write_table(
        pes, "participations", [{"enrolment_id": i, "person_key": f"P{i}", "measure": "ips"} for i in range(1, 41)]
    )
    write_table(pes, "enrolments", [{"enrolment_id": 99, "person_key": "P99"}])
    synth.write(folder, "stockholm", [2022, 2023], scale=0.003, seed=2, participants=pes)
    settings.PESTRACK_LMI_DIR, settings.PESTRACK_ANALYTICS_DIR = folder, pes
    page = client.get("/lmi/dashboard/?period=2023", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Durability: in work after an exit to work" in page and "All exits to work" in page
    three = next(
        s
        for s in durability.durability(folder, pes, dt.date(2023, 12, 31))
        if s.horizon == 3 and s.breakdown == "total"
    )
    assert three.exits == 40
    assert f'<td class="num">40</td><td class="num">{three.share:.1f} %</td>' in page
    settings.PESTRACK_ANALYTICS_DIR = None
    (pes / "exits.parquet").rename(pes / "gone.parquet")
    assert "not set up on this server" in client.get("/lmi/dashboard/", HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_the_dashboard_says_where_training_does_not_meet_a_shortage(client, observatory, settings, tmp_path):
    from tests.lmi.test_shortages import registers as make_registers

    settings.PESTRACK_ANALYTICS_DIR = make_registers.__wrapped__(tmp_path)
    page = client.get("/lmi/dashboard/?period=2023", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Shortages: where training does not meet demand" in page
    section = page[page.index('id="shortages"') :]
    care = section[section.index("5 Service, care and shop sales workers") :].split("</tr>")[0]
    # 10 positions, 3 job-seekers (fewer than 5: suppressed), 1 course passed: the gap of 7 is not met
    assert '<td class="num">10</td><td class="num">&lt;5</td>' in care
    assert "<strong>training does not meet the gap</strong>" in care
    sv = client.get("/lmi/dashboard/?period=2023", HTTP_ACCEPT_LANGUAGE="sv").content.decode()
    assert "utbildningen täcker inte gapet" in sv


def test_the_dashboard_charts_the_pathways_and_shows_the_stored_comparison_without_matching(
    client, settings, tmp_path, world, monkeypatch
):
    import datetime as dt

    import pestrack.evaluation.run
    from pestrack.lmi import durability
    from pestrack.reports import lmi_pathways
    from pestrack.reports.formatting import number
    from tests.indicators.conftest import write_table

    pes, folder = tmp_path / "pes", tmp_path / "lmi"
    exits = [
        {
            "enrolment_id": i,
            "person_key": f"P{i}",
            "sex": "woman",
            "exit_date": dt.date(2022, 1 + i % 6, 10),
            "exit_outcome": "work" if i % 4 else "other",
        }
        for i in range(1, 61)
    ]
    write_table(pes, "exits", exits)
    write_table(
        pes, "participations", [{"enrolment_id": i, "person_key": f"P{i}", "measure": "ips"} for i in range(1, 61)]
    )
    write_table(pes, "enrolments", [{"enrolment_id": 99, "person_key": "P99"}])
    synth.write(folder, "stockholm", [2022, 2023], scale=0.003, seed=2, participants=pes)
    settings.PESTRACK_LMI_DIR, settings.PESTRACK_ANALYTICS_DIR = folder, pes
    page = client.get("/lmi/dashboard/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "No comparison with a matched group has been computed" in page
    section = page[page.index("Pathways after an exit</h3>") :]
    assert "<svg" in section and "In work, permanent contract" in section and "Nothing known" in section
    # the table beneath: month 3 as published from the pathways of the contract events
    rows = durability.pathways(folder, pes, dt.date(2023, 12, 31))
    (three,) = [m for m in lmi_pathways.published(rows, 5, 5) if m.month == 3]
    assert three.exits == 60
    assert '<tr><th scope="row">3</th><td class="num">60</td>' in section
    for state in lmi_pathways.STATES:
        shown = ".." if three.shares[state] is None else number(three.shares[state], 1, "en") + " %"
        assert f'<td class="num">{shown}</td>' in section.split('<th scope="row">3</th>')[1].split("</tr>")[0]

    # the comparison is read from what pestrack lmi compare stored, never computed on a page view
    def refuse(*args, **kwargs):
        raise AssertionError("the matching ran on a page view")

    monkeypatch.setattr(pestrack.evaluation.run, "run_evaluation", refuse)
    durability.store_comparisons(
        folder,
        dt.date(2023, 12, 31),
        12,
        [
            dict(measure="ips", horizon=12, treated=75.5, matched=50.0, difference=25.5, low=10.0, high=40.0)
            | dict(n_treated=42, n_control=80),
            dict(measure="sfi", horizon=12, treated=1.0, matched=1.0, difference=0.0, low=0.0, high=0.0)
            | dict(n_treated=3, n_control=3),
        ],
    )
    computed = durability.stored_comparisons(folder)["computed_at"][:16].replace("T", " ")
    page = client.get("/lmi/dashboard/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Compared with a matched group: in work 12 months after the exit" in page
    assert (
        '<th scope="row">ips</th><td class="num">40</td><td class="num">75.5 %</td><td class="num">50 %</td>'
        '<td class="num">25.5</td><td class="num">10 – 40</td>' in page
    )
    assert '<th scope="row">sfi</th><td class="num">&lt;5</td><td class="num">..</td>' in page
    assert f"Computed on {computed} by pestrack lmi compare, from what was known on 2023-12-31" in page
    older = client.get("/lmi/dashboard/?release=2023-06-30", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "It is not recomputed for the knowledge date chosen above." in older
    sv = client.get("/lmi/dashboard/", HTTP_ACCEPT_LANGUAGE="sv").content.decode()
    assert "Jämfört med en matchad grupp" in sv and "Vägar efter ett avslut" in sv and "75,5 %" in sv
