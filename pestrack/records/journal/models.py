"""Journal entries (case notes, journalanteckningar) on a person, in one of their enrolments.

Social-services documentation rules (see rules.py): an entry is written and, while unsigned,
edited only by its author; it is signed explicitly or counts as signed 24 hours after it was
written; a signed entry is never changed or deleted but corrected by a new entry (``corrects``,
``correction_reason``). On PostgreSQL and SQLite a trigger (migration 0002) refuses changing or
deleting a signed entry in the database itself.
"""

from django.conf import settings
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual

from pestrack.records.casework.models import code_fk

MAX_TEXT = 20_000


class JournalEntry(models.Model):
    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="journal_entries")
    enrolment = models.ForeignKey("casework.Enrolment", on_delete=models.CASCADE, related_name="journal_entries")
    kind = code_fk("journal_kind")
    date = models.DateField(help_text="The date of the event the entry is about")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    meeting = models.ForeignKey(
        "meetings.Meeting", null=True, blank=True, on_delete=models.PROTECT, related_name="journal_entries"
    )
    participation = models.ForeignKey(
        "casework.Participation", null=True, blank=True, on_delete=models.PROTECT, related_name="journal_entries"
    )
    corrects = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="corrections")
    correction_reason = models.TextField(blank=True)
    withdraws = models.BooleanField(
        default=False,
        help_text="The correction withdraws the corrected entry (e.g. it was written on the wrong person)",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    edited_at = models.DateTimeField(null=True, blank=True, help_text="When its author last changed it (unsigned)")
    signed_at = models.DateTimeField(null=True, blank=True)
    auto_signed = models.BooleanField(default=False)

    class Meta:
        ordering = ["-date", "-created_at", "-id"]
        verbose_name_plural = "journal entries"
        indexes = [
            models.Index(fields=["person", "date", "created_at"], name="journal_person_date"),
            models.Index(fields=["author", "signed_at"], name="journal_author_signed"),
        ]
        constraints = [
            models.CheckConstraint(condition=LessThanOrEqual(Length("text"), MAX_TEXT), name="journal_text_length"),
            models.CheckConstraint(
                condition=models.Q(corrects__isnull=False) | models.Q(correction_reason="", withdraws=False),
                name="journal_reason_only_on_correction",
            ),
        ]

    def __str__(self) -> str:
        return f"Journal entry {self.pk} ({self.date})"


MAX_MESSAGE = 4_000


class Message(models.Model):
    """One message of the two-way thread between a participant (the portal) and their caseworkers.

    A message is never changed; each one is also written to the journal as a signed entry of kind
    ``meddelande`` (``journal_entry``), so the journal holds the record of every contact. An
    attachment is a document of the person (records.documents, with its rules)."""

    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="messages")
    enrolment = models.ForeignKey("casework.Enrolment", on_delete=models.CASCADE, related_name="messages")
    from_participant = models.BooleanField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The caseworker who wrote it (empty: the participant)",
    )
    text = models.TextField()
    document = models.ForeignKey(
        "documents.Document", null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    journal_entry = models.ForeignKey(
        JournalEntry, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    sent_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True, help_text="When the other side first read it")

    class Meta:
        ordering = ["sent_at", "id"]
        indexes = [models.Index(fields=["person", "sent_at"], name="message_person_sent")]
        constraints = [
            models.CheckConstraint(condition=LessThanOrEqual(Length("text"), MAX_MESSAGE), name="message_text_length"),
        ]

    def __str__(self) -> str:
        return f"Message {self.pk} ({'from' if self.from_participant else 'to'} person {self.person_id})"
