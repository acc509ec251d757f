"""My caseload ("Mina ärenden"), its export and saved filters; the manager's caseload per caseworker;
reassigning an enrolment's responsible caseworker (one or many).

The rules of who is responsible and who may change it are in records.casework.assignment; access
to persons in records.access. Every list shown is logged (one entry per person), an export as an
export, every change as an update."""

from __future__ import annotations

import datetime as dt
import io
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Case, Count, F, Prefetch, Q, Value, When
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from pestrack.records import access, worklist
from pestrack.records.admin_support import identity_search
from pestrack.records.audit import log
from pestrack.records.casework import assignment
from pestrack.records.casework.models import Enrolment, Participation
from pestrack.records.codes.models import Code
from pestrack.records.csv_export import spreadsheet_csv
from pestrack.records.org.models import Role
from pestrack.records.spreadsheet import safe_row
from pestrack.web.models import SavedFilter
from pestrack.web.workspace import forms as wf
from pestrack.web.workspace.common import _person_page, _url_maker
from pestrack.web.workspace.views import (
    INACTIVE_DAYS,
    PAGE_SIZE,
    _days_ago,
    _open_enrolments,
    _require_casework,
    _source,
)

MINE, UNITS = "mine", "units"
SORTS = ("inactive", "-inactive", "name", "-name", "target_group", "-target_group", "next_due", "-next_due")
DEFAULT_SORT = "-inactive"  # longest without activity first
EXPORT_LIMIT = 10_000
SAVED_FIELDS = ("scope", "target_group", "measure", "inactive", "sort")  # a search term is never saved


class CaseloadFilter(forms.Form):
    scope = forms.ChoiceField(
        required=False,
        label=gettext_lazy("Show"),
        widget=forms.RadioSelect,
        choices=[
            (MINE, gettext_lazy("Enrolments I am responsible for")),
            (UNITS, gettext_lazy("All enrolments of my units")),
        ],
    )
    q = forms.CharField(
        required=False,
        max_length=100,
        label=gettext_lazy("Search in the list"),
        help_text=gettext_lazy("Name or identity number."),
    )
    target_group = forms.ChoiceField(required=False, label=gettext_lazy("Target group"))
    measure = forms.ChoiceField(required=False, label=gettext_lazy("Current measure"))
    inactive = forms.TypedChoiceField(
        required=False, coerce=int, empty_value=None, label=gettext_lazy("No activity for")
    )
    sort = forms.ChoiceField(required=False, choices=[(s, s) for s in SORTS], widget=forms.HiddenInput)
    CODE_LISTS = ("target_group", "measure")

    def __init__(self, *args, default_scope=MINE, **kwargs):
        super().__init__(*args, **kwargs)
        self.default_scope = default_scope
        # Both code lists in one query (as model choice fields they took a server-side cursor each).
        self.codes = {(c.list, c.code): c for c in Code.objects.filter(list__in=self.CODE_LISTS, active=True)}
        for name in self.CODE_LISTS:
            self.fields[name].choices = [("", _("All"))] + [
                (code, wf.code_label(c)) for (list_name, code), c in self.codes.items() if list_name == name
            ]
        self.fields["inactive"].choices = [("", _("Any time"))] + [
            (str(d), _("more than %(n)s days") % {"n": d}) for d in INACTIVE_DAYS
        ]
        if not self.is_bound:
            self.initial.setdefault("scope", default_scope)

    def _code(self, name: str) -> Code | None:
        return self.codes.get((name, self.cleaned_data[name]))

    def clean_scope(self):
        return self.cleaned_data["scope"] or self.default_scope

    def clean_sort(self):
        return self.cleaned_data["sort"] or DEFAULT_SORT

    def clean_target_group(self):
        return self._code("target_group")

    def clean_measure(self):
        return self._code("measure")

    def value(self, name):
        """The cleaned value, or the default when the form is unbound or invalid."""
        if self.is_bound and self.is_valid():
            return self.cleaned_data.get(name)
        return {"scope": self.default_scope, "sort": DEFAULT_SORT}.get(name)

    def saved_query(self) -> str:
        """The filter as a query string to save (no search term, no page)."""
        if not (self.is_bound and self.is_valid()):
            return ""
        values = {}
        for name in SAVED_FIELDS:
            v = self.cleaned_data.get(name)
            if isinstance(v, Code):
                v = v.code
            if v not in (None, ""):
                values[name] = v
        return urlencode(values)


