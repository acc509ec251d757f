"""The pseudonymous person id of the analytics tables."""
from __future__ import annotations

import hashlib
import hmac

from django.conf import settings


def person_key(pin_hash: str) -> str:
    """Keyed hash of a person's identity-number look-up hash (itself a keyed hash of the number).

    The same person gets the same key in every extract, and a register file with identity numbers
    is pseudonymised to the same keys with ``key_for_identity_number``; without
    ``PESTRACK_PSEUDONYM_KEY`` the keys cannot be linked back to the records.
    """
    return hmac.new(settings.PESTRACK_PSEUDONYM_KEY.encode(), pin_hash.encode(), hashlib.sha256).hexdigest()[:32]


def key_for_identity_number(number: str) -> str:
    from pestrack.records.people.identity import lookup_hash

    return person_key(lookup_hash(number))
