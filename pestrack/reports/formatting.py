"""Cells as the report prints them: Swedish ``75,02 %``, ``1 063 st``, ``9,1 mån``; English
``75.02%``, ``1,063``, ``9.1 months``. Values are rounded to the indicator's precision and trailing
zeros dropped, as the 2023 report does (``80 %``, ``62,5 %`` beside ``62,65 %``)."""

from __future__ import annotations

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


def cell(value, unit: str, precision: int, lang: str = "sv") -> str:
    """A table cell: a number with its unit, a text as written, nothing for None."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return number(value, precision, lang) + UNIT_SUFFIX[lang].get(unit, "")
