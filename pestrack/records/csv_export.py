"""CSV files for spreadsheets: what Swedish Excel opens correctly and safely.

Semicolon-separated (Swedish Excel's list separator, since the comma is the decimal sign), UTF-8
with a byte-order mark (without it Excel reads the file as Windows-1252 and garbles å, ä, ö), and
every cell that a spreadsheet would take for a formula (starting with = + - @, or a tab or carriage
return before one) prefixed with an apostrophe, so that a value written by a user cannot run as a
formula on the reader's computer (CSV injection, OWASP).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from pestrack.records.spreadsheet import safe_cell

BOM = "\ufeff"


def neutralise(value) -> str:
    """The cell's text, with an apostrophe before it if a spreadsheet would read it as a formula
    (the one rule of records.spreadsheet.safe_cell)."""
    return safe_cell("" if value is None else str(value))


def spreadsheet_csv(header: Iterable[str], rows: Iterable[Iterable]) -> str:
    """The whole file as text (encode it as UTF-8): BOM, header, rows; every cell neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([neutralise(h) for h in header])
    writer.writerows([neutralise(v) for v in row] for row in rows)
    return BOM + buffer.getvalue()
