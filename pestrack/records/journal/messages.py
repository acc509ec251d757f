"""The message thread between a participant (in the portal) and their caseworkers.

- A message is plain text of at most ``MAX_MESSAGE`` characters, with at most one attachment that
  follows the rules of documents (records.documents.files: the type decided from the content, the
  size limit); a refused message leaves nothing behind, neither message nor file.
- It belongs to the person's open enrolment (the latest one if none is open).
- Each message is also a signed journal entry of kind ``meddelande`` (the journal's record of
  contacts): by its author, or for a message from the participant by the enrolment's responsible
  caseworker, who received it. Its text is the message's (with the attachment's name); the journal
  pages say which way it went (``Message.journal_entry`` links the two).
- A message from the participant is unread until a caseworker opens the thread; until then it is an
  item of the responsible caseworker's work list (``message_unread``).

Access to the person is decided by the caller (records.access for staff; the portal's session for
the participant). Writes are logged here.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pestrack.records.audit import log
from pestrack.records.casework.models import Enrolment
from pestrack.records.codes.models import Code
from pestrack.records.journal.models import MAX_MESSAGE, JournalEntry, Message

JOURNAL_KIND = "meddelande"


class MessageRefused(Exception):
    """A message the rules refuse; ``field`` is ``text``, ``file`` or ``enrolment``."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def enrolment_of(person) -> Enrolment | None:
    """The enrolment a message of ``person`` belongs to: the open one, else the latest."""
    qs = Enrolment.objects.filter(person=person).select_related("caseworker")
    return qs.filter(end_date__isnull=True).order_by("-start_date").first() or qs.order_by("-start_date").first()


def check_text(text: str) -> str:
    text = (text or "").replace("\r\n", "\n").strip()
    if not text:
        raise MessageRefused("text", _("Write your message."))
    if len(text) > MAX_MESSAGE:
        raise MessageRefused(
            "text",
            _("The message has %(n)s characters; at most %(max)s are allowed.")
            % {
                "n": number_format(len(text), force_grouping=True),
                "max": number_format(MAX_MESSAGE, force_grouping=True),
            },
        )
    return text


def thread(person):
    return Message.objects.filter(person=person).select_related("author", "document").order_by("sent_at", "id")


def send(person, text: str, *, upload=None, author=None, actor: str, source: str = "") -> Message:
    """A new message in ``person``'s thread: from the participant when ``author`` is None, else from
    that caseworker. ``actor`` names the writer in the access log. Raises MessageRefused."""
    from pestrack.records.documents import files

    text = check_text(text)
    enrolment = enrolment_of(person)
    if enrolment is None:
        raise MessageRefused("enrolment", _("There is no caseworker to write to: you are not enrolled."))
    writer = author or enrolment.caseworker
    if writer is None:
        raise MessageRefused("enrolment", _("No caseworker is responsible for you right now. Call the unit instead."))
    kind = (
        Code.objects.filter(list="journal_kind", code=JOURNAL_KIND).first()
        or Code.objects.filter(list="journal_kind", active=True).first()
    )
    document = None
    try:
        with transaction.atomic():
            if upload is not None:
                try:
                    document = files.store(upload, person=person, enrolment=enrolment, user=author)
                except ValidationError as exc:
                    messages = exc.message_dict.get("file") or exc.messages
                    raise MessageRefused("file", " ".join(messages)) from None
            attached = f"\n\n[{document.name}]" if document else ""
            now = timezone.now()
            entry = JournalEntry.objects.create(
                person=person,
                enrolment=enrolment,
                kind=kind,
                date=timezone.localdate(),
                author=writer,
                text=f"{text}{attached}",
                signed_at=now,
            )
            message = Message.objects.create(
                person=person,
                enrolment=enrolment,
                from_participant=author is None,
                author=author,
                text=text,
                document=document,
                journal_entry=entry,
            )
    except BaseException:
        if document is not None:  # the row went with the transaction; the file must go too
            files.path_of(document.stored_name).unlink(missing_ok=True)
        raise
    log.record(
        actor,
        "create",
        actor_id=getattr(author, "pk", None),
        person_id=person.pk,
        object_type="message",
        object_id=str(message.pk),
        detail="" if author else "self-access: message to the caseworker",
        source=source,
    )
    return message


def mark_read(person, *, by_participant: bool) -> int:
    """Mark the other side's unread messages read (the participant reads the caseworker's, a
    caseworker the participant's); how many."""
    return Message.objects.filter(person=person, from_participant=not by_participant, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def unread_items(enrolments, today):
    return (
        Message.objects.filter(Q(enrolment__in=enrolments), from_participant=True, read_at__isnull=True)
        .annotate(
            due_date=TruncDate("sent_at"),
            object_id=F("pk"),
            caseworker_id=F("enrolment__caseworker_id"),
        )
        .filter(sent_at__date__lte=today)
    )


def register_worklist_source() -> None:
    from django.urls import reverse

    from pestrack.records import worklist

    worklist.register(
        worklist.Source(
            kind="message_unread",
            label=gettext_lazy("New message from the participant"),
            query=unread_items,
            resolve_url=lambda row: reverse("person-messages", args=[row["person_id"]]),
            order=45,
        )
    )
