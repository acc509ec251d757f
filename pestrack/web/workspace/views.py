"""The caseworker workspace: home page, my caseload, person search, the person page with its
timeline, and the forms that record casework.

Every view decides access through records.access (403 for a person outside the user's units,
logged) and logs what it shows and writes; protected identities are masked for users without
``may_see_protected``."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import linebreaksbr
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format, localize
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods

from pestrack.records import access
from pestrack.records.admin_support import attach_violations, identity_search
from pestrack.records.audit import log
from pestrack.records.casework import assignment, corrections
from pestrack.records.casework.models import Assessment, Enrolment, FollowUp, Participation, Plan
from pestrack.records.codes.models import Code
from pestrack.records.codes.profile import home_municipality
from pestrack.records.people.models import Person
from pestrack.web.workspace import forms as wf
from pestrack.web.workspace.common import _enrolment_writable, _log, _person_page, _require_casework, _source
from pestrack.web.workspace.documents import person_documents
from pestrack.web.workspace.journal import person_page_journal
from pestrack.web.workspace.notifications import person_notifications
from pestrack.web.workspace.participant import portal_section
from pestrack.web.workspace.timeline import CodeNames, enrolments_of, events, value_rows
from pestrack.web.workspace.worklist import home_counts

PAGE_SIZE = 25
INACTIVE_DAYS = (30, 90, 180)


@login_required
def home(request):
    """What this user can do, by role; a caseworker sees the size of their caseload."""
    user = request.user
    assignments = sorted(access.user_assignments(user), key=lambda a: (a.role, a.unit.name))
    open_count = None
    if access.has_role(user, *access.READ_ROLES):
        open_count = _open_enrolments(user).count()
    return render(
        request, "web/home.html", {"assignments": assignments, "open_count": open_count, "worklist": home_counts(user)}
    )


# --- My caseload ----------------------------------------------------------------------------


def _open_enrolments(user):
    return access.enrolments_in_scope(user).filter(end_date__isnull=True)


def _days_ago(days: int) -> str:
    return ngettext("%(n)s day ago", "%(n)s days ago", days) % {"n": localize(days)}


# --- Search ---------------------------------------------------------------------------------


class SearchForm(forms.Form):
    q = forms.CharField(
        label=gettext_lazy("Name or identity number"),
        max_length=100,
        help_text=gettext_lazy("For example Anna Andersson, or 19850315-1234."),
    )


def search_persons(request, term: str) -> list[Person]:
    """Persons in the user's units whose identity number is ``term``, or whose names start with its
    words; logged (an identity number never in clear). Masked persons are not found by name."""
    visible = access.persons_visible_to(request.user)
    ids = identity_search(request, term, visible, "person search")
    if ids is not None:
        found = list(Person.objects.filter(pk__in=ids))
    else:
        qs = visible
        for word in term.split()[:4]:
            qs = qs.filter(Q(first_name__istartswith=word) | Q(last_name__istartswith=word))
        if not access.may_see_protected(request.user):
            qs = qs.filter(protected_identity=False)
        found = list(qs.filter(anonymised_at__isnull=True)[:50])
        log.record_for_user(
            request.user,
            "search",
            source=_source(request),
            object_type="person search",
            person_id=found[0].pk if len(found) == 1 else None,
            detail=f"by name; {len(found)} found",
        )
    access.record_listed(request.user, [p.pk for p in found], source=_source(request), what="search result")
    return found


@login_required
@require_http_methods(["GET", "POST"])
def search(request):
    """Search by POST, so that neither a name nor an identity number ends up in a URL or a server log."""
    _require_casework(request, "person search")
    form = SearchForm(request.POST or None)
    results = None
    if request.method == "POST" and form.is_valid():
        see = access.may_see_protected(request.user)
        results = [
            {"id": p.pk, "name": access.display_name(request.user, p, see), "birth_date": p.birth_date}
            for p in search_persons(request, form.cleaned_data["q"])
        ]
    return render(request, "web/workspace/search.html", {"form": form, "results": results})


# --- The person page ------------------------------------------------------------------------


@login_required
def person_page(request, person_id):
    from pestrack.web.meetings.views import person_meetings
    from pestrack.web.profiling.views import person_estimates

    person = access.get_person_for(request.user, person_id, source=_source(request))
    enrolments = enrolments_of(person)
    # The user writes the person when their units enrolled or referred them (access.can_access):
    # decided here from the enrolments at hand, with the user's units looked up once.
    units = access.unit_ids_in_scope(request.user, write=True)
    writable_enrolments = {e.pk for e in enrolments if _enrolment_writable(e, units)}
    writable = bool(writable_enrolments)
    meetings, earlier_meetings = person_meetings(request.user, person, writable_enrolments)
    highlight = request.session.pop(HIGHLIGHT, None)
    codes = CodeNames()
    estimates = person_estimates(request, enrolments, writable_enrolments)
    sections = [
        {
            "enrolment": e,
            "events": [_shown_event(ev, e.pk in writable_enrolments, highlight) for ev in events(e, codes)],
            "open_measures": [m for m in e.participations.all() if m.end_date is None and not m.is_withdrawn],
            "writable": e.pk in writable_enrolments,
            "caseworker": assignment.user_label(e.caseworker),
            "second": assignment.user_label(e.second_caseworker),
            "may_reassign": e.end_date is None and assignment.may_reassign(request.user, e),
            "changes": [_shown_change(c) for c in e.caseworker_changes.all()],
            "profiling": estimates.get(e.pk),
        }
        for e in enrolments
    ]
    return _person_page(
        request,
        "web/workspace/person.html",
        person,
        {
            "sections": sections,
            "journal": person_page_journal(request, person, enrolments, writable_enrolments),
            "may_enrol": writable and not any(e.end_date is None for e in enrolments),
            "writable": writable,
            "has_open": any(e.end_date is None for e in enrolments),
            "documents": person_documents(request.user, person, enrolments, writable_enrolments),
            "reminders": person_notifications(request.user, person, writable),
            "meetings": meetings,
            "earlier_meetings": earlier_meetings,
            "may_book": any(e.end_date is None for e in enrolments if e.pk in writable_enrolments),
            "portal": portal_section(request.user, person, writable),
        },
    )


def _shown_change(c) -> dict:
    role = _("Responsible caseworker") if c.role == "responsible" else _("Second caseworker")
    return {
        "role": role,
        "from": assignment.user_label(c.from_user) or _("none"),
        "to": assignment.user_label(c.to_user) or _("none"),
        "by": assignment.user_label(c.changed_by),
        "iso": c.changed_at.isoformat(),
        "at": date_format(timezone.localtime(c.changed_at), "SHORT_DATETIME_FORMAT"),
        "reason": c.reason,
    }


def _shown_event(ev, writable: bool, highlight: str | None) -> dict:
    """A timeline event's texts as the page shows them, made here rather than by date and
    line-break filters per event and detail in the template; with the links that correct or
    withdraw it when the user may write it."""
    actions = []
    if writable and ev.record_type and not ev.withdrawn and not ev.anchor.endswith("-end"):
        args = [ev.record_type, ev.record_id]
        actions = [
            (reverse("correct-entry", args=args), _("Correct")),
            (reverse("withdraw-entry", args=args), _("Withdraw")),
        ]
    return {
        "kind": ev.kind,
        "iso": ev.date.isoformat(),
        "date": date_format(ev.date, "SHORT_DATE_FORMAT"),
        "title": ev.title,
        "details": [(label, linebreaksbr(value, autoescape=True)) for label, value in ev.details],
        "anchor": ev.anchor,
        "highlight": bool(highlight) and ev.anchor == highlight,
        "history": ev.history,
        "withdrawn": ev.withdrawn,
        "actions": actions,
    }


# --- Forms ----------------------------------------------------------------------------------


def _writable_enrolment(request, enrolment_id: int, what: str) -> Enrolment:
    """The enrolment if the user may write it (their units enrolled or referred the person); else 403."""
    person_id = Enrolment.objects.filter(pk=enrolment_id).values_list("person_id", flat=True).first()
    if person_id is None:
        raise Http404(_("No such record."))
    access.get_person_for(request.user, person_id, write=True, what=what, source=_source(request))
    enrolment = Enrolment.objects.select_related("person", "programme").get(pk=enrolment_id)
    if not _enrolment_writable(enrolment, access.unit_ids_in_scope(request.user, write=True)):
        access.deny(request.user, person_id, action="update", what=what, source=_source(request))
    return enrolment


def _next(request) -> str | None:
    """Where to go after a save when the form was opened from a list (the work list's ``?next=``):
    a path of this site only."""
    target = request.GET.get("next", "")
    if target.startswith("/") and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return None


def _saved(request, person_id: int, message: str, anchor: str):
    """Back to the person page after a save: the confirmation on top (pestrack.css keeps it in view,
    pestrack.js focuses it) and the saved entry highlighted and scrolled to."""
    messages.success(request, message)
    request.session[HIGHLIGHT] = anchor
    return redirect(reverse("person-detail", args=[person_id]) + f"#{anchor}")


HIGHLIGHT = "workspace:highlight"


def _answer(form, name: str) -> str:
    """A cleaned form value as the check-your-answers page shows it."""
    value = form.cleaned_data.get(name)
    if value is None or value == "":
        return "–"
    if isinstance(value, Code):
        return wf.code_label(value)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, dt.date):
        return date_format(value, "SHORT_DATE_FORMAT")
    if hasattr(form.fields[name], "choices"):
        return str(dict(form.fields[name].choices).get(value, value))
    return str(value)


def _check_answers(request, form, *, person, title: str, rows=None):
    """The check-your-answers step: what will be saved, and the form's values again as hidden
    fields under "Change" and "Confirm" (nothing is saved until "Confirm")."""
    rows = (rows or []) + [(f.label, _answer(form, f.name)) for f in form]
    return _person_page(request, "web/workspace/check.html", person, {"form": form, "title": title, "rows": rows})


def _form_page(
    request, form, *, person, title: str, saved: str, intro: str = "", anchor=None, check_answers: bool = False
):
    """Show the form; on a valid POST save it, log the write, and go back to the person page.
    With ``check_answers`` a valid POST first shows what will be saved, and saves on "Confirm"."""
    if request.method == "POST" and form.is_valid() and "change" not in request.POST:
        if check_answers and "confirm" not in request.POST:
            return _check_answers(request, form, person=person, title=title)
        created = form.instance.pk is None
        obj = form.save()
        _log(request, "create" if created else "update", obj, person_id=person.pk)
        if _next(request):  # opened from the work list: back there
            messages.success(request, saved)
            return redirect(_next(request))
        if anchor is None:
            kind = "enrolment" if isinstance(obj, Enrolment) else corrections.record_type_of(obj)
            anchor = f"entry-{kind}-{obj.pk}"
        return _saved(request, person.pk, saved, anchor)
    return _person_page(
        request,
        "web/workspace/form.html",
        person,
        {"form": form, "title": title, "intro": intro, "check_answers": check_answers},
        status=422 if request.method == "POST" and "change" not in request.POST else 200,
    )


def _enrolment_initial() -> dict:
    """A new enrolment's first values: starting today, in the first active programme."""
    return {
        "start_date": timezone.localdate(),
        "programme": Code.objects.filter(list="programme", active=True).first(),
    }


@login_required
@require_http_methods(["GET", "POST"])
def enrol(request, person_id):
    person = access.get_person_for(request.user, person_id, write=True, what="enrolment form", source=_source(request))
    instance = Enrolment(person=person, caseworker=request.user)
    form = wf.EnrolForm(request.POST or None, instance=instance, user=request.user, initial=_enrolment_initial())
    return _form_page(request, form, person=person, title=_("Enrol"), saved=_("The enrolment is recorded."))


@login_required
@require_http_methods(["GET", "POST"])
def new_person(request):
    """Register a person who is not in the register yet, with the enrolment that puts them in the
    user's units (both or neither are saved)."""
    if not access.has_role(request.user, *access.WRITE_ROLES):
        access.deny(request.user, None, action="create", what="person", source=_source(request))
    data = request.POST or None
    person_form = wf.NewPersonForm(
        data, prefix="person", initial={"municipality": home_municipality()}, user=request.user, source=_source(request)
    )
    enrol_form = wf.EnrolForm(
        data,
        prefix="enrolment",
        instance=Enrolment(caseworker=request.user),
        user=request.user,
        initial=_enrolment_initial(),
    )
    if request.method == "POST":
        if person_form.is_valid():
            enrol_form.instance.person = person_form.instance
        if person_form.is_valid() and enrol_form.is_valid():
            with transaction.atomic():
                person = person_form.save()
                enrol_form.instance.person = person
                enrolment = enrol_form.save()
                for obj in (person, enrolment):
                    _log(request, "create", obj, person_id=person.pk)
            messages.success(request, _("The person is registered and enrolled."))
            return redirect("person-detail", person.pk)
    return render(
        request,
        "web/workspace/new_person.html",
        {"person_form": person_form, "enrol_form": enrol_form},
        status=422 if request.method == "POST" else 200,
    )


# The forms that record something on an open enrolment, by kind: the form is "<kind> form" in
# the access log, and has this title and this confirmation.
_ON_ENROLMENT_TEXTS = {
    "decision": (gettext_lazy("Record a decision"), gettext_lazy("The decision is recorded.")),
    "exit": (gettext_lazy("Exit"), gettext_lazy("The exit is recorded.")),
    "assessment": (gettext_lazy("Record an assessment"), gettext_lazy("The assessment is recorded.")),
    "plan": (gettext_lazy("Record a plan"), gettext_lazy("The plan is recorded.")),
    "measure": (gettext_lazy("Start a measure"), gettext_lazy("The measure is started.")),
}


def _on_open_enrolment(kind: str, form_class, *, initial=dict, model=None, part=None, check_answers=False):
    """The view of a form that records something on an open enrolment: a part of the enrolment
    itself (``part``: its decision or its exit) or a new entry under it (an instance of ``model``);
    ``initial()`` gives the form's first values."""
    title, saved = _ON_ENROLMENT_TEXTS[kind]

    @login_required
    @require_http_methods(["GET", "POST"])
    def view(request, enrolment_id):
        enrolment = _writable_enrolment(request, enrolment_id, f"{kind} form")
        if enrolment.end_date is not None:
            messages.error(request, _("The enrolment has ended."))
            return redirect("person-detail", enrolment.person_id)
        instance = enrolment if model is None else model(enrolment=enrolment)
        form = form_class(request.POST or None, instance=instance, initial=initial())
        return _form_page(
            request,
            form,
            person=enrolment.person,
            title=str(title),
            saved=str(saved),
            anchor=f"entry-{part}-{enrolment.pk}" if part else None,
            check_answers=check_answers,
        )

    return view


def _today(field: str):
    """First values: ``field`` is today."""
    return lambda: {field: timezone.localdate()}


def _assessment_initial() -> dict:
    return {"date": timezone.localdate(), "instrument": Code.objects.filter(list="instrument", code="wai").first()}


decision = _on_open_enrolment("decision", wf.DecisionForm, part="decision")
exit_enrolment = _on_open_enrolment("exit", wf.ExitForm, initial=_today("end_date"), part="exit", check_answers=True)
assessment = _on_open_enrolment("assessment", wf.WebAssessmentForm, initial=_assessment_initial, model=Assessment)
plan = _on_open_enrolment("plan", wf.WebPlanForm, initial=_today("date"), model=Plan)
start_measure = _on_open_enrolment("measure", wf.StartMeasureForm, initial=_today("start_date"), model=Participation)


@login_required
@require_http_methods(["GET", "POST"])
def end_measure(request, participation_id):
    participation = get_object_or_404(Participation.objects.select_related("measure"), pk=participation_id)
    enrolment = _writable_enrolment(request, participation.enrolment_id, "measure form")
    if participation.is_withdrawn:
        messages.error(request, _("The entry is already withdrawn."))
        return redirect("person-detail", enrolment.person_id)
    if participation.end_date is not None:
        messages.error(request, _("The measure has ended."))
        return redirect("person-detail", enrolment.person_id)
    form = wf.EndMeasureForm(request.POST or None, instance=participation, initial={"end_date": timezone.localdate()})
    return _form_page(
        request,
        form,
        person=enrolment.person,
        title=_("End the measure %(m)s") % {"m": wf.code_label(participation.measure)},
        saved=_("The measure is ended."),
        anchor=f"entry-participation-{participation.pk}-end",
    )


@login_required
@require_http_methods(["GET", "POST"])
def followup(request, enrolment_id):
    """A follow-up of an ended enrolment (the months after exit, what the person does then)."""
    enrolment = _writable_enrolment(request, enrolment_id, "follow-up form")
    if enrolment.end_date is None:
        messages.error(request, _("A follow-up needs an ended enrolment."))
        return redirect("person-detail", enrolment.person_id)
    months = request.GET.get("months", "")  # from the work list: the follow-up that is due
    form = wf.WebFollowUpForm(
        request.POST or None,
        instance=FollowUp(enrolment=enrolment),
        initial={
            "months": int(months) if months.isdigit() and 0 < int(months) <= 120 else 6,
            "reference_date": timezone.localdate(),
            "source": FollowUp.Source.SURVEY,
        },
    )
    return _form_page(
        request, form, person=enrolment.person, title=_("Record a follow-up"), saved=_("The follow-up is recorded.")
    )


# --- Corrections and withdrawals -------------------------------------------------------------

R = corrections.R
CORRECTION_FORMS = {
    R.DECISION: wf.DecisionForm,
    R.EXIT: wf.ExitForm,
    R.ASSESSMENT: wf.WebAssessmentForm,
    R.PLAN: wf.WebPlanForm,
    R.PARTICIPATION: wf.CorrectMeasureForm,
    R.FOLLOWUP: wf.WebFollowUpForm,
}
ENTRY_NAMES = {
    R.DECISION: gettext_lazy("the decision"),
    R.EXIT: gettext_lazy("the exit"),
    R.ASSESSMENT: gettext_lazy("the assessment"),
    R.PLAN: gettext_lazy("the plan"),
    R.PARTICIPATION: gettext_lazy("the measure"),
    R.FOLLOWUP: gettext_lazy("the follow-up"),
}


def _entry_enrolment(request, record_type: str, record_id: int, what: str) -> Enrolment:
    """The enrolment of the entry if the user may write it (403, logged, if not; 404 if there is
    no such entry)."""
    if record_type not in corrections.MODELS:
        raise Http404(_("No such record."))
    if record_type in corrections.ENROLMENT_PARTS:
        enrolment_id = record_id
    else:
        enrolment_id = (
            corrections.MODELS[record_type].objects.filter(pk=record_id).values_list("enrolment_id", flat=True).first()
        )
    if enrolment_id is None:
        raise Http404(_("The entry no longer exists."))
    return _writable_enrolment(request, enrolment_id, what)


def _refused(request, person_id: int, refusal: corrections.Refused, *, what: str, record_id: int):
    """An entry that is gone or already withdrawn: said on the person page; the attempt logged."""
    log.record_for_user(
        request.user,
        "denied",
        source=_source(request),
        person_id=person_id,
        object_type=what,
        object_id=record_id,
        detail="; ".join(v.message for v in refusal.violations),
    )
    for v in refusal.violations:
        messages.error(request, v.message)
    return redirect("person-detail", person_id)


@login_required
@require_http_methods(["GET", "POST"])
def correct(request, record_type, record_id):
    """Correct an entry: the entry's form with its business rules and a reason; the previous values
    and the reason are kept (records.casework.corrections)."""
    what = f"{record_type} correction"
    enrolment = _entry_enrolment(request, record_type, record_id, what)
    person = enrolment.person
    form_class = wf.correction_form(CORRECTION_FORMS[record_type])
    try:
        with transaction.atomic():
            obj = corrections.current_entry(record_type, record_id, lock=request.method == "POST")
            before = corrections.snapshot(obj, record_type)
            form = form_class(request.POST or None, instance=obj)
            if request.method == "POST" and form.is_valid():
                form.save()
                try:
                    corrections.record_correction(record_type, obj, before, form.cleaned_data["reason"], request.user)
                except corrections.Refused as refusal:
                    transaction.set_rollback(True)
                    attach_violations(form, refusal.violations)
                else:
                    _log(request, "update", obj, person_id=person.pk, detail=f"correction of the {record_type}")
                    return _saved(request, person.pk, _("The correction is saved."), f"entry-{record_type}-{obj.pk}")
    except corrections.Refused as refusal:
        return _refused(request, person.pk, refusal, what=what, record_id=record_id)
    return _person_page(
        request,
        "web/workspace/form.html",
        person,
        {
            "form": form,
            "title": _("Correct %(entry)s") % {"entry": ENTRY_NAMES[record_type]},
            "intro": _("The previous values and your reason are kept with the entry."),
        },
        status=422 if request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def withdraw(request, record_type, record_id):
    """Withdraw (makulera) an entry with a reason, after a check-your-answers step; it stays on the
    person page, struck through, and no figure counts it."""
    what = f"{record_type} withdrawal"
    enrolment = _entry_enrolment(request, record_type, record_id, what)
    person = enrolment.person
    title = _("Withdraw %(entry)s") % {"entry": ENTRY_NAMES[record_type]}
    try:
        obj = corrections.current_entry(record_type, record_id)
    except corrections.Refused as refusal:
        return _refused(request, person.pk, refusal, what=what, record_id=record_id)
    entry = value_rows(record_type, corrections.snapshot(obj, record_type), CodeNames())
    form = wf.WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and "change" not in request.POST:
        attach_violations(form, corrections.withdrawal_violations(record_type, obj))
    if request.method == "POST" and form.is_valid() and "change" not in request.POST:
        if "confirm" not in request.POST:
            return _check_answers(request, form, person=person, title=title, rows=entry)
        try:
            c = corrections.withdraw(record_type, record_id, form.cleaned_data["reason"], request.user)
        except corrections.Refused as refusal:
            attach_violations(form, refusal.violations)
        else:
            _log(request, "update", obj, person_id=person.pk, detail=f"withdrawal of the {record_type}")
            anchor = (
                f"entry-{record_type}-{obj.pk}-w{c.pk}"
                if record_type in corrections.ENROLMENT_PARTS
                else f"entry-{record_type}-{obj.pk}"
            )
            return _saved(request, person.pk, _("The withdrawal is saved."), anchor)
    return _person_page(
        request,
        "web/workspace/withdraw.html",
        person,
        {"form": form, "title": title, "entry": entry},
        status=422 if request.method == "POST" and "change" not in request.POST else 200,
    )