def _default_scope(user) -> str:
    return MINE if access.has_role(user, Role.CASEWORKER) else UNITS


def _name_order(descending: bool):
    """Persons by name, protected identities last and not by their real names (as
    access.persons_visible_to: a masked list must not reveal where their names fall)."""
    hidden = {"person__protected_identity": True, "then": Value("")}
    keys = [Case(When(**hidden), default=F("person__last_name")), Case(When(**hidden), default=F("person__first_name"))]
    keys = [k.desc() if descending else k.asc() for k in keys]
    return ["person__protected_identity", *keys, "pk"]


def _order(sort: str) -> list:
    desc = sort.startswith("-")
    key = sort.lstrip("-")
    if key == "name":
        return _name_order(desc)
    if key == "target_group":
        name = "target_group__name_en" if (get_language() or "sv").startswith("en") else "target_group__name_sv"
        return [F(name).desc() if desc else F(name).asc(), F("last_activity").asc(nulls_first=True), "pk"]
    # days since last activity: more days is an earlier date
    return [F("last_activity").asc(nulls_first=True) if desc else F("last_activity").desc(nulls_last=True), "pk"]


def _search(request, qs, term: str):
    """Those of ``qs`` whose person has the identity number ``term`` (the look-up hash, logged without
    the number), or whose names start with its words; masked persons are not found by name."""
    ids = identity_search(request, term, access.persons_visible_to(request.user), "caseload search")
    if ids is not None:
        return qs.filter(person_id__in=ids)
    for word in term.split()[:4]:
        qs = qs.filter(Q(person__first_name__istartswith=word) | Q(person__last_name__istartswith=word))
    if not access.may_see_protected(request.user):
        qs = qs.filter(person__protected_identity=False)
    return qs


def caseload_query(request, form: CaseloadFilter):
    """The open enrolments the list shows (mine, or all of my units), filtered, unsorted."""
    user = request.user
    qs = _open_enrolments(user)
    if form.value("scope") == MINE:
        qs = assignment.responsible_for(user, qs)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        if data["target_group"]:
            qs = qs.filter(target_group=data["target_group"])
        if data["measure"]:
            qs = qs.filter(
                pk__in=Participation.objects.current()
                .filter(measure=data["measure"], end_date__isnull=True)
                .values("enrolment_id")
            )
        if data["inactive"]:
            qs = qs.filter(last_activity__lt=timezone.localdate() - dt.timedelta(days=data["inactive"]))
        if data["q"].strip():
            qs = _search(request, qs, data["q"].strip())
    return qs


def _with_rows_data(qs):
    # The persons are fetched for the page's rows only: joined, they were read for every open
    # enrolment before the sort (a scan of all persons at scale 10).
    return qs.select_related("target_group", "org_unit", "caseworker", "second_caseworker").prefetch_related(
        "person",
        Prefetch(
            "participations",
            Participation.objects.current().filter(end_date__isnull=True).select_related("measure"),
            to_attr="current_measures",
        ),
    )


