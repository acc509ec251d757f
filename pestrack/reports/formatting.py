"""Cells as the report prints them: Swedish ``75,02 %``, ``1 063 st``, ``9,1 mån``; English
``75.02%``, ``1,063``, ``9.1 months``. Values are rounded to the indicator's precision and trailing
zeros dropped, as the 2023 report does (``80 %``, ``62,5 %`` beside ``62,65 %``).

The one place numbers are turned into text for people: the report files, and the results pages
(``printed``, ``count``), so a value prints the same on the dashboard, the indicator page, its charts'
tables and the report. The API gives numbers."""

from __future__ import annotations

from pestrack.indicators.definitions import Indicator
from pestrack.indicators.fulfilment import rounded

UNIT_SUFFIX = {
    "sv": {"percent": " %", "count": " st", "months": " mån"},
    "en": {"percent": "%", "months": " months"},
}


def number(value: float, precision: int, lang: str = "sv") -> str:
    """``value`` at ``precision`` decimals without trailing zeros, with the language's separators."""
    text = f"{rounded(value, precision):,.{precision}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in ("-0", ""):
        text = "0"
    if lang == "sv":
        text = text.replace(",", " ").replace(".", ",")
    return text


def cell(value, unit: str | None, precision: int, lang: str = "sv") -> str:
    """A table cell: a number with its unit (None: a bare number), a text as written, nothing for None."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return number(value, precision, lang) + (UNIT_SUFFIX[lang].get(unit, "") if unit else "")


# Which report cell a value of the results pages is printed as: the total as the outcome, a breakdown's
# category as the men's and women's cells (Indicator.precision_of).
TOTAL_CELL, CATEGORY_CELL = "outcome", "men"


def printed(ind: Indicator, v, lang: str = "sv", cell_name: str = TOTAL_CELL) -> str:
    """A value of indicator ``ind`` as printed in report cell ``cell_name`` (its precision and unit),
    a disclosure marker as it is, "" for None."""
    return cell(v, ind.cell_unit(cell_name), ind.precision_of(cell_name), lang)


def count(v, lang: str = "sv") -> str:
    """A count of persons or rows: ``4 196`` (Swedish), ``4,196`` (English); "" for None."""
    return "" if v is None else number(v, 0, lang)
