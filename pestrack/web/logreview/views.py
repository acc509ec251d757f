"""The data protection officer's log review (loggkontroll): the access log searched by user, unit,
person, action and time, its CSV export, and the unusual-access view.

Only the data protection officer has these pages (``access.require_log_review``); every use of a
page and of the export is itself logged. A person is searched for by id or by identity number: the
number is turned into a person id through the look-up hash on a POST, so that it is never in a
URL, a server log or the access log."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from pestrack.records import access
from pestrack.records.audit import log, review
from pestrack.records.csv_export import spreadsheet_csv
from pestrack.records.org.models import OrgUnit
from pestrack.records.people import identity
from pestrack.records.people.models import Person
from pestrack.web.workspace.forms import DATE

PAGE_SIZE = 50
EXPORT_LIMIT = 100_000

ACTIONS = {
    "read": gettext_lazy("read"),
    "create": gettext_lazy("created"),
    "update": gettext_lazy("changed"),
    "delete": gettext_lazy("deleted"),
    "search": gettext_lazy("searched"),
    "export": gettext_lazy("exported"),
    "import": gettext_lazy("imported"),
    "anonymise": gettext_lazy("anonymised"),
    "denied": gettext_lazy("refused"),
    "purge": gettext_lazy("log purged"),
}


def _source(request) -> str:
    return access.client_address(request)


class LogFilter(forms.Form):
    user = forms.CharField(
        required=False,
        max_length=150,
        label=gettext_lazy("User"),
        help_text=gettext_lazy("A user name, for example anna."),
    )
    unit = forms.ModelChoiceField(
        OrgUnit.objects.all(),
        required=False,
        to_field_name="code",
        label=gettext_lazy("Unit"),
        empty_label=gettext_lazy("All"),
        help_text=gettext_lazy("Entries by the staff of this unit and the units below it."),
    )
    person = forms.CharField(
        required=False,
        max_length=20,
        label=gettext_lazy("Person"),
        help_text=gettext_lazy("Person id, or identity number (YYYYMMDD-NNNN)."),
    )
    action = forms.ChoiceField(required=False, label=gettext_lazy("Action"))
    since = forms.DateField(required=False, label=gettext_lazy("From"), widget=DATE)
    until = forms.DateField(required=False, label=gettext_lazy("To and including"), widget=DATE)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", _("All"))] + [(k, v) for k, v in ACTIONS.items()]
        self.by_identity_number = False

    def clean_person(self) -> int | None:
        term = self.cleaned_data["person"].strip()
        if not term:
            return None
        if term.isdigit() and len(term) < 10:  # an identity number has 10 or 12 digits
            return int(term)
        try:
            number = identity.parse(term)
        except identity.InvalidIdentityNumber as exc:
            raise forms.ValidationError(exc.translated()) from None
        self.by_identity_number = True
        pk = Person.objects.filter(pin_hash=identity.lookup_hash(number)).values_list("pk", flat=True).first()
        if pk is None:
            raise forms.ValidationError(_("No person has that identity number."))
        return pk

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", _("The end date is before the start date."))
        return data

    def filters(self) -> dict:
        """The filters as ``review.search`` takes them; a date given as the end includes that day."""
        d = self.cleaned_data
        start = lambda day: timezone.make_aware(dt.datetime.combine(day, dt.time())) if day else None  # noqa: E731
        return {
            "person_id": d["person"],
            "actor": d["user"] or None,
            "action": d["action"] or None,
            "unit_path": d["unit"].path if d["unit"] else None,
            "since": start(d["since"]),
            "until": start(d["until"] + dt.timedelta(days=1)) if d["until"] else None,
        }

    def described(self) -> str:
        d = self.cleaned_data
        return review.describe(
            {
                "person": d["person"],
                "user": d["user"],
                "unit": d["unit"] and d["unit"].code,
                "action": d["action"],
                "since": d["since"],
                "until": d["until"],
            }
        )

    def query(self) -> str:
        """The filters as a query string (the person by id, never by identity number)."""
        d = self.cleaned_data
        values = {
            "user": d["user"],
            "unit": d["unit"].code if d["unit"] else "",
            "person": d["person"] or "",
            "action": d["action"],
            "since": d["since"] or "",
            "until": d["until"] or "",
        }
        return urlencode({k: v for k, v in values.items() if v})


def _row(e) -> dict:
    return {
        "id": e.id,
        "at": date_format(timezone.localtime(e.at), "SHORT_DATETIME_FORMAT"),
        "actor": e.actor,
        "action": ACTIONS.get(e.action, e.action),
        "person_id": e.person_id or "",
        "object_type": e.object_type,
        "object_id": e.object_id,
        "detail": e.detail,
        "source": e.source,
    }


def _log_use(request, action: str, detail: str, person_id: int | None = None) -> None:
    """The access-log line of a search in (or export of) the access log itself."""
    log.record_for_user(
        request.user, action, source=_source(request), object_type="access log", person_id=person_id, detail=detail
    )


def _bound(request) -> LogFilter:
    return LogFilter(request.GET if request.GET else {})


@login_required
@require_http_methods(["GET", "POST"])
def log_review(request):
    """The access log, newest first, filtered and paged. The search by identity number is a POST
    that redirects to the search by the person's id."""
    access.require_log_review(request.user, source=_source(request))
    if request.method == "POST":
        form = LogFilter(request.POST)
        if form.is_valid():
            if form.by_identity_number:
                _log_use(request, "search", "person by identity number", form.cleaned_data["person"])
            query = form.query()
            return redirect(reverse("log-review") + (f"?{query}" if query else ""))
        if form.by_identity_number:  # a number that no person has: logged without it
            _log_use(request, "search", "person by identity number: no person has it")
        return render(request, "web/logreview/log_review.html", {"form": form}, status=422)
    form = _bound(request)
    if not form.is_valid():
        return render(request, "web/logreview/log_review.html", {"form": form}, status=422)
    paginator = Paginator(review.search(**form.filters()), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    detail = f"{form.described()}: {paginator.count} entries, page {page.number}"
    _log_use(request, "search", detail, form.cleaned_data["person"])
    return render(
        request,
        "web/logreview/log_review.html",
        {"form": form, "page": page, "rows": [_row(e) for e in page], "query": form.query()},
    )


EXPORT_COLUMNS = (
    ("id", gettext_lazy("Entry")),
    ("at", gettext_lazy("Time")),
    ("actor", gettext_lazy("User")),
    ("action", gettext_lazy("Action")),
    ("person_id", gettext_lazy("Person id")),
    ("object_type", gettext_lazy("Kind of record")),
    ("object_id", gettext_lazy("Record id")),
    ("detail", gettext_lazy("Detail")),
    ("source", gettext_lazy("Client address")),
)


@login_required
@require_GET
def log_export(request):
    """The entries the page's filters find, as CSV for Swedish Excel (newest first, at most
    EXPORT_LIMIT); the export is logged with the filters and the number of entries."""
    access.require_log_review(request.user, source=_source(request))
    form = _bound(request)
    if not form.is_valid():
        return render(request, "web/logreview/log_review.html", {"form": form}, status=422)
    entries = list(review.search(**form.filters())[:EXPORT_LIMIT])
    _log_use(request, "export", f"{form.described()}: {len(entries)} entries", form.cleaned_data["person"])
    rows = (
        [
            e.id,
            timezone.localtime(e.at).strftime("%Y-%m-%d %H:%M:%S"),
            e.actor,
            e.action,
            e.person_id,
            e.object_type,
            e.object_id,
            e.detail,
            e.source,
        ]
        for e in entries
    )
    text = spreadsheet_csv([str(label) for _, label in EXPORT_COLUMNS], rows)
    response = HttpResponse(text.encode("utf-8"), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="access-log-{stamp}.csv"'
    return response


class PeriodForm(forms.Form):
    since = forms.DateField(required=False, label=gettext_lazy("From"), widget=DATE)
    until = forms.DateField(required=False, label=gettext_lazy("To and including"), widget=DATE)

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", _("The end date is before the start date."))
        return data


UNUSUAL_LIMIT = 200  # rows shown of each kind (the count says how many there are)


@login_required
@require_GET
def unusual_access(request):
    """Reads outside the reader's units, many persons in a short time, reads of protected identities."""
    access.require_log_review(request.user, source=_source(request))
    form = PeriodForm(request.GET or None)
    since, until = review.default_period()
    if form.is_bound and not form.is_valid():
        return render(request, "web/logreview/unusual.html", {"form": form}, status=422)
    if form.is_bound:
        tz = timezone.get_current_timezone()
        if form.cleaned_data["since"]:
            since = dt.datetime.combine(form.cleaned_data["since"], dt.time(), tzinfo=tz)
        if form.cleaned_data["until"]:
            until = dt.datetime.combine(form.cleaned_data["until"] + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    else:
        form = PeriodForm(
            initial={"since": timezone.localtime(since).date(), "until": timezone.localtime(until).date()}
        )
    outside = review.outside_units(since, until)
    protected = review.protected_reads(since, until)
    bursts = review.bursts(since, until)
    context = {
        "form": form,
        "outside_count": outside.count(),
        "outside": [_row(e) for e in outside[:UNUSUAL_LIMIT]],
        "protected_count": protected.count(),
        "protected": [_row(e) for e in protected[:UNUSUAL_LIMIT]],
        "bursts": [
            {
                "actor": b.actor,
                "persons": b.persons,
                "first": date_format(timezone.localtime(b.first), "SHORT_DATETIME_FORMAT"),
                "last": date_format(timezone.localtime(b.last), "SHORT_DATETIME_FORMAT"),
            }
            for b in bursts
        ],
        "persons": settings.PESTRACK_UNUSUAL_PERSONS,
        "minutes": settings.PESTRACK_UNUSUAL_MINUTES,
        "limit": UNUSUAL_LIMIT,
    }
    log.record_for_user(
        request.user,
        "search",
        source=_source(request),
        object_type="access log (unusual access)",
        detail=f"since={since.isoformat()}, until={until.isoformat()}: {context['outside_count']} "
        f"outside units, {len(bursts)} users over the threshold, "
        f"{context['protected_count']} reads of protected identities",
    )
    return render(request, "web/logreview/unusual.html", context)
