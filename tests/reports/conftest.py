"""A small folder of analytics tables for the report tests (every table present, a few exits)."""

from __future__ import annotations

import datetime as dt

import pytest

from pestrack.analytics.schema import DAYS_PER_MONTH, TABLES
from tests.indicators.conftest import write_table

D = dt.date


def exit_row(year: int, sex: str, outcome: str, months: float = 6.0) -> dict:
    days = round(months * DAYS_PER_MONTH)  # whole days, the months derived from them as the extract does
    return {
        "sex": sex,
        "exit_date": D(year, 6, 1),
        "exit_outcome": outcome,
        "exit_reason": outcome if outcome != "other" else "moved",
        "duration_days": days,
        "duration_months": days / DAYS_PER_MONTH,
        "age_at_exit": 40,
        "age_band_at_exit": "30-49",
    }


@pytest.fixture
def report_data(tmp_path):
    """2023: four Jobbtorg exits (3 to work: 2 of 2 men, 1 of 2 women, months 6, 8, 10, 12);
    2022: two exits, one to work. Other tables empty."""
    data = tmp_path / "data"
    for t in TABLES:
        write_table(data, t.name, [])
    write_table(
        data,
        "exits",
        [
            exit_row(2023, "man", "work", 6),
            exit_row(2023, "man", "work", 8),
            exit_row(2023, "woman", "work", 10),
            exit_row(2023, "woman", "other", 12),
            exit_row(2022, "woman", "work"),
            exit_row(2022, "man", "other"),
        ],
    )
    return data
