"""Reporting periods. A period is the dates from ``start`` to ``end`` inclusive:

- ``VB`` the year (verksamhetsberättelse, the annual report), ``T1`` January–April and ``T2``
  January–August (the tertial reports: both count from January 1),
- ``Q1``–``Q4`` quarters, ``M01``–``M12`` months.

A follow-up window moves with the period: it holds the ``months`` months that end ``lag_months``
before the period's end (``{months: 12, lag_months: 6}`` for VB 2023 is 2022-07-01 – 2023-06-30;
for T1 2023 it is 2021-11-01 – 2022-10-31).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from pestrack.indicators.definitions import Window

TERTIAL_END_MONTH = {"T1": 4, "T2": 8}


@dataclass(frozen=True)
class Period:
    label: str  # e.g. "VB 2023", "T1 2023", "Q2 2023", "M03 2023"
    start: dt.date
    end: dt.date  # inclusive


def _first_of_month(year: int, month: int) -> dt.date:
    """The first day of ``month`` (any integer, counted from January of ``year``)."""
    year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    return dt.date(year, month, 1)


def period(year: int, code: str = "VB") -> Period:
    code = code.upper()
    if code == "VB":
        first, last = 1, 12
    elif code in TERTIAL_END_MONTH:
        first, last = 1, TERTIAL_END_MONTH[code]
    elif re.fullmatch(r"Q[1-4]", code):
        q = int(code[1])
        first, last = 3 * q - 2, 3 * q
    elif re.fullmatch(r"M(0[1-9]|1[0-2])", code):
        first = last = int(code[1:])
    else:
        raise ValueError(f"unknown period {code!r}: VB, T1, T2, Q1–Q4 or M01–M12")
    return Period(f"{code} {year}", dt.date(year, first, 1), _first_of_month(year, last + 1) - dt.timedelta(days=1))


def window_dates(p: Period, window: Window | None) -> tuple[dt.date, dt.date]:
    """First and last day (inclusive) of the rows an indicator counts in period ``p``."""
    if window is None:
        return p.start, p.end
    end_exclusive = _first_of_month(p.end.year, p.end.month + 1 - window.lag_months)
    start = _first_of_month(end_exclusive.year, end_exclusive.month - window.months)
    return start, end_exclusive - dt.timedelta(days=1)
