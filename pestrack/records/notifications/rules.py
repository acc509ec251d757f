"""How a participant is reached: their contact details and their choice of channels and language.

``set_preferences`` and ``set_contact_details`` are the writes, the same for the staff person page
and the participant portal; each checks first, changes nothing when a rule is broken (``RuleError``
naming the field) and logs the change (never the address or number itself)."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from pestrack.records.audit import log
from pestrack.records.casework.rules import Violation
from pestrack.records.codes.profile import NOTIFICATION_CHANNELS, notification_settings
from pestrack.records.meetings.rules import RuleError
from pestrack.records.notifications.models import LANGUAGES, NotificationPreference
from pestrack.records.notifications.sms import normalise_number

LANGUAGE_CODES = tuple(code for code, _name in LANGUAGES)


def preferences_of(person) -> tuple[list[str], str, bool]:
    """(channels, language, chosen): the person's choice, or the profile's default channels in
    Swedish when they have made none (``chosen`` False). No channels: opted out."""
    pref = NotificationPreference.objects.filter(person=person).first()
    if pref is None:
        return list(notification_settings()["default_channels"]), "sv", False
    return pref.channels, pref.language, True


def check_preferences(channels: Iterable[str], language: str | None) -> list[Violation]:
    out = []
    unknown = sorted(set(channels) - set(NOTIFICATION_CHANNELS))
    if unknown:
        out.append(
            Violation(
                "channels", _("Unknown channel: %(c)s. Choose e-mail, SMS or neither.") % {"c": ", ".join(unknown)}
            )
        )
    if language is not None and language not in LANGUAGE_CODES:
        out.append(Violation("language", _("Choose Swedish or English.")))
    return out


def _log(actor, action: str, person_id: int, object_type: str, detail: str, source: str) -> None:
    """``actor``: a user (staff), or a text naming who acted (e.g. the portal's participant)."""
    if isinstance(actor, str):
        log.record(actor, action, person_id=person_id, object_type=object_type, detail=detail, source=source)
    else:
        log.record_for_user(actor, action, source=source, person_id=person_id, object_type=object_type, detail=detail)


def set_preferences(person, channels: Iterable[str], actor, *, language: str | None = None, source: str = ""):
    """Set the channels (a subset of ``email``, ``sms``; empty: opt out of every reminder) and,
    if given, the language of the person's reminders; logged. Returns the preference."""
    channels = list(channels)
    problems = check_preferences(channels, language)
    if problems:
        raise RuleError(problems)
    with transaction.atomic():
        pref, _created = NotificationPreference.objects.select_for_update().get_or_create(person=person)
        pref.by_email = "email" in channels
        pref.by_sms = "sms" in channels
        if language is not None:
            pref.language = language
        pref.save()
        chosen = ", ".join(pref.channels) or "none (opted out)"
        _log(
            actor,
            "update",
            person.pk,
            "notification preference",
            f"channels: {chosen}; language {pref.language}",
            source,
        )
    return pref


def check_contact_details(email: str, mobile_phone: str) -> list[Violation]:
    out = []
    if email:
        try:
            validate_email(email)
        except ValidationError:
            out.append(Violation("email", _("Write the e-mail address in full, for example namn@exempel.se.")))
    if mobile_phone and normalise_number(mobile_phone) is None:
        out.append(Violation("mobile_phone", _("Write the mobile number with digits, for example 070-123 45 67.")))
    return out


def set_contact_details(person, *, email: str, mobile_phone: str, actor, source: str = "") -> list[str]:
    """Set the person's e-mail address and mobile number (empty: none); logged by which changed,
    never by value. Returns the names of the fields changed."""
    email, mobile_phone = (email or "").strip(), (mobile_phone or "").strip()
    problems = check_contact_details(email, mobile_phone)
    if problems:
        raise RuleError(problems)
    changed = [f for f, v in (("email", email), ("mobile_phone", mobile_phone)) if getattr(person, f) != v]
    if changed:
        with transaction.atomic():
            person.email, person.mobile_phone = email, mobile_phone
            person.save(update_fields=[*changed, "updated_at"])
            _log(actor, "update", person.pk, "person", "contact details changed: " + ", ".join(changed), source)
    return changed
