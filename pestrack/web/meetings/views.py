"""Meetings and attendance: booking a meeting and recording its outcome, my day and week of
meetings, a meeting's calendar file, a participation's week of attendance, and the monthly
attendance report for a referring social-services unit.

Access is decided by records.access like every person page (403, logged, outside the user's
units); the writes go through records.meetings.rules, which check and log them."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from pestrack.records import access
from pestrack.records.casework.models import Enrolment, Participation
from pestrack.records.codes.models import Code
from pestrack.records.meetings import calendar, rules
from pestrack.records.meetings.models import Attendance, Meeting
from pestrack.records.org.models import OrgUnit, Role
from pestrack.records.people.models import Person
from pestrack.web.meetings import forms as mf
from pestrack.web.workspace.common import _enrolment_writable, _require_casework, _source, _url_maker
from pestrack.web.workspace.forms import code_label


def _shown(user, person) -> dict:
    return access.present_person(user, person)


MEETING_FIELDS = (
    "id",
    "person_id",
    "enrolment_id",
    "starts_at",
    "duration_minutes",
    "place",
    "digital",
    "outcome_id",
    "kind__name_sv",
    "kind__name_en",
    "outcome__name_sv",
    "outcome__name_en",
)


def meeting_rows(
    user, meetings, *, writable: set[int] = frozenset(), persons: dict | None = None, now=None
) -> list[dict]:
    """The texts of ``meetings`` (a queryset) as the pages show them, made here rather than by
    filters per row, from plain values (two queries: the meetings with their codes' names, and
    their other bodies); with the persons' names (masked as the user may see them) when
    ``persons`` (id → Person) is given."""
    now = now or timezone.now()
    english = (get_language() or "sv").startswith("en")
    lang = "en" if english else "sv"
    person_url = _url_maker("person-detail")
    outcome_url = _url_maker("meeting-outcome")
    ics_url = _url_maker("meeting-ics")
    see = access.may_see_protected(user) if persons else False
    found = list(meetings.values(*MEETING_FIELDS))
    bodies: dict[int, list[str]] = {}
    if found:
        through = Meeting.other_bodies.through.objects.filter(meeting_id__in=[m["id"] for m in found])
        for mid, name in through.order_by("code__sort_order").values_list("meeting_id", f"code__name_{lang}"):
            bodies.setdefault(mid, []).append(name)
    digital = _("Digital")
    rows = []
    for m in found:
        local = timezone.localtime(m["starts_at"])
        rows.append(
            {
                "id": m["id"],
                "person_id": m["person_id"],
                "person_url": person_url(m["person_id"]),
                "name": access.display_name(user, persons[m["person_id"]], see) if persons else "",
                "iso": local.isoformat(),
                "day": date_format(local, "SHORT_DATE_FORMAT"),
                "date": local.date(),
                "time": local.strftime("%H:%M"),
                "end": (local + dt.timedelta(minutes=m["duration_minutes"])).strftime("%H:%M"),
                "kind": m[f"kind__name_{lang}"],
                "place": digital if m["digital"] else m["place"],
                "other_bodies": ", ".join(bodies.get(m["id"], ())),
                "outcome": m[f"outcome__name_{lang}"] if m["outcome_id"] else "",
                "may_record": m["enrolment_id"] in writable and m["starts_at"] <= now,
                "outcome_url": outcome_url(m["id"]),
                "ics_url": ics_url(m["id"]),
            }
        )
    return rows


PERSON_PAGE_MEETINGS = 20


def person_meetings(user, person, writable_enrolments: set[int]) -> tuple[list[dict], bool]:
    """The person's latest meetings for the person page, newest first (two queries), and whether
    there are earlier ones not shown (the page stays quick for a person with years of meetings)."""
    rows = meeting_rows(
        user,
        Meeting.objects.filter(person=person).order_by("-starts_at")[: PERSON_PAGE_MEETINGS + 1],
        writable=writable_enrolments,
    )
    return rows[:PERSON_PAGE_MEETINGS], len(rows) > PERSON_PAGE_MEETINGS


# --- Booking and outcome --------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def book(request, person_id):
    person = access.get_person_for(request.user, person_id, write=True, what="meeting form", source=_source(request))
    units = access.unit_ids_in_scope(request.user, write=True)
    enrolments = (
        Enrolment.objects.filter(person=person, end_date__isnull=True)
        .filter(Q(org_unit_id__in=units) | Q(referring_unit_id__in=units))
        .select_related("programme", "org_unit")
    )
    if not enrolments.exists():
        messages.error(request, _("The person has no open enrolment in your units: a meeting is booked in one."))
        return redirect("person-detail", person.pk)
    form = mf.MeetingForm(
        request.POST or None,
        enrolments=enrolments,
        initial={
            "date": timezone.localdate() + dt.timedelta(days=1),
            "time": dt.time(9, 0),
            "enrolment": enrolments.first(),
        },
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            rules.book_meeting(
                request.user,
                enrolment=d["enrolment"],
                kind=d["kind"],
                starts_at=form.starts_at(),
                duration_minutes=d["duration_minutes"],
                place=d["place"],
                digital=d["digital"],
                other_bodies=d["other_bodies"],
                outcome=d["outcome"],
                source=_source(request),
            )
        except rules.RuleError as exc:
            mf.attach(form, exc.violations, form.rule_field)
        else:
            messages.success(
                request,
                _("The meeting is booked.") if d["outcome"] is None else _("The meeting is recorded with its outcome."),
            )
            return redirect(reverse("person-detail", args=[person.pk]) + "#meetings")
    return render(
        request,
        "web/workspace/form.html",
        {"form": form, "person": person, "shown": _shown(request.user, person), "title": _("Book a meeting")},
        status=422 if request.method == "POST" else 200,
    )


def _meeting_for(request, meeting_id, *, write: bool, what: str) -> Meeting:
    meeting = get_object_or_404(Meeting.objects.select_related("kind", "outcome", "person", "enrolment"), pk=meeting_id)
    access.get_person_for(
        request.user,
        meeting.person_id,
        write=write,
        action="update" if write else "read",
        what=what,
        source=_source(request),
    )
    if write and not _enrolment_writable(meeting.enrolment, access.unit_ids_in_scope(request.user, write=True)):
        access.deny(request.user, meeting.person_id, action="update", what=what, source=_source(request))
    return meeting


@login_required
@require_http_methods(["GET", "POST"])
def outcome(request, meeting_id):
    """Record how a meeting went. From the person page with htmx, the form opens in place and the
    meeting's line is replaced by its new state."""
    meeting = _meeting_for(request, meeting_id, write=True, what="meeting outcome")
    htmx = bool(request.headers.get("HX-Request"))
    form = mf.OutcomeForm(request.POST or None, initial={"outcome": meeting.outcome_id})
    if request.method == "POST" and form.is_valid():
        try:
            rules.record_outcome(request.user, meeting, form.cleaned_data["outcome"], source=_source(request))
        except rules.RuleError as exc:
            mf.attach(form, exc.violations)
        else:
            if htmx:
                row = meeting_rows(
                    request.user, Meeting.objects.filter(pk=meeting.pk), writable={meeting.enrolment_id}
                )[0]
                response = render(request, "web/meetings/meeting_item.html", {"m": row, "saved": True})
                response["HX-Retarget"] = f"#meeting-{meeting.pk}"
                response["HX-Reswap"] = "outerHTML"
                return response
            messages.success(request, _("The outcome is recorded."))
            return redirect(reverse("person-detail", args=[meeting.person_id]) + "#meetings")
    context = {
        "form": form,
        "meeting": meeting,
        "person": meeting.person,
        "shown": _shown(request.user, meeting.person),
        "title": _("Outcome of the meeting %(when)s")
        % {"when": date_format(timezone.localtime(meeting.starts_at), "SHORT_DATETIME_FORMAT")},
        "intro": code_label(meeting.kind),
    }
    if htmx:  # errors come back in the form, with 200 so that htmx swaps them in
        return render(request, "web/meetings/outcome_inline.html", context)
    return render(request, "web/workspace/form.html", context, status=422 if request.method == "POST" else 200)


