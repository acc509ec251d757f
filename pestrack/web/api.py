"""The JSON API, /api/v1/: the same access policy and access log as the pages (records.access).

Authentication: the Django session (a logged-in browser) or ``Authorization: Bearer <token>``
(web.models.ApiToken). Errors are ``{"detail": ...}`` with 400 (a parameter of the wrong type or out of
its range, named), 401, 403 or 404; every operation's schema lists them. The interactive docs
page is off: django-ninja's page would need its static files or a CDN; the schema is at
/api/v1/openapi.json.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Query, Schema, Status
from ninja.errors import HttpError, ValidationError
from ninja.security import HttpBearer, SessionAuth

from pestrack.records import access, worklist
from pestrack.records.casework.models import Enrolment, FollowUp, Participation
from pestrack.web.api_common import ERRORS, MAX_OFFSET, _person
from pestrack.web.models import ApiToken
from pestrack.web.views import masked_extract


class BearerToken(HttpBearer):
    def authenticate(self, request, token):
        return ApiToken.user_for(token)


api = NinjaAPI(
    title="pestrack API", version="1", urls_namespace="api-v1", docs_url="/docs", auth=[SessionAuth(), BearerToken()]
)


@api.exception_handler(PermissionDenied)
def _forbidden(request, exc):
    return api.create_response(request, {"detail": str(exc) or "Forbidden"}, status=403)


@api.exception_handler(ValidationError)
def _bad_parameter(request, exc):
    """A parameter of the wrong type or out of its range: 400, naming the parameter and the reason."""
    return api.create_response(request, {"detail": bad_parameters(exc.errors)}, status=400)


def bad_parameters(errors: list[dict]) -> str:
    parts = []
    for error in errors:
        where = [str(part) for part in error.get("loc", ()) if part not in ("query", "path", "body")]
        parts.append(f"{'.'.join(where) or 'request'}: {error.get('msg', 'invalid')}")
    return "; ".join(parts)


@api.exception_handler(Http404)
def _not_found(request, exc):
    return api.create_response(request, {"detail": str(exc) or "Not found"}, status=404)


class PersonOut(Schema):
    id: int
    first_name: str
    last_name: str
    birth_date: dt.date
    sex: str
    protected_identity: bool
    masked: bool
    anonymised: bool


class PersonDetailOut(PersonOut):
    identity_number: str
    address: str
    municipality: str


class PersonPage(Schema):
    count: int
    items: list[PersonOut]


class EnrolmentOut(Schema):
    id: int
    programme: str
    org_unit: str
    referring_unit: str | None
    target_group: str
    entry_route: str
    start_date: dt.date
    end_date: dt.date | None
    exit_reason: str | None
    # the work history as told at enrolment (profiling's time since last work); neither when not asked
    last_worked: dt.date | None = None
    never_worked: bool = False


class ParticipationOut(Schema):
    id: int
    enrolment_id: int
    measure: str
    provider_name: str
    start_date: dt.date
    end_date: dt.date | None
    withdrawn_at: dt.datetime | None = None  # withdrawn (makulerad): kept, marked, counted nowhere
    withdrawal_reason: str = ""


class FollowUpOut(Schema):
    id: int
    enrolment_id: int
    months: int
    reference_date: dt.date
    working: bool | None
    studying: bool | None
    self_sufficient: bool | None
    source: str
    withdrawn_at: dt.datetime | None = None  # withdrawn (makulerad): kept, marked, counted nowhere
    withdrawal_reason: str = ""


def _code(c) -> str | None:
    return c.code if c is not None else None


@api.get("/persons", response={200: PersonPage, **ERRORS}, tags=["persons"])
def list_persons(request, limit: int = Query(50, ge=1, le=500), offset: int = Query(0, ge=0, le=MAX_OFFSET)):
    """The persons the caller may read, protected identities masked. Each person listed is logged.
    ``limit`` is 1–500; a value outside that or a negative ``offset`` is refused (400)."""
    user = request.auth
    if not access.has_role(user, *access.READ_ROLES):
        access.deny(user, None, action="list", what="person list", source=access.client_address(request))
    qs = access.persons_visible_to(user)
    page = list(qs[offset : offset + limit])
    see = access.may_see_protected(user)
    access.record_listed(user, [p.pk for p in page], source=access.client_address(request))
    items = [access.present_person(user, p, unmasked=access.identity_visible(user, p, see)) for p in page]
    return {"count": qs.count(), "items": items}


@api.get("/persons/{person_id}", response={200: PersonDetailOut, **ERRORS}, tags=["persons"])
def get_person(request, person_id: int):
    person = _person(request, person_id)
    shown = access.present_person(request.auth, person)
    return {**shown, "municipality": person.municipality}


@api.get("/persons/{person_id}/enrolments", response={200: list[EnrolmentOut], **ERRORS}, tags=["persons"])
def person_enrolments(request, person_id: int):
    person = _person(request, person_id, what="enrolments")
    rows = Enrolment.objects.filter(person=person).select_related(
        "programme", "org_unit", "referring_unit", "target_group", "entry_route", "exit_reason"
    )
    return [
        {
            "id": e.pk,
            "programme": e.programme.code,
            "org_unit": e.org_unit.code,
            "referring_unit": e.referring_unit.code if e.referring_unit else None,
            "target_group": e.target_group.code,
            "entry_route": e.entry_route.code,
            "start_date": e.start_date,
            "end_date": e.end_date,
            "exit_reason": _code(e.exit_reason),
            "last_worked": e.last_worked,
            "never_worked": e.never_worked,
        }
        for e in rows
    ]


@api.get("/persons/{person_id}/participations", response={200: list[ParticipationOut], **ERRORS}, tags=["persons"])
def person_participations(request, person_id: int):
    person = _person(request, person_id, what="participations")
    rows = Participation.objects.filter(enrolment__person=person).select_related("measure")
    return [
        {
            "id": p.pk,
            "enrolment_id": p.enrolment_id,
            "measure": p.measure.code,
            "provider_name": p.provider_name,
            "start_date": p.start_date,
            "end_date": p.end_date,
            "withdrawn_at": p.withdrawn_at,
            "withdrawal_reason": p.withdrawal_reason,
        }
        for p in rows
    ]


@api.get("/persons/{person_id}/followups", response={200: list[FollowUpOut], **ERRORS}, tags=["persons"])
def person_followups(request, person_id: int):
    person = _person(request, person_id, what="followups")
    return list(FollowUp.objects.filter(enrolment__person=person))


class WorkItemOut(Schema):
    kind: str
    due_date: dt.date
    person_id: int
    enrolment_id: int
    object_id: int
    months: int | None = None  # the follow-up's months after exit (kind followup_due)


@api.get("/worklist", response={200: list[WorkItemOut], **ERRORS}, tags=["worklist"])
def my_worklist(request, kind: str | None = None):
    """What is due in the enrolments the caller is responsible for (records.worklist), the earliest
    first; ``kind`` keeps one kind (followup_due, plan_review_due, measure_overdue, inactive, and
    those of the other apps). Caseworkers and unit managers only; each person listed is logged."""
    user = request.auth
    if not access.has_role(user, *access.READ_ROLES):
        access.deny(user, None, action="list", what="work list", source=access.client_address(request))
    kinds = [s.kind for s in worklist.sources()]
    if kind is not None and kind not in kinds:
        raise HttpError(
            400, _("kind: no such kind of item %(kind)r; one of: %(kinds)s") % {"kind": kind, "kinds": ", ".join(kinds)}
        )
    rows = worklist.items(worklist.responsible_enrolments(user), timezone.localdate(), kinds=[kind] if kind else None)
    access.record_listed(
        user, list(dict.fromkeys(r["person_id"] for r in rows)), source=access.client_address(request), what="work list"
    )
    return [
        {
            "kind": r["kind"],
            "due_date": r["due_date"],
            "person_id": r["person_id"],
            "enrolment_id": r["enrolment_id"],
            "object_id": r["object_id"],
            "months": r.get("months"),
        }
        for r in rows
    ]


@api.get("/persons/{person_id}/export", response={200: dict, **ERRORS}, tags=["persons"])
def person_export(request, person_id: int):
    """The register extract (GDPR article 15) as JSON; logged as an export."""
    person = _person(request, person_id, action="export", what="register extract")
    return masked_extract(request.auth, person)


class MeetingOut(Schema):
    id: int
    enrolment_id: int
    kind: str
    starts_at: dt.datetime
    duration_minutes: int
    place: str
    digital: bool
    other_bodies: list[str]
    outcome: str | None
    organiser: str | None


class MeetingIn(Schema):
    enrolment_id: int
    kind: str
    starts_at: dt.datetime
    duration_minutes: int = 60
    place: str = ""
    digital: bool = False
    other_bodies: list[str] = []
    outcome: str | None = None


class FieldError(Schema):
    field: str
    message: str


class FieldErrors(Schema):
    detail: list[FieldError]


def _meeting_out(m) -> dict:
    return {
        "id": m.pk,
        "enrolment_id": m.enrolment_id,
        "kind": m.kind.code,
        "starts_at": m.starts_at,
        "duration_minutes": m.duration_minutes,
        "place": m.place,
        "digital": m.digital,
        "other_bodies": [c.code for c in m.other_bodies.all()],
        "outcome": _code(m.outcome),
        "organiser": m.organiser.get_username() if m.organiser else None,
    }


@api.get("/persons/{person_id}/meetings", response={200: list[MeetingOut], **ERRORS}, tags=["meetings"])
def person_meetings(request, person_id: int):
    """The person's meetings, oldest first (codes of the profile's lists ``meeting_kind``,
    ``other_body`` and ``meeting_outcome``)."""
    from pestrack.records.meetings.models import Meeting

    person = _person(request, person_id, what="meetings")
    rows = (
        Meeting.objects.filter(person=person)
        .order_by("starts_at")
        .select_related("kind", "outcome", "organiser")
        .prefetch_related("other_bodies")
    )
    return [_meeting_out(m) for m in rows]


@api.post("/persons/{person_id}/meetings", response={201: MeetingOut, 422: FieldErrors, **ERRORS}, tags=["meetings"])
def book_person_meeting(request, person_id: int, payload: MeetingIn):
    """Book a meeting in an open enrolment of the person (in the caller's units); a meeting whose
    time has passed needs its ``outcome``, and one in the future may not have one. A broken rule
    is answered 422 with each field and the reason, and nothing is saved."""
    from pestrack.records.codes.models import Code
    from pestrack.records.meetings import rules

    user = request.auth
    person = access.get_person_for(user, person_id, write=True, what="meetings", source=access.client_address(request))
    problems = []
    enrolment = Enrolment.objects.filter(pk=payload.enrolment_id, person=person).first()
    if (
        enrolment is not None
        and enrolment.org_unit_id not in (units := access.unit_ids_in_scope(user, write=True))
        and enrolment.referring_unit_id not in units
    ):
        enrolment = None
    if enrolment is None:
        problems.append({"field": "enrolment_id", "message": _("No such enrolment of this person in your units.")})
    codes = {
        (c.list, c.code): c
        for c in Code.objects.filter(list__in=["meeting_kind", "other_body", "meeting_outcome"], active=True)
    }
    kind = codes.get(("meeting_kind", payload.kind))
    if kind is None:
        problems.append({"field": "kind", "message": _("Unknown meeting kind %(c)s.") % {"c": repr(payload.kind)}})
    bodies = []
    for b in payload.other_bodies:
        if ("other_body", b) not in codes:
            problems.append({"field": "other_bodies", "message": _("Unknown body %(c)s.") % {"c": repr(b)}})
        else:
            bodies.append(codes[("other_body", b)])
    outcome = None
    if payload.outcome is not None:
        outcome = codes.get(("meeting_outcome", payload.outcome))
        if outcome is None:
            problems.append({"field": "outcome", "message": _("Unknown outcome %(c)s.") % {"c": repr(payload.outcome)}})
    starts_at = payload.starts_at
    if starts_at.tzinfo is None:
        problems.append(
            {"field": "starts_at", "message": _("Give the time with its offset, e.g. 2026-11-03T09:30:00+01:00.")}
        )
    if problems:
        return Status(422, {"detail": problems})
    try:
        meeting = rules.book_meeting(
            user,
            enrolment=enrolment,
            kind=kind,
            starts_at=starts_at,
            duration_minutes=payload.duration_minutes,
            place=payload.place,
            digital=payload.digital,
            other_bodies=bodies,
            outcome=outcome,
            source=access.client_address(request),
        )
    except rules.RuleError as exc:
        fields = {"starts_at": "starts_at", "enrolment": "enrolment_id"}
        return Status(
            422, {"detail": [{"field": fields.get(v.field, v.field), "message": v.message} for v in exc.violations]}
        )
    return Status(201, _meeting_out(meeting))


from pestrack.web.api_results import router as results_router  # noqa: E402  (exits, indicator results)

api.add_router("/", results_router)
from pestrack.web.api_journal import router as journal_router  # noqa: E402  (journal entries)

api.add_router("/", journal_router)
from pestrack.web.portal.api import router as portal_router  # noqa: E402  (the participant portal)

api.add_router("/", portal_router)
