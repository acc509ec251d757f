"""The work list (records.worklist): what is due for a caseworker, and for a unit manager per
caseworker and unit.

- ``/worklist/``: the items of the enrolments I am responsible for, grouped by kind with counts, a
  filter by kind; a manager adds ``?caseworker=ID`` to see one caseworker's items within the
  manager's units. Every person shown is logged (one access-log entry per person, as the caseload).
- ``/worklist/team/``: a manager's counts by caseworker × kind and by unit × kind (no person shown).

Caseworkers and unit managers only; anyone else is refused (403, logged)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format, localize
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from pestrack.records import access, worklist
from pestrack.records.org.models import OrgUnit, Role
from pestrack.records.people.models import Person

PER_KIND = 10  # items of each kind on the whole list; the kind's own list shows them all, by page
PAGE_SIZE = 50


def _source(request) -> str:
    return access.client_address(request)


def staff_name(user) -> str:
    return user.get_full_name() or user.get_username()


def _caseworker(request):
    """Whose list: the user's own, or (for a unit manager) the caseworker of ``?caseworker=``."""
    user = request.user
    if not access.has_role(user, *access.READ_ROLES):
        access.deny(user, None, action="list", what="work list", source=_source(request))
    wanted = request.GET.get("caseworker")
    if not wanted or wanted == str(user.pk):
        return user
    if not access.has_role(user, Role.UNIT_MANAGER):
        access.deny(user, None, action="list", what="work list of another caseworker", source=_source(request))
    try:
        return get_user_model().objects.get(pk=int(wanted))
    except (ValueError, get_user_model().DoesNotExist):
        raise Http404(_("No such caseworker.")) from None


def _overdue_text(days: int) -> str:
    return ngettext("overdue by %(n)s day", "overdue by %(n)s days", days) % {"n": localize(days)}


def shown_items(request, rows: list[dict], today) -> list[dict]:
    """The items as the page shows them (names masked as the user may see them), and the persons
    shown logged, one entry each."""
    persons = {
        p.pk: p
        for p in Person.objects.filter(pk__in={r["person_id"] for r in rows}).only(
            "pk", "first_name", "last_name", "protected_identity", "anonymised_at"
        )
    }
    see = access.may_see_protected(request.user)
    back = urlencode({"next": request.get_full_path()})
    out = []
    for r in rows:
        s = worklist.source(r["kind"])
        url, _hash, fragment = s.resolve_url(r).partition("#")
        out.append(
            {
                "kind": r["kind"],
                "person_id": r["person_id"],
                "name": access.display_name(request.user, persons[r["person_id"]], see),
                "person_url": reverse("person-detail", args=[r["person_id"]]),
                "url": url + ("&" if "?" in url else "?") + back + (f"#{fragment}" if fragment else ""),
                "action": s.label,
                "detail": s.describe(r) if s.describe else "",
                "iso": r["due_date"].isoformat(),
                "due": date_format(r["due_date"], "SHORT_DATE_FORMAT"),
                "overdue": _overdue_text((today - r["due_date"]).days) if worklist.overdue(r, today) else "",
            }
        )
    access.record_listed(
        request.user, list(dict.fromkeys(r["person_id"] for r in rows)), source=_source(request), what="work list"
    )
    return out


@login_required
def worklist_page(request):
    caseworker = _caseworker(request)
    today = timezone.localdate()
    enrolments = worklist.responsible_enrolments(request.user, caseworker.pk)
    kinds = worklist.sources()
    kind = request.GET.get("kind") or None
    if kind is not None and kind not in {s.kind for s in kinds}:
        kind = None
    base = {"caseworker": caseworker.pk} if caseworker != request.user else {}
    page = None
    if kind:
        counts, rows = worklist.summary(enrolments, today, kinds=[kind])
        page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
        rows = list(page)
    else:
        counts, rows = worklist.summary(enrolments, today, limit=PER_KIND)
    items = shown_items(request, rows, today)
    groups = []
    for s in kinds:
        if kind and s.kind != kind:
            continue
        shown = [i for i in items if i["kind"] == s.kind]
        groups.append(
            {
                "kind": s.kind,
                "label": s.label,
                "count": counts.get(s.kind, 0),
                "items": shown,
                "more": not kind and counts.get(s.kind, 0) > len(shown),
                "url": "?" + urlencode({**base, "kind": s.kind}),
            }
        )
    query = urlencode({**base, "kind": kind}) if kind else ""
    return render(
        request,
        "web/workspace/worklist.html",
        {
            "groups": groups,
            "kind": kind,
            "kinds": [{"kind": s.kind, "label": s.label, "count": counts.get(s.kind, 0)} for s in kinds],
            "total": sum(counts.values()),
            "caseworker": caseworker,
            "own": caseworker == request.user,
            "caseworker_name": staff_name(caseworker),
            "page": page,
            "query": query,
            "all_url": "?" + urlencode(base) if base else reverse("worklist"),
        },
    )


@login_required
def team_page(request):
    """A unit manager's view: counts of due items by caseworker and by unit, over their units."""
    user = request.user
    if not access.has_role(user, Role.UNIT_MANAGER):
        access.deny(user, None, action="list", what="team work list", source=_source(request))
    today = timezone.localdate()
    enrolments = access.enrolments_in_scope(user)
    kinds = worklist.sources()
    by_caseworker = worklist.counts_by(enrolments, today, "caseworker_id")
    by_unit = worklist.counts_by(enrolments, today, "org_unit_id")
    users = {u.pk: u for u in get_user_model().objects.filter(pk__in=[k for k in by_caseworker if k is not None])}
    units = {u.pk: u for u in OrgUnit.objects.filter(pk__in=list(by_unit))}

    def row(name, url, counts):
        return {
            "name": name,
            "url": url,
            "counts": [counts.get(s.kind, 0) for s in kinds],
            "total": sum(counts.values()),
        }

    page_url = reverse("worklist")
    caseworkers = sorted(
        (row(staff_name(users[k]), f"{page_url}?caseworker={k}", c) for k, c in by_caseworker.items() if k is not None),
        key=lambda r: r["name"].lower(),
    )
    if None in by_caseworker:
        caseworkers.append(row(_("No responsible caseworker"), "", by_caseworker[None]))
    unit_rows = sorted((row(units[k].name, "", c) for k, c in by_unit.items()), key=lambda r: r["name"].lower())
    return render(
        request,
        "web/workspace/worklist_team.html",
        {
            "kinds": kinds,
            "tables": [
                {"title": _("By caseworker"), "head": _("Caseworker"), "rows": caseworkers},
                {"title": _("By unit"), "head": _("Unit"), "rows": unit_rows},
            ],
        },
    )


def home_counts(user) -> dict | None:
    """The home page's work-list card: a caseworker's own counts, or a manager's counts of their
    units (one statement); None for other roles."""
    today = timezone.localdate()
    if access.has_role(user, Role.CASEWORKER):  # their own list, even if they manage a unit too
        counts = worklist.counts(worklist.responsible_enrolments(user), today)
        url = reverse("worklist")
    elif access.has_role(user, Role.UNIT_MANAGER):
        counts = worklist.counts(access.enrolments_in_scope(user), today)
        url = reverse("worklist-team")
    else:
        return None
    own = access.has_role(user, Role.CASEWORKER)
    return {
        "own": own,
        "url": url,
        "total": sum(counts.values()),
        "kinds": [
            {
                "label": s.label,
                "count": counts.get(s.kind, 0),
                "url": f"{url}?{urlencode({'kind': s.kind})}" if own else url,
            }
            for s in worklist.sources()
        ],
    }
