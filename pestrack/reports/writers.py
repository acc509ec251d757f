"""Every output format of the annual report, by name: ``WRITERS[fmt](report, path, lang)``.
The command line and the web application's download both go through this table."""

from __future__ import annotations

from pestrack.reports.annual import write_csv
from pestrack.reports.html import write_html
from pestrack.reports.pdf import write_pdf
from pestrack.reports.xlsx import write_xlsx

WRITERS = {"html": write_html, "pdf": write_pdf, "xlsx": write_xlsx, "csv": write_csv}
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
