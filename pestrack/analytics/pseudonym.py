"""The pseudonymous person id of the analytics tables: defined in records (records/people/pseudonym.py),
where access.py also needs it, and imported from here by the analytics code."""
from pestrack.records.people.pseudonym import (  # noqa: F401
    BITS, DIGITS, FORMAT, LENGTH, is_person_key, key_for_identity_number, person_key,
)