def sorted_enrolments(qs, sort: str, today: dt.date) -> tuple[list | object, dict[int, dt.date] | None]:
    """``qs`` in the order of ``sort``: a queryset, or for the next due date (which the item
    sources compute) a list of ids; with the due dates when they were computed for the sort."""
    if sort.lstrip("-") != "next_due":
        return _with_rows_data(qs).order_by(*_order(sort)), None
    due = worklist.next_due(qs, today)
    ids = list(qs.order_by("last_activity", "pk").values_list("pk", flat=True))
    far = dt.date.max
    ids.sort(key=lambda i: due.get(i, far), reverse=sort.startswith("-"))
    if sort.startswith("-"):  # no due date last either way
        ids = [i for i in ids if i in due] + [i for i in ids if i not in due]
    return ids, due


def _rows(user, enrolments, due: dict[int, dt.date], today: dt.date, *, urls: bool = True) -> list[dict]:
    see = access.may_see_protected(user)
    person_url = _url_maker("person-detail") if urls else None
    rows = []
    for e in enrolments:
        next_due = due.get(e.pk)
        rows.append(
            {
                "enrolment_id": e.pk,
                "person_id": e.person_id,
                "url": person_url(e.person_id) if urls else "",
                "name": access.display_name(user, e.person, see),
                "target_group": wf.code_label(e.target_group) if e.target_group else "",
                "unit": e.org_unit.name,
                "caseworker": assignment.user_label(e.caseworker) or "–",
                "second": assignment.user_label(e.second_caseworker),
                "mine": user.pk in (e.caseworker_id, e.second_caseworker_id),
                "measures": ", ".join(wf.code_label(m.measure) for m in e.current_measures) or "–",
                "last_activity": e.last_activity,
                "days": (today - e.last_activity).days if e.last_activity else None,
                "next_due": next_due,
                "overdue": next_due is not None and next_due < today,
            }
        )
    return rows


def _shown(row: dict) -> dict:
    """A row's dates and days as the page shows them (made here: per row, the template's date
    filters and plural translations were a fifth of the page's CPU)."""
    return {
        **row,
        "last_activity": date_format(row["last_activity"], "SHORT_DATE_FORMAT") if row["last_activity"] else "–",
        "ago": _days_ago(row["days"]) if row["days"] is not None else "?",
        "next_due": date_format(row["next_due"], "SHORT_DATE_FORMAT") if row["next_due"] else "–",
    }


def _page_rows(request, ordered, due, page_number, today):
    paginator = Paginator(ordered, PAGE_SIZE)
    page = paginator.get_page(page_number)
    if isinstance(ordered, list):
        by_id = {e.pk: e for e in _with_rows_data(Enrolment.objects.filter(pk__in=list(page)))}
        enrolments = [by_id[i] for i in page]
    else:
        enrolments = page.object_list = list(page.object_list)
    if due is None:
        due = worklist.next_due_of([e.pk for e in enrolments], today) if worklist.sources() and enrolments else {}
    return page, _rows(request.user, enrolments, due, today)


def _params(request) -> QueryDict:
    """The list's parameters: POSTed (a search term stays out of URLs and server logs) or in the URL."""
    return request.POST if request.method == "POST" else request.GET


@login_required
@require_http_methods(["GET", "POST"])
def caseload(request):
    _require_casework(request, "caseload")
    params = _params(request)
    if params.get("sort_to") in SORTS:  # a column's heading was clicked: its sort, from the first page
        params = params.copy()
        params["sort"] = params.pop("sort_to")[-1]
        params.pop("page", None)
    default_scope = _default_scope(request.user)
    bound = any(k in params for k in CaseloadFilter.base_fields)
    form = CaseloadFilter(params if bound else None, default_scope=default_scope)
    today = timezone.localdate()
    sort = form.value("sort") or DEFAULT_SORT
    qs = caseload_query(request, form)
    ordered, due = sorted_enrolments(qs, sort, today)
    if params.get("export") in ("csv", "xlsx"):
        return _export(request, ordered, due, today, params["export"])
    page, rows = _page_rows(request, ordered, due, params.get("page"), today)
    access.record_listed(request.user, [r["person_id"] for r in rows], source=_source(request), what="caseload")
    context = {
        "form": form,
        "page": page,
        "rows": [_shown(r) for r in rows],
        "sort": sort,
        "scope": form.value("scope"),
        "columns": _columns(sort),
        "saved_filters": list(SavedFilter.objects.filter(user=request.user)),
        "reassign_form": wf.ReassignForm(caseworkers=_team(request.user), prefix="reassign"),
        "may_reassign": access.has_role(request.user, Role.CASEWORKER, Role.UNIT_MANAGER),
        "may_manage": bool(assignment.managed_paths(request.user)),
    }
    return render(request, "web/workspace/caseload.html", context)


