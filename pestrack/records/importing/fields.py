"""Parsing one cell into a value. Each parser raises FieldError with a message for the user."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import numpy as np
from django.contrib.auth import get_user_model

from pestrack.records.people import identity
from pestrack.records.text import bidi_problem

TRUE = {"true", "yes", "1", "ja", "sant"}
FALSE = {"false", "no", "0", "nej", "falskt"}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_PIN_LIKE = re.compile(r"^(\d{6}(?:\d{2})?)[-+ ]?\d{4}$")


class FieldError(ValueError):
    pass


def mask_pin(raw: str) -> str:
    """An identity number as YYYYMMDD-XXXX, never in clear (also for invalid ones)."""
    raw = (raw or "").strip()
    m = _PIN_LIKE.match(raw)
    if m:
        return f"{m[1]}-XXXX"
    return re.sub(r"\d{4}(?!.*\d)", "XXXX", raw)


def pin(raw: str, today: dt.date) -> identity.IdentityNumber:
    try:
        return identity.parse(raw, today=today)
    except identity.InvalidIdentityNumber as exc:
        raw = (raw or "").strip()
        raise FieldError(str(exc).replace(repr(raw), mask_pin(raw))) from None


def text(raw: str, *, required: bool = False, max_length: int | None = None) -> str:
    value = (raw or "").strip()
    problem = bidi_problem(value)
    if problem:
        raise FieldError(problem)
    if required and not value:
        raise FieldError("required; the cell is empty")
    if max_length and len(value) > max_length:
        raise FieldError(f"at most {max_length} characters; this has {len(value)}")
    return value


def date(raw: str, *, required: bool = False) -> dt.date | None:
    value = (raw or "").strip()
    if not value:
        if required:
            raise FieldError("required; the cell is empty")
        return None
    if not _DATE.match(value):
        raise FieldError(f"{value!r} is not a date in the form YYYY-MM-DD")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise FieldError(f"{value} is not a date (no such day)") from None


def boolean(raw: str) -> bool | None:
    value = (raw or "").strip().lower()
    if not value:
        return None
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise FieldError(f"{raw!r} is not one of yes/no, true/false, 1/0 (or empty)")


def integer(raw: str, *, required: bool = False, low: int | None = None, high: int | None = None) -> int | None:
    value = (raw or "").strip()
    if not value:
        if required:
            raise FieldError("required; the cell is empty")
        return None
    if not re.fullmatch(r"-?\d+", value):
        raise FieldError(f"{value!r} is not a whole number")
    n = int(value)
    if (low is not None and n < low) or (high is not None and n > high):
        raise FieldError(f"{n} is outside {low}–{high}")
    return n


def choice(raw: str, options: dict, *, what: str, required: bool = False):
    """A code of a profile list (or another fixed set): ``options`` maps the code to its object."""
    value = (raw or "").strip()
    if not value:
        if required:
            raise FieldError("required; the cell is empty")
        return None
    try:
        return options[value]
    except KeyError:
        shown = ", ".join(sorted(options)[:15]) + (", …" if len(options) > 15 else "")
        raise FieldError(f"{value!r} is not a {what} (one of: {shown})") from None


class DigestSet:
    """Natural keys seen so far in a file, as 8-byte digests with the line that had each.

    About 16 bytes a row (NumPy arrays, merged in sorted runs) instead of a Python set's ~100.
    """

    _PENDING_MAX = 1 << 16

    def __init__(self) -> None:
        self._keys = np.empty(0, dtype=np.uint64)
        self._lines = np.empty(0, dtype=np.uint32)
        self._pending: dict[int, int] = {}

    def line_of(self, digest: int) -> int | None:
        line = self._pending.get(digest)
        if line is not None or not len(self._keys):
            return line
        i = int(np.searchsorted(self._keys, np.uint64(digest)))
        if i < len(self._keys) and int(self._keys[i]) == digest:
            return int(self._lines[i])
        return None

    def add(self, digest: int, line: int) -> None:
        self._pending[digest] = line
        if len(self._pending) >= self._PENDING_MAX:
            self._merge()

    def _merge(self) -> None:
        keys = np.concatenate([self._keys, np.fromiter(self._pending.keys(), np.uint64, len(self._pending))])
        lines = np.concatenate([self._lines, np.fromiter(self._pending.values(), np.uint32, len(self._pending))])
        order = np.argsort(keys, kind="stable")
        self._keys, self._lines, self._pending = keys[order], lines[order], {}


def digest(*parts) -> int:
    """A 64-bit digest of a natural key."""
    return int.from_bytes(hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=8).digest(), "big")


class UserByName:
    """A staff user's id from their user name (looked up once per name); FieldError for no such user."""

    def __init__(self):
        self.users: dict[str, int | None] = {}

    def __call__(self, raw: str) -> int | None:
        name = raw.strip()
        if not name:
            return None
        if name not in self.users:
            self.users[name] = get_user_model().objects.filter(username=name).values_list("pk", flat=True).first()
        if self.users[name] is None:
            raise FieldError(f"no user named {name!r}")
        return self.users[name]
