"""A report computed for a subset of units: its values are compared only with targets set for that
subset, it says which units it covers, and it carries none of the city's analyses."""

from __future__ import annotations

import csv
import dataclasses

from openpyxl import load_workbook

from pestrack.reports.annual import build, load_report_profile, write_csv
from pestrack.reports.html import render
from pestrack.reports.writers import WRITERS

CITY = "/stockholm/amf/jobbtorg/jt-city/"
SHARE = "jobbtorg_exit_work_or_studies"  # 3 of 4 exits to work in 2023 (75 %), own target 60


def row(report, ind_id=SHARE):
    return next(r for r in report.rows if r.indicator and r.indicator.id == ind_id)


def with_unit_target(target: float):
    loaded = load_report_profile("stockholm")
    ind = loaded.defined[SHARE]
    targets = {**ind.targets, 2023: {**ind.targets[2023], "units": {"jt-city": target}}}
    loaded.defined[SHARE] = dataclasses.replace(ind, targets=targets)
    return loaded


def test_a_units_value_is_not_compared_with_the_city_wide_target(report_data):
    assert row(build(2023, "VB", report_data)).fulfilment == "met"  # 75 % against the city's 60
    unit = row(build(2023, "VB", report_data, units=[CITY]))
    assert unit.values["outcome"] == 75.0 and unit.fulfilment is None and unit.not_compared
    cells = unit.cells(2023, "sv")
    assert cells["outcome"] == "75 %" and cells["target"] == "" and cells["kf_target"] == ""
    assert cells["fulfilment"] == "Jämförs inte: årsmålet gäller hela staden, inte enheten"
    assert (
        unit.cells(2023, "en")["fulfilment"]
        == "Not compared: the annual target is set for the whole city, not the unit"
    )


def test_a_units_value_is_compared_with_the_units_own_target(report_data):
    unit = row(build(2023, "VB", report_data, units=[CITY], loaded=with_unit_target(90)))
    assert unit.fulfilment == "not_met" and not unit.not_compared
    assert unit.cells(2023, "sv")["target"] == "90 %"
    assert row(build(2023, "VB", report_data, units=[CITY], loaded=with_unit_target(70))).fulfilment == "met"
    assert row(build(2023, "VB", report_data, loaded=with_unit_target(90))).fulfilment == "met"  # the city: 60


def test_a_units_report_says_its_units_and_carries_no_city_analysis(report_data, tmp_path):
    city = build(2023, "VB", report_data)
    analysis = next(r.analysis for r in city.rows if r.analysis)
    assert analysis[:40] in render(city, "sv")
    unit = build(2023, "VB", report_data, units=[CITY])
    page = render(unit, "sv")
    assert "Omfattar endast enheterna: jt-city" in page and analysis[:40] not in page
    assert all(s["assessment"] is None for s in unit.statuses.values())
    write_csv(unit, tmp_path / "unit.csv")
    with open(tmp_path / "unit.csv", encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f, delimiter=";"))
    assert {r["units"] for r in rows} == {"jt-city"}
    WRITERS["xlsx"](unit, tmp_path / "unit.xlsx", "en")
    texts = [c.value for r in load_workbook(tmp_path / "unit.xlsx").worksheets[0].iter_rows() for c in r]
    assert "Covers only the units: jt-city" in texts and analysis not in texts


def test_every_output_says_which_rows_are_computed_and_which_reported(report_data, tmp_path):
    report = build(2023, "VB", report_data)
    write_csv(report, tmp_path / "vb.csv")
    with open(tmp_path / "vb.csv", encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f, delimiter=";"))
    sources = [r["source"] for r in rows]
    reported = [s for s in sources if s not in ("computed", "")]
    assert len(reported) == 16 and "computed" in sources  # 16 of the 44 rows of 2023 are reported
    assert "SCB, konjunkturstatistik över vakanser" in reported
    WRITERS["xlsx"](report, tmp_path / "vb.xlsx", "sv")
    sheet = load_workbook(tmp_path / "vb.xlsx").worksheets[0]
    column = [c.value for c in next(sheet.iter_cols(min_col=sheet.max_column, max_col=sheet.max_column))]
    assert (
        column[0] == "Källa"
        and "Beräknad ur registret" in column
        and "SCB, konjunkturstatistik över vakanser" in column
    )
    page = render(report, "sv")
    assert '<span class="source">† SCB, konjunkturstatistik över vakanser</span>' in page  # Swedish page: no lang mark
    assert "† Rapporterad från en annan källa, som anges efter märket." in page
    assert "† Reported from another source" in render(report, "en")
