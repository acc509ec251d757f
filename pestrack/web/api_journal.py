"""The journal in the JSON API (/api/v1/): read and write a person's entries, sign and correct one.

The same rules (records.journal.rules), access (records.access) and access log as the pages. A
refusal by the rules is 422 with ``{"detail": ..., "errors": [{"field": ..., "message": ...}]}``
in the caller's language; an entry is never changed or deleted through the API: ``PUT``,
``PATCH`` and ``DELETE`` on an entry are 405 (a signed entry is corrected by a new one; an
unsigned one is changed by its author on the entry's page).
"""

from __future__ import annotations

import datetime as dt

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from pestrack.records import access
from pestrack.records.audit import log
from pestrack.records.casework.models import Enrolment, Participation
from pestrack.records.casework.rules import Violation
from pestrack.records.journal import rules
from pestrack.records.journal.models import JournalEntry
from pestrack.records.meetings.models import Meeting
from pestrack.web.api_common import MAX_OFFSET

router = Router(tags=["journal"])


class Detail(Schema):
    detail: str


class FieldError(Schema):
    field: str
    message: str


class Refusal(Schema):
    detail: str
    errors: list[FieldError]


class EntryOut(Schema):
    id: int
    person_id: int
    enrolment_id: int
    kind: str
    date: dt.date
    author: str
    text: str
    meeting_id: int | None
    participation_id: int | None
    written_at: dt.datetime
    signed: bool
    signed_at: dt.datetime | None = Field(
        None, description="When signed; for an entry left unsigned 24 hours, 24 hours after it was written"
    )
    signed_automatically: bool
    corrects: int | None
    correction_reason: str
    withdraws: bool
    corrected_by: int | None = Field(None, description="The newest entry that corrects this one")
    withdrawn: bool


class EntryPage(Schema):
    count: int
    items: list[EntryOut]


class EntryIn(Schema):
    enrolment_id: int
    kind: str = Field(..., description="A code of the profile's journal_kind list, e.g. samtal")
    date: dt.date = Field(..., description="The date of the event, not in the future")
    text: str = Field(..., description="Plain text, at most 20,000 characters")
    meeting_id: int | None = None
    participation_id: int | None = None
    sign: bool = Field(
        False,
        description="Sign at once; otherwise the author may change it on its page until it "
        "is signed, at the latest 24 hours after it was written",
    )


class CorrectionIn(Schema):
    reason: str = Field(..., description="Why the entry is corrected")
    text: str
    date: dt.date
    kind: str | None = Field(None, description="Defaults to the corrected entry's kind")
    withdraws: bool = Field(
        False,
        description="The corrected entry should not have been written (e.g. on the "
        "wrong person); it stays, marked withdrawn",
    )


ERRORS = {400: Detail, 401: Detail, 403: Detail, 404: Detail}  # 400: a parameter out of its range (web.api)
WRITE_ERRORS = {**ERRORS, 422: Refusal}


def _source(request) -> str:
    return access.client_address(request)


def _out(e: JournalEntry, now) -> dict:
    signed = rules.is_signed(e, now)
    return {
        "id": e.pk,
        "person_id": e.person_id,
        "enrolment_id": e.enrolment_id,
        "kind": e.kind.code,
        "date": e.date,
        "author": e.author.get_username(),
        "text": e.text,
        "meeting_id": e.meeting_id,
        "participation_id": e.participation_id,
        "written_at": e.created_at,
        "signed": signed,
        "signed_at": rules.signed_time(e) if signed else None,
        "signed_automatically": signed and (e.auto_signed or e.signed_at is None),
        "corrects": e.corrects_id,
        "correction_reason": e.correction_reason,
        "withdraws": e.withdraws,
        "corrected_by": getattr(e, "corrected_by", None),
        "withdrawn": bool(getattr(e, "withdrawn", False)),
    }


def _refusal(request, violations: list[Violation]):
    return Status(
        422,
        {
            "detail": _("The entry was not saved."),
            "errors": [{"field": v.field, "message": str(v.message)} for v in violations],
        },
    )


def _entries(person_id: int):
    return rules.with_history(JournalEntry.objects.filter(person_id=person_id).select_related("kind", "author"))


@router.get("/persons/{person_id}/journal", response={200: EntryPage, **ERRORS})
def person_journal(
    request, person_id: int, limit: int = Query(50, ge=1, le=500), offset: int = Query(0, ge=0, le=MAX_OFFSET)
):
    """The person's journal entries, newest first (logged as a read of the journal)."""
    person = access.get_person_for(request.auth, person_id, what="journal", source=_source(request))
    qs = _entries(person.pk).order_by("-date", "-created_at", "-pk")
    now = timezone.now()
    return {"count": qs.count(), "items": [_out(e, now) for e in qs[offset : offset + limit]]}