# --- My meetings: the day and the week ------------------------------------------------------


def meetings_of(user):
    """A caseworker's meetings (organised by them, or of enrolments they are responsible for, in
    their units); a unit manager's: those of their units' enrolments."""
    scope = access.enrolments_in_scope(user)
    qs = Meeting.objects.filter(enrolment__in=scope)
    if access.has_role(user, Role.CASEWORKER):
        qs = qs.filter(Q(organiser=user) | Q(enrolment__caseworker=user))
    return qs


@login_required
def my_meetings(request):
    _require_casework(request, "meetings")
    week = request.GET.get("view") == "week"
    try:
        day = dt.date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        day = timezone.localdate()
    first = day - dt.timedelta(days=day.weekday()) if week else day
    last = first + dt.timedelta(days=6 if week else 0)
    start = timezone.make_aware(dt.datetime.combine(first, dt.time.min))
    end = timezone.make_aware(dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min))
    meetings = meetings_of(request.user).filter(starts_at__gte=start, starts_at__lt=end).order_by("starts_at")
    found = list(
        meetings.values_list("person_id", "enrolment__org_unit_id", "enrolment__referring_unit_id", "enrolment_id")
    )
    units = access.unit_ids_in_scope(request.user, write=True)
    writable = {eid for _p, unit, referrer, eid in found if unit in units or referrer in units}
    persons = Person.objects.in_bulk({p for p, *_rest in found})
    rows = meeting_rows(request.user, meetings, writable=writable, persons=persons)
    access.record_listed(request.user, sorted(persons), source=_source(request), what="meetings")
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    by_day = [
        {
            "date": d,
            "label": date_format(d, "l j F Y"),
            "iso": d.isoformat(),
            "rows": [r for r in rows if r["date"] == d],
        }
        for d in days
    ]
    step = dt.timedelta(days=7 if week else 1)
    view = "week" if week else "day"
    return render(
        request,
        "web/meetings/my_meetings.html",
        {
            "week": week,
            "days": by_day,
            "count": len(rows),
            "heading": (
                _("Week %(n)s, %(first)s – %(last)s")
                % {"n": first.isocalendar()[1], "first": date_format(first, "j F"), "last": date_format(last, "j F Y")}
            )
            if week
            else date_format(day, "l j F Y"),
            "prev": f"?view={view}&day={(first - step).isoformat()}",
            "next": f"?view={view}&day={(first + step).isoformat()}",
            "today": f"?view={view}",
            "other": f"?view={'day' if week else 'week'}&day={day.isoformat()}",
        },
    )


