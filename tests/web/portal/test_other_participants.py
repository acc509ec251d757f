"""A participant cannot reach another participant's data by changing any id in any portal URL or API
call. The routes are read from the URL resolver, so a portal route added later is covered: each of
its path parameters is given the other participant's object (a test without a value for a new
parameter fails, naming it)."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLResolver, get_resolver

from pestrack.records.journal import messages
from tests.web.conftest import log_entries
from tests.web.portal.conftest import sign_in

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def portal_routes(resolver=None, prefix: str = ""):
    """(route, name) of every URL pattern of the portal's pages and API."""
    for p in (resolver or get_resolver()).url_patterns:
        route = prefix + str(p.pattern)
        if isinstance(p, URLResolver):
            yield from portal_routes(p, route)
        elif route.startswith(("portal/", "api/v1/portal/")):
            yield route.lstrip("^").rstrip("$"), p.name


def test_every_portal_route_shows_only_the_participants_own_data(portal_world, client):
    w = portal_world
    theirs = messages.send(
        w.soderort,
        "Hemligt meddelande till Soder",
        author=w.soder_records["coming"].organiser,
        actor="erik",
        upload=SimpleUploadedFile("soder.pdf", PDF),
    )
    other = {
        "meeting_id": w.soder_records["coming"].pk,
        "message_id": theirs.pk,
        "person_id": w.soderort.pk,
        "secret": "x",
        "fmt": "json",
    }
    secrets_of_theirs = ["Ortsson", "Arbete som lokalvårdare (Soder)", "Hemligt meddelande", "soder.pdf"]
    sign_in(client, w.jarva)
    routes = list(portal_routes())
    assert {"portal/meetings/<int:meeting_id>/calendar.ics", "api/v1/portal/me"} <= {r for r, _ in routes}
    with_ids = 0
    for route, name in routes:
        params = re.findall(r"<(?:\w+:)?(\w+)>", route)
        for p in params:
            assert p in other, f"no value for <{p}> of {route!r}: give the other participant's one here"
        url = "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(other[m[1]]), route)
        # an id in the query string is ignored as well
        for response in (client.get(url), client.get(url, {"person_id": w.soderort.pk, "id": w.soderort.pk})):
            body = response.content if not response.streaming else b"".join(response.streaming_content)
            text = body.decode("utf-8", "replace")
            for secret in secrets_of_theirs:
                assert secret not in text, f"{url}: shows {secret!r} of another participant"
            if any(p.endswith("_id") for p in params):
                assert response.status_code == 404, f"{url}: {response.status_code}"
        if any(p.endswith("_id") for p in params):
            with_ids += 1
    assert with_ids >= 2
    assert log_entries(action="denied", person_id=w.jarva.pk, object_type="meeting calendar file").exists()
    # the writes take no person: whatever id is sent, they act on the signed-in participant only
    client.post("/api/v1/portal/messages", {"text": "Till min handläggare", "person_id": w.soderort.pk})
    assert w.soderort.messages.count() == 1 and w.jarva.messages.get().text == "Till min handläggare"
    client.post("/portal/places/", {"place": w.place.pk, "person_id": w.soderort.pk})
    assert not w.soderort.place_interests.exists() and w.jarva.place_interests.count() == 1
