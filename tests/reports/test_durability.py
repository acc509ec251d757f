"""The annual report's durability section (docs/reports.md, "Durability of work after an exit"): on
hand-made exits and positions (``durability_data``) the shares in work at 3, 6, 12, 24 and 36 months
in total, by sex and by measure, the stored comparison with a matched group beside them, small cells
withheld, and nothing, or one "no data" line, without contract events. The report gets the figures
as data from its caller, which computes them with pestrack.lmi (reports never imports lmi)."""

from __future__ import annotations

import datetime as dt

import pytest
from typer.testing import CliRunner

from pestrack.cli import app
from pestrack.indicators.periods import period
from pestrack.lmi.durability import durability, store_comparisons, stored_comparisons
from pestrack.reports.annual import build
from pestrack.reports.durability import gather
from pestrack.reports.html import render
from tests.reports.test_annual import read_csv

pytestmark = pytest.mark.django_db  # the measures' names come from the profile's code lists

KNOWN = dt.date(2023, 12, 31)
COMPARED = {  # as pestrack lmi compare keeps it
    "measure": "ips",
    "horizon": 12,
    "treated": 75.0,
    "matched": 50.0,
    "difference": 25.0,
    "low": 5.24,
    "high": 44.76,
    "n_treated": 40,
    "n_control": 36,
}


def given(pes, lmi, year: int = 2023, code: str = "VB"):
    """What the command and the web pass the report: gathered with lmi's functions."""
    return gather(period(year, code), lmi, pes, durability, stored_comparisons)


def rows(report, lang: str = "sv") -> dict[str, list[str]]:
    return {g.label[lang]: cells for g, cells in report.durability.printed_rows(lang)}


def test_the_shares_in_work_after_an_exit_by_sex_and_measure(durability_data):
    pes, lmi = durability_data
    report = build(2023, "VB", pes, "stockholm", durability=given(pes, lmi))
    section = report.durability
    assert (section.known_on, section.exits_from) == (KNOWN, dt.date(2022, 1, 1))
    assert section.header("sv")[:2] == ["3 mån: avslut", "3 mån: andel i arbete"]
    # per horizon 3, 6, 12, 24, 36: exits followed, share in work; the 2021 exit is not counted
    assert rows(report) == {
        "Alla avslut till arbete": ["10", "80 %", "10", "60 %", "10", "50 %", "0", "–", "0", "–"],
        "Kvinnor": ["5", "100 %", "5", "80 %", "5", "60 %", "0", "–", "0", "–"],
        "Män": ["5", "60 %", "5", "40 %", "5", "40 %", "0", "–", "0", "–"],
        "Insats: Matchning": ["6", "83,3 %", "6", "50 %", "6", "33,3 %", "0", "–", "0", "–"],
        "Insats: IPS – individanpassat stöd till arbete": ["4", "75 %", "4", "75 %", "4", "75 %", "0", "–", "0", "–"],
    }
    assert rows(report, "en")["Measure: Job matching"][:2] == ["6", "83.3%"]
    page = render(report, "sv")
    assert "<h2>Varaktighet i arbete efter avslut till arbete</h2>" in page
    assert "Kunskapsdag: 2023-12-31." in page and "Källa: kontraktshändelser" in page
    assert "från och med 2022-01-01" in page
    assert "Ingen jämförelse med en matchad grupp har beräknats" in page


def test_the_matched_comparison_is_printed_beside_as_stored(durability_data, tmp_path):
    pes, lmi = durability_data
    store_comparisons(lmi, KNOWN, 12, [COMPARED], dt.date(2022, 1, 1))
    report = build(2023, "VB", pes, "stockholm", durability=given(pes, lmi))
    ((compared, cells),) = report.durability.compared_rows("sv")
    assert compared.label["sv"] == "IPS – individanpassat stöd till arbete"
    assert cells == ["40", "75 %", "50 %", "25", "5,2 – 44,8"]
    assert report.durability.compared_rows("en")[0][1] == ["40", "75%", "50%", "25", "5.2 – 44.8"]
    notes = " ".join(report.durability.compared_notes("sv"))
    assert "12 månader efter avslutet" in notes and "utifrån det som var känt 2023-12-31" in notes
    assert "kör pestrack lmi compare igen" not in notes  # the same exits as the shares
    page = render(report, "en")
    assert "Does work last longer after the measure?" in page and '<td class="n">5.2 – 44.8</td>' in page

    # a comparison kept before it counted only the exits the events cover says so; another day too
    store_comparisons(lmi, dt.date(2023, 6, 30), 12, [COMPARED])
    notes = build(2023, "VB", pes, "stockholm", durability=given(pes, lmi)).durability.compared_notes("sv")
    assert "Jämförelsen avser kunskapsdagen 2023-06-30, inte 2023-12-31 som andelarna ovan." in notes
    assert any("räknar också avslut före 2022-01-01" in n for n in notes)


def test_small_cells_are_withheld_as_in_every_published_table(durability_data):
    pes, lmi = durability_data
    store_comparisons(lmi, KNOWN, 12, [{**COMPARED, "n_treated": 4}], dt.date(2022, 1, 1))
    report = build(2023, "VB", pes, "stockholm", suppress_below=5, durability=given(pes, lmi))
    got = rows(report)
    assert got["Alla avslut till arbete"][:6] == ["10", "80 %", "10", "60 %", "10", "50 %"]
    # IPS: 4 exits; matching withheld with it, or 10 − 6 would give IPS's count and shares away
    assert got["Insats: IPS – individanpassat stöd till arbete"][:2] == ["<5", ".."]
    assert got["Insats: Matchning"][:2] == ["..", ".."]
    assert got["Kvinnor"][:2] == ["5", "100 %"] and got["Män"][:2] == ["5", "60 %"]  # 5 exits each: shown
    ((_, cells),) = report.durability.compared_rows("sv")
    assert cells == ["<5", "..", "50 %", "..", ".."]  # the matched group (36) is shown, the difference not
    page = render(report, "sv")
    assert "83,3 %" not in page and "75 %" not in page
    assert rows(build(2023, "VB", pes, "stockholm", suppress_below=7, durability=given(pes, lmi)))["Kvinnor"][:2] == [
        "<7",
        "..",
    ]  # and the men's with them (5 and 5 of 10)


