"""The OpenAPI schema fuzzed with schemathesis: every operation, a bounded number of generated
requests each, called in-process with a caseworker's bearer token; any 5xx, an undocumented status
or a response that does not match the schema fails."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import ignored_auth, positive_data_acceptance

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def _schema():
    from pestrack.web.api import api
    from pestrack.wsgi import application

    loaded = schemathesis.openapi.from_dict(api.get_openapi_schema(path_prefix="/api/v1"))
    loaded.app = application  # called in-process (WSGI), on the test database
    return loaded


schema = _schema()


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    """The requests run in-process on the test's own database connection, which Django would close
    at the end of each request (on PostgreSQL that ends the test's transaction): as Django's test
    client does, leave it open while the test runs."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def token(world):
    from django.contrib.auth.models import User

    from pestrack.web.models import ApiToken

    return ApiToken.issue(User.objects.get(username="anna"))[1]


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_answers_within_its_schema(case, world, token):
    # ignored_auth would send a made-up session cookie beside the valid token and expect a refusal;
    # positive_data_acceptance fails a documented refusal of a value the schema cannot express (an
    # unknown work-list kind or breakdown: the lists come from the profile and the registry)
    case.call_and_validate(
        headers={"Authorization": f"Bearer {token}"}, excluded_checks=[ignored_auth, positive_data_acceptance]
    )
