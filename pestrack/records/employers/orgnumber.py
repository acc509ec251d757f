"""Swedish organisation numbers (organisationsnummer): NNNNNN-NNNC with a Luhn check digit C.

The third digit is 2 or more for legal persons (it would be a month 01–12 in an identity number);
a sole trader's number is their personal identity number, which the persons import handles.
"""

from __future__ import annotations

import re

from pestrack.records.people.identity import check_digit, luhn_ok

_FORM = re.compile(r"^(?:16)?(\d{6})-?(\d{4})$")


class InvalidOrgNumber(ValueError):
    pass


def parse(text: str) -> str:
    """The number as NNNNNN-NNNN, or InvalidOrgNumber saying what is wrong."""
    value = (text or "").strip().replace(" ", "")
    m = _FORM.match(value)
    if not m:
        raise InvalidOrgNumber(f"{value!r} is not an organisation number (NNNNNN-NNNN)")
    digits = m[1] + m[2]
    if int(digits[2]) < 2:
        raise InvalidOrgNumber(f"{m[1]}-{m[2]}: the third digit must be 2 or more for an organisation")
    if not luhn_ok(digits):
        raise InvalidOrgNumber(f"{m[1]}-{m[2]}: the check digit is wrong (should be {check_digit(digits[:9])})")
    return f"{m[1]}-{m[2]}"


def make(nine_digits: str) -> str:
    """A valid number from its first nine digits (synthetic data, tests)."""
    return f"{nine_digits[:6]}-{nine_digits[6:]}{check_digit(nine_digits)}"