def _columns(sort: str) -> list[dict]:
    """The sortable columns: their labels, the sort a click gives, and aria-sort."""
    out = []
    for key, label in (
        ("name", _("Name")),
        ("target_group", _("Target group")),
        ("inactive", _("Days since last activity")),
        ("next_due", _("Next due date")),
    ):
        current = sort.lstrip("-") == key
        descending = sort.startswith("-")
        out.append(
            {
                "key": key,
                "label": label,
                "next": f"-{key}" if current and not descending else key,
                "aria": ("descending" if descending else "ascending") if current else "",
            }
        )
    return out


def _team(user):
    """The caseworkers the user may hand enrolments to: of the units they manage, or work in."""
    paths = assignment.managed_paths(user) or access.scope_paths(user, write=True)
    return assignment.caseworkers_under(paths) if paths else get_user_model().objects.none()


# --- Export ---------------------------------------------------------------------------------


def _export(request, ordered, due, today, fmt: str):
    """The whole list as filtered (not one page), logged as an export naming every person."""
    if isinstance(ordered, list):
        ids = ordered[:EXPORT_LIMIT]
        by_id = {e.pk: e for e in _with_rows_data(Enrolment.objects.filter(pk__in=ids))}
        enrolments = [by_id[i] for i in ids]
    else:
        enrolments = list(ordered[:EXPORT_LIMIT])
    if due is None:
        due = worklist.next_due_of([e.pk for e in enrolments], today) if worklist.sources() and enrolments else {}
    rows = _rows(request.user, enrolments, due, today, urls=False)
    header = [
        _("Name"),
        _("Target group"),
        _("Unit"),
        _("Responsible caseworker"),
        _("Second caseworker"),
        _("Current measures"),
        _("Last activity"),
        _("Days since last activity"),
        _("Next due date"),
    ]
    table = [
        [
            r["name"],
            r["target_group"],
            r["unit"],
            r["caseworker"],
            r["second"],
            r["measures"],
            r["last_activity"],
            r["days"],
            r["next_due"],
        ]
        for r in rows
    ]
    table = [safe_row(row) for row in table]
    actor, actor_id = log.actor_of(request.user)
    log.record_many(
        log.Event(
            actor=actor,
            actor_id=actor_id,
            action="export",
            person_id=r["person_id"],
            object_type="caseload",
            detail=fmt,
            source=_source(request),
        )
        for r in rows
    )
    name = f"caseload-{today.isoformat()}"
    if fmt == "csv":  # for Swedish Excel: semicolons, UTF-8 with a byte-order mark (records/csv_export.py)
        text = spreadsheet_csv(
            [str(h) for h in header],
            [[v.isoformat() if isinstance(v, dt.date) else v for v in row] for row in table],
        )
        response = HttpResponse(text.encode("utf-8"), content_type="text/csv; charset=utf-8")
    else:
        import openpyxl

        book = openpyxl.Workbook()
        sheet = book.active
        sheet.title = _("My caseload")[:31]
        sheet.append(header)
        for row in table:
            sheet.append(row)
        for cell in sheet["G"][1:] + sheet["I"][1:]:
            cell.number_format = "yyyy-mm-dd"
        buffer = io.BytesIO()
        book.save(buffer)
        response = HttpResponse(
            buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    response["Cache-Control"] = "no-store"
    return response


# --- Saved filters --------------------------------------------------------------------------


@login_required
@require_POST
def save_filter(request):
    _require_casework(request, "caseload")
    form = CaseloadFilter(request.POST, default_scope=_default_scope(request.user))
    name = request.POST.get("filter_name", "").strip()
    if not name:
        messages.error(request, _("Name of the filter: give the filter a name."))
    elif len(name) > 60:
        messages.error(request, _("Name of the filter: at most 60 characters."))
    elif not form.is_valid():
        messages.error(request, _("The filter could not be saved: check its values."))
    else:
        SavedFilter.objects.update_or_create(user=request.user, name=name, defaults={"query": form.saved_query()})
        messages.success(request, _("The filter “%(name)s” is saved.") % {"name": name})
        return redirect(reverse("caseload") + "?" + form.saved_query())
    return redirect("caseload")


@login_required
@require_POST
def delete_filter(request):
    _require_casework(request, "caseload")
    saved = SavedFilter.objects.filter(user=request.user, pk=request.POST.get("filter") or 0).first()
    if saved is None:
        raise Http404(_("No such filter."))
    saved.delete()
    messages.success(request, _("The filter “%(name)s” is deleted.") % {"name": saved.name})
    return redirect("caseload")


# --- Reassignment ---------------------------------------------------------------------------


def _message_for(form, violations) -> list[str]:
    labels = {
        "to_user": _("New caseworker"),
        "reason": _("Reason"),
        "role": _("Which caseworker"),
        "enrolments": _("Enrolments"),
    }
    return [f"{labels.get(v.field, v.field)}: {v.message}" for v in violations]


@login_required
@require_http_methods(["GET", "POST"])
def reassign_one(request, enrolment_id):
    """Change one enrolment's responsible (or second) caseworker, with the reason."""
    person_id = Enrolment.objects.filter(pk=enrolment_id).values_list("person_id", flat=True).first()
    if person_id is None:
        raise Http404(_("No such record."))
    person = access.get_person_for(request.user, person_id, what="reassignment form", source=_source(request))
    enrolment = Enrolment.objects.select_related("org_unit", "caseworker", "second_caseworker").get(pk=enrolment_id)
    if not assignment.may_reassign(request.user, enrolment):
        access.deny(request.user, person_id, action="update", what="responsible caseworker", source=_source(request))
    form = wf.ReassignForm(
        request.POST or None, caseworkers=assignment.caseworkers_for_unit(enrolment.org_unit), allow_none=True
    )
    if request.method == "POST" and form.is_valid():
        try:
            assignment.reassign(
                request.user,
                [enrolment.pk],
                form.cleaned_data["role"],
                form.cleaned_data["to_user"],
                form.cleaned_data["reason"],
                source=_source(request),
            )
        except assignment.ReassignmentRefused as refused:
            for v in refused.violations:
                form.add_error(v.field if v.field in form.fields else None, v.message)
        else:
            messages.success(request, _("The caseworker is changed."))
            return redirect(reverse("person-detail", args=[person.pk]) + f"#enrolment-{enrolment.pk}")
    intro = _("Responsible caseworker: %(r)s. Second caseworker: %(s)s.") % {
        "r": assignment.user_label(enrolment.caseworker) or _("none"),
        "s": assignment.user_label(enrolment.second_caseworker) or _("none"),
    }
    return _person_page(
        request,
        "web/workspace/form.html",
        person,
        {
            "form": form,
            "title": _("Change caseworker"),
            "intro": intro,
        },
        status=422 if request.method == "POST" else 200,
    )


def _back(request, default: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return reverse(default)


@login_required
@require_POST
def reassign_many(request):
    """Move the selected enrolments to another caseworker (the caseload's or the manager's selection)."""
    if not access.has_role(request.user, Role.CASEWORKER, Role.UNIT_MANAGER):
        access.deny(request.user, None, action="update", what="responsible caseworker", source=_source(request))
    back = _back(request, "caseload")
    form = wf.ReassignForm(request.POST, caseworkers=_team(request.user), prefix="reassign")
    ids = [int(i) for i in request.POST.getlist("enrolment") if i.isdigit()]
    if not form.is_valid():
        for name, errors in form.errors.items():
            label = form.fields[name].label if name in form.fields else ""
            messages.error(request, f"{label}: {' '.join(errors)}" if label else " ".join(errors))
        return redirect(back)
    if not ids:
        messages.error(request, _("Enrolments: select at least one enrolment."))
        return redirect(back)
    try:
        changes = assignment.reassign(
            request.user,
            ids,
            form.cleaned_data["role"],
            form.cleaned_data["to_user"],
            form.cleaned_data["reason"],
            source=_source(request),
        )
    except assignment.ReassignmentRefused as refused:
        for m in _message_for(form, refused.violations):
            messages.error(request, m)
        return redirect(back)
    messages.success(
        request,
        ngettext("%(n)s enrolment moved to %(user)s.", "%(n)s enrolments moved to %(user)s.", len(changes))
        % {"n": len(changes), "user": assignment.user_label(form.cleaned_data["to_user"]) or _("none")},
    )
    return redirect(back)


# --- The manager's view ----------------------------------------------------------------------


@login_required
def team(request):
    """The caseload of each caseworker of the manager's units (open enrolments, overdue items), the
    enrolments without a responsible caseworker, and one caseworker's enrolments to move."""
    paths = assignment.managed_paths(request.user)
    if not paths:
        access.deny(request.user, None, action="list", what="team caseload", source=_source(request))
    today = timezone.localdate()
    caseworkers = list(assignment.caseworkers_under(paths))
    open_qs = assignment.managed_open_enrolments(request.user)
    responsible = dict(
        open_qs.order_by().values("caseworker_id").annotate(n=Count("pk")).values_list("caseworker_id", "n")
    )
    second = dict(
        open_qs.filter(second_caseworker__isnull=False)
        .order_by()
        .values("second_caseworker_id")
        .annotate(n=Count("pk"))
        .values_list("second_caseworker_id", "n")
    )
    overdue: dict[int | None, int] = {}
    due: dict[int | None, int] = {}
    for item in worklist.items(open_qs, today):
        due[item["caseworker_id"]] = due.get(item["caseworker_id"], 0) + 1
        if item["due_date"] < today:
            overdue[item["caseworker_id"]] = overdue.get(item["caseworker_id"], 0) + 1
    team_rows = [
        {
            "user": u,
            "name": assignment.user_label(u),
            "open": responsible.get(u.pk, 0),
            "second": second.get(u.pk, 0),
            "due": due.get(u.pk, 0),
            "overdue": overdue.get(u.pk, 0),
        }
        for u in caseworkers
    ]
    chosen = None
    selected_id = request.GET.get("caseworker", "")
    if selected_id.isdigit():
        chosen = next((u for u in caseworkers if u.pk == int(selected_id)), None)
        if chosen is None:
            access.deny(request.user, None, action="list", what="team caseload", source=_source(request))
    listed = open_qs.filter(caseworker=chosen) if chosen else open_qs.filter(caseworker__isnull=True)
    ordered = _with_rows_data(listed.order_by(*_order(DEFAULT_SORT)))[:500]
    rows = [_shown(r) for r in _rows(request.user, ordered, {}, today)]
    access.record_listed(request.user, [r["person_id"] for r in rows], source=_source(request), what="team caseload")
    return render(
        request,
        "web/workspace/team.html",
        {
            "team": team_rows,
            "unassigned": responsible.get(None, 0),
            "chosen": chosen,
            "rows": rows,
            "reassign_form": wf.ReassignForm(caseworkers=assignment.caseworkers_under(paths), prefix="reassign"),
        },
    )
