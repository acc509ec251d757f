"""The Jobbtorg target-group table (persons enrolled during the year, hand-counted), small-cell
suppression, and the PDF and XLSX outputs."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from pestrack.cli import app
from pestrack.indicators.compile import TOTAL
from pestrack.indicators.compute import Result
from pestrack.indicators.definitions import DefinitionErrors, load_definitions
from pestrack.reports.annual import build, suppressed
from pestrack.reports.html import render
from pestrack.reports.tables import load_tables
from pestrack.reports.writers import WRITERS
from tests.indicators.conftest import write_table

D = dt.date
PROFILE = Path(__file__).resolve().parents[2] / "profiles" / "stockholm"


def enrolment(person: str, sex: str, group: str, start: dt.date, end: dt.date | None = None) -> dict:
    return {
        "person_key": person,
        "sex": sex,
        "target_group": group,
        "start_date": start,
        "end_date": end,
        "exit_reason": "work" if end else None,
        "exit_outcome": "work" if end else None,
    }


@pytest.fixture
def enrolled(report_data):
    """2023: p1 (woman, social assistance, open since 2022), p2 (man, social assistance, ended
    2023-03) then p2 again in Stockholmsjobb from 2023-04 (one person, two rows), p3 (woman, LSS),
    p4 (man, KAA, ended 2022: not in 2023), p5 (man, 20-29, starts 2024: not in 2023); another
    programme's enrolment (p6) does not count."""
    write_table(
        report_data,
        "enrolments",
        [
            enrolment("p1", "woman", "forsorjningsstod", D(2022, 5, 1)),
            enrolment("p2", "man", "forsorjningsstod", D(2022, 9, 1), D(2023, 3, 31)),
            enrolment("p2", "man", "stockholmsjobb", D(2023, 4, 1)),
            enrolment("p3", "woman", "ovriga_lss", D(2023, 12, 31)),
            enrolment("p4", "man", "kaa", D(2021, 1, 1), D(2022, 12, 31)),
            enrolment("p5", "man", "uvas_20_29", D(2024, 1, 1)),
            {**enrolment("p6", "woman", "forsorjningsstod", D(2023, 2, 1)), "programme": "other"},
        ],
    )
    return report_data


def table_cells(report) -> dict[str, dict]:
    (result,) = report.tables
    return {row.label["sv"]: cells for row, cells in zip(result.table.rows, result.cells)}


def test_target_group_table_counts_persons_enrolled_during_the_year(enrolled):
    t = table_cells(build(2023, "VB", enrolled))
    assert (
        t["Försörjningsstöd"]["women_now"],
        t["Försörjningsstöd"]["men_now"],
        t["Försörjningsstöd"]["total_now"],
    ) == (1, 1, 2)
    assert t["Stockholmsjobb"]["total_now"] == 1 and t["KAAs"]["total_now"] == 0 and t["Ingång 20-29"]["total_now"] == 0
    assert (
        t["Övriga målgrupper"]["total_now"] == 1 and t["varav LSS, Socialpsykiatri, gymnasiesärskola"]["total_now"] == 1
    )
    # the total cell adds the five groups; women and men also add the subset row, as published
    assert t["Totalt inskrivna"]["total_now"] == 4
    assert (t["Totalt inskrivna"]["women_now"], t["Totalt inskrivna"]["men_now"]) == (3, 2)
    assert (t["Totalt unika individer"]["total_now"], t["Totalt unika individer"]["women_now"]) == (3, 2)
    # 2022: p1, p2 (social assistance) and p4 (KAA)
    assert (
        t["Försörjningsstöd"]["total_prev"],
        t["KAAs"]["total_prev"],
        t["Totalt unika individer"]["total_prev"],
    ) == (2, 1, 3)


def test_target_group_table_in_html_with_swedish_numbers(enrolled):
    page = render(build(2023, "VB", enrolled), "sv")
    assert '<section class="table"><h2>A. Jobbtorg – A.a Inskrivna</h2>' in page
    assert '<th scope="col">Kvinna VB 2023</th><th scope="col">Kvinna VB 2022</th>' in page
    assert '<th scope="row">Totalt unika individer</th><td class="n">2</td><td class="n">1</td>' in page


@pytest.mark.parametrize(
    "value, denominator, expected",
    [
        (3.0, None, "<5"),
        (4.0, None, "<5"),
        (5.0, None, 5.0),
        (0.0, None, 0.0),
        (50.0, 4.0, ".."),
        (50.0, 5.0, 50.0),
        (None, 0.0, ".."),
    ],
)
def test_small_cells_are_suppressed(value, denominator, expected):
    r = Result("x", "VB 2023", TOTAL, None, value, value, denominator)
    assert suppressed(r, 5) == expected
    assert suppressed(r, 0) == value


