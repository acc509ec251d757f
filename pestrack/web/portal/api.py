"""The participant portal's API, /api/v1/portal/: the signed-in participant's own records, for a
participant's session only (a staff session or token gets 403 here, and a participant's session gets
403 on every staff endpoint: web/portal/middleware.py). No route takes a person id. Refusals are
``{"detail": ...}`` in the participant's language, logged; every read is logged as a self-access."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from ninja import File, Form, Router, Schema, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile
from ninja.security import APIKeyCookie

from pestrack.records import access
from pestrack.records.employers.interest import InterestRefused, express
from pestrack.records.journal import messages as message_rules
from pestrack.records.portal import selfaccess, signin
from pestrack.web.api_common import Detail
from pestrack.web.portal import mine


class ParticipantSession(APIKeyCookie):
    """The portal's session cookie (with Django's CSRF check on writes): the participant, or 401."""

    param_name = settings.SESSION_COOKIE_NAME

    def authenticate(self, request, key):
        return getattr(request, "participant", None)


router = Router(tags=["portal"], auth=ParticipantSession())
ERRORS = {401: Detail, 403: Detail, 404: Detail, 422: Detail}


def _seen(request, what: str) -> None:
    selfaccess.record(request.auth.pk, what, source=access.client_address(request))


class CaseworkerOut(Schema):
    name: str
    email: str
    unit: str


class MeOut(Schema):
    id: int
    first_name: str
    last_name: str
    email: str
    mobile_phone: str
    caseworker: CaseworkerOut | None


class PlanOut(Schema):
    date: dt.date
    goals: str
    steps: str
    review_date: dt.date | None


class MeetingOut(Schema):
    id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    kind: str
    place: str
    digital: bool
    coming: bool
    cancelled: bool
    outcome: str
    calendar_url: str


class PlaceOut(Schema):
    id: int
    title: str
    employer: str
    kind: str
    start_date: dt.date
    hours_per_week: int | None
    reasons: list[str]
    interested: bool


class InterestIn(Schema):
    place_id: int


class InterestOut(Schema):
    place_id: int
    created: bool


class MessageOut(Schema):
    id: int
    sent_at: dt.datetime
    from_me: bool
    author: str
    text: str
    attachment_url: str | None


@router.get("/portal/me", response={200: MeOut, **ERRORS})
def me(request):
    """Who is signed in, and their responsible caseworker."""
    person = request.auth
    _seen(request, "portal overview")
    return {
        "id": person.pk,
        "first_name": person.first_name,
        "last_name": person.last_name,
        "email": person.email,
        "mobile_phone": person.mobile_phone,
        "caseworker": mine.caseworker(person),
    }


@router.get("/portal/plan", response={200: PlanOut | None, **ERRORS})
def plan(request):
    """The current plan (goal, steps, review date); null when there is none."""
    _seen(request, "portal plan")
    return mine.plan(request.auth)


@router.get("/portal/meetings", response={200: list[MeetingOut], **ERRORS})
def meetings(request):
    """The meetings, coming ones first, each with its calendar file's URL."""
    from django.urls import reverse

    _seen(request, "portal meetings")
    return [{**m, "calendar_url": reverse("portal-meeting-ics", args=[m["id"]])} for m in mine.meetings(request.auth)]


@router.get("/portal/places", response={200: list[PlaceOut], **ERRORS})
def places(request):
    """Open places that suit the participant (the matching engine), with the reasons in plain words."""
    _seen(request, "portal places")
    return mine.places(request.auth)


@router.post("/portal/interest", response={200: InterestOut, 201: InterestOut, **ERRORS})
def interest(request, body: InterestIn):
    """Say "I am interested" in a place: 201 the first time, 200 when said before; 422 for a closed
    place (nothing is written)."""
    person = request.auth
    try:
        _interest, created = express(
            person, body.place_id, actor=signin.actor(person.pk), source=access.client_address(request)
        )
    except InterestRefused as refused:
        raise HttpError(404 if refused.code == "unknown" else 422, str(refused)) from None
    return Status(201 if created else 200, {"place_id": body.place_id, "created": created})


def _message_out(m: dict) -> dict:
    from django.urls import reverse

    return {
        **m,
        "attachment_url": reverse("portal-attachment", args=[m["id"]]) if m["attachment"] else None,
    }


@router.get("/portal/messages", response={200: list[MessageOut], **ERRORS})
def list_messages(request):
    """The thread with the caseworker, oldest first; the caseworker's messages count as read."""
    person = request.auth
    _seen(request, "portal messages")
    message_rules.mark_read(person, by_participant=True)
    return [_message_out(m) for m in mine.messages(person)]


@router.post("/portal/messages", response={201: MessageOut, **ERRORS})
def send_message(request, text: Form[str], attachment: File[UploadedFile] = None):
    """Send a message (multipart form: ``text``, optional ``attachment`` under the documents' rules).
    422 for an empty or too long text, or a file of a type or size not accepted (nothing is kept)."""
    person = request.auth
    try:
        message = message_rules.send(
            person, text, upload=attachment, actor=signin.actor(person.pk), source=access.client_address(request)
        )
    except message_rules.MessageRefused as refused:
        selfaccess.record(
            person.pk,
            "message",
            action="denied",
            source=access.client_address(request),
            detail=f"message refused ({refused.field})",
        )
        raise HttpError(422, str(refused)) from None
    shown = next(m for m in mine.messages(person) if m["id"] == message.pk)
    return Status(201, _message_out(shown))
