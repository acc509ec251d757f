"""Out-of-range numbers in any page's or API operation's parameters give a clear 400 or 404, never a
500: every URL pattern of the site and every operation of the OpenAPI schema is tried with numbers
too large for the database, zero and negative numbers, and each API error is one the schema lists."""

from __future__ import annotations

import logging
import re

import pytest

from tests.web.results.pages import INDICATOR
from tests.web.site import is_regex, url_patterns

pytestmark = pytest.mark.django_db

HUGE = "9" * 30
OUT_OF_RANGE = [HUGE, "9223372036854775807", "0", "-1"]
QUERY = ["page", "year", "offset", "limit", "months"]


def _fill(route: str, sample: dict[str, str], huge: str | None = None) -> str | None:
    """The route with its placeholders filled: ints with ``huge`` if given, else with samples."""
    if is_regex(route):
        return None  # a regex route (the API's own, tested through its schema below)

    def value(match):
        kind, name = match.group(1) or "str", match.group(2)
        if huge is not None and kind == "int":
            return huge
        return sample.get(name, "1")

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", value, route)


@pytest.fixture
def quiet():
    logging.disable(logging.CRITICAL)
    yield
    logging.disable(logging.NOTSET)


@pytest.fixture
def samples(results_world, settings, tmp_path):
    from pestrack.lmi import synth
    from pestrack.records.casework.models import Enrolment

    # the labour-market observatory's pages with figures (without, they answer 503: not set up)
    settings.PESTRACK_LMI_DIR = tmp_path / "lmi"
    synth.write(settings.PESTRACK_LMI_DIR, "stockholm", [2023], scale=0.002, seed=1)

    enrolment = Enrolment.objects.get(person=results_world.jarva)
    return {
        "person_id": str(results_world.jarva.pk),
        "enrolment_id": str(enrolment.pk),
        "indicator_id": INDICATOR,
        "year": "2023",
        "code": "VB",
        "lang": "sv",
        "fmt": "csv",
        "key": "x",
    }


@pytest.mark.slow  # every URL pattern of the site: about 15 s on an idle machine
def test_no_page_answers_an_out_of_range_number_with_a_server_error(samples, login, quiet):
    client = login("maria")  # a unit manager: reads her units' persons and their results
    client.raise_request_exception = False
    failures = []
    for route, _pattern in url_patterns():
        if _fill(route, samples) is None or route.startswith("accounts/logout"):
            continue
        tries = [_fill(route, samples, huge) for huge in (HUGE, "0") if "<int:" in route]
        if not route.startswith("admin/"):  # the admin's own parameters are Django's (tests/web/test_admin.py)
            tries += [f"{_fill(route, samples)}?{name}={number}" for name in QUERY for number in (HUGE,)]
        for url in tries:
            status = client.get(url).status_code
            if status >= 500:
                failures.append((status, url))
    assert failures == []


def _operations():
    from pestrack.web.api import api

    schema = api.get_openapi_schema(path_prefix="/api/v1")
    for path, methods in schema["paths"].items():
        for method, op in methods.items():
            yield path, method, op


def test_no_api_operation_answers_an_out_of_range_number_with_a_server_error(samples, client, quiet):
    from django.contrib.auth.models import User

    from pestrack.web.models import ApiToken

    headers = {
        user: {"HTTP_AUTHORIZATION": f"Bearer {ApiToken.issue(User.objects.get(username=user))[1]}"}
        for user in ("anna", "ali")
    }
    client.raise_request_exception = False
    failures, tried = [], 0
    for path, method, op in _operations():
        if method != "get":
            continue  # writes: their bodies and parameters are fuzzed by tests/web/test_api_fuzz.py
        params = op.get("parameters", [])
        numbers = [p for p in params if p["schema"].get("type") == "integer"]
        for bad in numbers:
            for number in OUT_OF_RANGE:
                url = path
                query = {}
                for p in params:
                    value = number if p is bad else samples.get(p["name"], "1")
                    if p["in"] == "path":
                        url = url.replace("{" + p["name"] + "}", value)
                    elif p is bad or p.get("required"):
                        query[p["name"]] = value
                for user, header in headers.items():
                    response = client.get(url, query, **header)
                    tried += 1
                    documented = {int(code) for code in op["responses"]}
                    if response.status_code >= 500 or response.status_code not in documented:
                        failures.append((response.status_code, user, url, query))
                    elif response.status_code >= 400:
                        assert "detail" in response.json()
    assert tried > 20
    assert failures == []


def test_the_schema_lists_the_client_errors_of_each_operation():
    for path, method, op in _operations():
        codes = {int(code) for code in op["responses"]}
        if not any(200 <= code < 300 for code in codes):
            continue  # an operation that only ever refuses (405: journal entries are never changed)
        assert {401, 403} <= codes, (path, codes)
        if op.get("parameters"):
            assert 400 in codes, (path, codes)
        if any(p["in"] == "path" for p in op.get("parameters", [])):
            assert 404 in codes, (path, codes)


def test_an_out_of_range_parameter_is_refused_by_name(samples, client, login):
    client = login("anna")
    response = client.get("/api/v1/persons", {"offset": HUGE})
    assert response.status_code == 400
    assert "offset" in response.json()["detail"]
    response = login("ali").get(f"/api/v1/indicators/{INDICATOR}/results", {"year": "0"})
    assert response.status_code == 400
    assert "year" in response.json()["detail"]
    response = client.get(f"/results/indicators/{INDICATOR}/rows/", {"year": "2023", "page": HUGE})
    assert response.status_code in (400, 403)
