"""The pseudonymous person id of the analytics tables (a keyed hash; records owns it, as access.py
maps keys back to persons for caseworkers; analytics/pseudonym.py re-exports it)."""

from __future__ import annotations

import hashlib
import hmac
import re

from django.conf import settings

DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
LENGTH = 12
BITS = 71  # 62**12 > 2**71: the first 71 bits of the HMAC, written in 12 letters and digits
FORMAT = re.compile(f"[0-9A-Za-z]{{{LENGTH}}}")


def person_key(pin_hash: str) -> str:
    """Keyed hash of a person's identity-number look-up hash (itself a keyed hash of the number).

    The same person gets the same key in every extract, and a register file with identity numbers
    is pseudonymised to the same keys with ``key_for_identity_number``; without
    ``PESTRACK_PSEUDONYM_KEY`` the keys cannot be linked back to the records.

    Twelve letters and digits (71 bits of the HMAC-SHA256): short enough for DuckDB to keep a key
    inside its string header (12 bytes at most), which makes the distinct counts of persons about a
    quarter faster than 32 hex digits did, with two persons sharing a key less likely than 1 in
    10**9 among a million persons. Letters and digits only, so that no spreadsheet takes a key for a
    formula.
    """
    digest = hmac.new(settings.PESTRACK_PSEUDONYM_KEY.encode(), pin_hash.encode(), hashlib.sha256).digest()
    n = int.from_bytes(digest[:9], "big") >> (72 - BITS)
    out = []
    for _ in range(LENGTH):
        n, d = divmod(n, len(DIGITS))
        out.append(DIGITS[d])
    return "".join(reversed(out))


def is_person_key(text: str) -> bool:
    return FORMAT.fullmatch(text) is not None


def key_for_identity_number(number: str) -> str:
    from pestrack.records.people.identity import lookup_hash

    return person_key(lookup_hash(number))
