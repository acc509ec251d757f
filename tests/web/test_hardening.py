"""Findings of the outside probe on the web side: caching, bidirectional control characters."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_api_responses_to_a_bearer_token_are_never_cached(world, client):
    from django.contrib.auth.models import User

    from pestrack.web.models import ApiToken

    token = ApiToken.issue(User.objects.get(username="anna"))[1]
    for path in (f"/api/v1/persons/{world.jarva.pk}", "/api/v1/persons", f"/api/v1/persons/{world.soderort.pk}"):
        response = client.get(path, HTTP_AUTHORIZATION=f"Bearer {token}")
        assert response["Cache-Control"] == "no-store", path
    assert client.get("/api/v1/persons", HTTP_AUTHORIZATION="Bearer wrong")["Cache-Control"] == "no-store"


def test_a_page_with_person_data_is_never_cached(world, login):
    response = login("anna").get(f"/persons/{world.jarva.pk}/")
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"


def test_every_text_field_of_every_model_refuses_bidirectional_controls(world):
    from django.apps import apps
    from django.core.exceptions import ValidationError
    from django.db import models

    from pestrack.records.text import refuse_bidi_controls

    person = world.jarva
    person.first_name = "Jarva\u202eNOSS"
    with pytest.raises(ValidationError, match="U\\+202E"):
        person.full_clean()
    unguarded = [f"{m.__name__}.{f.name}" for m in apps.get_models() if m.__module__.startswith("pestrack.")
                 for f in m._meta.get_fields() if isinstance(f, (models.CharField, models.TextField))
                 and refuse_bidi_controls not in f.validators]
    assert unguarded == []


def test_the_new_person_form_refuses_a_right_to_left_override(world, login):
    from pestrack.records.people.models import Person
    from tests.web.test_workspace import _errors_tied_to_fields, _new_person_form

    client = login("anna")
    response = client.post("/persons/new/", _new_person_form(**{"person-first_name": "Nya\u202eOSS"}))
    assert response.status_code == 422
    errors = _errors_tied_to_fields(response.content.decode())
    assert "U+202E" in errors["person-first_name"]
    assert not Person.objects.filter(last_name="Nyberg").exists()
