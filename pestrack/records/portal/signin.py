"""Signing a participant in to the portal, by a one-time link or by the identity number the identity
provider vouches for, and the portal's log-in lock-out.

- A link is single use and valid ``LINK_LIFETIME`` (15 minutes); only the SHA-256 of its secret is
  stored, so the database does not hold a usable link. Production refuses links unless
  ``PESTRACK_PORTAL_LINKS`` is set (settings).
- An identity number is matched to a person through the keyed hash (people.identity); it is never
  logged. A number that matches nobody (or an anonymised person) is refused.
- Every sign-in and every refusal is in the access log (object type ``portal sign-in``), with the
  participant as actor (``participant:<id>``). After ``AXES_FAILURE_LIMIT`` refusals from one address
  since its last sign-in, that address is locked out for ``AXES_COOLOFF_TIME``, as staff log-ins are.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pestrack.records.audit import log
from pestrack.records.audit.models import AccessLogEntry
from pestrack.records.people import identity
from pestrack.records.people.models import Person
from pestrack.records.portal.models import SignInLink

LINK_LIFETIME = dt.timedelta(minutes=15)
WHAT = "portal sign-in"


def actor(person_id: int) -> str:
    """The access log's actor for a participant acting on their own record."""
    return f"participant:{person_id}"


class SignInRefused(Exception):
    """A refused sign-in; ``code`` says why (for tests and the log), the message is for the participant."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def links_enabled() -> bool:
    return bool(getattr(settings, "PESTRACK_PORTAL_LINKS", False))


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_link(person: Person, *, created_by=None, source: str = "cli") -> str:
    """A new one-time link's secret for ``person`` (shown once; only its hash is kept). Logged."""
    if not links_enabled():
        raise SignInRefused("disabled", _("Sign-in links are turned off on this server."))
    if person.anonymised_at:
        raise SignInRefused("anonymised", _("This person's record is anonymised."))
    secret = secrets.token_urlsafe(32)
    link = SignInLink.objects.create(
        person=person,
        secret_hash=_hash(secret),
        expires_at=timezone.now() + LINK_LIFETIME,
        created_by=created_by,
    )
    if created_by is not None:
        log.record_for_user(
            created_by, "create", source=source, person_id=person.pk, object_type="portal link", object_id=str(link.pk)
        )
    else:
        log.record(
            log.cli_actor(),
            "create",
            source=source,
            person_id=person.pk,
            object_type="portal link",
            object_id=str(link.pk),
        )
    return secret


def _refuse(code: str, message: str, *, source: str, person_id: int | None = None, detail: str) -> SignInRefused:
    log.record(
        actor(person_id) if person_id else "anonymous",
        "denied",
        person_id=person_id,
        object_type=WHAT,
        detail=detail,
        source=source,
    )
    return SignInRefused(code, message)


def _signed_in(person: Person, *, source: str, method: str) -> Person:
    log.record(
        actor(person.pk), "read", person_id=person.pk, object_type=WHAT, detail=f"signed in ({method})", source=source
    )
    return person


def locked_out(source: str) -> bool:
    """Whether ``source`` (a client address) has had too many refused sign-ins since its last sign-in,
    within the lock-out time."""
    since = timezone.now() - dt.timedelta(hours=settings.AXES_COOLOFF_TIME)
    entries = AccessLogEntry.objects.filter(object_type=WHAT, source=source, at__gte=since)
    last_ok = entries.filter(action="read").order_by("-id").values_list("id", flat=True).first()
    failures = entries.filter(action="denied")
    if last_ok is not None:
        failures = failures.filter(id__gt=last_ok)
    return failures.count() >= settings.AXES_FAILURE_LIMIT


def lockout_message() -> str:
    minutes = round(settings.AXES_COOLOFF_TIME * 60)
    return _("Too many failed attempts to sign in. Wait %(minutes)s minutes and try again.") % {"minutes": minutes}


def redeem_link(secret: str, *, source: str = "") -> Person:
    """The person of an unused, unexpired link, which is used up by this; else SignInRefused (logged)."""
    if not links_enabled():
        raise _refuse(
            "disabled",
            _("Sign-in links are turned off on this server."),
            source=source,
            detail="sign-in link refused: links are turned off",
        )
    if locked_out(source):
        raise _refuse(
            "locked", lockout_message(), source=source, detail="sign-in refused: too many failures from this address"
        )
    now = timezone.now()
    link = SignInLink.objects.select_related("person").filter(secret_hash=_hash(secret or "")).first()
    if link is None:
        raise _refuse(
            "unknown",
            _(
                "The sign-in link is not valid. Check that you used the whole link, or ask your caseworker for a new one."
            ),
            source=source,
            detail="sign-in link refused: unknown or altered link",
        )
    if link.used_at is not None:
        raise _refuse(
            "used",
            _("The sign-in link has already been used. A link works only once: ask your caseworker for a new one."),
            source=source,
            person_id=link.person_id,
            detail=f"sign-in link {link.pk} refused: already used",
        )
    if link.expires_at <= now:
        raise _refuse(
            "expired",
            _("The sign-in link is too old. A link works for 15 minutes: ask your caseworker for a new one."),
            source=source,
            person_id=link.person_id,
            detail=f"sign-in link {link.pk} refused: expired",
        )
    with transaction.atomic():  # two requests with one link: only one of them uses it
        used = SignInLink.objects.filter(pk=link.pk, used_at__isnull=True).update(used_at=now)
    if not used:
        raise _refuse(
            "used",
            _("The sign-in link has already been used. A link works only once: ask your caseworker for a new one."),
            source=source,
            person_id=link.person_id,
            detail=f"sign-in link {link.pk} refused: already used",
        )
    if link.person.anonymised_at:
        raise _refuse(
            "anonymised",
            _("You cannot sign in."),
            source=source,
            person_id=link.person_id,
            detail="refused: anonymised",
        )
    return _signed_in(link.person, source=source, method=f"one-time link {link.pk}")


def person_for_identity_number(number: str, *, source: str = "") -> Person:
    """The person whose identity number the identity provider vouched for; else SignInRefused
    (logged, without the number)."""
    if locked_out(source):
        raise _refuse(
            "locked", lockout_message(), source=source, detail="sign-in refused: too many failures from this address"
        )
    try:
        digest = identity.lookup_hash(str(number or ""))
    except identity.InvalidIdentityNumber:
        raise _refuse(
            "invalid",
            _("The identity provider did not give a valid personal identity number. Contact your caseworker."),
            source=source,
            detail="identity-provider sign-in refused: not a valid identity number",
        ) from None
    person = Person.objects.filter(pin_hash=digest, anonymised_at__isnull=True).first()
    if person is None:
        raise _refuse(
            "no_match",
            _("We could not find you among our participants. Contact your caseworker or the unit you go to."),
            source=source,
            detail="identity-provider sign-in refused: the identity number matches nobody",
        )
    return _signed_in(person, source=source, method="identity provider")


def refuse_token(reason: str, *, source: str) -> SignInRefused:
    """A refused ID token (signature, audience, expiry, state): logged with ``reason``."""
    return _refuse(
        "token",
        _("The sign-in with the identity provider failed. Try again."),
        source=source,
        detail=f"identity-provider sign-in refused: {reason}",
    )
