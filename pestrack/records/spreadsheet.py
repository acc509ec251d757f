"""Text cells made safe for a spreadsheet: every CSV and XLSX file pestrack writes for people to open
(the rejects file, the access-log export, indicator results, the annual report, allocations) passes
its values through ``safe_cell`` or ``safe_row``.

A spreadsheet program reads a cell that begins with ``=``, ``+``, ``-`` or ``@`` as a formula, and
some also after a leading tab or carriage return: a value such as ``=HYPERLINK("http://…")`` or
``=cmd|' /C calc'!A0`` in a name would run when the file is opened ("CSV injection"). Such a text
gets a leading apostrophe, which spreadsheets show as text and never evaluate. Numbers, and text
that is just a number ("-12", "-0,5"), are left as they are.
"""

from __future__ import annotations

import re

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d[\d\s\u00a0]*)?([.,]\d+)?([eE][+-]?\d+)?%?")


def safe_cell(value):
    """``value``, or for a text that a spreadsheet would take for a formula, that text after ``'``."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _is_number(value):
        return "'" + value
    return value


def safe_row(values):
    """A row (list or dict of cells) with every cell passed through ``safe_cell``."""
    if isinstance(values, dict):
        return {k: safe_cell(v) for k, v in values.items()}
    return [safe_cell(v) for v in values]


def _is_number(text: str) -> bool:
    return any(ch.isdigit() for ch in text) and _NUMBER.fullmatch(text) is not None