@router.post("/persons/{person_id}/journal", response={201: EntryOut, **WRITE_ERRORS})
def write_entry(request, person_id: int, data: EntryIn):
    """Write an entry in one of the person's enrolments that the caller's units enrolled or referred."""
    user = request.auth
    person = access.get_person_for(
        user, person_id, action="create", write=True, what="journal entry", source=_source(request)
    )
    enrolment = Enrolment.objects.filter(pk=data.enrolment_id, person=person).first()
    if enrolment is None:
        return _refusal(request, [Violation("enrolment_id", _("The person has no such enrolment."))])
    if not access.may_write_enrolment(user, enrolment):
        access.deny(user, person.pk, action="create", what="journal entry", source=_source(request))
    meeting = participation = None
    problems = []
    if data.meeting_id is not None:
        meeting = Meeting.objects.filter(pk=data.meeting_id).first()
        if meeting is None:
            problems.append(Violation("meeting_id", _("No such meeting.")))
    if data.participation_id is not None:
        participation = Participation.objects.filter(pk=data.participation_id).first()
        if participation is None:
            problems.append(Violation("participation_id", _("No such measure.")))
    try:
        if problems:
            raise rules.Refused(problems)
        entry = rules.write(
            user,
            enrolment=enrolment,
            kind=data.kind,
            date=data.date,
            text=data.text,
            meeting=meeting,
            participation=participation,
            sign=data.sign,
        )
    except rules.Refused as exc:
        return _refusal(
            request,
            [
                Violation(
                    {"meeting": "meeting_id", "participation": "participation_id"}.get(v.field, v.field), v.message
                )
                for v in exc.violations
            ],
        )
    rules.log_written(user, entry, source=_source(request))
    return Status(201, _out(_entries(person.pk).get(pk=entry.pk), timezone.now()))


def _entry(request, entry_id: int, *, write: bool, action: str) -> JournalEntry:
    person_id = JournalEntry.objects.filter(pk=entry_id).values_list("person_id", flat=True).first()
    if person_id is None:
        raise Http404(_("No such journal entry."))
    access.get_person_for(
        request.auth, person_id, action=action, write=write, what="journal entry", source=_source(request)
    )
    entry = _entries(person_id).select_related("enrolment").get(pk=entry_id)
    if write and not access.may_write_enrolment(request.auth, entry.enrolment):
        access.deny(request.auth, person_id, action=action, what="journal entry", source=_source(request))
    return entry


@router.get("/journal/{entry_id}", response={200: EntryOut, **ERRORS})
def get_entry(request, entry_id: int):
    return _out(_entry(request, entry_id, write=False, action="read"), timezone.now())


@router.api_operation(["PUT", "PATCH", "DELETE"], "/journal/{entry_id}", response={405: Detail, **ERRORS})
def change_entry(request, entry_id: int):
    """Refused: a journal entry is never changed or deleted through the API. A signed entry is
    corrected by a new entry (``POST /journal/{entry_id}/corrections``)."""
    log.record_for_user(
        request.auth,
        "denied",
        source=_source(request),
        object_type="journalentry",
        object_id=entry_id,
        detail=f"refused {request.method}",
    )
    return Status(405, {"detail": _("A journal entry is never changed or deleted; correct it with a new entry.")})


@router.post("/journal/{entry_id}/sign", response={200: EntryOut, **WRITE_ERRORS})
def sign_entry(request, entry_id: int):
    """The author signs an unsigned entry."""
    entry = _entry(request, entry_id, write=True, action="update")
    try:
        rules.sign(entry, request.auth)
    except rules.Refused as exc:
        return _refusal(request, exc.violations)
    rules.log_signed(request.auth, entry, source=_source(request))
    return _out(entry, timezone.now())


@router.post("/journal/{entry_id}/corrections", response={201: EntryOut, **WRITE_ERRORS})
def correct_entry(request, entry_id: int, data: CorrectionIn):
    """Correct (or withdraw) a signed entry with a new, signed entry in the same enrolment; both stay."""
    entry = _entry(request, entry_id, write=True, action="create")
    try:
        new = rules.correct(
            entry,
            request.auth,
            kind=data.kind,
            date=data.date,
            text=data.text,
            reason=data.reason,
            withdraws=data.withdraws,
        )
    except rules.Refused as exc:
        return _refusal(request, exc.violations)
    rules.log_correction(request.auth, new, source=_source(request))
    return Status(201, _out(_entries(entry.person_id).get(pk=new.pk), timezone.now()))