def test_suppression_in_the_report_and_its_sums(enrolled):
    report = build(2023, "VB", enrolled, suppress_below=3)
    t = table_cells(report)
    assert t["Försörjningsstöd"]["total_now"] == "<3" and t["KAAs"]["total_now"] == 0
    assert t["Totalt inskrivna"]["total_now"] == ".."  # a sum beside a suppressed part is withheld
    share = next(r for r in report.rows if r.indicator and r.indicator.id == "jobbtorg_exit_work_or_studies")
    assert share.values["men"] == ".." and share.values["outcome"] == 75.0 and share.fulfilment == "met"
    assert share.values["women"] == ".."  # secondary: the total minus the women would give the men away
    assert '<td class="n">&lt;3</td>' in render(report, "sv")
    assert "ytterligare en kategori där en dold kategori annars kunde räknas fram ur totalen" in render(report, "sv")
    withheld = build(2023, "VB", enrolled, suppress_below=5)  # 4 exits in all: no outcome, no mark
    share = next(r for r in withheld.rows if r.indicator and r.indicator.id == "jobbtorg_exit_work_or_studies")
    assert share.values["outcome"] == ".." and share.fulfilment is None


def test_xlsx_has_numbers_with_units_and_every_table(enrolled, tmp_path):
    out = tmp_path / "vb.xlsx"
    WRITERS["xlsx"](build(2023, "VB", enrolled), out, "sv")
    wb = load_workbook(out)
    assert wb.sheetnames == ["Indikatorer", "Mål", "Aktiviteter", "jobbtorg_target_groups"]
    ws = wb["Indikatorer"]
    header = [c.value for c in ws[1]]
    assert header[:4] == ["goal_id", "Indikator", "Periodens utfall", "Utfall män"]
    row = next(
        r
        for r in ws.iter_rows(min_row=2)
        if r[1].value.startswith("Andel kvinnor och män som har avslutats från Jobbtorg")
    )
    assert row[2].value == 75.0 and row[2].number_format.endswith('" %"')  # 3 of 4 exits, a number
    table = wb["jobbtorg_target_groups"]
    assert [c.value for c in table[1]][:3] == ["Målgrupp", "Kvinna VB 2023", "Kvinna VB 2022"]
    assert [c.value for c in table[table.max_row]] == ["Totalt unika individer", 2, 1, 1, 2, 3, 3]
    assert len(wb["Mål"]["A"]) == 24  # heading + 23 goals


def test_pdf_is_a_document_with_the_report(enrolled, tmp_path):
    out = tmp_path / "vb.pdf"
    WRITERS["pdf"](build(2023, "VB", enrolled), out, "en")
    data = out.read_bytes()
    assert data.startswith(b"%PDF-") and b"/Title (Annual report VB 2023)" in data and len(data) > 20_000
    if shutil.which("pdftotext"):  # poppler, when installed: the words are in the document
        import subprocess

        text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
        assert "Unique individuals in total" in text and "Annual report VB 2023" in text


def test_command_writes_every_format(enrolled, tmp_path):
    runner = CliRunner()
    for fmt in ("pdf", "xlsx"):
        out = tmp_path / f"vb.{fmt}"
        result = runner.invoke(
            app,
            [
                "report",
                "annual",
                "--year",
                "2023",
                "--format",
                fmt,
                "--data",
                str(enrolled),
                "--out",
                str(out),
                "--suppress-below",
                "3",
            ],
        )
        assert result.exit_code == 0, result.output
        assert out.stat().st_size > 1000


def test_table_definitions_are_checked(tmp_path):
    profile = tmp_path / "p"
    shutil.copytree(PROFILE, profile)
    (profile / "tables.yaml").write_text(
        "- id: t\n  title: T\n  label: L\n  rows:\n"
        "    - indicator: no_such_indicator\n"
        "    - sum: [jobbtorg_enrolled_kaa]\n"
        "    - indicator: jobbtorg_exit_work_or_studies\n"
        "    - {indicator: jobbtorg_enrolled_kaa, colour: red}\n",
        encoding="utf-8",
    )
    with pytest.raises(DefinitionErrors) as exc:
        load_tables(profile, {i.id: i for i in load_definitions(profile)})
    text = str(exc.value)
    assert f"{profile / 'tables.yaml'}:5: unknown indicator 'no_such_indicator'" in text
    assert ":6: a sum row needs a label" in text
    assert ":7: indicator 'jobbtorg_exit_work_or_studies' must be a count with the breakdown sex" in text
    assert ":8: unknown row field 'colour'" in text
