"""The journal's documentation rules, as plain functions used by the pages, the API and the admin.

- An entry is written by its author; while it is unsigned only the author may edit or sign it.
- It is signed explicitly, or counts as signed ``AUTO_SIGN_AFTER`` (24 hours) after it was
  written: every check here treats such an entry as signed whether or not ``pestrack journal
  autosign`` has stamped it yet (the command records the time, for the extract and the history).
- A signed entry is never changed or deleted. It is corrected by a new entry that names it
  (``corrects``) and says why; a correction may withdraw it (it should not have been written,
  e.g. on the wrong person). A withdrawn entry cannot be corrected again.

Refusals are ``Violation(field, message)`` lists (as in casework.rules), raised as ``Refused``;
access to the person and the enrolment is decided by the caller through records.access.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import DateTimeField, Exists, ExpressionWrapper, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pestrack.records.audit import log
from pestrack.records.casework.rules import Violation
from pestrack.records.codes.models import Code
from pestrack.records.journal.models import MAX_TEXT, JournalEntry

AUTO_SIGN_AFTER = dt.timedelta(hours=24)


class Refused(Exception):
    """A write the rules refuse; ``violations`` name the fields and the reasons."""

    def __init__(self, violations: list[Violation]):
        super().__init__("; ".join(f"{v.field}: {v.message}" for v in violations))
        self.violations = violations


def _now(now):
    return now or timezone.now()


# --- Signed or not ---------------------------------------------------------------------------


def signed_q(now: dt.datetime | None = None) -> Q:
    """Entries that count as signed at ``now``: signed, or written at least 24 hours before."""
    return Q(signed_at__isnull=False) | Q(created_at__lte=_now(now) - AUTO_SIGN_AFTER)


def is_signed(entry: JournalEntry, now: dt.datetime | None = None) -> bool:
    return entry.signed_at is not None or entry.created_at <= _now(now) - AUTO_SIGN_AFTER


def signed_time(entry: JournalEntry) -> dt.datetime | None:
    """When the entry was signed, or will be at the latest (24 hours after it was written)."""
    return entry.signed_at or (entry.created_at + AUTO_SIGN_AFTER if entry.created_at else None)


def with_history(qs: QuerySet) -> QuerySet:
    """Entries with ``corrected_by`` (the newest correction's id) and ``withdrawn`` annotated, in one query."""
    corrections = JournalEntry.objects.filter(corrects=OuterRef("pk"))
    return qs.annotate(
        corrected_by=Subquery(corrections.order_by("-pk").values("pk")[:1]),
        withdrawn=Exists(corrections.filter(withdraws=True)),
    )


# --- Checks -----------------------------------------------------------------------------------


def kind_for(code: str | Code | None) -> Code | None:
    """The active ``journal_kind`` code named ``code`` (a Code passes through if it is one)."""
    if isinstance(code, Code):
        return code if code.list == "journal_kind" and code.active else None
    if not code:
        return None
    return Code.objects.filter(list="journal_kind", code=code, active=True).first()


def check_content(
    *, enrolment, kind, date: dt.date | None, text: str, meeting=None, participation=None, today: dt.date | None = None
) -> list[Violation]:
    """What an entry says: a kind of the profile, an event date not in the future, a text of at most
    20,000 characters, and links only to a meeting or measure of the same enrolment."""
    today = today or timezone.localdate()
    out = []
    if kind is None:
        out.append(Violation("kind", _("Choose a kind of entry from the list.")))
    if date is None:
        out.append(Violation("date", _("Give the date of the event.")))
    elif date > today:
        out.append(Violation("date", _("The date %(d)s is in the future.") % {"d": date}))
    if not (text or "").strip():
        out.append(Violation("text", _("Write the text of the entry.")))
    elif len(text) > MAX_TEXT:
        out.append(
            Violation(
                "text",
                _("The text has %(n)s characters; at most %(max)s are allowed.") % {"n": len(text), "max": MAX_TEXT},
            )
        )
    if meeting is not None and meeting.enrolment_id != enrolment.pk:
        out.append(Violation("meeting", _("The meeting belongs to another enrolment or person.")))
    if participation is not None and participation.enrolment_id != enrolment.pk:
        out.append(Violation("participation", _("The measure belongs to another enrolment or person.")))
    return out


def check_edit(entry: JournalEntry, user, now: dt.datetime | None = None) -> list[Violation]:
    """Only the author edits (or signs) an entry, and only while it is unsigned."""
    if is_signed(entry, now):
        return [Violation("entry", _("The entry is signed: it cannot be changed, only corrected by a new entry."))]
    if entry.author_id != getattr(user, "pk", None):
        return [Violation("entry", _("Only the author of an unsigned entry may change or sign it."))]
    return []


def check_correctable(entry: JournalEntry | None, now: dt.datetime | None = None) -> list[Violation]:
    """A correction needs a signed entry that has not been withdrawn."""
    if entry is None:
        return [Violation("corrects", _("The entry to correct does not exist."))]
    if JournalEntry.objects.filter(corrects=entry, withdraws=True).exists():
        return [Violation("corrects", _("The entry has been withdrawn and cannot be corrected."))]
    if not is_signed(entry, now):
        return [Violation("corrects", _("The entry is not signed yet: its author can still change it."))]
    return []


# --- Writes -----------------------------------------------------------------------------------


def _refuse(violations: list[Violation]) -> None:
    if violations:
        raise Refused(violations)


def _checked_content(enrolment, kind, date, text, meeting, participation, today) -> dict:
    """What a new or edited entry says, as its fields (``kind`` the code it names), once
    check_content passes; Refused if not."""
    content = {
        "kind": kind_for(kind),
        "date": date,
        "text": text,
        "meeting": meeting,
        "participation": participation,
    }
    _refuse(check_content(enrolment=enrolment, today=today, **content))
    return content


def _signed_at(sign: bool) -> dt.datetime | None:
    return timezone.now() if sign else None


def write(
    author, *, enrolment, kind, date, text, meeting=None, participation=None, sign=False, today=None
) -> JournalEntry:
    """A new entry by ``author``; signed at once if ``sign``. Raises Refused."""
    content = _checked_content(enrolment, kind, date, text, meeting, participation, today)
    return JournalEntry.objects.create(
        person_id=enrolment.person_id,
        enrolment=enrolment,
        author=author,
        signed_at=_signed_at(sign),
        **content,
    )


def edit(
    entry: JournalEntry, user, *, kind, date, text, meeting=None, participation=None, sign=False, today=None
) -> JournalEntry:
    """Change an unsigned entry (its author only). Raises Refused."""
    _refuse(check_edit(entry, user))
    for name, value in _checked_content(entry.enrolment, kind, date, text, meeting, participation, today).items():
        setattr(entry, name, value)
    entry.edited_at = timezone.now()
    if sign:
        entry.signed_at = timezone.now()
    entry.save()
    return entry


def sign(entry: JournalEntry, user) -> JournalEntry:
    """The author signs an unsigned entry. Raises Refused."""
    _refuse(check_edit(entry, user))
    entry.signed_at = timezone.now()
    entry.save(update_fields=["signed_at", "updated_at"])
    return entry


def correct(
    entry: JournalEntry | None,
    author,
    *,
    kind,
    date,
    text,
    reason: str,
    withdraws: bool = False,
    sign: bool = True,
    today: dt.date | None = None,
) -> JournalEntry:
    """A new entry that corrects (or withdraws) a signed one, in the same enrolment. Raises Refused."""
    _refuse(check_correctable(entry))
    violations = []
    if not (reason or "").strip():
        violations.append(Violation("reason", _("Say why the entry is corrected.")))
    elif len(reason) > MAX_TEXT:
        violations.append(
            Violation(
                "reason",
                _("The reason has %(n)s characters; at most %(max)s are allowed.")
                % {"n": len(reason), "max": MAX_TEXT},
            )
        )
    kind = kind_for(kind) if kind else entry.kind
    violations += check_content(enrolment=entry.enrolment, kind=kind, date=date, text=text, today=today)
    _refuse(violations)
    with transaction.atomic():
        return JournalEntry.objects.create(
            person_id=entry.person_id,
            enrolment_id=entry.enrolment_id,
            kind=kind,
            date=date,
            author=author,
            text=text,
            corrects=entry,
            correction_reason=reason,
            withdraws=withdraws,
            signed_at=_signed_at(sign),
        )


def autosign(now: dt.datetime | None = None) -> list[JournalEntry]:
    """Stamp the entries left unsigned for 24 hours as signed (at 24 hours after they were written).
    Returns them (their ids and persons, for the access log)."""
    cutoff = _now(now) - AUTO_SIGN_AFTER
    due = JournalEntry.objects.filter(signed_at__isnull=True, created_at__lte=cutoff)
    rows = list(due.only("pk", "person_id"))
    due.filter(pk__in=[r.pk for r in rows]).update(
        signed_at=ExpressionWrapper(F("created_at") + AUTO_SIGN_AFTER, output_field=DateTimeField()), auto_signed=True
    )
    return rows


def blank_texts(person_ids) -> int:
    """Retention: empty the texts and reasons of these persons' entries (the database allows only this
    change to a signed entry)."""
    return JournalEntry.objects.filter(person_id__in=person_ids).update(text="", correction_reason="")


# --- The access log ---------------------------------------------------------------------------
# The pages and the API log what they do with an entry in the same words.


def log_entry(user, action: str, entry: JournalEntry, detail: str, *, source: str) -> None:
    """The access-log line of ``user`` reading, changing or being refused ``entry``."""
    log.record_for_user(
        user,
        action,
        source=source,
        person_id=entry.person_id,
        object_type="journalentry",
        object_id=entry.pk,
        detail=detail,
    )


def log_written(user, entry: JournalEntry, *, source: str) -> None:
    """A new entry (``write``), signed at once or not."""
    log_entry(user, "create", entry, "signed" if entry.signed_at else "unsigned", source=source)


def log_signed(user, entry: JournalEntry, *, source: str) -> None:
    log_entry(user, "update", entry, "signed", source=source)


def log_correction(user, new: JournalEntry, *, source: str) -> None:
    """A new entry that corrects (or withdraws) the entry it names (``correct``)."""
    log_entry(user, "create", new, f"corrects entry {new.corrects_id}", source=source)


# --- Work list --------------------------------------------------------------------------------


def unsigned_items(enrolments: QuerySet, today: dt.date) -> QuerySet:
    """The unsigned entries of these enrolments, due the day their 24 hours run out; the item's
    caseworker is the author, the only one who can sign."""
    return JournalEntry.objects.filter(
        enrolment__in=enrolments, signed_at__isnull=True, created_at__gt=timezone.now() - AUTO_SIGN_AFTER
    ).annotate(
        due_date=TruncDate(ExpressionWrapper(F("created_at") + AUTO_SIGN_AFTER, output_field=DateTimeField())),
        object_id=F("pk"),
        caseworker_id=F("author_id"),
    )


def register_worklist_source() -> None:
    from django.urls import reverse

    from pestrack.records import worklist

    worklist.register(
        worklist.Source(
            kind="journal_unsigned",
            label=gettext_lazy("Unsigned journal entry"),
            query=unsigned_items,
            resolve_url=lambda row: reverse("journal-entry", args=[row["object_id"]]),
            order=40,
        )
    )
