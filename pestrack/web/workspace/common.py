"""Small helpers of the staff pages, shared by the workspace views and the pages beside them
(web/meetings): here so that those never import workspace/views.py, which links to them."""

from __future__ import annotations

from django.urls import reverse

from pestrack.records import access
from pestrack.records.casework.models import Enrolment


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
