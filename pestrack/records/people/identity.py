"""Swedish personal identity numbers (personnummer) and coordination numbers (samordningsnummer).

``parse`` validates format, date and check digit and normalises to 12 digits (YYYYMMDDNNNN).
At rest a number is stored twice, never in clear: AES-GCM encrypted (to show it to someone
allowed) and as a keyed HMAC (to find a person by number). Both keys are derived from
``settings.PESTRACK_IDENTITY_KEY``, which lives in the environment, not in the database.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import os
import re
from dataclasses import dataclass
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def gettext_noop(message: str) -> str:
    """Marks a message for translation (gettext_noop, without importing Django here)."""
    return message


_PATTERN = re.compile(
    r"^(?P<century>\d{2})?(?P<yy>\d{2})(?P<mm>\d{2})(?P<dd>\d{2})(?P<sep>[-+]?)(?P<serial>\d{3})(?P<check>\d)$"
)


class InvalidIdentityNumber(ValueError):
    """The text is not a valid personal identity or coordination number; the message says why.

    ``str(exc)`` is English (logs, import reports, the command line); ``exc.translated()`` is the
    same message in the active language, for a form."""

    def __init__(self, message: str, **params):
        self.message, self.params = message, params
        super().__init__(message % params)

    def translated(self) -> str:
        from django.utils.translation import gettext

        return gettext(self.message) % self.params


@dataclass(frozen=True)
class IdentityNumber:
    digits: str  # 12 digits, YYYYMMDDNNNN (the day part + 60 for a coordination number)
    birth_date: dt.date
    is_coordination_number: bool

    def __str__(self) -> str:
        return f"{self.digits[:8]}-{self.digits[8:]}"

    @property
    def masked(self) -> str:
        return f"{self.digits[:8]}-XXXX"


_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)  # digit * 2, digits summed


def luhn_ok(ten_digits: str) -> bool:
    """The Luhn check over YYMMDDNNNC: every other digit from the first doubled."""
    d = [ord(c) - 48 for c in ten_digits]
    return (sum(_DOUBLED[x] for x in d[0::2]) + sum(d[1::2])) % 10 == 0


def check_digit(nine_digits: str) -> str:
    """The Luhn check digit for the first nine digits (YYMMDDNNN): the tenth digit is not doubled, so
    it is what brings the sum of the nine to a multiple of ten."""
    d = [ord(c) - 48 for c in nine_digits]
    return str(-(sum(_DOUBLED[x] for x in d[0::2]) + sum(d[1::2])) % 10)


def parse(text: str, today: dt.date | None = None) -> IdentityNumber:
    """Validate and normalise ``YYYYMMDD-NNNN``, ``YYYYMMDDNNNN``, ``YYMMDD-NNNN`` or ``YYMMDD+NNNN``."""
    raw = (text or "").strip()
    m = _PATTERN.match(raw)
    if not m:
        raise InvalidIdentityNumber(
            gettext_noop("%(number)s is not of the form YYYYMMDD-NNNN or YYMMDD-NNNN"), number=repr(raw)
        )
    today = today or dt.date.today()
    yy, mm, dd = m["yy"], int(m["mm"]), int(m["dd"])
    if m["century"]:
        if m["sep"] == "+":
            raise InvalidIdentityNumber(
                gettext_noop("%(number)s: '+' is only used with a two-digit year"), number=repr(raw)
            )
        year = int(m["century"] + yy)
    else:
        # YYMMDD-NNNN: the latest year not in the future; '+' marks a person aged 100 or more.
        year = (today.year // 100) * 100 + int(yy)
        if year > today.year:
            year -= 100
        if m["sep"] == "+":
            year -= 100
    coordination = dd > 60
    day = dd - 60 if coordination else dd
    try:
        birth = dt.date(year, mm, day)
    except ValueError:
        raise InvalidIdentityNumber(
            gettext_noop("%(number)s: %(date)s is not a date"), number=repr(raw), date=f"{year:04d}-{mm:02d}-{day:02d}"
        ) from None
    if birth > today:
        raise InvalidIdentityNumber(
            gettext_noop("%(number)s: birth date %(date)s is in the future"), number=repr(raw), date=birth.isoformat()
        )
    ten = yy + m["mm"] + m["dd"] + m["serial"] + m["check"]
    if not luhn_ok(ten):
        raise InvalidIdentityNumber(gettext_noop("%(number)s: check digit is wrong"), number=repr(raw))
    return IdentityNumber(f"{year:04d}{ten[2:]}", birth, coordination)


def make_number(birth: dt.date, serial: int, coordination: bool = False) -> str:
    """A valid number for a birth date and a three-digit serial (for synthetic data and tests)."""
    day = birth.day + (60 if coordination else 0)
    nine = f"{birth:%y%m}{day:02d}{serial:03d}"
    return f"{birth.year // 100:02d}{nine[:6]}-{nine[6:]}{check_digit(nine)}"


@lru_cache(maxsize=4)
def _keys(master: str) -> tuple[AESGCM, bytes]:
    """The cipher for encryption and the HMAC key for look-ups, both derived from the master key."""

    def derive(info: bytes) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"pestrack-identity", info=info).derive(master.encode())

    return AESGCM(derive(b"encryption")), derive(b"lookup")


def _master() -> str:
    from django.conf import settings

    return settings.PESTRACK_IDENTITY_KEY


def lookup_hash(number: IdentityNumber | str) -> str:
    """Keyed hash of the normalised number: the column a person is found by."""
    digits = number.digits if isinstance(number, IdentityNumber) else parse(number).digits
    return hmac.new(_keys(_master())[1], digits.encode(), hashlib.sha256).hexdigest()


def encrypt(number: IdentityNumber) -> str:
    nonce = os.urandom(12)
    ct = _keys(_master())[0].encrypt(nonce, number.digits.encode(), b"pin")
    return base64.b64encode(nonce + ct).decode()


def decrypt(token: str) -> str:
    """The 12 digits of an encrypted number (raises if the key is wrong or the data altered)."""
    blob = base64.b64decode(token)
    return _keys(_master())[0].decrypt(blob[:12], blob[12:], b"pin").decode()


def format_digits(digits: str) -> str:
    return f"{digits[:8]}-{digits[8:]}"
