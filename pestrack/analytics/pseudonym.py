"""The pseudonymous person id of the analytics tables: defined in records (records/people/pseudonym.py),
where access.py also needs it, and imported from here by the analytics code."""

from pestrack.records.people.pseudonym import (  # noqa: F401
    BITS,
    DIGITS,
    FORMAT,
    LENGTH,
    is_person_key,
    key_for_identity_number,
    person_key,
)


def opaque_id(column: str, value) -> str | None:
    """A record id as shown outside the records (the drill-down rows): a keyed hash of the column and
    the id, in the person key's form, so that the same enrolment shows the same id on every page but
    the id cannot be typed into the admin or the API to find the record."""
    return None if value is None else person_key(f"{column}:{value}")
