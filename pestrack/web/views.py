"""The person list and the register extracts (the caseworker workspace is pestrack.web.workspace).

Every page decides access through records.access and logs what it shows."""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language

from pestrack.records import access
from pestrack.records.people.export import person_extract, render_extract_html


def masked_extract(user, person) -> dict:
    """The register extract with the identifying fields as ``user`` may see them."""
    extract = person_extract(person)
    extract["person"] = access.mask_identity(user, person, extract["person"])
    extract["documents"] = access.mask_documents(user, person, extract["documents"])
    return extract


@login_required
def person_list(request):
    source = access.client_address(request)
    if not access.has_role(request.user, *access.READ_ROLES):
        access.deny(request.user, None, action="list", what="person list", source=source)
    page = Paginator(access.persons_visible_to(request.user), 50).get_page(request.GET.get("page"))
    see = access.may_see_protected(request.user)
    access.record_listed(request.user, [p.pk for p in page], source=source)
    rows = [
        {
            "id": p.pk,
            "name": access.display_name(request.user, p, see),
            "birth_date": p.birth_date,
            "sex": p.get_sex_display(),
        }
        for p in page
    ]
    return render(request, "web/person_list.html", {"page": page, "rows": rows})


def _person(request, person_id, action="read", what="person"):
    return access.get_person_for(
        request.user, person_id, action=action, what=what, source=access.client_address(request)
    )


def _download(content: str, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
def export_json(request, person_id):
    person = _person(request, person_id, action="export", what="register extract")
    text = json.dumps(masked_extract(request.user, person), ensure_ascii=False, indent=2)
    return _download(text, "application/json; charset=utf-8", f"register-extract-{person.pk}.json")


@login_required
def export_html(request, person_id):
    person = _person(request, person_id, action="export", what="register extract")
    language = "en" if (get_language() or "sv").startswith("en") else "sv"
    html = render_extract_html(masked_extract(request.user, person), language=language)
    return _download(html, "text/html; charset=utf-8", f"register-extract-{person.pk}.html")
