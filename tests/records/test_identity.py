"""Identity numbers: validation, normalisation, encryption at rest and look-up by keyed hash."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pestrack.records.people import identity
from pestrack.records.people.identity import InvalidIdentityNumber, parse

TODAY = dt.date(2026, 11, 23)


@pytest.mark.parametrize(
    "text, digits",
    [
        ("19811218-9876", "198112189876"),
        ("198112189876", "198112189876"),
        ("811218-9876", "198112189876"),
        ("121212-1212", "201212121212"),  # two-digit year: the latest year not in the future
        ("121212+1212", "191212121212"),  # '+': a person aged 100 or more
    ],
)
def test_accepts_the_usual_forms(text, digits):
    assert parse(text, today=TODAY).digits == digits


def test_coordination_number_day_plus_sixty():
    text = identity.make_number(dt.date(1981, 12, 18), 987, coordination=True)
    assert text.startswith("19811278-")
    n = parse(text, today=TODAY)
    assert n.is_coordination_number
    assert n.birth_date == dt.date(1981, 12, 18)


@pytest.mark.parametrize(
    "text, reason",
    [
        ("19811218-9875", "check digit"),
        ("19810230-1234", "not a date"),
        ("1981-12-18", "not of the form"),
        ("abc", "not of the form"),
        ("", "not of the form"),
        ("20991218-0000", "future"),
        ("19811218+9876", "only used with a two-digit year"),
    ],
)
def test_rejects_bad_numbers_with_the_reason(text, reason):
    with pytest.raises(InvalidIdentityNumber, match=reason):
        parse(text, today=TODAY)


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY), st.integers(0, 999), st.booleans())
def test_generated_numbers_round_trip(birth, serial, coordination):
    text = identity.make_number(birth, serial, coordination)
    n = parse(text, today=TODAY)
    assert n.birth_date == birth and n.is_coordination_number == coordination
    assert str(n) == text


@given(st.text(alphabet="0123456789", min_size=10, max_size=10))
def test_one_changed_digit_breaks_the_check_digit(ten):
    if not identity.luhn_ok(ten):
        return
    changed = ten[:9] + str((int(ten[9]) + 1) % 10)
    assert not identity.luhn_ok(changed)


def test_encryption_round_trip_and_no_clear_text():
    n = parse("19811218-9876")
    token = identity.encrypt(n)
    assert "198112189876" not in token and "9876" not in token
    assert identity.decrypt(token) == "198112189876"
    assert identity.encrypt(n) != token  # a fresh nonce each time: equal numbers do not look equal


def test_lookup_hash_is_keyed_and_stable(settings):
    n = parse("19811218-9876")
    h1 = identity.lookup_hash(n)
    assert h1 == identity.lookup_hash("811218-9876")  # any accepted form finds the same person
    settings.PESTRACK_IDENTITY_KEY = "another key"
    assert identity.lookup_hash(n) != h1  # without the key the hash cannot be recomputed


def test_decrypt_with_the_wrong_key_fails(settings):
    token = identity.encrypt(parse("19811218-9876"))
    settings.PESTRACK_IDENTITY_KEY = "another key"
    with pytest.raises(Exception):  # noqa: B017 - cryptography's InvalidTag, whatever the library calls it
        identity.decrypt(token)


@pytest.mark.django_db
def test_person_stores_number_only_encrypted_and_is_found_by_it(profile):
    from django.db import connection

    from pestrack.records.people.models import Person

    p = Person(first_name="Test", last_name="Person", birth_date=dt.date(1981, 12, 18), sex="man", municipality="0180")
    p.set_identity_number("19811218-9876")
    p.save()
    assert Person.find_by_identity_number("811218-9876") == p
    assert p.identity_number == "19811218-9876"
    with connection.cursor() as cur:
        cur.execute("SELECT pin_hash, pin_encrypted FROM people_person")
        stored = " ".join(cur.fetchone())
    assert "9876" not in stored and "811218" not in stored
