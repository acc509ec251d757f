"""Small helpers of the staff pages, shared by the workspace views and the pages beside them
(web/meetings): here so that those never import workspace/views.py, which links to them."""

from __future__ import annotations

from django.shortcuts import render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from pestrack.records import access
from pestrack.records.audit import log
from pestrack.records.casework.models import Enrolment
from pestrack.web.workspace.forms import code_label


def _source(request) -> str:
    return access.client_address(request)


def _require_casework(request, what: str) -> None:
    if not access.has_role(request.user, *access.READ_ROLES):
        access.deny(request.user, None, action="list", what=what, source=_source(request))


def _url_maker(name: str):
    """``reverse(name, args=[pk])`` for many ``pk``s at the cost of one: the URL is made once with a
    placeholder (reversing is tens of microseconds, and a page has a link per row)."""
    head, tail = reverse(name, args=[_PLACEHOLDER]).split(str(_PLACEHOLDER))
    return lambda pk: f"{head}{int(pk)}{tail}"


_PLACEHOLDER = 918273645


def _enrolment_writable(enrolment: Enrolment, units: set[int]) -> bool:
    """Whether one of ``units`` (``access.unit_ids_in_scope(user, write=True)``) enrolled or referred."""
    return enrolment.org_unit_id in units or enrolment.referring_unit_id in units


def _writable_enrolments(user, person) -> list[Enrolment]:
    """The person's enrolments that ``user`` writes in, newest first."""
    units = access.unit_ids_in_scope(user, write=True)
    return [
        e
        for e in Enrolment.objects.filter(person=person).select_related("programme", "org_unit").order_by("-start_date")
        if _enrolment_writable(e, units)
    ]


def enrolment_label(e: Enrolment) -> str:
    """An enrolment as a choice or a heading names it: programme, unit and dates."""
    end = date_format(e.end_date, "SHORT_DATE_FORMAT") if e.end_date else _("open")
    return f"{code_label(e.programme)}, {e.org_unit.name}: {date_format(e.start_date, 'SHORT_DATE_FORMAT')} – {end}"


def _log(request, action: str, obj, *, person_id: int, detail: str = "") -> None:
    """The access-log line of the user reading or writing one record (its type: its model's name)."""
    log.record_for_user(
        request.user,
        action,
        source=_source(request),
        person_id=person_id,
        object_type=obj._meta.model_name,
        object_id=obj.pk,
        detail=detail,
    )


def _person_page(request, template: str, person, context: dict, *, status: int = 200):
    """A page about ``person``: ``context`` with the person and what the user may see of them."""
    return render(
        request,
        template,
        {"person": person, "shown": access.present_person(request.user, person), **context},
        status=status,
    )
