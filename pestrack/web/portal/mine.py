"""What the participant sees of their own record, as plain data for the portal's pages and its API.

Every function takes the signed-in participant (a Person) and reads only their records: there is no
other person's id to pass. The caller logs the self-access (records.portal.selfaccess)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext as _

from pestrack.records.casework.assignment import user_label
from pestrack.records.casework.models import Enrolment, Participation, Plan
from pestrack.records.employers.interest import is_open
from pestrack.records.employers.models import Place, PlaceInterest
from pestrack.records.meetings.models import Attendance, Meeting

PLACES_SHOWN = 10


def code_name(code) -> str:
    """A code's name in the participant's language: Swedish, English, or a profile language's
    translation of the English name (the profile's catalogue), English when it has none."""
    if code is None:
        return ""
    language = (get_language() or "sv").split("-")[0]
    if language == "sv":
        return code.name_sv
    if language == "en":
        return code.name_en
    return gettext(code.name_en)


def enrolment(person) -> Enrolment | None:
    """The open enrolment, else the latest one."""
    qs = Enrolment.objects.filter(person=person).select_related("caseworker", "org_unit")
    return qs.filter(end_date__isnull=True).order_by("-start_date").first() or qs.order_by("-start_date").first()


def caseworker(person) -> dict | None:
    """The responsible caseworker of the current enrolment: name, e-mail and unit."""
    e = enrolment(person)
    if e is None or e.caseworker is None:
        return None
    return {"name": user_label(e.caseworker), "email": e.caseworker.email, "unit": e.org_unit.name}


def plan(person) -> dict | None:
    """The latest plan of the current enrolment (goal, steps, review date)."""
    e = enrolment(person)
    p = Plan.objects.current().filter(enrolment=e).order_by("-date", "-pk").first() if e else None
    if p is None:
        return None
    return {"id": p.pk, "date": p.date, "goals": p.goals, "steps": p.steps, "review_date": p.review_date}


def meetings(person) -> list[dict]:
    """Every meeting, the coming ones first (soonest first), then the past ones (latest first)."""
    now = timezone.now()
    rows = []
    for m in Meeting.objects.filter(person=person).select_related("kind", "outcome", "organiser").order_by("starts_at"):
        rows.append(
            {
                "id": m.pk,
                "starts_at": m.starts_at,
                "ends_at": m.starts_at + timezone.timedelta(minutes=m.duration_minutes),
                "duration_minutes": m.duration_minutes,
                "kind": code_name(m.kind),
                "place": "" if m.digital else m.place,
                "digital": m.digital,
                "with": user_label(m.organiser) if m.organiser else "",
                "outcome": code_name(m.outcome),
                "coming": m.starts_at >= now and (m.outcome is None or m.outcome.code != "cancelled_in_time"),
                "cancelled": m.outcome is not None and m.outcome.code == "cancelled_in_time",
            }
        )
    coming = [r for r in rows if r["coming"]]
    return coming + [r for r in reversed(rows) if not r["coming"]]


def next_meeting(person) -> dict | None:
    return next((m for m in meetings(person) if m["coming"]), None)


def measures(person) -> list[dict]:
    """The measures (current ones first) with their dates and attendance."""
    parts = list(
        Participation.objects.current()
        .filter(enrolment__person=person)
        .select_related("measure")
        .order_by("end_date", "-start_date")
    )
    days = {}
    for a in Attendance.objects.filter(participation__in=parts).select_related("absence_reason").order_by("-date"):
        days.setdefault(a.participation_id, []).append(a)
    out = []
    for p in parts:
        marked = days.get(p.pk, [])
        out.append(
            {
                "id": p.pk,
                "measure": code_name(p.measure),
                "provider": p.provider_name,
                "start_date": p.start_date,
                "planned_end_date": p.planned_end_date,
                "end_date": p.end_date,
                "current": p.end_date is None,
                "present_days": sum(1 for a in marked if a.present),
                "absent_days": sum(1 for a in marked if not a.present),
                "recent": [
                    {"date": a.date, "present": a.present, "reason": code_name(a.absence_reason)} for a in marked[:10]
                ],
            }
        )
    return out


def _reasons(q, x: dict) -> list[str]:
    """Why place ``q`` suits the participant, in plain words (the matching engine's explanation of
    the pair ``x``, without scores)."""
    parts = x["components"]
    out = []
    if parts.get("occupation", 0) >= 0.6 and q.occupation >= 0:
        out.append(_("The job is close to the work you want or have done."))
    if q.required:
        out.append(
            _("You have %(n)s of the %(total)s skills the employer asks for.")
            % {"n": len(x["skills_covered"]), "total": len(q.required)}
        )
    if x["distance_km"] is not None:
        out.append(_("It is about %(km)s km from your home.") % {"km": round(x["distance_km"])})
    if parts.get("conditions", 0) >= 0.9:
        out.append(_("You can start when the job starts."))
    if not out:
        out.append(_("It fits what we know about you."))
    return out


def places(person, top: int = PLACES_SHOWN) -> list[dict]:
    """Open places that suit the participant, best first, from the matching engine, with the
    reasons in plain words and whether they have said they are interested."""
    from pestrack.matching import store

    found = store.suggestions(person.pk, top) or []
    interested = set(PlaceInterest.objects.filter(person=person).values_list("place_id", flat=True))
    records = Place.objects.select_related("employer", "kind").in_bulk([q.id for q, _x in found])
    out = []
    for q, x in found:
        place = records.get(q.id)
        if place is None or not is_open(place):
            continue
        out.append(_shown_place(place, reasons=_reasons(q, x), interested=place.pk in interested))
    shown = {r["id"] for r in out}
    # places they said they are interested in stay on the list, open or not
    for interest in (
        PlaceInterest.objects.filter(person=person)
        .exclude(place_id__in=shown)
        .select_related("place__employer", "place__kind")
    ):
        place = interest.place
        reasons = [] if is_open(place) else [_("The place is no longer open.")]
        out.append(_shown_place(place, reasons=reasons, interested=True))
    return out


def _shown_place(place, *, reasons: list[str], interested: bool) -> dict:
    return {
        "id": place.pk,
        "title": place.title,
        "employer": place.employer.name,
        "kind": code_name(place.kind),
        "start_date": place.start_date,
        "hours_per_week": place.hours_per_week,
        "reasons": reasons,
        "interested": interested,
    }


def messages(person) -> list[dict]:
    from pestrack.records.journal.messages import thread

    return [
        {
            "id": m.pk,
            "sent_at": m.sent_at,
            "from_me": m.from_participant,
            "author": "" if m.from_participant else user_label(m.author),
            "text": m.text,
            "attachment": None
            if m.document is None or m.document.withdrawn
            else {"id": m.pk, "name": m.document.name, "size": m.document.size},
        }
        for m in thread(person)
    ]


def estimates(person) -> list[dict]:
    """The statistical estimates made for the participant's enrolments (pestrack.profiling): when, and
    what they used, in words. Never the number: the portal says that an estimate was made and what it
    rested on, so that the participant can ask their caseworker about it."""
    from pestrack.profiling import settings as profiling_settings
    from pestrack.records.codes.models import ProfileSetting
    from pestrack.records.codes.profile import ProfileError
    from pestrack.records.profiling.models import Estimate

    rows = list(Estimate.objects.filter(enrolment__person=person).select_related("enrolment").order_by("-created_at"))
    if not rows:
        return []
    language = "sv" if (get_language() or "sv").startswith("sv") else "en"
    try:
        settings = profiling_settings.read(ProfileSetting.get("profile") or "")
    except (ProfileError, FileNotFoundError, ValueError):
        settings = None  # the settings cannot be read: say that an estimate was made, not what it used

    def used(inputs: dict) -> list[str]:
        """The inputs' labels in the profile's order (a JSON column keeps no key order on PostgreSQL)."""
        if settings is None:
            return []
        declared = settings.columns
        ordered = sorted(inputs, key=lambda c: (declared.index(c) if c in declared else len(declared), c))
        return [settings.label(column, language) for column in ordered]

    return [
        {
            "id": e.pk,
            "made": timezone.localtime(e.created_at).date(),
            "enrolled": e.enrolment.start_date,
            "inputs": used(e.inputs),
        }
        for e in rows
    ]