def test_every_format_carries_the_section(durability_data, tmp_path):
    from openpyxl import load_workbook

    from pestrack.reports.pdf import story
    from pestrack.reports.pdf_tags import Tagged
    from pestrack.reports.writers import WRITERS

    pes, lmi = durability_data
    report = build(2023, "VB", pes, "stockholm", durability=given(pes, lmi))
    WRITERS["csv"](report, tmp_path / "vb.csv", "sv")
    lines = {r["indicator"]: r for r in read_csv(tmp_path / "vb.csv") if r["goal_id"] == "durability"}
    total = lines["Andel i arbete 3 mån efter avslut till arbete, känt 2023-12-31"]
    assert (total["outcome"], total["outcome_men"], total["outcome_women"]) == ("80 %", "60 %", "100 %")
    assert total["source"] == "contract_events" and total["period"] == "VB 2023"
    assert lines["Avslut till arbete som följts 12 mån, känt 2023-12-31: Insats: Matchning"]["outcome"] == "6"
    WRITERS["xlsx"](report, tmp_path / "vb.xlsx", "en")
    sheet = load_workbook(tmp_path / "vb.xlsx")["Durability"]
    assert [c.value for c in sheet[2]][:7] == ["All exits to work", 10, 80, 10, 60, 10, 50]
    assert sheet["C2"].number_format == '#,##0.0"%"'
    WRITERS["pdf"](report, tmp_path / "vb.pdf", "sv")
    assert (tmp_path / "vb.pdf").read_bytes().startswith(b"%PDF")
    flow = story(report, "sv")
    texts = [f.text for f in flow if isinstance(f, Tagged)]
    cells = [c.text for f in flow if hasattr(f, "_cellvalues") for row in f._cellvalues for c in row if c]
    assert "Varaktighet i arbete efter avslut till arbete" in texts
    at = next(i for i, c in enumerate(cells) if c.strip() == "Insats: Matchning")
    assert cells[at + 1 : at + 3] == ["6", "83,3 %"]


def test_without_contract_events_the_report_says_nothing_or_that_they_are_missing(durability_data, tmp_path):
    pes, lmi = durability_data
    plain = build(2023, "VB", pes, "stockholm")
    assert plain.durability is None and "Varaktighet" not in render(plain, "sv")
    empty = tmp_path / "no-events"
    empty.mkdir()
    report = build(2023, "VB", pes, "stockholm", durability=given(pes, empty))
    page = render(report, "sv")
    assert "<h2>Varaktighet i arbete efter avslut till arbete</h2>" in page
    assert "<p>Uppgift saknas: det finns inga kontraktshändelser.</p>" in page
    assert "<table>" not in page.split("Varaktighet i arbete")[1]
    # a period that ends before the events begin, and one whose exits cannot be followed yet
    early = build(2021, "VB", pes, "stockholm", durability=given(pes, lmi, 2021))
    assert early.durability.missing_line("en") == "No data: the contract events begin after the period."
    t1 = build(2022, "T1", pes, "stockholm", durability=given(pes, lmi, 2022, "T1"))
    assert t1.durability.missing == "no_exits"  # known on 30 April 2022: March's exits not 3 months old
    # a report of some units has no section: the durability is the whole organisation's
    scoped = build(2023, "VB", pes, "stockholm", units=["/stockholm/"], durability=given(pes, lmi))
    assert scoped.durability is None


def test_the_command_adds_the_section_from_a_contract_event_folder(durability_data, tmp_path):
    pes, lmi = durability_data
    out = tmp_path / "vb.html"
    args = ["report", "annual", "--year", "2023", "--data", str(pes), "--out", str(out), "--profile", "stockholm"]
    args += ["--suppress-below", "0"]
    result = CliRunner().invoke(app, [*args, "--lmi-data", str(lmi)])
    assert result.exit_code == 0, result.output
    assert "durability of work after an exit as known on 2023-12-31" in result.output
    assert '<td class="n">83,3 %</td>' in out.read_text(encoding="utf-8")
    missing = CliRunner().invoke(app, [*args, "--lmi-data", str(tmp_path / "nowhere")])
    assert missing.exit_code == 2 and "--lmi-data" in missing.output and "no such folder" in missing.output


def test_exits_without_a_measure_and_unknown_codes_are_named_plainly():
    from pestrack.reports.durability import Given, Share, publish

    shares = (
        Share(3, "total", None, 30, 15),
        Share(3, "measure", "(none)", 10, 5),
        Share(3, "measure", "retired_code", 20, 10),
    )
    section = publish(Given(KNOWN, dt.date(2022, 1, 1), shares), 0, {"matching": {"sv": "Matchning", "en": "x"}})
    labels = [g.label["sv"] for g in section.groups]
    assert labels == ["Alla avslut till arbete", "Insats: retired_code", "Utan insats"]  # without a measure last
    assert [g.label["en"] for g in section.groups][2] == "Without a measure"
