"""The SMS interface: ``PESTRACK_SMS_BACKEND`` names a class with a ``send(message)`` method.

pestrack ships ``LoggingSmsBackend``, which sends nothing and writes each message to the log
``pestrack.sms`` (the number masked but for its last two digits). A municipality reaches its SMS
provider with a class of its own (docs/notifications.md)::

    class MyProvider(SmsBackend):
        def send(self, message: SmsMessage) -> str:
            ...  # call the provider; return its id of the message, raise SmsError on failure

``send`` raises ``SmsError`` (or any exception) when the message was not accepted: the reminder is
recorded as failed and tried again by the next run.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

logger = logging.getLogger("pestrack.sms")


class SmsError(Exception):
    """The provider did not accept the message (say why in the message, never the number)."""


@dataclass(frozen=True)
class SmsMessage:
    to: str  # the mobile number in international form, +46701234567
    text: str
    sender: str  # the sender name or number shown to the recipient (PESTRACK_SMS_SENDER)


class SmsBackend:
    """Base class of SMS backends; constructed once per run with no arguments."""

    def send(self, message: SmsMessage) -> str:
        raise NotImplementedError


def masked(number: str) -> str:
    """The number with all but its last two digits hidden, for logs."""
    return "*" * max(len(number) - 2, 0) + number[-2:]


class LoggingSmsBackend(SmsBackend):
    """Development and demo: writes the message to the log ``pestrack.sms`` instead of sending it."""

    def send(self, message: SmsMessage) -> str:
        logger.info("SMS to %s from %s: %s", masked(message.to), message.sender, message.text)
        return ""


def get_backend() -> SmsBackend:
    """An instance of the class ``PESTRACK_SMS_BACKEND`` names (ImproperlyConfigured if none is)."""
    name = settings.PESTRACK_SMS_BACKEND
    try:
        backend = import_string(name)
    except ImportError as exc:
        raise ImproperlyConfigured(f"PESTRACK_SMS_BACKEND: cannot import {name!r} ({exc})") from None
    if not callable(getattr(backend, "send", None)):
        raise ImproperlyConfigured(f"PESTRACK_SMS_BACKEND: {name!r} has no send(message) method")
    return backend()


_SEPARATORS = re.compile(r"[\s\-()./]")


def normalise_number(number: str, country_code: str = "46") -> str | None:
    """A mobile number in international form (+46701234567), or None when it is not one: a leading
    0 is the national prefix (070-123 45 67), 00 or + starts a country code."""
    digits = _SEPARATORS.sub("", number or "")
    if digits.startswith("+"):
        digits = digits[1:]
    elif digits.startswith("00"):
        digits = digits[2:]
    elif digits.startswith("0"):
        digits = country_code + digits[1:]
    if not digits.isdigit() or not 8 <= len(digits) <= 15:
        return None
    return "+" + digits