@login_required
def meeting_ics(request, meeting_id):
    """The meeting as an iCalendar file (no identity number; a protected person's name masked)."""
    meeting = _meeting_for(request, meeting_id, write=False, what="meeting calendar file")
    meeting = (
        Meeting.objects.select_related("kind", "outcome", "person").prefetch_related("other_bodies").get(pk=meeting.pk)
    )
    person_url = request.build_absolute_uri(reverse("person-detail", args=[meeting.person_id]))
    body = calendar.ics(
        meeting,
        name=access.display_name(request.user, meeting.person),
        url=person_url,
        label=code_label,
        digital_text=_("Digital meeting"),
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="meeting-{meeting.pk}.ics"'
    return response


# --- Attendance -----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def attendance_week(request, participation_id):
    participation = get_object_or_404(
        Participation.objects.select_related("measure", "enrolment__person", "enrolment"), pk=participation_id
    )
    enrolment = participation.enrolment
    person = enrolment.person
    access.get_person_for(request.user, person.pk, write=True, what="attendance", source=_source(request))
    if not _enrolment_writable(enrolment, access.unit_ids_in_scope(request.user, write=True)):
        access.deny(request.user, person.pk, action="update", what="attendance", source=_source(request))
    today = timezone.localdate()
    try:
        day = dt.date.fromisoformat(request.GET.get("week", ""))
    except ValueError:
        day = min(today, participation.end_date or today)
    days = rules.week_of(day)
    selectable = {d for d in days if participation.start_date <= d <= min(today, participation.end_date or today)}
    existing = {
        a.date: a for a in Attendance.objects.filter(participation=participation, date__range=(days[0], days[-1]))
    }
    initial = {}
    for d, a in existing.items():
        initial[f"status_{d.isoformat()}"] = mf.PRESENT if a.present else mf.ABSENT
        initial[f"reason_{d.isoformat()}"] = a.absence_reason_id
    reasons = Code.objects.filter(list="absence_reason", active=True)
    form = mf.AttendanceWeekForm(
        request.POST or None, days=days, selectable=selectable, reasons=reasons, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        changed = {}
        for d, entry in form.entries().items():
            old = existing.get(d)
            before = None if old is None else (old.present, old.absence_reason_id)
            after = None if entry is None else (entry[0], entry[1].pk if entry[1] else None)
            if before != after:
                changed[d] = entry
        try:
            rules.record_attendance(request.user, participation, changed, source=_source(request), today=today)
        except rules.RuleError as exc:
            mf.attach(form, exc.violations, form.rule_field)
        else:
            messages.success(request, _("The attendance is saved."))
            return redirect(reverse("attendance-week", args=[participation.pk]) + f"?week={days[0].isoformat()}")
    step = dt.timedelta(days=7)
    return render(
        request,
        "web/meetings/attendance_week.html",
        {
            "form": form,
            "person": person,
            "shown": _shown(request.user, person),
            "participation": participation,
            "measure": code_label(participation.measure),
            "title": _("Attendance, week %(n)s") % {"n": days[0].isocalendar()[1]},
            "span": f"{date_format(days[0], 'j F')} – {date_format(days[-1], 'j F Y')}",
            "prev": f"?week={(days[0] - step).isoformat()}",
            "next": f"?week={(days[0] + step).isoformat()}" if days[0] + step <= today else "",
            "week_iso": days[0].isoformat(),
        },
        status=422 if request.method == "POST" else 200,
    )


# --- The monthly attendance report ----------------------------------------------------------


def report_units(user):
    """The referring units of the financial-assistance enrolments the user reads."""
    from pestrack.reports.attendance import financial_assistance

    referred = financial_assistance(access.enrolments_in_scope(user)).values("referring_unit_id")
    return OrgUnit.objects.filter(pk__in=referred).order_by("name")


@login_required
def attendance_report(request):
    from pestrack.reports import attendance

    _require_casework(request, "attendance report")
    units = list(report_units(request.user))
    last_month = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    asked = "unit" in request.GET
    if asked and request.GET["unit"] not in {u.code for u in units}:
        access.deny(request.user, None, action="export", what="attendance report", source=_source(request))
    form = mf.ReportForm(
        request.GET if asked else None, units=units, initial={"month": f"{last_month:%Y-%m}", "format": "pdf"}
    )
    if asked and form.is_valid():
        unit = next(u for u in units if u.code == form.cleaned_data["unit"])
        fmt = form.cleaned_data["format"]
        report = attendance.build(
            unit, form.cleaned_data["month"], enrolments=access.enrolments_in_scope(request.user), user=request.user
        )
        actor, actor_id = access.log.actor_of(request.user)
        attendance.log_produced(report, actor=actor, actor_id=actor_id, fmt=fmt, source=_source(request))
        name = f"attendance-{unit.code}-{report.month:%Y-%m}.{fmt}"
        if fmt == "csv":
            response = HttpResponse(attendance.to_csv(report), content_type="text/csv; charset=utf-8")
        else:
            response = HttpResponse(attendance.to_pdf(report), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    return render(
        request, "web/meetings/attendance_report.html", {"form": form, "units": units}, status=422 if asked else 200
    )
